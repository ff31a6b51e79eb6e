// Turns zod's structural complaints into positioned diagnostics in our own words.
import type { z } from 'zod';
import type { Diagnostic } from './diagnostics.js';
import type { Path, YamlSource } from './yaml-source.js';

export function pathText(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(top level)';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'bigint') return `integer ${value}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  number: 'an integer',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  bigint: 'an integer',
};

function valueAt(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** Keys the schema accepts for the mapping at `path` (walks zod's own definitions). */
function keysAt(schema: z.ZodType, path: Path): string[] {
  type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; valueType?: z.ZodType; innerType?: z.ZodType };
  let cur: z.ZodType | undefined = schema;
  const def = (t: z.ZodType): Def => (t as unknown as { _zod: { def: Def } })._zod.def;
  const unwrap = (t: z.ZodType): z.ZodType => (def(t).type === 'optional' && def(t).innerType ? unwrap(def(t).innerType!) : t);
  for (const seg of path) {
    if (!cur) return [];
    const d = def(unwrap(cur));
    cur = d.type === 'object' ? d.shape?.[String(seg)] : d.type === 'array' ? d.element : d.type === 'record' ? d.valueType : undefined;
  }
  if (!cur) return [];
  const d = def(unwrap(cur));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/** The closest known key within edit distance 2, for "did you mean". */
export function suggest(word: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** One diagnostic per zod issue, positioned at the offending value (or key, or parent map). */
export function shapeDiagnostics(src: YamlSource, data: unknown, error: z.ZodError, skip: Set<string>, schema?: z.ZodType): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (skip.has(pathText(path))) continue;
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = schema ? keysAt(schema, path) : [];
        for (const key of issue.keys) {
          const pos = src.keyPosition(path, key);
          const hint = suggest(key, known);
          out.push({ file: src.file, ...pos, severity: 'error', message: `${pathText([...path, key])}: unknown key '${key}'${hint ? `; did you mean '${hint}'?` : ''}` });
        }
        break;
      }
      case 'invalid_type': {
        const actual = valueAt(data, path);
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        if (actual === undefined) {
          const key = path[path.length - 1];
          out.push(src.diag(path.slice(0, -1), `${pathText(path.slice(0, -1))}: missing key '${String(key)}'`));
        } else if (typeof actual === 'bigint' && issue.expected === 'number') {
          out.push(src.diag(path, `${pathText(path)}: integer ${actual} is out of range`));
        } else {
          out.push(src.diag(path, `${pathText(path)}: expected ${expected}, got ${describe(actual)}`));
        }
        break;
      }
      case 'invalid_value':
        out.push(
          src.diag(path, `${pathText(path)}: expected one of ${issue.values.map(String).join(', ')}, got ${describe(valueAt(data, path))}`),
        );
        break;
      default:
        out.push(src.diag(path, `${pathText(path)}: ${issue.message}`));
    }
  }
  return out;
}

/**
 * YAML integers arrive as bigint. Where the schema wants a JS number, convert those that fit;
 * report the rest here, once, by position.
 */
export function narrowIntegers(src: YamlSource, data: unknown, path: Path, out: Diagnostic[], reported: Set<string>): unknown {
  if (typeof data === 'bigint') {
    if (data >= BigInt(Number.MIN_SAFE_INTEGER) && data <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(data);
    out.push(src.diag(path, `${pathText(path)}: integer ${data} is out of range`));
    reported.add(pathText(path));
    return data;
  }
  if (Array.isArray(data)) return data.map((v, i) => narrowIntegers(src, v, [...path, i], out, reported));
  if (data !== null && typeof data === 'object') {
    const res: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) res[k] = narrowIntegers(src, v, [...path, k], out, reported);
    return res;
  }
  return data;
}
