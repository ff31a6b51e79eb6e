// What the harness relies on, checked on every -cpu model it claims: the image is entered at
// EL2, ID_AA64DFR0_EL1 is the value REFERENCE.md §2 lists (6 BPs, 4 WPs), EL1 runs and the
// TID3 trap work, the registers beyond the real counts are UNDEFINED and the §6 quirks hold.

import { expect, test } from 'vitest';

import { QEMU_CPU_MODELS, runScenariosOnQemu, type QemuCpuModel } from '../../generator/crosscheck/harness.js';
import { describeWithTools, FIXTURES } from './needs-tools.js';
import { dfr0WithCounts } from './seed-model.js';

const driver = `${FIXTURES}seed_driver.S`;
const ONES = (1n << 64n) - 1n;

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
          { routine: 'seed_save_debug', gprs: { 2: 0x4010_0000n }, sysregs: {}, memory: [{ addr: 0x4010_0000n, bytes: new Uint8Array(1552) }] },
        ],
      });
      const [el2, el1, fakeId, bcr5, bcr6, wvr4, quirks, save] = report.results;
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
      expect(save!.fault).toBeUndefined();
    });
  }
});
