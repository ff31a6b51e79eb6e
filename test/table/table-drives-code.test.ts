// The table is the single source of truth: editing it changes the emitted code, with no
// template edit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCpus, parseTable } from '../../generator/table/load.js';
import { planTable } from '../../generator/plan/plan.js';
import { emitAsm, emitHeader } from '../../generator/emit/asm.js';
import { generatedMacro } from '../golden/seed-extract.js';
import { DEFAULT_CPUS_PATH, DEFAULT_TABLE_PATH } from '../helpers.js';

const base = readFileSync(DEFAULT_TABLE_PATH, 'utf8');
const prov = { tableSource: 't.yaml', tableName: 't', regenerate: 'r' };

function asmFor(text: string): string {
  const t = parseTable('t.yaml', text);
  expect(t.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return emitAsm(planTable(t.value!), prov);
}

describe('table edits change the code', () => {
  it('a bank maximum of 8 gives 8-entry runs and skip = 7 - field', () => {
    const edited = base.replace(/max: 16, count: WRPs/g, 'max: 8, count: WRPs');
    const t = parseTable('t.yaml', edited);
    // the table says so: the field can report 16 but the bank holds 8
    expect(t.diagnostics.map((d) => d.message)).toContain('WRPs can report up to 16 registers but DBGWCR<n>_EL1 has max 8: a CPU reporting more would branch backwards');
    const body = generatedMacro(asmFor(edited), 'save_debug')!;
    expect(body.filter((l) => /^mrs x\d+,dbgwcr\d+_el1$/.test(l))).toHaveLength(8);
    expect(body.filter((l) => /^mrs x\d+,dbgbcr\d+_el1$/.test(l))).toHaveLength(16);
    expect(body).toContain('mov w26,#15');
    expect(body).toContain('mov w26,#7');
    expect(body).toContain('mrs x12,dbgwcr7_el1');
    expect(body.some((l) => l.includes('dbgwcr8_el1'))).toBe(false);
    // the CPU file is checked against the new maximum: fvp-base reports 16 watchpoints
    const cpus = parseCpus('c.yaml', readFileSync(DEFAULT_CPUS_PATH, 'utf8'), t.value!);
    expect(cpus.diagnostics.map((d) => d.message)).toContain('CPU fvp-base: ID_AA64DFR0_EL1.WRPs = 15 gives 16 registers for DBGWCR<n>_EL1, outside 1..8');
  });

  it('changing a register role changes every use of it', () => {
    const edited = base.replace('bank_values: x5-x20', 'bank_values: x6-x21').replace('lazy_value: x21', 'lazy_value: x22').replace('branch: x26', 'branch: x23');
    const asm = asmFor(edited);
    const save = generatedMacro(asm, 'save_debug')!;
    expect(save).toContain('mrs x6,dbgbcr0_el1');
    expect(save).toContain('mrs x21,dbgbcr15_el1');
    expect(save).toContain('adr x23,1f');
    expect(save).toContain('br x23');
    expect(save).toContain('mrs x22,mdccint_el1');
    expect(save).toContain('mov w23,#15');
    expect(save.some((l) => l.startsWith('br x26'))).toBe(false);
  });

  it('moving a slot moves the offset in the asm and the header', () => {
    const edited = base.replace('{ name: MDCCINT_EL1,    slot: 87, switch: lazy }', '{ name: MDCCINT_EL1,    slot: 93, switch: lazy }').replace('{ name: TEEHBR32_EL1,   slot: 93,', '{ name: TEEHBR32_EL1,   slot: 87,');
    const t = parseTable('t.yaml', edited);
    expect(t.diagnostics).toEqual([]);
    const header = emitHeader(planTable(t.value!), prov);
    expect(header).toMatch(/#define MDCCINT_EL1\t93\n/);
    expect(header.indexOf('MDCCINT_EL1')).toBeGreaterThan(header.indexOf('DBGVCR32_EL2'));
  });

  it('a single trigger bit gives the tst form', () => {
    const edited = base.replace('      - { name: DBG_MDSCR_KDE, bit: 13 }\n', '');
    const body = generatedMacro(asmFor(edited), 'vcpu_run_debug_save_host')!;
    expect(body).toContain('tst x25,#DBG_MDSCR_MDE');
    expect(body.some((l) => l.startsWith('adds'))).toBe(false);
  });
});
