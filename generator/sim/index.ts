// The bundled AArch64 simulator: assemble emitted .S text, run it on a CPU model, check the result.
//
// Passes: preprocess (cpp subset) -> assemble (GNU as front end, real A64 words) -> decode (word ->
// operation) -> compile (straight-line runs -> JS functions) -> machine (run loop). The simulator
// reads emitted text only, like an assembler; it never imports the generator's plan.

export { SimError, SimFault, formatLoc, formatPos } from './errors.js';
export type { SourceLoc, SourcePos, ExpansionFrame, FaultKind } from './errors.js';
export { preprocess } from './preprocess.js';
export type { SourceFile, IncludeResolver, PreprocessOptions, PpLine } from './preprocess.js';
export { assembleProgram, assembleLines, DEFAULT_BASE } from './assemble.js';
export type { AssembleOptions } from './assemble.js';
export { Program } from './program.js';
export type { WordKind } from './program.js';
export { encodeBitmask, knownMnemonics } from './encode.js';
export { decode, formOf, describe } from './decode.js';
export type { Decoded } from './decode.js';
export { Machine, RETURN_SENTINEL, DEFAULT_MAX_STEPS } from './machine.js';
export type { RunResult, RunOptions, MachineOptions, MemoryRegionInit, WriterInfo } from './machine.js';
export { CpuModel, SYSREGS, lookupSysReg, sysRegByName, sysRegName, genericName, qemu72DebugQuirks, DFR0, ALL_BITS, MAX_BANK } from './sysregs.js';
export type { SysRegDef, SysRegEncoding, CpuModelOptions, BankCount } from './sysregs.js';
export { lintProgram, lintSource } from './lint.js';
export type { LintEntry, LintReport } from './lint.js';
export { runScenario } from './scenario.js';
export type { ScenarioOptions } from './scenario.js';
