// The simulator's side of the QEMU cross-check: run a harness case on the bundled simulator,
// configured as QEMU 7.2 (qemuSimModel) and placed at the addresses the linked image has, so the
// two results can be compared exactly: every GPR, every named system register, every memory byte.

import { CpuModel, Machine, RETURN_SENTINEL, formatLoc, type FaultKind, type Program } from '../sim/index.js';
import type { Layout } from '../verify/layout.js';
import type { ScenarioResult } from '../verify/scenario.js';
import { compareWithQemu, type Comparison } from './compare.js';
import type { QemuCase, QemuCaseResult } from './harness.js';
import { qemuSimModel } from './quirks.js';

/** How QEMU's harness names the exception the simulator reports as a fault of this kind. */
const QEMU_FAULT_KIND: Partial<Record<FaultKind, string>> = {
  undefined: 'undefined-instruction',
  memory: 'data-abort',
  alignment: 'alignment',
  prefetch: 'instruction-abort',
  'pc-alignment': 'alignment',
  brk: 'exception',
  hlt: 'exception',
  svc: 'exception',
  smc: 'exception',
  hvc: 'hvc',
  'step-limit': 'timeout',
};

export interface SimCaseResult extends ScenarioResult {
  steps: number;
}

/** One simulator machine for a CPU (its implemented ID_AA64DFR0_EL1), reused across cases. */
export class CaseSimulator {
  readonly machine: Machine;

  constructor(
    readonly program: Program,
    readonly cpuId: bigint,
    layout: Layout,
  ) {
    this.machine = new Machine(new CpuModel(cpuId, qemuSimModel()), {
      regions: [
        { addr: layout.vcpu, size: layout.vcpuSize },
        { addr: layout.hostContext, size: layout.contextSize },
      ],
    });
  }

  /**
   * Run one case as the harness does: memory, then the system registers in the case's order,
   * x0..x29, the routine entered as by `bl`; the ID_AA64DFR0_EL1 value observed is the case's
   * (emulated counts) or the CPU's own. Every location the routine reads is set by the case.
   */
  run(c: QemuCase): SimCaseResult {
    const m = this.machine;
    for (const r of c.memory) m.store(r.addr, r.bytes);
    for (const [name, v] of Object.entries(c.sysregs)) m.writeSys(name, v);
    m.writeSys('id_aa64dfr0_el1', c.idAa64dfr0 ?? this.cpuId);
    for (let r = 0; r < 30; r++) m.setX(r, c.gprs[r] ?? 0n);
    const run = m.run(this.program, c.routine, { maxSteps: 100_000 });
    const result: SimCaseResult = {
      gprs: Array.from({ length: 31 }, (_, n) => m.getX(n)),
      sysregs: Object.fromEntries(Object.keys(c.sysregs).map((name) => [name, m.readSys(name)])),
      memory: c.memory.map((r) => ({ addr: r.addr, bytes: m.load(r.addr, r.bytes.length) })),
      steps: run.steps,
    };
    if (run.fault) {
      const f = run.fault;
      const at = f.loc ? ` at ${formatLoc(f.loc)}${f.sourceText ? `: ${f.sourceText}` : ''}` : '';
      result.fault = { kind: QEMU_FAULT_KIND[f.kind] ?? `${f.kind} (simulator)`, message: `${f.message}${at}`, pc: f.pc };
    }
    return result;
  }

  /** The asm line that last wrote a memory word or a system register in the last run. */
  lastWriter(where: { addr: bigint } | { sysreg: string }): string | undefined {
    const w = 'addr' in where ? this.machine.lastMemWriter(where.addr) : this.machine.lastSysWriter(where.sysreg);
    return w ? `${formatLoc(w.loc)}: ${w.text}` : undefined;
  }
}

export interface CaseCompareOptions {
  /** x30 at entry on QEMU (the harness's return address for the case's exception level). */
  returnAddress: bigint;
  describeMemory: (addr: bigint) => string | undefined;
  /** GPRs not compared, with the reason (only for the reference oracle: a macro's clobber set). */
  ignoreGprs?: Record<number, string>;
  /** Also compare the faulting pc (only when both ran the same image layout). */
  comparePc: boolean;
}

/**
 * The simulator's result as QEMU shows it: the return sentinel is the harness's return address.
 * Nothing else is translated.
 */
export function asQemuSees(expected: ScenarioResult, returnAddress: bigint): ScenarioResult {
  return { ...expected, gprs: expected.gprs.map((v) => (v === RETURN_SENTINEL ? returnAddress : v)) };
}

/** Compare one case: exact, apart from registers QEMU does not model (named by their quirk). */
export function compareCase(expected: ScenarioResult, actual: QemuCaseResult, opts: CaseCompareOptions): Comparison {
  const cmp = compareWithQemu(asQemuSees(expected, opts.returnAddress), actual, {
    ignoreGprs: opts.ignoreGprs ?? {},
    describeMemory: opts.describeMemory,
    qemuQuirks: true,
    expectedModelsQemu: true,
  });
  const e = expected.fault;
  const a = actual.fault;
  if (opts.comparePc && e && a && e.kind === a.kind && e.pc !== undefined && a.pc !== undefined && e.pc !== a.pc) {
    cmp.differences.push({
      where: 'fault pc', expected: e.pc, actual: a.pc,
      message: `fault pc: simulator 0x${e.pc.toString(16)} (${e.message}), QEMU 0x${a.pc.toString(16)} (${a.message})`,
    });
  }
  return cmp;
}
