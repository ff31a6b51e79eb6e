// Library entry for verification: build the models under test from the table and CPU file
// (or every count pair), take the generated asm (or a user's), run verifyModels.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AsmPlan, CpuCounts } from '../plan/plan.js';
import { countsForCpu } from '../plan/plan.js';
import type { CpuModel } from '../table/model.js';
import type { OutputFile } from '../emit/files.js';
import { ASM_FILE } from '../emit/asm.js';
import { emitTsModelForCounts, syntheticCpu } from '../emit/ts.js';
import { loadTsModel } from '../model/load.js';
import { verifyModels, type AsmUnderTest, type IncludeSource, type ModelUnderTest, type VerifyOptions, type VerifyReport } from './verify.js';

export * from './verify.js';

/** Every count pair lo..hi for every id field a bank uses: 225 models for 2..16 × 2..16. */
export function allCountPairs(plan: AsmPlan, lo = 2, hi?: number): Record<string, number>[] {
  const fields = plan.table.idFields.filter((f) => plan.table.banks.some((b) => b.count === f));
  let combos: Record<string, number>[] = [{}];
  for (const f of fields) {
    const max = hi ?? Math.min(...plan.table.banks.filter((b) => b.count === f).map((b) => b.max));
    const next: Record<string, number>[] = [];
    for (const c of combos) for (let n = lo; n <= max; n++) next.push({ ...c, [f.name]: n });
    combos = next;
  }
  return combos;
}

/** A model under test for a CPU from the CPU file: TS emitted in memory from the same plan. */
export function modelForCpu(plan: AsmPlan, cpu: CpuModel): ModelUnderTest {
  const counts: CpuCounts = countsForCpu(plan.table, cpu);
  return { cpu: counts, ts: loadTsModel(emitTsModelForCounts(plan, counts.counts, { name: cpu.name }), `${cpu.name}.ts`) };
}

export function modelForCounts(plan: AsmPlan, counts: Record<string, number>): ModelUnderTest {
  const cpu = syntheticCpu(plan.table, counts);
  return { cpu, synthetic: true, ts: loadTsModel(emitTsModelForCounts(plan, counts, { name: cpu.name }), `${cpu.name}.ts`) };
}

/** The generated asm (from memory) with the generated headers as its includes. */
export function generatedAsm(files: OutputFile[]): AsmUnderTest & { includes: Map<string, string> } {
  const asm = files.find((f) => f.path === ASM_FILE);
  if (!asm) throw new Error(`${ASM_FILE} was not generated`);
  const includes = new Map(files.filter((f) => f.path.startsWith('include/')).map((f) => [basename(f.path), f.content]));
  return { path: basename(ASM_FILE), text: asm.content, includes };
}

/** A user's .S file: its own directory's headers first, then the generated ones. */
export function asmFromFile(file: string, files: OutputFile[]): AsmUnderTest {
  const generated = generatedAsm(files).includes;
  const dir = dirname(file);
  const includes: IncludeSource = {
    get(name) {
      try {
        return readFileSync(join(dir, name), 'utf8');
      } catch {
        return generated.get(name);
      }
    },
  };
  return { path: basename(file), text: readFileSync(file, 'utf8'), includes };
}

export function verify(plan: AsmPlan, asm: AsmUnderTest, models: ModelUnderTest[], opts: VerifyOptions): VerifyReport {
  return verifyModels(plan, asm, models, opts);
}
