// What the outputs depend on, hashed without loading the table parser, the template engine or
// ts-morph: the table and CPU file bytes, every template, switchgen's own code and the versions
// of the libraries it renders with, and the two path strings the generated headers quote.
// Node built-ins and paths.ts only: this module is on the no-op fast path.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CPUS, DEFAULT_TABLE, PACKAGE_ROOT, TEMPLATES_DIR, displayPath } from '../paths.js';

/** The running generator's code: dist/generator when built, generator/ under a TS runner. */
export const CODE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface InputPaths {
  table: string;
  cpus: string;
}

export interface DigestOptions {
  /** Where the generator's code is (tests point this at a copy). */
  codeDir?: string;
  templatesDir?: string;
  packageRoot?: string;
}

export interface InputDigest {
  /** sha256 over every part, in a fixed order. */
  digest: string;
  /** Each part's own sha256, by name ('table', 'cpus', 'template partials/x.hbs', 'code', ...). */
  parts: Record<string, string>;
  /**
   * The files make should rebuild on: the table, the CPU file and every template, as the user
   * named them (the table and CPU file) or absolute (the package's templates).
   */
  prerequisites: string[];
  /** Size, mtime (ns) and inode of every file read: equal before and after a run means no file changed during it. */
  fingerprint: string;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Files under `dir`, recursively, sorted; hidden files and editor backups (`x~`) are left out. */
function walk(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.endsWith('~')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile() && keep(e.name)) out.push(p);
    }
  };
  visit(dir);
  return out.sort();
}

/**
 * Every template file. A superset of what the renderer reads (it reads `*.hbs` at the top and in
 * partials/): any file under templates/ counts, so a new kind of template cannot be missed.
 */
export function templateInputs(templatesDir: string = TEMPLATES_DIR): string[] {
  return walk(templatesDir, () => true);
}

const CODE_FILE = /\.(js|mjs|cjs|ts|mts|cts)$/;

/** The generator's own code, as loaded: every script file under the code directory. */
export function codeFiles(codeDir: string = CODE_DIR): string[] {
  return walk(codeDir, (n) => CODE_FILE.test(n) && !n.endsWith('.d.ts'));
}

/** `name@version` of each runtime dependency, as installed (a new Handlebars could change the bytes). */
function dependencyVersions(packageRoot: string): string {
  let deps: string[] = [];
  try {
    deps = Object.keys((JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {}).sort();
  } catch {
    return 'no package.json';
  }
  return deps
    .map((name) => {
      for (let dir = packageRoot; ; ) {
        try {
          return `${name}@${(JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version}`;
        } catch {
          const up = dirname(dir);
          if (up === dir) return `${name}@missing`;
          dir = up;
        }
      }
    })
    .join('\n');
}

interface FileRead {
  hash: string;
  stat: string;
}

function readForDigest(file: string): FileRead {
  try {
    const st = statSync(file, { bigint: true });
    const bytes = readFileSync(file);
    return { hash: sha256(bytes), stat: `${st.size}:${st.mtimeNs}:${st.ino}` };
  } catch (e) {
    return { hash: `unreadable:${(e as NodeJS.ErrnoException).code ?? 'error'}`, stat: 'none' };
  }
}

/** The files make should rebuild on (see InputDigest.prerequisites), without hashing anything. */
export function prerequisitesFor(inputs: InputPaths, templatesDir: string = TEMPLATES_DIR): string[] {
  return [inputs.table, inputs.cpus, ...templateInputs(templatesDir)];
}

/** Digest of everything the outputs for `inputs` depend on. Never throws. */
export function digestInputs(inputs: InputPaths, opts: DigestOptions = {}): InputDigest {
  const templatesDir = opts.templatesDir ?? TEMPLATES_DIR;
  const codeDir = opts.codeDir ?? CODE_DIR;
  const parts: Record<string, string> = {};
  const stats: string[] = [];
  const add = (name: string, value: string): void => {
    parts[name] = sha256(value);
  };
  const addFile = (name: string, file: string): void => {
    const r = readForDigest(file);
    parts[name] = r.hash;
    stats.push(`${name}=${r.stat}`);
  };

  // The headers quote the table's path and the regenerate command, which names the table and
  // CPU file unless they are the defaults: both strings are inputs too.
  const tableAbs = resolve(inputs.table);
  const cpusAbs = resolve(inputs.cpus);
  add('paths', [tableAbs, displayPath(inputs.table), tableAbs === resolve(DEFAULT_TABLE), cpusAbs, displayPath(inputs.cpus), cpusAbs === resolve(DEFAULT_CPUS)].join('\n'));
  addFile('table', inputs.table);
  addFile('cpus', inputs.cpus);
  const templates = templateInputs(templatesDir);
  for (const t of templates) addFile(`template ${relative(templatesDir, t).split(sep).join('/')}`, t);

  const code = createHash('sha256');
  for (const f of codeFiles(codeDir)) {
    const r = readForDigest(f);
    code.update(`${relative(codeDir, f).split(sep).join('/')}\0${r.hash}\n`);
    stats.push(`${f}=${r.stat}`);
  }
  parts.code = code.digest('hex');
  add('dependencies', dependencyVersions(opts.packageRoot ?? PACKAGE_ROOT));

  const all = createHash('sha256');
  for (const [k, v] of Object.entries(parts)) all.update(`${k}\0${v}\n`);
  return {
    digest: all.digest('hex'),
    parts,
    prerequisites: [inputs.table, inputs.cpus, ...templates],
    fingerprint: sha256(stats.join('\n')),
  };
}

/** The names of the parts that differ between two digests (for --verbose). */
export function changedParts(then: Record<string, string>, now: Record<string, string>): string[] {
  const names = new Set([...Object.keys(then), ...Object.keys(now)]);
  return [...names].filter((n) => then[n] !== now[n]).sort();
}

export { sha256 };
