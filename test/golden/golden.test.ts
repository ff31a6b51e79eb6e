// The first proof the generator is right: the default table's macros are the seed's,
// instruction for instruction. The committed fixture holds digests of the seed's sequences
// (facts about the patch, not its text); where ../shared/seeds exists they are recomputed
// from the patch so the fixture cannot drift.
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateAll, resolveInputs } from '../../generator/index.js';
import { createRenderer } from '../../generator/emit/render.js';
import { emitAsm } from '../../generator/emit/asm.js';
import { PACKAGE_ROOT } from '../../generator/paths.js';
import { digest, findRun, generatedMacro, matchesDigest, seedSequences, type SeedDigest } from './seed-extract.js';

const SEED = resolve(PACKAGE_ROOT, '..', 'shared', 'seeds', '000_a7d36e1884dffe63.txt');
const FIXTURE = join(PACKAGE_ROOT, 'test', 'fixtures', 'seed-digests.json');
const haveSeed = existsSync(SEED);

function defaultAsm(): string {
  const gen = generateAll(resolveInputs({}));
  const asm = gen.files.find((f) => f.path === 'asm/debug_switch.S');
  if (!asm) throw new Error(gen.diagnostics.map((d) => d.message).join('\n'));
  return asm.content;
}

function loadFixture(): Record<string, SeedDigest> {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, SeedDigest>;
}

/** Which seed sequences a generated asm text fails to reproduce (by digest). */
function digestFailures(asm: string): string[] {
  const failures: string[] = [];
  for (const [id, d] of Object.entries(loadFixture())) {
    const body = generatedMacro(asm, d.macro);
    if (!body || !matchesDigest(body, d)) failures.push(id);
  }
  return failures;
}

describe('golden: default table reproduces the seed', () => {
  it('matches every seed sequence digest (runs on every machine)', () => {
    const fixture = loadFixture();
    expect(Object.keys(fixture).length).toBeGreaterThanOrEqual(14);
    expect(digestFailures(defaultAsm())).toEqual([]);
  });

  it.skipIf(!haveSeed)('fixture digests are recomputed from the seed patch itself', () => {
    const seqs = seedSequences(readFileSync(SEED, 'utf8'));
    const recomputed: Record<string, SeedDigest> = {};
    for (const s of seqs) recomputed[s.id] = { macro: s.macro, mode: s.mode, lines: s.lines.length, sha256: digest(s.lines) };
    if (process.env.UPDATE_SEED_DIGESTS) writeFileSync(FIXTURE, JSON.stringify(recomputed, null, 2) + '\n');
    expect(loadFixture()).toEqual(recomputed);
  });

  it.skipIf(!haveSeed)('each sequence matches instruction for instruction (readable diff)', () => {
    const asm = defaultAsm();
    for (const s of seedSequences(readFileSync(SEED, 'utf8'))) {
      const body = generatedMacro(asm, s.macro);
      expect(body, `macro ${s.macro} is not generated`).toBeDefined();
      if (s.mode === 'exact') expect(body, s.id).toEqual(s.lines);
      else expect(findRun(body!, s.lines), `${s.id}: seed lines not found contiguously in ${s.macro}:\n${s.lines.join('\n')}`).toBeGreaterThanOrEqual(0);
    }
  });

  it('fails when one instruction of a template changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchgen-tpl-'));
    cpSync(join(PACKAGE_ROOT, 'templates'), dir, { recursive: true });
    const gen = generateAll(resolveInputs({}));
    const mutate = (file: string, from: string, to: string): string[] => {
      const path = join(dir, file);
      const orig = readFileSync(path, 'utf8');
      expect(orig.includes(from), `${file} contains ${from}`).toBe(true);
      writeFileSync(path, orig.replace(from, to));
      try {
        const asm = emitAsm(gen.plan!, { tableSource: 't', tableName: 't', regenerate: 'r' }, createRenderer(dir));
        return digestFailures(asm);
      } finally {
        writeFileSync(path, orig);
      }
    };
    expect(mutate('partials/computed_branch.hbs', 'lsl #{{shift}}', 'lsl #3')).toEqual(expect.arrayContaining(['save_debug', 'restore_debug']));
    expect(mutate('debug_switch.S.hbs', '\tmrs\t{{gpr}}, {{sysreg}}\n{{/each}}\n\n{{> computed_branch', '\tmrs\t{{gpr}}, {{sysreg}}\n{{/each}}\n\tnop\n{{> computed_branch')).toContain('save_debug');
    expect(mutate('debug_switch.S.hbs', 'tbz\t\\tmp, #{{flags.shiftName}}', 'tbnz\t\\tmp, #{{flags.shiftName}}')).toEqual(['skip_clean_debug_state']);
    expect(mutate('debug_switch.S.hbs', 'csel\t{{trigger.d0}}, {{trigger.d1}}, xzr, ne', 'csel\t{{trigger.d0}}, {{trigger.d1}}, xzr, eq')).toEqual(['__kvm_vcpu_run.save_host_debug']);
    expect(mutate('debug_switch.S.hbs', '\t// Clear the dirty flag for the next run\n\tstr', '\t// Clear the dirty flag for the next run\n\tstr\txzr, [x0]\n\tstr')).toEqual(['__kvm_vcpu_return.restore_host_debug']);
  });
});
