// Pass 5: the machine — registers, flags, system registers, memory — and the run loop.
//
// The hot path never touches BigInt: state is in typed arrays (see compile.ts) and memory accesses
// go through small monomorphic helpers on the execution context. BigInt appears only at the API
// boundary (setX/getX, readSys/writeSys, load/store, run's entry address).
//
// Memory: regions the caller maps, each a bounded byte buffer at an arbitrary 64-bit address
// (8-byte aligned). The MMU is off, so every data access must be aligned to its size (an
// unaligned access is an alignment fault) and an access outside every region is a memory fault.
// Instruction fetch comes from the program image only; the image is not data-addressable.
// Not modelled: SP alignment checking, exclusive monitors, exception entry (a fault stops the run).

import type { Program } from './program.js';
import { decode, endsBlock, type Decoded } from './decode.js';
import { emitInstruction, R_FLAGS, R_SIZE, R_SP, SENTINEL_INDEX, type BlockContext } from './compile.js';
import { SimFault, hex, type FaultKind, type SourceLoc } from './errors.js';
import { CpuModel, SYSREGS, SYSREG_INDEX, lookupSysReg, type SysRegDef } from './sysregs.js';

/** x30 holds this on entry; reaching it is a normal return. Outside any sensible code address. */
export const RETURN_SENTINEL = 0xdead_0000_0000_0000n;
const SENT_LO = 0;
const SENT_HI = 0xdead0000;

export const DEFAULT_MAX_STEPS = 1_000_000;
const MAX_BLOCK = 256;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('the simulator assumes a little-endian host');
}

type BlockFn = (R: Uint32Array, S: Uint32Array, W: Int32Array, m: Exec) => number;

class Region {
  readonly lo: number;
  readonly hi: number;
  readonly size: number;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  /** Writer id of the last store to each 8-byte word (0: initial contents or an API store). */
  readonly writers: Int32Array;

  constructor(
    readonly addr: bigint,
    size: number,
  ) {
    this.lo = Number(addr & 0xffffffffn);
    this.hi = Number(addr >> 32n);
    this.size = size;
    const buf = new ArrayBuffer(Math.ceil(size / 8) * 8);
    this.u8 = new Uint8Array(buf, 0, size);
    this.u16 = new Uint16Array(buf);
    this.u32 = new Uint32Array(buf);
    this.writers = new Int32Array(Math.ceil(size / 8));
  }

  get end(): bigint {
    return this.addr + BigInt(this.size);
  }
}

/** The result of `Machine.run`. */
export interface RunResult {
  status: 'returned' | 'fault';
  /** Instructions executed (the faulting instruction is not counted). */
  steps: number;
  fault?: SimFault;
}

/** Who last wrote a system register or memory word. */
export interface WriterInfo {
  pc: bigint;
  loc: SourceLoc;
  text: string;
}

/** The code of one program compiled for one machine, plus the helpers the compiled code calls. */
class Exec implements BlockContext {
  readonly blocks: (BlockFn | undefined)[];
  readonly lens: Int32Array;
  readonly singles: (BlockFn | undefined)[];
  readonly decoded: (Decoded | null | undefined)[];
  readonly length: number;
  readonly model: CpuModel;
  /** Scratch output of helpers that return 64-bit values. */
  readonly T = new Uint32Array(2);
  private readonly baseLo: number;
  private readonly baseHi: number;
  regions: Region[];
  /** Index of the first instruction of the block being executed (to count steps on a fault). */
  blockStart = 0;

  constructor(
    readonly machine: Machine,
    readonly program: Program,
    readonly writerBase: number,
  ) {
    this.length = program.length;
    this.blocks = new Array<BlockFn | undefined>(program.length);
    this.singles = new Array<BlockFn | undefined>(program.length);
    this.lens = new Int32Array(program.length);
    this.decoded = new Array<Decoded | null | undefined>(program.length);
    this.model = machine.model;
    [this.baseLo, this.baseHi] = program.baseHalves;
    this.regions = machine.regionList;
  }

  addressHalves(i: number): [number, number] {
    const a = this.program.addressOf(i);
    return [Number(a & 0xffffffffn), Number(a >> 32n)];
  }

  writerId(i: number): number {
    return this.writerBase + i + 1;
  }

  decodeAt(i: number): Decoded | null {
    let d = this.decoded[i];
    if (d === undefined) {
      d = decode(this.program.words[i]!) ?? null;
      this.decoded[i] = d;
    }
    return d;
  }

  /** Compile the straight-line run starting at `start` (at most `max` instructions). */
  compile(start: number, max: number): { fn: BlockFn; len: number } {
    let code = '';
    let len = 0;
    let i = start;
    let terminated = false;
    while (i < this.length && len < max) {
      const d = this.decodeAt(i);
      if (d === null) {
        if (len === 0) {
          code += `throw m.unknown(${i});`;
          len = 1;
          terminated = true;
        }
        break;
      }
      code += `{${emitInstruction(d, i, this)}}\n`;
      len++;
      i++;
      if (endsBlock(d)) {
        terminated = true;
        break;
      }
    }
    if (!terminated) code += `return ${i};`;
    const fn = new Function('R', 'S', 'W', 'm', `"use strict";\n${code}`) as BlockFn;
    return { fn, len };
  }

  // ---- faults ----

  private fault(kind: FaultKind, i: number, detail: string, extra: { register?: string; address?: bigint; word?: number } = {}): SimFault {
    const inside = i >= 0 && i < this.length;
    return new SimFault(
      {
        kind,
        pc: this.program.addressOf(i),
        ...(inside ? { loc: this.program.locs[i]!, sourceText: this.program.texts[i]! } : {}),
        ...extra,
      },
      detail,
    );
  }

  unknown(i: number): SimFault {
    const word = this.program.words[i]!;
    return this.fault('unknown-instruction', i, `the simulator does not model the instruction word 0x${word.toString(16).padStart(8, '0')}`, { word });
  }

  undefinedSysreg(i: number, name: string, why: string): SimFault {
    return this.fault('undefined', i, `UNDEFINED: ${why}`, { register: name });
  }

  stop(i: number, kind: FaultKind, imm: number): SimFault {
    return this.fault(kind, i, `${kind}${kind === 'eret' ? '' : ` #0x${imm.toString(16)}`} executed`);
  }

  prefetch(i: number, tl: number, th: number): SimFault {
    const target = (BigInt(th >>> 0) << 32n) | BigInt(tl >>> 0);
    if ((tl & 3) !== 0) return this.fault('pc-alignment', i, `branch to misaligned address ${hex(target)}`, { address: target });
    return this.fault('prefetch', i, `branch to ${hex(target)}, outside the program image (${hex(this.program.base)}..${hex(this.program.addressOf(this.length))})`, { address: target });
  }

  private memFault(i: number, lo: number, hi: number, size: number, write: boolean, kind: 'memory' | 'alignment'): SimFault {
    const address = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const what = `${size}-byte ${write ? 'store to' : 'load from'} ${hex(address)}`;
    const detail = kind === 'alignment' ? `${what} is not ${size}-byte aligned (MMU off: unaligned accesses fault)` : `${what} is outside every mapped region`;
    return this.fault(kind, i, detail, { address });
  }

  // ---- computed branches ----

  jump(tl: number, th: number, i: number): number {
    if (tl === SENT_LO && th === SENT_HI) return SENTINEL_INDEX;
    const off = (th - this.baseHi) * 4294967296 + (tl - this.baseLo);
    if (off >= 0 && off < this.length * 4 && (tl & 3) === 0) return off / 4;
    throw this.prefetch(i, tl, th);
  }

  // ---- memory ----

  /** Offset of [lo,hi]..+size in a region, or throws. */
  private find(lo: number, hi: number, size: number, i: number, write: boolean): Region {
    const regions = this.regions;
    for (let k = 0; k < regions.length; k++) {
      const g = regions[k]!;
      const off = (hi - g.hi) * 4294967296 + (lo - g.lo);
      if (off >= 0 && off + size <= g.size) return g;
    }
    throw this.memFault(i, lo, hi, size, write, 'memory');
  }

  private offsetIn(g: Region, lo: number, hi: number): number {
    return (hi - g.hi) * 4294967296 + (lo - g.lo);
  }

  ld8(lo: number, hi: number, d: number, i: number): void {
    if ((lo & 7) !== 0) throw this.memFault(i, lo, hi, 8, false, 'alignment');
    const g = this.find(lo, hi, 8, i, false);
    const w = this.offsetIn(g, lo, hi) / 4;
    const R = this.machine.R;
    R[d] = g.u32[w]!;
    R[d + 1] = g.u32[w + 1]!;
  }

  ld4(lo: number, hi: number, d: number, i: number): void {
    if ((lo & 3) !== 0) throw this.memFault(i, lo, hi, 4, false, 'alignment');
    const g = this.find(lo, hi, 4, i, false);
    const R = this.machine.R;
    R[d] = g.u32[this.offsetIn(g, lo, hi) / 4]!;
    R[d + 1] = 0;
  }

  ld2(lo: number, hi: number, d: number, i: number): void {
    if ((lo & 1) !== 0) throw this.memFault(i, lo, hi, 2, false, 'alignment');
    const g = this.find(lo, hi, 2, i, false);
    const R = this.machine.R;
    R[d] = g.u16[this.offsetIn(g, lo, hi) / 2]!;
    R[d + 1] = 0;
  }

  ld1(lo: number, hi: number, d: number, i: number): void {
    const g = this.find(lo, hi, 1, i, false);
    const R = this.machine.R;
    R[d] = g.u8[this.offsetIn(g, lo, hi)]!;
    R[d + 1] = 0;
  }

  st8(lo: number, hi: number, vl: number, vh: number, i: number): void {
    if ((lo & 7) !== 0) throw this.memFault(i, lo, hi, 8, true, 'alignment');
    const g = this.find(lo, hi, 8, i, true);
    const off = this.offsetIn(g, lo, hi);
    g.u32[off / 4] = vl;
    g.u32[off / 4 + 1] = vh;
    g.writers[off / 8] = this.writerBase + i + 1;
  }

  st4(lo: number, hi: number, v: number, i: number): void {
    if ((lo & 3) !== 0) throw this.memFault(i, lo, hi, 4, true, 'alignment');
    const g = this.find(lo, hi, 4, i, true);
    const off = this.offsetIn(g, lo, hi);
    g.u32[off / 4] = v;
    g.writers[Math.floor(off / 8)] = this.writerBase + i + 1;
  }

  st2(lo: number, hi: number, v: number, i: number): void {
    if ((lo & 1) !== 0) throw this.memFault(i, lo, hi, 2, true, 'alignment');
    const g = this.find(lo, hi, 2, i, true);
    const off = this.offsetIn(g, lo, hi);
    g.u16[off / 2] = v;
    g.writers[Math.floor(off / 8)] = this.writerBase + i + 1;
  }

  st1(lo: number, hi: number, v: number, i: number): void {
    const g = this.find(lo, hi, 1, i, true);
    const off = this.offsetIn(g, lo, hi);
    g.u8[off] = v;
    g.writers[Math.floor(off / 8)] = this.writerBase + i + 1;
  }

  /** Second address of a pair: (lo, hi) + size, wrapping. */
  private static plus(lo: number, hi: number, size: number): [number, number] {
    const t = lo + size;
    return [t >>> 0, (hi + (t > 4294967295 ? 1 : 0)) >>> 0];
  }

  ldp8(lo: number, hi: number, d1: number, d2: number, i: number): void {
    if ((lo & 7) !== 0) throw this.memFault(i, lo, hi, 8, false, 'alignment');
    const g1 = this.find(lo, hi, 8, i, false);
    const [lo2, hi2] = Exec.plus(lo, hi, 8);
    const g2 = this.find(lo2, hi2, 8, i, false);
    const w1 = this.offsetIn(g1, lo, hi) / 4;
    const w2 = this.offsetIn(g2, lo2, hi2) / 4;
    const a = g1.u32[w1]!, b = g1.u32[w1 + 1]!, c = g2.u32[w2]!, e = g2.u32[w2 + 1]!;
    const R = this.machine.R;
    R[d1] = a;
    R[d1 + 1] = b;
    R[d2] = c;
    R[d2 + 1] = e;
  }

  ldp4(lo: number, hi: number, d1: number, d2: number, i: number): void {
    if ((lo & 3) !== 0) throw this.memFault(i, lo, hi, 4, false, 'alignment');
    const g1 = this.find(lo, hi, 4, i, false);
    const [lo2, hi2] = Exec.plus(lo, hi, 4);
    const g2 = this.find(lo2, hi2, 4, i, false);
    const a = g1.u32[this.offsetIn(g1, lo, hi) / 4]!;
    const c = g2.u32[this.offsetIn(g2, lo2, hi2) / 4]!;
    const R = this.machine.R;
    R[d1] = a;
    R[d1 + 1] = 0;
    R[d2] = c;
    R[d2 + 1] = 0;
  }

  stp8(lo: number, hi: number, al: number, ah: number, bl: number, bh: number, i: number): void {
    if ((lo & 7) !== 0) throw this.memFault(i, lo, hi, 8, true, 'alignment');
    const g1 = this.find(lo, hi, 8, i, true);
    const [lo2, hi2] = Exec.plus(lo, hi, 8);
    const g2 = this.find(lo2, hi2, 8, i, true);
    const o1 = this.offsetIn(g1, lo, hi);
    const o2 = this.offsetIn(g2, lo2, hi2);
    const wid = this.writerBase + i + 1;
    g1.u32[o1 / 4] = al;
    g1.u32[o1 / 4 + 1] = ah;
    g1.writers[o1 / 8] = wid;
    g2.u32[o2 / 4] = bl;
    g2.u32[o2 / 4 + 1] = bh;
    g2.writers[o2 / 8] = wid;
  }

  stp4(lo: number, hi: number, a: number, b: number, i: number): void {
    if ((lo & 3) !== 0) throw this.memFault(i, lo, hi, 4, true, 'alignment');
    const g1 = this.find(lo, hi, 4, i, true);
    const [lo2, hi2] = Exec.plus(lo, hi, 4);
    const g2 = this.find(lo2, hi2, 4, i, true);
    const o1 = this.offsetIn(g1, lo, hi);
    const o2 = this.offsetIn(g2, lo2, hi2);
    const wid = this.writerBase + i + 1;
    g1.u32[o1 / 4] = a;
    g1.writers[Math.floor(o1 / 8)] = wid;
    g2.u32[o2 / 4] = b;
    g2.writers[Math.floor(o2 / 8)] = wid;
  }

  // ---- rarely used operations ----

  /** LSLV/LSRV/ASRV/RORV: result in T[0..1]. */
  shiftv(kind: number, sf: boolean, lo: number, hi: number, amountLo: number): void {
    const width = sf ? 64n : 32n;
    const s = BigInt(amountLo >>> 0) % width;
    const v = sf ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) : BigInt(lo >>> 0);
    const w = Number(width);
    let r: bigint;
    switch (kind) {
      case 0: r = BigInt.asUintN(w, v << s); break;
      case 1: r = v >> s; break;
      case 2: r = BigInt.asUintN(w, BigInt.asIntN(w, v) >> s); break;
      default: r = BigInt.asUintN(w, (v >> s) | (v << (width - s)));
    }
    this.T[0] = Number(r & 0xffffffffn);
    this.T[1] = Number(r >> 32n);
  }

  /** Apply a model's write transform to a system register slot (quirk models only). */
  transformSysreg(slot: number): void {
    const def = SYSREGS[slot]!;
    const f = this.model.writeTransform(def)!;
    const S = this.machine.S;
    const v = (BigInt(S[2 * slot + 1]!) << 32n) | BigInt(S[2 * slot]!);
    const r = BigInt.asUintN(64, f(v)) & this.model.keepMask(def);
    S[2 * slot] = Number(r & 0xffffffffn);
    S[2 * slot + 1] = Number(r >> 32n);
  }

  // ---- the run loop ----

  run(entry: number, maxSteps: number): RunResult {
    const m = this.machine;
    const R = m.R;
    const S = m.S;
    const W = m.W;
    const blocks = this.blocks;
    const lens = this.lens;
    const n = this.length;
    let idx = entry;
    let steps = 0;
    try {
      for (;;) {
        if (idx === SENTINEL_INDEX) {
          m.pcValue = RETURN_SENTINEL;
          return { status: 'returned', steps };
        }
        if (idx >= n) throw this.fault('prefetch', n - 1, `execution ran past the last word of the program (${hex(this.program.addressOf(n))})`);
        let fn = blocks[idx];
        if (fn === undefined) {
          const b = this.compile(idx, m.maxBlock);
          fn = blocks[idx] = b.fn;
          lens[idx] = b.len;
        }
        const len = lens[idx]!;
        if (steps + len > maxSteps) {
          // Close to the limit: go one instruction at a time so the limit is exact.
          if (steps >= maxSteps) {
            throw this.fault('step-limit', idx, `step limit of ${maxSteps} instructions reached`);
          }
          let one = this.singles[idx];
          if (one === undefined) one = this.singles[idx] = this.compile(idx, 1).fn;
          this.blockStart = idx;
          idx = one(R, S, W, this);
          steps += 1;
          continue;
        }
        this.blockStart = idx;
        idx = fn(R, S, W, this);
        steps += len;
      }
    } catch (e) {
      if (!(e instanceof SimFault)) throw e;
      const at = this.program.indexOf(e.pc);
      if (e.kind !== 'step-limit' && at !== undefined && at >= this.blockStart) steps += at - this.blockStart;
      m.pcValue = e.pc;
      return { status: 'fault', steps, fault: e };
    }
  }
}

export interface MemoryRegionInit {
  addr: bigint;
  /** Initial contents (copied), or a size in bytes for a zero-filled region. */
  bytes?: Uint8Array;
  size?: number;
}

export interface MachineOptions {
  regions?: MemoryRegionInit[];
  /**
   * The ID_AA64DFR0_EL1 value the code reads (default: the model's own). The QEMU harness emulates
   * fewer debug registers by trapping the ID read, so the observed counts may be lower than the
   * implemented ones; accesses are still checked against the model's implemented counts.
   */
  observedIdAa64dfr0?: bigint;
  /**
   * Longest straight-line run compiled into one function (default 256). 1 compiles every
   * instruction separately, which is what a closure-per-instruction interpreter does; the
   * benchmark uses it for comparison.
   */
  maxBlock?: number;
}

export interface RunOptions {
  maxSteps?: number;
}

/** One AArch64 CPU (EL2, MMU off) with memory regions, running assembled programs. */
export class Machine {
  /** x0..x30, sp, NZCV, sink (see compile.ts for the layout). */
  readonly R = new Uint32Array(R_SIZE);
  readonly S = new Uint32Array(2 * SYSREGS.length);
  readonly W = new Int32Array(SYSREGS.length);
  readonly regionList: Region[] = [];
  /** pc after the last run: RETURN_SENTINEL on a normal return, the faulting pc otherwise. */
  pcValue = 0n;
  private readonly execs = new Map<Program, Exec>();
  private readonly writerBases: { base: number; program: Program }[] = [];
  private nextWriterBase = 0;
  readonly maxBlock: number;

  constructor(
    readonly model: CpuModel,
    opts: MachineOptions = {},
  ) {
    this.maxBlock = Math.max(1, Math.floor(opts.maxBlock ?? MAX_BLOCK));
    for (const def of SYSREGS) this.setSlot(SYSREG_INDEX.get(def)!, model.resetValue(def));
    if (opts.observedIdAa64dfr0 !== undefined) this.writeSys('id_aa64dfr0_el1', opts.observedIdAa64dfr0);
    for (const r of opts.regions ?? []) this.mapRegion(r.addr, r.bytes ?? r.size ?? 0);
  }

  get pc(): bigint {
    return this.pcValue;
  }

  /** Map a region at `addr` (8-byte aligned), zero-filled of `size` bytes or a copy of `bytes`. */
  mapRegion(addr: bigint, contents: Uint8Array | number): void {
    const size = typeof contents === 'number' ? contents : contents.length;
    if (addr < 0n || addr % 8n !== 0n || addr + BigInt(size) > 1n << 64n) throw new Error(`region at ${hex(addr)} must be 8-byte aligned and inside the 64-bit address space`);
    if (!Number.isSafeInteger(size) || size <= 0 || size > 2 ** 31) throw new Error(`region size ${size} out of range`);
    const region = new Region(addr, size);
    for (const r of this.regionList) {
      if (addr < r.end && r.addr < region.end) throw new Error(`region ${hex(addr)}+${size} overlaps the region at ${hex(r.addr)}`);
    }
    if (typeof contents !== 'number') region.u8.set(contents);
    this.regionList.push(region);
  }

  // ---- general-purpose registers ----

  setX(n: number, value: bigint): void {
    if (!Number.isInteger(n) || n < 0 || n > 30) throw new Error(`x${n} is not a general-purpose register (use setSp for sp)`);
    this.set64(2 * n, value);
  }

  getX(n: number): bigint {
    if (!Number.isInteger(n) || n < 0 || n > 31) throw new Error(`x${n} is not a general-purpose register`);
    return n === 31 ? 0n : this.get64(2 * n);
  }

  setSp(value: bigint): void {
    this.set64(R_SP, value);
  }

  getSp(): bigint {
    return this.get64(R_SP);
  }

  /** NZCV as the 4-bit value of PSTATE.{N,Z,C,V} (N is bit 3). */
  get nzcv(): number {
    const R = this.R;
    return (R[R_FLAGS]! << 3) | (R[R_FLAGS + 1]! << 2) | (R[R_FLAGS + 2]! << 1) | R[R_FLAGS + 3]!;
  }

  set nzcv(v: number) {
    for (let k = 0; k < 4; k++) this.R[R_FLAGS + k] = (v >> (3 - k)) & 1;
  }

  private set64(i: number, value: bigint): void {
    const u = BigInt.asUintN(64, value);
    this.R[i] = Number(u & 0xffffffffn);
    this.R[i + 1] = Number(u >> 32n);
  }

  private get64(i: number): bigint {
    return (BigInt(this.R[i + 1]!) << 32n) | BigInt(this.R[i]!);
  }

  // ---- system registers ----

  private sysDef(name: string, write: boolean): SysRegDef {
    const ref = lookupSysReg(name);
    if (!ref?.def) throw new Error(`unknown system register '${name}'`);
    if (!this.model.implements(ref.def)) throw new Error(`${ref.def.name} is not implemented by ${this.model.name}${write ? ' (cannot set it)' : ''}`);
    return ref.def;
  }

  private setSlot(slot: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.S[2 * slot] = Number(u & 0xffffffffn);
    this.S[2 * slot + 1] = Number(u >> 32n);
  }

  /** Read a system register by name (e.g. "dbgbcr0_el1"); throws if the model does not implement it. */
  readSys(name: string): bigint {
    const slot = SYSREG_INDEX.get(this.sysDef(name, false))!;
    return (BigInt(this.S[2 * slot + 1]!) << 32n) | BigInt(this.S[2 * slot]!);
  }

  /**
   * Set a system register as an MSR would (the model's keep mask and transform apply). For ID
   * registers this sets the value the code observes, e.g. a lower ID_AA64DFR0_EL1.
   */
  writeSys(name: string, value: bigint): void {
    const def = this.sysDef(name, true);
    const slot = SYSREG_INDEX.get(def)!;
    let v = BigInt.asUintN(64, value);
    if (def.access !== 'ro') {
      v &= this.model.keepMask(def);
      const f = this.model.writeTransform(def);
      if (f) v = BigInt.asUintN(64, f(v)) & this.model.keepMask(def);
    }
    this.setSlot(slot, v);
    this.W[slot] = 0;
  }

  // ---- memory ----

  private regionFor(addr: bigint, len: number): Region {
    for (const r of this.regionList) if (addr >= r.addr && addr + BigInt(len) <= r.end) return r;
    throw new Error(`${len} bytes at ${hex(addr)} are not inside one mapped region`);
  }

  /** Copy `len` bytes out of memory. */
  load(addr: bigint, len: number): Uint8Array {
    const r = this.regionFor(addr, len);
    const off = Number(addr - r.addr);
    return r.u8.slice(off, off + len);
  }

  /** Copy bytes into memory (clears the last-writer record of the words touched). */
  store(addr: bigint, bytes: Uint8Array): void {
    const r = this.regionFor(addr, bytes.length);
    const off = Number(addr - r.addr);
    r.u8.set(bytes, off);
    for (let w = Math.floor(off / 8); w < Math.ceil((off + bytes.length) / 8); w++) r.writers[w] = 0;
  }

  readU64(addr: bigint): bigint {
    const b = this.load(addr, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  writeU64(addr: bigint, value: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.store(addr, b);
  }

  // ---- provenance ----

  private writerInfo(id: number): WriterInfo | undefined {
    if (id === 0) return undefined;
    for (let k = this.writerBases.length - 1; k >= 0; k--) {
      const { base, program } = this.writerBases[k]!;
      if (id > base && id <= base + program.length) {
        const i = id - base - 1;
        return { pc: program.addressOf(i), loc: program.locs[i]!, text: program.texts[i]! };
      }
    }
    return undefined;
  }

  /** The instruction that last wrote a system register (undefined: reset value or set by the API). */
  lastSysWriter(name: string): WriterInfo | undefined {
    return this.writerInfo(this.W[SYSREG_INDEX.get(this.sysDef(name, false))!]!);
  }

  /** The instruction that last wrote the 8-byte memory word containing `addr`. */
  lastMemWriter(addr: bigint): WriterInfo | undefined {
    const r = this.regionFor(addr, 1);
    return this.writerInfo(r.writers[Math.floor(Number(addr - r.addr) / 8)]!);
  }

  // ---- running ----

  private execFor(program: Program): Exec {
    let e = this.execs.get(program);
    if (!e) {
      e = new Exec(this, program, this.nextWriterBase);
      this.writerBases.push({ base: this.nextWriterBase, program });
      this.nextWriterBase += program.length + 1;
      this.execs.set(program, e);
    }
    return e;
  }

  /**
   * Enter `program` at a label or address with x30 = RETURN_SENTINEL, as `bl` would, and run until
   * it returns there or faults. Registers, flags, system registers and memory carry over between runs.
   */
  run(program: Program, entry: string | bigint, opts: RunOptions = {}): RunResult {
    const addr = typeof entry === 'string' ? program.symbol(entry) : entry;
    const idx = program.indexOf(addr);
    if (idx === undefined) throw new Error(`entry ${hex(addr)} is not an instruction address of the program`);
    if (program.indexOf(RETURN_SENTINEL) !== undefined) throw new Error('the program image overlaps the return sentinel address');
    const exec = this.execFor(program);
    this.R[60] = SENT_LO;
    this.R[61] = SENT_HI;
    return exec.run(idx, opts.maxSteps ?? DEFAULT_MAX_STEPS);
  }

  /** Run by word index, skipping the symbol lookup (for benchmarks); same semantics as run(). */
  runIndex(program: Program, index: number, maxSteps = DEFAULT_MAX_STEPS): RunResult {
    const exec = this.execFor(program);
    this.R[60] = SENT_LO;
    this.R[61] = SENT_HI;
    return exec.run(index, maxSteps);
  }
}
