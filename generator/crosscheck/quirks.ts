// What QEMU 7.2 does differently from "a register keeps the 64 bits written to it", for every
// system register the generated macros touch: the debug registers of REFERENCE.md §6, plus
// DBGVCR32_EL2 (which behaves like MDCCINT_EL1) and five registers of the eager EL1 group. All are
// measured by test/crosscheck/quirks.test.ts on every QEMU CPU model the harness knows; every bit
// of every other register the macros touch is measured to read back as written.
// The cross-check applies exactly these and names the ones it applied, so a difference that no
// quirk explains is never hidden. The simulator models QEMU through qemuSimModel(), built from
// this table, so the table is the one place these facts live.

import type { CpuModelOptions } from '../sim/index.js';
import { SYSREGS } from '../sim/index.js';

export interface QemuRegisterQuirk {
  /** Stable name used in messages, e.g. "dbgbcr-bas-mirror". */
  id: string;
  /** Lower-case assembler names the quirk applies to. */
  appliesTo: (register: string) => boolean;
  description: string;
  /**
   * The value an MRS returns after an MSR of `written`; `undefined` means the register is not
   * observable at all (a read leaves the destination register unchanged).
   */
  readBack: (written: bigint) => bigint | undefined;
}

const bit = (v: bigint, n: number) => (v >> BigInt(n)) & 1n;
const withBit = (v: bigint, n: number, b: bigint) => (v & ~(1n << BigInt(n))) | (b << BigInt(n));

export const QEMU_7_2_QUIRKS: readonly QemuRegisterQuirk[] = [
  {
    id: 'dbgbcr-bas-mirror',
    appliesTo: (r) => /^dbgbcr([0-9]|1[0-5])_el1$/.test(r),
    description: 'DBGBCRn_EL1.BAS: bit 6 reads as a copy of bit 5 and bit 8 as a copy of bit 7 (QEMU dbgbcr_write)',
    readBack: (v) => withBit(withBit(v, 6, bit(v, 5)), 8, bit(v, 7)),
  },
  {
    id: 'dbgwvr-low-bits-res0',
    appliesTo: (r) => /^dbgwvr([0-9]|1[0-5])_el1$/.test(r),
    description: 'DBGWVRn_EL1 bits [1:0] are RES0 and read as 0 (QEMU dbgwvr_write)',
    readBack: (v) => v & ~3n,
  },
  {
    id: 'mdccint-not-modelled',
    appliesTo: (r) => r === 'mdccint_el1',
    description: 'MDCCINT_EL1 is not modelled: writes are ignored and an MRS leaves its destination register unchanged',
    readBack: () => undefined,
  },
  {
    id: 'dbgvcr32-not-modelled',
    appliesTo: (r) => r === 'dbgvcr32_el2',
    description: 'DBGVCR32_EL2 is not modelled: writes are ignored and an MRS leaves its destination register unchanged',
    readBack: () => undefined,
  },
  {
    id: 'impdef-el1-raz-wi',
    appliesTo: (r) => r === 'actlr_el1' || r === 'afsr0_el1' || r === 'afsr1_el1' || r === 'amair_el1',
    description: 'ACTLR_EL1, AFSR0_EL1, AFSR1_EL1 and AMAIR_EL1 (IMPLEMENTATION DEFINED) are constant 0: writes are ignored, reads return 0',
    readBack: () => 0n,
  },
  {
    id: 'csselr-level-ind-only',
    appliesTo: (r) => r === 'csselr_el1',
    description: 'CSSELR_EL1 keeps only Level and InD (bits [3:0]); every other bit reads 0',
    readBack: (v) => v & 0xfn,
  },
  {
    id: 'sctlr-el1-mte-bits-res0',
    appliesTo: (r) => r === 'sctlr_el1',
    description: 'SCTLR_EL1 bits [43:37] (ITFSB, TCF0, TCF, ATA0, ATA) read 0: the virt board has no FEAT_MTE (QEMU sctlr_write)',
    readBack: (v) => v & ~(0x7fn << 37n),
  },
  {
    id: 'vbar-el1-low-bits-res0',
    appliesTo: (r) => r === 'vbar_el1',
    description: 'VBAR_EL1 bits [4:0] are RES0 and read 0 (QEMU vbar_write)',
    readBack: (v) => v & ~0x1fn,
  },
];

export type QemuReadBack =
  | { observable: true; value: bigint; quirk?: QemuRegisterQuirk }
  | { observable: false; quirk: QemuRegisterQuirk };

/** What QEMU 7.2 reads back from `register` after `written` was written to it. */
export function qemuReadBack(register: string, written: bigint): QemuReadBack {
  const quirk = quirkFor(register);
  if (!quirk) return { observable: true, value: written };
  const value = quirk.readBack(written);
  return value === undefined ? { observable: false, quirk } : { observable: true, value, quirk };
}

/** The quirk that applies to a register, if any. */
export function quirkFor(register: string): QemuRegisterQuirk | undefined {
  return QEMU_7_2_QUIRKS.find((q) => q.appliesTo(register));
}

/**
 * The simulator's model of QEMU 7.2, built from QEMU_7_2_QUIRKS: a register a quirk hides is
 * `ignored` (MSR does nothing, MRS leaves the destination unchanged, as on QEMU); every other
 * quirk becomes a write transform, so the value an MRS returns after an MSR is the quirk's.
 */
export function qemuSimModel(): CpuModelOptions {
  const writeTransforms: Record<string, (v: bigint) => bigint> = {};
  const ignored: string[] = [];
  for (const def of SYSREGS) {
    if (def.access === 'ro') continue;
    const q = quirkFor(def.name);
    if (!q) continue;
    if (q.readBack(0n) === undefined) ignored.push(def.name);
    else writeTransforms[def.name] = (v) => q.readBack(v) ?? v;
  }
  return { writeTransforms, ignored, name: 'QEMU 7.2 (QEMU_7_2_QUIRKS)' };
}

/**
 * Whether accessing a breakpoint/watchpoint register is UNDEFINED on a CPU with the given
 * counts (ID_AA64DFR0_EL1.BRPs/WRPs hold count - 1; registers n >= count do not exist).
 */
export function debugRegisterExists(register: string, breakpoints: number, watchpoints: number): boolean {
  const m = /^dbg(b|w)(c|v)r(\d+)_el1$/.exec(register);
  if (!m) return true;
  return Number(m[3]) < (m[1] === 'b' ? breakpoints : watchpoints);
}
