// Shared helpers for the simulator tests.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleProgram, CpuModel, Machine, type Program, type RunResult } from '../../generator/sim/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'sim', 'fixtures');
export const RAM = 0x4000_0000n;

/** 6 breakpoints, 4 watchpoints (Cortex-A53/A57/A72 as QEMU models them). */
export const ID_6_4 = 0x10305106n;
/** 16 breakpoints, 16 watchpoints (BRPs = WRPs = 15). */
export const ID_16_16 = 0x10f0f106n;

export const GENERATED_INCLUDE = path.join(ROOT, 'generated', 'include');
export const GENERATED_ASM = path.join(ROOT, 'generated', 'asm');
/** The generated macros the simulator tests run (through fixtures/debug_driver.S). */
export const DEBUG_SWITCH = path.join(GENERATED_ASM, 'debug_switch.S');
/** The driver that expands them as routines; includes generated/asm and generated/include. */
export const DEBUG_DRIVER = 'debug_driver.S';
/** The directories `resolveInclude` searches after the including file's own, in order (`-I` for gcc). */
export const INCLUDE_DIRS = [FIXTURES, GENERATED_INCLUDE, GENERATED_ASM];

/** Resolve includes relative to the including file, then the fixtures, generated/include and generated/asm. */
export function resolveInclude(name: string, from: string): { path: string; text: string } | undefined {
  for (const dir of [path.resolve(ROOT, path.dirname(from)), ...INCLUDE_DIRS]) {
    const p = path.isAbsolute(name) ? name : path.join(dir, name);
    if (fs.existsSync(p)) return { path: path.relative(ROOT, p), text: fs.readFileSync(p, 'utf8') };
  }
  return undefined;
}

/** A repository file's path as the simulator reports it (relative to the package root). */
export const rel = (file: string): string => path.relative(ROOT, file);

/**
 * The 1-based line of `file` whose text is exactly `text`; with `macro`, the first such line inside
 * `.macro <macro>` ... `.endm`. Throws when there is none, so a test never asserts on line 0.
 */
export function lineOf(file: string, text: string, macro?: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let from = 0;
  let to = lines.length;
  if (macro !== undefined) {
    from = lines.findIndex((l) => new RegExp(`^\\s*\\.macro\\s+${macro}(?:\\s|,|$)`).test(l));
    if (from < 0) throw new Error(`${rel(file)}: no .macro ${macro}`);
    to = lines.findIndex((l, i) => i > from && /^\s*\.endm\b/.test(l));
  }
  for (let i = from; i < to; i++) if (lines[i] === text) return i + 1;
  throw new Error(`${rel(file)}: no line ${JSON.stringify(text)}${macro ? ` in macro ${macro}` : ''}`);
}

// ---- constants from the generated headers ----

const HEADERS = [path.join(GENERATED_INCLUDE, 'kvm_debug_switch.h'), path.join(GENERATED_INCLUDE, 'asm-offsets-sim.h')];
let headerDefs: Map<string, string> | undefined;

/**
 * The value of an object-like `#define` in the generated headers the driver includes
 * (kvm_debug_switch.h, asm-offsets-sim.h), so test layouts follow the file under test instead of
 * being typed again. Values may use integers, earlier names, parentheses and + - * << >> & |.
 */
export function headerDefine(name: string): bigint {
  if (!headerDefs) {
    headerDefs = new Map();
    for (const file of HEADERS) {
      const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ');
      for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?![\w(])[ \t]*(.*)$/gm)) {
        if (!headerDefs.has(m[1]!)) headerDefs.set(m[1]!, m[2]!.trim());
      }
    }
  }
  return evalDefine(name, headerDefs, []);
}

function evalDefine(name: string, defs: Map<string, string>, active: string[]): bigint {
  const body = defs.get(name);
  if (body === undefined) throw new Error(`${name} is not #defined in ${HEADERS.map(rel).join(' or ')}`);
  if (active.includes(name)) throw new Error(`#define ${name} refers to itself`);
  const tokens = body.match(/0x[0-9a-f]+[ul]*|\d+[ul]*|[A-Za-z_]\w*|<<|>>|\S/gi) ?? [];
  let i = 0;
  const fail = (): never => {
    throw new Error(`cannot evaluate #define ${name} ${body}`);
  };
  const primary = (): bigint => {
    const t = tokens[i++] ?? fail();
    if (t === '(') {
      const v = binary(0);
      if (tokens[i++] !== ')') fail();
      return v;
    }
    if (t === '-') return -primary();
    if (/^\d|^0x/i.test(t)) return BigInt(t.replace(/[ul]+$/i, ''));
    if (/^[A-Za-z_]/.test(t)) return evalDefine(t, defs, [...active, name]);
    return fail();
  };
  const levels = [['|'], ['&'], ['<<', '>>'], ['+', '-'], ['*']];
  const binary = (level: number): bigint => {
    if (level === levels.length) return primary();
    let v = binary(level + 1);
    while (i < tokens.length && levels[level]!.includes(tokens[i]!)) {
      const op = tokens[i++]!;
      const r = binary(level + 1);
      v = op === '|' ? v | r : op === '&' ? v & r : op === '<<' ? v << r : op === '>>' ? v >> r : op === '+' ? v + r : op === '-' ? v - r : v * r;
    }
    return v;
  };
  const v = binary(0);
  if (i !== tokens.length) fail();
  return v;
}

export function loadFixture(name: string): Program {
  const p = path.join(FIXTURES, name);
  return assembleProgram({ path: path.relative(ROOT, p), text: fs.readFileSync(p, 'utf8') }, { resolveInclude });
}

/** Assemble a snippet as file "t.S"; `t` labels the first instruction. */
export function asm(text: string, base?: bigint): Program {
  return assembleProgram({ path: 't.S', text }, { resolveInclude, ...(base !== undefined ? { base } : {}) });
}

/** Catch the error thrown by `f` (fails the test if nothing is thrown). */
export function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error to be thrown');
}

export interface Snippet {
  machine: Machine;
  result: RunResult;
  program: Program;
}

/** Run `body` (instructions, one per line) followed by `ret`, from registers `x`. */
export function runSnippet(body: string, init: { x?: Record<number, bigint>; nzcv?: number; id?: bigint; ram?: number } = {}): Snippet {
  const program = asm(`t:\n${body}\n\tret\n`);
  const machine = new Machine(new CpuModel(init.id ?? ID_6_4), { regions: [{ addr: RAM, size: init.ram ?? 0x1000 }] });
  for (const [n, v] of Object.entries(init.x ?? {})) machine.setX(Number(n), v);
  if (init.nzcv !== undefined) machine.nzcv = init.nzcv;
  const result = machine.run(program, 't');
  return { machine, result, program };
}

// ---- external assemblers ----

function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, tool);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const LLVM_MC = which('llvm-mc') ?? which('llvm-mc-14');
export const GNU_AS = which('aarch64-linux-gnu-as');
export const GCC = which('gcc') ?? which('aarch64-linux-gnu-gcc');

/** Extract the bytes of the `.text` section from an ELF64 little-endian object. */
export function elfText(obj: Buffer): Buffer {
  const shoff = Number(obj.readBigUInt64LE(0x28));
  const shentsize = obj.readUInt16LE(0x3a);
  const shnum = obj.readUInt16LE(0x3c);
  const shstrndx = obj.readUInt16LE(0x3e);
  const sh = (i: number): { name: number; offset: number; size: number } => {
    const b = shoff + i * shentsize;
    return { name: obj.readUInt32LE(b), offset: Number(obj.readBigUInt64LE(b + 0x18)), size: Number(obj.readBigUInt64LE(b + 0x20)) };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const nameEnd = obj.indexOf(0, strtab.offset + s.name);
    if (obj.toString('latin1', strtab.offset + s.name, nameEnd) === '.text') return obj.subarray(s.offset, s.offset + s.size);
  }
  throw new Error('no .text section');
}

/** Assemble plain assembly text with an external tool and return the .text words. */
export function externalWords(tool: 'llvm-mc' | 'gas', text: string): Uint32Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simenc-'));
  try {
    const src = path.join(dir, 'in.s');
    const obj = path.join(dir, 'out.o');
    fs.writeFileSync(src, text);
    if (tool === 'llvm-mc') execFileSync(LLVM_MC!, ['-triple=aarch64', '-filetype=obj', '-o', obj, src], { stdio: 'pipe' });
    else execFileSync(GNU_AS!, ['-o', obj, src], { stdio: 'pipe' });
    const t = elfText(fs.readFileSync(obj));
    const words = new Uint32Array(t.length / 4);
    for (let i = 0; i < words.length; i++) words[i] = t.readUInt32LE(4 * i);
    return words;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `it` title suffix and whether to run, for a test needing an external tool. */
export function toolGate(tool: string, present: boolean, requiredUnderCi = true): { skip: boolean; title: string } {
  if (present) return { skip: false, title: '' };
  if (process.env.CI && requiredUnderCi) return { skip: false, title: ` (${tool} is required under CI)` };
  return { skip: true, title: ` (skipped: ${tool} not found on PATH)` };
}

export const hex8 = (w: number): string => `0x${(w >>> 0).toString(16).padStart(8, '0')}`;
