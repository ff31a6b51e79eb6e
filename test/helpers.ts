// Shared test helpers: run the CLI in-process with captured output, temp dirs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../generator/cli.js';
import { PACKAGE_ROOT } from '../generator/paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (s) => (stdout += s.endsWith('\n') ? s : s + '\n'),
    err: (s) => (stderr += s.endsWith('\n') ? s : s + '\n'),
  });
  return { code, stdout, stderr };
}

export const tempDir = (tag = 'switchgen-'): string => mkdtempSync(join(tmpdir(), tag));
export const fixture = (...p: string[]): string => join(PACKAGE_ROOT, 'test', 'fixtures', ...p);
export const DEFAULT_TABLE_PATH = join(PACKAGE_ROOT, 'generator', 'tables', 'kvm-arm64-2014.yaml');
export const DEFAULT_CPUS_PATH = join(PACKAGE_ROOT, 'generator', 'tables', 'cpus.yaml');
