// Running the built CLI as a separate process (as make, a watcher's user, or a crash would), and
// throw-away copies of the package whose templates and code a test may edit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../generator/paths.js';
import { tempDir, type CliResult } from '../helpers.js';

export const BIN = join(PACKAGE_ROOT, 'bin', 'switchgen.js');

/** The subprocess tests run dist/: `npm test` builds it first (pretest). */
export function requireBuilt(): void {
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'generator', 'build', 'fast.js'))) {
    throw new Error('dist/ is missing or out of date: run `npx tsc -p tsconfig.json` (npm test does) before this test');
  }
}

export function runBin(args: string[], opts: { cwd?: string; bin?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [opts.bin ?? BIN, ...args], { cwd: opts.cwd ?? PACKAGE_ROOT, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function startBin(args: string[], opts: { cwd?: string; bin?: string } = {}): ChildProcess {
  return spawn(process.execPath, [opts.bin ?? BIN, ...args], { cwd: opts.cwd ?? PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

const copies: string[] = [];

/** Remove the package copies made so far (call from afterAll). */
export function removePackageCopies(): void {
  for (const c of copies.splice(0)) rmSync(c, { recursive: true, force: true });
}

/**
 * A copy of the package (bin, dist, templates, examples, default tables, package.json;
 * node_modules linked) in a temporary directory: its templates and compiled code can be edited
 * freely, and nothing else touching the working tree's files can disturb a test's timestamps.
 */
export function copyPackage(): { root: string; bin: string } {
  requireBuilt();
  const root = tempDir('switchgen-pkg-');
  copies.push(root);
  for (const p of ['package.json', 'bin', 'dist', 'templates', 'examples', join('generator', 'tables')]) {
    cpSync(join(PACKAGE_ROOT, p), join(root, p), { recursive: true });
  }
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  mkdirSync(join(root, 'generated'), { recursive: true });
  return { root, bin: join(root, 'bin', 'switchgen.js') };
}

/** Every file under dir (hidden ones included), relative, sorted. */
export function listAll(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listAll(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

/** path → content, for comparing whole directories. */
export function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(listAll(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** path → mtime (ns), for "touches no file". */
export function mtimes(dir: string): Record<string, bigint> {
  return Object.fromEntries(listAll(dir).map((f) => [f, statSync(join(dir, f), { bigint: true }).mtimeNs]));
}

/** Poll until `ok` holds, or fail after `ms` naming `what`. */
export async function waitFor(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
