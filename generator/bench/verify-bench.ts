// Benchmark of the whole entry/exit debug sequence in the simulator, and of verification
// throughput (random states checked per second). Prints figures only; never a test.
//
//   npm run build && node dist/generator/bench/verify-bench.js [--seconds 2] [--states 2000]

import { generateAll, loadInputs, resolveInputs } from '../index.js';
import { CpuModel, Machine } from '../sim/index.js';
import { assembleForVerify, generatedAsm, modelForCpu, verify } from '../verify/index.js';
import { layoutFor } from '../verify/layout.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function main(): number {
  const seconds = arg('--seconds', 2);
  const states = arg('--states', 2000);
  const inputs = resolveInputs({});
  const gen = generateAll(inputs);
  const plan = gen.plan!;
  const cpu = loadInputs(inputs).cpus!.cpus.find((c) => c.name === 'cortex-a57')!;
  const asm = generatedAsm(gen.files);
  const program = assembleForVerify(plan, asm);
  const layout = layoutFor(plan);

  // The four __kvm_vcpu_run / __kvm_vcpu_return debug steps with the state dirty (the full
  // switch: host save, guest restore, guest save, flag clear + host restore).
  const m = new Machine(new CpuModel(cpu.idRegisters['ID_AA64DFR0_EL1']!), {
    regions: [
      { addr: layout.vcpu, bytes: new Uint8Array(layout.vcpuSize) },
      { addr: layout.hostContext, bytes: new Uint8Array(layout.contextSize) },
    ],
  });
  const r = plan.table.roles;
  m.setX(r.vcpu, layout.vcpu);
  const steps = [
    ['verify_vcpu_run_save_host', layout.hostContext],
    ['verify_vcpu_run_restore_guest', layout.guestContext],
    ['verify_vcpu_return_save_guest', layout.guestContext],
    ['verify_vcpu_return_restore_host', layout.hostContext],
  ] as const;
  const idx = steps.map(([label]) => program.indexOf(program.symbol(label))!);
  const cycle = (): number => {
    m.writeU64(layout.flagsAddr, 1n << BigInt(plan.flags.shift));
    let n = 0;
    for (let k = 0; k < steps.length; k++) {
      m.setX(r.context, steps[k]![1]);
      const res = m.runIndex(program, idx[k]!);
      if (res.fault) throw res.fault;
      n += res.steps;
    }
    return n;
  };
  const perCycle = cycle();
  for (let k = 0; k < 20000; k++) cycle();
  let cycles = 0;
  let instructions = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (let k = 0; k < 5000; k++) instructions += cycle();
    cycles += 5000;
  }
  const secs = (performance.now() - t0) / 1000;

  // Verification throughput: full random states, both sides, full comparison.
  const model = modelForCpu(plan, cpu);
  verify(plan, asm, [model], { states: 50, seed: 1 }); // warm up
  const v = verify(plan, asm, [model], { states, seed: 2 });
  const runs = v.models[0]!.runs;
  if (!v.ok) throw new Error('verification failed during the benchmark');

  const fmt = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
  console.log(`model:                   ${cpu.name} (6 BPs, 4 WPs)`);
  console.log(`entry/exit sequence:     4 debug steps, dirty, ${perCycle} instructions per cycle`);
  console.log(`  cycles/s:              ${fmt(cycles / secs / 1e3)} k`);
  console.log(`  instructions/s:        ${fmt(instructions / secs / 1e6)} M`);
  console.log(`verification:            ${runs} states (10 routines x ${states}) in ${(v.elapsedMs / 1000).toFixed(2)} s`);
  console.log(`  states/s:              ${fmt(runs / (v.elapsedMs / 1000))}`);
  console.log(`  simulated instr/s:     ${fmt(v.instructions / (v.elapsedMs / 1000) / 1e6)} M (including state setup and comparison)`);
  return 0;
}

process.exitCode = main();
