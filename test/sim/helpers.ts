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

/** Resolve includes relative to the including file, then the fixtures and generated/include. */
export function resolveInclude(name: string, from: string): { path: string; text: string } | undefined {
  for (const dir of [path.dirname(from), FIXTURES, path.join(ROOT, 'generated', 'include')]) {
    const p = path.isAbsolute(name) ? name : path.join(dir, name);
    if (fs.existsSync(p)) return { path: path.relative(ROOT, p), text: fs.readFileSync(p, 'utf8') };
  }
  return undefined;
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
