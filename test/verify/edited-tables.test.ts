// The whole pipeline on tables other than the default: an edit to the table changes the asm and
// the TS together, and the two still agree in the simulator (and a stale pairing does not).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTable } from '../../generator/table/load.js';
import { planTable } from '../../generator/plan/plan.js';
import { emitAsm, emitHeader, emitSimOffsets } from '../../generator/emit/asm.js';
import { emitTsModelForCounts } from '../../generator/emit/ts.js';
import { loadTsModel } from '../../generator/model/load.js';
import { syntheticCpu } from '../../generator/emit/ts.js';
import { formatDivergence, verify, type AsmUnderTest } from '../../generator/verify/index.js';
import { DEFAULT_TABLE_PATH } from '../helpers.js';

const base = readFileSync(DEFAULT_TABLE_PATH, 'utf8');
const prov = { tableSource: 't.yaml', tableName: 't', regenerate: 'r' };

function pipeline(text: string) {
  const t = parseTable('t.yaml', text);
  expect(t.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const plan = planTable(t.value!);
  const asm: AsmUnderTest = {
    path: 'debug_switch.S',
    text: emitAsm(plan, prov),
    includes: new Map([
      ['kvm_debug_switch.h', emitHeader(plan, prov)],
      ['asm-offsets-sim.h', emitSimOffsets(plan, prov)],
    ]),
  };
  const model = (counts: Record<string, number>) => ({ cpu: syntheticCpu(plan.table, counts), synthetic: true, ts: loadTsModel(emitTsModelForCounts(plan, counts)) });
  return { plan, asm, model };
}

const EDITS: [string, (s: string) => string, Record<string, number>[]][] = [
  ['watchpoint banks of 8', (s) => s.replace(/max: 16, count: WRPs/g, 'max: 8, count: WRPs'), [{ BRPs: 6, WRPs: 4 }, { BRPs: 16, WRPs: 8 }, { BRPs: 2, WRPs: 2 }]],
  ['MDCCINT_EL1 and TEEHBR32_EL1 swap slots', (s) => s.replace('{ name: MDCCINT_EL1,    slot: 87,', '{ name: MDCCINT_EL1,    slot: 93,').replace('{ name: TEEHBR32_EL1,   slot: 93,', '{ name: TEEHBR32_EL1,   slot: 87,'), [{ BRPs: 6, WRPs: 4 }]],
  ['other registers for the bank values and the branch', (s) => s.replace('bank_values: x5-x20', 'bank_values: x6-x21').replace('lazy_value: x21', 'lazy_value: x22').replace('branch: x26', 'branch: x23'), [{ BRPs: 6, WRPs: 4 }, { BRPs: 16, WRPs: 16 }]],
  ['one trigger bit (MDE only)', (s) => s.replace('      - { name: DBG_MDSCR_KDE, bit: 13 }\n', ''), [{ BRPs: 6, WRPs: 4 }]],
  ['the dirty flag in bit 5 and a larger context', (s) => s.replace('dirty_shift: 0', 'dirty_shift: 5').replace('nr_sys_regs: 94', 'nr_sys_regs: 100').replace('value: 0x660', 'value: 0x690').replace('value: 0x668', 'value: 0x698').replace('value: 0x670', 'value: 0x6a0'), [{ BRPs: 3, WRPs: 5 }]],
];

describe('edited tables still verify', () => {
  for (const [name, edit, counts] of EDITS) {
    it(name, () => {
      const text = edit(base);
      expect(text).not.toBe(base);
      const { plan, asm, model } = pipeline(text);
      const r = verify(plan, asm, counts.map(model), { states: 40, seed: 11 });
      expect(r.models.flatMap((m) => m.divergences).map(formatDivergence).join('\n')).toBe('');
    });
  }

  it('the default asm against a TS model from an edited table is caught', () => {
    const edited = pipeline(base.replace(/max: 16, count: WRPs/g, 'max: 8, count: WRPs'));
    const original = pipeline(base);
    // asm unrolled for 16 watchpoints, TS planned for 8: same counts, but the slots differ
    const r = verify(original.plan, original.asm, [edited.model({ BRPs: 6, WRPs: 4 })], { states: 40, seed: 3 });
    expect(r.ok).toBe(true); // the layout of slots did not change: still agree at 4 WPs
    const moved = pipeline(base.replace('{ name: MDCCINT_EL1,    slot: 87,', '{ name: MDCCINT_EL1,    slot: 93,').replace('{ name: TEEHBR32_EL1,   slot: 93,', '{ name: TEEHBR32_EL1,   slot: 87,'));
    const stale = verify(original.plan, original.asm, [moved.model({ BRPs: 6, WRPs: 4 })], { states: 40, seed: 3 });
    expect(stale.ok).toBe(false);
    expect(stale.models[0]!.divergences.map(formatDivergence).join('\n')).toMatch(/MDCCINT_EL1|TEEHBR32_EL1/);
  });
});
