// The no-op fast path (the stamp) and the full path agree in every case: they give the same exit
// code, the same messages and the same files. The fast path is taken only when nothing changed;
// hand edits, missing files, and any change to the table, the CPU file, a template or the
// generator's own code send it to the full path.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STAMP_FILE } from '../../generator/build/stamp.js';
import { digestInputs } from '../../generator/build/digest.js';
import { templateFiles } from '../../generator/emit/render.js';
import { PACKAGE_ROOT } from '../../generator/paths.js';
import { DEFAULT_CPUS_PATH, DEFAULT_TABLE_PATH, runCli, tempDir, type CliResult } from '../helpers.js';
import { copyPackage, removePackageCopies, listAll, mtimes, runBin, snapshot } from './process.js';

interface Case {
  name: string;
  /** Change the state after a clean generate into `out` (the table and CPU file are in `dir`). */
  mutate: (out: string, dir: string) => void;
  /** Whether the stamp should let the fast path answer. */
  fast: boolean;
}

const CASES: Case[] = [
  { name: 'unchanged', mutate: () => {}, fast: true },
  {
    name: 'an output edited by hand',
    mutate: (out) => appendFileSync(join(out, 'asm/debug_switch.S'), '// local hack\n'),
    fast: false,
  },
  { name: 'an output deleted', mutate: (out) => rmSync(join(out, 'include/kvm_debug_switch.h')), fast: false },
  {
    name: 'the table changed',
    mutate: (_, dir) => writeFileSync(join(dir, 't.yaml'), readFileSync(join(dir, 't.yaml'), 'utf8').replace('name: kvm-arm64-2014', 'name: kvm-arm64-edited')),
    fast: false,
  },
  {
    name: 'the table changed and broke',
    mutate: (_, dir) => writeFileSync(join(dir, 't.yaml'), readFileSync(join(dir, 't.yaml'), 'utf8').replace('max: 16, count: WRPs }', 'max: 17, count: WRPs }')),
    fast: false,
  },
  {
    name: 'the CPU file changed',
    mutate: (_, dir) => writeFileSync(join(dir, 'c.yaml'), readFileSync(join(dir, 'c.yaml'), 'utf8').replace(/\s*- \{ name: fvp-base.*\n/, '\n')),
    fast: false,
  },
  { name: 'the table touched, bytes unchanged', mutate: (_, dir) => appendFileSync(join(dir, 't.yaml'), ''), fast: true },
  { name: 'the stamp deleted', mutate: (out) => rmSync(join(out, STAMP_FILE)), fast: false },
  { name: 'the stamp corrupt', mutate: (out) => writeFileSync(join(out, STAMP_FILE), '{"format":1,"inputs":'), fast: false },
  {
    name: 'the stamp lies about an output',
    mutate: (out) => {
      const s = readFileSync(join(out, STAMP_FILE), 'utf8');
      writeFileSync(join(out, STAMP_FILE), s.replace(/("asm\/debug_switch\.S",")[0-9a-f]/, '$1x'));
    },
    fast: false,
  },
];

/** Make the two runs' messages comparable: they name different output directories. */
// Output paths are printed as displayPath shows them (relative to the package or the working
// directory, depending on where the clone lives), so swap the distinguishing last segment.
const norm = (r: CliResult, from: string, to: string): CliResult => {
  const swap = (s: string): string => s.split(from).join(to).split(`/${basename(from)}/`).join(`/${basename(to)}/`);
  return { code: r.code, stdout: swap(r.stdout), stderr: swap(r.stderr) };
};

afterAll(removePackageCopies);

describe('fast path and full path agree', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.fast ? 'served from the stamp' : 'falls back to the full path'}, with the same result`, async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 't.yaml'), readFileSync(DEFAULT_TABLE_PATH));
      writeFileSync(join(dir, 'c.yaml'), readFileSync(DEFAULT_CPUS_PATH));
      const inputs = ['--table', join(dir, 't.yaml'), '--cpus', join(dir, 'c.yaml')];
      const fastOut = join(dir, 'fast');
      const fullOut = join(dir, 'full');
      expect((await runCli(['generate', ...inputs, '--out', fastOut])).code).toBe(0);
      c.mutate(fastOut, dir);
      cpSync(fastOut, fullOut, { recursive: true });

      // check: same verdict, same messages; --verbose says which path answered.
      const fastCheck = await runCli(['check', ...inputs, '--out', fastOut]);
      const fullCheck = await runCli(['check', ...inputs, '--out', fullOut, '--full']);
      expect(norm(fastCheck, fastOut, fullOut)).toEqual(fullCheck);
      const why = await runCli(['check', ...inputs, '--out', fastOut, '--verbose']);
      expect(why.stderr).toMatch(c.fast ? /up to date: the inputs and all \d+ outputs match .*\.switchgen-stamp/ : /comparing every file: /);
      expect(snapshot(fastOut)).toEqual(snapshot(fullOut)); // check wrote nothing

      // generate: same exit code, same lines, same files (the stamp included).
      const before = mtimes(fastOut);
      const fastGen = await runCli(['generate', ...inputs, '--out', fastOut]);
      const fullGen = await runCli(['generate', ...inputs, '--out', fullOut, '--full']);
      expect(norm(fastGen, fastOut, fullOut)).toEqual(fullGen);
      expect(snapshot(fastOut)).toEqual(snapshot(fullOut));
      if (c.fast) expect(mtimes(fastOut)).toEqual(before);

      // and afterwards both agree the directory is fresh (or both still reject the inputs).
      const after = await runCli(['check', ...inputs, '--out', fastOut]);
      expect(after.code).toBe(fastGen.code === 0 ? 0 : 2);
    }, 60_000);
  }

  it('--full regenerates even when the stamp says all is well, and finds a file the stamp vouches for', async () => {
    const out = tempDir();
    await runCli(['generate', '--out', out]);
    // Rewrite an output and the stamp together so that the stamp agrees with the edit: only the
    // full path can tell.
    const asm = join(out, 'asm/debug_switch.S');
    const old = readFileSync(asm, 'utf8');
    const edited = old.replace('lsl #2', 'lsl #3');
    writeFileSync(asm, edited);
    const { createHash } = await import('node:crypto');
    const h = (s: string): string => createHash('sha256').update(s).digest('hex');
    writeFileSync(join(out, STAMP_FILE), readFileSync(join(out, STAMP_FILE), 'utf8').replace(h(old), h(edited)));
    expect((await runCli(['check', '--out', out])).code).toBe(0);
    const full = await runCli(['check', '--out', out, '--full']);
    expect(full.code).toBe(1);
    expect(full.stderr).toContain('asm/debug_switch.S: error: stale or edited by hand');
    const regen = await runCli(['generate', '--out', out, '--full']);
    expect(regen.stdout).toMatch(/GEN\s+.*debug_switch\.S/);
    expect(readFileSync(asm, 'utf8')).toBe(old);
  });

  it('a no-op run replays the warnings the generator gave, as the full path prints them', async () => {
    const dir = tempDir();
    const t = join(dir, 't.yaml');
    writeFileSync(t, readFileSync(DEFAULT_TABLE_PATH, 'utf8').replace('id_fields:\n', 'id_fields:\n  SPARE: { register: ID_AA64DFR0_EL1, lsb: 0, width: 4, bias: 0 }\n'));
    const out = join(dir, 'out');
    const first = await runCli(['generate', '--table', t, '--out', out]);
    expect(first.stderr).toMatch(/t\.yaml:\d+:\d+: warning: id field SPARE is not used by any bank/);
    for (const cmd of ['check', 'generate']) {
      const fast = await runCli([cmd, '--table', t, '--out', out]);
      const full = await runCli([cmd, '--table', t, '--out', out, '--full']);
      expect(fast, cmd).toEqual(full);
      expect(fast.stderr).toBe(first.stderr);
      expect((await runCli([cmd, '--table', t, '--out', out, '--verbose'])).stderr).toMatch(/up to date: the inputs/);
    }
  });

  it('check does not complain about the stamp, and git ignores it', async () => {
    const out = tempDir();
    await runCli(['generate', '--out', out]);
    expect(listAll(out)).toContain(STAMP_FILE);
    const r = await runCli(['check', '--out', out, '--full']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const ignored = execFileSync('git', ['check-ignore', 'generated/.switchgen-stamp', 'generated/asm/.debug_switch.S.switchgen-tmp-123-0'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
    expect(ignored.trim().split('\n')).toHaveLength(2);
  });

  it('the digest covers every template the renderer reads', () => {
    const d = digestInputs({ table: DEFAULT_TABLE_PATH, cpus: DEFAULT_CPUS_PATH });
    for (const t of templateFiles()) expect(d.prerequisites).toContain(t);
    expect(Object.keys(d.parts)).toEqual(expect.arrayContaining(['table', 'cpus', 'code', 'dependencies', 'paths']));
  });
});

describe('fast path and full path agree when the package itself changes (built CLI, a copy of the package)', () => {
  const edits: { name: string; edit: (root: string) => void; stale: string[] }[] = [
    {
      name: 'a template changed',
      edit: (root) => {
        const f = join(root, 'templates/partials/file_header_c.hbs');
        writeFileSync(f, readFileSync(f, 'utf8').replace('do not edit.', 'do not edit (really).'));
      },
      stale: ['asm/debug_switch.S', 'include/asm-offsets-sim.h', 'include/kvm_debug_switch.h'],
    },
    {
      name: "the generator's code changed what it emits",
      edit: (root) => {
        const f = join(root, 'dist/generator/index.js');
        const src = readFileSync(f, 'utf8');
        expect(src).toContain("'npx switchgen generate'");
        writeFileSync(f, src.replace("'npx switchgen generate'", "'npx switchgen generate --full'"));
      },
      stale: ['*'],
    },
    {
      name: "the generator's code changed, not its output",
      edit: (root) => appendFileSync(join(root, 'dist/generator/emit/asm.js'), '\n// a comment\n'),
      stale: [],
    },
  ];
  for (const e of edits) {
    it(`${e.name}: the stamp no longer vouches, and both paths give the same verdict`, () => {
      const pkg = copyPackage();
      const gen = runBin(['generate'], { bin: pkg.bin, cwd: pkg.root });
      expect(gen.code, gen.stderr).toBe(0);
      expect(runBin(['check', '--verbose'], { bin: pkg.bin, cwd: pkg.root }).stderr).toMatch(/up to date: the inputs and all \d+ outputs match/);
      e.edit(pkg.root);
      const fast = runBin(['check', '--verbose'], { bin: pkg.bin, cwd: pkg.root });
      const full = runBin(['check', '--full', '--verbose'], { bin: pkg.bin, cwd: pkg.root });
      expect(fast.stderr).toMatch(/comparing every file: inputs changed since the last generate: (code|template )/);
      expect(fast.code).toBe(full.code);
      expect(fast.stderr.replace(/^switchgen: comparing every file: .*\n/, '')).toBe(full.stderr);
      const named = [...full.stderr.matchAll(/generated\/(\S+): error:/g)].map((m) => m[1]).sort();
      if (e.stale[0] === '*') expect(named.length).toBe(listAll(join(pkg.root, 'generated')).filter((f) => f !== STAMP_FILE).length);
      else expect(named).toEqual(e.stale);
      expect(full.code).toBe(e.stale.length ? 1 : 0);

      const copy = tempDir();
      cpSync(join(pkg.root, 'generated'), copy, { recursive: true });
      const g1 = runBin(['generate'], { bin: pkg.bin, cwd: pkg.root });
      const g2 = runBin(['generate', '--full', '--out', copy], { bin: pkg.bin, cwd: pkg.root });
      expect(g1.code).toBe(0);
      expect(g2.code).toBe(0);
      expect(snapshot(join(pkg.root, 'generated'))).toEqual(snapshot(copy));
      // and now the stamp vouches again, without touching anything
      const m = mtimes(join(pkg.root, 'generated'));
      expect(runBin(['generate', '--verbose'], { bin: pkg.bin, cwd: pkg.root }).stderr).toMatch(/up to date/);
      expect(mtimes(join(pkg.root, 'generated'))).toEqual(m);
      expect(statSync(join(pkg.root, 'generated', STAMP_FILE)).isFile()).toBe(true);
    }, 120_000);
  }
});
