// Three assemblers, one source: GNU as, llvm-mc and the simulator's own front end must produce
// the same instruction words for the driver around the macros (so a misparse in our front end
// cannot hide behind a simulator that then runs the wrong code), and the simulator's decoder must
// decode every word GNU as produced, naming the same system registers GNU as assembled.

import { decode, describe, formatLoc, type Program } from '../sim/index.js';
import { crossAssemble, type AsmSource, type AssemblerMismatch, type AssembledSection } from './assemblers.js';
import type { Toolchain } from './toolchain.js';

export interface WordDifference {
  /** Word index in .text (byte offset = 4 * index). */
  index: number;
  simulator?: number;
  gnu?: number;
  message: string;
}

export interface UndecodedWord {
  index: number;
  word: number;
  message: string;
}

export interface WordsCheck {
  /** Words in the driver's .text (as GNU as emitted them). */
  words: number;
  /** Undefined when GNU as and llvm-mc agree on every word and relocation. */
  assemblers?: AssemblerMismatch;
  /** Where the simulator's words differ from GNU as's (at most MAX_REPORTED, then `more`). */
  simulator: WordDifference[];
  /** GNU as words the simulator's decoder does not decode, or decodes to another register. */
  decoder: UndecodedWord[];
  /** Distinct decoded instruction forms seen (for the report). */
  forms: number;
  /** How many more differences there were than listed. */
  more: number;
  ms: number;
}

const MAX_REPORTED = 10;
const hex8 = (w: number) => `0x${w.toString(16).padStart(8, '0')}`;

/** The text GNU as's listing gives a word, with its DWARF line, for messages. */
function gnuWhere(g: AssembledSection, i: number, show: (file: string) => string): string {
  const pos = g.lines[i];
  const line = pos ? `${show(pos.file)}:${pos.line}` : '<unknown>';
  return `${line}${g.texts[i] !== undefined ? ` [${g.texts[i]}]` : ''}`;
}

/** "mrs x4,vmpidr_el2" and "mrs x4, vmpidr_el2" compare equal. */
const squash = (s: string) => s.toLowerCase().replace(/\s+/g, '');

/**
 * Assemble `src` with GNU as and llvm-mc and compare both with `program` (the simulator's
 * assembly of the same source), word by word; then decode GNU as's words with the simulator's
 * decoder. `show` turns a temporary path into the name the user knows.
 */
export async function checkWords(tc: Toolchain, src: AsmSource, program: Program, show: (file: string) => string = (f) => f): Promise<WordsCheck> {
  const started = performance.now();
  const r = await crossAssemble(src, { toolchain: tc });
  const g = r.gnu.sections.find((s) => s.name === '.text');
  if (!g) throw new Error(`GNU as emitted no .text for ${src.path}`);
  const out: WordsCheck = { words: g.words.length, simulator: [], decoder: [], forms: 0, more: 0, ms: 0 };
  if (r.mismatch) {
    const m = r.mismatch;
    out.assemblers = { ...m, message: m.source ? m.message.replace(m.source.file, show(m.source.file)) : m.message };
  }
  let more = 0;
  const note = (list: { message: string }[], item: WordDifference | UndecodedWord) => {
    if (list.length < MAX_REPORTED) (list as (typeof item)[]).push(item);
    else more++;
  };

  // The simulator's words against GNU as's.
  const n = Math.max(program.words.length, g.words.length);
  for (let i = 0; i < n; i++) {
    const s = program.words[i];
    const w = g.words[i];
    if (s === w) continue;
    const simAt = i < program.length ? `${formatLoc(program.locs[i]!)}` : `.text+0x${(i * 4).toString(16)}`;
    const message =
      s === undefined
        ? `${gnuWhere(g, i, show)}: error: GNU as emitted word ${i} (${hex8(w!)}) past the end of the simulator's ${program.length} words`
        : w === undefined
          ? `${simAt}: error: the simulator emitted word ${i} (${hex8(s)} [${program.texts[i]}]) past the end of GNU as's ${g.words.length} words`
          : `${simAt}: error: the simulator's assembler and GNU as disagree at .text+0x${(i * 4).toString(16)} (word ${i}): ` +
            `simulator ${hex8(s)} [${program.texts[i]}], GNU as ${hex8(w)} at ${gnuWhere(g, i, show)}`;
    note(out.simulator, { index: i, ...(s !== undefined ? { simulator: s } : {}), ...(w !== undefined ? { gnu: w } : {}), message });
  }

  // The simulator's decoder on GNU as's words.
  const forms = new Set<string>();
  for (let i = 0; i < g.words.length; i++) {
    if (program.kinds[i] !== undefined && program.kinds[i] !== 'insn') continue;
    const w = g.words[i]!;
    const d = decode(w);
    if (!d) {
      note(out.decoder, { index: i, word: w, message: `${gnuWhere(g, i, show)}: error: the simulator's decoder does not decode GNU as's word ${hex8(w)}` });
      continue;
    }
    const text = describe(d);
    forms.add(d.op === 'mrs' || d.op === 'msr' ? text : `${d.op}`);
    const listed = g.texts[i];
    // Registers written by name (not the generic S<op0>_<op1>_C<n>_C<m>_<op2>) must decode to that name.
    const byName = listed !== undefined && /^(mrs|msr)\s/i.test(listed) && !/\bs\d_\d_c\d+_c\d+_\d\b/i.test(listed);
    if ((d.op === 'mrs' || d.op === 'msr') && byName && squash(listed) !== squash(text)) {
      note(out.decoder, { index: i, word: w, message: `${gnuWhere(g, i, show)}: error: the simulator decodes GNU as's word ${hex8(w)} as "${text}"` });
    }
  }
  out.forms = forms.size;
  out.more = more;
  out.ms = performance.now() - started;
  return out;
}

export function wordsOk(w: WordsCheck): boolean {
  return !w.assemblers && w.simulator.length === 0 && w.decoder.length === 0;
}
