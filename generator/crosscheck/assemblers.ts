// Assembling the same `.S` with GNU as and with llvm-mc and comparing the machine code word by
// word. The source is preprocessed once (GNU as and llvm-mc do not run cpp), the preprocessed
// text keeps cpp's line markers so both assemblers' DWARF line tables point at the original
// files, and GNU as also writes a listing (-alm) that gives the macro-expanded text of every
// statement. A difference is reported at the first differing word with both of those.

import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

import { ElfFile, lineForWords, readLineTable, relocationTypeName } from './elf.js';
import { requireToolchain, runStep, runTool, type Toolchain } from './toolchain.js';

export type AssemblerName = 'gnu-as' | 'llvm-mc';

export interface AsmSource {
  /** The `.S` file to preprocess and assemble. */
  path: string;
  includeDirs?: string[];
  defines?: Record<string, string | number>;
  /** Architecture level, e.g. "armv8-a" (default) or "armv8.2-a"; passed as -march / -mattr. */
  arch?: string;
}

export interface SourcePos {
  file: string;
  line: number;
}

export interface CodeRelocation {
  offset: number;
  type: string;
  symbol: string;
  addend: bigint;
}

export interface AssembledSection {
  name: string;
  words: Uint32Array;
  /** Per word: the source line that produced it (for a macro, the line that invoked it). */
  lines: Array<SourcePos | undefined>;
  /** Per word (GNU as only): the statement text from the listing, macro arguments substituted. */
  texts: Array<string | undefined>;
  relocations: CodeRelocation[];
}

export interface AssembledObject {
  assembler: AssemblerName;
  objectPath: string;
  sections: AssembledSection[];
}

export interface AssemblerMismatch {
  section: string;
  /** Byte offset in the section of the first difference. */
  offset: number;
  kind: 'word' | 'length' | 'section' | 'relocation';
  gnu?: number;
  llvm?: number;
  /** Disassembly of each side's word, when objdump could decode it. */
  gnuDisasm?: string;
  llvmDisasm?: string;
  source?: SourcePos;
  text?: string;
  message: string;
}

export interface CrossAssembleResult {
  gnu: AssembledObject;
  llvm: AssembledObject;
  /** Undefined when both assemblers produced the same words and relocations. */
  mismatch?: AssemblerMismatch;
}

/** GNU as -march=<arch>, llvm-mc -mattr=+v8.Na (llvm-mc takes the architecture as a feature). */
function archFlags(arch: string | undefined): { gnu: string[]; llvm: string[] } {
  if (!arch || arch === 'armv8-a') return { gnu: ['-march=armv8-a'], llvm: [] };
  const m = /^armv8\.(\d)-a$/.exec(arch);
  if (!m) throw new Error(`arch ${JSON.stringify(arch)}: expected armv8-a or armv8.N-a`);
  return { gnu: [`-march=${arch}`], llvm: [`-mattr=+v8.${m[1]}a`] };
}

/** Run the C preprocessor over a `.S`, keeping line markers; returns the output path. */
export async function preprocessAsm(tc: Toolchain, src: AsmSource, outPath: string): Promise<string> {
  const incDirs = [dirname(resolve(src.path)), ...(src.includeDirs ?? [])];
  const argv = [
    ...tc.cpp.argv,
    ...incDirs.flatMap((d) => ['-I', d]),
    ...Object.entries(src.defines ?? {}).map(([k, v]) => `-D${k}=${v}`),
    resolve(src.path),
    '-o',
    outPath,
  ];
  await runStep(`preprocessing ${src.path} with ${tc.cpp.description}`, argv);
  return outPath;
}

/** Read an object's executable sections, their relocations and its DWARF line table. */
export function readAssembledObject(bytes: Uint8Array, objectPath: string, assembler: AssemblerName, listing?: Map<number, ListingEntry>): AssembledObject {
  const elf = new ElfFile(bytes, objectPath);
  const rows = readLineTable(elf);
  const sections = elf.codeSections().map((s) => {
    const words = elf.words(s);
    const texts: Array<string | undefined> = new Array(words.length).fill(undefined);
    if (listing) {
      // The listing has no section names; accept an entry only where its bytes are this section's.
      for (let w = 0; w < words.length; w++) {
        const e = listing.get(w * 4);
        if (e && e.word === words[w]) texts[w] = e.text;
      }
    }
    const relocations = elf.relocationsFor(s).map((r) => ({
      offset: Number(r.offset),
      type: relocationTypeName(r.type),
      symbol: r.symbol.type === 3 ? (elf.sections[r.symbol.shndx]?.name ?? '?') : r.symbol.name,
      addend: r.addend,
    }));
    return { name: s.name, words, lines: lineForWords(rows, s, words.length, true), texts, relocations };
  });
  return { assembler, objectPath, sections };
}

export interface ListingEntry {
  word: number;
  text: string;
}

/**
 * Parse a GNU as `-alm` listing into byte offset -> (word, statement text). Lines look like
 * `  12 0004 210080D2 \t>  mov x1,#1` (macro expansions carry a `>`), and a statement with more
 * bytes continues on lines holding only the line number and the bytes.
 */
export function parseGnuListing(text: string): Map<number, ListingEntry> {
  const out = new Map<number, ListingEntry>();
  let nextAddr = -1;
  let lastText = '';
  for (const line of text.split('\n')) {
    const m = /^\s*\d+ ([0-9a-f]{4,}) ([0-9A-F]+)\s*\t?(.*)$/.exec(line);
    const cont = m ? undefined : /^\s*\d+\s+([0-9A-F]+)\s*$/.exec(line);
    let addr: number;
    let hex: string;
    if (m) {
      addr = parseInt(m[1]!, 16);
      hex = m[2]!;
      lastText = m[3]!.replace(/^>+\s*/, '').trim(); // one '>' per macro nesting level
    } else if (cont && nextAddr >= 0) {
      addr = nextAddr;
      hex = cont[1]!;
    } else {
      if (!/^\s*\d+\s/.test(line)) continue;
      nextAddr = -1;
      continue;
    }
    const bytes = Buffer.from(hex, 'hex');
    for (let i = 0; i + 4 <= bytes.length; i += 4) {
      if ((addr + i) % 4 === 0) out.set(addr + i, { word: bytes.readUInt32LE(i), text: lastText });
    }
    nextAddr = addr + bytes.length;
  }
  return out;
}

export async function assembleWithGnuAs(tc: Toolchain, preprocessed: string, objectPath: string, arch?: string): Promise<AssembledObject> {
  const listingPath = `${objectPath}.lst`;
  await runStep('GNU as', [tc.gnuAs, ...archFlags(arch).gnu, '-g', `-alm=${listingPath}`, preprocessed, '-o', objectPath]);
  const listing = parseGnuListing(await readFile(listingPath, 'utf8'));
  return readAssembledObject(new Uint8Array(await readFile(objectPath)), objectPath, 'gnu-as', listing);
}

export async function assembleWithLlvmMc(tc: Toolchain, preprocessed: string, objectPath: string, arch?: string): Promise<AssembledObject> {
  await runStep('llvm-mc', [tc.llvmMc, '-triple=aarch64', ...archFlags(arch).llvm, '-filetype=obj', '-g', preprocessed, '-o', objectPath]);
  return readAssembledObject(new Uint8Array(await readFile(objectPath)), objectPath, 'llvm-mc');
}

/** objdump's decoding of one word of an object, or undefined. */
async function disassembleAt(tc: Toolchain, objectPath: string, section: string, offset: number): Promise<string | undefined> {
  if (!tc.objdump) return undefined;
  const r = await runTool(
    [tc.objdump, '-d', '-j', section, `--start-address=${offset}`, `--stop-address=${offset + 4}`, objectPath],
    { timeoutMs: 20_000 },
  );
  if (r.code !== 0) return undefined;
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*[0-9a-f]+:\s+[0-9a-f]{8}\s+(.*)$/.exec(line);
    if (m) return m[1]!.replace(/\s+/g, ' ').trim();
  }
  return undefined;
}

const hex8 = (w: number) => `0x${w.toString(16).padStart(8, '0')}`;

function where(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}` : '<unknown>';
}

/**
 * The first difference between the two objects: code sections are compared by name, word by
 * word, then their relocations. Undefined when they agree.
 */
export function compareAssembled(gnu: AssembledObject, llvm: AssembledObject): AssemblerMismatch | undefined {
  const names = [...new Set([...gnu.sections.map((s) => s.name), ...llvm.sections.map((s) => s.name)])];
  for (const name of names) {
    const g = gnu.sections.find((s) => s.name === name);
    const l = llvm.sections.find((s) => s.name === name);
    if (!g || !l) {
      return {
        section: name, offset: 0, kind: 'section',
        message: `section ${name}: only ${g ? 'GNU as' : 'llvm-mc'} emitted code there`,
      };
    }
    const n = Math.min(g.words.length, l.words.length);
    for (let i = 0; i < n; i++) {
      if (g.words[i] === l.words[i]) continue;
      const source = g.lines[i] ?? l.lines[i];
      const text = g.texts[i];
      return {
        section: name, offset: i * 4, kind: 'word', gnu: g.words[i]!, llvm: l.words[i]!,
        ...(source ? { source } : {}), ...(text !== undefined ? { text } : {}),
        message:
          `${where(source)}: error: GNU as and llvm-mc disagree at ${name}+0x${(i * 4).toString(16)} (word ${i}): ` +
          `GNU as ${hex8(g.words[i]!)}, llvm-mc ${hex8(l.words[i]!)}${text ? ` [${text}]` : ''}`,
      };
    }
    if (g.words.length !== l.words.length) {
      const longer = g.words.length > l.words.length ? g : l;
      const source = longer.lines[n];
      return {
        section: name, offset: n * 4, kind: 'length', ...(source ? { source } : {}),
        message:
          `${where(source)}: error: section ${name} is ${g.words.length} words from GNU as but ${l.words.length} from llvm-mc; ` +
          `the first extra word is at +0x${(n * 4).toString(16)}`,
      };
    }
    const rl = Math.max(g.relocations.length, l.relocations.length);
    for (let i = 0; i < rl; i++) {
      const a = g.relocations[i];
      const b = l.relocations[i];
      const same = a && b && a.offset === b.offset && a.type === b.type && a.symbol === b.symbol && a.addend === b.addend;
      if (same) continue;
      const offset = (a ?? b)!.offset;
      const source = g.lines[offset / 4];
      const fmt = (r: CodeRelocation | undefined) => (r ? `${r.type} ${r.symbol}${r.addend ? `+${r.addend}` : ''} at +0x${r.offset.toString(16)}` : 'none');
      return {
        section: name, offset, kind: 'relocation', ...(source ? { source } : {}),
        message: `${where(source)}: error: relocation ${i} in ${name} differs: GNU as ${fmt(a)}, llvm-mc ${fmt(b)}`,
      };
    }
  }
  return undefined;
}

/** compareAssembled plus objdump's decoding of both differing words in the message. */
export async function explainMismatch(tc: Toolchain, gnu: AssembledObject, llvm: AssembledObject, m: AssemblerMismatch): Promise<AssemblerMismatch> {
  if (m.kind !== 'word') return m;
  const [gd, ld] = await Promise.all([
    disassembleAt(tc, gnu.objectPath, m.section, m.offset),
    disassembleAt(tc, llvm.objectPath, m.section, m.offset),
  ]);
  const out: AssemblerMismatch = { ...m };
  if (gd) out.gnuDisasm = gd;
  if (ld) out.llvmDisasm = ld;
  if (gd || ld) out.message += `; GNU as decodes as "${gd ?? '?'}", llvm-mc as "${ld ?? '?'}"`;
  return out;
}

/**
 * Preprocess `src` once, assemble it with both assemblers and compare. The work directory is
 * temporary unless `keepDir` is given.
 */
export async function crossAssemble(src: AsmSource, opts: { toolchain?: Toolchain; keepDir?: string } = {}): Promise<CrossAssembleResult> {
  const tc = opts.toolchain ?? requireToolchain(['gnu-as', 'llvm-mc', 'cpp', 'objdump']);
  const dir = opts.keepDir ?? (await mkdtemp(join(tmpdir(), 'switchgen-asm-')));
  if (opts.keepDir) await mkdir(dir, { recursive: true });
  try {
    const stem = basename(src.path).replace(/\.[sS]$/, '');
    const pre = await preprocessAsm(tc, src, join(dir, `${stem}.s`));
    // allSettled: when one assembler fails, the other must finish before the directory goes.
    const [g, l] = await Promise.allSettled([
      assembleWithGnuAs(tc, pre, join(dir, `${stem}.gnu.o`), src.arch),
      assembleWithLlvmMc(tc, pre, join(dir, `${stem}.llvm.o`), src.arch),
    ]);
    if (g.status === 'rejected') throw g.reason;
    if (l.status === 'rejected') throw l.reason;
    const [gnu, llvm] = [g.value, l.value];
    const m = compareAssembled(gnu, llvm);
    const result: CrossAssembleResult = { gnu, llvm };
    if (m) result.mismatch = await explainMismatch(tc, gnu, llvm, m);
    return result;
  } finally {
    if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
  }
}
