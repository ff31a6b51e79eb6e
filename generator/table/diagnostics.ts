// Compiler-style diagnostics: `FILE:LINE:COL: severity: message`, collected, never thrown one
// at a time. Every input problem becomes one of these; a stack trace is always a bug.

export type Severity = 'error' | 'warning';

export interface SourcePosition {
  file: string;
  /** 1-based; 0 when the problem has no place in a file (e.g. a missing file). */
  line: number;
  /** 1-based. */
  col: number;
}

export interface Diagnostic extends SourcePosition {
  severity: Severity;
  message: string;
}

/**
 * One diagnostic is one line, whatever the input held: messages quote keys and values from the
 * file, so control characters (a CR, an escape sequence for the terminal, a binary key) and
 * line separators are shown escaped rather than printed.
 */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  return printable(`${where}: ${d.severity}: ${d.message}`);
}

/** Errors sorted by position so output is stable however the checks were ordered. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.message.localeCompare(b.message),
  );
}

export function hasErrors(list: readonly Diagnostic[]): boolean {
  return list.some((d) => d.severity === 'error');
}

/** Thrown by the library when input is bad; carries every diagnostic found, not just the first. */
export class InputError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super(sorted.map(formatDiagnostic).join('\n'));
    this.name = 'InputError';
    this.diagnostics = sorted;
  }
}

/** Cap, as compilers do, so a badly broken file does not flood the terminal. */
export const MAX_REPORTED_ERRORS = 50;

export function formatDiagnostics(list: readonly Diagnostic[]): string {
  const sorted = sortDiagnostics(list);
  const errors = sorted.filter((d) => d.severity === 'error');
  const shown = sorted.filter((d) => d.severity !== 'error' || errors.indexOf(d) < MAX_REPORTED_ERRORS);
  const lines = shown.map(formatDiagnostic);
  if (errors.length > MAX_REPORTED_ERRORS) {
    lines.push(`switchgen: ${errors.length - MAX_REPORTED_ERRORS} more errors not shown`);
  }
  return lines.join('\n');
}
