// The real-toolchain cross-check: GNU as vs llvm-mc vs the simulator's own front end on the
// emitted assembly (words.ts), and the verifier's random states run on qemu-system-aarch64 (virt,
// EL2, and EL1 with emulated counts) compared exactly with the simulator configured as QEMU 7.2
// (cases.ts, simulate.ts, run.ts). `crosscheck()` is what `switchgen crosscheck` runs.
//
//   toolchain.ts   finding GNU binutils, llvm-mc, cpp and QEMU; running them with hard timeouts
//   assemblers.ts  GNU as and llvm-mc on one source, compared word by word (elf.ts reads the objects)
//   harness.ts     cases -> one bare-metal image (runtime.ts) -> one QEMU boot -> results
//   quirks.ts      what QEMU 7.2 does differently from the architecture, by name; qemuSimModel()
//   compare.ts     a predicted result against QEMU's, quirks applied by name
//   cases.ts       the verifier's random states as harness cases, under named rules
//   simulate.ts    the same cases on the simulator, at the image's addresses
//   words.ts       the simulator's words and decoder against GNU as's
//   run.ts         the whole cross-check; report.ts prints it; inputs.ts loads the table

export {
  INSTALL_HINT, MissingToolError, ToolStepError, findPreprocessor, findTool, missingTools, requirePreprocessor, requireTool,
  requireToolchain, runStep, runTool, which,
} from './toolchain.js';
export type { Preprocessor, RunResult, ToolName, Toolchain } from './toolchain.js';

export {
  assembleWithGnuAs, assembleWithLlvmMc, compareAssembled, crossAssemble, explainMismatch, parseGnuListing, preprocessAsm,
  readAssembledObject,
} from './assemblers.js';
export type {
  AsmSource, AssembledObject, AssembledSection, AssemblerMismatch, AssemblerName, CodeRelocation, CrossAssembleResult, SourcePos,
} from './assemblers.js';

export {
  HarnessInputError, QEMU_CPU_MODELS, buildImage, caseExceptionLevel, describeImageAddress, encodeCases, imageInfo, parseRunOutput,
  qemuArgv, runImage, runScenariosOnQemu, validateCases,
} from './harness.js';
export type {
  BuiltImage, FaultPhase, ImageInfo, ParsedCase, ParsedRun, QemuBootInfo, QemuCase, QemuCaseResult, QemuCpuModel, QemuFault, QemuRunInput,
  QemuRunReport,
} from './harness.js';

export { IMAGE_BASE, MAX_SYSREGS_PER_CASE, SCRATCH_BASE, SCRATCH_END } from './runtime.js';
export { QEMU_7_2_QUIRKS, debugRegisterExists, qemuReadBack, qemuSimModel, quirkFor } from './quirks.js';
export type { QemuReadBack, QemuRegisterQuirk } from './quirks.js';
export { compareWithQemu, normalizeCaseForQemu } from './compare.js';
export type { CompareOptions, Comparison, IgnoredMemory, ResultDifference } from './compare.js';
export { ElfFile, readLineTable } from './elf.js';

export { CASE_RULES, EMULATED_COUNT_MACROS, MIN_DEBUG_COUNT, debugSysregs, emulatedCountPairs, idWithCounts, planCases } from './cases.js';
export type { CasePlan, CaseRule, CountPair, CrosscheckCase } from './cases.js';
export { CaseSimulator, asQemuSees, compareCase } from './simulate.js';
export type { CaseCompareOptions, SimCaseResult } from './simulate.js';
export { checkWords, wordsOk } from './words.js';
export type { UndecodedWord, WordDifference, WordsCheck } from './words.js';
export { checkAssemblers, compactRegisterNames, crosscheck, placeProgram, writeSources } from './run.js';
export type { CaseMismatch, CrosscheckInput, CrosscheckReport, ModelReport, Oracle, QuirkUse, Sources } from './run.js';
export { detailLines, formatMismatch, pairsSummary, reportJson, summaryLine } from './report.js';
export { loadCrosscheckInputs } from './inputs.js';
export type { CrosscheckInputs } from './inputs.js';
