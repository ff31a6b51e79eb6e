// Every count pair the architecture allows (2..16 breakpoints × 2..16 watchpoints): the
// generated asm in the bundled simulator agrees with a TS model specialised to that pair.
import { describe, expect, it } from 'vitest';
import { generateAll, resolveInputs } from '../../generator/index.js';
import { allCountPairs, formatDivergence, generatedAsm, modelForCounts, verify } from '../../generator/verify/index.js';

describe('verify --counts all', () => {
  it('covers 225 count pairs and they all agree', () => {
    const gen = generateAll(resolveInputs({}));
    const plan = gen.plan!;
    const pairs = allCountPairs(plan);
    expect(pairs).toHaveLength(225);
    expect(pairs[0]).toEqual({ BRPs: 2, WRPs: 2 });
    expect(pairs[224]).toEqual({ BRPs: 16, WRPs: 16 });
    const r = verify(plan, generatedAsm(gen.files), pairs.map((c) => modelForCounts(plan, c)), { states: 6, seed: 225 });
    const report = r.models.flatMap((m) => m.divergences).map(formatDivergence).join('\n');
    expect(report).toBe('');
    expect(r.models.every((m) => m.runs === 60)).toBe(true);
  }, 120_000);
});
