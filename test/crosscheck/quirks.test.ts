// Measured QEMU facts (REFERENCE.md §6 and more) on cortex-a57, so the cross-check treats exactly
// these bits and registers specially: every entry of QEMU_7_2_QUIRKS must be observed here, and
// every bit of every register the generated macros touch that no quirk covers must read back as
// written. (test/crosscheck/cpus.test.ts repeats the read-back check on every QEMU model.)

import { expect, test } from 'vitest';

import { QEMU_CPU_MODELS, runScenariosOnQemu, type QemuCase } from '../../generator/crosscheck/harness.js';
import { QEMU_7_2_QUIRKS, debugRegisterExists, qemuReadBack, qemuSimModel, quirkFor } from '../../generator/crosscheck/quirks.js';
import { CpuModel, Machine, SYSREGS, qemu72DebugQuirks } from '../../generator/sim/index.js';
import { PROBES, Rng64, dfr0WithCounts, macroRegisters, randomValue } from './helpers.js';
import { describeWithTools } from './needs-tools.js';

const CPU = 'cortex-a57';
const driver = PROBES;
const ONES = (1n << 64n) - 1n;
const A57_ID = QEMU_CPU_MODELS[CPU].idAa64dfr0;

test('quirk table: pure functions (no QEMU needed)', () => {
  expect(qemuReadBack('dbgbcr3_el1', 0x20n)).toMatchObject({ observable: true, value: 0x60n });
  expect(qemuReadBack('dbgbcr3_el1', 0x140n)).toMatchObject({ observable: true, value: 0x0n });
  expect(qemuReadBack('dbgwvr15_el1', 0x1003n)).toMatchObject({ observable: true, value: 0x1000n });
  expect(qemuReadBack('dbgbvr3_el1', ONES)).toEqual({ observable: true, value: ONES });
  expect(qemuReadBack('mdccint_el1', 5n).observable).toBe(false);
  expect(qemuReadBack('dbgbcr16_el1', 0x20n)).toEqual({ observable: true, value: 0x20n });
  expect(debugRegisterExists('dbgbcr5_el1', 6, 4)).toBe(true);
  expect(debugRegisterExists('dbgbcr6_el1', 6, 4)).toBe(false);
  expect(debugRegisterExists('dbgwvr4_el1', 6, 4)).toBe(false);
  expect(qemuReadBack('sctlr_el1', ONES)).toMatchObject({ observable: true, value: ONES & ~(0x7fn << 37n) });
  expect(qemuReadBack('amair_el1', ONES)).toMatchObject({ observable: true, value: 0n });
});

test('the simulator configured as QEMU (qemuSimModel) reads back what the quirk table predicts, for every register', () => {
  const m = new Machine(new CpuModel(A57_ID, qemuSimModel()));
  const rng = new Rng64(0x51a7e5n);
  let covered = 0;
  for (const def of SYSREGS) {
    if (def.access !== 'rw' || (def.bank && def.bank.n >= (def.bank.count === 'brps' ? 6 : 4))) continue;
    for (const v of [0n, ONES, rng.u64(), rng.u64()]) {
      m.writeSys(def.name, v);
      const rb = qemuReadBack(def.name, v);
      // A register QEMU does not model is one the simulator ignores (its MRS leaves the destination unchanged).
      if (rb.observable) expect(m.readSys(def.name), def.name).toBe(rb.value);
      else expect(qemuSimModel().ignored).toContain(def.name);
      // Quirks are read-back functions of the written value: applying one twice changes nothing.
      if (rb.observable) expect(qemuReadBack(def.name, rb.value)).toMatchObject({ value: rb.value });
    }
    if (quirkFor(def.name)) covered++;
  }
  expect(covered).toBe(6 + 4 + 1 + 1 + 4 + 1 + 1 + 1); // DBGBCRn, DBGWVRn, MDCCINT, DBGVCR32, the RAZ/WI four, CSSELR, SCTLR, VBAR
});

test("the simulator's own qemu72DebugQuirks() agrees with the table on the registers it covers", () => {
  const ours = new Machine(new CpuModel(A57_ID, qemuSimModel()));
  const sims = new Machine(new CpuModel(A57_ID, qemu72DebugQuirks()));
  const rng = new Rng64(0x72n);
  const debug = macroRegisters().filter((r) => r.startsWith('dbg') && r !== 'dbgvcr32_el2');
  for (const name of debug) {
    for (const v of [ONES, rng.u64(), rng.u64()]) {
      ours.writeSys(name, v);
      sims.writeSys(name, v);
      expect(sims.readSys(name), name).toBe(ours.readSys(name));
    }
  }
  expect(qemu72DebugQuirks().ignored).toEqual(['mdccint_el1']);
  // qemu72DebugQuirks() covers the debug registers only; the cross-check uses qemuSimModel(),
  // which also hides DBGVCR32_EL2 and models the eager group's quirks.
  expect(qemuSimModel().ignored).toEqual(['mdccint_el1', 'dbgvcr32_el2']);
});

describeWithTools(`measured QEMU facts on ${CPU}`, ['gnu-as', 'gnu-ld', 'cpp', 'qemu'], () => {
  test('debug register read-back, UNDEFINED registers and the quirk table agree with QEMU', async () => {
    const rng = new Rng64(0x9e3779b9n);
    const cases: QemuCase[] = [
      // DBGBCRn: bit 6 reads as bit 5, bit 8 as bit 7.
      {
        routine: 'probe_ret', gprs: {}, memory: [],
        sysregs: { dbgbcr0_el1: 0x20n, dbgbcr1_el1: 0x40n, dbgbcr2_el1: 0x80n, dbgbcr3_el1: 0x100n, dbgbcr4_el1: ONES, dbgbcr5_el1: 0xffff_ffff_ffff_febfn },
      },
      // DBGWVRn bits [1:0] read 0; DBGBVRn, DBGWCRn, MDSCR_EL1 keep all 64 bits.
      {
        routine: 'probe_ret', gprs: {}, memory: [],
        sysregs: { dbgwvr0_el1: ONES, dbgwvr1_el1: 0x1n, dbgwvr2_el1: 0x2n, dbgwvr3_el1: 0x8000_0000_0000_0007n, dbgbvr0_el1: ONES, dbgwcr0_el1: ONES, mdscr_el1: ONES },
      },
      // MDCCINT_EL1 and DBGVCR32_EL2: writes ignored, reads leave the destination unchanged.
      { routine: 'probe_write_read_mdccint', gprs: { 0: 0x77n, 1: ONES }, sysregs: { mdccint_el1: ONES, dbgvcr32_el2: ONES }, memory: [] },
      // Registers beyond the 6 BPs / 4 WPs are UNDEFINED, at EL2 and at EL1.
      { routine: 'probe_read_dbgbcr6', gprs: {}, sysregs: {}, memory: [] },
      { routine: 'probe_read_dbgbcr6', gprs: {}, sysregs: {}, memory: [], exceptionLevel: 1 },
      { routine: 'probe_read_dbgwvr4', gprs: {}, sysregs: {}, memory: [], exceptionLevel: 1 },
      // REFERENCE.md §6 says unaligned accesses fault with the MMU off; QEMU 7.2 does not check.
      { routine: 'probe_store_x1_at_x0', gprs: { 0: 0x4000_0001n, 1: 0x1122334455667788n }, sysregs: {}, memory: [{ addr: 0x4000_0000n, bytes: new Uint8Array(16) }] },
    ];
    // Random values (and all ones, and zero) through every register the macros touch: the quirk
    // table must predict every bit.
    for (let k = 0; k < 24; k++) {
      const sysregs: Record<string, bigint> = {};
      for (const r of macroRegisters()) sysregs[r] = k === 0 ? 0n : k === 1 ? randomValue({ u64: () => ONES } as Rng64, r) : randomValue(rng, r);
      cases.push({ routine: 'probe_ret', gprs: {}, sysregs, memory: [] });
    }
    const report = await runScenariosOnQemu({ cpu: CPU, includes: [], driver, cases });
    const [bcr, wvr, mdccint, bcr6El2, bcr6El1, wvr4El1, unaligned, ...random] = report.results;

    expect(report.boot.idAa64dfr0).toBe(QEMU_CPU_MODELS[CPU].idAa64dfr0);
    expect(bcr!.sysregs).toEqual({
      dbgbcr0_el1: 0x60n, dbgbcr1_el1: 0x0n, dbgbcr2_el1: 0x180n, dbgbcr3_el1: 0x0n, dbgbcr4_el1: ONES, dbgbcr5_el1: ONES, // bits 5 and 7 set, 6 and 8 clear: 6 and 8 read as set
    });
    expect(wvr!.sysregs).toEqual({
      dbgwvr0_el1: ONES - 3n, dbgwvr1_el1: 0n, dbgwvr2_el1: 0n, dbgwvr3_el1: 0x8000_0000_0000_0004n, dbgbvr0_el1: ONES, dbgwcr0_el1: ONES, mdscr_el1: ONES,
    });
    expect(mdccint!.gprs[0]).toBe(0x77n);
    expect(mdccint!.unobservableSysregs).toEqual(['mdccint_el1', 'dbgvcr32_el2']);
    expect(mdccint!.sysregs).toEqual({});
    for (const r of [bcr6El2, bcr6El1, wvr4El1]) expect(r!.fault).toMatchObject({ kind: 'undefined-instruction', ec: 0, phase: 'routine' });
    expect(bcr6El2!.fault!.syndromeEl).toBe(2);
    expect(bcr6El1!.fault!.syndromeEl).toBe(1);
    expect(bcr6El2!.fault!.where).toMatch(/^probe_read_dbgbcr6 \(.*probes\.S:\d+\)$/);
    expect(unaligned!.fault).toBeUndefined();
    expect(Array.from(unaligned!.memory[0]!.bytes.subarray(0, 10))).toEqual([0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0]);

    random.forEach((r, k) => {
      const written = cases[7 + k]!.sysregs;
      for (const [name, value] of Object.entries(written)) {
        const rb = qemuReadBack(name, value);
        expect(r.unobservableSysregs.includes(name), name).toBe(!rb.observable);
        if (rb.observable) expect(r.sysregs[name], `${name} after writing 0x${value.toString(16)}`).toBe(rb.value);
      }
    });

    // Every quirk in the table was needed: each changed or hid at least one value above.
    const seen = new Set<string>();
    cases.forEach((c, i) => {
      for (const [name, value] of Object.entries(c.sysregs)) {
        const rb = qemuReadBack(name, value);
        const r = report.results[i]!;
        if (!rb.observable && r.unobservableSysregs.includes(name)) seen.add(rb.quirk.id);
        if (rb.observable && rb.quirk && rb.value !== value && r.sysregs[name] === rb.value) seen.add(rb.quirk.id);
      }
    });
    expect([...seen].sort()).toEqual(QEMU_7_2_QUIRKS.map((q) => q.id).sort());
  });

  test('faked ID_AA64DFR0_EL1 at EL1 is what the routine reads; the real one is what EL2 reads', async () => {
    const fake = dfr0WithCounts(A57_ID, 2, 2);
    const report = await runScenariosOnQemu({
      cpu: CPU, includes: [], driver,
      cases: [
        { routine: 'probe_read_id_aa64dfr0', gprs: {}, sysregs: {}, memory: [], idAa64dfr0: fake },
        { routine: 'probe_read_id_aa64dfr0', gprs: {}, sysregs: {}, memory: [] },
        { routine: 'probe_read_id_aa64dfr0', gprs: {}, sysregs: {}, memory: [], exceptionLevel: 1 },
      ],
    });
    expect(report.results.map((r) => r.gprs[0])).toEqual([fake, QEMU_CPU_MODELS[CPU].idAa64dfr0, QEMU_CPU_MODELS[CPU].idAa64dfr0]);
    expect(report.results.map((r) => r.idRegisterTraps)).toEqual([1, 0, 0]);
  });
});
