// A64 instruction encoder: mnemonic + operand text -> the 32-bit word GNU as and llvm-mc produce.
//
// Every form listed in ENCODERS is encoded exactly (checked against llvm-mc and GNU as by
// test/sim/encodings.test.ts). Anything else is an error naming the operand: unknown mnemonics,
// operand forms, system register names, and immediates that do not encode. Where the assemblers
// pick between encodings for one spelling we pick as they do (`mov w26, #15` is MOVZ; `add x0, x1,
// #-8` is SUB; `add x0, x1, #4096` is `#1, lsl #12`), with one deliberate exception: `ldr/str` with
// an offset that is negative or not a multiple of the access size is rejected, where GNU as would
// silently emit LDUR/STUR — write `ldur`/`stur` when that is meant.

import { lookupSysReg } from './sysregs.js';

export interface Operand {
  text: string;
  /** 1-based column of the operand in its source line. */
  col: number;
}

export interface EncodeEnv {
  /** Address of the instruction being encoded. */
  pc: bigint;
  /** Evaluate an absolute expression (numbers, .equ/.set symbols). */
  evalConst(text: string, col: number): bigint;
  /** Evaluate an address expression (labels, local label references, `.`). */
  evalAddress(text: string, col: number): bigint;
  /** Report an error at a column of the current line. */
  fail(col: number, message: string): never;
}

export const CONDITIONS: Record<string, number> = {
  eq: 0, ne: 1, cs: 2, hs: 2, cc: 3, lo: 3, mi: 4, pl: 5, vs: 6, vc: 7,
  hi: 8, ls: 9, ge: 10, lt: 11, gt: 12, le: 13, al: 14, nv: 15,
};

export const CONDITION_NAMES = ['eq', 'ne', 'hs', 'lo', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];

const BARRIER_OPTIONS: Record<string, number> = {
  sy: 15, st: 14, ld: 13, ish: 11, ishst: 10, ishld: 9, nsh: 7, nshst: 6, nshld: 5, osh: 3, oshst: 2, oshld: 1,
};

type RegKind = 'gp' | 'zr' | 'sp';
interface Reg {
  n: number;
  /** 64-bit (x) rather than 32-bit (w). */
  x: boolean;
  kind: RegKind;
  text: string;
}

export function parseRegister(text: string): Reg | undefined {
  const t = text.trim().toLowerCase();
  const m = /^([xw])([0-9]|[12][0-9]|30)$/.exec(t);
  if (m) return { n: Number(m[2]), x: m[1] === 'x', kind: 'gp', text: t };
  switch (t) {
    case 'xzr': return { n: 31, x: true, kind: 'zr', text: t };
    case 'wzr': return { n: 31, x: false, kind: 'zr', text: t };
    case 'sp': return { n: 31, x: true, kind: 'sp', text: t };
    case 'wsp': return { n: 31, x: false, kind: 'sp', text: t };
    default: return undefined;
  }
}

const u32 = (v: number): number => v >>> 0;
const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** Bitmask-immediate encoding of `value` for a `width`-bit operation, or undefined if it has none. */
export function encodeBitmask(value: bigint, width: 32 | 64): { n: number; immr: number; imms: number } | undefined {
  const v = BigInt.asUintN(width, value);
  if (v === 0n || v === mask(width)) return undefined;
  let size: number = width;
  while (size > 2) {
    const half = size / 2;
    if ((v & mask(half)) !== ((v >> BigInt(half)) & mask(half))) break;
    size = half;
  }
  const emask = mask(size);
  const elt = v & emask;
  let ones = 0;
  for (let b = 0; b < size; b++) if ((elt >> BigInt(b)) & 1n) ones++;
  const run = mask(ones);
  for (let r = 0; r < size; r++) {
    // elt == ROR(run, r)  <=>  ROL(elt, r) == run
    const rol = ((elt << BigInt(r)) | (elt >> BigInt(size - r))) & emask;
    if (rol === run) {
      const imms = ((~(size - 1) << 1) & 0x3f) | (ones - 1);
      return { n: size === 64 ? 1 : 0, immr: r, imms };
    }
  }
  return undefined;
}

function syntax(...forms: string[]): string {
  return forms.map((f) => `'${f}'`).join(' or ');
}

/** Operand access with error reporting; one per instruction being encoded. */
class Ops {
  constructor(
    readonly mnemonic: string,
    readonly mcol: number,
    readonly list: Operand[],
    readonly env: EncodeEnv,
  ) {}

  get length(): number {
    return this.list.length;
  }

  count(n: number | number[], ...forms: string[]): void {
    const ok = Array.isArray(n) ? n.includes(this.list.length) : this.list.length === n;
    if (!ok) {
      const col = this.list[0]?.col ?? this.mcol;
      this.env.fail(col, `invalid operands for '${this.mnemonic}': expected ${syntax(...forms)}`);
    }
  }

  op(i: number): Operand {
    return this.list[i]!;
  }

  fail(i: number, message: string): never {
    return this.env.fail(this.list[i]?.col ?? this.mcol, message);
  }

  isReg(i: number): boolean {
    return parseRegister(this.op(i).text) !== undefined;
  }

  /** A general-purpose register; register 31 means xzr/wzr unless `sp31`, where it means sp/wsp. */
  reg(i: number, opts: { sp31?: boolean; width?: boolean } = {}): Reg {
    const op = this.op(i);
    const r = parseRegister(op.text);
    if (!r) this.fail(i, `operand ${i + 1} of '${this.mnemonic}' must be a general-purpose register, not '${op.text}'`);
    if (opts.sp31 && r.kind === 'zr') this.fail(i, `'${r.text}' is not allowed as operand ${i + 1} of '${this.mnemonic}' here (register 31 means sp in this position)`);
    if (!opts.sp31 && r.kind === 'sp') this.fail(i, `'${r.text}' is not allowed as operand ${i + 1} of '${this.mnemonic}' here (register 31 means xzr in this position)`);
    if (opts.width !== undefined && r.x !== opts.width) {
      this.fail(i, `operand ${i + 1} of '${this.mnemonic}' must be a ${opts.width ? '64-bit x' : '32-bit w'} register, not '${r.text}'`);
    }
    return r;
  }

  /** The value of an immediate operand (`#expr`, or a bare expression as GNU as allows). */
  imm(i: number): bigint {
    const op = this.op(i);
    const text = op.text.startsWith('#') ? op.text.slice(1) : op.text;
    if (parseRegister(text)) this.fail(i, `operand ${i + 1} of '${this.mnemonic}' must be an immediate, not register '${op.text}'`);
    return this.env.evalConst(text, op.col + (op.text.startsWith('#') ? 1 : 0));
  }

  immIn(i: number, lo: bigint, hi: bigint, what: string): number {
    const v = this.imm(i);
    if (v < lo || v > hi) this.fail(i, `${what} ${v} out of range [${lo}, ${hi}] for '${this.mnemonic}'`);
    return Number(v);
  }

  /** A branch target: pc-relative byte offset, checked for alignment and range. */
  target(i: number, bits: number, scale: number): number {
    const op = this.op(i);
    const text = op.text.startsWith('#') ? op.text.slice(1) : op.text;
    const addr = this.env.evalAddress(text, op.col);
    const off = BigInt.asIntN(64, addr - this.env.pc);
    if (off % BigInt(scale) !== 0n) this.fail(i, `branch target is not ${scale}-byte aligned (offset ${off})`);
    const limit = 1n << BigInt(bits - 1 + Math.log2(scale));
    if (off < -limit || off >= limit) this.fail(i, `branch target out of range for '${this.mnemonic}' (offset ${off}, limit ±${limit})`);
    return Number(off) / scale;
  }

  cond(i: number, allowAlNv = true): number {
    const t = this.op(i).text.toLowerCase();
    const c = CONDITIONS[t];
    if (c === undefined) this.fail(i, `'${this.op(i).text}' is not a condition code`);
    if (!allowAlNv && c >= 14) this.fail(i, `condition '${t}' is not allowed for '${this.mnemonic}'`);
    return c;
  }

  /** `lsl|lsr|asr|ror #amount`; undefined if operand i is absent. */
  shift(i: number, allowRor: boolean, width: number): { type: number; amount: number } | undefined {
    if (i >= this.length) return undefined;
    const op = this.op(i);
    const m = /^(lsl|lsr|asr|ror)\s*(.*)$/i.exec(op.text);
    if (!m || m[2]!.trim() === '') this.fail(i, `expected a shift ('lsl #n', 'lsr #n', 'asr #n'${allowRor ? ", 'ror #n'" : ''}), not '${op.text}'`);
    const type = ['lsl', 'lsr', 'asr', 'ror'].indexOf(m[1]!.toLowerCase());
    if (type === 3 && !allowRor) this.fail(i, `'ror' is not a valid shift for '${this.mnemonic}'`);
    const amtText = m[2]!.trim();
    const amtCol = op.col + op.text.indexOf(amtText);
    const amount = this.env.evalConst(amtText.startsWith('#') ? amtText.slice(1) : amtText, amtCol + (amtText.startsWith('#') ? 1 : 0));
    if (amount < 0n || amount >= BigInt(width)) this.fail(i, `shift amount ${amount} out of range [0, ${width - 1}]`);
    return { type, amount: Number(amount) };
  }
}

type Encoder = (o: Ops) => number;

// ---- encoding helpers (field layouts from the Arm ARM) ----

const addSubImm = (sf: boolean, sub: boolean, s: boolean, rd: number, rn: number, imm12: number, sh: number): number =>
  u32(((sf ? 1 : 0) << 31) | ((sub ? 1 : 0) << 30) | ((s ? 1 : 0) << 29) | 0x11000000 | (sh << 22) | (imm12 << 10) | (rn << 5) | rd);
const addSubShift = (sf: boolean, sub: boolean, s: boolean, rd: number, rn: number, rm: number, type: number, amt: number): number =>
  u32(((sf ? 1 : 0) << 31) | ((sub ? 1 : 0) << 30) | ((s ? 1 : 0) << 29) | 0x0b000000 | (type << 22) | (rm << 16) | (amt << 10) | (rn << 5) | rd);
const addSubExt = (sf: boolean, sub: boolean, s: boolean, rd: number, rn: number, rm: number, option: number, amt: number): number =>
  u32(((sf ? 1 : 0) << 31) | ((sub ? 1 : 0) << 30) | ((s ? 1 : 0) << 29) | 0x0b200000 | (rm << 16) | (option << 13) | (amt << 10) | (rn << 5) | rd);
const logicImm = (sf: boolean, opc: number, n: number, immr: number, imms: number, rn: number, rd: number): number =>
  u32(((sf ? 1 : 0) << 31) | (opc << 29) | 0x12000000 | (n << 22) | (immr << 16) | (imms << 10) | (rn << 5) | rd);
const logicShift = (sf: boolean, opc: number, inv: boolean, type: number, rm: number, amt: number, rn: number, rd: number): number =>
  u32(((sf ? 1 : 0) << 31) | (opc << 29) | 0x0a000000 | (type << 22) | ((inv ? 1 : 0) << 21) | (rm << 16) | (amt << 10) | (rn << 5) | rd);
const moveWide = (sf: boolean, opc: number, hw: number, imm16: number, rd: number): number =>
  u32(((sf ? 1 : 0) << 31) | (opc << 29) | 0x12800000 | (hw << 21) | (imm16 << 5) | rd);
const bitfield = (sf: boolean, opc: number, immr: number, imms: number, rn: number, rd: number): number =>
  u32(((sf ? 1 : 0) << 31) | (opc << 29) | 0x13000000 | ((sf ? 1 : 0) << 22) | (immr << 16) | (imms << 10) | (rn << 5) | rd);
const dp2 = (sf: boolean, opcode: number, rm: number, rn: number, rd: number): number =>
  u32(((sf ? 1 : 0) << 31) | 0x1ac00000 | (rm << 16) | (opcode << 10) | (rn << 5) | rd);
const condSel = (sf: boolean, op: number, o2: number, rm: number, cond: number, rn: number, rd: number): number =>
  u32(((sf ? 1 : 0) << 31) | (op << 30) | 0x1a800000 | (rm << 16) | (cond << 12) | (o2 << 10) | (rn << 5) | rd);

const EXTENDS: Record<string, number> = { uxtb: 0, uxth: 1, uxtw: 2, uxtx: 3, sxtb: 4, sxth: 5, sxtw: 6, sxtx: 7 };

// ---- add / sub family ----

function addSubImmValue(o: Ops, i: number, sub: boolean): { sub: boolean; imm12: number; sh: number } {
  let v = o.imm(i);
  if (o.length > i + 1) {
    const s = o.shift(i + 1, false, 64)!;
    if (s.type !== 0 || (s.amount !== 0 && s.amount !== 12)) o.fail(i + 1, `the immediate of '${o.mnemonic}' can only be shifted by 'lsl #0' or 'lsl #12'`);
    if (v < 0n || v > 4095n) o.fail(i, `immediate ${v} out of range [0, 4095] for '${o.mnemonic}' with an explicit shift`);
    return { sub, imm12: Number(v), sh: s.amount === 12 ? 1 : 0 };
  }
  // GNU as and llvm-mc turn a negative immediate into the opposite operation.
  if (v < 0n && v > -(1n << 24n)) {
    v = -v;
    sub = !sub;
  }
  if (v >= 0n && v <= 4095n) return { sub, imm12: Number(v), sh: 0 };
  if (v >= 0n && (v & 0xfffn) === 0n && v >> 12n <= 4095n) return { sub, imm12: Number(v >> 12n), sh: 1 };
  return o.fail(i, `immediate ${o.imm(i)} does not encode for '${o.mnemonic}' (0..4095, or a multiple of 4096 up to 0xfff000)`);
}

/** add/sub/adds/subs with explicit operands starting at `first` (rd, rn, op2...). */
function addSubForm(o: Ops, sub: boolean, s: boolean, rdFixed?: Reg): number {
  const base = rdFixed ? 0 : 1;
  const forms = rdFixed
    ? [`${o.mnemonic} Xn|SP, #imm{, lsl #12}`, `${o.mnemonic} Xn, Xm{, shift #n}`, `${o.mnemonic} Xn|SP, Rm, extend {#n}`]
    : [`${o.mnemonic} Xd|SP, Xn|SP, #imm{, lsl #12}`, `${o.mnemonic} Xd, Xn, Xm{, shift #n}`, `${o.mnemonic} Xd|SP, Xn|SP, Rm, extend {#n}`];
  o.count([base + 2, base + 3], ...forms);
  const rnIdx = base;
  const op2 = base + 1;
  const rnRaw = parseRegister(o.op(rnIdx).text);
  const rdRaw = rdFixed ?? parseRegister(o.op(0).text);
  if (!rdRaw || !rnRaw) o.fail(rdRaw ? rnIdx : 0, `invalid operands for '${o.mnemonic}': expected ${syntax(...forms)}`);
  const sf = rdRaw.x;
  if (!o.isReg(op2)) {
    // immediate form: rd is sp-capable unless flags are set; rn is sp-capable
    const rd = rdFixed ?? o.reg(0, { sp31: !s, width: sf });
    const rn = o.reg(rnIdx, { sp31: true, width: sf });
    const v = addSubImmValue(o, op2, sub);
    return addSubImm(sf, v.sub, s, rd.n, rn.n, v.imm12, v.sh);
  }
  const rm = parseRegister(o.op(op2).text)!;
  const extText = o.length > op2 + 1 ? o.op(op2 + 1).text : '';
  const extMatch = /^(uxtb|uxth|uxtw|uxtx|sxtb|sxth|sxtw|sxtx|lsl)\b\s*(.*)$/i.exec(extText);
  const usesSp = rdRaw.kind === 'sp' || rnRaw.kind === 'sp';
  const explicitExt = extMatch !== null && extMatch[1]!.toLowerCase() !== 'lsl';
  if (usesSp || explicitExt || (sf && !rm.x)) {
    const rd = rdFixed ?? o.reg(0, { sp31: !s, width: sf });
    const rn = o.reg(rnIdx, { sp31: true, width: sf });
    let option = sf ? 3 : 2; // lsl == uxtx (64-bit) / uxtw (32-bit)
    let amt = 0;
    if (extMatch) {
      const name = extMatch[1]!.toLowerCase();
      if (name !== 'lsl') option = EXTENDS[name]!;
      else if (!usesSp) o.fail(op2 + 1, `'lsl' is only an extend when sp is an operand`);
      const amtText = extMatch[2]!.trim();
      if (amtText !== '') {
        const v = o.env.evalConst(amtText.replace(/^#/, ''), o.op(op2 + 1).col + extText.indexOf(amtText));
        if (v < 0n || v > 4n) o.fail(op2 + 1, `extend shift amount ${v} out of range [0, 4]`);
        amt = Number(v);
      } else if (name === 'lsl') {
        o.fail(op2 + 1, `'lsl' needs an amount`);
      }
    } else if (o.length > op2 + 1) {
      o.fail(op2 + 1, `expected an extend (uxtb..sxtx, or lsl with sp), not '${extText}'`);
    } else if (sf && !rm.x) {
      o.fail(op2, `a 32-bit register needs an extend (e.g. 'uxtw') with 64-bit '${o.mnemonic}'`);
    }
    const rmX = option === 3 || option === 7;
    o.reg(op2, { width: sf ? rmX : false });
    return addSubExt(sf, sub, s, rd.n, rn.n, rm.n, option, amt);
  }
  const rd = rdFixed ?? o.reg(0, { width: sf });
  const rn = o.reg(rnIdx, { width: sf });
  o.reg(op2, { width: sf });
  const sh = o.shift(op2 + 1, false, sf ? 64 : 32) ?? { type: 0, amount: 0 };
  return addSubShift(sf, sub, s, rd.n, rn.n, rm.n, sh.type, sh.amount);
}

const zrLike = (r: Reg): Reg => ({ n: 31, x: r.x, kind: 'zr', text: r.x ? 'xzr' : 'wzr' });

function cmpLike(sub: boolean): Encoder {
  return (o) => {
    const rn = parseRegister(o.op(0)?.text ?? '');
    if (!rn) return o.fail(0, `operand 1 of '${o.mnemonic}' must be a register`);
    return addSubForm(o, sub, true, zrLike(rn));
  };
}

function negLike(s: boolean): Encoder {
  return (o) => {
    o.count([2, 3], `${o.mnemonic} Xd, Xm{, shift #n}`);
    const rd = o.reg(0);
    const rm = o.reg(1, { width: rd.x });
    const sh = o.shift(2, false, rd.x ? 64 : 32) ?? { type: 0, amount: 0 };
    return addSubShift(rd.x, true, s, rd.n, 31, rm.n, sh.type, sh.amount);
  };
}

// ---- logical family ----

const LOGIC_OPC: Record<string, { opc: number; inv: boolean }> = {
  and: { opc: 0, inv: false }, bic: { opc: 0, inv: true }, orr: { opc: 1, inv: false }, orn: { opc: 1, inv: true },
  eor: { opc: 2, inv: false }, eon: { opc: 2, inv: true }, ands: { opc: 3, inv: false }, bics: { opc: 3, inv: true },
};

function logicalImmWord(o: Ops, opc: number, rd: Reg, rn: Reg, immIdx: number, invert: boolean): number {
  const sf = rd.x;
  let v = o.imm(immIdx);
  const width = sf ? 64 : 32;
  if (!sf && (v < -(1n << 31n) || v > 0xffffffffn)) o.fail(immIdx, `immediate ${v} does not fit in 32 bits`);
  if (invert) v = ~v;
  const enc = encodeBitmask(v, width);
  if (!enc) o.fail(immIdx, `immediate 0x${BigInt.asUintN(width, o.imm(immIdx)).toString(16)} is not encodable as a ${width}-bit logical (bitmask) immediate`);
  return logicImm(sf, opc, enc.n, enc.immr, enc.imms, rn.n, rd.n);
}

function logical(name: string): Encoder {
  const { opc, inv } = LOGIC_OPC[name]!;
  return (o) => {
    o.count([3, 4], `${name} Xd${opc === 3 ? '' : '|SP'}, Xn, #bitmask`, `${name} Xd, Xn, Xm{, shift #n}`);
    if (!o.isReg(2)) {
      // GNU as has an immediate alias for BIC only (llvm-mc also takes ORN/EON/BICS).
      if (inv && name !== 'bic') o.fail(2, `'${name}' has no immediate form (GNU as rejects it)`);
      if (o.length !== 3) o.fail(3, `unexpected operand after the immediate of '${name}'`);
      const rd = o.reg(0, { sp31: opc !== 3 });
      const rn = o.reg(1, { width: rd.x });
      return logicalImmWord(o, opc, rd, rn, 2, inv);
    }
    const rd = o.reg(0);
    const rn = o.reg(1, { width: rd.x });
    const rm = o.reg(2, { width: rd.x });
    const sh = o.shift(3, true, rd.x ? 64 : 32) ?? { type: 0, amount: 0 };
    return logicShift(rd.x, opc, inv, sh.type, rm.n, sh.amount, rn.n, rd.n);
  };
}

const tst: Encoder = (o) => {
  o.count([2, 3], 'tst Xn, #bitmask', 'tst Xn, Xm{, shift #n}');
  const rn = o.reg(0);
  const zr = zrLike(rn);
  if (!o.isReg(1)) {
    if (o.length !== 2) o.fail(2, `unexpected operand after the immediate of 'tst'`);
    return logicalImmWord(o, 3, zr, rn, 1, false);
  }
  const rm = o.reg(1, { width: rn.x });
  const sh = o.shift(2, true, rn.x ? 64 : 32) ?? { type: 0, amount: 0 };
  return logicShift(rn.x, 3, false, sh.type, rm.n, sh.amount, rn.n, 31);
};

const mvn: Encoder = (o) => {
  o.count([2, 3], 'mvn Xd, Xm{, shift #n}');
  const rd = o.reg(0);
  const rm = o.reg(1, { width: rd.x });
  const sh = o.shift(2, true, rd.x ? 64 : 32) ?? { type: 0, amount: 0 };
  return logicShift(rd.x, 1, true, sh.type, rm.n, sh.amount, 31, rd.n);
};

// ---- moves ----

function singleChunk(u: bigint, width: number): { hw: number; imm16: number } | undefined {
  for (let hw = 0; hw < width / 16; hw++) {
    const shift = BigInt(16 * hw);
    if ((u & ~(0xffffn << shift)) === 0n) return { hw, imm16: Number((u >> shift) & 0xffffn) };
  }
  return undefined;
}

const mov: Encoder = (o) => {
  o.count(2, 'mov Xd, Xm', 'mov Xd|SP, Xn|SP', 'mov Xd, #imm');
  const rdRaw = parseRegister(o.op(0).text);
  if (!rdRaw) return o.fail(0, `operand 1 of 'mov' must be a register, not '${o.op(0).text}'`);
  const rmRaw = parseRegister(o.op(1).text);
  if (rmRaw) {
    if (rdRaw.kind === 'sp' || rmRaw.kind === 'sp') {
      const rd = o.reg(0, { sp31: true });
      const rn = o.reg(1, { sp31: true, width: rd.x });
      return addSubImm(rd.x, false, false, rd.n, rn.n, 0, 0);
    }
    const rd = o.reg(0);
    const rm = o.reg(1, { width: rd.x });
    return logicShift(rd.x, 1, false, 0, rm.n, 0, 31, rd.n);
  }
  const v = o.imm(1);
  const width = rdRaw.x ? 64 : 32;
  const lo = -(1n << BigInt(width - 1));
  const hi = mask(width);
  if (v < lo || v > hi) o.fail(1, `immediate ${v} does not fit in ${width} bits`);
  const u = BigInt.asUintN(width, v);
  if (rdRaw.kind !== 'sp') {
    const rd = o.reg(0);
    const z = singleChunk(u, width);
    if (z) return moveWide(rd.x, 2, z.hw, z.imm16, rd.n);
    const n = singleChunk(BigInt.asUintN(width, ~u), width);
    if (n) return moveWide(rd.x, 0, n.hw, n.imm16, rd.n);
  }
  const rd = o.reg(0, { sp31: true });
  const enc = encodeBitmask(u, width as 32 | 64);
  if (!enc) return o.fail(1, `immediate 0x${u.toString(16)} cannot be loaded by a single 'mov' (not a MOVZ, MOVN or bitmask immediate); use movz/movk`);
  return logicImm(rd.x, 1, enc.n, enc.immr, enc.imms, 31, rd.n);
};

function moveWideForm(opc: number): Encoder {
  return (o) => {
    o.count([2, 3], `${o.mnemonic} Xd, #imm16{, lsl #0|16|32|48}`);
    const rd = o.reg(0);
    const imm16 = o.immIn(1, 0n, 0xffffn, 'immediate');
    const sh = o.shift(2, false, 64) ?? { type: 0, amount: 0 };
    if (sh.type !== 0 || sh.amount % 16 !== 0 || sh.amount >= (rd.x ? 64 : 32)) {
      o.fail(2, `'${o.mnemonic}' shift must be 'lsl #0' or 'lsl #16'${rd.x ? ", 'lsl #32' or 'lsl #48'" : ''}`);
    }
    return moveWide(rd.x, opc, sh.amount / 16, imm16, rd.n);
  };
}

// ---- bitfield ----

type BitfieldAlias = (width: number, a: number, b: number) => { immr: number; imms: number };

function bitfieldAlias(opc: number, alias: BitfieldAlias, checkLsbWidth: boolean): Encoder {
  return (o) => {
    o.count(4, `${o.mnemonic} Xd, Xn, #lsb, #width`);
    const rd = o.reg(0);
    const rn = o.reg(1, { width: rd.x });
    const w = rd.x ? 64 : 32;
    const a = o.immIn(2, 0n, BigInt(w - 1), 'lsb');
    const b = o.immIn(3, 1n, BigInt(w), 'width');
    if (checkLsbWidth && a + b > w) o.fail(3, `lsb + width (${a} + ${b}) exceeds ${w} for '${o.mnemonic}'`);
    const { immr, imms } = alias(w, a, b);
    return bitfield(rd.x, opc, immr, imms, rn.n, rd.n);
  };
}

const extract: BitfieldAlias = (_w, lsb, width) => ({ immr: lsb, imms: lsb + width - 1 });
const insert: BitfieldAlias = (w, lsb, width) => ({ immr: (w - lsb) % w, imms: width - 1 });

function bitfieldRaw(opc: number): Encoder {
  return (o) => {
    o.count(4, `${o.mnemonic} Xd, Xn, #immr, #imms`);
    const rd = o.reg(0);
    const rn = o.reg(1, { width: rd.x });
    const w = rd.x ? 64 : 32;
    const immr = o.immIn(2, 0n, BigInt(w - 1), 'immr');
    const imms = o.immIn(3, 0n, BigInt(w - 1), 'imms');
    return bitfield(rd.x, opc, immr, imms, rn.n, rd.n);
  };
}

function shiftForm(kind: 'lsl' | 'lsr' | 'asr' | 'ror'): Encoder {
  const opcode = { lsl: 8, lsr: 9, asr: 10, ror: 11 }[kind];
  return (o) => {
    o.count(3, `${kind} Xd, Xn, #amount`, `${kind} Xd, Xn, Xm`);
    const rd = o.reg(0);
    const rn = o.reg(1, { width: rd.x });
    if (o.isReg(2)) {
      const rm = o.reg(2, { width: rd.x });
      return dp2(rd.x, opcode, rm.n, rn.n, rd.n);
    }
    const w = rd.x ? 64 : 32;
    const s = o.immIn(2, 0n, BigInt(w - 1), 'shift amount');
    switch (kind) {
      case 'lsl': return bitfield(rd.x, 2, (w - s) % w, w - 1 - s, rn.n, rd.n);
      case 'lsr': return bitfield(rd.x, 2, s, w - 1, rn.n, rd.n);
      case 'asr': return bitfield(rd.x, 0, s, w - 1, rn.n, rd.n);
      case 'ror': return o.fail(2, `'ror' by an immediate (an EXTR alias) is not supported by the simulator`);
    }
  };
}

function shiftVar(opcode: number): Encoder {
  return (o) => {
    o.count(3, `${o.mnemonic} Xd, Xn, Xm`);
    const rd = o.reg(0);
    const rn = o.reg(1, { width: rd.x });
    const rm = o.reg(2, { width: rd.x });
    return dp2(rd.x, opcode, rm.n, rn.n, rd.n);
  };
}

function extendAlias(opc: number, bits: number, dstX: 'w' | 'x' | 'either'): Encoder {
  return (o) => {
    o.count(2, `${o.mnemonic} ${dstX === 'x' ? 'Xd' : 'Wd'}, Wn`);
    const rd = o.reg(0, dstX === 'either' ? {} : { width: dstX === 'x' });
    o.reg(1, { width: false });
    const rn = parseRegister(o.op(1).text)!;
    return bitfield(rd.x, opc, 0, bits - 1, rn.n, rd.n);
  };
}

// ---- conditional select ----

function csel(op: number, o2: number): Encoder {
  return (o) => {
    o.count(4, `${o.mnemonic} Xd, Xn, Xm, cond`);
    const rd = o.reg(0);
    const rn = o.reg(1, { width: rd.x });
    const rm = o.reg(2, { width: rd.x });
    return condSel(rd.x, op, o2, rm.n, o.cond(3), rn.n, rd.n);
  };
}

function csetLike(op: number, o2: number): Encoder {
  return (o) => {
    o.count(2, `${o.mnemonic} Xd, cond`);
    const rd = o.reg(0);
    return condSel(rd.x, op, o2, 31, o.cond(1, false) ^ 1, 31, rd.n);
  };
}

function cincLike(op: number, o2: number): Encoder {
  return (o) => {
    o.count(3, `${o.mnemonic} Xd, Xn, cond`);
    const rd = o.reg(0);
    const rn = o.reg(1, { width: rd.x });
    return condSel(rd.x, op, o2, rn.n, o.cond(2, false) ^ 1, rn.n, rd.n);
  };
}

// ---- branches ----

const adr: Encoder = (o) => {
  o.count(2, 'adr Xd, label');
  const rd = o.reg(0, { width: true });
  const op = o.op(1);
  const addr = o.env.evalAddress(op.text.replace(/^#/, ''), op.col);
  const off = BigInt.asIntN(64, addr - o.env.pc);
  if (off < -(1n << 20n) || off >= 1n << 20n) o.fail(1, `adr target out of range (offset ${off}, limit ±1MiB)`);
  const v = Number(off);
  return u32(0x10000000 | ((v & 3) << 29) | (((v >> 2) & 0x7ffff) << 5) | rd.n);
};

function branchImm(link: boolean): Encoder {
  return (o) => {
    o.count(1, `${o.mnemonic} label`);
    return u32((link ? 0x94000000 : 0x14000000) | (o.target(0, 26, 4) & 0x3ffffff));
  };
}

function branchCond(cond: number): Encoder {
  return (o) => {
    o.count(1, `${o.mnemonic} label`);
    return u32(0x54000000 | ((o.target(0, 19, 4) & 0x7ffff) << 5) | cond);
  };
}

function cbz(nz: boolean): Encoder {
  return (o) => {
    o.count(2, `${o.mnemonic} Xt, label`);
    const rt = o.reg(0);
    return u32(((rt.x ? 1 : 0) << 31) | 0x34000000 | ((nz ? 1 : 0) << 24) | ((o.target(1, 19, 4) & 0x7ffff) << 5) | rt.n);
  };
}

function tbz(nz: boolean): Encoder {
  return (o) => {
    o.count(3, `${o.mnemonic} Xt, #bit, label`);
    const rt = o.reg(0);
    const bit = o.immIn(1, 0n, rt.x ? 63n : 31n, 'bit number');
    return u32(((bit >> 5) << 31) | 0x36000000 | ((nz ? 1 : 0) << 24) | ((bit & 31) << 19) | ((o.target(2, 14, 4) & 0x3fff) << 5) | rt.n);
  };
}

function branchReg(base: number, optional: boolean): Encoder {
  return (o) => {
    if (optional && o.length === 0) return u32(base | (30 << 5));
    o.count(1, `${o.mnemonic} Xn`);
    return u32(base | (o.reg(0, { width: true }).n << 5));
  };
}

// ---- loads and stores ----

interface Mem {
  base: Reg;
  offset: bigint;
  hasOffset: boolean;
  writeback: boolean;
  /** Column of the offset expression (of the operand when there is none). */
  offsetCol: number;
}

function parseMem(o: Ops, i: number): Mem {
  const op = o.op(i);
  const m = /^\[\s*([^,\]]+?)\s*(?:,\s*(.*?))?\s*\]\s*(!?)$/.exec(op.text);
  if (!m) return o.fail(i, `expected a memory operand '[Xn|SP{, #imm}]', not '${op.text}'`);
  const base = parseRegister(m[1]!);
  if (!base || !base.x || base.kind === 'zr') o.fail(i, `the base register of a memory operand must be x0..x30 or sp, not '${m[1]}'`);
  let offset = 0n;
  let offsetCol = op.col;
  const offText = m[2];
  if (offText !== undefined) {
    if (offText === '') o.fail(i, `missing offset in memory operand '${op.text}'`);
    const first = offText.split(',')[0]!.trim();
    if (parseRegister(first)) o.fail(i, `register-offset addressing ('${op.text}') is not supported by the simulator`);
    const col = op.col + op.text.indexOf(offText, 1);
    offsetCol = col;
    offset = o.env.evalConst(offText.startsWith('#') ? offText.slice(1) : offText, col + (offText.startsWith('#') ? 1 : 0));
  }
  return { base, offset, hasOffset: offText !== undefined, writeback: m[3] === '!', offsetCol };
}

interface LdStKind {
  /** access size in bytes */
  size: 1 | 2 | 4 | 8 | 'reg';
  load: boolean;
  /** ldur/stur: unscaled signed 9-bit offset only */
  unscaled: boolean;
}

function ldst(kind: LdStKind): Encoder {
  return (o) => {
    const name = o.mnemonic;
    o.count([2, 3], `${name} Rt, [Xn|SP{, #imm}]`, `${name} Rt, [Xn|SP, #imm]!`, `${name} Rt, [Xn|SP], #imm`);
    const rtRaw = parseRegister(o.op(0).text);
    if (!rtRaw) return o.fail(0, `operand 1 of '${name}' must be a general-purpose register, not '${o.op(0).text}'`);
    const size = kind.size === 'reg' ? (rtRaw.x ? 8 : 4) : kind.size;
    const rt = o.reg(0, kind.size === 'reg' ? {} : { width: false });
    const sizeBits = Math.log2(size);
    const opc = kind.load ? 1 : 0;
    const mem = parseMem(o, 1);
    const writebackCheck = (): void => {
      if (mem.base.n === rt.n && mem.base.kind !== 'sp' && rt.kind !== 'zr') {
        o.fail(1, `unpredictable '${name}' with writeback: the base register is also the transfer register`);
      }
    };
    const imm9 = (v: bigint, i: number): number => {
      if (v < -256n || v > 255n) o.env.fail(i === 1 ? mem.offsetCol : o.op(i).col, `offset ${v} out of range [-256, 255] for '${name}'`);
      return Number(v) & 0x1ff;
    };
    if (o.length === 3) {
      if (kind.unscaled) o.fail(2, `'${name}' has no post-index form`);
      if (mem.hasOffset || mem.writeback) o.fail(1, `post-index addressing takes '[Xn|SP], #imm'`);
      writebackCheck();
      const off = imm9(o.imm(2), 2);
      return u32((sizeBits << 30) | 0x38000000 | (opc << 22) | (off << 12) | (1 << 10) | (mem.base.n << 5) | rt.n);
    }
    if (mem.writeback) {
      if (kind.unscaled) o.fail(1, `'${name}' has no pre-index form`);
      writebackCheck();
      const off = imm9(mem.offset, 1);
      return u32((sizeBits << 30) | 0x38000000 | (opc << 22) | (off << 12) | (3 << 10) | (mem.base.n << 5) | rt.n);
    }
    if (kind.unscaled) {
      const off = imm9(mem.offset, 1);
      return u32((sizeBits << 30) | 0x38000000 | (opc << 22) | (off << 12) | (mem.base.n << 5) | rt.n);
    }
    const v = mem.offset;
    if (v < 0n || v % BigInt(size) !== 0n || v / BigInt(size) > 4095n) {
      const unscaledName = name.replace(/^(ld|st)r/, '$1ur');
      o.env.fail(mem.offsetCol, `offset ${v} does not encode for '${name}' (a multiple of ${size} in [0, ${4095 * size}]); write '${unscaledName}' for an unscaled offset`);
    }
    return u32((sizeBits << 30) | 0x39000000 | (opc << 22) | (Number(v / BigInt(size)) << 10) | (mem.base.n << 5) | rt.n);
  };
}

function ldstPair(load: boolean): Encoder {
  return (o) => {
    const name = o.mnemonic;
    o.count([3, 4], `${name} Rt, Rt2, [Xn|SP{, #imm}]`, `${name} Rt, Rt2, [Xn|SP, #imm]!`, `${name} Rt, Rt2, [Xn|SP], #imm`);
    const rt = o.reg(0);
    const rt2 = o.reg(1, { width: rt.x });
    const size = rt.x ? 8 : 4;
    const mem = parseMem(o, 2);
    let mode = 2; // signed offset
    let off = mem.offset;
    if (o.length === 4) {
      if (mem.hasOffset || mem.writeback) o.fail(2, `post-index addressing takes '[Xn|SP], #imm'`);
      mode = 1;
      off = o.imm(3);
    } else if (mem.writeback) {
      mode = 3;
    }
    if (load && rt.n === rt2.n && rt.kind !== 'zr') o.fail(1, `unpredictable '${name}': Rt2 is the same register as Rt`);
    if (mode !== 2 && mem.base.kind !== 'sp' && (mem.base.n === rt.n || mem.base.n === rt2.n)) {
      o.fail(2, `unpredictable '${name}' with writeback: the base register is also a transfer register`);
    }
    const at = o.length === 4 ? o.op(3).col : mem.offsetCol;
    if (off % BigInt(size) !== 0n) o.env.fail(at, `offset ${off} of '${name}' is not a multiple of ${size}`);
    const scaled = off / BigInt(size);
    if (scaled < -64n || scaled > 63n) o.env.fail(at, `offset ${off} out of range [${-64 * size}, ${63 * size}] for '${name}'`);
    const opc = rt.x ? 2 : 0;
    return u32((opc << 30) | 0x28000000 | (mode << 23) | ((load ? 1 : 0) << 22) | ((Number(scaled) & 0x7f) << 15) | (rt2.n << 10) | (mem.base.n << 5) | rt.n);
  };
}

// ---- system ----

function sysRegOperand(o: Ops, i: number, write: boolean): number {
  const op = o.op(i);
  const ref = lookupSysReg(op.text.trim());
  if (!ref) {
    if (!write && /^(daifset|daifclr|spsel|pan|uao|dit|ssbs|tco)$/i.test(op.text.trim())) {
      o.fail(i, `MSR to the PSTATE field '${op.text}' is not supported by the simulator`);
    }
    o.fail(i, `unknown system register '${op.text}'`);
  }
  // As GNU as and llvm-mc do, only a register's name is checked for access; the generic
  // S<op0>_<op1>_C<n>_C<m>_<op2> spelling assembles whatever it names (and may be UNDEFINED).
  const byName = ref.def !== undefined && op.text.trim().toLowerCase() === ref.def.name;
  if (byName && write && ref.def!.access === 'ro') o.fail(i, `system register '${ref.def!.name}' is read-only`);
  if (byName && !write && ref.def!.access === 'wo') o.fail(i, `system register '${ref.def!.name}' is write-only`);
  return ref.key;
}

const mrs: Encoder = (o) => {
  o.count(2, 'mrs Xt, sysreg');
  const rt = o.reg(0, { width: true });
  return u32(0xd5300000 | (sysRegOperand(o, 1, false) << 5) | rt.n);
};

const msr: Encoder = (o) => {
  o.count(2, 'msr sysreg, Xt');
  const key = sysRegOperand(o, 0, true);
  const rt = o.reg(1, { width: true });
  return u32(0xd5100000 | (key << 5) | rt.n);
};

function noOperands(word: number): Encoder {
  return (o) => {
    o.count(0, o.mnemonic);
    return word;
  };
}

function barrier(base: number, defaultSy: boolean): Encoder {
  return (o) => {
    if (o.length === 0 && defaultSy) return u32(base | (15 << 8));
    o.count(1, `${o.mnemonic} option`);
    const t = o.op(0).text.trim().toLowerCase();
    let crm = BARRIER_OPTIONS[t];
    if (crm === undefined) {
      if (!/^#/.test(t)) o.fail(0, `unknown barrier option '${o.op(0).text}'`);
      crm = o.immIn(0, 0n, 15n, 'barrier option');
    }
    if (o.mnemonic === 'isb' && crm !== 15 && BARRIER_OPTIONS[t] !== undefined) o.fail(0, `'isb' only takes 'sy'`);
    return u32(base | (crm << 8));
  };
}

function exception(base: number): Encoder {
  return (o) => {
    o.count(1, `${o.mnemonic} #imm16`);
    return u32(base | (o.immIn(0, 0n, 0xffffn, 'immediate') << 5));
  };
}

const ENCODERS = new Map<string, Encoder>([
  ['add', (o) => addSubForm(o, false, false)],
  ['adds', (o) => addSubForm(o, false, true)],
  ['sub', (o) => addSubForm(o, true, false)],
  ['subs', (o) => addSubForm(o, true, true)],
  ['cmp', cmpLike(true)],
  ['cmn', cmpLike(false)],
  ['neg', negLike(false)],
  ['negs', negLike(true)],
  ...Object.keys(LOGIC_OPC).map((n) => [n, logical(n)] as [string, Encoder]),
  ['tst', tst],
  ['mvn', mvn],
  ['mov', mov],
  ['movz', moveWideForm(2)],
  ['movn', moveWideForm(0)],
  ['movk', moveWideForm(3)],
  ['ubfx', bitfieldAlias(2, extract, true)],
  ['sbfx', bitfieldAlias(0, extract, true)],
  ['bfxil', bitfieldAlias(1, extract, true)],
  ['ubfiz', bitfieldAlias(2, insert, true)],
  ['sbfiz', bitfieldAlias(0, insert, true)],
  ['bfi', bitfieldAlias(1, insert, true)],
  ['ubfm', bitfieldRaw(2)],
  ['sbfm', bitfieldRaw(0)],
  ['bfm', bitfieldRaw(1)],
  ['uxtb', extendAlias(2, 8, 'w')],
  ['uxth', extendAlias(2, 16, 'w')],
  ['sxtb', extendAlias(0, 8, 'either')],
  ['sxth', extendAlias(0, 16, 'either')],
  ['sxtw', extendAlias(0, 32, 'x')],
  ['lsl', shiftForm('lsl')],
  ['lsr', shiftForm('lsr')],
  ['asr', shiftForm('asr')],
  ['ror', shiftForm('ror')],
  ['lslv', shiftVar(8)],
  ['lsrv', shiftVar(9)],
  ['asrv', shiftVar(10)],
  ['rorv', shiftVar(11)],
  ['csel', csel(0, 0)],
  ['csinc', csel(0, 1)],
  ['csinv', csel(1, 0)],
  ['csneg', csel(1, 1)],
  ['cset', csetLike(0, 1)],
  ['csetm', csetLike(1, 0)],
  ['cinc', cincLike(0, 1)],
  ['cinv', cincLike(1, 0)],
  ['cneg', cincLike(1, 1)],
  ['adr', adr],
  ['b', branchImm(false)],
  ['bl', branchImm(true)],
  ...Object.entries(CONDITIONS).map(([c, n]) => [`b.${c}`, branchCond(n)] as [string, Encoder]),
  ['cbz', cbz(false)],
  ['cbnz', cbz(true)],
  ['tbz', tbz(false)],
  ['tbnz', tbz(true)],
  ['br', branchReg(0xd61f0000, false)],
  ['blr', branchReg(0xd63f0000, false)],
  ['ret', branchReg(0xd65f0000, true)],
  ['ldr', ldst({ size: 'reg', load: true, unscaled: false })],
  ['str', ldst({ size: 'reg', load: false, unscaled: false })],
  ['ldrb', ldst({ size: 1, load: true, unscaled: false })],
  ['strb', ldst({ size: 1, load: false, unscaled: false })],
  ['ldrh', ldst({ size: 2, load: true, unscaled: false })],
  ['strh', ldst({ size: 2, load: false, unscaled: false })],
  ['ldur', ldst({ size: 'reg', load: true, unscaled: true })],
  ['stur', ldst({ size: 'reg', load: false, unscaled: true })],
  ['ldurb', ldst({ size: 1, load: true, unscaled: true })],
  ['sturb', ldst({ size: 1, load: false, unscaled: true })],
  ['ldurh', ldst({ size: 2, load: true, unscaled: true })],
  ['sturh', ldst({ size: 2, load: false, unscaled: true })],
  ['ldp', ldstPair(true)],
  ['stp', ldstPair(false)],
  ['mrs', mrs],
  ['msr', msr],
  ['nop', noOperands(0xd503201f)],
  ['eret', noOperands(0xd69f03e0)],
  ['isb', barrier(0xd50330df, true)],
  ['dsb', barrier(0xd503309f, false)],
  ['dmb', barrier(0xd50330bf, false)],
  ['svc', exception(0xd4000001)],
  ['hvc', exception(0xd4000002)],
  ['smc', exception(0xd4000003)],
  ['brk', exception(0xd4200000)],
  ['hlt', exception(0xd4400000)],
]);

export function isKnownMnemonic(mnemonic: string): boolean {
  return ENCODERS.has(mnemonic.toLowerCase());
}

/** Every mnemonic the assembler accepts, sorted. */
export function knownMnemonics(): string[] {
  return [...ENCODERS.keys()].sort();
}

/** Encode one instruction; errors go through env.fail (which throws). */
export function encodeInstruction(mnemonic: string, mnemonicCol: number, operands: Operand[], env: EncodeEnv): number {
  const name = mnemonic.toLowerCase();
  const enc = ENCODERS.get(name);
  if (!enc) {
    const hint = /^b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)$/.test(name) ? ` (write 'b.${name.slice(1)}')` : '';
    return env.fail(mnemonicCol, `unknown instruction mnemonic '${mnemonic}'${hint}`);
  }
  return enc(new Ops(name, mnemonicCol, operands, env));
}
