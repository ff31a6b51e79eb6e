// Pass 3: A64 word -> operation. Execution works from these records, never from the source text.
//
// Decoding follows the Arm ARM encoding tables for the classes the simulator models; every other
// word (including reserved field values of modelled classes) is `undefined` here and becomes an
// `unknown-instruction` fault if executed.

import { sysRegName } from './sysregs.js';

export type Decoded =
  | { op: 'addsub_imm'; sf: boolean; sub: boolean; s: boolean; imm: number; rn: number; rd: number }
  | { op: 'addsub_shift'; sf: boolean; sub: boolean; s: boolean; shift: number; amount: number; rm: number; rn: number; rd: number }
  | { op: 'addsub_ext'; sf: boolean; sub: boolean; s: boolean; option: number; amount: number; rm: number; rn: number; rd: number }
  | { op: 'logic_imm'; sf: boolean; opc: number; immLo: number; immHi: number; rn: number; rd: number }
  | { op: 'logic_shift'; sf: boolean; opc: number; invert: boolean; shift: number; amount: number; rm: number; rn: number; rd: number }
  | { op: 'movw'; sf: boolean; opc: 0 | 2 | 3; hw: number; imm16: number; rd: number }
  | { op: 'bitfield'; sf: boolean; opc: 0 | 1 | 2; immr: number; imms: number; rn: number; rd: number }
  | { op: 'shiftv'; sf: boolean; kind: number; rm: number; rn: number; rd: number }
  | { op: 'csel'; sf: boolean; invert: boolean; increment: boolean; cond: number; rm: number; rn: number; rd: number }
  | { op: 'adr'; rd: number; offset: number }
  | { op: 'b'; link: boolean; offset: number }
  | { op: 'bcond'; cond: number; offset: number }
  | { op: 'cbz'; sf: boolean; nz: boolean; rt: number; offset: number }
  | { op: 'tbz'; nz: boolean; bit: number; rt: number; offset: number }
  | { op: 'breg'; kind: 'br' | 'blr' | 'ret'; rn: number }
  | { op: 'ldst'; size: 1 | 2 | 4 | 8; load: boolean; mode: 'uoff' | 'unscaled' | 'pre' | 'post'; offset: number; rn: number; rt: number }
  | { op: 'ldstp'; size: 4 | 8; load: boolean; mode: 'off' | 'pre' | 'post'; offset: number; rn: number; rt: number; rt2: number }
  | { op: 'mrs'; key: number; rt: number }
  | { op: 'msr'; key: number; rt: number }
  | { op: 'nop' }
  | { op: 'barrier'; kind: 'isb' | 'dsb' | 'dmb'; crm: number }
  | { op: 'exception'; kind: 'svc' | 'hvc' | 'smc' | 'brk' | 'hlt'; imm16: number }
  | { op: 'eret' };

const sext = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

/** ARM ARM DecodeBitMasks: (wmask, tmask) as 64-bit BigInts, or undefined for reserved encodings. */
export function decodeBitMasks(n: number, imms: number, immr: number, immediate: boolean, datasize: number): { wmask: bigint; tmask: bigint } | undefined {
  const combined = (n << 6) | (~imms & 0x3f);
  let len = -1;
  for (let b = 6; b >= 0; b--) {
    if ((combined >> b) & 1) {
      len = b;
      break;
    }
  }
  if (len < 1) return undefined;
  const esize = 1 << len;
  if (esize > datasize) return undefined;
  const levels = esize - 1;
  if (immediate && (imms & levels) === levels) return undefined;
  const s = imms & levels;
  const r = immr & levels;
  const d = (s - r) & levels;
  const ones = (k: number): bigint => (1n << BigInt(k)) - 1n;
  const emask = ones(esize);
  const welem = ones(s + 1);
  const telem = ones(d + 1);
  const ror = (x: bigint): bigint => (r === 0 ? x : ((x >> BigInt(r)) | (x << BigInt(esize - r))) & emask);
  const replicate = (x: bigint): bigint => {
    let out = 0n;
    for (let i = 0; i < datasize; i += esize) out |= x << BigInt(i);
    return out;
  };
  return { wmask: replicate(ror(welem)), tmask: replicate(telem) };
}

/** Decode one word; undefined if the simulator does not model it. */
export function decode(w: number): Decoded | undefined {
  w >>>= 0;
  const sf = (w >>> 31) === 1;
  const rd = w & 31;
  const rn = (w >>> 5) & 31;
  const rm = (w >>> 16) & 31;

  // Data processing - immediate
  switch (w & 0x1f800000) {
    case 0x11000000: {
      const sh = (w >>> 22) & 1;
      const imm12 = (w >>> 10) & 0xfff;
      return { op: 'addsub_imm', sf, sub: ((w >>> 30) & 1) === 1, s: ((w >>> 29) & 1) === 1, imm: sh ? imm12 * 4096 : imm12, rn, rd };
    }
    case 0x12000000: {
      const nbit = (w >>> 22) & 1;
      if (!sf && nbit) return undefined;
      const m = decodeBitMasks(nbit, (w >>> 10) & 0x3f, (w >>> 16) & 0x3f, true, sf ? 64 : 32);
      if (!m) return undefined;
      return { op: 'logic_imm', sf, opc: (w >>> 29) & 3, immLo: Number(m.wmask & 0xffffffffn), immHi: Number(m.wmask >> 32n), rn, rd };
    }
    case 0x12800000: {
      const opc = (w >>> 29) & 3;
      const hw = (w >>> 21) & 3;
      if (opc === 1 || (!sf && hw >= 2)) return undefined;
      return { op: 'movw', sf, opc: opc as 0 | 2 | 3, hw, imm16: (w >>> 5) & 0xffff, rd };
    }
    case 0x13000000: {
      const opc = (w >>> 29) & 3;
      const nbit = (w >>> 22) & 1;
      const immr = (w >>> 16) & 0x3f;
      const imms = (w >>> 10) & 0x3f;
      if (opc === 3 || nbit !== (sf ? 1 : 0) || (!sf && (immr >= 32 || imms >= 32))) return undefined;
      return { op: 'bitfield', sf, opc: opc as 0 | 1 | 2, immr, imms, rn, rd };
    }
  }

  // Data processing - register
  if ((w & 0x1f200000) === 0x0b000000) {
    const shift = (w >>> 22) & 3;
    const amount = (w >>> 10) & 0x3f;
    if (shift === 3 || (!sf && amount >= 32)) return undefined;
    return { op: 'addsub_shift', sf, sub: ((w >>> 30) & 1) === 1, s: ((w >>> 29) & 1) === 1, shift, amount, rm, rn, rd };
  }
  if ((w & 0x1fe00000) === 0x0b200000) {
    const amount = (w >>> 10) & 7;
    if (amount > 4) return undefined;
    return { op: 'addsub_ext', sf, sub: ((w >>> 30) & 1) === 1, s: ((w >>> 29) & 1) === 1, option: (w >>> 13) & 7, amount, rm, rn, rd };
  }
  if ((w & 0x1f000000) === 0x0a000000) {
    const amount = (w >>> 10) & 0x3f;
    if (!sf && amount >= 32) return undefined;
    return { op: 'logic_shift', sf, opc: (w >>> 29) & 3, invert: ((w >>> 21) & 1) === 1, shift: (w >>> 22) & 3, amount, rm, rn, rd };
  }
  if ((w & 0x7fe00000) === 0x1ac00000) {
    const opcode = (w >>> 10) & 0x3f;
    if (opcode >= 8 && opcode <= 11) return { op: 'shiftv', sf, kind: opcode - 8, rm, rn, rd };
    return undefined;
  }
  if ((w & 0x3fe00800) === 0x1a800000) {
    return { op: 'csel', sf, invert: ((w >>> 30) & 1) === 1, increment: ((w >>> 10) & 1) === 1, cond: (w >>> 12) & 15, rm, rn, rd };
  }

  // Branches, exceptions, system
  if (((w & 0x9f000000) >>> 0) === 0x10000000) {
    const imm = (((w >>> 5) & 0x7ffff) << 2) | ((w >>> 29) & 3);
    return { op: 'adr', rd, offset: sext(imm, 21) };
  }
  if ((w & 0x7c000000) === 0x14000000) return { op: 'b', link: sf, offset: sext(w & 0x3ffffff, 26) * 4 };
  if (((w & 0xff000010) >>> 0) === 0x54000000) return { op: 'bcond', cond: w & 15, offset: sext((w >>> 5) & 0x7ffff, 19) * 4 };
  if ((w & 0x7e000000) === 0x34000000) return { op: 'cbz', sf, nz: ((w >>> 24) & 1) === 1, rt: rd, offset: sext((w >>> 5) & 0x7ffff, 19) * 4 };
  if ((w & 0x7e000000) === 0x36000000) {
    return { op: 'tbz', nz: ((w >>> 24) & 1) === 1, bit: ((w >>> 31) << 5) | ((w >>> 19) & 31), rt: rd, offset: sext((w >>> 5) & 0x3fff, 14) * 4 };
  }
  switch ((w & 0xfffffc1f) >>> 0) {
    case 0xd61f0000: return { op: 'breg', kind: 'br', rn };
    case 0xd63f0000: return { op: 'breg', kind: 'blr', rn };
    case 0xd65f0000: return { op: 'breg', kind: 'ret', rn };
  }
  if (w === 0xd69f03e0) return { op: 'eret' };
  if (((w & 0xfff00000) >>> 0) === 0xd5300000) return { op: 'mrs', key: (w >>> 5) & 0x7fff, rt: rd };
  if (((w & 0xfff00000) >>> 0) === 0xd5100000) return { op: 'msr', key: (w >>> 5) & 0x7fff, rt: rd };
  if (w === 0xd503201f) return { op: 'nop' };
  switch ((w & 0xfffff0ff) >>> 0) {
    case 0xd50330df: return { op: 'barrier', kind: 'isb', crm: (w >>> 8) & 15 };
    case 0xd503309f: return { op: 'barrier', kind: 'dsb', crm: (w >>> 8) & 15 };
    case 0xd50330bf: return { op: 'barrier', kind: 'dmb', crm: (w >>> 8) & 15 };
  }
  const imm16 = (w >>> 5) & 0xffff;
  switch ((w & 0xffe0001f) >>> 0) {
    case 0xd4000001: return { op: 'exception', kind: 'svc', imm16 };
    case 0xd4000002: return { op: 'exception', kind: 'hvc', imm16 };
    case 0xd4000003: return { op: 'exception', kind: 'smc', imm16 };
    case 0xd4200000: return { op: 'exception', kind: 'brk', imm16 };
    case 0xd4400000: return { op: 'exception', kind: 'hlt', imm16 };
  }

  // Loads and stores (general-purpose registers only)
  const size = (1 << (w >>> 30)) as 1 | 2 | 4 | 8;
  const opc = (w >>> 22) & 3;
  if ((w & 0x3f000000) === 0x39000000) {
    if (opc > 1) return undefined; // sign-extending loads are not modelled
    return { op: 'ldst', size, load: opc === 1, mode: 'uoff', offset: ((w >>> 10) & 0xfff) * size, rn, rt: rd };
  }
  if ((w & 0x3f200000) === 0x38000000) {
    if (opc > 1) return undefined;
    const kind = (w >>> 10) & 3;
    if (kind === 2) return undefined; // unprivileged (LDTR/STTR)
    const mode = (['unscaled', 'post', '', 'pre'] as const)[kind] as 'unscaled' | 'post' | 'pre';
    return { op: 'ldst', size, load: opc === 1, mode, offset: sext((w >>> 12) & 0x1ff, 9), rn, rt: rd };
  }
  if ((w & 0x3c000000) === 0x28000000) {
    const popc = w >>> 30;
    const mode = (w >>> 23) & 7;
    if ((popc !== 0 && popc !== 2) || mode === 0 || mode > 3) return undefined;
    const psize = popc === 2 ? 8 : 4;
    return {
      op: 'ldstp', size: psize, load: ((w >>> 22) & 1) === 1, mode: (['', 'post', 'off', 'pre'] as const)[mode] as 'off' | 'pre' | 'post',
      offset: sext((w >>> 15) & 0x7f, 7) * psize, rn, rt: rd, rt2: (w >>> 10) & 31,
    };
  }
  return undefined;
}

const LOGIC_NAMES = [['and', 'bic'], ['orr', 'orn'], ['eor', 'eon'], ['ands', 'bics']] as const;
const SHIFT_NAMES = ['lsl', 'lsr', 'asr', 'ror'];

/** A readable name of the instruction form, used by the lint report (e.g. "ldr Xt, [Xn|SP, #uimm]"). */
export function formOf(d: Decoded): string {
  const R = (sf: boolean): string => (sf ? 'X' : 'W');
  switch (d.op) {
    case 'addsub_imm': return `${d.sub ? 'sub' : 'add'}${d.s ? 's' : ''} ${R(d.sf)}d, ${R(d.sf)}n|SP, #imm (immediate)`;
    case 'addsub_shift': return `${d.sub ? 'sub' : 'add'}${d.s ? 's' : ''} ${R(d.sf)}d, ${R(d.sf)}n, ${R(d.sf)}m, shift (shifted register)`;
    case 'addsub_ext': return `${d.sub ? 'sub' : 'add'}${d.s ? 's' : ''} ${R(d.sf)}d|SP, ${R(d.sf)}n|SP, Rm, extend (extended register)`;
    case 'logic_imm': return `${LOGIC_NAMES[d.opc]![0]} ${R(d.sf)}d, ${R(d.sf)}n, #bitmask (immediate)`;
    case 'logic_shift': return `${LOGIC_NAMES[d.opc]![d.invert ? 1 : 0]} ${R(d.sf)}d, ${R(d.sf)}n, ${R(d.sf)}m, shift (shifted register)`;
    case 'movw': return `${{ 0: 'movn', 2: 'movz', 3: 'movk' }[d.opc]} ${R(d.sf)}d, #imm16, lsl #shift`;
    case 'bitfield': return `${['sbfm', 'bfm', 'ubfm'][d.opc]} ${R(d.sf)}d, ${R(d.sf)}n, #immr, #imms`;
    case 'shiftv': return `${SHIFT_NAMES[d.kind]}v ${R(d.sf)}d, ${R(d.sf)}n, ${R(d.sf)}m`;
    case 'csel': return `${d.invert ? (d.increment ? 'csneg' : 'csinv') : d.increment ? 'csinc' : 'csel'} ${R(d.sf)}d, ${R(d.sf)}n, ${R(d.sf)}m, cond`;
    case 'adr': return 'adr Xd, label';
    case 'b': return `${d.link ? 'bl' : 'b'} label`;
    case 'bcond': return 'b.cond label';
    case 'cbz': return `${d.nz ? 'cbnz' : 'cbz'} ${R(d.sf)}t, label`;
    case 'tbz': return `${d.nz ? 'tbnz' : 'tbz'} Rt, #bit, label`;
    case 'breg': return d.kind === 'ret' ? 'ret Xn' : `${d.kind} Xn`;
    case 'ldst': {
      const name = `${d.load ? 'ld' : 'st'}${d.mode === 'unscaled' ? 'ur' : 'r'}${d.size === 1 ? 'b' : d.size === 2 ? 'h' : ''}`;
      const rt = d.size === 8 ? 'Xt' : 'Wt';
      const addr = { uoff: '[Xn|SP, #uimm]', unscaled: '[Xn|SP, #simm]', pre: '[Xn|SP, #simm]!', post: '[Xn|SP], #simm' }[d.mode];
      return `${name} ${rt}, ${addr}`;
    }
    case 'ldstp': {
      const r = d.size === 8 ? 'X' : 'W';
      const addr = { off: '[Xn|SP, #simm]', pre: '[Xn|SP, #simm]!', post: '[Xn|SP], #simm' }[d.mode];
      return `${d.load ? 'ldp' : 'stp'} ${r}t, ${r}t2, ${addr}`;
    }
    case 'mrs': return 'mrs Xt, sysreg';
    case 'msr': return 'msr sysreg, Xt';
    case 'nop': return 'nop';
    case 'barrier': return d.kind;
    case 'exception': return `${d.kind} #imm16`;
    case 'eret': return 'eret';
  }
}

/** A short disassembly-like description for messages (not GNU objdump syntax). */
export function describe(d: Decoded): string {
  switch (d.op) {
    case 'mrs': return `mrs x${d.rt}, ${sysRegName(d.key)}`;
    case 'msr': return `msr ${sysRegName(d.key)}, x${d.rt}`;
    default: return formOf(d);
  }
}

/** Whether the operation ends a straight-line run (it may change the pc or stop the machine). */
export function endsBlock(d: Decoded): boolean {
  switch (d.op) {
    case 'b': case 'bcond': case 'cbz': case 'tbz': case 'breg': case 'exception': case 'eret':
      return true;
    default:
      return false;
  }
}
