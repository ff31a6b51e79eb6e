// How long the QEMU cross-check of the generated macros takes on one model (cortex-a57): N
// random states per routine, i.e. 10N cases at EL2 plus 2·max(N, 15) at EL1 in one boot.
// Run with: npx vitest bench --run test/crosscheck/qemu.bench.ts

import { bench, describe } from 'vitest';

import { crosscheck } from '../../generator/crosscheck/run.js';
import { missingTools } from '../../generator/crosscheck/toolchain.js';
import { defaults } from './helpers.js';

const available = missingTools(['gnu-as', 'gnu-ld', 'objdump', 'llvm-mc', 'cpp', 'qemu']).length === 0;

describe.skipIf(!available)('crosscheck --cpu cortex-a57', () => {
  for (const states of [50, 200, 1000]) {
    bench(`--states ${states}`, async () => {
      const { plan, files, cpus } = defaults();
      const r = await crosscheck({ plan, files, cpus: cpus.filter((c) => c.name === 'cortex-a57'), states, seed: 1 });
      const m = r.models[0]!;
      const t = m.timing;
      console.log(
        `--states ${states}: ${m.cases} cases, ${t.boots} boot(s); build ${t.buildMs.toFixed(0)} ms, qemu ${t.qemuMs.toFixed(0)} ms, ` +
          `simulator ${t.simMs.toFixed(0)} ms, model wall ${t.wallMs.toFixed(0)} ms, total ${r.wallMs.toFixed(0)} ms`,
      );
    }, { iterations: 2, warmupIterations: 0, time: 0 });
  }
});
