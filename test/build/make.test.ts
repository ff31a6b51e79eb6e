// examples/Makefile under real make: Kbuild-style if_changed_dep rules around `switchgen emit`.
// The first make generates; a second does nothing and touches no file; a newer input or a
// changed command line regenerates; a broken table fails the build with the diagnostic and
// leaves the previous outputs as they were.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CPUS_PATH, DEFAULT_TABLE_PATH, tempDir } from '../helpers.js';
import { copyPackage, removePackageCopies, mtimes, runBin, snapshot } from './process.js';

const haveMake = spawnSync('make', ['--version'], { stdio: 'ignore' }).status === 0;

function makeIn(root: string, vars: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const args = ['--no-print-directory', '-C', join(root, 'examples'), ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  const r = spawnSync('make', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const genLines = (s: string): string[] => s.split('\n').filter((l) => /^\s+GEN\s/.test(l)).map((l) => l.trim().replace(/^GEN\s+/, '')).sort();

afterAll(removePackageCopies);

describe.skipIf(!haveMake)('examples/Makefile', () => {
  it('builds once, then does nothing; regenerates on a newer input or a changed command; a broken table fails and keeps the outputs', () => {
    // A copy of the package, and of the inputs: nothing else may touch a prerequisite's timestamp.
    const pkg = copyPackage();
    const make = (v: Record<string, string>): ReturnType<typeof makeIn> => makeIn(pkg.root, v);
    const dir = tempDir();
    const obj = join(dir, 'obj');
    const table = join(dir, 't.yaml');
    const cpus = join(dir, 'c.yaml');
    copyFileSync(DEFAULT_TABLE_PATH, table);
    copyFileSync(DEFAULT_CPUS_PATH, cpus);
    const vars = { obj, TABLE: table, CPUS: cpus, TS_CPUS: 'cortex-a57' };
    const targets = ['asm-offsets-sim.h', 'debug_switch.S', 'kvm_debug_switch.h', 'ts/cortex-a57.ts'].map((f) => join(obj, f)).sort();

    // 1. The first make generates every target, with Kbuild's quiet "GEN" lines.
    const first = make(vars);
    expect(first.code, first.stderr).toBe(0);
    expect(genLines(first.stdout)).toEqual(targets);
    // ... the same bytes `switchgen emit` prints (run where make runs it: a table outside the
    // package is named relative to the working directory)
    const cwd = join(pkg.root, 'examples');
    expect(readFileSync(join(obj, 'debug_switch.S'), 'utf8')).toBe(runBin(['emit', 'asm', '--table', table, '--cpus', cpus], { cwd, bin: pkg.bin }).stdout);
    expect(readFileSync(join(obj, 'ts/cortex-a57.ts'), 'utf8')).toBe(runBin(['emit', 'ts', '--cpu', 'cortex-a57', '--table', table, '--cpus', cpus], { cwd, bin: pkg.bin }).stdout);

    // 2. A second make runs nothing and touches no file (the .cmd files included).
    const built = mtimes(obj);
    expect(Object.keys(built)).toEqual(expect.arrayContaining(['.debug_switch.S.cmd', 'ts/.cortex-a57.ts.cmd']));
    const second = make(vars);
    expect(second).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(mtimes(obj)).toEqual(built);

    // 3. A newer table (same bytes) regenerates every target; then all is quiet again.
    const now = new Date();
    utimesSync(table, now, now);
    const touched = make(vars);
    expect(touched.code, touched.stderr).toBe(0);
    expect(genLines(touched.stdout)).toEqual(targets);
    const quiet = mtimes(obj);
    expect(make(vars).stdout).toBe('');
    expect(mtimes(obj)).toEqual(quiet);

    // 4. A changed command line (another CPU file, same bytes) regenerates, as if_changed promises.
    const cpus2 = join(dir, 'c2.yaml');
    copyFileSync(cpus, cpus2);
    utimesSync(cpus2, new Date(0), new Date(0));
    const recmd = make({ ...vars, CPUS: cpus2 });
    expect(recmd.code, recmd.stderr).toBe(0);
    expect(genLines(recmd.stdout)).toEqual(targets);
    expect(make({ ...vars, CPUS: cpus2 }).stdout).toBe('');

    // 5. A broken table: make fails with the positioned diagnostic; the outputs stay as they were.
    const good = snapshot(obj);
    const goodTimes = mtimes(obj);
    writeFileSync(table, readFileSync(table, 'utf8').replace('slot: 87', 'slot: 940'));
    const broken = make({ ...vars, CPUS: cpus2 });
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/t\.yaml:\d+:\d+: error: slot 940 of MDCCINT_EL1 is outside 0\.\.93/);
    expect(snapshot(obj)).toEqual(good);
    expect(mtimes(obj)).toEqual(goodTimes);

    // 6. The next good save recovers.
    writeFileSync(table, readFileSync(table, 'utf8').replace('slot: 940', 'slot: 87'));
    const fixed = make({ ...vars, CPUS: cpus2 });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(genLines(fixed.stdout)).toEqual(targets);
    expect(snapshot(obj)).toEqual(good);
  }, 120_000);

  it('V=1 prints the command lines', () => {
    const obj = join(tempDir(), 'obj');
    const r = makeIn(copyPackage().root, { obj, V: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bin\/switchgen\.js emit asm --table .* --depfile .*\/\.debug_switch\.S\.d -o .*\/debug_switch\.S/);
  }, 60_000);
});
