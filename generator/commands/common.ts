// What every command module shares: the I/O sink, exit codes, common options.
import type { Argv } from 'yargs';
import type { Diagnostic } from '../table/diagnostics.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** True when stderr is a terminal (progress bars only then). */
  isTTY: boolean;
}

/** Each command sets the run's exit code here; main returns it. */
export interface RunState {
  code: number;
}

export interface CommandContext {
  io: Io;
  state: RunState;
}

export function inputOptions<T>(y: Argv<T>) {
  return y
    .option('table', { type: 'string', describe: 'register table (YAML)', defaultDescription: 'generator/tables/kvm-arm64-2014.yaml' })
    .option('cpus', { type: 'string', describe: 'CPU models (YAML)', defaultDescription: 'generator/tables/cpus.yaml' });
}

export async function report(io: Io, diagnostics: Diagnostic[]): Promise<void> {
  if (!diagnostics.length) return;
  const { formatDiagnostics } = await import('../table/diagnostics.js');
  io.err(formatDiagnostics(diagnostics));
}

export type CommandModule = (y: Argv, ctx: CommandContext) => Argv;

/** Thrown from a yargs `.check()`: a usage error (exit 2), not a bug (exit 70). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
