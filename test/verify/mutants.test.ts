// Proof that verify can fail: systematic mutations of the generated assembly and of the
// generated TypeScript, each of which must be rejected with a message naming what broke.
import { describe, expect, it } from 'vitest';
import { generateAll, loadInputs, resolveInputs } from '../../generator/index.js';
import { emitTsModelForCounts } from '../../generator/emit/ts.js';
import { loadTsModel } from '../../generator/model/load.js';
import { countsForCpu } from '../../generator/plan/plan.js';
import { formatDivergence, generatedAsm, modelForCounts, verify, type ModelUnderTest } from '../../generator/verify/index.js';

const gen = generateAll(resolveInputs({}));
const plan = gen.plan!;
const cpus = loadInputs(resolveInputs({})).cpus!.cpus;
const a57 = cpus.find((c) => c.name === 'cortex-a57')!;
const models: ModelUnderTest[] = [
  { cpu: countsForCpu(plan.table, a57), ts: loadTsModel(emitTsModelForCounts(plan, countsForCpu(plan.table, a57).counts, { name: 'cortex-a57' })) },
  modelForCounts(plan, { BRPs: 16, WRPs: 16 }),
  modelForCounts(plan, { BRPs: 2, WRPs: 3 }),
];
const base = generatedAsm(gen.files);

/** Replace the `nth` occurrence of `from` inside macro `macro`'s body. */
function mutateMacro(text: string, macro: string, from: string | RegExp, to: string, nth = 0): string {
  const start = text.search(new RegExp(`^\\.macro ${macro}\\b`, 'm'));
  if (start < 0) throw new Error(`no macro ${macro}`);
  const end = text.indexOf('.endm', start);
  let body = text.slice(start, end);
  let count = 0;
  const re = typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : new RegExp(from.source, 'g');
  let hit = false;
  body = body.replace(re, (m) => (count++ === nth ? ((hit = true), to) : m));
  if (!hit) throw new Error(`mutation did not apply: ${String(from)} in ${macro}`);
  return text.slice(0, start) + body + text.slice(end);
}

function verifyAsm(text: string): string {
  const r = verify(plan, { ...base, text }, models, { states: 48, seed: 2014 });
  const divs = r.models.flatMap((m) => m.divergences);
  return divs.map(formatDivergence).join('\n');
}

interface AsmMutant {
  name: string;
  apply: (t: string) => string;
  /** A fragment the report must contain: it names what broke. */
  expect: RegExp;
}

const asmMutants: AsmMutant[] = [
  { name: 'skip count one too small (runs an unimplemented register)', apply: (t) => mutateMacro(t, 'save_debug', 'mov\tw26, #15', 'mov\tw26, #14'), expect: /fault: undefined[\s\S]*dbg/ },
  { name: 'skip count one too large (misses the last register)', apply: (t) => mutateMacro(t, 'restore_debug', 'mov\tw26, #15', 'mov\tw26, #16'), expect: /DBG[BW][CV]R\d+_EL1/ },
  { name: 'lsl #2 → lsl #3 in one computed branch', apply: (t) => mutateMacro(t, 'save_debug', 'lsl #2', 'lsl #3', 2), expect: /save_debug diverges/ },
  { name: 'two bank registers swapped', apply: (t) => mutateMacro(t, 'save_debug', 'mrs\tx6, dbgbcr1_el1', 'mrs\tx6, dbgbcr0_el1'), expect: /sys_regs\[DBGBCR1_EL1\]/ },
  { name: 'wrong slot offset in a store', apply: (t) => mutateMacro(t, 'save_debug', 'str\tx6, [x3, #(1 * 8)]', 'str\tx6, [x3, #(2 * 8)]'), expect: /sys_regs\[DBGBCR[12]_EL1\][\s\S]*last written by/ },
  { name: 'missing skip_clean_debug_state on guest restore', apply: (t) => mutateMacro(t, 'vcpu_run_debug_restore_guest', /\tskip_clean_debug_state x3, 1f\n/, ''), expect: /vcpu_run_debug_restore_guest diverges/ },
  { name: 'dirty flag not cleared on exit', apply: (t) => mutateMacro(t, 'vcpu_return_debug_restore_host', /\tstr\txzr, \[x0, #VCPU_DEBUG_FLAGS\]\n/, ''), expect: /vcpu VCPU_DEBUG_FLAGS word/ },
  { name: 'host context used for the guest MDSCR_EL1', apply: (t) => mutateMacro(t, 'vcpu_run_debug_save_host', 'ldr\tx25, [x25, #', 'ldr\tx25, [x2, #'), expect: /vcpu_run_debug_save_host diverges/ },
  { name: 'MDE test dropped', apply: (t) => mutateMacro(t, 'vcpu_run_debug_save_host', 'and\tx25, x25, #DBG_MDSCR_MDE', 'and\tx25, x25, #DBG_MDSCR_KDE'), expect: /vcpu_run_debug_save_host diverges/ },
  { name: 'KDE test dropped', apply: (t) => mutateMacro(t, 'vcpu_run_debug_save_host', 'and\tx26, x25, #DBG_MDSCR_KDE', 'and\tx26, x25, #DBG_MDSCR_MDE'), expect: /vcpu_run_debug_save_host diverges/ },
  { name: 'DBGVCR32_EL2 dropped', apply: (t) => mutateMacro(mutateMacro(t, 'save_guest_32bit_sysregs', /\tmrs\tx7, dbgvcr32_el2\n/, ''), 'save_guest_32bit_sysregs', /\tstr\tx7, \[x3, #24\]\n/, ''), expect: /sys_regs\[DBGVCR32_EL2\]/ },
  { name: 'x1 clobbered', apply: (t) => mutateMacro(t, 'save_debug', 'mrs\tx26, id_aa64dfr0_el1', 'mrs\tx26, id_aa64dfr0_el1\n\tmov\tx1, xzr'), expect: /x1: x1 is not in save_debug's clobber set/ },
  { name: 'wrong bank order (BCR slots and BVR slots swapped)', apply: (t) => mutateMacro(mutateMacro(t, 'save_debug', 'CPU_SYSREG_OFFSET(DBGBCR0_EL1)', 'CPU_SYSREG_OFFSET(DBGBXX)'), 'save_debug', 'CPU_SYSREG_OFFSET(DBGBVR0_EL1)', 'CPU_SYSREG_OFFSET(DBGBCR0_EL1)').replace('CPU_SYSREG_OFFSET(DBGBXX)', 'CPU_SYSREG_OFFSET(DBGBVR0_EL1)'), expect: /sys_regs\[DBGB[CV]R\d+_EL1\]/ },
  { name: 'watchpoints restored with the breakpoint skip count', apply: (t) => mutateMacro(t, 'restore_debug', 'add\tx26, x26, x25, lsl #2', 'add\tx26, x26, x24, lsl #2', 3), expect: /restore_debug diverges/ },
  { name: 'dirty test inverted (tbz → tbnz)', apply: (t) => mutateMacro(t, 'skip_clean_debug_state', 'tbz', 'tbnz'), expect: /diverges/ },
  { name: 'csel condition inverted', apply: (t) => mutateMacro(t, 'vcpu_run_debug_save_host', 'xzr, ne', 'xzr, eq'), expect: /vcpu_run_debug_save_host diverges/ },
  { name: 'BRPs field read from the wrong bit', apply: (t) => mutateMacro(t, 'restore_debug', 'ubfx\tx24, x26, #12, #4', 'ubfx\tx24, x26, #13, #4'), expect: /restore_debug diverges/ },
  { name: 'flags stored even when clean (cbz dropped)', apply: (t) => mutateMacro(t, 'vcpu_run_debug_save_host', /\tcbz\tx26, 1f\n/, ''), expect: /vcpu_run_debug_save_host diverges/ },
  { name: 'MDCCINT_EL1 not restored', apply: (t) => mutateMacro(t, 'restore_debug', /\tmsr\tmdccint_el1, x21\n/, ''), expect: /MDCCINT_EL1/ },
  { name: 'eager group: MDSCR_EL1 saved from the wrong register', apply: (t) => mutateMacro(t, 'save_sysregs', 'stp\tx24, x25, [x3, #160]', 'stp\tx24, x24, [x3, #160]'), expect: /sys_regs\[MDSCR_EL1\]/ },
  { name: 'a stray write to a register the table does not switch', apply: (t) => mutateMacro(t, 'restore_debug', 'mrs\tx26, id_aa64dfr0_el1', 'mrs\tx26, id_aa64dfr0_el1\n\tmsr\ttpidr_el2, x3'), expect: /TPIDR_EL2: tpidr_el2 is not switched by the table, but restore_debug changed it[\s\S]*last written by debug_switch\.S:\d+:\d+ .*msr tpidr_el2, x3/ },
  { name: '32-bit path taken for 64-bit guests (tbnz → tbz)', apply: (t) => mutateMacro(t, 'skip_32bit_state', 'tbnz', 'tbz'), expect: /32bit_sysregs diverges/ },
];

describe('verify rejects broken assembly', () => {
  it('the unmutated asm passes (the baseline)', () => {
    expect(verifyAsm(base.text)).toBe('');
  });
  it(`has at least 12 asm mutants (${asmMutants.length})`, () => expect(asmMutants.length).toBeGreaterThanOrEqual(12));
  for (const mu of asmMutants) {
    it(mu.name, () => {
      const mutated = mu.apply(base.text);
      expect(mutated).not.toBe(base.text);
      const report = verifyAsm(mutated);
      expect(report, 'verify did not catch this mutant').not.toBe('');
      expect(report).toMatch(mu.expect);
      expect(report).toMatch(/reproduce: npx switchgen verify (--cpu \S+|--counts BRPs=\d+,WRPs=\d+) --seed 2014 --states \d+/);
    });
  }
});

interface TsMutant {
  name: string;
  from: string | RegExp;
  to: string;
  expect: RegExp;
}

const tsMutants: TsMutant[] = [
  { name: 'a save stores to the wrong slot', from: 'm.store64(add64(ctxt, CPU_SYSREG_OFFSET.DBGBCR1_EL1), dbgbcr1_el1);', to: 'm.store64(add64(ctxt, CPU_SYSREG_OFFSET.DBGBCR2_EL1), dbgbcr1_el1);', expect: /sys_regs\[DBGBCR[12]_EL1\]/ },
  { name: 'a save is dropped', from: /\n\s*m\.store64\(add64\(ctxt, CPU_SYSREG_OFFSET\.DBGWVR0_EL1\), dbgwvr0_el1\);/, to: '', expect: /sys_regs\[DBGWVR0_EL1\][\s\S]*expected \(TS model\)/ },
  { name: 'the dirty computation ignores MDE', from: 'mdscr_el1 & DBG_MDSCR_MDE', to: '0n', expect: /vcpu_run_debug_save_host diverges/ },
  { name: 'the exit path does not clear the flags', from: /\n\s*m\.store64\(add64\(vcpu, VCPU_DEBUG_FLAGS\), 0n\);/, to: '', expect: /VCPU_DEBUG_FLAGS word/ },
  { name: 'the 32-bit path ignores HCR_EL2.RW', from: "if (((m.readSys('hcr_el2') >> HCR_RW_SHIFT) & 1n) !== 0n) return;", to: '', expect: /32bit_sysregs diverges/ },
];

describe('verify rejects a broken TypeScript model', () => {
  const counts = countsForCpu(plan.table, a57);
  const src = emitTsModelForCounts(plan, counts.counts, { name: 'cortex-a57' });
  for (const mu of tsMutants) {
    it(mu.name, () => {
      const mutated = typeof mu.from === 'string' ? src.replace(mu.from, mu.to) : src.replace(mu.from, mu.to);
      expect(mutated, 'mutation did not apply').not.toBe(src);
      const r = verify(plan, base, [{ cpu: counts, ts: loadTsModel(mutated) }], { states: 48, seed: 5 });
      const report = r.models.flatMap((m) => m.divergences).map(formatDivergence).join('\n');
      expect(report).not.toBe('');
      expect(report).toMatch(mu.expect);
    });
  }
});
