// The diagnostic corpus: each file under fixtures/bad-tables/ is one problem, and ends with
// `# expect:` lines giving the exact diagnostics (LINE:COL: severity: message) it must get.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../generator/paths.js';
import { fixture, runCli, tempDir } from '../helpers.js';

const dir = fixture('bad-tables');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

function expected(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice('# expect: '.length));
}

describe('bad-table corpus', () => {
  it('has one file per diagnostic, each with expectations', () => {
    expect(files.length).toBeGreaterThanOrEqual(35);
    for (const f of files) expect(expected(join(dir, f)).length, f).toBeGreaterThan(0);
  });

  for (const f of files) {
    it(`${f}: exact message and position, exit 2, nothing written`, async () => {
      const file = join(dir, f);
      const shown = relative(PACKAGE_ROOT, file);
      const out = tempDir();
      const args = f.endsWith('.cpus.yaml')
        ? ['generate', '--table', fixture('tables', 'narrow.yaml'), '--cpus', file, '--out', out]
        : ['generate', '--table', file, '--out', out];
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      // The CPU corpus is read against tables/narrow.yaml, whose own warning is not the point here.
      const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('test/fixtures/tables/narrow.yaml:'));
      expect(lines).toEqual(expected(file).map((e) => `${shown}:${e}`));
      expect(existsSync(join(out, 'asm'))).toBe(false);
      expect(readdirSync(out)).toEqual([]);
    });
  }
});

describe('good tables', () => {
  it('the default table and CPU file load without diagnostics', async () => {
    const r = await runCli(['cpus']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/cortex-a57\s+0x10305106\s+6\s+4/);
    expect(r.stdout).toMatch(/fvp-base\s+0x10f0f106\s+16\s+16/);
    expect(r.stdout).toMatch(/neoverse-n1\s+0x110305408\s+6\s+4/);
  });

  it('a missing table file is a positioned error, not a crash', async () => {
    const r = await runCli(['generate', '--table', '/nonexistent/t.yaml', '--out', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/t\.yaml: error: cannot read: no such file/);
  });
});
