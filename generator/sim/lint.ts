// The lint pass: which instruction forms a program uses, and whether the simulator models each.
// A test runs it over generated/ so that an emitter cannot start using an instruction the
// simulator (and therefore every proof run on it) does not cover.

import { assembleProgram, type AssembleOptions } from './assemble.js';
import { decode, formOf } from './decode.js';
import { SimError, type SourceLoc } from './errors.js';
import type { SourceFile } from './preprocess.js';
import type { Program } from './program.js';

export interface LintEntry {
  /** Source mnemonic as written (after macro expansion), e.g. "mov". */
  mnemonic: string;
  /** The decoded instruction form, e.g. "movz Wd, #imm16, lsl #shift"; for failures, the reason. */
  form: string;
  modelled: boolean;
  count: number;
  /** First place the form is used. */
  first: SourceLoc;
  /** Normalised source text of the first use ('(does not assemble)' for assembly errors). */
  example: string;
}

export interface LintReport {
  /** One entry per (mnemonic, form), sorted by mnemonic then form. */
  entries: LintEntry[];
  /** The entries that are not modelled (empty when everything is). */
  unmodelled: LintEntry[];
  /** Assembly errors, when linting source that does not assemble. */
  errors: SimError[];
}

function finish(entries: Map<string, LintEntry>, errors: SimError[]): LintReport {
  const list = [...entries.values()].sort((a, b) => (a.mnemonic === b.mnemonic ? (a.form < b.form ? -1 : 1) : a.mnemonic < b.mnemonic ? -1 : 1));
  return { entries: list, unmodelled: list.filter((e) => !e.modelled), errors };
}

/** Lint an assembled program: every instruction word is decoded and classified. */
export function lintProgram(program: Program): LintReport {
  const entries = new Map<string, LintEntry>();
  for (let i = 0; i < program.length; i++) {
    if (program.kinds[i] !== 'insn') continue;
    const text = program.texts[i]!;
    const mnemonic = text.split(' ')[0]!;
    const d = decode(program.words[i]!);
    const form = d ? formOf(d) : `word 0x${program.words[i]!.toString(16).padStart(8, '0')} is not decoded`;
    const key = `${mnemonic}\u0000${form}`;
    const e = entries.get(key);
    if (e) e.count++;
    else entries.set(key, { mnemonic, form, modelled: d !== undefined, count: 1, first: program.locs[i]!, example: text });
  }
  return finish(entries, []);
}

/** Lint source text: what does not assemble is reported as unmodelled, with its diagnostic. */
export function lintSource(entry: SourceFile, opts: AssembleOptions = {}): LintReport {
  try {
    return lintProgram(assembleProgram(entry, opts));
  } catch (e) {
    if (!(e instanceof SimError)) throw e;
    const entries = new Map<string, LintEntry>();
    for (const d of e.diagnostics) {
      entries.set(`${d.file}:${d.line}:${d.col}`, { mnemonic: '?', form: d.detail, modelled: false, count: 1, first: d.loc, example: '(does not assemble)' });
    }
    return finish(entries, [...e.diagnostics]);
  }
}
