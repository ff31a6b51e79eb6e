// Writing outputs: atomically (temporary file + rename, so a reader or a crash never sees half a
// file) and only when the bytes changed (so make's timestamps stay quiet).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

export function writeAtomic(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
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

/** Write each file whose content differs; report what happened to each. */
export function writeOutputs(outDir: string, files: OutputFile[]): { path: string; state: FileState }[] {
  return files.map((f) => {
    const target = join(outDir, f.path);
    if (readIfExists(target) === f.content) return { path: f.path, state: 'unchanged' as const };
    writeAtomic(target, f.content);
    return { path: f.path, state: 'written' as const };
  });
}

export type CheckStatus = 'ok' | 'missing' | 'stale';

export function compareOutputs(outDir: string, files: OutputFile[]): { path: string; status: CheckStatus }[] {
  return files.map((f) => {
    const have = readIfExists(join(outDir, f.path));
    return { path: f.path, status: have === undefined ? 'missing' : have === f.content ? 'ok' : 'stale' };
  });
}
