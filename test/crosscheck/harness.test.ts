// The QEMU harness itself: case validation and encoding, the UART protocol parser, and on QEMU
// the round trip of registers and memory, fault reports, and recovery from a hanging case.

import { describe, expect, test } from 'vitest';

import {
  HarnessInputError, encodeCases, parseRunOutput, runScenariosOnQemu, validateCases, type QemuCase,
} from '../../generator/crosscheck/harness.js';
import { IMAGE_BASE, RECORD } from '../../generator/crosscheck/runtime.js';
import { describeWithTools, FIXTURES } from './needs-tools.js';
import { PROBES, GENERATED_ASM, GENERATED_INCLUDE, u64At } from './helpers.js';

const driver = PROBES;
const plain = (routine: string, extra: Partial<QemuCase> = {}): QemuCase => ({ routine, gprs: {}, sysregs: {}, memory: [], ...extra });

describe('case validation and encoding', () => {
  test('every problem is reported, one line each', () => {
    const errors = validateCases(
      [
        plain('bad label; ret'),
        plain('probe_ret', { gprs: { 31: 1n } }),
        plain('probe_ret', { sysregs: { vbar_el2: 0n, 'dbgbcr0_el1\nret': 0n } }),
        plain('probe_ret', { sysregs: { hcr_el2: 0n }, exceptionLevel: 1 }),
        plain('probe_ret', { memory: [{ addr: 0x3fff_fff8n, bytes: new Uint8Array(16) }] }),
        plain('probe_ret', { memory: [{ addr: 0x4000_0000n, bytes: new Uint8Array(16) }, { addr: 0x4000_0008n, bytes: new Uint8Array(8) }] }),
        plain('probe_ret', { idAa64dfr0: 0x10101106n, exceptionLevel: 2 }),
        plain('probe_ret', { sysregs: { hcr_el2: (1n << 34n) | (1n << 31n) } }),
      ],
      'cortex-a57',
    );
    expect(errors).toEqual([
      'case 0 (bad label; ret): routine "bad label; ret" is not an assembler label',
      'case 1 (probe_ret): gprs has key 31; registers are x0..x30',
      'case 2 (probe_ret): vbar_el2 is used by the harness runtime and cannot be set',
      'case 2 (probe_ret): system register "dbgbcr0_el1\\nret" is not a lower-case assembler name',
      'case 3 (probe_ret): hcr_el2 is programmed by the harness to enter EL1 and cannot be set in an EL1 case',
      'case 4 (probe_ret): memory region 0 [0x3ffffff8, 0x40000008) is outside the scratch RAM [0x40000000, 0x44000000)',
      'case 5 (probe_ret): memory regions 0 and 1 overlap',
      "case 6 (probe_ret): idAa64dfr0 0x10101106 differs from cortex-a57's 0x10305106, and an EL2 read of ID_AA64DFR0_EL1 cannot be trapped; run the case at EL1",
      "case 7 (probe_ret): hcr_el2 = 0x480000000 sets E2H or TGE, which change what the harness's own EL2 code reaches; clear bits 34 and 27",
    ]);
  });

  test('runScenariosOnQemu refuses invalid cases before building anything', async () => {
    await expect(runScenariosOnQemu({ cpu: 'cortex-a57', includes: [], driver, cases: [plain('x y')] })).rejects.toThrow(HarnessInputError);
  });

  test('blob layout: count, record offsets, record fields, sysreg pairs, memory triples and bytes', () => {
    const { blob, routines, sysregs } = encodeCases([
      plain('b', { gprs: { 0: 1n, 30: 0xffn }, sysregs: { mdscr_el1: 7n, dbgbcr0_el1: 9n }, memory: [{ addr: 0x4000_0000n, bytes: Uint8Array.of(1, 2, 3) }], idAa64dfr0: 0x10101106n }),
      plain('a', { sysregs: { dbgbcr0_el1: 5n } }),
      plain('b'),
    ]);
    expect(routines).toEqual(['b', 'a']);
    expect(sysregs).toEqual(['mdscr_el1', 'dbgbcr0_el1']);
    expect(u64At(blob, 0)).toBe(3n);
    const r0 = Number(u64At(blob, 8));
    const r1 = Number(u64At(blob, 16));
    expect(u64At(blob, r0 + RECORD.routine)).toBe(0n);
    expect(u64At(blob, r0 + RECORD.flags)).toBe(3n); // EL1 + fake ID_AA64DFR0_EL1
    expect(u64At(blob, r0 + RECORD.idAa64dfr0)).toBe(0x10101106n);
    expect(u64At(blob, r0 + RECORD.gprs)).toBe(1n);
    expect(u64At(blob, r0 + RECORD.gprs + 30 * 8)).toBe(0xffn);
    const sys = Number(u64At(blob, r0 + RECORD.sysregsOffset));
    expect([u64At(blob, sys), u64At(blob, sys + 8), u64At(blob, sys + 16), u64At(blob, sys + 24)]).toEqual([0n, 7n, 1n, 9n]);
    const mem = Number(u64At(blob, r0 + RECORD.memoryOffset));
    expect(u64At(blob, mem)).toBe(0x4000_0000n);
    expect(u64At(blob, mem + 8)).toBe(3n);
    const data = Number(u64At(blob, mem + 16));
    expect(Array.from(blob.subarray(data, data + 3))).toEqual([1, 2, 3]);
    expect(u64At(blob, r1 + RECORD.routine)).toBe(1n);
    expect(u64At(blob, r1 + RECORD.flags)).toBe(0n);
  });
});

describe('UART protocol parser', () => {
  const h = (v: number | bigint) => v.toString(16).padStart(16, '0');
  const g = Array.from({ length: 31 }, (_, i) => h(i)).join(' ');

  test('parses a run with a fault, an unobservable register and QEMU noise around it', () => {
    const text = [
      'some firmware noise',
      `@SWITCHGEN 1 ${h(2)} ${h(0x410fd070)} ${h(0x10305106)} ${h(2)}`,
      `@C ${h(0)}`,
      `@G ${g}`,
      `@S ${h(5)} ${h(6)}`,
      `@U ${h(1)}`,
      '@M 0102ff',
      '@M =',
      `@E ${h(0)} ${h(1)}`,
      `@C ${h(1)}`,
      '',
      `@F ${h(2)} ${h(1)} ${h(4)} ${h(0x2000000)} ${h(0x44001000)} ${h(0)}`,
      `@G ${g}`,
      `@E ${h(1)} ${h(0)}`,
      '@DONE',
    ].join('\r\n');
    const run = parseRunOutput(text);
    expect(run.done).toBe(true);
    expect(run.boot).toEqual({ currentEl: 2, midr: 0x410fd070n, idAa64dfr0: 0x10305106n });
    expect(run.cases.get(0)).toMatchObject({ sysregs: [5n, 6n], unobservable: [1], idTraps: 1 });
    expect(run.cases.get(0)!.memory).toEqual([Uint8Array.of(1, 2, 0xff), 'unchanged']);
    expect(run.cases.get(1)!.fault).toEqual({ phase: 2, syndromeEl: 1, vector: 4, esr: 0x2000000n, elr: 0x44001000n, far: 0n });
    expect(run.unfinished).toBeUndefined();
  });

  test('an interrupted run names the unfinished case; malformed numbers are errors', () => {
    const run = parseRunOutput(`@SWITCHGEN 1 ${h(2)} ${h(0)} ${h(0)} ${h(1)}\n@C ${h(0)}\n`);
    expect(run.done).toBe(false);
    expect(run.unfinished).toBe(0);
    expect(() => parseRunOutput(`@C 12zz\n`)).toThrow('QEMU output: malformed number "12zz" in "@C 12zz"');
  });
});

describeWithTools('QEMU harness', ['gnu-as', 'gnu-ld', 'cpp', 'qemu'], () => {
  test('registers and memory round-trip at EL2 and EL1; faults are reported with where they happened', async () => {
    const gprs: Partial<Record<number, bigint>> = {};
    for (let r = 0; r <= 30; r++) gprs[r] = 0x0101_0101_0101_0101n * BigInt(r + 1);
    const odd = Uint8Array.from({ length: 13 }, (_, i) => 0xa0 + i);
    const report = await runScenariosOnQemu({
      cpu: 'cortex-a57', includes: [], driver,
      cases: [
        plain('probe_ret', { gprs, memory: [{ addr: 0x4000_0003n, bytes: odd }, { addr: 0x43ff_fff0n, bytes: new Uint8Array(16).fill(0x5a) }] }),
        plain('probe_ret', { gprs, exceptionLevel: 1 }),
        plain('probe_brk'),
        plain('probe_store_x1_at_x0', { gprs: { 0: 1n << 40n } }),
        plain('probe_read_hcr_el2', { exceptionLevel: 1 }),
        plain('probe_ret', { sysregs: { mdscr_el1: 1n, oslsr_el1: 0n } }),
        plain('probe_store_x1_at_x0', { gprs: { 0: 0x4000_0008n, 1: 0x0102030405060708n }, memory: [{ addr: 0x4000_0000n, bytes: new Uint8Array(24).fill(0xee) }] }),
      ],
    });
    const [el2, el1, brk, abort, hcr, setup, store] = report.results;
    for (const r of [el2!, el1!]) {
      expect(r.fault).toBeUndefined();
      expect(r.gprs.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, i) => gprs[i]));
      // x30 is the harness's return address: inside the image, not the case's value.
      expect(r.gprs[30]! >= IMAGE_BASE && r.gprs[30]! < IMAGE_BASE + 0x10_0000n).toBe(true);
    }
    // ... and exactly the one the report names for the exception level.
    expect(el2!.gprs[30]).toBe(report.image.returnAddresses[2]);
    expect(el1!.gprs[30]).toBe(report.image.returnAddresses[1]);
    // The image's symbols and words: probe_ret is a lone `ret`.
    const at = Number((report.image.symbols.get('probe_ret')! - report.image.text.addr) / 4n);
    expect(report.image.text.words[at]).toBe(0xd65f03c0);
    expect(el2!.memory.map((m) => Array.from(m.bytes))).toEqual([Array.from(odd), new Array(16).fill(0x5a)]);
    expect(brk!.fault).toMatchObject({ kind: 'exception', ec: 0x3c, syndromeEl: 2, phase: 'routine' });
    expect(brk!.fault!.message).toMatch(/^BRK \(EC 0x3c\) at EL2 during routine at probe_brk \(.*probes\.S:\d+\); ESR_EL2=0xf2000042 /);
    expect(abort!.fault).toMatchObject({ kind: 'data-abort', ec: 0x25, far: 1n << 40n });
    expect(abort!.gprs[0]).toBe(1n << 40n);
    expect(hcr!.fault).toMatchObject({ kind: 'undefined-instruction', syndromeEl: 1 });
    expect(hcr!.fault!.message).toContain('taken to EL1 during routine at probe_read_hcr_el2');
    // OSLSR_EL1 is read-only: the write in setup is UNDEFINED, so no registers are read back.
    expect(setup!.fault).toMatchObject({ kind: 'undefined-instruction', phase: 'setup' });
    expect(setup!.sysregs).toEqual({});
    expect(Array.from(store!.memory[0]!.bytes)).toEqual([...new Array(8).fill(0xee), 8, 7, 6, 5, 4, 3, 2, 1, ...new Array(8).fill(0xee)]);
  });

  test("an EL2 case's HCR_EL2 reads back as the case left it (read back before the harness resets it)", async () => {
    const report = await runScenariosOnQemu({
      cpu: 'cortex-a57', includes: [], driver,
      cases: [plain('probe_ret', { sysregs: { hcr_el2: 0n } }), plain('probe_ret', { sysregs: { hcr_el2: 1n << 31n } }), plain('probe_ret', { sysregs: { hcr_el2: 0n } })],
    });
    expect(report.results.map((r) => r.sysregs['hcr_el2'])).toEqual([0n, 1n << 31n, 0n]);
  });

  test('output larger than the runtime buffer is flushed on the way (semihosting console)', async () => {
    // 48 KiB changed: about 100 KB of hex, more than the 64 KiB buffer.
    const big = new Uint8Array(48 * 1024);
    const report = await runScenariosOnQemu({
      cpu: 'cortex-a57', includes: [], driver,
      cases: [
        plain('probe_store_x1_at_x0', { gprs: { 0: 0x4010_0000n, 1: 0x1122334455667788n }, memory: [{ addr: 0x4010_0000n, bytes: big.fill(0xab, 8) }] }),
        plain('probe_current_el'),
      ],
    });
    const after = report.results[0]!.memory[0]!.bytes;
    expect(after.length).toBe(big.length);
    expect(u64At(after, 0)).toBe(0x1122334455667788n);
    expect(after.subarray(8).every((b) => b === 0xab)).toBe(true);
    expect(report.results[1]!.gprs[0]).toBe(8n);
  });

  test('a hanging case costs one timeout; the cases after it run in a fresh boot', async () => {
    const report = await runScenariosOnQemu({
      cpu: 'cortex-a57', includes: [], driver, timeoutMs: 1500,
      cases: [plain('probe_current_el'), plain('probe_spin'), plain('probe_current_el', { exceptionLevel: 1 })],
    });
    expect(report.timing.boots).toBe(2);
    expect(report.results[0]!.gprs[0]).toBe(8n);
    expect(report.results[1]!.fault).toMatchObject({ kind: 'timeout' });
    expect(report.results[1]!.fault!.message).toBe('case 1 (probe_spin) did not finish: QEMU was killed after the 1500 ms timeout');
    expect(report.results[2]!.gprs[0]).toBe(4n);
  });

  test('includes are pasted before the driver and defines reach the preprocessor', async () => {
    const report = await runScenariosOnQemu({
      cpu: 'cortex-a57', driver: `${FIXTURES}include_driver.S`,
      includes: [`${GENERATED_INCLUDE}/asm-offsets-sim.h`, `${GENERATED_ASM}/debug_switch.S`], includeDirs: [GENERATED_INCLUDE],
      defines: { EXTRA_DEFINE: '0x2a' }, cases: [plain('read_offsets')],
    });
    // CPU_SYSREG_OFFSET(MDCCINT_EL1) = CPU_SYSREGS (0x320) + 8 * 87
    expect(report.results[0]!.gprs.slice(0, 2)).toEqual([0x320n + 8n * 87n, 0x2an]);
  });

  test('a routine the driver does not define is an input error naming the case', async () => {
    await expect(runScenariosOnQemu({ cpu: 'cortex-a57', includes: [], driver, cases: [plain('probe_ret'), plain('no_such_routine')] })).rejects.toThrow(
      `case 1: routine no_such_routine is not defined by the driver ${driver} or its includes`,
    );
  });

  test('an assembler error in the driver names the original file and line', async () => {
    await expect(
      runScenariosOnQemu({ cpu: 'cortex-a57', includes: [], includeDirs: [GENERATED_INCLUDE], driver: `${FIXTURES}bad_driver.S`, cases: [plain('bad')] }),
    ).rejects.toThrow(/assembling the driver \(GNU as\) failed[^]*bad_driver\.S:7: Error: unknown mnemonic `mvo'/);
  });
});
