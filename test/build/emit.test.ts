// The single-output form for make rules (`switchgen emit KIND`) and the depfiles that tell make
// what each output depends on.
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDepfile, makeEscape } from '../../generator/build/depfile.js';
import { templateInputs } from '../../generator/build/digest.js';
import { DEFAULT_CPUS_PATH, DEFAULT_TABLE_PATH, runCli, tempDir } from '../helpers.js';
import { listAll } from './process.js';

/** Parse a depfile the way make reads it: rules of `targets: prerequisites`, continuations joined. */
function parseDepfile(text: string): { targets: string[]; prereqs: string[] }[] {
  const unescape = (w: string): string => w.replace(/\$\$/g, '$').replace(/\\([ #])/g, '$1');
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const i = l.search(/(?<!\\):/);
      const words = (s: string): string[] => (s.match(/(?:\\.|[^\s\\])+/g) ?? []).map(unescape);
      return { targets: words(l.slice(0, i)), prereqs: words(l.slice(i + 1)) };
    });
}

describe('switchgen emit', () => {
  it('prints exactly the file generate writes, for every kind', async () => {
    const out = tempDir();
    await runCli(['generate', '--out', out]);
    const kinds: [string[], string][] = [
      [['asm'], 'asm/debug_switch.S'],
      [['header'], 'include/kvm_debug_switch.h'],
      [['sim-offsets'], 'include/asm-offsets-sim.h'],
      [['ts', '--cpu', 'cortex-a57'], 'ts/cortex-a57.ts'],
    ];
    for (const [args, file] of kinds) {
      const r = await runCli(['emit', ...args]);
      expect(r.code, file).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout, file).toBe(readFileSync(join(out, file), 'utf8'));
      expect((await runCli(['emit', ...args, '-o', '-'])).stdout).toBe(r.stdout);
    }
  });

  it('-o FILE writes it quietly; unchanged bytes only refresh the timestamp (make then sees it as built)', async () => {
    const dir = tempDir();
    const file = join(dir, 'sub', 'debug_switch.S');
    const r = await runCli(['emit', 'asm', '-o', file]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\/\* SPDX-License-Identifier: GPL-2.0-only \*\//);
    const old = new Date('2001-01-01T00:00:00Z');
    utimesSync(file, old, old);
    const v = await runCli(['emit', 'asm', '-o', file, '--verbose']);
    expect(v.stderr).toMatch(/SAME\s+.*debug_switch\.S \(unchanged; timestamp updated\)/);
    expect(statSync(file).mtimeMs).toBeGreaterThan(old.getTime());
    writeFileSync(file, 'stale\n');
    expect((await runCli(['emit', 'asm', '-o', file, '--verbose'])).stderr).toMatch(/GEN\s+.*debug_switch\.S/);
    expect(listAll(join(dir, 'sub'))).toEqual(['debug_switch.S']);
  });

  it('a bad table exits 2 with the diagnostic and leaves -o FILE and the depfile as they were', async () => {
    const dir = tempDir();
    const file = join(dir, 'x.S');
    writeFileSync(file, 'previous\n');
    const t = join(dir, 't.yaml');
    writeFileSync(t, readFileSync(DEFAULT_TABLE_PATH, 'utf8').replace('slot: 87', 'slot: 94'));
    const r = await runCli(['emit', 'asm', '--table', t, '-o', file, '--depfile', join(dir, 'x.d')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/t\.yaml:\d+:\d+: error: slot 94 of MDCCINT_EL1 is outside 0\.\.93/);
    expect(readFileSync(file, 'utf8')).toBe('previous\n');
    expect(existsSync(join(dir, 'x.d'))).toBe(false);
  });

  it('usage errors exit 2 and write nothing', async () => {
    const dir = tempDir();
    const o = join(dir, 'o');
    for (const args of [
      ['emit', 'ts', '-o', o],
      ['emit', 'asm', '--cpu', 'cortex-a57', '-o', o],
      ['emit', 'bogus', '-o', o],
      ['emit', 'asm', '--depfile', join(dir, 'd')],
      ['emit', 'asm', '-o', o, '--bogus'],
      ['emit', 'ts', '--cpu', 'no-such-cpu', '-o', o],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).not.toBe('');
    }
    expect(listAll(dir)).toEqual([]);
    expect((await runCli(['emit', 'ts', '--cpu', 'no-such-cpu'])).stderr).toMatch(/no CPU model "no-such-cpu" .*have: cortex-a53, /);
  });
});

describe('depfiles', () => {
  it('escape paths as make reads them', () => {
    expect(makeEscape('a b#c$d')).toBe('a\\ b\\#c$$d');
    expect(makeEscape('x\\ y')).toBe('x\\\\\\ y');
    const text = formatDepfile(['out/a b.S'], ['t 1.yaml', '$HOME/#c.yaml']);
    expect(parseDepfile(text)).toEqual([
      { targets: ['out/a b.S'], prereqs: ['t 1.yaml', '$HOME/#c.yaml'] },
      { targets: ['t 1.yaml'], prereqs: [] },
      { targets: ['$HOME/#c.yaml'], prereqs: [] },
    ]);
  });

  it('generate --depfile: every output depends on the table, the CPU file and every template', async () => {
    const dir = tempDir();
    const t = join(dir, 'my table.yaml');
    writeFileSync(t, readFileSync(DEFAULT_TABLE_PATH));
    const out = join(dir, 'out');
    const dep = join(dir, 'deps', 'gen.d');
    for (const extra of [[], ['--full']]) {
      const r = await runCli(['generate', '--table', t, '--out', out, '--depfile', dep, ...extra]);
      expect(r.code).toBe(0);
      const rules = parseDepfile(readFileSync(dep, 'utf8'));
      const files = listAll(out).filter((f) => !f.startsWith('.'));
      expect(rules[0]!.targets.sort()).toEqual(files.map((f) => `${out}/${f}`).sort());
      expect(rules[0]!.prereqs).toEqual([t, DEFAULT_CPUS_PATH, ...templateInputs()]);
      // -MP: an empty rule per prerequisite
      expect(rules.slice(1).map((x) => x.targets[0])).toEqual(rules[0]!.prereqs);
    }
  });

  it('emit --depfile names the -o file, or --dep-target for stdout', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'o'));
    await runCli(['emit', 'header', '-o', join(dir, 'o', 'h.h'), '--depfile', join(dir, 'h.d')]);
    expect(parseDepfile(readFileSync(join(dir, 'h.d'), 'utf8'))[0]!.targets).toEqual([join(dir, 'o', 'h.h')]);
    const r = await runCli(['emit', 'header', '--depfile', join(dir, 's.d'), '--dep-target', 'include/generated/h.h']);
    expect(r.code).toBe(0);
    expect(parseDepfile(readFileSync(join(dir, 's.d'), 'utf8'))[0]).toEqual({ targets: ['include/generated/h.h'], prereqs: [DEFAULT_TABLE_PATH, DEFAULT_CPUS_PATH, ...templateInputs()] });
  });

  it('a path make cannot spell is refused before anything is written', async () => {
    const dir = tempDir();
    const r = await runCli(['generate', '--out', join(dir, 'out'), '--depfile', join(dir, 'a:b.d')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--depfile ".*a:b\.d" contains ':', so it cannot be written into a make depfile/);
    expect(listAll(dir)).toEqual([]);
  });
});
