// Pass 2: the GNU as front end — macros, labels, directives, layout — and encoding to A64 words.
//
// Layout is two passes over the macro-expanded statement list: the first assigns every statement
// an address (instructions are 4 bytes, so this needs no encoding) and records labels; the second
// encodes with every label known. Numeric local labels follow GNU semantics: `1b` is the latest
// `1:` at or before the statement, `1f` the first one after it.
//
// Supported directives: .macro/.endm (\arg, \(), \@, defaults, :req, :vararg, keyword arguments),
// .purgem, .rept/.irp/.irpc/.endr, .if/.ifeq/.ifne/.ifgt/.ifge/.iflt/.ifle/.ifdef/.ifndef/.ifc/
// .ifnc/.ifb/.ifnb/.else/.elseif/.endif, .equ/.set/.equiv and `sym = expr`, .align/.p2align
// (power of two, padded with NOPs)/.balign, .word/.long/.4byte/.int/.inst, .quad/.8byte/.xword/
// .dword, .err/.error. Accepted and ignored (they do not change the code): .text, .data, .section,
// .pushsection, .popsection, .previous, .globl/.global, .local, .weak, .hidden, .type, .size,
// .arch, .arch_extension, .file, .ident.
// Sections: all sections are laid out as ONE stream in source order (a .pushsection block sits
// between its neighbours), which keeps every pc-relative distance inside a section as GNU as has it
// but not distances between sections.

import { Diagnostics, SimError, type ExpansionFrame, type SourceLoc } from './errors.js';
import { encodeInstruction, isKnownMnemonic, type EncodeEnv, type Operand } from './encode.js';
import { evalExpr, ExprError } from './expr.js';
import { preprocess, type PpLine, type PreprocessOptions, type SourceFile } from './preprocess.js';
import { Program, type WordKind } from './program.js';

export interface AssembleOptions extends PreprocessOptions {
  /** Address of the first word (default DEFAULT_BASE). */
  base?: bigint;
  /** Stop collecting after this many errors (default 50). */
  maxErrors?: number;
}

/** QEMU virt's RAM starts at 0x4000_0000; Linux images load at +0x80000. */
export const DEFAULT_BASE = 0x4008_0000n;

const MAX_MACRO_DEPTH = 100;
const NOP = 0xd503201f;

interface AsmLine {
  text: string;
  file: string;
  line: number;
  chain: readonly ExpansionFrame[];
}

interface MacroParam {
  name: string;
  def: string | undefined;
  req: boolean;
  vararg: boolean;
}

interface MacroDef {
  name: string;
  params: MacroParam[];
  body: AsmLine[];
  loc: SourceLoc;
}

interface CondFrame {
  active: boolean;
  taken: boolean;
  parentActive: boolean;
  sawElse: boolean;
  loc: SourceLoc;
}

type Item =
  | { kind: 'insn'; offset: number; seq: number; loc: SourceLoc; mnemonic: string; mcol: number; operands: Operand[]; text: string }
  | { kind: 'data'; offset: number; seq: number; loc: SourceLoc; size: 4 | 8; expr: string; col: number; text: string; directive: string }
  | { kind: 'pad'; offset: number; loc: SourceLoc; words: number; text: string };

interface Statement {
  text: string;
  /** 1-based column of text[0] in the line. */
  col: number;
}

const IDENT = /^[A-Za-z_.$][A-Za-z0-9_.$]*/;
const IGNORED_DIRECTIVES = new Set([
  '.text', '.data', '.section', '.pushsection', '.popsection', '.previous', '.globl', '.global', '.local', '.weak',
  '.hidden', '.type', '.size', '.arch', '.arch_extension', '.file', '.ident',
]);
const WORD_DIRECTIVES = new Set(['.word', '.long', '.4byte', '.int', '.inst']);
const QUAD_DIRECTIVES = new Set(['.quad', '.8byte', '.xword', '.dword']);

/** Split text at top-level separators (outside quotes and the given brackets). */
function splitTop(text: string, sep: string, brackets: string): { text: string; at: number }[] {
  const parts: { text: string; at: number }[] = [];
  let depth = 0;
  let start = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (brackets.includes(c) && brackets.indexOf(c) % 2 === 0) depth++;
    else if (brackets.includes(c)) depth = Math.max(0, depth - 1);
    else if (c === sep && depth === 0) {
      parts.push({ text: text.slice(start, i), at: start });
      start = i + 1;
    }
  }
  parts.push({ text: text.slice(start), at: start });
  return parts;
}

/** Trim a part, keeping track of where its first character is. */
function trimPart(p: { text: string; at: number }): { text: string; at: number } {
  const lead = p.text.length - p.text.trimStart().length;
  return { text: p.text.trim(), at: p.at + lead };
}

class Assembler {
  private readonly items: Item[] = [];
  private offset = 0;
  private seq = 0;
  private readonly labels = new Map<string, { offset: number; loc: SourceLoc }>();
  private readonly equs = new Map<string, bigint>();
  private readonly localDefs = new Map<string, { seq: number; offset: number }[]>();
  private readonly macros = new Map<string, MacroDef>();
  private readonly conds: CondFrame[] = [];
  private macroCounter = 0;
  readonly diags: Diagnostics;

  constructor(
    private readonly base: bigint,
    maxErrors: number,
  ) {
    this.diags = new Diagnostics(maxErrors);
  }

  private err(line: AsmLine, col: number, message: string): SimError {
    return new SimError({ file: line.file, line: line.line, col, chain: line.chain }, message);
  }

  private locOf(line: AsmLine, col: number): SourceLoc {
    return { file: line.file, line: line.line, col, chain: line.chain };
  }

  private active(): boolean {
    return this.conds.length === 0 || this.conds[this.conds.length - 1]!.active;
  }

  /** Statements of a line: `;` separates statements in AArch64 GNU as. */
  private statements(text: string): Statement[] {
    return splitTop(text, ';', '')
      .map(trimPart)
      .filter((p) => p.text !== '')
      .map((p) => ({ text: p.text, col: p.at + 1 }));
  }

  /** The lower-cased first word of a line's first statement after any labels (to find .endm/.endr). */
  private leadingDirective(text: string): string {
    const st = this.statements(text)[0];
    if (!st) return '';
    let t = st.text;
    for (;;) {
      const m = /^([A-Za-z_.$][A-Za-z0-9_.$]*|[0-9]+)\s*:(?!:)/.exec(t);
      if (!m) break;
      t = t.slice(m[0].length).trimStart();
    }
    return (/^\S+/.exec(t)?.[0] ?? '').toLowerCase();
  }

  /** Collect a block body up to its terminator, honouring nesting; returns the index after the terminator. */
  private collectBody(lines: AsmLine[], from: number, open: RegExp, close: string, opener: AsmLine, col: number, what: string): { body: AsmLine[]; next: number } {
    let depth = 0;
    for (let i = from; i < lines.length; i++) {
      const d = this.leadingDirective(lines[i]!.text);
      if (open.test(d)) depth++;
      else if (d === close) {
        if (depth === 0) return { body: lines.slice(from, i), next: i + 1 };
        depth--;
      }
    }
    throw this.err(opener, col, `${what} without a matching '${close}'`);
  }

  processLines(lines: AsmLine[], depth: number): void {
    let i = 0;
    while (i < lines.length) {
      const line = lines[i++]!;
      for (const st of this.statements(line.text)) {
        try {
          const next = this.statement(st, line, lines, i, depth);
          if (next !== undefined) {
            i = next;
            break; // the rest of a line that opened a block is not processed (as gas)
          }
        } catch (e) {
          this.diags.catch(e);
        }
      }
    }
  }

  /** Process one statement; returns a new line index when it consumed following lines. */
  private statement(st: Statement, line: AsmLine, lines: AsmLine[], nextIndex: number, depth: number): number | undefined {
    let text = st.text;
    let col = st.col;
    // Conditional directives are looked at even in inactive regions.
    const first = (/^\S+/.exec(text)?.[0] ?? '').toLowerCase();
    if (first.startsWith('.if') || first === '.else' || first === '.elseif' || first === '.endif') {
      this.conditional(first, text.slice(first.length), col + first.length, line, col);
      return undefined;
    }
    if (!this.active()) return undefined;

    // Labels.
    for (;;) {
      const m = /^([A-Za-z_.$][A-Za-z0-9_.$]*|[0-9]+)\s*:(?!:)/.exec(text);
      if (!m) break;
      this.defineLabel(m[1]!, line, col);
      const consumed = m[0].length + (text.slice(m[0].length).length - text.slice(m[0].length).trimStart().length);
      text = text.slice(consumed);
      col += consumed;
    }
    if (text === '') {
      this.seq++;
      return undefined;
    }
    // Assignment `sym = expr`.
    const assign = /^([A-Za-z_.$][A-Za-z0-9_.$]*)\s*=\s*(.*)$/.exec(text);
    if (assign && !text.startsWith('.') ) {
      this.setSymbol(assign[1]!, assign[2]!, line, col + text.indexOf(assign[2]!, assign[1]!.length), col, false);
      return undefined;
    }
    const wm = /^(\S+)\s*(.*)$/.exec(text)!;
    const word = wm[1]!;
    const rest = wm[2]!;
    const restCol = col + text.length - rest.length;
    const lower = word.toLowerCase();

    if (lower.startsWith('.')) return this.directive(lower, rest, restCol, line, col, lines, nextIndex, depth);

    const macro = this.macros.get(lower); // GNU as macro names are case-insensitive
    if (macro) {
      this.expandMacro(macro, rest, restCol, line, col, depth);
      return undefined;
    }
    if (!isKnownMnemonic(lower)) {
      const hint = /^b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)$/.test(lower) ? ` (write 'b.${lower.slice(1)}')` : '';
      throw this.err(line, col, `unknown instruction mnemonic '${word}'${hint}`);
    }
    const operands = rest.trim() === '' ? [] : splitTop(rest, ',', '[]()').map(trimPart).map((p) => ({ text: p.text, col: restCol + p.at }));
    const empty = operands.find((o) => o.text === '');
    if (empty) throw this.err(line, empty.col, `empty operand in '${text}'`);
    const normal = `${lower}${operands.length ? ' ' + operands.map((o) => o.text.replace(/\s+/g, ' ')).join(', ') : ''}`;
    this.items.push({ kind: 'insn', offset: this.offset, seq: this.seq++, loc: this.locOf(line, col), mnemonic: lower, mcol: col, operands, text: normal });
    this.offset += 4;
    return undefined;
  }

  private defineLabel(name: string, line: AsmLine, col: number): void {
    if (/^[0-9]+$/.test(name)) {
      const defs = this.localDefs.get(name) ?? [];
      defs.push({ seq: this.seq, offset: this.offset });
      this.localDefs.set(name, defs);
      return;
    }
    const prev = this.labels.get(name);
    if (prev) throw this.err(line, col, `symbol '${name}' is already defined (at ${prev.loc.file}:${prev.loc.line})`);
    if (this.equs.has(name)) throw this.err(line, col, `symbol '${name}' is already defined as a constant`);
    this.labels.set(name, { offset: this.offset, loc: this.locOf(line, col) });
  }

  private setSymbol(name: string, exprText: string, line: AsmLine, exprCol: number, col: number, once: boolean): void {
    if (this.labels.has(name)) throw this.err(line, col, `symbol '${name}' is already defined as a label`);
    if (once && this.equs.has(name)) throw this.err(line, col, `symbol '${name}' is already defined`);
    this.equs.set(name, this.evalConst(exprText, line, exprCol));
  }

  private exprError(e: unknown, line: AsmLine, col: number): never {
    if (e instanceof ExprError) throw this.err(line, col + e.offset, e.message);
    throw e;
  }

  /** An absolute expression: numbers and .equ/.set symbols (labels are addresses, not constants). */
  private evalConst(text: string, line: AsmLine, col: number): bigint {
    const lead = text.length - text.trimStart().length;
    try {
      return evalExpr(text, {
        mode: 'gas',
        resolve: (name) => {
          const v = this.equs.get(name);
          if (v !== undefined) return v;
          if (this.labels.has(name)) throw new ExprError(`'${name}' is a label, not a constant`, text.indexOf(name));
          return undefined;
        },
      });
    } catch (e) {
      return this.exprError(e, line, col + (e instanceof ExprError ? 0 : lead));
    }
  }

  /** An address expression: labels, local label references, constants and `.`. */
  private evalAddress(text: string, line: AsmLine, col: number, seq: number, dot: bigint): bigint {
    try {
      return evalExpr(text, {
        mode: 'gas',
        dot,
        resolve: (name) => {
          const l = this.labels.get(name);
          if (l) return this.base + BigInt(l.offset);
          return this.equs.get(name);
        },
        resolveLocal: (n, dir) => {
          const defs = this.localDefs.get(n) ?? [];
          // Definitions are in seq order; a label on the statement's own line precedes it (seq <= current).
          if (dir === 'b') {
            let found: number | undefined;
            for (const d of defs) if (d.seq <= seq) found = d.offset;
            return found === undefined ? undefined : this.base + BigInt(found);
          }
          const d = defs.find((x) => x.seq > seq);
          return d === undefined ? undefined : this.base + BigInt(d.offset);
        },
      });
    } catch (e) {
      return this.exprError(e, line, col);
    }
  }

  private conditional(dir: string, argText: string, argCol: number, line: AsmLine, col: number): void {
    const arg = argText.trim();
    const aCol = argCol + (argText.length - argText.trimStart().length);
    const top = this.conds[this.conds.length - 1];
    if (dir === '.endif') {
      if (!top) throw this.err(line, col, `'.endif' without '.if'`);
      this.conds.pop();
      return;
    }
    if (dir === '.else' || dir === '.elseif') {
      if (!top) throw this.err(line, col, `'${dir}' without '.if'`);
      if (top.sawElse) throw this.err(line, col, `'${dir}' after '.else'`);
      if (dir === '.else') {
        top.sawElse = true;
        top.active = top.parentActive && !top.taken;
        top.taken = true;
      } else {
        const v = top.parentActive && !top.taken && this.evalConst(arg, line, aCol) !== 0n;
        top.active = v;
        top.taken ||= v;
      }
      return;
    }
    const parentActive = this.active();
    let value = false;
    if (parentActive) {
      const num = (): bigint => this.evalConst(arg, line, aCol);
      const two = (): [string, string] => {
        const parts = splitTop(arg, ',', '');
        if (parts.length !== 2) throw this.err(line, aCol, `'${dir}' expects two comma-separated strings`);
        const strip = (s: string): string => s.trim().replace(/^"(.*)"$/, '$1');
        return [strip(parts[0]!.text), strip(parts[1]!.text)];
      };
      const defined = (): boolean => {
        if (!IDENT.test(arg)) throw this.err(line, aCol, `'${dir}' expects a symbol name`);
        return this.labels.has(arg) || this.equs.has(arg);
      };
      switch (dir) {
        case '.if': case '.ifne': value = num() !== 0n; break;
        case '.ifeq': value = num() === 0n; break;
        case '.ifgt': value = num() > 0n; break;
        case '.ifge': value = num() >= 0n; break;
        case '.iflt': value = num() < 0n; break;
        case '.ifle': value = num() <= 0n; break;
        case '.ifdef': value = defined(); break;
        case '.ifndef': case '.ifnotdef': value = !defined(); break;
        case '.ifc': { const [a, b] = two(); value = a === b; break; }
        case '.ifnc': { const [a, b] = two(); value = a !== b; break; }
        case '.ifb': value = arg === ''; break;
        case '.ifnb': value = arg !== ''; break;
        default: throw this.err(line, col, `unknown directive '${dir}'`);
      }
    }
    this.conds.push({ active: parentActive && value, taken: value, parentActive, sawElse: false, loc: this.locOf(line, col) });
  }

  private directive(dir: string, rest: string, restCol: number, line: AsmLine, col: number, lines: AsmLine[], nextIndex: number, depth: number): number | undefined {
    if (IGNORED_DIRECTIVES.has(dir)) return undefined;
    const args = (): { text: string; col: number }[] =>
      rest.trim() === '' ? [] : splitTop(rest, ',', '()').map(trimPart).map((p) => ({ text: p.text, col: restCol + p.at }));
    switch (dir) {
      case '.macro': {
        const def = this.parseMacroHead(rest, restCol, line, col);
        const { body, next } = this.collectBody(lines, nextIndex, /^\.macro$/, '.endm', line, col, `'.macro ${def.name}'`);
        def.body = body;
        const key = def.name.toLowerCase();
        const prev = this.macros.get(key);
        if (prev) throw this.err(line, col, `macro '${def.name}' is already defined (at ${prev.loc.file}:${prev.loc.line})`);
        this.macros.set(key, def);
        return next;
      }
      case '.endm':
        throw this.err(line, col, `'.endm' without '.macro'`);
      case '.purgem': {
        const name = rest.trim();
        if (!this.macros.delete(name.toLowerCase())) throw this.err(line, restCol, `macro '${name}' is not defined`);
        return undefined;
      }
      case '.rept':
      case '.irp':
      case '.irpc': {
        const { body, next } = this.collectBody(lines, nextIndex, /^\.(rept|irp|irpc)$/, '.endr', line, col, `'${dir}'`);
        this.expandRepeat(dir, rest, restCol, body, line, col, depth);
        return next;
      }
      case '.endr':
        throw this.err(line, col, `'.endr' without '.rept', '.irp' or '.irpc'`);
      case '.equ':
      case '.set':
      case '.equiv': {
        const parts = splitTop(rest, ',', '()');
        const name = parts[0]!.text.trim();
        if (parts.length !== 2 || !IDENT.test(name)) throw this.err(line, restCol, `'${dir}' expects 'symbol, expression'`);
        this.setSymbol(name, parts[1]!.text, line, restCol + parts[1]!.at, col, dir === '.equiv');
        return undefined;
      }
      case '.align':
      case '.p2align':
      case '.balign': {
        const a = args();
        if (a.length < 1 || a.length > 3) throw this.err(line, restCol, `'${dir}' expects an alignment`);
        if (a.length > 1) throw this.err(line, a[1]!.col, `'${dir}' with a fill value is not supported (code is padded with NOPs)`);
        const v = this.evalConst(a[0]!.text, line, a[0]!.col);
        let bytes: bigint;
        if (dir === '.balign') {
          if (v <= 0n || (v & (v - 1n)) !== 0n) throw this.err(line, a[0]!.col, `alignment ${v} is not a power of 2`);
          bytes = v;
        } else {
          if (v < 0n || v > 16n) throw this.err(line, a[0]!.col, `alignment exponent ${v} out of range [0, 16]`);
          bytes = 1n << v;
        }
        if (bytes <= 4n) return undefined;
        const addr = this.base + BigInt(this.offset);
        const pad = Number((bytes - (addr % bytes)) % bytes);
        if (pad > 0) {
          this.items.push({ kind: 'pad', offset: this.offset, loc: this.locOf(line, col), words: pad / 4, text: `nop (${dir} padding)` });
          this.offset += pad;
        }
        return undefined;
      }
      case '.err':
        throw this.err(line, col, `.err encountered`);
      case '.error': {
        throw this.err(line, col, rest.trim().replace(/^"(.*)"$/, '$1') || '.error encountered');
      }
      default:
        break;
    }
    if (WORD_DIRECTIVES.has(dir) || QUAD_DIRECTIVES.has(dir)) {
      const a = args();
      if (a.length === 0) throw this.err(line, col, `'${dir}' expects at least one value`);
      const size = QUAD_DIRECTIVES.has(dir) ? 8 : 4;
      for (const v of a) {
        this.items.push({ kind: 'data', offset: this.offset, seq: this.seq, loc: this.locOf(line, v.col), size, expr: v.text, col: v.col, text: `${dir} ${v.text}`, directive: dir });
        this.offset += size;
      }
      this.seq++;
      return undefined;
    }
    if (['.byte', '.hword', '.short', '.2byte', '.ascii', '.asciz', '.string', '.skip', '.space', '.zero', '.fill'].includes(dir)) {
      throw this.err(line, col, `directive '${dir}' is not supported by the simulator (only 4- and 8-byte data: .word, .inst, .quad)`);
    }
    throw this.err(line, col, `unknown directive '${dir}'`);
  }

  private parseMacroHead(rest: string, restCol: number, line: AsmLine, col: number): MacroDef {
    const m = /^([A-Za-z_.$][A-Za-z0-9_.$]*)\s*,?\s*(.*)$/.exec(rest.trim());
    if (!m) throw this.err(line, restCol, `'.macro' expects a macro name`);
    const params: MacroParam[] = [];
    const list = m[2]!.trim();
    if (list !== '') {
      for (const raw of list.replace(/\s*=\s*/g, '=').split(/[\s,]+/).filter((s) => s !== '')) {
        const pm = /^([A-Za-z_.$][A-Za-z0-9_.$]*)(?::(req|vararg))?(?:=(.*))?$/.exec(raw);
        if (!pm) throw this.err(line, restCol, `invalid macro parameter '${raw}' in '.macro ${m[1]}'`);
        params.push({ name: pm[1]!, req: pm[2] === 'req', vararg: pm[2] === 'vararg', def: pm[3] });
      }
    }
    for (const [i, p] of params.entries()) {
      if (p.vararg && i !== params.length - 1) throw this.err(line, restCol, `':vararg' parameter '${p.name}' must be last`);
    }
    return { name: m[1]!, params, body: [], loc: this.locOf(line, col) };
  }

  /** Split macro arguments as GNU as does: at commas, and at whitespace outside parentheses and quotes. */
  private splitMacroArgs(rest: string): string[] {
    const out: string[] = [];
    for (const part of splitTop(rest, ',', '()')) {
      const t = part.text.trim();
      if (t === '') {
        out.push('');
        continue;
      }
      let cur = '';
      let depth = 0;
      let inStr = false;
      for (let i = 0; i < t.length; i++) {
        const c = t[i]!;
        if (inStr) {
          cur += c;
          if (c === '"') inStr = false;
          continue;
        }
        if (c === '"') inStr = true;
        if (c === '(') depth++;
        if (c === ')') depth--;
        if (/\s/.test(c) && depth === 0) {
          // whitespace around '=' in keyword arguments does not split
          const before = cur.trimEnd();
          const after = t.slice(i).trimStart();
          if (before.endsWith('=') || after.startsWith('=')) {
            continue;
          }
          if (cur !== '') out.push(cur);
          cur = '';
          continue;
        }
        cur += c;
      }
      out.push(cur);
    }
    if (out.length === 1 && out[0] === '') return [];
    return out;
  }

  private expandMacro(def: MacroDef, rest: string, restCol: number, line: AsmLine, col: number, depth: number): void {
    if (depth >= MAX_MACRO_DEPTH) throw this.err(line, col, `macros nested too deeply (limit ${MAX_MACRO_DEPTH}) expanding '${def.name}'`);
    const args = this.splitMacroArgs(rest);
    const values = new Map<string, string>();
    let pos = 0;
    for (const a of args) {
      const kw = /^([A-Za-z_.$][A-Za-z0-9_.$]*)\s*=\s*(.*)$/.exec(a);
      if (kw && def.params.some((p) => p.name === kw[1])) {
        values.set(kw[1]!, kw[2]!);
        continue;
      }
      const p = def.params[pos];
      if (!p) throw this.err(line, restCol, `too many arguments for macro '${def.name}' (it takes ${def.params.length})`);
      if (p.vararg) {
        values.set(p.name, args.slice(args.indexOf(a)).join(', '));
        break;
      }
      values.set(p.name, a);
      pos++;
    }
    for (const p of def.params) {
      if (!values.has(p.name) || values.get(p.name) === '') {
        if (p.req) throw this.err(line, restCol, `missing value for required parameter '${p.name}' of macro '${def.name}'`);
        values.set(p.name, p.def ?? values.get(p.name) ?? '');
      }
    }
    const counter = this.macroCounter++;
    const frame: ExpansionFrame = { macro: def.name, at: { file: line.file, line: line.line, col } };
    const chain = [...line.chain, frame];
    const expanded = def.body.map((b) => ({
      text: this.substitute(b, values, counter, def.name, chain),
      file: b.file,
      line: b.line,
      chain,
    }));
    this.processLines(expanded, depth + 1);
  }

  /** Replace \param, \() and \@ in a body line. */
  private substitute(b: AsmLine, values: Map<string, string>, counter: number, macro: string, chain: readonly ExpansionFrame[]): string {
    let out = '';
    const t = b.text;
    for (let i = 0; i < t.length; i++) {
      const c = t[i]!;
      if (c !== '\\') {
        out += c;
        continue;
      }
      if (t.startsWith('\\()', i)) {
        i += 2;
        continue;
      }
      if (t[i + 1] === '@') {
        out += String(counter);
        i += 1;
        continue;
      }
      const m = /^[A-Za-z_.$][A-Za-z0-9_$]*/.exec(t.slice(i + 1));
      if (m && values.has(m[0])) {
        out += values.get(m[0]);
        i += m[0].length;
        continue;
      }
      if (m) {
        throw new SimError({ file: b.file, line: b.line, col: i + 1, chain }, `'\\${m[0]}' is not a parameter of macro '${macro}'`);
      }
      out += c;
    }
    return out;
  }

  private expandRepeat(dir: string, rest: string, restCol: number, body: AsmLine[], line: AsmLine, col: number, depth: number): void {
    if (depth >= MAX_MACRO_DEPTH) throw this.err(line, col, `'${dir}' nested too deeply`);
    const frame: ExpansionFrame = { macro: dir, at: { file: line.file, line: line.line, col } };
    const chain = [...line.chain, frame];
    const run = (values: Map<string, string>): void => {
      const counter = this.macroCounter++;
      this.processLines(
        body.map((b) => ({ text: this.substitute(b, values, counter, dir, chain), file: b.file, line: b.line, chain })),
        depth + 1,
      );
    };
    if (dir === '.rept') {
      const n = this.evalConst(rest, line, restCol);
      if (n < 0n || n > 100000n) throw this.err(line, restCol, `'.rept' count ${n} out of range [0, 100000]`);
      for (let k = 0n; k < n; k++) run(new Map());
      return;
    }
    const parts = splitTop(rest, ',', '()');
    const sym = parts[0]!.text.trim();
    if (!IDENT.test(sym)) throw this.err(line, restCol, `'${dir}' expects 'symbol, values...'`);
    if (dir === '.irp') {
      const vals = parts.length > 1 ? this.splitMacroArgs(parts.slice(1).map((p) => p.text).join(',')) : [''];
      for (const v of vals) run(new Map([[sym, v]]));
    } else {
      const chars = parts.slice(1).map((p) => p.text).join(',').trim();
      for (const ch of chars) run(new Map([[sym, ch]]));
    }
  }

  /** Encode everything laid out in pass 1. */
  finish(): Program {
    for (const c of this.conds) this.diags.add(new SimError(c.loc, `unterminated '.if'`));
    const nWords = this.offset / 4;
    const words = new Uint32Array(nWords);
    const locs: SourceLoc[] = new Array<SourceLoc>(nWords);
    const texts: string[] = new Array<string>(nWords).fill('');
    const kinds: WordKind[] = new Array<WordKind>(nWords).fill('pad');
    for (const item of this.items) {
      const idx = item.offset / 4;
      if (item.kind === 'pad') {
        for (let k = 0; k < item.words; k++) {
          words[idx + k] = NOP;
          locs[idx + k] = item.loc;
          texts[idx + k] = item.text;
          kinds[idx + k] = 'pad';
        }
        continue;
      }
      const line: AsmLine = { text: '', file: item.loc.file, line: item.loc.line, chain: item.loc.chain };
      const pc = this.base + BigInt(item.offset);
      locs[idx] = item.loc;
      texts[idx] = item.text;
      try {
        if (item.kind === 'insn') {
          const env: EncodeEnv = {
            pc,
            evalConst: (text, col) => this.evalConst(text, line, col),
            evalAddress: (text, col) => this.evalAddress(text, line, col, item.seq, pc),
            fail: (col, message) => {
              throw this.err(line, col, message);
            },
          };
          words[idx] = encodeInstruction(item.mnemonic, item.mcol, item.operands, env);
          kinds[idx] = 'insn';
        } else {
          const v = BigInt.asUintN(64, this.evalAddress(item.expr, line, item.col, item.seq, pc));
          if (item.size === 4) {
            if (v > 0xffffffffn && BigInt.asIntN(64, v) < -(1n << 31n)) throw this.err(line, item.col, `value 0x${v.toString(16)} does not fit in 32 bits for '${item.directive}'`);
            words[idx] = Number(v & 0xffffffffn);
            kinds[idx] = item.directive === '.inst' ? 'insn' : 'data';
          } else {
            words[idx] = Number(v & 0xffffffffn);
            words[idx + 1] = Number(v >> 32n);
            locs[idx + 1] = item.loc;
            texts[idx + 1] = `${item.text} (high word)`;
            kinds[idx] = 'data';
            kinds[idx + 1] = 'data';
          }
        }
      } catch (e) {
        this.diags.catch(e);
      }
    }
    this.diags.throwIfAny();
    const symbols = new Map<string, bigint>();
    for (const [name, l] of [...this.labels.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      symbols.set(name, this.base + BigInt(l.offset));
    }
    return new Program(this.base, words, symbols, locs, texts, kinds);
  }
}

/** Assemble already-preprocessed lines (e.g. from `preprocess`). */
export function assembleLines(lines: readonly PpLine[], opts: { base?: bigint; maxErrors?: number } = {}): Program {
  const base = opts.base ?? DEFAULT_BASE;
  if (base % 4n !== 0n || base < 0n || base >= 1n << 64n) throw new Error(`program base 0x${base.toString(16)} must be a 64-bit multiple of 4`);
  const asm = new Assembler(base, opts.maxErrors ?? 50);
  asm.processLines(
    lines.map((l) => ({ text: l.text, file: l.file, line: l.line, chain: [] })),
    0,
  );
  return asm.finish();
}

/**
 * Preprocess and assemble a .S file. Throws a SimError (with every diagnostic collected) on failure.
 */
export function assembleProgram(entry: SourceFile, opts: AssembleOptions = {}): Program {
  const lines = preprocess(entry, opts);
  return assembleLines(lines, opts);
}
