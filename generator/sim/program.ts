// An assembled program: 32-bit words laid out from a base address, with their source.

import type { SourceLoc } from './errors.js';

/** What a word of the image is: an instruction, a data directive (.word/.quad/.inst), or .align padding. */
export type WordKind = 'insn' | 'data' | 'pad';

export class Program {
  /** Number of 32-bit words. */
  readonly length: number;
  private readonly baseLo: number;
  private readonly baseHi: number;

  constructor(
    /** Address of words[0]; a multiple of 4. */
    readonly base: bigint,
    /** The image, one A64 word per entry (data words included). */
    readonly words: Uint32Array,
    /** Every named label, to its address. Numeric local labels are not included. */
    readonly symbols: ReadonlyMap<string, bigint>,
    /** Source location of each word (for padding: the .align directive). */
    readonly locs: readonly SourceLoc[],
    /** Normalised source text of each word, e.g. "str x20, [x3, #(15 * 8)]". */
    readonly texts: readonly string[],
    readonly kinds: readonly WordKind[],
  ) {
    this.length = words.length;
    this.baseLo = Number(base & 0xffffffffn);
    this.baseHi = Number((base >> 32n) & 0xffffffffn);
  }

  addressOf(index: number): bigint {
    return BigInt.asUintN(64, this.base + 4n * BigInt(index));
  }

  /** Word index of an address inside the image, or undefined. */
  indexOf(pc: bigint): number | undefined {
    const off = BigInt.asUintN(64, pc - this.base);
    if (off % 4n !== 0n || off >= 4n * BigInt(this.length)) return undefined;
    return Number(off / 4n);
  }

  /** The address of a label; throws if the program does not define it. */
  symbol(name: string): bigint {
    const v = this.symbols.get(name);
    if (v === undefined) {
      const known = [...this.symbols.keys()].sort().join(', ');
      throw new Error(`program defines no label '${name}' (labels: ${known || 'none'})`);
    }
    return v;
  }

  /** 32-bit halves of the base, for the compiled code. */
  get baseHalves(): [number, number] {
    return [this.baseLo, this.baseHi];
  }
}
