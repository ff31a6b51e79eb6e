// Pass 1 and 2: parse (positions kept) and validate. Returns a typed Table or every
// diagnostic found; never throws for bad input.
import { readFileSync } from 'node:fs';
import type { Diagnostic } from './diagnostics.js';
import { hasErrors, InputError } from './diagnostics.js';
import type { CpuFile, Table } from './model.js';
import { CpuFileSchema, TableSchema } from './schema.js';
import { narrowIntegers, shapeDiagnostics, suggest } from './shape.js';
import { validateCpus, validateTable } from './validate.js';
import { YamlSource } from './yaml-source.js';
import { displayPath } from '../paths.js';

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
    return { diagnostics: [{ file: displayPath(file), line: 0, col: 0, severity: 'error', message: `cannot read: ${why}` }] };
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
  if (!parsed.success) return { diagnostics: [...diagnostics, ...shapeDiagnostics(src, data, parsed.error, reported, TableSchema)] };
  if (hasErrors(diagnostics)) return { diagnostics };
  const { table, diagnostics: more } = validateTable(src, parsed.data);
  return table ? { value: table, diagnostics: [...diagnostics, ...more] } : { diagnostics: [...diagnostics, ...more] };
}

export function parseCpus(file: string, text: string, table: Table): Loaded<CpuFile> {
  const src = new YamlSource(file, text);
  if (src.syntaxErrors.length) return { diagnostics: src.syntaxErrors };
  const shapeErr = topLevelMapping(src, 'a CPU model file');
  if (shapeErr.length) return { diagnostics: shapeErr };
  // A CPU entry's keys are name, qemu, or an ID register's upper-case name; anything else is a
  // misspelling, reported as such rather than as "expected an integer".
  const unknown: Diagnostic[] = [];
  const cpusData = (src.data as { cpus?: unknown }).cpus;
  if (Array.isArray(cpusData)) {
    cpusData.forEach((entry, i) => {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return;
      for (const key of Object.keys(entry)) {
        if (key === 'name' || key === 'qemu' || /^[A-Z][A-Z0-9_]*$/.test(key)) continue;
        const hint = suggest(key, ['name', 'qemu']);
        unknown.push(src.diag(['cpus', i, key], `cpus[${i}].${key}: unknown key '${key}'${hint ? `; did you mean '${hint}'?` : ''}`, 'error', true));
        delete (entry as Record<string, unknown>)[key];
      }
    });
  }
  const parsed = CpuFileSchema.safeParse(src.data);
  if (!parsed.success) return { diagnostics: [...unknown, ...shapeDiagnostics(src, src.data, parsed.error, new Set(), CpuFileSchema)] };
  const { cpus, diagnostics } = validateCpus(src, parsed.data, table);
  if (unknown.length) return { diagnostics: [...unknown, ...diagnostics] };
  return cpus ? { value: cpus, diagnostics } : { diagnostics };
}

/** Diagnostics name files as displayPath shows them (relative, `/`-separated). */
export function loadTable(file: string): Loaded<Table> {
  const { text, diagnostics } = readSource(file);
  return text === undefined ? { diagnostics } : parseTable(displayPath(file), text);
}

export function loadCpus(file: string, table: Table): Loaded<CpuFile> {
  const { text, diagnostics } = readSource(file);
  return text === undefined ? { diagnostics } : parseCpus(displayPath(file), text, table);
}

/** Library convenience: the value, or an InputError carrying every diagnostic. */
export function must<T>(loaded: Loaded<T>): T {
  if (loaded.value === undefined || hasErrors(loaded.diagnostics)) throw new InputError(loaded.diagnostics);
  return loaded.value;
}
