// How long one QEMU boot takes for N cases of the seed's save_debug/restore_debug at EL1 with
// a faked ID_AA64DFR0_EL1 (the heaviest kind: ~1.5 KiB of context in, out and over the UART).
// Run with: npx vitest bench --run test/crosscheck/qemu.bench.ts

import { bench, describe } from 'vitest';

import { QEMU_CPU_MODELS, runScenariosOnQemu, type QemuCase } from '../../generator/crosscheck/harness.js';
import { missingTools } from '../../generator/crosscheck/toolchain.js';
import { FIXTURES } from './needs-tools.js';
import { Context, Rng, dfr0WithCounts, randomDebugRegisters } from './seed-model.js';

const CTX = 0x4010_0000n;

function cases(n: number): QemuCase[] {
  const rng = new Rng(BigInt(n));
  const a57 = QEMU_CPU_MODELS['cortex-a57'];
  return Array.from({ length: n }, (_, i) => ({
    routine: i % 2 ? 'seed_restore_debug' : 'seed_save_debug',
    gprs: { 2: CTX },
    sysregs: randomDebugRegisters(rng, 6, 4),
    memory: [Context.random(rng).region(CTX)],
    idAa64dfr0: dfr0WithCounts(a57.idAa64dfr0, 2 + (i % 5), 2 + (i % 3)),
  }));
}

const available = missingTools(['gnu-as', 'gnu-ld', 'cpp', 'qemu']).length === 0;

describe.skipIf(!available)('one QEMU boot (cortex-a57)', () => {
  for (const n of [100, 500, 1000]) {
    const input = cases(n);
    bench(`${n} cases`, async () => {
      const r = await runScenariosOnQemu({ cpu: 'cortex-a57', includes: [], driver: `${FIXTURES}seed_driver.S`, cases: input });
      console.log(`${n} cases: build ${r.timing.buildMs.toFixed(0)} ms, qemu ${r.timing.qemuMs.toFixed(0)} ms, ${r.timing.boots} boot(s)`);
    }, { iterations: 3, warmupIterations: 0, time: 0 });
  }
});
