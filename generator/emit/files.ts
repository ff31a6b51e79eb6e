// Writing outputs: atomically (temporary file + rename, so a reader or a crash never sees half a
// file) and only when the bytes changed (so make's timestamps stay quiet).
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface OutputFile {
  /** Path inside the output directory, with `/`. */
  path: string;
  content: string;
}

export type FileState = 'unchanged' | 'written';

export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Temporary files are hidden siblings of their target, named after it and the writing process:
 * `.debug_switch.S.switchgen-tmp-1234-0`. Hidden, so globs and `ls` in the output directory do
 * not see them; named by pid, so a later run can tell one left by a killed process.
 */
const TMP_MARK = '.switchgen-tmp-';
const TMP_NAME = /^\..+\.switchgen-tmp-(\d+)-\d+$/;
let tmpCounter = 0;

function tempFor(file: string): string {
  return join(dirname(file), `.${basename(file)}${TMP_MARK}${process.pid}-${tmpCounter++}`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove temporary files in `dir` left by a switchgen process that no longer runs (one killed
 * between writing a temporary file and renaming it). Those of a live process are its own work
 * in progress and are left alone. With `forFile`, only the temporary files of that file name.
 * Returns the names removed.
 */
export function removeStaleTemps(dir: string, forFile?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TMP_NAME.exec(name);
    if (!m || (forFile !== undefined && !name.startsWith(`.${forFile}${TMP_MARK}`)) || processAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

export function writeAtomic(file: string, content: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  removeStaleTemps(dirname(file), basename(file));
  const tmp = tempFor(file);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Write each file whose content differs; report what happened to each, in order, as it happens
 * (`onFile`), so a watcher or a verbose run prints a line per file while the rest are written.
 * Stale temporary files in the directories written to are removed first.
 */
export function writeOutputs(
  outDir: string,
  files: OutputFile[],
  onFile?: (path: string, state: FileState) => void,
): { path: string; state: FileState }[] {
  for (const dir of new Set(files.map((f) => dirname(join(outDir, f.path))))) removeStaleTemps(dir);
  return files.map((f) => {
    const target = join(outDir, f.path);
    const state: FileState = readIfExists(target) === f.content ? 'unchanged' : 'written';
    if (state === 'written') writeAtomic(target, f.content);
    onFile?.(f.path, state);
    return { path: f.path, state };
  });
}

export type CheckStatus = 'ok' | 'missing' | 'stale';

export function compareOutputs(outDir: string, files: OutputFile[]): { path: string; status: CheckStatus }[] {
  return files.map((f) => {
    const have = readIfExists(join(outDir, f.path));
    return { path: f.path, status: have === undefined ? 'missing' : have === f.content ? 'ok' : 'stale' };
  });
}
