// The real-toolchain cross-check: GNU as vs llvm-mc on the emitted assembly, and scenarios run
// on qemu-system-aarch64 (virt, EL2) compared with what the project predicts.

export {
  INSTALL_HINT, MissingToolError, findPreprocessor, findTool, missingTools, requirePreprocessor, requireTool,
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
  HarnessInputError, QEMU_CPU_MODELS, buildImage, caseExceptionLevel, describeImageAddress, encodeCases, parseRunOutput,
  qemuArgv, runImage, runScenariosOnQemu, validateCases,
} from './harness.js';
export type {
  BuiltImage, FaultPhase, ParsedCase, ParsedRun, QemuBootInfo, QemuCase, QemuCaseResult, QemuCpuModel, QemuFault, QemuRunInput,
  QemuRunReport,
} from './harness.js';

export { IMAGE_BASE, MAX_SYSREGS_PER_CASE, SCRATCH_BASE, SCRATCH_END } from './runtime.js';
export { QEMU_7_2_QUIRKS, debugRegisterExists, qemuReadBack } from './quirks.js';
export type { QemuReadBack, QemuRegisterQuirk } from './quirks.js';
export { compareWithQemu, normalizeCaseForQemu } from './compare.js';
export type { CompareOptions, Comparison, IgnoredMemory, ResultDifference } from './compare.js';
export { ElfFile, readLineTable } from './elf.js';
