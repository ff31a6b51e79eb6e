// Pass 1 and 2: parse (positions kept) and validate. Returns a typed Table or every
// diagnostic found; never throws for bad input.
import { readFileSync } from 'node:fs';
import type { Diagnostic } from './diagnostics.js';
import { hasErrors, InputError } from './diagnostics.js';
import type { CpuFile, Table } from './model.js';
import { CpuFileSchema, TableSchema } from './schema.js';
import { narrowIntegers, shapeDiagnostics } from './shape.js';
import { validateCpus, validateTable } from './validate.js';
import { YamlSource } from './yaml-source.js';

export interface Loaded<T> {
  value?: T;
  diagnostics: Diagnostic[];
}

export function readSource(file: string): { text?: string; diagnostics: Diagnostic[] } {
  try {
    return { text: readFileSync(file, 'utf8'), diagnostics: [] };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    return { diagnostics: [{ file, line: 0, col: 0, severity: 'error', message: `cannot read: ${why}` }] };
  }
}

function topLevelMapping(src: YamlSource, what: string): Diagnostic[] {
  const d = src.data;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) {
    return [{ file: src.file, line: 1, col: 1, severity: 'error', message: `${what} must be a YAML mapping at the top level` }];
  }
  return [];
}

export function parseTable(file: string, text: string): Loaded<Table> {
  const src = new YamlSource(file, text);
  if (src.syntaxErrors.length) return { diagnostics: src.syntaxErrors };
  const shapeErr = topLevelMapping(src, 'a register table');
  if (shapeErr.length) return { diagnostics: shapeErr };
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  const data = narrowIntegers(src, src.data, [], diagnostics, reported);
  const parsed = TableSchema.safeParse(data);
  if (!parsed.success) return { diagnostics: [...diagnostics, ...shapeDiagnostics(src, data, parsed.error, reported)] };
  if (hasErrors(diagnostics)) return { diagnostics };
  const { table, diagnostics: more } = validateTable(src, parsed.data);
  return table ? { value: table, diagnostics: [...diagnostics, ...more] } : { diagnostics: [...diagnostics, ...more] };
}

export function parseCpus(file: string, text: string, table: Table): Loaded<CpuFile> {
  const src = new YamlSource(file, text);
  if (src.syntaxErrors.length) return { diagnostics: src.syntaxErrors };
  const shapeErr = topLevelMapping(src, 'a CPU model file');
  if (shapeErr.length) return { diagnostics: shapeErr };
  const parsed = CpuFileSchema.safeParse(src.data);
  if (!parsed.success) return { diagnostics: shapeDiagnostics(src, src.data, parsed.error, new Set()) };
  const { cpus, diagnostics } = validateCpus(src, parsed.data, table);
  return cpus ? { value: cpus, diagnostics } : { diagnostics };
}

export function loadTable(file: string): Loaded<Table> {
  const { text, diagnostics } = readSource(file);
  return text === undefined ? { diagnostics } : parseTable(file, text);
}

export function loadCpus(file: string, table: Table): Loaded<CpuFile> {
  const { text, diagnostics } = readSource(file);
  return text === undefined ? { diagnostics } : parseCpus(file, text, table);
}

/** Library convenience: the value, or an InputError carrying every diagnostic. */
export function must<T>(loaded: Loaded<T>): T {
  if (loaded.value === undefined || hasErrors(loaded.diagnostics)) throw new InputError(loaded.diagnostics);
  return loaded.value;
}
