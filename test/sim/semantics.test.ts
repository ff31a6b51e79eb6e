// Instruction semantics, checked against small BigInt reference models written from the Arm ARM
// pseudocode (AddWithCarry, DecodeBitMasks, ConditionHolds, ...). Properties use fast-check; a
// failure prints the seed and the counterexample.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpuModel, Machine, type Program } from '../../generator/sim/index.js';
import { asm, ID_6_4, RAM, runSnippet } from './helpers.js';

const M64 = (1n << 64n) - 1n;
const mask = (w: number): bigint => (1n << BigInt(w)) - 1n;
const u = (v: bigint, w: number): bigint => BigInt.asUintN(w, v);
const s = (v: bigint, w: number): bigint => BigInt.asIntN(w, v);

/** Arm ARM AddWithCarry: result and NZCV (N bit 3). */
function addWithCarry(x: bigint, y: bigint, cin: bigint, w: number): { r: bigint; nzcv: number } {
  const usum = u(x, w) + u(y, w) + cin;
  const ssum = s(x, w) + s(y, w) + cin;
  const r = u(usum, w);
  const n = Number(r >> BigInt(w - 1));
  const z = r === 0n ? 1 : 0;
  const c = r !== usum ? 1 : 0;
  const v = s(r, w) !== ssum ? 1 : 0;
  return { r, nzcv: (n << 3) | (z << 2) | (c << 1) | v };
}

function shiftRef(x: bigint, type: number, amt: number, w: number): bigint {
  const a = BigInt(amt);
  x = u(x, w);
  switch (type) {
    case 0: return u(x << a, w);
    case 1: return x >> a;
    case 2: return u(s(x, w) >> a, w);
    default: return amt === 0 ? x : u((x >> a) | (x << BigInt(w - amt)), w);
  }
}

function condHolds(cond: string, nzcv: number): boolean {
  const N = (nzcv >> 3) & 1, Z = (nzcv >> 2) & 1, C = (nzcv >> 1) & 1, V = nzcv & 1;
  switch (cond) {
    case 'eq': return Z === 1;
    case 'ne': return Z === 0;
    case 'hs': case 'cs': return C === 1;
    case 'lo': case 'cc': return C === 0;
    case 'mi': return N === 1;
    case 'pl': return N === 0;
    case 'vs': return V === 1;
    case 'vc': return V === 0;
    case 'hi': return C === 1 && Z === 0;
    case 'ls': return !(C === 1 && Z === 0);
    case 'ge': return N === V;
    case 'lt': return N !== V;
    case 'gt': return Z === 0 && N === V;
    case 'le': return !(Z === 0 && N === V);
    default: return true;
  }
}
const CONDS = ['eq', 'ne', 'hs', 'cs', 'lo', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];
const SHIFTS = ['lsl', 'lsr', 'asr', 'ror'];

/** One machine per snippet text, reused across property runs (compiling is the slow part). */
const cache = new Map<string, { program: Program; machine: Machine }>();
function exec(body: string, x: Record<number, bigint>, nzcv = 0): Machine {
  let e = cache.get(body);
  if (!e) {
    e = { program: asm(`t:\n${body}\n\tret\n`), machine: new Machine(new CpuModel(ID_6_4), { regions: [{ addr: RAM, size: 0x1000 }] }) };
    cache.set(body, e);
  }
  const m = e.machine;
  for (let n = 0; n <= 29; n++) m.setX(n, 0xdead_beef_0000_0000n + BigInt(n)); // garbage everywhere
  for (const [n, v] of Object.entries(x)) m.setX(Number(n), v);
  m.nzcv = nzcv;
  const r = m.run(e.program, 't');
  if (r.fault) throw r.fault;
  return m;
}

const u64 = fc.bigInt({ min: 0n, max: M64 });
// Values near the interesting edges (0, 1, sign boundaries, all ones) as well as random ones.
const edgy = fc.oneof(u64, fc.constantFrom(0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n));
const flags = fc.integer({ min: 0, max: 15 });

describe('add/sub', () => {
  it('shifted register, both widths, with flags for adds/subs', () => {
    fc.assert(
      fc.property(fc.constantFrom('add', 'adds', 'sub', 'subs'), fc.boolean(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 63 }), edgy, edgy, flags, (op, x64, st, amt, a, b, f0) => {
        const w = x64 ? 64 : 32;
        const r = x64 ? 'x' : 'w';
        amt %= w;
        const m = exec(`\t${op} ${r}0, ${r}1, ${r}2, ${SHIFTS[st]} #${amt}`, { 1: a, 2: b }, f0);
        const y = shiftRef(b, st, amt, w);
        const ref = op.startsWith('add') ? addWithCarry(a, y, 0n, w) : addWithCarry(a, u(~y, w), 1n, w);
        expect(m.getX(0)).toBe(ref.r); // w forms zero the upper half
        expect(m.nzcv).toBe(op.endsWith('s') ? ref.nzcv : f0);
      }),
    );
  });

  it('immediate, with and without lsl #12, including sp as base and destination', () => {
    fc.assert(
      fc.property(fc.constantFrom('add', 'adds', 'sub', 'subs'), fc.boolean(), fc.integer({ min: 0, max: 4095 }), fc.boolean(), edgy, (op, x64, imm, sh, a) => {
        const w = x64 ? 64 : 32;
        const r = x64 ? 'x' : 'w';
        const m = exec(`\t${op} ${r}0, ${r}1, #${imm}${sh ? ', lsl #12' : ''}`, { 1: a });
        const y = BigInt(imm) << (sh ? 12n : 0n);
        const ref = op.startsWith('add') ? addWithCarry(a, y, 0n, w) : addWithCarry(a, u(~y, w), 1n, w);
        expect(m.getX(0)).toBe(ref.r);
        if (op.endsWith('s')) expect(m.nzcv).toBe(ref.nzcv);
      }),
    );
    const { machine } = runSnippet('\tmov x9, sp\n\tadd sp, sp, #0x10, lsl #12\n\tsub x10, sp, #1\n\tmov sp, x9', {});
    expect(machine.getX(10)).toBe(0xffffn);
    expect(machine.getSp()).toBe(0n);
  });

  it('cmp/cmn/neg/negs and adds xzr (the seed\'s flag test)', () => {
    fc.assert(
      fc.property(edgy, edgy, (a, b) => {
        const m = exec('\tcmp x1, x2\n\tcset x3, lo\n\tcmn x1, x2\n\tcset x4, vs\n\tneg x5, x2\n\tadds xzr, x1, x2\n\tcset w6, ne', { 1: a, 2: b });
        expect(m.getX(3)).toBe(u(a, 64) < u(b, 64) ? 1n : 0n);
        expect(m.getX(4)).toBe((addWithCarry(a, b, 0n, 64).nzcv & 1) === 1 ? 1n : 0n);
        expect(m.getX(5)).toBe(u(-b, 64));
        expect(m.getX(6)).toBe(u(a + b, 64) !== 0n ? 1n : 0n);
      }),
    );
  });

  it('extended register forms', () => {
    const exts = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 4 }), fc.boolean(), edgy, edgy, (e, amt, sub, a, b) => {
        const rm = e === 3 || e === 7 ? 'x2' : 'w2';
        const m = exec(`\t${sub ? 'sub' : 'add'} x0, x1, ${rm}, ${exts[e]} #${amt}`, { 1: a, 2: b });
        const bits = [8, 16, 32, 64][e & 3]!;
        const ext = e < 4 ? u(b, bits) : u(s(b, bits), 64);
        const y = u(ext << BigInt(amt), 64);
        expect(m.getX(0)).toBe(u(sub ? a - y : a + y, 64));
      }),
    );
  });
});

describe('logical', () => {
  it('shifted register (incl. ror and the inverted forms), both widths', () => {
    const ops: Record<string, (a: bigint, b: bigint) => bigint> = {
      and: (a, b) => a & b, orr: (a, b) => a | b, eor: (a, b) => a ^ b, ands: (a, b) => a & b,
      bic: (a, b) => a & ~b, orn: (a, b) => a | ~b, eon: (a, b) => a ^ ~b, bics: (a, b) => a & ~b,
    };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(ops)), fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 63 }), edgy, edgy, flags, (op, x64, st, amt, a, b, f0) => {
        const w = x64 ? 64 : 32;
        const r = x64 ? 'x' : 'w';
        amt %= w;
        const m = exec(`\t${op} ${r}0, ${r}1, ${r}2, ${SHIFTS[st]} #${amt}`, { 1: a, 2: b }, f0);
        const res = u(ops[op]!(u(a, w), shiftRef(b, st, amt, w)), w);
        expect(m.getX(0)).toBe(res);
        const setsFlags = op === 'ands' || op === 'bics';
        expect(m.nzcv).toBe(setsFlags ? (Number(res >> BigInt(w - 1)) << 3) | (res === 0n ? 4 : 0) : f0);
      }),
    );
  });

  it('bitmask immediates: every valid (N, immr, imms) encodes, round-trips and computes', () => {
    // Enumerate a sample of element sizes/runs/rotations and check value semantics.
    fc.assert(
      fc.property(fc.constantFrom(2, 4, 8, 16, 32, 64), fc.nat(), fc.nat(), fc.boolean(), edgy, (esize, onesSeed, rotSeed, x64, a) => {
        const w = x64 ? 64 : 32;
        if (esize > w) esize = w;
        const ones = 1 + (onesSeed % (esize - 1));
        const rot = rotSeed % esize;
        const run = mask(ones);
        const elt = u((run >> BigInt(rot)) | (run << BigInt(esize - rot)), esize);
        let value = 0n;
        for (let i = 0; i < w; i += esize) value |= elt << BigInt(i);
        const r = x64 ? 'x' : 'w';
        const m = exec(`\tand ${r}0, ${r}1, #0x${value.toString(16)}\n\torr ${r}3, ${r}zr, #0x${value.toString(16)}\n\ttst ${r}1, #0x${value.toString(16)}`, { 1: a });
        expect(m.getX(0)).toBe(u(a, w) & value);
        expect(m.getX(3)).toBe(value);
        expect((m.nzcv >> 2) & 1).toBe((u(a, w) & value) === 0n ? 1 : 0);
      }),
    );
  });
});

describe('moves', () => {
  it('mov (immediate) loads the value, whichever of movz/movn/orr the assembler picks', () => {
    const movable = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 3 })).map(([v, hw]) => BigInt(v) << BigInt(16 * hw)),
      fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 3 })).map(([v, hw]) => u(~(BigInt(v) << BigInt(16 * hw)), 64)),
      fc.constantFrom(0x5555555555555555n, 0x00ff00ff00ff00ffn, 0xfffffffffffffff0n),
    );
    fc.assert(
      fc.property(movable, (v) => {
        expect(exec(`\tmov x0, #0x${v.toString(16)}`, {}).getX(0)).toBe(v);
      }),
    );
    const m = exec('\tmov w1, #-1\n\tmov w2, #0xffff0000\n\tmov w26, #15\n\tmovz x3, #0xbeef, lsl #48\n\tmovk x3, #0x1234, lsl #16\n\tmovn w4, #1\n\tmovk w5, #7', { 5: 0xffff_ffff_ffff_ffffn });
    expect(m.getX(1)).toBe(0xffffffffn);
    expect(m.getX(2)).toBe(0xffff0000n);
    expect(m.getX(26)).toBe(15n);
    expect(m.getX(3)).toBe(0xbeef_0000_1234_0000n);
    expect(m.getX(4)).toBe(0xfffffffen);
    expect(m.getX(5)).toBe(0xffff0007n);
  });

  it('mov between registers, w forms zero the upper half, sp forms', () => {
    const m = exec('\tmov x1, x2\n\tmov w3, w2\n\tmov sp, x2\n\tmov x4, sp\n\tmov x5, xzr\n\tmov x6, #0', { 2: 0x1234_5678_9abc_def0n });
    expect(m.getX(1)).toBe(0x1234_5678_9abc_def0n);
    expect(m.getX(3)).toBe(0x9abc_def0n);
    expect(m.getX(4)).toBe(0x1234_5678_9abc_def0n);
    expect(m.getX(5)).toBe(0n);
    expect(m.getSp()).toBe(0x1234_5678_9abc_def0n);
    expect(() => asm('\tmov sp, xzr\n')).toThrow(/register 31 means sp/); // as in GNU as and llvm-mc
  });
});

describe('bitfield and shifts', () => {
  it('ubfx/sbfx/ubfiz/sbfiz/bfi/bfxil, both widths', () => {
    fc.assert(
      fc.property(fc.constantFrom('ubfx', 'sbfx', 'ubfiz', 'sbfiz', 'bfi', 'bfxil'), fc.boolean(), fc.nat(), fc.nat(), edgy, edgy, (op, x64, l, wd, a, d) => {
        const w = x64 ? 64 : 32;
        const lsb = l % w;
        const width = 1 + (wd % (w - lsb));
        const r = x64 ? 'x' : 'w';
        const m = exec(`\t${op} ${r}0, ${r}1, #${lsb}, #${width}`, { 0: d, 1: a });
        const src = u(a, w);
        const dst = u(d, w);
        const field = (src >> BigInt(lsb)) & mask(width);
        const low = src & mask(width);
        const sx = (v: bigint): bigint => u(s(v, width), w);
        const ref = {
          ubfx: field,
          sbfx: sx(field),
          ubfiz: u(low << BigInt(lsb), w),
          sbfiz: u(sx(low) << BigInt(lsb), w),
          bfi: (dst & ~(mask(width) << BigInt(lsb)) & mask(w)) | (low << BigInt(lsb)),
          bfxil: (dst & ~mask(width) & mask(w)) | field,
        }[op]!;
        expect(m.getX(0)).toBe(ref);
      }),
    );
  });

  it('the seed\'s BRPs/WRPs extraction and skip computation', () => {
    const m = exec('\tubfx x24, x26, #12, #4\n\tubfx x25, x26, #20, #4\n\tmov w26, #15\n\tsub w24, w26, w24\n\tsub w25, w26, w25', { 26: 0x10305106n });
    expect(m.getX(24)).toBe(10n); // 15 - (6 - 1)
    expect(m.getX(25)).toBe(12n); // 15 - (4 - 1)
  });

  it('lsl/lsr/asr by immediate and by register, sxt*/uxt*', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.integer({ min: 0, max: 255 }), edgy, (st, x64, amt, a) => {
        const w = x64 ? 64 : 32;
        const r = x64 ? 'x' : 'w';
        const name = SHIFTS[st]!;
        const m = exec(`\t${name} ${r}0, ${r}1, #${amt % w}\n\t${name} ${r}3, ${r}1, ${r}2\n\tror ${r}4, ${r}1, ${r}2`, { 1: a, 2: BigInt(amt) });
        expect(m.getX(0)).toBe(shiftRef(a, st, amt % w, w));
        expect(m.getX(3)).toBe(shiftRef(a, st, amt % w, w));
        expect(m.getX(4)).toBe(shiftRef(a, 3, amt % w, w));
      }),
    );
    const m = exec('\tsxtb x0, w1\n\tsxth w2, w1\n\tsxtw x3, w1\n\tuxtb w4, w1\n\tuxth w5, w1', { 1: 0xffff_ffff_8000_8080n });
    expect(m.getX(0)).toBe(0xffff_ffff_ffff_ff80n);
    expect(m.getX(2)).toBe(0xffff_8080n);
    expect(m.getX(3)).toBe(0xffff_ffff_8000_8080n);
    expect(m.getX(4)).toBe(0x80n);
    expect(m.getX(5)).toBe(0x8080n);
  });
});

describe('conditional select', () => {
  it('csel/csinc/csinv/csneg and cset/csetm/cinc/cinv/cneg on every condition', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONDS), flags, edgy, edgy, fc.boolean(), (cond, f, a, b, x64) => {
        const w = x64 ? 64 : 32;
        const r = x64 ? 'x' : 'w';
        const body = [
          `csel ${r}0, ${r}1, ${r}2, ${cond}`, `csinc ${r}3, ${r}1, ${r}2, ${cond}`, `csinv ${r}4, ${r}1, ${r}2, ${cond}`,
          `csneg ${r}5, ${r}1, ${r}2, ${cond}`,
        ];
        const alias = cond !== 'al' && cond !== 'nv';
        if (alias) body.push(`cset ${r}6, ${cond}`, `csetm ${r}7, ${cond}`, `cinc ${r}8, ${r}1, ${cond}`, `cinv ${r}9, ${r}1, ${cond}`, `cneg ${r}10, ${r}1, ${cond}`);
        const m = exec(body.map((l) => `\t${l}`).join('\n'), { 1: a, 2: b }, f);
        const t = condHolds(cond, f);
        const A = u(a, w);
        const B = u(b, w);
        expect(m.getX(0)).toBe(t ? A : B);
        expect(m.getX(3)).toBe(t ? A : u(B + 1n, w));
        expect(m.getX(4)).toBe(t ? A : u(~B, w));
        expect(m.getX(5)).toBe(t ? A : u(-B, w));
        if (alias) {
          expect(m.getX(6)).toBe(t ? 1n : 0n);
          expect(m.getX(7)).toBe(t ? mask(w) : 0n);
          expect(m.getX(8)).toBe(t ? u(A + 1n, w) : A);
          expect(m.getX(9)).toBe(t ? u(~A, w) : A);
          expect(m.getX(10)).toBe(t ? u(-A, w) : A);
        }
        expect(m.nzcv).toBe(f);
      }),
    );
  });
});

describe('branches', () => {
  it('b.cond, cbz/cbnz and tbz/tbnz take the branch exactly when they should', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONDS), flags, (cond, f) => {
        const m = exec(`\tmov x0, #1\n\tb.${cond} 1f\n\tmov x0, #2\n1:`, {}, f);
        expect(m.getX(0)).toBe(condHolds(cond, f) ? 1n : 2n);
      }),
    );
    fc.assert(
      fc.property(edgy, fc.integer({ min: 0, max: 63 }), (v, bit) => {
        const m = exec(
          `\tmov x3, #0\n\tcbz x1, 1f\n\torr x3, x3, #1\n1:\tcbnz w1, 2f\n\torr x3, x3, #2\n2:\ttbz x1, #${bit}, 3f\n\torr x3, x3, #4\n3:\ttbnz x1, #${bit}, 4f\n\torr x3, x3, #8\n4:`,
          { 1: v },
        );
        const isBit = ((v >> BigInt(bit)) & 1n) === 1n;
        expect(m.getX(3)).toBe((v === 0n ? 0n : 1n) | (u(v, 32) !== 0n ? 0n : 2n) | (!isBit ? 0n : 4n) | (isBit ? 0n : 8n));
      }),
    );
  });

  it('computed branches land exactly `skip` instructions after the label', () => {
    for (let skip = 0; skip <= 15; skip++) {
      const body = ['\tadr x26, 1f', '\tadd x26, x26, x24, lsl #2', '\tbr x26', '1:'];
      for (let k = 15; k >= 0; k--) body.push(`\torr x0, x0, #${1n << BigInt(k)}`);
      const m = exec(body.join('\n'), { 0: 0n, 24: BigInt(skip) });
      // the first `skip` orr (bits 15 down to 16-skip) are jumped over
      expect(m.getX(0)).toBe((1n << BigInt(16 - skip)) - 1n);
    }
  });

  it('adr, bl/ret, blr and ret xN', () => {
    const p = asm('t:\n\tadr x1, t\n\tadr x2, 1f\n\tmov x9, x30\n\tbl f\n\tadr x3, g\n\tblr x3\n\tmov x30, x9\n1:\tret\nf:\tmov x4, x30\n\tret\ng:\tmov x5, x30\n\tret x30\n', 0x4000_2000n);
    const m = new Machine(new CpuModel(ID_6_4));
    const r = m.run(p, 't');
    expect(r.status).toBe('returned');
    expect(m.getX(1)).toBe(0x4000_2000n);
    expect(m.getX(2)).toBe(0x4000_201cn);
    expect(m.getX(4)).toBe(0x4000_2010n); // return address of the bl
    expect(m.getX(5)).toBe(0x4000_2018n); // return address of the blr
    expect(r.steps).toBe(12);
  });
});

describe('loads and stores', () => {
  it('ldr/str (unsigned offset, pre/post-index, unscaled), byte/half/word/double, ldp/stp', () => {
    const base = RAM + 0x100n;
    const m = exec(
      [
        '\tstr x1, [x0]', '\tstr w1, [x0, #8]', '\tstrh w1, [x0, #12]', '\tstrb w1, [x0, #14]',
        '\tldr x2, [x0]', '\tldr w3, [x0, #8]', '\tldrh w4, [x0, #12]', '\tldrb w5, [x0, #14]',
        '\tstp x1, x2, [x0, #16]', '\tldp x6, x7, [x0, #16]', '\tstp w1, w2, [x0, #32]', '\tldp w8, w9, [x0, #32]',
        '\tmov x10, x0', '\tstr x1, [x10, #64]!', '\tldr x11, [x10], #-8', '\tstur x1, [x10, #-8]', '\tldur x12, [x10, #-8]',
        '\tmov x13, x0', '\tstp x1, x2, [x13, #-16]!', '\tldp x14, x15, [x13], #16', '\tstr xzr, [x0, #48]', '\tldr x16, [x0, #48]',
      ].join('\n'),
      { 0: base, 1: 0x1122_3344_5566_7788n },
    );
    expect(m.getX(2)).toBe(0x1122_3344_5566_7788n);
    expect(m.getX(3)).toBe(0x5566_7788n);
    expect(m.getX(4)).toBe(0x7788n);
    expect(m.getX(5)).toBe(0x88n);
    expect([m.getX(6), m.getX(7)]).toEqual([0x1122_3344_5566_7788n, 0x1122_3344_5566_7788n]);
    expect([m.getX(8), m.getX(9)]).toEqual([0x5566_7788n, 0x5566_7788n]);
    expect(m.getX(10)).toBe(base + 56n);
    expect(m.getX(11)).toBe(0x1122_3344_5566_7788n);
    expect(m.getX(12)).toBe(0x1122_3344_5566_7788n);
    expect(m.getX(13)).toBe(base);
    expect([m.getX(14), m.getX(15)]).toEqual([0x1122_3344_5566_7788n, 0x1122_3344_5566_7788n]);
    expect(m.getX(16)).toBe(0n);
    expect(m.readU64(base + 8n)).toBe(0x0088_7788_5566_7788n);
  });

  it('memory is little-endian and addressed with 64-bit addresses above 4 GiB', () => {
    const high = 0x0000_0008_0000_0000n;
    const p = asm('t:\n\tldr x1, [x0, #8]\n\tstr x1, [x0, #16]\n\tret\n');
    const m = new Machine(new CpuModel(ID_6_4), { regions: [{ addr: high - 8n, size: 64 }] });
    m.writeU64(high + 8n, 0x0102_0304_0506_0708n);
    m.setX(0, high);
    expect(m.run(p, 't').status).toBe('returned');
    expect(Array.from(m.load(high + 16n, 8))).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });
});
