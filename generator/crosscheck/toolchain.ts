// Locating the real toolchain the cross-check runs against: GNU binutils for AArch64, llvm-mc,
// a C preprocessor for `.S` files (GNU as does not run cpp itself) and qemu-system-aarch64.
// Nothing is downloaded or installed here; a missing tool is an error that says how to get it.

import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawn } from 'node:child_process';

export const INSTALL_HINT = 'apt-get install binutils-aarch64-linux-gnu qemu-system-arm llvm';

export type ToolName = 'gnu-as' | 'gnu-ld' | 'objcopy' | 'objdump' | 'llvm-mc' | 'qemu' | 'cpp';

interface ToolSpec {
  /** Executable names tried in order on $PATH. */
  candidates: () => string[];
  /** Environment variable that overrides the search with an explicit path. */
  env: string;
  /** Which package provides it, for the error message. */
  package: string;
}

/** llvm-mc, then versioned llvm-mc-NN (newest first), then the Debian/Ubuntu private bin dirs. */
function llvmMcCandidates(): string[] {
  const names = ['llvm-mc'];
  for (let v = 21; v >= 10; v--) names.push(`llvm-mc-${v}`);
  try {
    const dirs = readdirSync('/usr/lib').filter((d) => /^llvm-\d+$/.test(d));
    dirs.sort((a, b) => Number(b.slice(5)) - Number(a.slice(5)));
    for (const d of dirs) names.push(`/usr/lib/${d}/bin/llvm-mc`);
  } catch {
    // no /usr/lib: nothing more to try
  }
  return names;
}

const TOOLS: Record<Exclude<ToolName, 'cpp'>, ToolSpec> = {
  'gnu-as': { candidates: () => ['aarch64-linux-gnu-as'], env: 'SWITCHGEN_AS', package: 'binutils-aarch64-linux-gnu' },
  'gnu-ld': { candidates: () => ['aarch64-linux-gnu-ld'], env: 'SWITCHGEN_LD', package: 'binutils-aarch64-linux-gnu' },
  objcopy: { candidates: () => ['aarch64-linux-gnu-objcopy'], env: 'SWITCHGEN_OBJCOPY', package: 'binutils-aarch64-linux-gnu' },
  objdump: { candidates: () => ['aarch64-linux-gnu-objdump'], env: 'SWITCHGEN_OBJDUMP', package: 'binutils-aarch64-linux-gnu' },
  'llvm-mc': { candidates: llvmMcCandidates, env: 'SWITCHGEN_LLVM_MC', package: 'llvm' },
  qemu: { candidates: () => ['qemu-system-aarch64'], env: 'SWITCHGEN_QEMU', package: 'qemu-system-arm' },
};

export class MissingToolError extends Error {
  constructor(readonly tool: ToolName, message: string) {
    super(message);
    this.name = 'MissingToolError';
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolve a bare command name against $PATH (an absolute or relative path is checked as is). */
export function which(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const full = join(dir, name);
    if (isExecutable(full)) return full;
  }
  return undefined;
}

/** Path of a tool, or undefined; `$SWITCHGEN_<TOOL>` overrides the search. */
export function findTool(tool: Exclude<ToolName, 'cpp'>): string | undefined {
  const spec = TOOLS[tool];
  const override = process.env[spec.env];
  if (override) return which(override);
  for (const c of spec.candidates()) {
    const found = which(c);
    if (found) return found;
  }
  return undefined;
}

/** Path of a tool, or a MissingToolError naming it and the package that provides it. */
export function requireTool(tool: Exclude<ToolName, 'cpp'>): string {
  const found = findTool(tool);
  if (found) return found;
  const spec = TOOLS[tool];
  const override = process.env[spec.env];
  const tried = override ? `$${spec.env}=${override}` : spec.candidates().filter((c) => !c.startsWith('/usr/lib/')).slice(0, 3).join(', ');
  throw new MissingToolError(
    tool,
    `${tool}: not found (tried ${tried}); it comes from the Debian package ${spec.package}: ${INSTALL_HINT}`,
  );
}

/**
 * How `.S` files are preprocessed. GNU as and llvm-mc (for AArch64) do not run cpp, so the
 * kernel's `#include`/`#define` style sources go through a C preprocessor first. A cross gcc is
 * preferred because it defines the target's macros; the host cpp with `-undef` is equivalent
 * for plain #define/#include sources, because it then defines no host (x86) macros at all.
 */
export interface Preprocessor {
  /** argv prefix; the caller appends -I/-D options, the input and `-o output`. */
  argv: string[];
  /** Human-readable name for error messages, e.g. "host cpp (-undef -x assembler-with-cpp)". */
  description: string;
}

export function findPreprocessor(): Preprocessor | undefined {
  const common = ['-E', '-x', 'assembler-with-cpp', '-D__ASSEMBLY__', '-nostdinc'];
  const cross = which('aarch64-linux-gnu-gcc');
  if (cross) return { argv: [cross, ...common], description: `aarch64-linux-gnu-gcc -E (${cross})` };
  const cpp = which('cpp');
  if (cpp) {
    return { argv: [cpp, '-undef', '-x', 'assembler-with-cpp', '-D__ASSEMBLY__', '-nostdinc'], description: `host cpp -undef (${cpp})` };
  }
  const gcc = which('gcc');
  if (gcc) return { argv: [gcc, '-undef', ...common], description: `host gcc -E -undef (${gcc})` };
  return undefined;
}

export function requirePreprocessor(): Preprocessor {
  const p = findPreprocessor();
  if (p) return p;
  throw new MissingToolError(
    'cpp',
    'cpp: no C preprocessor for .S files (tried aarch64-linux-gnu-gcc, cpp, gcc); GNU as does not run cpp itself. ' +
      'Install gcc-aarch64-linux-gnu or the host cpp package (apt-get install cpp).',
  );
}

export interface Toolchain {
  gnuAs: string;
  gnuLd: string;
  objcopy: string;
  objdump: string;
  llvmMc: string;
  qemu: string;
  cpp: Preprocessor;
}

/** Which of a set of tools is missing, with the message to show; empty when all are there. */
export function missingTools(tools: ToolName[]): MissingToolError[] {
  const out: MissingToolError[] = [];
  for (const t of tools) {
    try {
      if (t === 'cpp') requirePreprocessor();
      else requireTool(t);
    } catch (e) {
      if (e instanceof MissingToolError) out.push(e);
      else throw e;
    }
  }
  return out;
}

/** Every tool at once; throws the first MissingToolError (its message lists all that are missing). */
export function requireToolchain(tools: ToolName[] = ['gnu-as', 'gnu-ld', 'objcopy', 'objdump', 'llvm-mc', 'qemu', 'cpp']): Toolchain {
  const missing = missingTools(tools);
  if (missing.length > 0) {
    const first = missing[0]!;
    throw new MissingToolError(first.tool, missing.map((m) => m.message).join('\n'));
  }
  const get = (t: Exclude<ToolName, 'cpp'>) => (tools.includes(t) ? requireTool(t) : findTool(t) ?? '');
  return {
    gnuAs: get('gnu-as'),
    gnuLd: get('gnu-ld'),
    objcopy: get('objcopy'),
    objdump: get('objdump'),
    llvmMc: get('llvm-mc'),
    qemu: get('qemu'),
    cpp: tools.includes('cpp') ? requirePreprocessor() : findPreprocessor() ?? { argv: [], description: 'none' },
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/**
 * Run a program with a hard timeout: on expiry it is killed with SIGKILL (a wedged QEMU does
 * not get to ignore SIGTERM) and the result says timedOut. Output is collected as UTF-8.
 */
export function runTool(argv: string[], opts: { timeoutMs: number; cwd?: string; maxOutputBytes?: number }): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('runTool: empty argv'));
  const started = performance.now();
  const maxOut = opts.maxOutputBytes ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let timedOut = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > maxOut) kill();
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ms: performance.now() - started,
      });
    });
  });
}

/** A build step (cpp, as, ld) that failed or timed out; the message carries the tool's own output. */
export class ToolStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolStepError';
  }
}

/** Run a build step; a non-zero exit becomes a ToolStepError carrying the tool's own diagnostics. */
export async function runStep(what: string, argv: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const r = await runTool(argv, { timeoutMs: opts.timeoutMs ?? 60_000, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  if (r.timedOut) throw new ToolStepError(`${what}: timed out after ${opts.timeoutMs ?? 60_000} ms: ${argv.join(' ')}`);
  if (r.code !== 0) {
    const detail = (r.stderr + r.stdout).trim();
    throw new ToolStepError(`${what} failed (exit ${r.code ?? r.signal}): ${argv.join(' ')}${detail ? `\n${detail}` : ''}`);
  }
  return r;
}
