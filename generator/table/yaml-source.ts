// YAML with positions: parse once, keep the document so every later check can point at the
// line and column of the value it complains about.
import { isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { Diagnostic, Severity } from './diagnostics.js';

export type Path = readonly (string | number)[];

export class YamlSource {
  readonly file: string;
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  /** The document as plain data; integers are bigint (64-bit ID values must not lose bits). */
  readonly data: unknown;
  readonly syntaxErrors: Diagnostic[] = [];

  constructor(file: string, text: string) {
    this.file = file;
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      intAsBigInt: true,
      uniqueKeys: true,
      prettyErrors: false,
      strict: true,
    });
    for (const e of this.doc.errors) {
      const pos = this.lines.linePos(e.pos[0]);
      this.syntaxErrors.push({
        file,
        line: pos.line,
        col: pos.col,
        severity: 'error',
        message: `YAML: ${firstLine(e.message)}`,
      });
    }
    // A mapping or list used as a key has no place in these files (and JavaScript objects would
    // stringify it): refuse it where it stands.
    if (this.syntaxErrors.length === 0) {
      visit(this.doc, {
        Pair: (_, pair) => {
          if (isCollection(pair.key)) {
            const at = this.lines.linePos((pair.key as Node).range?.[0] ?? 0);
            this.syntaxErrors.push({ file, line: at.line, col: at.col, severity: 'error', message: 'YAML: a key must be a plain scalar, not a mapping or a list' });
          }
        },
      });
    }
    let data: unknown = undefined;
    if (this.syntaxErrors.length === 0) {
      try {
        data = this.doc.toJS({ maxAliasCount: 1000 });
      } catch (e) {
        this.syntaxErrors.push({ file, line: 1, col: 1, severity: 'error', message: `YAML: ${firstLine(String((e as Error).message))}` });
      }
    }
    this.data = data;
  }

  /** Position of the value at `path`, or of the nearest enclosing node that exists. */
  positionOf(path: Path, key = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let best: unknown = node;
    for (const seg of path) {
      const found = child(node, seg);
      if (!found) break;
      best = key && seg === path[path.length - 1] ? (found.key ?? found.value) : found.value;
      node = found.value;
    }
    const range = (best as Node | null)?.range;
    if (!range) return { line: 1, col: 1 };
    const p = this.lines.linePos(range[0]);
    return { line: p.line, col: p.col };
  }

  /** Position of the key `name` inside the map at `path` (for unknown-key errors). */
  keyPosition(path: Path, name: string): { line: number; col: number } {
    return this.positionOf([...path, name], true);
  }

  diag(path: Path, message: string, severity: Severity = 'error', atKey = false): Diagnostic {
    const pos = this.positionOf(path, atKey);
    return { file: this.file, line: pos.line, col: pos.col, severity, message };
  }
}

function child(node: unknown, seg: string | number): { key?: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(k) === String(seg)) return { key: pair.key, value: pair.value ?? pair.key };
    }
    return undefined;
  }
  if (isSeq(node) && typeof seg === 'number') {
    const item = node.items[seg];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
