// Run a verify/scenario.ts case on the simulator, producing the same result shape as the QEMU harness.

import type { ScenarioCase, ScenarioResult } from '../verify/scenario.js';
import { SimFault } from './errors.js';
import { Machine, DEFAULT_MAX_STEPS } from './machine.js';
import type { Program } from './program.js';
import { CpuModel, type CpuModelOptions } from './sysregs.js';

export interface ScenarioOptions {
  /** Model details beyond the ID value (keep masks, QEMU quirks, ...). */
  model?: CpuModelOptions;
  maxSteps?: number;
}

/**
 * Run one scenario: a CPU built from `cpuIdValue` (its implemented ID_AA64DFR0_EL1), the case's
 * registers and memory loaded, `routine` entered as by `bl` (x30 is the return sentinel, whatever
 * the case says), then registers, the named system registers and memory read back.
 * Setting a system register the model does not implement is a caller error (it throws).
 */
export function runScenario(program: Program, cpuIdValue: bigint, scenario: ScenarioCase, opts: ScenarioOptions = {}): ScenarioResult {
  const model = new CpuModel(cpuIdValue, opts.model);
  const machine = new Machine(model, {
    regions: scenario.memory.map((r) => ({ addr: r.addr, bytes: r.bytes })),
    ...(scenario.idAa64dfr0 !== undefined ? { observedIdAa64dfr0: scenario.idAa64dfr0 } : {}),
  });
  for (const [k, v] of Object.entries(scenario.gprs)) {
    if (v !== undefined) machine.setX(Number(k), v);
  }
  for (const [name, v] of Object.entries(scenario.sysregs)) machine.writeSys(name, v);

  const run = machine.run(program, scenario.routine, { maxSteps: opts.maxSteps ?? DEFAULT_MAX_STEPS });

  const result: ScenarioResult = {
    gprs: Array.from({ length: 31 }, (_, n) => machine.getX(n)),
    sysregs: Object.fromEntries(Object.keys(scenario.sysregs).map((name) => [name, machine.readSys(name)])),
    memory: scenario.memory.map((r) => ({ addr: r.addr, bytes: machine.load(r.addr, r.bytes.length) })),
  };
  if (run.fault) result.fault = faultSummary(run.fault);
  return result;
}

function faultSummary(f: SimFault): NonNullable<ScenarioResult['fault']> {
  return { kind: f.kind, message: f.message, pc: f.pc };
}
