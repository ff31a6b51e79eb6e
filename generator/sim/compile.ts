// Pass 4: straight-line runs of decoded instructions -> one JavaScript function each.
//
// Machine state lives in typed arrays so the generated code needs no BigInt:
//   R: Uint32Array — x0..x30 as (lo, hi) pairs at R[2n], R[2n+1]; SP at R[62..63];
//      N, Z, C, V flags at R[64..67] (0 or 1); R[68..69] is a sink for writes to xzr.
//   S: Uint32Array — system register slots as (lo, hi) pairs, in sysregs.ts table order.
//   W: Int32Array  — per system register, the writer id of the last MSR that wrote it.
//   m: the execution context (memory access, faults, computed branches).
// Each function runs from its entry index to the first instruction that may change the pc
// (inclusive) and returns the index of the next instruction, or SENTINEL_INDEX on a return to the
// caller. Whatever the CPU model decides statically (is DBGBCR6_EL1 implemented? which bits does a
// write keep?) is baked into the code, so a compiled block belongs to one (machine, program) pair.

import type { Decoded } from './decode.js';
import { decodeBitMasks } from './decode.js';
import { CpuModel, SYSREG_INDEX, sysRegByKey, sysRegName, ALL_BITS } from './sysregs.js';

export const R_SP = 62;
export const R_FLAGS = 64;
export const R_SINK = 68;
export const R_SIZE = 70;
/** Returned by a block when control reaches the return sentinel. */
export const SENTINEL_INDEX = -(2 ** 40);

export interface BlockContext {
  model: CpuModel;
  /** Number of words in the program. */
  length: number;
  /** Address of word `i`, as 32-bit halves. */
  addressHalves(i: number): [number, number];
  /** Writer id recorded for instruction `i` (0 means "not written by the program"). */
  writerId(i: number): number;
}

const lo = (n: number, sp: boolean): string => (n === 31 ? (sp ? 'R[62]' : '0') : `R[${2 * n}]`);
const hi = (n: number, sp: boolean): string => (n === 31 ? (sp ? 'R[63]' : '0') : `R[${2 * n + 1}]`);
const hexn = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** Write a register from already-computed locals/expressions (32-bit forms zero the upper half). */
function setReg(n: number, sp: boolean, sf: boolean, l: string, h: string): string {
  if (n === 31 && !sp) return '';
  const i = n === 31 ? R_SP : 2 * n;
  return `R[${i}]=${l};R[${i + 1}]=${sf ? h : '0'};`;
}

/** Destination index for a load (xzr goes to the sink). */
const loadDst = (n: number): number => (n === 31 ? R_SINK : 2 * n);

/**
 * Emit statements computing a 64-bit (or 32-bit) value shifted by a constant into locals `ol`/`oh`.
 * type: 0 lsl, 1 lsr, 2 asr, 3 ror. Inputs are expressions of 32-bit unsigned values.
 */
function shiftConst(type: number, amount: number, sf: boolean, il: string, ih: string): string {
  if (!sf) {
    if (amount === 0) return `let ol=${il};let oh=0;`;
    switch (type) {
      case 0: return `let ol=(${il}<<${amount})>>>0;let oh=0;`;
      case 1: return `let ol=${il}>>>${amount};let oh=0;`;
      case 2: return `let ol=(${il}>>${amount})>>>0;let oh=0;`;
      default: return `let ol=((${il}>>>${amount})|(${il}<<${32 - amount}))>>>0;let oh=0;`;
    }
  }
  const s = amount;
  let code = `const il=${il},ih=${ih};`;
  if (s === 0) return code + 'let ol=il,oh=ih;';
  const lsl = (k: number): [string, string] =>
    k < 32 ? [`(il<<${k})>>>0`, `((ih<<${k})|(il>>>${32 - k}))>>>0`] : k === 32 ? ['0', 'il'] : ['0', `(il<<${k - 32})>>>0`];
  const lsr = (k: number): [string, string] =>
    k < 32 ? [`((il>>>${k})|(ih<<${32 - k}))>>>0`, `ih>>>${k}`] : k === 32 ? ['ih', '0'] : [`ih>>>${k - 32}`, '0'];
  const asr = (k: number): [string, string] =>
    k < 32 ? [`((il>>>${k})|(ih<<${32 - k}))>>>0`, `(ih>>${k})>>>0`] : k === 32 ? ['ih', '(ih>>31)>>>0'] : [`(ih>>${k - 32})>>>0`, '(ih>>31)>>>0'];
  let r: [string, string];
  switch (type) {
    case 0: r = lsl(s); break;
    case 1: r = lsr(s); break;
    case 2: r = asr(s); break;
    default: {
      const a = lsr(s);
      const b = lsl(64 - s);
      r = [`(${a[0]}|${b[0]})>>>0`, `(${a[1]}|${b[1]})>>>0`];
    }
  }
  code += `let ol=${r[0]},oh=${r[1]};`;
  return code;
}

/** Emit AddWithCarry(a, b, cin) into locals rl/rh, setting NZCV when `flags`. */
function addWithCarry(sf: boolean, al: string, ah: string, bl: string, bh: string, cin: string, flags: boolean): string {
  if (!sf) {
    let c = `const al=${al},bl=${bl};const t0=al+bl+${cin};const rl=t0>>>0;const rh=0;`;
    if (flags) c += `R[64]=rl>>>31;R[65]=rl===0?1:0;R[66]=t0>4294967295?1:0;R[67]=((~(al^bl))&(al^rl))>>>31;`;
    return c;
  }
  let c = `const al=${al},ah=${ah},bl=${bl},bh=${bh};const t0=al+bl+${cin};const rl=t0>>>0;const t1=ah+bh+(t0>4294967295?1:0);const rh=t1>>>0;`;
  if (flags) c += `R[64]=rh>>>31;R[65]=(rl|rh)===0?1:0;R[66]=t1>4294967295?1:0;R[67]=((~(ah^bh))&(ah^rh))>>>31;`;
  return c;
}

/** A JS boolean expression for condition code `cond` over the flags in R[64..67]. */
export function condExpr(cond: number): string {
  const base = ['R[65]===1', 'R[66]===1', 'R[64]===1', 'R[67]===1', '(R[66]===1&&R[65]===0)', 'R[64]===R[67]', '(R[65]===0&&R[64]===R[67])', 'true'][cond >> 1]!;
  if (cond >= 14) return 'true'; // AL and NV both mean "always" in A64
  return (cond & 1) === 1 ? `!(${base})` : base;
}

const EXTEND_CODE = [
  (l: string): [string, string] => [`(${l}&0xff)`, '0'],
  (l: string): [string, string] => [`(${l}&0xffff)`, '0'],
  (l: string): [string, string] => [`${l}`, '0'],
  (l: string, h: string): [string, string] => [l, h],
  (l: string): [string, string] => [`((${l}<<24>>24)>>>0)`, `((${l}<<24>>31)>>>0)`],
  (l: string): [string, string] => [`((${l}<<16>>16)>>>0)`, `((${l}<<16>>31)>>>0)`],
  (l: string): [string, string] => [`${l}`, `((${l}>>31)>>>0)`],
  (l: string, h: string): [string, string] => [l, h],
];

function split64(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffffffffn), Number(u >> 32n)];
}

/** JS statements for one instruction at index `i`. May end in `return`/`throw`. */
export function emitInstruction(d: Decoded, i: number, ctx: BlockContext): string {
  const next = i + 1;
  switch (d.op) {
    case 'addsub_imm': {
      const body = d.sub
        ? addWithCarry(d.sf, lo(d.rn, true), hi(d.rn, true), hexn(~d.imm), '0xffffffff', '1', d.s)
        : addWithCarry(d.sf, lo(d.rn, true), hi(d.rn, true), String(d.imm), '0', '0', d.s);
      return body + setReg(d.rd, !d.s, d.sf, 'rl', 'rh');
    }
    case 'addsub_shift':
    case 'addsub_ext': {
      let op2: string;
      const spOperands = d.op === 'addsub_ext';
      if (d.op === 'addsub_shift') {
        op2 = shiftConst(d.shift, d.amount, d.sf, lo(d.rm, false), hi(d.rm, false));
      } else {
        const [el, eh] = EXTEND_CODE[d.option]!(lo(d.rm, false), hi(d.rm, false));
        op2 = shiftConst(0, d.amount, d.sf, el, eh);
      }
      const bl = d.sub ? '(~ol)>>>0' : 'ol';
      const bh = d.sub ? '(~oh)>>>0' : 'oh';
      return `${op2}${addWithCarry(d.sf, lo(d.rn, spOperands), hi(d.rn, spOperands), bl, bh, d.sub ? '1' : '0', d.s)}${setReg(d.rd, spOperands && !d.s, d.sf, 'rl', 'rh')}`;
    }
    case 'logic_imm':
    case 'logic_shift': {
      let prep: string;
      let bl: string;
      let bh: string;
      if (d.op === 'logic_imm') {
        prep = '';
        bl = hexn(d.immLo);
        bh = hexn(d.immHi);
      } else {
        prep = shiftConst(d.shift, d.amount, d.sf, lo(d.rm, false), hi(d.rm, false));
        bl = d.invert ? '(~ol)' : 'ol';
        bh = d.invert ? '(~oh)' : 'oh';
      }
      const sym = ['&', '|', '^', '&'][d.opc]!;
      let c = `${prep}const rl=(${lo(d.rn, false)}${sym}${bl})>>>0;const rh=${d.sf ? `(${hi(d.rn, false)}${sym}${bh})>>>0` : '0'};`;
      if (d.opc === 3) c += `R[64]=${d.sf ? 'rh' : 'rl'}>>>31;R[65]=(rl|rh)===0?1:0;R[66]=0;R[67]=0;`;
      // AND/ORR/EOR (immediate) may write SP; the shifted-register forms and ANDS write xzr.
      return c + setReg(d.rd, d.op === 'logic_imm' && d.opc !== 3, d.sf, 'rl', 'rh');
    }
    case 'movw': {
      const shift = 16 * d.hw;
      const value = BigInt(d.imm16) << BigInt(shift);
      if (d.opc === 2 || d.opc === 0) {
        const [l, h] = split64(d.opc === 2 ? value : ~value);
        return setReg(d.rd, false, d.sf, hexn(l), hexn(h));
      }
      if (d.rd === 31) return '';
      const half = shift >= 32 ? 1 : 0;
      const pos = shift % 32;
      const keep = hexn(~(0xffff << pos));
      const ins = hexn(d.imm16 << pos);
      const target = `R[${2 * d.rd + half}]`;
      return `${target}=((${target}&${keep})|${ins})>>>0;${d.sf ? '' : `R[${2 * d.rd + 1}]=0;`}`;
    }
    case 'bitfield': {
      const size = d.sf ? 64 : 32;
      const m = decodeBitMasks(d.sf ? 1 : 0, d.imms, d.immr, false, size)!;
      const [wl, wh] = split64(m.wmask);
      const [tl, th] = split64(m.tmask);
      let c = shiftConst(3, d.immr, d.sf, lo(d.rn, false), hi(d.rn, false)); // ol/oh = ROR(src, immr)
      const dl = d.opc === 1 ? lo(d.rd, false) : '0';
      const dh = d.opc === 1 ? hi(d.rd, false) : '0';
      c += `const bl=((${dl}&${hexn(~wl)})|(ol&${hexn(wl)}))>>>0;const bh=((${dh}&${hexn(~wh)})|(oh&${hexn(wh)}))>>>0;`;
      let topL: string;
      let topH: string;
      if (d.opc === 0) {
        const bit = d.imms;
        const src = bit >= 32 ? hi(d.rn, false) : lo(d.rn, false);
        c += `const sb=((${src}>>>${bit % 32})&1)?0xffffffff:0;`;
        topL = 'sb';
        topH = 'sb';
      } else {
        topL = dl;
        topH = dh;
      }
      c += `const rl=((${topL}&${hexn(~tl)})|(bl&${hexn(tl)}))>>>0;const rh=((${topH}&${hexn(~th)})|(bh&${hexn(th)}))>>>0;`;
      return c + setReg(d.rd, false, d.sf, 'rl', 'rh');
    }
    case 'shiftv':
      return `m.shiftv(${d.kind},${d.sf},${lo(d.rn, false)},${hi(d.rn, false)},${lo(d.rm, false)});${setReg(d.rd, false, d.sf, 'm.T[0]', 'm.T[1]')}`;
    case 'csel': {
      let alt: string;
      const ml = lo(d.rm, false);
      const mh = hi(d.rm, false);
      if (!d.invert && !d.increment) alt = `const xl=${ml},xh=${mh};`;
      else if (!d.invert) alt = d.sf ? `const t=${ml}+1;const xl=t>>>0,xh=(${mh}+(t>4294967295?1:0))>>>0;` : `const xl=(${ml}+1)>>>0,xh=0;`;
      else if (!d.increment) alt = `const xl=(~${ml})>>>0,xh=(~${mh})>>>0;`;
      else alt = d.sf ? `const ml=${ml};const xl=(-ml)>>>0,xh=((~${mh})+(ml===0?1:0))>>>0;` : `const xl=(-${ml})>>>0,xh=0;`;
      return `let rl,rh;if(${condExpr(d.cond)}){rl=${lo(d.rn, false)};rh=${hi(d.rn, false)};}else{${alt}rl=xl;rh=xh;}${setReg(d.rd, false, d.sf, 'rl', 'rh')}`;
    }
    case 'adr': {
      const [al, ah] = addrHalves(ctx, i, d.offset);
      return setReg(d.rd, false, true, hexn(al), hexn(ah));
    }
    case 'b': {
      const link = d.link ? setReg(30, false, true, ...hexPair(ctx.addressHalves(next))) : '';
      return link + branchTo(ctx, i, d.offset);
    }
    case 'bcond':
      return `if(${condExpr(d.cond)}){${branchTo(ctx, i, d.offset)}}return ${next};`;
    case 'cbz': {
      const zero = d.sf ? `(${lo(d.rt, false)}|${hi(d.rt, false)})===0` : `${lo(d.rt, false)}===0`;
      return `if(${d.nz ? '!' : ''}(${zero})){${branchTo(ctx, i, d.offset)}}return ${next};`;
    }
    case 'tbz': {
      const word = d.bit >= 32 ? hi(d.rt, false) : lo(d.rt, false);
      const set = `((${word}>>>${d.bit % 32})&1)===1`;
      return `if(${d.nz ? '' : '!'}(${set})){${branchTo(ctx, i, d.offset)}}return ${next};`;
    }
    case 'breg': {
      const tl = lo(d.rn, false);
      const th = hi(d.rn, false);
      if (d.kind === 'blr') {
        const [rl, rh] = hexPair(ctx.addressHalves(next));
        return `const tl=${tl},th=${th};R[60]=${rl};R[61]=${rh};return m.jump(tl,th,${i});`;
      }
      return `return m.jump(${tl},${th},${i});`;
    }
    case 'ldst': {
      const base = d.mode === 'post' ? 0 : d.offset;
      let c = address(base);
      if (d.load) c += `m.ld${d.size}(al,ah,${loadDst(d.rt)},${i});`;
      else c += d.size === 8 ? `m.st8(al,ah,${lo(d.rt, false)},${hi(d.rt, false)},${i});` : `m.st${d.size}(al,ah,${lo(d.rt, false)},${i});`;
      c += writeback(d.rn, d.mode, d.offset);
      return `const bl=${lo(d.rn, true)},bh=${hi(d.rn, true)};${c}`;
    }
    case 'ldstp': {
      const base = d.mode === 'post' ? 0 : d.offset;
      let c = address(base);
      if (d.load) c += `m.ldp${d.size}(al,ah,${loadDst(d.rt)},${loadDst(d.rt2)},${i});`;
      else if (d.size === 8) c += `m.stp8(al,ah,${lo(d.rt, false)},${hi(d.rt, false)},${lo(d.rt2, false)},${hi(d.rt2, false)},${i});`;
      else c += `m.stp4(al,ah,${lo(d.rt, false)},${lo(d.rt2, false)},${i});`;
      c += writeback(d.rn, d.mode === 'off' ? 'uoff' : d.mode, d.offset);
      return `const bl=${lo(d.rn, true)},bh=${hi(d.rn, true)};${c}`;
    }
    case 'mrs':
    case 'msr': {
      const write = d.op === 'msr';
      const def = sysRegByKey(d.key);
      const why = ctx.model.whyUndefined(def, d.key, write);
      if (why !== undefined || !def) {
        return `throw m.undefinedSysreg(${i},${JSON.stringify(sysRegName(d.key))},${JSON.stringify(why)});`;
      }
      if (ctx.model.isIgnored(def)) return '';
      const slot = SYSREG_INDEX.get(def)!;
      if (!write) return setReg(d.rt, false, true, `S[${2 * slot}]`, `S[${2 * slot + 1}]`);
      const keep = ctx.model.keepMask(def);
      const [kl, kh] = split64(keep);
      const vl = keep === ALL_BITS ? lo(d.rt, false) : `(${lo(d.rt, false)}&${hexn(kl)})`;
      const vh = keep === ALL_BITS ? hi(d.rt, false) : `(${hi(d.rt, false)}&${hexn(kh)})`;
      const xform = ctx.model.writeTransform(def) ? `m.transformSysreg(${slot});` : '';
      return `S[${2 * slot}]=${vl};S[${2 * slot + 1}]=${vh};W[${slot}]=${ctx.writerId(i)};${xform}`;
    }
    case 'nop':
    case 'barrier':
      return '';
    case 'exception':
      return `throw m.stop(${i},${JSON.stringify(d.kind)},${d.imm16});`;
    case 'eret':
      return `throw m.stop(${i},"eret",0);`;
  }
}

function hexPair([l, h]: [number, number]): [string, string] {
  return [hexn(l), hexn(h)];
}

/** Address halves of word i plus a byte offset. */
function addrHalves(ctx: BlockContext, i: number, offset: number): [number, number] {
  const [l, h] = ctx.addressHalves(i);
  const v = BigInt.asUintN(64, (BigInt(h) << 32n) + BigInt(l) + BigInt(offset));
  return split64(v);
}

function branchTo(ctx: BlockContext, i: number, offset: number): string {
  const target = i + offset / 4;
  if (target >= 0 && target < ctx.length) return `return ${target};`;
  const [tl, th] = addrHalves(ctx, i, offset);
  return `throw m.prefetch(${i},${hexn(tl)},${hexn(th)});`;
}

/** Locals al/ah = base (bl/bh) + constant offset, wrapping at 64 bits. */
function address(offset: number): string {
  if (offset === 0) return 'const al=bl,ah=bh;';
  return `const t=bl+${offset};const al=t>>>0,ah=(bh+(t>4294967295?1:t<0?-1:0))>>>0;`;
}

function writeback(rn: number, mode: string, offset: number): string {
  if (mode === 'pre') return `${rn === 31 ? 'R[62]=al;R[63]=ah;' : `R[${2 * rn}]=al;R[${2 * rn + 1}]=ah;`}`;
  if (mode === 'post') {
    const tgt = rn === 31 ? [62, 63] : [2 * rn, 2 * rn + 1];
    return `{const u=bl+${offset};R[${tgt[0]}]=u>>>0;R[${tgt[1]}]=(bh+(u>4294967295?1:u<0?-1:0))>>>0;}`;
  }
  return '';
}
