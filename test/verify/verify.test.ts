import { describe, expect, it } from 'vitest';
import { generateAll, resolveInputs } from '../../generator/index.js';
import { generatedAsm, modelForCpu, modelForCounts, verify, formatDivergence } from '../../generator/verify/index.js';

const gen = generateAll(resolveInputs({}));
const plan = gen.plan!;
const { loadInputs } = await import('../../generator/index.js');
const cpus = loadInputs(resolveInputs({})).cpus!.cpus;

describe('verify: generated asm agrees with the generated TS', () => {
  it('on every CPU model', () => {
    const models = cpus.map((c) => modelForCpu(plan, c));
    const r = verify(plan, generatedAsm(gen.files), models, { states: 40, seed: 1 });
    for (const m of r.models) for (const d of m.divergences) console.error(formatDivergence(d));
    expect(r.ok).toBe(true);
    expect(r.models).toHaveLength(7);
    expect(r.instructions).toBeGreaterThan(10000);
  });

  it('on the extreme count pairs', () => {
    const models = [{ BRPs: 2, WRPs: 2 }, { BRPs: 16, WRPs: 2 }, { BRPs: 2, WRPs: 16 }, { BRPs: 16, WRPs: 16 }].map((c) => modelForCounts(plan, c));
    const r = verify(plan, generatedAsm(gen.files), models, { states: 20, seed: 7 });
    expect(r.ok).toBe(true);
  });
});
