// Where the package's own files live, however switchgen was started (dist/ or sources).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('switchgen: cannot find the package root (package.json next to templates/)');
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot();
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
export const DEFAULT_TABLE = join(PACKAGE_ROOT, 'generator', 'tables', 'kvm-arm64-2014.yaml');
export const DEFAULT_CPUS = join(PACKAGE_ROOT, 'generator', 'tables', 'cpus.yaml');
export const DEFAULT_OUT = join(PACKAGE_ROOT, 'generated');

/**
 * How a path is shown in diagnostics and generated headers: relative and with `/`, so output
 * does not depend on where the tree is checked out. Inside the package: from its root.
 */
export function displayPath(p: string): string {
  const abs = resolve(p);
  const inPkg = relative(PACKAGE_ROOT, abs);
  const rel = !inPkg.startsWith('..') && !isAbsolute(inPkg) ? inPkg : relative(process.cwd(), abs);
  return rel.split(sep).join('/');
}
