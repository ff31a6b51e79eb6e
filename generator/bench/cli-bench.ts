// Start-up cost of the CLI as a build step: wall time of a no-op `check` and `generate` (served
// from the stamp), the same with --full, bare `node`, and a no-op `make` of examples/Makefile.
// Prints min and median over N runs; figures only, never a test (timing in tests is flaky).
//
//   npm run build && npm run bench:cli -- [--runs 20]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const BIN = join(PACKAGE_ROOT, 'bin', 'switchgen.js');

function time(cmd: string, args: string[], opts: { cwd?: string } = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return ms;
}

function bench(label: string, cmd: string, args: string[], opts: { cwd?: string } = {}): void {
  time(cmd, args, opts); // warm the file cache
  const t = Array.from({ length: RUNS }, () => time(cmd, args, opts)).sort((a, b) => a - b);
  const median = RUNS % 2 ? t[(RUNS - 1) / 2]! : (t[RUNS / 2 - 1]! + t[RUNS / 2]!) / 2;
  console.log(`${label.padEnd(34)} min ${t[0]!.toFixed(1).padStart(7)} ms   median ${median.toFixed(1).padStart(7)} ms`);
}

const out = mkdtempSync(join(tmpdir(), 'switchgen-bench-'));
try {
  execFileSync(process.execPath, [BIN, 'generate', '--out', join(out, 'gen')], { stdio: 'ignore' });
  console.log(`${RUNS} runs each (node ${process.version}, ${process.platform}/${process.arch})`);
  bench('node -e 0', process.execPath, ['-e', '0']);
  bench('switchgen check (no-op)', process.execPath, [BIN, 'check', '--out', join(out, 'gen')]);
  bench('switchgen generate (no-op)', process.execPath, [BIN, 'generate', '--out', join(out, 'gen')]);
  bench('switchgen check --full', process.execPath, [BIN, 'check', '--full', '--out', join(out, 'gen')]);
  bench('switchgen generate --full', process.execPath, [BIN, 'generate', '--full', '--out', join(out, 'gen')]);
  bench('switchgen cpus', process.execPath, [BIN, 'cpus']);
  const make = spawnSync('make', ['--version'], { stdio: 'ignore' });
  if (make.status === 0) {
    const mk = ['-s', '-C', join(PACKAGE_ROOT, 'examples'), `obj=${join(out, 'make')}`];
    execFileSync('make', mk, { stdio: 'ignore' });
    bench('make -C examples (no-op)', 'make', mk);
  } else {
    console.log('make: not installed, skipped');
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
