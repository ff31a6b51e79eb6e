// What the harness relies on, checked on every -cpu model it claims: the image is entered at
// EL2, ID_AA64DFR0_EL1 is the measured value (6 BPs, 4 WPs), EL1 runs and the TID3 trap work,
// the registers beyond the real counts are UNDEFINED, and every register the generated macros
// touch reads back exactly as the quirk table predicts.

import { expect, test } from 'vitest';

import { QEMU_CPU_MODELS, runScenariosOnQemu, type QemuCase, type QemuCpuModel } from '../../generator/crosscheck/harness.js';
import { qemuReadBack } from '../../generator/crosscheck/quirks.js';
import { PROBES, Rng64, dfr0WithCounts, macroRegisters, randomValue } from './helpers.js';
import { describeWithTools } from './needs-tools.js';

const driver = PROBES;
const ONES = (1n << 64n) - 1n;

/** Zero, all ones and random values through every register the macros touch (deterministic per model). */
function readBackCases(cpu: string): QemuCase[] {
  const rng = new Rng64(BigInt([...cpu].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)));
  const ones = { u64: () => ONES } as Rng64;
  const zero = { u64: () => 0n } as Rng64;
  return [zero, ones, rng, rng, rng, rng, rng, rng].map((g) => ({
    routine: 'probe_ret', gprs: {}, memory: [],
    sysregs: Object.fromEntries(macroRegisters().map((r) => [r, randomValue(g, r)])),
  }));
}

describeWithTools('QEMU CPU models', ['gnu-as', 'gnu-ld', 'cpp', 'qemu'], () => {
  for (const cpu of Object.keys(QEMU_CPU_MODELS) as QemuCpuModel[]) {
    test(`-cpu ${cpu}`, async () => {
      const model = QEMU_CPU_MODELS[cpu];
      const fake = dfr0WithCounts(model.idAa64dfr0, 3, 2);
      const report = await runScenariosOnQemu({
        cpu, includes: [], driver,
        cases: [
          { routine: 'probe_current_el', gprs: {}, sysregs: {}, memory: [] },
          { routine: 'probe_current_el', gprs: {}, sysregs: {}, memory: [], exceptionLevel: 1 },
          { routine: 'probe_read_id_aa64dfr0', gprs: {}, sysregs: {}, memory: [], idAa64dfr0: fake },
          { routine: 'probe_read_dbgbcr5', gprs: {}, sysregs: { dbgbcr5_el1: 0x1e7n }, memory: [], idAa64dfr0: fake },
          { routine: 'probe_read_dbgbcr6', gprs: {}, sysregs: {}, memory: [] },
          { routine: 'probe_read_dbgwvr4', gprs: {}, sysregs: {}, memory: [], exceptionLevel: 1 },
          { routine: 'probe_ret', gprs: {}, memory: [], sysregs: { dbgbcr0_el1: 0x20n, dbgwvr0_el1: ONES, dbgbvr5_el1: ONES, mdccint_el1: 1n, dbgvcr32_el2: 1n } },
          ...readBackCases(cpu),
        ],
      });
      const [el2, el1, fakeId, bcr5, bcr6, wvr4, quirks, ...readBack] = report.results;
      expect(report.boot.currentEl).toBe(2);
      expect(report.boot.idAa64dfr0).toBe(model.idAa64dfr0);
      expect(Number((report.boot.idAa64dfr0 >> 12n) & 0xfn) + 1).toBe(model.breakpoints);
      expect(Number((report.boot.idAa64dfr0 >> 20n) & 0xfn) + 1).toBe(model.watchpoints);
      expect(el2!.gprs[0]).toBe(2n << 2n);
      expect(el1!.gprs[0]).toBe(1n << 2n);
      expect(fakeId!.gprs[0]).toBe(fake);
      expect(fakeId!.idRegisterTraps).toBe(1);
      expect(bcr5!.fault).toBeUndefined();
      expect(bcr5!.gprs[0]).toBe(0x1e7n);
      expect(bcr6!.fault).toMatchObject({ kind: 'undefined-instruction', ec: 0, syndromeEl: 2 });
      expect(wvr4!.fault).toMatchObject({ kind: 'undefined-instruction', ec: 0, syndromeEl: 1 });
      expect(quirks!.sysregs).toEqual({ dbgbcr0_el1: 0x60n, dbgwvr0_el1: ONES - 3n, dbgbvr5_el1: ONES });
      expect(quirks!.unobservableSysregs).toEqual(['mdccint_el1', 'dbgvcr32_el2']);
      readBack.forEach((r, k) => {
        expect(r.fault).toBeUndefined();
        for (const [name, value] of Object.entries(readBackCases(cpu)[k]!.sysregs)) {
          const rb = qemuReadBack(name, value);
          expect(r.unobservableSysregs.includes(name), name).toBe(!rb.observable);
          if (rb.observable) expect(r.sysregs[name], `${cpu}: ${name} after writing 0x${value.toString(16)}`).toBe(rb.value);
        }
      });
    });
  }
});
