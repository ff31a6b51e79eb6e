// Crash safety: `switchgen generate` killed with SIGKILL at random moments while it rewrites a
// large output set (many CPU models, so many TypeScript files) leaves every output either
// entirely the old version or entirely the new one, never truncated or mixed; the temporary
// files a kill leaves are invisible to `check` and removed by the next run; and `check` names
// exactly the files that are stale for the current inputs.
//
// Replay a failure with the seed it prints: CRASH_SEED=<seed> npx vitest run test/robustness/crash.test.ts
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../generator/paths.js';
import { DEFAULT_TABLE_PATH, runCli, tempDir } from '../helpers.js';
import { listAll, requireBuilt, snapshot, startBin } from '../build/process.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 50);
const CPU_COUNT = 16;
/** Independent output directories killed in parallel: most of a run is start-up, so this halves the wait. */
const LANES = 2;

/** A deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TMP = /(^|\/)\.[^/]+\.switchgen-tmp-\d+-\d+$/;
const hash = (s: string): string => createHash('sha256').update(s).digest('hex');
const base = readFileSync(DEFAULT_TABLE_PATH, 'utf8');
/** Two versions of the table whose outputs differ in every file (the table's name is in each). */
const VERSIONS = { A: base.replace('name: kvm-arm64-2014', 'name: crash-a'), B: base.replace('name: kvm-arm64-2014', 'name: crash-b') };
const IDS = ['0x10305106', '0x10305408', '0x10f0f106', '0x10305609'];

interface Tally {
  startup: number;
  writing: number;
  finished: number;
}

async function lane(dir: string, seed: number, runs: number, tally: Tally): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const random = rng(seed);
  const table = join(dir, 't.yaml');
  const cpus = join(dir, 'c.yaml');
  const out = join(dir, 'out');
  writeFileSync(cpus, `cpus:\n${Array.from({ length: CPU_COUNT }, (_, i) => `  - { name: model-${i}, ID_AA64DFR0_EL1: ${IDS[i % IDS.length]} }`).join('\n')}\n`);
  const inputs = ['--table', table, '--cpus', cpus];

  // The two complete output sets, for reference (same input paths, same working directory).
  const ref: Record<'A' | 'B', Record<string, string>> = { A: {}, B: {} };
  for (const v of ['A', 'B'] as const) {
    writeFileSync(table, VERSIONS[v]);
    const refDir = join(dir, `ref-${v}`);
    expect((await runCli(['generate', ...inputs, '--out', refDir])).code).toBe(0);
    ref[v] = snapshot(refDir);
    delete ref[v]['.switchgen-stamp'];
  }
  const outputs = Object.keys(ref.A).sort();
  expect(outputs.length).toBe(CPU_COUNT + 4);
  for (const f of outputs) expect(ref.A[f], f).not.toBe(ref.B[f]);

  let target: 'A' | 'B' = 'A';
  for (let k = 0; k < runs; k++) {
    target = target === 'A' ? 'B' : 'A';
    writeFileSync(table, VERSIONS[target]);
    const child = startBin(['generate', ...inputs, '--out', out], { cwd: PACKAGE_ROOT });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    // Kill after the n-th file is reported written, plus up to 2 ms (so often while writing the
    // next one), or at a random moment of start-up.
    const afterFiles = random() < 0.9 ? 1 + Math.floor(random() * (outputs.length - 2)) : 0;
    const extraMs = random() * 2;
    let written = 0;
    let killed = false;
    const kill = (): void => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      written += (d.toString().match(/ GEN /g) ?? []).length;
      if (afterFiles && written >= afterFiles) setTimeout(kill, extraMs);
    });
    if (!afterFiles) setTimeout(kill, random() * 400);
    const code = await exited;
    if (code === 0) tally.finished++;
    else if (written === 0) tally.startup++;
    else tally.writing++;

    // Every output present is one whole version; nothing else but our temporary files.
    const present = listAll(out);
    const why = `seed ${seed}, run ${k} (kill after ${afterFiles} files; ${written} reported written)`;
    for (const f of present) {
      if (f === '.switchgen-stamp') {
        expect(() => JSON.parse(readFileSync(join(out, f), 'utf8')), why).not.toThrow();
        continue;
      }
      if (TMP.test(f)) continue;
      expect(outputs, `${why}: unexpected file ${f}`).toContain(f);
      const h = hash(readFileSync(join(out, f), 'utf8'));
      expect([hash(ref.A[f]!), hash(ref.B[f]!)], `${why}: ${f} is neither version (truncated or mixed)`).toContain(h);
    }

    // check (stamp fast path and all) names exactly the files not in the target version.
    const stale = outputs.filter((f) => !present.includes(f) || readFileSync(join(out, f), 'utf8') !== ref[target][f]).sort();
    const c = await runCli(['check', ...inputs, '--out', out]);
    const named = [...c.stderr.matchAll(/out\/(\S+): error: (missing|stale)/g)].map((m) => m[1]!).sort();
    expect(named, why).toEqual(stale);
    expect(c.code, why).toBe(stale.length ? 1 : 0);
    expect(c.stderr, why).not.toMatch(/switchgen-tmp/);
  }

  // The next complete run removes what the kills left, and the directory is fresh.
  const g = await runCli(['generate', ...inputs, '--out', out]);
  expect(g.code).toBe(0);
  expect(listAll(out).filter((f) => TMP.test(f))).toEqual([]);
  expect(await runCli(['check', ...inputs, '--out', out, '--full'])).toEqual({ code: 0, stdout: '', stderr: '' });
}

describe('SIGKILL during generate', () => {
  it(`${KILLS} kills: outputs are all-old or all-new, and check names exactly the stale ones`, async () => {
    requireBuilt();
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const dir = tempDir('switchgen-crash-');
    const tally: Tally = { startup: 0, writing: 0, finished: 0 };
    const per = Math.ceil(KILLS / LANES);
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(join(dir, `lane-${i}`), seed + i, per, tally)));
    console.log(`crash (seed ${seed}): ${per * LANES} runs: ${tally.writing} killed while writing, ${tally.startup} before writing, ${tally.finished} finished first`);
    expect(tally.writing).toBeGreaterThan(KILLS / 3);
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
