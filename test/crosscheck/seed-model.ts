// The fixture's layout (fixtures/seed_header.h) seen from TypeScript, a seeded PRNG, and a
// small reference model of the seed's save_debug/restore_debug that the QEMU results are
// compared with until the project's simulator takes over that role.

import type { MemoryRegion } from '../../generator/verify/scenario.js';

/** Mirrors seed_header.h (slot indices from REFERENCE.md §4; simulated asm-offsets). */
export const CPU_SYSREGS = 800;
export const NR_SYS_REGS = 94;
export const SLOT = {
  MDSCR_EL1: 22,
  DBGBCR0_EL1: 23,
  DBGBVR0_EL1: 39,
  DBGWCR0_EL1: 55,
  DBGWVR0_EL1: 71,
  MDCCINT_EL1: 87,
  DACR32_EL2: 88,
  DBGVCR32_EL2: 91,
} as const;
export const VCPU = { HCR_EL2: 0, DEBUG_FLAGS: 8, HOST_CONTEXT: 16, CONTEXT: 32 } as const;
export const CONTEXT_BYTES = CPU_SYSREGS + 8 * NR_SYS_REGS;
export const VCPU_BYTES = VCPU.CONTEXT + CONTEXT_BYTES;

export const slotOffset = (slot: number) => CPU_SYSREGS + 8 * slot;

/** The four banks in the seed's order; `breakpoint` says which count (BRPs or WRPs) governs it. */
export const BANKS = [
  { name: 'dbgbcr', slot: SLOT.DBGBCR0_EL1, breakpoint: true },
  { name: 'dbgbvr', slot: SLOT.DBGBVR0_EL1, breakpoint: true },
  { name: 'dbgwcr', slot: SLOT.DBGWCR0_EL1, breakpoint: false },
  { name: 'dbgwvr', slot: SLOT.DBGWVR0_EL1, breakpoint: false },
] as const;

/** ID_AA64DFR0_EL1 with BRPs [15:12] and WRPs [23:20] replaced (each holds count - 1). */
export function dfr0WithCounts(base: bigint, breakpoints: number, watchpoints: number): bigint {
  return (base & ~(0xfn << 12n) & ~(0xfn << 20n)) | (BigInt(breakpoints - 1) << 12n) | (BigInt(watchpoints - 1) << 20n);
}

/** xorshift64*: deterministic 64-bit values from a printed seed. */
export class Rng {
  private s: bigint;
  constructor(readonly seed: bigint) {
    this.s = seed === 0n ? 0x9e3779b97f4a7c15n : seed & ((1n << 64n) - 1n);
  }
  u64(): bigint {
    const M = (1n << 64n) - 1n;
    let x = this.s;
    x ^= x >> 12n;
    x ^= (x << 25n) & M;
    x ^= x >> 27n;
    this.s = x;
    return (x * 0x2545f4914f6cdd1dn) & M;
  }
}

/** A struct kvm_cpu_context's bytes, addressed by sys_regs slot. */
export class Context {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(bytes?: Uint8Array) {
    this.bytes = bytes ? new Uint8Array(bytes) : new Uint8Array(CONTEXT_BYTES);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }
  static random(rng: Rng): Context {
    const c = new Context();
    for (let o = 0; o < CONTEXT_BYTES; o += 8) c.view.setBigUint64(o, rng.u64(), true);
    return c;
  }
  slot(i: number): bigint {
    return this.view.getBigUint64(slotOffset(i), true);
  }
  setSlot(i: number, v: bigint): void {
    this.view.setBigUint64(slotOffset(i), v, true);
  }
  region(addr: bigint): MemoryRegion {
    return { addr, bytes: new Uint8Array(this.bytes) };
  }
}

/** u64 at a byte offset of a buffer (little-endian). */
export function u64At(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, true);
}

export function setU64At(bytes: Uint8Array, offset: number, v: bigint): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setBigUint64(offset, v, true);
}

/** The live breakpoint/watchpoint registers of a CPU with `bps`/`wps` of them, random values. */
export function randomDebugRegisters(rng: Rng, bps: number, wps: number): Record<string, bigint> {
  const regs: Record<string, bigint> = {};
  for (const bank of BANKS) {
    const count = bank.breakpoint ? bps : wps;
    for (let n = 0; n < count; n++) regs[`${bank.name}${n}_el1`] = rng.u64();
  }
  return regs;
}

/**
 * x5..x20 after save_debug/restore_debug: register x(5+n) last received bank entry n of the
 * last bank that covered n (banks run BCR, BVR, WCR, WVR and each covers n < its count).
 */
export function bankScratchAfter(initial: Partial<Record<number, bigint>>, bankValue: (bank: number, n: number) => bigint, bps: number, wps: number): Record<number, bigint> {
  const out: Record<number, bigint> = {};
  for (let n = 0; n < 16; n++) {
    let v = initial[5 + n] ?? 0n;
    BANKS.forEach((bank, b) => {
      if (n < (bank.breakpoint ? bps : wps)) v = bankValue(b, n);
    });
    out[5 + n] = v;
  }
  return out;
}
