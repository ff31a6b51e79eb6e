// Pass 1: the C preprocessor subset that `gcc -x assembler-with-cpp` applies to a .S file.
//
// Supported: #include "x" / <x> (through a caller-supplied resolver), #define (object-like and
// function-like, with # stringification and ## pasting as GCC does them in .S files), #undef,
// #ifdef/#ifndef/#if/#elif/#else/#endif with defined(), #error, #warning, #pragma once, line
// continuations, /* */ and // comments. Every output line keeps the file and line it came from.
//
// Simplifications (documented, not silent): macro expansion uses a "currently expanding" set instead
// of the full C hide-set algorithm, function-like macro arguments must close on the same logical
// line, `'` does not start a character literal, and redefining a macro with a different body is an
// error (GCC only warns). Anything else starting with `#` is an error.

import { Diagnostics, SimError, type SourcePos } from './errors.js';
import { evalExpr, ExprError } from './expr.js';

export interface SourceFile {
  path: string;
  text: string;
}

/** Finds an included file; `fromPath` is the path of the file containing the #include. */
export type IncludeResolver = (name: string, fromPath: string) => SourceFile | undefined;

export interface PreprocessOptions {
  resolveInclude?: IncludeResolver;
  /** Extra definitions, as on a `-D` command line: `{ "FOO": "1", "BAR(x)": "((x) * 2)" }`. */
  defines?: Record<string, string>;
  /** Called for each #warning (they do not stop preprocessing). */
  onWarning?: (warning: SimError) => void;
}

/** One line of preprocessed text with its origin. Blank lines are dropped. */
export interface PpLine {
  text: string;
  file: string;
  line: number;
  /** True when a cpp macro was expanded on this line (so columns past the first expansion are approximate). */
  expanded: boolean;
}

/** Macros gcc predefines that matter to .S files. */
const PREDEFINED: Record<string, string> = { __ASSEMBLER__: '1', __aarch64__: '1' };

const MAX_INCLUDE_DEPTH = 200;

type PTok = { k: 'id' | 'num' | 'str' | 'ws' | 'p'; v: string; at: number };

function lexLine(s: string): PTok[] {
  const toks: PTok[] = [];
  let i = 0;
  while (i < s.length) {
    const rest = s.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^[ \t\f\v]+/.exec(rest))) toks.push({ k: 'ws', v: m[0], at: i });
    else if ((m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(rest))) toks.push({ k: 'id', v: m[0], at: i });
    else if ((m = /^\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*/.exec(rest))) toks.push({ k: 'num', v: m[0], at: i });
    else if ((m = /^"(?:[^"\\]|\\.)*"?/.exec(rest))) toks.push({ k: 'str', v: m[0], at: i });
    else if (rest.startsWith('##')) toks.push({ k: 'p', v: '##', at: i });
    else toks.push({ k: 'p', v: s[i]!, at: i });
    i += toks[toks.length - 1]!.v.length;
  }
  return toks;
}

const join = (toks: readonly PTok[]): string => toks.map((t) => t.v).join('');

interface MacroDef {
  name: string;
  /** null for object-like macros. */
  params: string[] | null;
  variadic: boolean;
  body: PTok[];
  bodyText: string;
  pos: SourcePos | undefined;
}

interface Cond {
  /** Lines in this branch are emitted. */
  active: boolean;
  /** Some branch of this #if has been taken already. */
  taken: boolean;
  sawElse: boolean;
  /** The enclosing region is active. */
  parentActive: boolean;
  pos: SourcePos;
}

interface LogicalLine {
  text: string;
  line: number;
}

class Preprocessor {
  readonly macros = new Map<string, MacroDef>();
  readonly out: PpLine[] = [];
  readonly diags = new Diagnostics();
  private readonly onceFiles = new Set<string>();

  constructor(private readonly opts: PreprocessOptions) {
    const cmdline: SourcePos = { file: '<command-line>', line: 1, col: 1 };
    for (const [k, v] of Object.entries({ ...PREDEFINED, ...(opts.defines ?? {}) })) {
      try {
        this.define(`${k} ${v}`, cmdline, true);
      } catch (e) {
        this.diags.catch(e);
      }
    }
  }

  /** Split into logical lines: backslash-newline splicing first, then comment removal (C phases 2 and 3). */
  private logicalLines(file: SourceFile): LogicalLine[] {
    const phys = file.text.split(/\r?\n/);
    if (phys.length > 0 && phys[phys.length - 1] === '') phys.pop();
    const spliced: LogicalLine[] = [];
    for (let i = 0; i < phys.length; i++) {
      const start = i;
      let text = phys[i]!;
      while (text.endsWith('\\') && i + 1 < phys.length) {
        text = text.slice(0, -1) + phys[++i]!;
      }
      spliced.push({ text, line: start + 1 });
    }
    // Strip comments, replacing them by spaces so columns stay put.
    let inBlock: SourcePos | undefined;
    for (const ll of spliced) {
      let out = '';
      const s = ll.text;
      let i = 0;
      while (i < s.length) {
        if (inBlock) {
          const end = s.indexOf('*/', i);
          if (end < 0) {
            out += ' '.repeat(s.length - i);
            i = s.length;
          } else {
            out += ' '.repeat(end + 2 - i);
            i = end + 2;
            inBlock = undefined;
          }
          continue;
        }
        const c = s[i]!;
        if (c === '"') {
          const m = /^"(?:[^"\\]|\\.)*"?/.exec(s.slice(i))!;
          out += m[0];
          i += m[0].length;
        } else if (s.startsWith('/*', i)) {
          inBlock = { file: file.path, line: ll.line, col: i + 1 };
          out += '  ';
          i += 2;
        } else if (s.startsWith('//', i)) {
          i = s.length;
        } else {
          out += c;
          i++;
        }
      }
      ll.text = out.replace(/\s+$/, '');
    }
    if (inBlock) this.diags.add(new SimError(inBlock, 'unterminated comment'));
    return spliced;
  }

  run(file: SourceFile, depth: number): void {
    const conds: Cond[] = [];
    const active = (): boolean => conds.length === 0 || conds[conds.length - 1]!.active;
    for (const ll of this.logicalLines(file)) {
      const pos = (col: number): SourcePos => ({ file: file.path, line: ll.line, col });
      try {
        const dm = /^(\s*)#\s*([A-Za-z_]\w*)?(.*)$/.exec(ll.text);
        if (!dm) {
          if (active() && ll.text.trim() !== '') this.emitText(ll.text, file.path, ll.line);
          continue;
        }
        const name = dm[2] ?? '';
        const argCol = ll.text.length - dm[3]!.trimStart().length + 1;
        const rest = dm[3]!;
        const dirPos = pos(dm[1]!.length + 1);
        switch (name) {
          case 'if':
          case 'ifdef':
          case 'ifndef': {
            const parentActive = active();
            let value = false;
            if (parentActive) {
              if (name === 'if') value = this.evalIf(rest, pos(argCol));
              else value = this.macros.has(this.identArg(rest, name, pos(argCol))) === (name === 'ifdef');
            }
            conds.push({ active: parentActive && value, taken: value, sawElse: false, parentActive, pos: dirPos });
            continue;
          }
          case 'elif':
          case 'else':
          case 'endif': {
            const top = conds[conds.length - 1];
            if (!top) throw new SimError(dirPos, `#${name} without #if`);
            if (name === 'endif') {
              conds.pop();
              continue;
            }
            if (top.sawElse) throw new SimError(dirPos, `#${name} after #else`);
            if (name === 'else') {
              top.sawElse = true;
              top.active = top.parentActive && !top.taken;
              top.taken = true;
            } else {
              const value = top.parentActive && !top.taken && this.evalIf(rest, pos(argCol));
              top.active = value;
              top.taken ||= value;
            }
            continue;
          }
          case '':
            if (rest.trim() !== '' && active()) throw new SimError(dirPos, `invalid preprocessing directive '#${rest.trim()}'`);
            continue;
        }
        if (!active()) continue; // other directives in skipped regions are not even parsed, as in cpp
        switch (name) {
          case 'define':
            this.define(rest, pos(argCol), false);
            break;
          case 'undef':
            this.macros.delete(this.identArg(rest, name, pos(argCol)));
            break;
          case 'include':
            this.include(rest, file, pos(argCol), depth);
            break;
          case 'error':
            throw new SimError(dirPos, `#error ${rest.trim()}`);
          case 'warning':
            this.opts.onWarning?.(new SimError(dirPos, `#warning ${rest.trim()}`));
            break;
          case 'pragma':
            if (rest.trim() !== 'once') throw new SimError(dirPos, `unsupported #pragma '${rest.trim()}' (only '#pragma once' is supported)`);
            this.onceFiles.add(file.path);
            break;
          default:
            throw new SimError(dirPos, `unknown preprocessing directive '#${name}'`);
        }
      } catch (e) {
        this.diags.catch(e);
      }
    }
    for (const c of conds) this.diags.add(new SimError(c.pos, 'unterminated conditional directive'));
  }

  private identArg(rest: string, directive: string, at: SourcePos): string {
    const m = /^\s*([A-Za-z_$][A-Za-z0-9_$]*)\s*$/.exec(rest);
    if (!m) throw new SimError(at, `#${directive} expects a single macro name`);
    return m[1]!;
  }

  private define(rest: string, at: SourcePos, fromCmdline: boolean): void {
    // `NAME(` with no space makes a function-like macro; `NAME (` an object-like one.
    const m = /^\s*([A-Za-z_$][A-Za-z0-9_$]*)(\(([^)]*)\))?(.*)$/.exec(rest);
    if (!m) throw new SimError(at, 'macro names must be identifiers');
    const name = m[1]!;
    if (name === 'defined') throw new SimError(at, `'defined' cannot be used as a macro name`);
    let params: string[] | null = null;
    let variadic = false;
    if (m[2] !== undefined) {
      const list = m[3]!.trim();
      params = list === '' ? [] : list.split(',').map((p) => p.trim());
      for (const [i, p] of params.entries()) {
        if (p === '...' && i === params.length - 1) {
          variadic = true;
          params[i] = '__VA_ARGS__';
        } else if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(p)) {
          throw new SimError(at, `invalid macro parameter '${p}' in definition of '${name}'`);
        }
      }
      if (new Set(params).size !== params.length) throw new SimError(at, `duplicate macro parameter in definition of '${name}'`);
    }
    const bodyText = m[4]!.trim();
    const body = lexLine(bodyText);
    const old = this.macros.get(name);
    if (old && (old.bodyText !== bodyText || JSON.stringify(old.params) !== JSON.stringify(params))) {
      const prev = old.pos ? ` (previous definition at ${old.pos.file}:${old.pos.line})` : '';
      throw new SimError(at, `macro '${name}' redefined with a different body${prev}`);
    }
    this.macros.set(name, { name, params, variadic, body, bodyText, pos: fromCmdline ? undefined : at });
  }

  private include(rest: string, from: SourceFile, at: SourcePos, depth: number): void {
    const m = /^\s*(?:"([^"]+)"|<([^>]+)>)\s*$/.exec(rest);
    if (!m) throw new SimError(at, '#include expects "FILENAME" or <FILENAME>');
    const name = (m[1] ?? m[2])!;
    if (depth + 1 > MAX_INCLUDE_DEPTH) throw new SimError(at, `#include nested too deeply (limit ${MAX_INCLUDE_DEPTH})`);
    if (!this.opts.resolveInclude) throw new SimError(at, `cannot include '${name}': no include resolver was given`);
    const file = this.opts.resolveInclude(name, from.path);
    if (!file) throw new SimError(at, `cannot find include file '${name}'`);
    if (this.onceFiles.has(file.path)) return;
    this.run(file, depth + 1);
  }

  private evalIf(rest: string, at: SourcePos): boolean {
    const toks = lexLine(rest);
    // Replace defined X / defined(X) before expansion, as cpp does.
    const replaced: PTok[] = [];
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.k === 'id' && t.v === 'defined') {
        let j = i + 1;
        const skipWs = (): void => {
          while (toks[j]?.k === 'ws') j++;
        };
        skipWs();
        let paren = false;
        if (toks[j]?.v === '(') {
          paren = true;
          j++;
          skipWs();
        }
        const id = toks[j];
        if (id?.k !== 'id') throw new SimError({ ...at, col: at.col + t.at }, `operator 'defined' requires an identifier`);
        j++;
        if (paren) {
          skipWs();
          if (toks[j]?.v !== ')') throw new SimError({ ...at, col: at.col + t.at }, `missing ')' after 'defined'`);
          j++;
        }
        replaced.push({ k: 'num', v: this.macros.has(id.v) ? '1' : '0', at: t.at });
        i = j - 1;
      } else {
        replaced.push(t);
      }
    }
    const expanded = join(this.expand(replaced, new Set(), at));
    if (expanded.trim() === '') throw new SimError(at, '#if with no expression');
    try {
      return evalExpr(expanded, { mode: 'cpp' }) !== 0n;
    } catch (e) {
      if (e instanceof ExprError) throw new SimError(at, `in #if expression '${expanded.trim()}': ${e.message}`);
      throw e;
    }
  }

  private emitText(text: string, file: string, line: number): void {
    const toks = lexLine(text);
    if (!toks.some((t) => t.k === 'id' && this.macros.has(t.v))) {
      this.out.push({ text, file, line, expanded: false });
      return;
    }
    const outText = join(this.expand(toks, new Set(), { file, line, col: 1 }));
    if (outText.trim() !== '') this.out.push({ text: outText, file, line, expanded: true });
  }

  /** Macro-expand a token list; `disabled` holds the macros being expanded (they are not re-expanded). */
  expand(toks: readonly PTok[], disabled: ReadonlySet<string>, at: SourcePos): PTok[] {
    const out: PTok[] = [];
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      const def = t.k === 'id' && !disabled.has(t.v) ? this.macros.get(t.v) : undefined;
      if (!def) {
        out.push(t);
        continue;
      }
      const inner = new Set(disabled).add(def.name);
      if (def.params === null) {
        out.push(...this.expand(paste(def.body), inner, at));
        continue;
      }
      let j = i + 1;
      while (toks[j]?.k === 'ws') j++;
      if (toks[j]?.v !== '(') {
        out.push(t); // a function-like macro name not followed by '(' is not an invocation
        continue;
      }
      const args: PTok[][] = [[]];
      let depth = 0;
      let k = j + 1;
      for (; k < toks.length; k++) {
        const a = toks[k]!;
        if (a.v === '(') depth++;
        else if (a.v === ')') {
          if (depth === 0) break;
          depth--;
        } else if (a.v === ',' && depth === 0) {
          args.push([]);
          continue;
        }
        args[args.length - 1]!.push(a);
      }
      const callPos = { ...at, col: at.col + t.at };
      if (k >= toks.length) {
        throw new SimError(callPos, `unterminated argument list invoking macro '${def.name}' (arguments must close on the same line)`);
      }
      const trimmed = args.map(trimWs);
      const named = def.variadic ? def.params.length - 1 : def.params.length;
      if (def.params.length === 0 && trimmed.length === 1 && trimmed[0]!.length === 0) trimmed.pop();
      if (def.variadic) {
        if (trimmed.length < named) throw new SimError(callPos, `macro '${def.name}' requires at least ${named} arguments, but ${trimmed.length} given`);
        const va: PTok[] = [];
        for (const [n, a] of trimmed.slice(named).entries()) {
          if (n > 0) va.push({ k: 'p', v: ',', at: 0 });
          va.push(...a);
        }
        trimmed.splice(named, trimmed.length - named, va);
      } else if (trimmed.length !== named) {
        throw new SimError(callPos, `macro '${def.name}' requires ${named} arguments, but ${trimmed.length} given`);
      }
      const argOf = new Map(def.params.map((p, n) => [p, trimmed[n] ?? []] as const));
      const body = def.body;
      const subst: PTok[] = [];
      const nextNonWs = (n: number): number => {
        let q = n + 1;
        while (body[q]?.k === 'ws') q++;
        return q;
      };
      const prevNonWs = (n: number): number => {
        let q = n - 1;
        while (body[q]?.k === 'ws') q--;
        return q;
      };
      for (let n = 0; n < body.length; n++) {
        const b = body[n]!;
        if (b.v === '#' && b.k === 'p') {
          const q = nextNonWs(n);
          const param = body[q];
          if (param?.k === 'id' && argOf.has(param.v)) {
            subst.push({ k: 'str', v: stringify(argOf.get(param.v)!), at: 0 });
            n = q;
            continue;
          }
        }
        if (b.k === 'id' && argOf.has(b.v)) {
          const arg = argOf.get(b.v)!;
          const pasted = body[prevNonWs(n)]?.v === '##' || body[nextNonWs(n)]?.v === '##';
          subst.push(...(pasted ? arg : this.expand(arg, disabled, at)));
          continue;
        }
        subst.push(b);
      }
      out.push(...this.expand(paste(subst), inner, at));
      i = k;
    }
    return out;
  }
}

function trimWs(toks: PTok[]): PTok[] {
  let a = 0;
  let b = toks.length;
  while (a < b && toks[a]!.k === 'ws') a++;
  while (b > a && toks[b - 1]!.k === 'ws') b--;
  return toks.slice(a, b);
}

function stringify(arg: readonly PTok[]): string {
  const text = arg
    .map((t) => (t.k === 'ws' ? ' ' : t.k === 'str' ? t.v.replace(/[\\"]/g, '\\$&') : t.v))
    .join('');
  return `"${text}"`;
}

/** Apply `##`: glue the tokens on either side (whitespace around `##` disappears). */
function paste(toks: readonly PTok[]): PTok[] {
  if (!toks.some((t) => t.v === '##')) return [...toks];
  const out: PTok[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.v !== '##' || t.k !== 'p') {
      out.push(t);
      continue;
    }
    while (out.length > 0 && out[out.length - 1]!.k === 'ws') out.pop();
    let j = i + 1;
    while (toks[j]?.k === 'ws') j++;
    const left = out.pop()?.v ?? '';
    const right = toks[j]?.v ?? '';
    out.push(...lexLine(left + right));
    i = j;
  }
  return out;
}

/** Preprocess `entry`; throws a SimError listing every problem found. */
export function preprocess(entry: SourceFile, opts: PreprocessOptions = {}): PpLine[] {
  const pp = new Preprocessor(opts);
  pp.run(entry, 0);
  pp.diags.throwIfAny();
  return pp.out;
}
