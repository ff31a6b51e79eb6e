// The initial states the QEMU cross-check runs: the verifier's own random states (same streams,
// so `verify --cpu X --seed S` and `crosscheck --cpu X --seed S` start from the same states),
// turned into harness cases under a few named rules that say what QEMU cannot be given as is.
// The simulator starts from exactly the same case, so the rules never hide a difference.

import type { AsmPlan, CpuCounts, MacroName } from '../plan/plan.js';
import { bankRegisterName } from '../table/model.js';
import { layoutFor, type Layout } from '../verify/layout.js';
import { Rng } from '../verify/rng.js';
import { ROUTINES, randomState, streamSeed, touchedSysregs, type RandomState, type RoutineSpec } from '../verify/verify.js';
import type { QemuCase } from './harness.js';

/** A rule that shapes the cases for QEMU; every rule applied is named in the report. */
export interface CaseRule {
  id: string;
  description: string;
}

export const CASE_RULES = {
  returnAddress: {
    id: 'x30-is-the-return-address',
    description:
      "x30 is not seeded: the routine is entered with bl, so x30 holds the harness's return address; the simulator's return sentinel stands for that address",
  },
  hcrRwOnly: {
    id: 'hcr-el2-rw-only',
    description:
      'HCR_EL2 holds only its RW bit (random, as in the verifier): the macros read nothing else, and bits such as E2H or TGE would change what the harness itself runs at EL2',
  },
  emulatedCounts: {
    id: 'emulated-counts-at-el1',
    description:
      'other breakpoint/watchpoint counts: the routine runs at EL1 with HCR_EL2.TID3 set and the harness answers its ID_AA64DFR0_EL1 read; such cases set only the debug registers (EL1 cannot reach EL2 registers) and every register the CPU implements, so those past the emulated count must stay untouched',
  },
} as const satisfies Record<string, CaseRule>;

/**
 * The routines run with emulated counts: the two that read ID_AA64DFR0_EL1 and touch only EL1
 * registers, so they can run at EL1 where the ID read can be trapped (HCR_EL2.TID3).
 */
export const EMULATED_COUNT_MACROS: readonly MacroName[] = ['save_debug', 'restore_debug'];

/** The lowest count of breakpoints and of watchpoints the architecture allows (REFERENCE.md §2). */
export const MIN_DEBUG_COUNT = 2;

export interface CountPair {
  /** Count per id field, e.g. { BRPs: 2, WRPs: 3 }. */
  counts: Record<string, number>;
  /** The ID_AA64DFR0_EL1 value the routine reads: the CPU's, with the count fields replaced. */
  idAa64dfr0: bigint;
}

export interface CrosscheckCase {
  qemu: QemuCase;
  spec: RoutineSpec;
  /** The counts the routine observes. */
  counts: Record<string, number>;
  /** True when the counts are emulated (EL1 + TID3), false for the CPU's own counts at EL2. */
  emulated: boolean;
  /** The random stream the state was drawn from (as named by the verifier) and its index in it. */
  stream: string;
  index: number;
}

export interface CasePlan {
  cases: CrosscheckCase[];
  /** The count pairs run with emulated counts, in order. */
  pairs: CountPair[];
  layout: Layout;
  rules: CaseRule[];
}

const ID_REGISTER = 'ID_AA64DFR0_EL1';

/** The id fields that size a bank (BRPs, WRPs), in table order. */
function bankCountFields(plan: AsmPlan) {
  return plan.table.idFields.filter((f) => plan.table.banks.some((b) => b.count === f));
}

/** `base` with each bank-count field replaced by the given count (each field holds count - bias). */
export function idWithCounts(plan: AsmPlan, base: bigint, counts: Record<string, number>): bigint {
  let v = base;
  for (const f of bankCountFields(plan)) {
    if (f.register !== ID_REGISTER) throw new Error(`${f.name} lives in ${f.register}; the harness can emulate only ${ID_REGISTER}`);
    const c = counts[f.name];
    if (c === undefined) continue;
    const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb);
    v = (v & ~mask) | ((BigInt(c - f.bias) << BigInt(f.lsb)) & mask);
  }
  return v;
}

/** Every pair of counts from MIN_DEBUG_COUNT up to the CPU's own, e.g. 2..6 × 2..4 = 15 pairs. */
export function emulatedCountPairs(plan: AsmPlan, cpu: CpuCounts): CountPair[] {
  const base = cpu.idRegisters[ID_REGISTER];
  if (base === undefined) throw new Error(`CPU ${cpu.name} has no ${ID_REGISTER} value`);
  let combos: Record<string, number>[] = [{}];
  for (const f of bankCountFields(plan)) {
    const hi = cpu.counts[f.name] ?? 0;
    const next: Record<string, number>[] = [];
    for (const c of combos) for (let n = MIN_DEBUG_COUNT; n <= hi; n++) next.push({ ...c, [f.name]: n });
    combos = next;
  }
  return combos.map((counts) => ({ counts, idAa64dfr0: idWithCounts(plan, base, counts) }));
}

/** The debug registers the bank macros touch on a CPU with these counts (banks and singles). */
export function debugSysregs(plan: AsmPlan, counts: Record<string, number>): string[] {
  const names: string[] = [];
  for (const b of plan.debug.banks) {
    const n = counts[b.countField] ?? 0;
    for (let i = 0; i < n; i++) names.push(bankRegisterName({ pattern: b.pattern } as never, i).toLowerCase());
  }
  for (const s of plan.debug.singles) names.push(s.sysreg);
  return names.sort();
}

function memoryOf(st: RandomState, layout: Layout): QemuCase['memory'] {
  return [
    { addr: layout.vcpu, bytes: st.vcpu },
    { addr: layout.hostContext, bytes: st.host },
  ];
}

function gprsOf(st: RandomState): QemuCase['gprs'] {
  const gprs: QemuCase['gprs'] = {};
  for (let r = 0; r < 30; r++) gprs[r] = st.gprs[r]!;
  return gprs;
}

/**
 * The cases for one CPU: `states` of the verifier's random states per routine at EL2 on the CPU's
 * own counts, then save_debug/restore_debug at EL1 on every emulated count pair, `states` each
 * spread over the pairs (at least one per pair).
 */
export function planCases(plan: AsmPlan, cpu: CpuCounts, opts: { states: number; seed: number }): CasePlan {
  const layout = layoutFor(plan);
  const own = touchedSysregs(plan, cpu.counts);
  const hcr = plan.aarch32.register;
  const rw = 1n << BigInt(plan.aarch32.rwShift);
  const cases: CrosscheckCase[] = [];

  for (const spec of ROUTINES) {
    const rng = new Rng(streamSeed(opts.seed, cpu.name, spec.macro));
    for (let s = 0; s < opts.states; s++) {
      const st = randomState(rng, plan, layout, own, spec);
      const sysregs: Record<string, bigint> = {};
      for (const [name, v] of st.sysregs) sysregs[name] = name === hcr ? v & rw : v;
      cases.push({
        qemu: { routine: spec.label, gprs: gprsOf(st), sysregs, memory: memoryOf(st, layout), exceptionLevel: 2 },
        spec, counts: cpu.counts, emulated: false, stream: `${cpu.name}/${spec.macro}`, index: s,
      });
    }
  }

  const pairs = emulatedCountPairs(plan, cpu);
  const debugRegs = new Set(debugSysregs(plan, cpu.counts));
  for (const macro of EMULATED_COUNT_MACROS) {
    const spec = ROUTINES.find((r) => r.macro === macro)!;
    const stream = `${cpu.name}@el1`;
    const rng = new Rng(streamSeed(opts.seed, stream, macro));
    const n = Math.max(opts.states, pairs.length);
    for (let s = 0; s < n; s++) {
      const pair = pairs[s % pairs.length]!;
      const st = randomState(rng, plan, layout, own, spec);
      const sysregs: Record<string, bigint> = {};
      for (const [name, v] of st.sysregs) if (debugRegs.has(name)) sysregs[name] = v;
      cases.push({
        qemu: { routine: spec.label, gprs: gprsOf(st), sysregs, memory: memoryOf(st, layout), exceptionLevel: 1, idAa64dfr0: pair.idAa64dfr0 },
        spec, counts: pair.counts, emulated: true, stream: `${stream}/${macro}`, index: s,
      });
    }
  }
  return { cases, pairs, layout, rules: [CASE_RULES.returnAddress, CASE_RULES.hcrRwOnly, ...(pairs.length ? [CASE_RULES.emulatedCounts] : [])] };
}
