// What QEMU 7.2's model of the debug registers does differently from "a register keeps the 64
// bits written to it": REFERENCE.md §6, plus DBGVCR32_EL2, which REFERENCE.md does not list but
// which behaves like MDCCINT_EL1. All are measured on cortex-a57 by test/crosscheck/quirks.test.ts
// (and on cortex-a53, cortex-a72 and max by test/crosscheck/cpus.test.ts).
// The cross-check applies exactly these and names the one it applied, so a difference that no
// quirk explains is never hidden.

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
];

export type QemuReadBack =
  | { observable: true; value: bigint; quirk?: QemuRegisterQuirk }
  | { observable: false; quirk: QemuRegisterQuirk };

/** What QEMU 7.2 reads back from `register` after `written` was written to it. */
export function qemuReadBack(register: string, written: bigint): QemuReadBack {
  const quirk = QEMU_7_2_QUIRKS.find((q) => q.appliesTo(register));
  if (!quirk) return { observable: true, value: written };
  const value = quirk.readBack(written);
  return value === undefined ? { observable: false, quirk } : { observable: true, value, quirk };
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
