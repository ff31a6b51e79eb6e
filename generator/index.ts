// The switchgen library: everything the CLI does, as plain functions. The CLI only parses
// arguments, calls these, prints and sets the exit code.
import type { Diagnostic } from './table/diagnostics.js';
import { hasErrors } from './table/diagnostics.js';
import { loadCpus, loadTable } from './table/load.js';
import type { CpuFile, Table } from './table/model.js';
import { countsForCpu, planTable, type AsmPlan } from './plan/plan.js';
import { ASM_FILE, emitAsm, emitHeader, emitSimOffsets, HEADER_FILE, SIM_OFFSETS_FILE, type Provenance } from './emit/asm.js';
import type { OutputFile } from './emit/files.js';
import { emitTsIndex, emitTsModel, TS_INDEX_FILE, tsModelFile } from './emit/ts.js';
import { DEFAULT_CPUS, DEFAULT_TABLE, displayPath } from './paths.js';
import { resolve } from 'node:path';
import { provenanceUnsafe } from './build/inputs.js';

export { loadTable, loadCpus, parseTable, parseCpus, must } from './table/load.js';
export { planTable } from './plan/plan.js';
export { emitAsm, emitHeader, emitSimOffsets } from './emit/asm.js';
export { emitTsModel, emitTsModelForCounts, emitTsIndex, syntheticCpu, tsModelForCounts, tsModelFile, TS_INDEX_FILE } from './emit/ts.js';
export type { TsEmitOptions } from './emit/ts.js';
export { loadTsModel, ModelLoadError } from './model/load.js';
export { SimpleMachine, MachineFault } from './model/machine.js';
export type { MachineState, MachineAccess, SimpleMachineOptions } from './model/machine.js';
export { MODEL_FUNCTIONS, MODEL_CONSTANTS } from './model/switch-model.js';
export type { SwitchModel, SwitchedRegister } from './model/switch-model.js';
export { formatDiagnostics, InputError } from './table/diagnostics.js';
export type { Diagnostic } from './table/diagnostics.js';
export { DEFAULT_CPUS, DEFAULT_OUT, DEFAULT_TABLE } from './paths.js';

export interface Inputs {
  table: string;
  cpus: string;
}

export interface LoadedInputs {
  table?: Table;
  cpus?: CpuFile;
  diagnostics: Diagnostic[];
}

export function resolveInputs(opts: Partial<Inputs>): Inputs {
  return { table: opts.table ?? DEFAULT_TABLE, cpus: opts.cpus ?? DEFAULT_CPUS };
}

/** parse → validate both files; the CPU file is validated against the table's id fields. */
export function loadInputs(inputs: Inputs): LoadedInputs {
  const t = loadTable(inputs.table);
  if (!t.value) return { diagnostics: t.diagnostics };
  const c = loadCpus(inputs.cpus, t.value);
  const diagnostics = [...t.diagnostics, ...c.diagnostics];
  return c.value ? { table: t.value, cpus: c.value, diagnostics } : { table: t.value, diagnostics };
}

/**
 * The command that regenerates these outputs, as written into every generated file. The output
 * directory is left out on purpose: the same inputs give the same bytes wherever they are written
 * (generated/ here, or a copy in a kernel tree).
 */
export function regenerateCommand(inputs: Inputs): string {
  const parts = ['npx switchgen generate'];
  if (resolve(inputs.table) !== resolve(DEFAULT_TABLE)) parts.push(`--table ${displayPath(inputs.table)}`);
  if (resolve(inputs.cpus) !== resolve(DEFAULT_CPUS)) parts.push(`--cpus ${displayPath(inputs.cpus)}`);
  return parts.join(' ');
}

export interface Generated {
  files: OutputFile[];
  diagnostics: Diagnostic[];
  plan?: AsmPlan;
}

/** Every output, in memory, in a fixed order. Nothing is written here. */
export interface GenerateOptions {
  /**
   * Which outputs to produce, by path inside the output directory (all when omitted). `emit asm`
   * asks for one file and so skips the TypeScript models, whose emitter is the costly part.
   */
  only?: (path: string) => boolean;
}

export function generateAll(inputs: Inputs, opts: GenerateOptions = {}): Generated {
  const want = opts.only ?? (() => true);
  // The input paths are quoted in every generated header: refuse one that could end a comment.
  const unsafe = (['table', 'cpus'] as const).flatMap((k) => {
    const why = provenanceUnsafe(inputs[k]);
    return why ? [{ file: displayPath(inputs[k]), line: 0, col: 0, severity: 'error' as const, message: `${why}, so this path cannot be quoted in the generated files' headers` }] : [];
  });
  if (unsafe.length) return { files: [], diagnostics: unsafe };
  const loaded = loadInputs(inputs);
  if (!loaded.table || !loaded.cpus || hasErrors(loaded.diagnostics)) return { files: [], diagnostics: loaded.diagnostics };
  const plan = planTable(loaded.table);
  const prov: Provenance = {
    tableSource: displayPath(inputs.table),
    tableName: loaded.table.name,
    regenerate: regenerateCommand(inputs),
  };
  const files: OutputFile[] = [];
  if (want(ASM_FILE)) files.push({ path: ASM_FILE, content: emitAsm(plan, prov) });
  if (want(HEADER_FILE)) files.push({ path: HEADER_FILE, content: emitHeader(plan, prov) });
  if (want(SIM_OFFSETS_FILE)) files.push({ path: SIM_OFFSETS_FILE, content: emitSimOffsets(plan, prov) });
  // The TypeScript models (one per CPU) and their index, in sorted path order. They import
  // generator/model/ as seen from generated/ts/, whatever the output directory.
  const table = loaded.table;
  const tsFiles: OutputFile[] = loaded.cpus.cpus
    .filter((cpu) => want(tsModelFile(cpu.name)))
    .map((cpu) => ({ path: tsModelFile(cpu.name), content: emitTsModel(plan, countsForCpu(table, cpu), prov) }));
  if (want(TS_INDEX_FILE)) tsFiles.push({ path: TS_INDEX_FILE, content: emitTsIndex(loaded.cpus.cpus.map((c) => c.name), prov) });
  files.push(...tsFiles.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  return { files, diagnostics: loaded.diagnostics, plan };
}
