// `switchgen generate --watch` as a user runs it (the built CLI, in a copy of the package so a
// template can be edited): saves by rename and in place regenerate; a broken table prints the
// diagnostics and leaves the outputs alone; the next good save recovers; Ctrl-C exits cleanly.
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STAMP_FILE } from '../../generator/build/stamp.js';
import { DEFAULT_CPUS_PATH, DEFAULT_TABLE_PATH, tempDir } from '../helpers.js';
import { copyPackage, removePackageCopies, listAll, runBin, snapshot, startBin, waitFor } from './process.js';

/** Save the way editors do: write a sibling, rename it over the file. */
function saveByRename(file: string, text: string): void {
  writeFileSync(`${file}.swp~`, text);
  renameSync(`${file}.swp~`, file);
}

afterAll(removePackageCopies);

describe('generate --watch', () => {
  it('regenerates on each save, survives a broken table, and stops on Ctrl-C', async () => {
    const pkg = copyPackage();
    const dir = tempDir();
    const table = join(dir, 't.yaml');
    const cpus = join(dir, 'c.yaml');
    const out = join(dir, 'out');
    writeFileSync(table, readFileSync(DEFAULT_TABLE_PATH));
    writeFileSync(cpus, readFileSync(DEFAULT_CPUS_PATH));
    const child = startBin(['generate', '--watch', '--table', table, '--cpus', cpus, '--out', out], { bin: pkg.bin, cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const gens = (): number => stdout.split('\n').filter((l) => /^\s+GEN\s/.test(l)).length;
    const asm = (): string => readFileSync(join(out, 'asm/debug_switch.S'), 'utf8');
    // A run ends with the stamp, written after every output: wait for it to vouch for the asm.
    const stamped = (): boolean => {
      try {
        return readFileSync(join(out, STAMP_FILE), 'utf8').includes(createHash('sha256').update(asm()).digest('hex'));
      } catch {
        return false;
      }
    };
    try {
      // The first run writes everything.
      await waitFor('the first generation', () => gens() >= 11 && stderr.includes('watching'));
      expect(stdout).toMatch(/^ {2}GEN {4}out\/asm\/debug_switch\.S$/m);
      const fileCount = gens();

      // A save by rename regenerates: one line per file written.
      let seen = gens();
      saveByRename(table, readFileSync(table, 'utf8').replace('name: kvm-arm64-2014', 'name: kvm-watch-one'));
      await waitFor('the rename-save to regenerate', () => gens() >= seen + fileCount && asm().includes('"kvm-watch-one"') && stamped());

      // A broken table: diagnostics, outputs untouched.
      const good = snapshot(out);
      seen = gens();
      saveByRename(table, readFileSync(table, 'utf8').replace('slot: 87', 'slot: 940'));
      await waitFor('the diagnostics', () => /t\.yaml:\d+:\d+: error: slot 940 of MDCCINT_EL1 is outside 0\.\.93/.test(stderr) && stderr.includes('not regenerated'));
      expect(gens()).toBe(seen);
      expect(snapshot(out)).toEqual(good);

      // The next good save (in place this time) recovers.
      writeFileSync(table, readFileSync(table, 'utf8').replace('slot: 940', 'slot: 87').replace('kvm-watch-one', 'kvm-watch-two'));
      await waitFor('recovery', () => asm().includes('"kvm-watch-two"'));

      // The CPU file is watched: a new model gets its own file.
      appendFileSync(cpus, '  - { name: watched-cpu, ID_AA64DFR0_EL1: 0x10305106 }\n');
      await waitFor('the new CPU model', () => listAll(out).includes('ts/watched-cpu.ts'));

      // So are the templates (read afresh, not from a module cache).
      const header = join(pkg.root, 'templates/partials/file_header_c.hbs');
      saveByRename(header, readFileSync(header, 'utf8').replace('do not edit.', 'do not edit (watched).'));
      await waitFor('the template edit', () => asm().includes('do not edit (watched).'));
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/internal error/);
    // Nothing half-done is left behind, and what is there is exactly what the inputs generate.
    expect(listAll(out).filter((f) => f.includes('switchgen-tmp'))).toEqual([]);
    const check = runBin(['check', '--table', table, '--cpus', cpus, '--out', out, '--verbose'], { bin: pkg.bin, cwd: dir });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toMatch(/up to date: the inputs and all 12 outputs match/);
  }, 120_000);
});
