// The no-op fast path of `check` and `generate`. switchgen runs as a build step, and most runs
// have nothing to do: the inputs are those of the last generate and the outputs are untouched.
// That is decided here from the stamp (stamp.ts) without loading yargs, YAML, zod, Handlebars or
// ts-morph: `bin/switchgen.js` calls fastMain first and loads the full CLI only when this
// declines. Anything unusual in the arguments, and any doubt about freshness, declines; the
// full path then does the work and prints what it prints. Node built-ins only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Io } from '../commands/common.js';
import { removeStaleTemps } from '../emit/files.js';
import { DEFAULT_CPUS, DEFAULT_OUT, DEFAULT_TABLE, displayPath } from '../paths.js';
import { outputTargets, writeDepfile } from './depfile.js';
import { digestInputs, type InputDigest } from './digest.js';
import { pathProblems } from './inputs.js';
import { checkStamp, STAMP_FILE } from './stamp.js';

export interface FastRequest {
  command: 'check' | 'generate';
  table?: string | undefined;
  cpus?: string | undefined;
  out?: string | undefined;
  depfile?: string | undefined;
  verbose: boolean;
}

const VALUE_OPTIONS: Record<FastRequest['command'], readonly string[]> = {
  check: ['table', 'cpus', 'out'],
  generate: ['table', 'cpus', 'out', 'depfile'],
};

/**
 * The arguments, if they are a plain `check` or `generate` this path can serve: `--opt VALUE`,
 * `--opt=VALUE` and `--verbose`, each at most once. Anything else (--help, --full, --watch, a
 * typo, a value that looks like an option) is left to yargs, which knows how to complain.
 */
export function parseFastArgs(argv: readonly string[]): FastRequest | undefined {
  const [command, ...rest] = argv;
  if (command !== 'check' && command !== 'generate') return undefined;
  const req: FastRequest = { command, verbose: false };
  const seen = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const m = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (!m || seen.has(m[1]!)) return undefined;
    const name = m[1]!;
    seen.add(name);
    if (name === 'verbose' && m[2] === undefined) {
      req.verbose = true;
      continue;
    }
    if (!VALUE_OPTIONS[command].includes(name)) return undefined;
    const value = m[2] ?? rest[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    (req as unknown as Record<string, string>)[name] = value;
  }
  return req;
}

export interface FastInputs {
  table: string;
  cpus: string;
  /** As given (for depfile targets); DEFAULT_OUT when not given. */
  out: string;
}

export function fastInputs(req: Pick<FastRequest, 'table' | 'cpus' | 'out'>): FastInputs {
  return { table: req.table ?? DEFAULT_TABLE, cpus: req.cpus ?? DEFAULT_CPUS, out: req.out ?? DEFAULT_OUT };
}

export type FastOutcome = { handled: true } | { handled: false; why: string; digest?: InputDigest };

/**
 * Serve the request from the stamp if the output directory is provably up to date. Prints
 * exactly what the full path would print for an up-to-date directory (nothing, or the SAME
 * lines with --verbose), plus a note on stderr with --verbose.
 */
export function tryFresh(req: FastRequest, io: Io): FastOutcome {
  const inputs = fastInputs(req);
  if (pathProblems({ ...inputs, depfile: req.depfile, outputs: [{ option: '--out', path: inputs.out }] }).length) {
    return { handled: false, why: 'a path needs checking' };
  }
  // No stamp, nothing to compare with: skip hashing the inputs.
  if (!existsSync(join(inputs.out, STAMP_FILE))) return { handled: false, why: `no ${STAMP_FILE} in the output directory` };
  const digest = digestInputs(inputs);
  const fresh = checkStamp(inputs.out, digest);
  if (!fresh.fresh) return { handled: false, why: fresh.why, digest };
  if (fresh.warnings) io.err(fresh.warnings);
  if (req.command === 'generate') {
    // Temporary files a killed run left (this run has nothing to write, but cleans up).
    for (const dir of new Set([inputs.out, ...fresh.outputs.map((p) => join(inputs.out, p, '..'))])) removeStaleTemps(dir);
    if (req.depfile !== undefined) writeDepfile(req.depfile, outputTargets(inputs.out, fresh.outputs), digest.prerequisites);
    if (req.verbose) for (const p of fresh.outputs) io.out(`  SAME   ${displayPath(join(inputs.out, p))}`);
  }
  if (req.verbose) io.err(`switchgen: up to date: the inputs and all ${fresh.outputs.length} outputs match ${displayPath(join(inputs.out, STAMP_FILE))}`);
  return { handled: true };
}

const processIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'),
  isTTY: Boolean(process.stderr.isTTY),
};

/**
 * The launcher's first step: an exit code when the run was a no-op served here, undefined to
 * run the full CLI. Never throws: any surprise (an unreadable directory, say) declines.
 */
export function fastMain(argv: readonly string[], io: Io = processIo): number | undefined {
  try {
    const req = parseFastArgs(argv);
    if (!req) return undefined;
    return tryFresh(req, io).handled ? 0 : undefined;
  } catch {
    return undefined;
  }
}
