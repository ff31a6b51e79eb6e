// `switchgen generate --watch`: regenerate when the table, the CPU file or a template changes.
//
// Editors save by writing a new file and renaming it over the old one, which leaves a watch on
// the old file's inode deaf. So the directories are watched (the table's and the CPU file's,
// one level; the templates', all of it) and events are matched by path. Events are debounced:
// a save is often several (write, rename, chmod). Each run uses a fresh worker thread, so an
// edited template or a rebuilt generator is read anew rather than from a module cache; one
// worker is kept warm so a save regenerates without paying the import cost. A run whose
// inputs have errors prints the diagnostics and writes nothing; the next good save recovers.
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Io } from '../commands/common.js';
import { displayPath, TEMPLATES_DIR } from '../paths.js';
import type { Diagnostic } from '../table/diagnostics.js';
import { digestInputs, type InputDigest, type InputPaths } from './digest.js';
import { buildOutputs, type Produced } from './run.js';
import type { WorkerReply } from './generate-worker.js';

export interface WatchOptions {
  inputs: InputPaths;
  out: string;
  depfile?: string | undefined;
  verbose: boolean;
  io: Io;
  /** Quiet period after the last event before regenerating. */
  debounceMs?: number;
  /** Stop when this resolves; by default on SIGINT or SIGTERM. */
  stop?: Promise<unknown>;
  templatesDir?: string;
}

class InternalError extends Error {}

/** Runs generateAll in worker threads, one per run, keeping the next one loaded. */
class WorkerPool {
  private warm: { worker: Worker; ready: Promise<void>; code: string } | undefined;
  private readonly script = fileURLToPath(new URL('./generate-worker.js', import.meta.url));

  /** Worker threads need compiled JavaScript; under a TypeScript runner generate in this process. */
  get available(): boolean {
    return existsSync(this.script);
  }

  private spawn(code: string): { worker: Worker; ready: Promise<void>; code: string } {
    const worker = new Worker(this.script);
    worker.unref();
    const ready = new Promise<void>((res) => worker.once('online', () => res()));
    return { worker, ready, code };
  }

  prewarm(code: string): void {
    if (!this.warm) this.warm = this.spawn(code);
  }

  async run(inputs: InputPaths, before: InputDigest): Promise<Produced> {
    // A warm worker loaded the code that was there when it started: if the code has changed
    // since, it would generate with the old code under the new code's digest.
    let w = this.warm;
    this.warm = undefined;
    if (!w || w.code !== before.parts.code) {
      await w?.worker.terminate();
      w = this.spawn(before.parts.code!);
    }
    const reply = await new Promise<WorkerReply>((res, rej) => {
      w.worker.once('message', res);
      w.worker.once('error', rej);
      w.worker.once('exit', (code) => rej(new InternalError(`generator worker exited with code ${code} before replying`)));
      w.worker.postMessage({ table: inputs.table, cpus: inputs.cpus });
    });
    void w.worker.terminate();
    if ('error' in reply) throw new InternalError(reply.error);
    return { files: reply.files, diagnostics: reply.diagnostics as Diagnostic[] };
  }

  async close(): Promise<void> {
    const w = this.warm;
    this.warm = undefined;
    await w?.worker.terminate();
  }
}

function signalled(): { promise: Promise<string>; dispose: () => void } {
  let dispose = (): void => {};
  const promise = new Promise<string>((res) => {
    const on = (sig: string) => () => res(sig);
    const int = on('SIGINT');
    const term = on('SIGTERM');
    process.once('SIGINT', int);
    process.once('SIGTERM', term);
    dispose = () => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
    };
  });
  return { promise, dispose };
}

/** Watch and regenerate until stopped; returns the exit code (0: stopped on request). */
export async function watchAndGenerate(opts: WatchOptions): Promise<number> {
  const { io, inputs } = opts;
  const debounceMs = opts.debounceMs ?? 100;
  const templatesDir = resolve(opts.templatesDir ?? TEMPLATES_DIR);
  const tableAbs = resolve(inputs.table);
  const cpusAbs = resolve(inputs.cpus);
  const { report } = await import('../commands/common.js');
  const pool = new WorkerPool();
  const inProcess = pool.available ? undefined : (await import('../index.js')).generateAll;

  const relevant = (p: string): boolean => {
    const abs = resolve(p);
    if (abs === tableAbs || abs === cpusAbs) return true;
    const rel = relative(templatesDir, abs);
    if (rel.startsWith('..') || rel === '') return false;
    // Editors' swap and backup files are not templates.
    return !rel.split(sep).some((part) => part.startsWith('.')) && !abs.endsWith('~');
  };

  const runOnce = async (): Promise<void> => {
    try {
      const r = await buildOutputs({
        inputs,
        out: opts.out,
        depfile: opts.depfile,
        produce: (i, before) => (inProcess ? inProcess(i) : pool.run(i, before)),
        onFile: (p, state) => {
          if (opts.verbose || state !== 'unchanged') io.out(`${state === 'written' ? '  GEN    ' : state === 'removed' ? '  RM     ' : '  SAME   '}${displayPath(join(opts.out, p))}`);
        },
      });
      await report(io, r.diagnostics);
      if (!r.ok) io.err(`switchgen: not regenerated; the outputs in ${displayPath(opts.out)} are unchanged. Waiting for the next change.`);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // A watcher outlives one bad run: report it and keep watching.
      if (err.code && err.path && !(e instanceof InternalError)) io.err(`switchgen: error: cannot write ${displayPath(err.path)}: ${err.code}`);
      else io.err(`switchgen: internal error: ${e instanceof InternalError ? err.message : (err.stack ?? String(e))}`);
    }
    if (pool.available) pool.prewarm(digestInputs(inputs).parts.code!);
  };

  const { watch } = await import('chokidar');
  // Directories, not files: a rename-save replaces the file under a file watch.
  const dirs = [...new Set([dirname(tableAbs), dirname(cpusAbs)])];
  const watcher = watch([...dirs, templatesDir], {
    ignoreInitial: true,
    atomic: true,
    // Only what matters is watched below the input directories (whose siblings may be big).
    ignored: (p: string) => {
      const abs = resolve(p);
      if (abs === templatesDir || dirs.includes(abs)) return false;
      return !relevant(abs);
    },
  });
  const ready = new Promise<void>((res) => watcher.once('ready', () => res()));

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  // One run at a time; a change during a run makes another run after it.
  const kick = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce().finally(() => {
      running = undefined;
      if (again && !stopped) {
        again = false;
        kick();
      }
    });
  };
  const schedule = (): void => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      kick();
    }, debounceMs);
  };
  watcher.on('all', (_event, p) => {
    if (relevant(p)) schedule();
  });
  watcher.on('error', (e) => {
    io.err(`switchgen: watch error: ${(e as Error).message}`);
  });

  const sig = opts.stop ? undefined : signalled();
  try {
    await ready;
    io.err(`switchgen: watching ${displayPath(inputs.table)}, ${displayPath(inputs.cpus)} and ${displayPath(templatesDir)}/ (Ctrl-C to stop)`);
    kick();
    await (opts.stop ?? sig!.promise);
  } finally {
    stopped = true;
    sig?.dispose();
    if (timer) clearTimeout(timer);
    await watcher.close();
    while (running) await running;
    await pool.close();
  }
  return 0;
}
