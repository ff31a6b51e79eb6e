// What the cross-check reads: the table and CPU file, lowered to the plan, and the files it
// assembles (the macros and the headers, exactly as `switchgen generate` writes them; the
// TypeScript models are not needed, and emitting them would cost a second).

import { ASM_FILE, emitAsm, emitHeader, emitSimOffsets, HEADER_FILE, SIM_OFFSETS_FILE } from '../emit/asm.js';
import type { OutputFile } from '../emit/files.js';
import { loadInputs, regenerateCommand, type Inputs } from '../index.js';
import { displayPath } from '../paths.js';
import { planTable, type AsmPlan } from '../plan/plan.js';
import { hasErrors, type Diagnostic } from '../table/diagnostics.js';
import type { CpuModel } from '../table/model.js';

export interface CrosscheckInputs {
  diagnostics: Diagnostic[];
  /** Absent when the table or CPU file has errors. */
  plan?: AsmPlan;
  files: OutputFile[];
  cpus: CpuModel[];
}

export function loadCrosscheckInputs(inputs: Inputs): CrosscheckInputs {
  const loaded = loadInputs(inputs);
  if (hasErrors(loaded.diagnostics) || !loaded.table || !loaded.cpus) return { diagnostics: loaded.diagnostics, files: [], cpus: [] };
  const plan = planTable(loaded.table);
  const prov = { tableSource: displayPath(inputs.table), tableName: loaded.table.name, regenerate: regenerateCommand(inputs) };
  return {
    diagnostics: loaded.diagnostics,
    plan,
    files: [
      { path: ASM_FILE, content: emitAsm(plan, prov) },
      { path: HEADER_FILE, content: emitHeader(plan, prov) },
      { path: SIM_OFFSETS_FILE, content: emitSimOffsets(plan, prov) },
    ],
    cpus: loaded.cpus.cpus,
  };
}
