// Running scenarios on QEMU: every case becomes a record in a binary blob linked into one
// bare-metal image (runtime.ts), so a single boot of qemu-system-aarch64 runs thousands of cases.
// The image is built with the real GNU toolchain from the caller's sources (macro file,
// headers, a driver that defines the routine labels) and the results come back through the
// semihosting console, redirected to a file, in the line protocol documented in runtime.ts.

import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import type { MemoryRegion, ScenarioCase, ScenarioResult } from '../verify/scenario.js';
import { ElfFile, readLineTable, type LineRow } from './elf.js';
import {
  FLAG_FAKE_ID_AA64DFR0,
  FLAG_RUN_AT_EL1,
  IMAGE_BASE,
  LINKER_SCRIPT,
  MAX_SYSREGS_PER_CASE,
  QEMU_RAM_MB,
  RECORD,
  RUNTIME_ASM,
  SCRATCH_BASE,
  SCRATCH_END,
} from './runtime.js';
import { requireToolchain, runStep, runTool, type Toolchain } from './toolchain.js';

/** The CPU models this harness has been measured on (QEMU 7.2, REFERENCE.md §2 and §6). */
export const QEMU_CPU_MODELS = {
  'cortex-a53': { idAa64dfr0: 0x10305106n, breakpoints: 6, watchpoints: 4 },
  'cortex-a57': { idAa64dfr0: 0x10305106n, breakpoints: 6, watchpoints: 4 },
  'cortex-a72': { idAa64dfr0: 0x10305106n, breakpoints: 6, watchpoints: 4 },
  max: { idAa64dfr0: 0x10305609n, breakpoints: 6, watchpoints: 4 },
  'cortex-a76': { idAa64dfr0: 0x10305408n, breakpoints: 6, watchpoints: 4 },
  'neoverse-n1': { idAa64dfr0: 0x10305408n, breakpoints: 6, watchpoints: 4 },
} as const;
export type QemuCpuModel = keyof typeof QEMU_CPU_MODELS;

/**
 * A scenario case for QEMU. What the routine sees: x0..x29 from `gprs`; x30 is the harness's
 * return address (`bl` semantics), so `gprs[30]` cannot be honoured and results report x30 as
 * that address; SP points at the top of a 64 KiB stack; MMU and caches are off; D, A, I and F are
 * masked. System registers are written at EL2 in the order of `sysregs` before the run and read
 * back in the same order after it; each must be both readable and writable by name.
 */
export interface QemuCase extends ScenarioCase {
  /**
   * Exception level the routine runs at. Defaults to 1 when `idAa64dfr0` is given (only an
   * EL1 read of ID_AA64DFR0_EL1 can be trapped, by HCR_EL2.TID3, and answered by the
   * harness), else 2. Only code that touches EL1 and EL0 registers can run at EL1.
   */
  exceptionLevel?: 1 | 2;
}

export type FaultPhase = 'setup' | 'routine' | 'readback';

export interface QemuFault {
  /** undefined-instruction, sysreg-trap, data-abort, instruction-abort, alignment, hvc, exception, irq, fiq, serror, timeout, not-run, harness */
  kind: string;
  message: string;
  pc?: bigint;
  phase?: FaultPhase;
  /** Exception level whose ESR/ELR/FAR describe the fault (1 = taken to EL1 during an EL1 run). */
  syndromeEl?: 1 | 2;
  ec?: number;
  esr?: bigint;
  far?: bigint;
  /** The fault PC as symbol+offset and file:line from the image's debug info. */
  where?: string;
}

export interface QemuCaseResult extends ScenarioResult {
  fault?: QemuFault;
  exceptionLevel: 1 | 2;
  /**
   * System registers that read back nothing: an MRS left its destination register unchanged
   * (QEMU does not model them, e.g. MDCCINT_EL1). They are absent from `sysregs`.
   */
  unobservableSysregs: string[];
  /** How many times the routine read ID_AA64DFR0_EL1 and got the case's value from the EL2 trap handler. */
  idRegisterTraps: number;
}

export interface QemuBootInfo {
  currentEl: number;
  midr: bigint;
  idAa64dfr0: bigint;
}

export interface QemuRunInput {
  cpu: QemuCpuModel | string;
  /** Files `#include`d, in order, before the driver (headers, then the macro file). */
  includes: string[];
  /** The driver source: defines every `routine` label named by the cases; each returns with `ret`. */
  driver: string;
  includeDirs?: string[];
  defines?: Record<string, string | number>;
  cases: QemuCase[];
  /** Hard limit for one QEMU boot (default 10 s + 20 ms per case); QEMU is killed on expiry. */
  timeoutMs?: number;
  /** Keep the build directory here (created if needed) instead of a deleted temporary one. */
  workDir?: string;
  toolchain?: Toolchain;
  /**
   * Called once the first image is linked, before QEMU boots it: a caller that needs the image's
   * addresses (to place a simulator run at the same addresses) can start its work here.
   */
  onImage?: (image: ImageInfo) => void;
}

/** What a caller may need to know about the linked image. */
export interface ImageInfo {
  /** Every named symbol of the image (local labels included), by name; the first definition wins. */
  symbols: Map<string, bigint>;
  /** The value x30 holds when a routine is entered, at EL1 and at EL2 (the harness's return addresses). */
  returnAddresses: { 1: bigint; 2: bigint };
  /** The image's .text: its address and its words, as linked. */
  text: { addr: bigint; words: Uint32Array };
}

export interface QemuRunReport {
  cpu: string;
  boot: QemuBootInfo;
  /** The first image built (every boot of one run links the same code). */
  image: ImageInfo;
  results: QemuCaseResult[];
  /** Milliseconds spent building (cpp + as + ld) and inside QEMU, and how many boots it took. */
  timing: { buildMs: number; qemuMs: number; boots: number };
}

// ---------------------------------------------------------------------------------------------
// Validation and encoding of cases.

const LABEL_RE = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;
const SYSREG_RE = /^[a-z][a-z0-9_]*$/;
const U64_MAX = (1n << 64n) - 1n;
/** Registers the runtime itself depends on; a case may not set them. */
const HARNESS_SYSREGS_ALWAYS = new Set(['vbar_el2', 'tpidr_el2', 'sctlr_el2', 'sp_el2']);
/** HCR_EL2.E2H (34) and TGE (27): with them set, EL2's own *_EL1 accesses and exception routing change. */
const HCR_EL2_CHANGES_EL2 = (1n << 34n) | (1n << 27n);
/** Registers the runtime programs to enter EL1; an EL1 case may not set them either. */
const HARNESS_SYSREGS_EL1 = new Set(['hcr_el2', 'mdcr_el2', 'vbar_el1', 'sp_el1', 'spsr_el2', 'elr_el2']);

export class HarnessInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarnessInputError';
  }
}

export function caseExceptionLevel(c: QemuCase): 1 | 2 {
  return c.exceptionLevel ?? (c.idAa64dfr0 !== undefined ? 1 : 2);
}

/** Every problem with the cases at once, as `case N: ...` lines; empty when all is well. */
export function validateCases(cases: QemuCase[], cpu: string): string[] {
  const errors: string[] = [];
  const model = (QEMU_CPU_MODELS as Record<string, { idAa64dfr0: bigint } | undefined>)[cpu];
  cases.forEach((c, i) => {
    const at = `case ${i} (${c.routine})`;
    if (!LABEL_RE.test(c.routine)) errors.push(`${at}: routine ${JSON.stringify(c.routine)} is not an assembler label`);
    for (const [k, v] of Object.entries(c.gprs)) {
      const n = Number(k);
      if (!Number.isInteger(n) || n < 0 || n > 30) errors.push(`${at}: gprs has key ${k}; registers are x0..x30`);
      if (v !== undefined && (v < 0n || v > U64_MAX)) errors.push(`${at}: x${k} = ${v} is not a 64-bit value`);
    }
    const el = caseExceptionLevel(c);
    const names = Object.keys(c.sysregs);
    if (names.length > MAX_SYSREGS_PER_CASE) errors.push(`${at}: ${names.length} system registers, at most ${MAX_SYSREGS_PER_CASE}`);
    for (const name of names) {
      const v = c.sysregs[name]!;
      if (!SYSREG_RE.test(name)) errors.push(`${at}: system register ${JSON.stringify(name)} is not a lower-case assembler name`);
      else if (HARNESS_SYSREGS_ALWAYS.has(name)) errors.push(`${at}: ${name} is used by the harness runtime and cannot be set`);
      else if (el === 1 && HARNESS_SYSREGS_EL1.has(name)) errors.push(`${at}: ${name} is programmed by the harness to enter EL1 and cannot be set in an EL1 case`);
      else if (name === 'hcr_el2' && (v & HCR_EL2_CHANGES_EL2) !== 0n) {
        errors.push(`${at}: hcr_el2 = 0x${v.toString(16)} sets E2H or TGE, which change what the harness's own EL2 code reaches; clear bits 34 and 27`);
      }
      if (v < 0n || v > U64_MAX) errors.push(`${at}: ${name} = ${v} is not a 64-bit value`);
    }
    if (c.idAa64dfr0 !== undefined) {
      if (c.idAa64dfr0 < 0n || c.idAa64dfr0 > U64_MAX) errors.push(`${at}: idAa64dfr0 is not a 64-bit value`);
      else if (el === 2 && model && c.idAa64dfr0 !== model.idAa64dfr0) {
        errors.push(
          `${at}: idAa64dfr0 0x${c.idAa64dfr0.toString(16)} differs from ${cpu}'s 0x${model.idAa64dfr0.toString(16)}, ` +
            'and an EL2 read of ID_AA64DFR0_EL1 cannot be trapped; run the case at EL1',
        );
      }
    }
    const spans = c.memory.map((m, j) => ({ j, lo: m.addr, hi: m.addr + BigInt(m.bytes.length) }));
    for (const s of spans) {
      if (s.lo < SCRATCH_BASE || s.hi > SCRATCH_END) {
        errors.push(
          `${at}: memory region ${s.j} [0x${s.lo.toString(16)}, 0x${s.hi.toString(16)}) is outside the scratch RAM ` +
            `[0x${SCRATCH_BASE.toString(16)}, 0x${SCRATCH_END.toString(16)})`,
        );
      }
    }
    spans.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    for (let k = 1; k < spans.length; k++) {
      if (spans[k]!.lo < spans[k - 1]!.hi) errors.push(`${at}: memory regions ${spans[k - 1]!.j} and ${spans[k]!.j} overlap`);
    }
  });
  return errors;
}

interface EncodedCases {
  blob: Uint8Array;
  routines: string[];
  sysregs: string[];
}

/** Lay the cases out as the runtime's blob (see RECORD in runtime.ts); all words little-endian. */
export function encodeCases(cases: QemuCase[]): EncodedCases {
  const routines: string[] = [];
  const routineIndex = new Map<string, number>();
  const sysregs: string[] = [];
  const sysregIndex = new Map<string, number>();
  const intern = (name: string, list: string[], index: Map<string, number>) => {
    let i = index.get(name);
    if (i === undefined) {
      i = list.length;
      list.push(name);
      index.set(name, i);
    }
    return i;
  };

  const words: bigint[] = [BigInt(cases.length)];
  const tableAt = words.length;
  for (let i = 0; i < cases.length; i++) words.push(0n);
  const bytesTail: Array<{ wordIndex: number; bytes: Uint8Array }> = [];

  cases.forEach((c, i) => {
    const start = words.length;
    words[tableAt + i] = BigInt(start * 8);
    const record = new Array<bigint>(RECORD.size / 8).fill(0n);
    const el = caseExceptionLevel(c);
    let flags = 0n;
    if (el === 1) flags |= FLAG_RUN_AT_EL1;
    if (c.idAa64dfr0 !== undefined && el === 1) flags |= FLAG_FAKE_ID_AA64DFR0;
    record[RECORD.routine / 8] = BigInt(intern(c.routine, routines, routineIndex));
    record[RECORD.flags / 8] = flags;
    record[RECORD.idAa64dfr0 / 8] = c.idAa64dfr0 ?? 0n;
    const names = Object.keys(c.sysregs);
    record[RECORD.sysregCount / 8] = BigInt(names.length);
    record[RECORD.memoryCount / 8] = BigInt(c.memory.length);
    for (let r = 0; r <= 30; r++) record[RECORD.gprs / 8 + r] = c.gprs[r] ?? 0n;
    words.push(...record);
    words[start + RECORD.sysregsOffset / 8] = BigInt(words.length * 8);
    for (const name of names) words.push(BigInt(intern(name, sysregs, sysregIndex)), c.sysregs[name]!);
    words[start + RECORD.memoryOffset / 8] = BigInt(words.length * 8);
    for (const m of c.memory) {
      words.push(m.addr, BigInt(m.bytes.length));
      bytesTail.push({ wordIndex: words.length, bytes: m.bytes });
      words.push(0n); // data offset, filled in below
    }
  });

  let size = words.length * 8;
  for (const t of bytesTail) {
    words[t.wordIndex] = BigInt(size);
    size += (t.bytes.length + 7) & ~7;
  }
  const blob = new Uint8Array(size);
  const dv = new DataView(blob.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  for (const t of bytesTail) blob.set(t.bytes, Number(words[t.wordIndex]));
  return { blob, routines, sysregs };
}

/** gen.S: the system-register accessor stubs the runtime calls by index, and the case blob. */
function generatedAsm(sysregs: string[]): string {
  const out = ['// generated by switchgen crosscheck/harness.ts for one QEMU run', '\t.section .rodata.switchgen_tables, "a"', '\t.balign 8'];
  out.push('\t.globl switchgen_sysreg_readers', 'switchgen_sysreg_readers:');
  sysregs.forEach((_, i) => out.push(`\t.quad sr_rd_${i}`));
  out.push('\t.globl switchgen_sysreg_writers', 'switchgen_sysreg_writers:');
  sysregs.forEach((_, i) => out.push(`\t.quad sr_wr_${i}`));
  out.push('\t.balign 8', '\t.globl switchgen_case_blob', 'switchgen_case_blob:', '\t.incbin "cases.bin"');
  out.push('\t.text');
  sysregs.forEach((name, i) => {
    out.push(`sr_rd_${i}:\tmrs x0, ${name}`, '\tret', `sr_wr_${i}:\tmsr ${name}, x1`, '\tret');
  });
  return out.join('\n') + '\n';
}

/** main.S: the caller's includes and driver, then the table of routine addresses. */
function mainAsm(includes: string[], driver: string, routines: string[]): string {
  const out = ['\t.text'];
  for (const f of includes) out.push(`#include "${resolve(f)}"`);
  out.push(`#include "${resolve(driver)}"`);
  out.push('\t.section .rodata.switchgen_routines, "a"', '\t.balign 8', '\t.globl switchgen_routines', 'switchgen_routines:');
  for (const r of routines) out.push(`\t.quad ${r}`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Building and running.

export interface BuiltImage {
  dir: string;
  elfPath: string;
  elf: ElfFile;
  lines: LineRow[];
  routines: string[];
  sysregs: string[];
  buildMs: number;
}

/** Preprocess, assemble and link one image for the given cases into `dir`. */
export async function buildImage(tc: Toolchain, input: Omit<QemuRunInput, 'cpu' | 'timeoutMs' | 'workDir' | 'toolchain'>, dir: string): Promise<BuiltImage> {
  const started = performance.now();
  await mkdir(dir, { recursive: true });
  const { blob, routines, sysregs } = encodeCases(input.cases);
  await writeFile(join(dir, 'cases.bin'), blob);
  await writeFile(join(dir, 'gen.S'), generatedAsm(sysregs));
  await writeFile(join(dir, 'runtime.S'), RUNTIME_ASM);
  await writeFile(join(dir, 'image.ld'), LINKER_SCRIPT);
  await writeFile(join(dir, 'main.S'), mainAsm(input.includes, input.driver, routines));

  const incDirs = [...new Set([...(input.includeDirs ?? []), ...input.includes.map((f) => dirname(resolve(f))), dirname(resolve(input.driver))])];
  const cppArgs = [...incDirs.flatMap((d) => ['-I', d]), ...Object.entries(input.defines ?? {}).map(([k, v]) => `-D${k}=${v}`)];
  await runStep(`preprocessing main.S with ${tc.cpp.description}`, [...tc.cpp.argv, ...cppArgs, join(dir, 'main.S'), '-o', join(dir, 'main.s')]);
  // allSettled, not all: a failing step must not leave the others writing into a directory the
  // caller is about to delete.
  const steps = await Promise.allSettled([
    runStep('assembling the driver (GNU as)', [tc.gnuAs, '-g', join(dir, 'main.s'), '-o', join(dir, 'main.o')]),
    runStep('assembling the system register accessors (GNU as)', [tc.gnuAs, join(dir, 'gen.S'), '-o', join(dir, 'gen.o')], { cwd: dir }),
    runStep('assembling the runtime (GNU as)', [tc.gnuAs, join(dir, 'runtime.S'), '-o', join(dir, 'runtime.o')]),
  ]);
  for (const step of steps) if (step.status === 'rejected') throw step.reason;
  // A routine the driver does not define would only surface as a linker error against the
  // routine table; say which case names it instead.
  const mainObj = new ElfFile(new Uint8Array(await readFile(join(dir, 'main.o'))), join(dir, 'main.o'));
  const defined = new Set(mainObj.symbols.filter((s) => s.shndx !== 0).map((s) => s.name));
  const undefinedRoutines = routines.filter((r) => !defined.has(r));
  if (undefinedRoutines.length > 0) {
    throw new HarnessInputError(
      undefinedRoutines
        .map((r) => `case ${input.cases.findIndex((c) => c.routine === r)}: routine ${r} is not defined by the driver ${input.driver} or its includes`)
        .join('\n'),
    );
  }
  const elfPath = join(dir, 'image.elf');
  await runStep('linking the image (GNU ld)', [
    tc.gnuLd, '-T', join(dir, 'image.ld'), '--no-warn-rwx-segments', '-o', elfPath,
    join(dir, 'runtime.o'), join(dir, 'main.o'), join(dir, 'gen.o'),
  ]);
  const elf = new ElfFile(new Uint8Array(await readFile(elfPath)), elfPath);
  return { dir, elfPath, elf, lines: readLineTable(elf), routines, sysregs, buildMs: performance.now() - started };
}

/** QEMU's option syntax: a comma inside a value is written twice. */
const qemuOptValue = (v: string) => v.replace(/,/g, ',,');

/**
 * The QEMU command line: the runtime's results go to `outputPath` through the semihosting
 * console (a file chardev), not the UART (see runtime.ts for why).
 */
export function qemuArgv(tc: Toolchain, cpu: string, elfPath: string, outputPath: string): string[] {
  return [
    tc.qemu, '-M', 'virt,virtualization=on', '-cpu', cpu, '-m', String(QEMU_RAM_MB),
    '-nographic', '-monitor', 'none', '-serial', 'none', '-no-reboot',
    '-chardev', `file,id=switchgen,path=${qemuOptValue(outputPath)}`,
    '-semihosting-config', 'enable=on,target=native,chardev=switchgen',
    '-kernel', elfPath,
  ];
}

export interface ParsedRun {
  boot?: QemuBootInfo;
  done: boolean;
  cases: Map<number, ParsedCase>;
  /** Index of a case that started (@C) but never ended (@E), e.g. because QEMU was killed. */
  unfinished?: number;
  panic?: string;
}

export interface ParsedCase {
  index: number;
  fault?: { phase: number; syndromeEl: number; vector: number; esr: bigint; elr: bigint; far: bigint };
  gprs?: bigint[];
  sysregs?: bigint[];
  /** Indices (into the case's sysregs) of registers whose MRS left the destination unchanged. */
  unobservable: number[];
  /** Each region's bytes after the run, or 'unchanged' when it still holds the case's input. */
  memory: Array<Uint8Array | 'unchanged'>;
  idTraps: number;
}

const HEX = /^[0-9a-f]{16}$/;

function hexWords(fields: string[], line: string): bigint[] {
  return fields.map((f) => {
    if (!HEX.test(f)) throw new Error(`QEMU output: malformed number ${JSON.stringify(f)} in ${JSON.stringify(line.slice(0, 80))}`);
    return BigInt(`0x${f}`);
  });
}

/** Parse the runtime's UART protocol; anything malformed is an error quoting the line. */
export function parseRunOutput(text: string): ParsedRun {
  const run: ParsedRun = { done: false, cases: new Map() };
  let cur: ParsedCase | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const at = line.indexOf('@');
    if (at < 0) continue;
    const [tag, ...fields] = line.slice(at).split(' ').filter((f) => f !== '');
    switch (tag) {
      case '@SWITCHGEN': {
        const [version, ...rest] = fields;
        if (version !== '1') throw new Error(`QEMU output: runtime protocol version ${version}, expected 1`);
        const [el, midr, dfr0] = hexWords(rest.slice(0, 3), line);
        run.boot = { currentEl: Number(el), midr: midr!, idAa64dfr0: dfr0! };
        break;
      }
      case '@C': {
        const [index] = hexWords(fields, line);
        cur = { index: Number(index), memory: [], unobservable: [], idTraps: 0 };
        run.unfinished = cur.index;
        break;
      }
      case '@F': {
        if (!cur) throw new Error(`QEMU output: fault outside a case: ${line}`);
        const [phase, el, vector, esr, elr, far] = hexWords(fields, line);
        cur.fault = { phase: Number(phase), syndromeEl: Number(el), vector: Number(vector), esr: esr!, elr: elr!, far: far! };
        break;
      }
      case '@G':
        if (!cur) throw new Error(`QEMU output: registers outside a case: ${line}`);
        cur.gprs = hexWords(fields, line);
        if (cur.gprs.length !== 31) throw new Error(`QEMU output: ${cur.gprs.length} GPRs in ${line.slice(0, 80)}`);
        break;
      case '@S':
        if (!cur) throw new Error(`QEMU output: sysregs outside a case: ${line}`);
        cur.sysregs = hexWords(fields, line);
        break;
      case '@U':
        if (!cur) throw new Error(`QEMU output: unobservable list outside a case: ${line}`);
        cur.unobservable = hexWords(fields, line).map(Number);
        break;
      case '@M': {
        if (!cur) throw new Error(`QEMU output: memory outside a case: ${line}`);
        const hex = fields[0] ?? '';
        if (hex === '=') {
          cur.memory.push('unchanged');
          break;
        }
        if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`QEMU output: malformed memory dump in ${line.slice(0, 80)}`);
        cur.memory.push(Uint8Array.from(Buffer.from(hex, 'hex')));
        break;
      }
      case '@E': {
        const [index, traps] = hexWords(fields, line);
        if (!cur || cur.index !== Number(index)) throw new Error(`QEMU output: end of case ${index} without its start`);
        cur.idTraps = Number(traps);
        run.cases.set(cur.index, cur);
        run.unfinished = undefined;
        cur = undefined;
        break;
      }
      case '@DONE':
        run.done = true;
        break;
      case '@PANIC':
        run.panic = line.slice(at);
        break;
      default:
        // not ours (QEMU or firmware noise); ignore
        break;
    }
  }
  return run;
}

const EC_NAMES: Record<number, [string, string]> = {
  0x00: ['undefined-instruction', 'UNDEFINED instruction (EC 0x00)'],
  0x01: ['exception', 'WFI/WFE trap (EC 0x01)'],
  0x0e: ['exception', 'illegal execution state (EC 0x0e)'],
  0x15: ['exception', 'SVC (EC 0x15)'],
  0x16: ['hvc', 'HVC (EC 0x16)'],
  0x17: ['exception', 'SMC (EC 0x17)'],
  0x18: ['sysreg-trap', 'trapped MSR/MRS (EC 0x18)'],
  0x20: ['instruction-abort', 'instruction abort from a lower EL (EC 0x20)'],
  0x21: ['instruction-abort', 'instruction abort (EC 0x21)'],
  0x22: ['alignment', 'PC alignment fault (EC 0x22)'],
  0x24: ['data-abort', 'data abort from a lower EL (EC 0x24)'],
  0x25: ['data-abort', 'data abort (EC 0x25)'],
  0x26: ['alignment', 'SP alignment fault (EC 0x26)'],
  0x3c: ['exception', 'BRK (EC 0x3c)'],
};
const PHASES: Record<number, FaultPhase> = { 1: 'setup', 2: 'routine', 3: 'readback' };

/** Where an address is, as "symbol+off (file:line)" from the image's symbols and line table. */
export function imageInfo(image: BuiltImage): ImageInfo {
  const symbols = new Map<string, bigint>();
  for (const sym of image.elf.symbols) {
    if (sym.shndx === 0 || sym.shndx >= 0xff00 || sym.type === 3 || sym.type === 4 || sym.name === '' || sym.name.startsWith('$')) continue;
    if (!symbols.has(sym.name)) symbols.set(sym.name, sym.value);
  }
  const need = (name: string) => {
    const v = symbols.get(name);
    if (v === undefined) throw new Error(`${image.elfPath}: the runtime defines no ${name}`);
    return v;
  };
  const text = image.elf.section('.text');
  if (!text) throw new Error(`${image.elfPath}: no .text section`);
  return { symbols, returnAddresses: { 1: need('rt_el1_return'), 2: need('rt_el2_return') }, text: { addr: text.addr, words: image.elf.words(text) } };
}

export function describeImageAddress(image: BuiltImage, addr: bigint): string {
  const sym = image.elf.describeAddress(addr);
  // Rows come in sequences closed by an end_sequence row; a row covers addresses up to the next.
  const rows = image.lines;
  for (let i = 0; i + 1 < rows.length; i++) {
    const r = rows[i]!;
    const next = rows[i + 1]!;
    if (r.endSequence || addr < r.address || addr >= next.address) continue;
    return `${sym} (${r.file}:${r.line})`;
  }
  return sym;
}

function decodeFault(f: NonNullable<ParsedCase['fault']>, image: BuiltImage): QemuFault {
  const ec = Number((f.esr >> 26n) & 0x3fn);
  const type = f.vector & 3;
  const [kind, what] =
    type === 1 ? ['irq', 'IRQ'] : type === 2 ? ['fiq', 'FIQ'] : type === 3 ? ['serror', 'SError'] : EC_NAMES[ec] ?? ['exception', `exception class 0x${ec.toString(16)}`];
  const phase = PHASES[f.phase] ?? 'routine';
  const regs = f.syndromeEl === 1 ? ['ESR_EL1', 'ELR_EL1', 'FAR_EL1'] : ['ESR_EL2', 'ELR_EL2', 'FAR_EL2'];
  const where = describeImageAddress(image, f.elr);
  const taken = f.syndromeEl === 1 ? 'taken to EL1' : f.vector >= 8 ? 'from EL1, taken to EL2' : 'at EL2';
  const message =
    `${what} ${taken} during ${phase} at ${where}; ` +
    `${regs[0]}=0x${f.esr.toString(16)} ${regs[1]}=0x${f.elr.toString(16)} ${regs[2]}=0x${f.far.toString(16)}`;
  return { kind, message, pc: f.elr, phase, syndromeEl: f.syndromeEl === 1 ? 1 : 2, ec, esr: f.esr, far: f.far, where };
}

function toResult(c: QemuCase, parsed: ParsedCase, image: BuiltImage, boot: QemuBootInfo | undefined, cpu: string): QemuCaseResult {
  const names = Object.keys(c.sysregs);
  const sysregs: Record<string, bigint> = {};
  if (parsed.sysregs) {
    if (parsed.sysregs.length !== names.length) throw new Error(`QEMU output: case ${parsed.index} has ${parsed.sysregs.length} sysregs, expected ${names.length}`);
    names.forEach((n, i) => {
      if (!parsed.unobservable.includes(i)) sysregs[n] = parsed.sysregs![i]!;
    });
  }
  const unobservableSysregs = parsed.unobservable.map((i) => names[i] ?? `#${i}`);
  if (parsed.memory.length !== c.memory.length) throw new Error(`QEMU output: case ${parsed.index} has ${parsed.memory.length} memory regions, expected ${c.memory.length}`);
  const memory: MemoryRegion[] = c.memory.map((m, i) => {
    const got = parsed.memory[i]!;
    return { addr: m.addr, bytes: got === 'unchanged' ? new Uint8Array(m.bytes) : got };
  });
  const el = caseExceptionLevel(c);
  const result: QemuCaseResult = { gprs: parsed.gprs ?? [], sysregs, memory, exceptionLevel: el, unobservableSysregs, idRegisterTraps: parsed.idTraps };
  if (parsed.fault) result.fault = decodeFault(parsed.fault, image);
  else if (el === 2 && c.idAa64dfr0 !== undefined && boot && boot.idAa64dfr0 !== c.idAa64dfr0) {
    result.fault = {
      kind: 'harness',
      message: `case asks for ID_AA64DFR0_EL1 0x${c.idAa64dfr0.toString(16)} at EL2 but ${cpu} has 0x${boot.idAa64dfr0.toString(16)}`,
    };
  }
  return result;
}

/**
 * Boot QEMU once on a built image; QEMU is SIGKILLed when the hard timeout expires. `output` is
 * what the runtime wrote (everything flushed before a kill is there).
 */
export async function runImage(tc: Toolchain, cpu: string, elfPath: string, timeoutMs: number) {
  const outputPath = join(dirname(elfPath), 'results.txt');
  await writeFile(outputPath, '');
  const run = await runTool(qemuArgv(tc, cpu, elfPath, outputPath), { timeoutMs });
  return { ...run, output: await readFile(outputPath, 'utf8') };
}

/**
 * Run every case on `qemu-system-aarch64 -M virt,virtualization=on -cpu <cpu>` and return one
 * result per case, in order. A case that hangs costs one timeout: the cases after it are run
 * again in a fresh boot, and it is reported with fault kind "timeout".
 */
export async function runScenariosOnQemu(input: QemuRunInput): Promise<QemuRunReport> {
  const errors = validateCases(input.cases, input.cpu);
  if (errors.length > 0) throw new HarnessInputError(errors.join('\n'));
  const tc = input.toolchain ?? requireToolchain(['gnu-as', 'gnu-ld', 'cpp', 'qemu']);
  const root = input.workDir ?? (await mkdtemp(join(tmpdir(), 'switchgen-qemu-')));
  const results: Array<QemuCaseResult | undefined> = new Array(input.cases.length).fill(undefined);
  const timing = { buildMs: 0, qemuMs: 0, boots: 0 };
  let boot: QemuBootInfo | undefined;
  let info: ImageInfo | undefined;
  try {
    let pending = input.cases.map((_, i) => i);
    while (pending.length > 0) {
      const batch = pending;
      const cases = batch.map((i) => input.cases[i]!);
      const image = await buildImage(tc, { ...input, cases }, join(root, `boot${timing.boots}`));
      timing.buildMs += image.buildMs;
      if (!info) {
        info = imageInfo(image);
        input.onImage?.(info);
      }
      const timeoutMs = input.timeoutMs ?? 10_000 + 20 * cases.length;
      const run = await runImage(tc, input.cpu, image.elfPath, timeoutMs);
      timing.qemuMs += run.ms;
      timing.boots++;
      const parsed = parseRunOutput(run.output);
      boot ??= parsed.boot;
      if (!parsed.boot) {
        throw new Error(
          `QEMU (-cpu ${input.cpu}) printed no runtime header` +
            `${run.timedOut ? ` and was killed after ${timeoutMs} ms` : ` (exit ${run.code ?? run.signal})`}` +
            `${run.stderr.trim() ? `: ${run.stderr.trim()}` : ''}`,
        );
      }
      for (const [k, pc] of parsed.cases) {
        const idx = batch[k];
        if (idx === undefined) throw new Error(`QEMU output: case ${k} is not in this boot`);
        results[idx] = toResult(input.cases[idx]!, pc, image, parsed.boot, input.cpu);
      }
      if (parsed.done) break;
      // The boot stopped early: blame the unfinished case, run the rest again.
      const why = parsed.panic
        ? `the runtime panicked (${parsed.panic})`
        : run.timedOut
          ? `QEMU was killed after the ${timeoutMs} ms timeout`
          : `QEMU exited (${run.code ?? run.signal}) before the runtime finished${run.stderr.trim() ? `: ${run.stderr.trim()}` : ''}`;
      const stuck = parsed.unfinished;
      if (stuck === undefined) throw new Error(`QEMU run incomplete: ${why}`);
      const idx = batch[stuck]!;
      results[idx] = {
        gprs: [],
        sysregs: {},
        memory: [],
        exceptionLevel: caseExceptionLevel(input.cases[idx]!),
        unobservableSysregs: [],
        idRegisterTraps: 0,
        fault: { kind: run.timedOut ? 'timeout' : 'harness', message: `case ${idx} (${input.cases[idx]!.routine}) did not finish: ${why}` },
      };
      pending = batch.slice(stuck + 1);
      if (timing.boots >= 8 && pending.length > 0) {
        for (const i of pending) {
          results[i] = {
            gprs: [], sysregs: {}, memory: [], exceptionLevel: caseExceptionLevel(input.cases[i]!), unobservableSysregs: [], idRegisterTraps: 0,
            fault: { kind: 'not-run', message: `not run: gave up after ${timing.boots} QEMU boots (${why})` },
          };
        }
        break;
      }
    }
  } finally {
    if (!input.workDir) await rm(root, { recursive: true, force: true });
  }
  const missing = results.findIndex((r) => r === undefined);
  if (missing >= 0) throw new Error(`QEMU output: no result for case ${missing}`);
  return { cpu: input.cpu, boot: boot!, image: info!, results: results as QemuCaseResult[], timing };
}

export { IMAGE_BASE, SCRATCH_BASE, SCRATCH_END };
