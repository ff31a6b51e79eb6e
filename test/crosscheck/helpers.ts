// Shared by the cross-check tests: the probe driver, the default table's plan and generated files
// (emitted in memory, as the crosscheck command does), and small value helpers.

import { join } from 'node:path';

import { loadCrosscheckInputs } from '../../generator/crosscheck/inputs.js';
import { resolveInputs } from '../../generator/index.js';
import { touchedSysregs } from '../../generator/verify/verify.js';
import { PACKAGE_ROOT } from '../../generator/paths.js';
import { FIXTURES } from './needs-tools.js';

/** Small routines that probe QEMU and the harness (no world-switch code). */
export const PROBES = `${FIXTURES}probes.S`;
export const GENERATED_INCLUDE = join(PACKAGE_ROOT, 'generated', 'include');
export const GENERATED_ASM = join(PACKAGE_ROOT, 'generated', 'asm');

let cached: ReturnType<typeof loadCrosscheckInputs> | undefined;
/** The default table and CPU file, lowered, with the macros and headers `generate` writes. */
export function defaults() {
  cached ??= loadCrosscheckInputs(resolveInputs({}));
  if (!cached.plan) throw new Error('the default table does not load');
  return { plan: cached.plan, files: cached.files, cpus: cached.cpus };
}

/** ID_AA64DFR0_EL1 with BRPs [15:12] and WRPs [23:20] replaced (each holds count - 1). */
export function dfr0WithCounts(base: bigint, breakpoints: number, watchpoints: number): bigint {
  return (base & ~(0xfn << 12n) & ~(0xfn << 20n)) | (BigInt(breakpoints - 1) << 12n) | (BigInt(watchpoints - 1) << 20n);
}

/** u64 at a byte offset of a buffer (little-endian). */
export function u64At(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, true);
}

/** xorshift64*: deterministic 64-bit values for the measurement tests. */
export class Rng64 {
  private s: bigint;
  constructor(seed: bigint) {
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

/** Every system register the generated macros touch on a CPU with 6 BPs and 4 WPs. */
export function macroRegisters(): string[] {
  return touchedSysregs(defaults().plan, { BRPs: 6, WRPs: 4 });
}

/** A random value for a register, as the cross-check would set it (HCR_EL2: RW only). */
export function randomValue(rng: Rng64, name: string): bigint {
  const v = rng.u64();
  return name === 'hcr_el2' ? v & (1n << 31n) : v;
}
