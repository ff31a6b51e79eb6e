// The cross-check of the generated macros against the real toolchain, end to end:
//   1. the verifier's driver around the macros, assembled by GNU as, llvm-mc and the simulator's
//      own front end: the same words, every one decoded by the simulator's decoder;
//   2. per CPU model QEMU models: the verifier's random states (cases.ts) run on
//      qemu-system-aarch64 at EL2 (and at EL1 with emulated counts), and the same cases run on the
//      simulator configured as QEMU 7.2 and placed where the linked image is: results must match
//      exactly. With --asm FILE the QEMU results are also compared with the generated macros on
//      the simulator (the reference), so a broken FILE fails even though the simulator, running
//      FILE, agrees with QEMU about what FILE does.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

import type { OutputFile } from '../emit/files.js';
import type { AsmPlan, CpuCounts, MacroName } from '../plan/plan.js';
import { countsForCpu } from '../plan/plan.js';
import type { Program } from '../sim/index.js';
import type { CpuModel } from '../table/model.js';
import { asmFromFile, generatedAsm } from '../verify/index.js';
import { nameAddress } from '../verify/layout.js';
import { assembleForVerify, driverLinkRegister, driverSource, ROUTINES, type AsmUnderTest } from '../verify/verify.js';
import { planCases, type CaseRule, type CrosscheckCase } from './cases.js';
import type { ResultDifference } from './compare.js';
import { HarnessInputError, runScenariosOnQemu, type ImageInfo, type QemuCaseResult } from './harness.js';
import { QEMU_7_2_QUIRKS, quirkFor } from './quirks.js';
import { CaseSimulator, compareCase, type SimCaseResult } from './simulate.js';
import { requireToolchain, ToolStepError, type Toolchain } from './toolchain.js';
import { checkWords, wordsOk, type WordsCheck } from './words.js';

export interface CrosscheckInput {
  plan: AsmPlan;
  /** The generated outputs (in memory): the macros and the headers the driver includes. */
  files: OutputFile[];
  /** CPU models from the CPU file; each must name its QEMU model (`qemu:`). */
  cpus: CpuModel[];
  /** Random states per routine (and, for the emulated counts, per bank routine). */
  states: number;
  seed: number;
  /** Check this .S instead of the generated macros; its directory is searched for #includes first. */
  asmFile?: string;
  toolchain?: Toolchain;
  /** Keep the build directories here instead of a deleted temporary directory. */
  workDir?: string;
  /** QEMU runs at a time (default: the machine's parallelism, at most the number of models). */
  concurrency?: number;
  /** Mismatching cases listed per model (all are counted). */
  maxListed?: number;
  onProgress?: (message: string) => void;
  /** performance.now() when the caller started (the report's wall time counts from there). */
  startedAt?: number;
}

export type Oracle = 'simulator' | 'reference';

export interface CaseMismatch {
  cpu: string;
  routine: MacroName;
  counts: Record<string, number>;
  emulated: boolean;
  /** Which prediction QEMU disagrees with: the simulator running the same asm, or the generated macros. */
  oracle: Oracle;
  stream: string;
  index: number;
  differences: ResultDifference[];
  /** The asm line that last wrote the first differing location, in the oracle's simulator run. */
  lastWriter?: string;
  qemuFault?: string;
}

export interface ModelReport {
  cpu: string;
  qemuCpu: string;
  idAa64dfr0: bigint;
  bootIdAa64dfr0?: bigint;
  counts: Record<string, number>;
  cases: number;
  el2Cases: number;
  el1Cases: number;
  /** Count pairs run with emulated counts (EL1, TID3). */
  pairs: Record<string, number>[];
  mismatchedCases: number;
  mismatches: CaseMismatch[];
  /** Problems with the model as a whole (counts QEMU reports, image layout): each fails the run. */
  problems: string[];
  /** Facts worth knowing that do not fail the run. */
  notes: string[];
  timing: { buildMs: number; qemuMs: number; simMs: number; boots: number; wallMs: number };
}

export interface QuirkUse {
  id: string;
  description: string;
  /** The registers of this run it covered, compacted (e.g. dbgbcr0..5_el1). */
  registers: string[];
  /** Initial values it changed (what the simulator and QEMU both start from). */
  valuesChanged: number;
  /** Read-backs it made unobservable (registers QEMU does not model). */
  hidden: number;
}

export interface CrosscheckReport {
  ok: boolean;
  seed: number;
  states: number;
  /** The asm checked, as the user named it. */
  asm: string;
  /** Set with --asm: the generated macros, which QEMU's results are also held against. */
  reference?: string;
  words: WordsCheck;
  models: ModelReport[];
  quirks: QuirkUse[];
  rules: CaseRule[];
  wallMs: number;
}

/** Where the driver and what it includes were written, for cpp, the assemblers and the harness. */
export interface Sources {
  dir: string;
  driver: string;
  includeDirs: string[];
  asm: AsmUnderTest;
  reference?: AsmUnderTest;
  show: (file: string) => string;
  /** Temporary paths inside a message turned into the names the user knows. */
  scrub: (text: string) => string;
}

/** The driver, the headers and (for the generated macros) the .S, written where cpp finds them. */
export async function writeSources(dir: string, plan: AsmPlan, files: OutputFile[], asmFile?: string): Promise<Sources> {
  const gen = generatedAsm(files);
  const incDir = join(dir, 'include');
  const asmDir = join(dir, 'asm');
  await mkdir(incDir, { recursive: true });
  await mkdir(asmDir, { recursive: true });
  for (const [name, text] of gen.includes) await writeFile(join(incDir, name), text);
  await writeFile(join(asmDir, gen.path), gen.text);
  const asm = asmFile ? asmFromFile(asmFile, files) : gen;
  const driver = join(dir, 'crosscheck-driver.S');
  await writeFile(driver, driverSource(plan, asm.path, 'asm-offsets-sim.h'));
  const includeDirs = asmFile ? [dirname(resolve(asmFile)), incDir] : [asmDir, incDir];
  const show = (file: string): string => {
    if (file === driver) return '<crosscheck-driver>.S';
    for (const d of [incDir, asmDir]) if (file.startsWith(`${d}/`)) return file.slice(d.length + 1);
    return file;
  };
  const scrub = (text: string) => text.split(driver).join('<crosscheck-driver>.S').split(`${incDir}/`).join('').split(`${asmDir}/`).join('');
  return { dir, driver, includeDirs, asm, ...(asmFile ? { reference: gen } : {}), show, scrub };
}

/**
 * Check 1 alone: the driver around the asm (the generated macros, or `asmFile`) assembled by GNU
 * as, llvm-mc and the simulator, and GNU as's words decoded by the simulator.
 */
export async function checkAssemblers(input: Pick<CrosscheckInput, 'plan' | 'files' | 'asmFile' | 'toolchain' | 'workDir'>): Promise<WordsCheck> {
  const tc = input.toolchain ?? requireToolchain(['gnu-as', 'llvm-mc', 'objdump', 'cpp']);
  const root = input.workDir ?? (await mkdtemp(join(tmpdir(), 'switchgen-crosscheck-')));
  try {
    const src = await writeSources(join(root, 'src'), input.plan, input.files, input.asmFile);
    return await checkWords(tc, { path: src.driver, includeDirs: src.includeDirs }, assembleForVerify(input.plan, src.asm), src.show);
  } finally {
    if (!input.workDir) await rm(root, { recursive: true, force: true });
  }
}

/** The simulator's program placed where the image has the same code (found by a routine label). */
export function placeProgram(plan: AsmPlan, asm: AsmUnderTest, image: ImageInfo): Program {
  const probe = assembleForVerify(plan, asm);
  const label = ROUTINES[0]!.label;
  const at = image.symbols.get(label);
  if (at === undefined) throw new Error(`the linked image defines no ${label}`);
  return assembleForVerify(plan, asm, { base: at - (probe.symbol(label) - probe.base) });
}

/** Every label the simulator's program defines is at the image's address, and the words are the image's. */
function layoutProblems(program: Program, image: ImageInfo): string[] {
  const problems: string[] = [];
  for (const [name, addr] of program.symbols) {
    const there = image.symbols.get(name);
    if (there !== addr) problems.push(`label ${name}: simulator 0x${addr.toString(16)}, linked image ${there === undefined ? 'none' : `0x${there.toString(16)}`}`);
  }
  const first = Number((program.base - image.text.addr) / 4n);
  for (let i = 0; i < program.length; i++) {
    const w = image.text.words[first + i];
    if (w !== program.words[i]) {
      problems.push(
        `word at 0x${program.addressOf(i).toString(16)}: simulator 0x${program.words[i]!.toString(16).padStart(8, '0')} [${program.texts[i]}], ` +
          `linked image ${w === undefined ? 'none' : `0x${w.toString(16).padStart(8, '0')}`}`,
      );
      break;
    }
  }
  return problems.slice(0, 5);
}

function deferred<T>() {
  let resolveFn!: (v: T) => void;
  let rejectFn!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolveFn = res;
    rejectFn = rej;
  });
  return { promise, resolve: resolveFn, reject: rejectFn };
}

const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

/** A memory difference's address, from compareWithQemu's `where` ("memory 0x..."). */
function memoryAddress(d: ResultDifference): bigint | undefined {
  const m = /^memory (0x[0-9a-f]+)$/.exec(d.where);
  return m ? BigInt(m[1]!) : undefined;
}

interface QuirkTally {
  regs: Set<string>;
  changed: number;
  hidden: number;
}

async function checkModel(
  input: CrosscheckInput, src: Sources, tc: Toolchain, cpu: CpuModel, root: string, tally: Map<string, QuirkTally>, rules: Map<string, CaseRule>,
): Promise<ModelReport> {
  const started = performance.now();
  const { plan } = input;
  const counts: CpuCounts = countsForCpu(plan.table, cpu);
  const cpuId = counts.idRegisters['ID_AA64DFR0_EL1'] ?? 0n;
  const casePlan = planCases(plan, counts, { states: input.states, seed: input.seed });
  const { cases, layout } = casePlan;
  for (const r of casePlan.rules) rules.set(r.id, r);
  tallyQuirks(cases, tally);
  const report: ModelReport = {
    cpu: cpu.name, qemuCpu: cpu.qemu!, idAa64dfr0: cpuId, counts: counts.counts,
    cases: cases.length, el2Cases: cases.filter((c) => !c.emulated).length, el1Cases: cases.filter((c) => c.emulated).length,
    pairs: casePlan.pairs.map((p) => p.counts), mismatchedCases: 0, mismatches: [], problems: [], notes: [],
    timing: { buildMs: 0, qemuMs: 0, simMs: 0, boots: 0, wallMs: 0 },
  };
  input.onProgress?.(`${cpu.name}: ${cases.length} cases on QEMU -cpu ${cpu.qemu}`);

  const imageReady = deferred<ImageInfo>();
  const qemuRun = runScenariosOnQemu({
    cpu: cpu.qemu!, includes: [], driver: src.driver, includeDirs: src.includeDirs, toolchain: tc,
    cases: cases.map((c) => c.qemu), workDir: join(root, cpu.name), onImage: (i) => imageReady.resolve(i),
  });
  qemuRun.catch((e: unknown) => imageReady.reject(e));
  // A QEMU that cannot run the model (e.g. an older one without that -cpu) fails this model, not the run.
  const qemuFailed = (e: unknown): ModelReport => {
    if (e instanceof ToolStepError || e instanceof HarnessInputError) throw e;
    report.problems.push(`QEMU -cpu ${cpu.qemu} could not run the cases: ${src.scrub((e as Error).message)}`);
    report.timing.wallMs = performance.now() - started;
    return report;
  };
  let image: ImageInfo;
  try {
    image = await imageReady.promise;
  } catch (e) {
    return qemuFailed(e);
  }

  // While QEMU runs: the same cases on the simulator, at the image's addresses.
  const simStarted = performance.now();
  const program = placeProgram(plan, src.asm, image);
  report.problems.push(...layoutProblems(program, image).map((p) => `the simulator's program and the linked image differ: ${p}`));
  const sim = new CaseSimulator(program, cpuId, layout);
  const refSim = src.reference ? new CaseSimulator(placeProgram(plan, src.reference, image), cpuId, layout) : undefined;
  const expected: SimCaseResult[] = [];
  const reference: SimCaseResult[] = [];
  for (let i = 0; i < cases.length; i++) {
    expected.push(sim.run(cases[i]!.qemu));
    if (refSim) reference.push(refSim.run(cases[i]!.qemu));
    if (i % 256 === 255) await yieldToEvents();
  }
  report.timing.simMs = performance.now() - simStarted;

  let qemu: Awaited<typeof qemuRun>;
  try {
    qemu = await qemuRun;
  } catch (e) {
    return qemuFailed(e);
  }
  report.timing.buildMs = qemu.timing.buildMs;
  report.timing.qemuMs = qemu.timing.qemuMs;
  report.timing.boots = qemu.timing.boots;
  report.bootIdAa64dfr0 = qemu.boot.idAa64dfr0;
  if (qemu.boot.idAa64dfr0 !== cpuId) {
    // The counts must agree (they decide what the macros do); other fields are only noted: the
    // exact comparison of every case would show any effect they had.
    const said = `QEMU -cpu ${cpu.qemu} reports ID_AA64DFR0_EL1 0x${qemu.boot.idAa64dfr0.toString(16)}, the CPU file 0x${cpuId.toString(16)} for ${cpu.name}`;
    const fields = plan.table.idFields.filter((f) => f.register === 'ID_AA64DFR0_EL1');
    const mask = fields.reduce((m, f) => m | (((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb)), 0n);
    const diff = qemu.boot.idAa64dfr0 ^ cpuId;
    if (diff & mask) report.problems.push(`${said}: they differ in ${fields.filter((f) => (diff >> BigInt(f.lsb)) & ((1n << BigInt(f.width)) - 1n)).map((f) => f.name).join(', ')}`);
    else report.notes.push(`${said}: they differ only in bits 0x${diff.toString(16)}, outside the table's id fields (${fields.map((f) => f.name).join(', ')})`);
  }
  if (qemu.boot.currentEl !== 2) report.problems.push(`QEMU -cpu ${cpu.qemu} entered the image at EL${qemu.boot.currentEl}, not EL2`);

  const lr = driverLinkRegister(plan);
  const describeMemory = (addr: bigint) => nameAddress(layout, plan, addr);
  const maxListed = input.maxListed ?? 5;
  cases.forEach((c: CrosscheckCase, i) => {
    const actual: QemuCaseResult = qemu.results[i]!;
    const el = actual.exceptionLevel;
    const returnAddress = image.returnAddresses[el];
    const found: { oracle: Oracle; differences: ResultDifference[]; sim: CaseSimulator }[] = [];
    const own = compareCase(expected[i]!, actual, { returnAddress, describeMemory, comparePc: true });
    if (c.emulated && actual.idRegisterTraps === 0 && !actual.fault) {
      own.differences.push({ where: 'ID_AA64DFR0_EL1', message: 'the routine never read ID_AA64DFR0_EL1 at EL1, so the emulated counts were not exercised' });
    }
    if (own.differences.length) found.push({ oracle: 'simulator', differences: own.differences, sim });
    if (refSim) {
      const ignoreGprs: Record<number, string> = {};
      for (const r of new Set([...plan.clobbers[c.spec.macro], 30, ...(c.spec.calls ? [lr] : [])])) {
        ignoreGprs[r] = `x${r} may differ from the generated macros' (in ${c.spec.macro}'s clobber set, or the driver's link register)`;
      }
      const ref = compareCase(reference[i]!, actual, { returnAddress, describeMemory, ignoreGprs, comparePc: false });
      if (ref.differences.length) found.push({ oracle: 'reference', differences: ref.differences, sim: refSim });
    }
    if (!found.length) return;
    report.mismatchedCases++;
    if (report.mismatches.length >= maxListed) return;
    // The reference's verdict is the one that says the asm is wrong; list it first.
    found.sort((a, b) => (a.oracle === 'reference' ? -1 : 0) - (b.oracle === 'reference' ? -1 : 0));
    for (const f of found) {
      const first = f.differences[0]!;
      f.sim.run(c.qemu); // again, for the last-writer records of this case
      const addr = memoryAddress(first);
      const lastWriter = addr !== undefined ? f.sim.lastWriter({ addr: addr }) : first.where in c.qemu.sysregs ? f.sim.lastWriter({ sysreg: first.where }) : undefined;
      report.mismatches.push({
        cpu: cpu.name, routine: c.spec.macro, counts: c.counts, emulated: c.emulated, oracle: f.oracle, stream: c.stream, index: c.index,
        differences: f.differences.slice(0, 5).map((d) => ({ ...d, message: src.scrub(d.message) })),
        ...(lastWriter ? { lastWriter } : {}),
        ...(actual.fault ? { qemuFault: src.scrub(actual.fault.message) } : {}),
      });
    }
  });
  report.timing.wallMs = performance.now() - started;
  input.onProgress?.(`${cpu.name}: done`);
  return report;
}

/** Registers named like dbgbcr0_el1 .. dbgbcr5_el1 become dbgbcr0..5_el1. */
export function compactRegisterNames(names: Iterable<string>): string[] {
  const groups = new Map<string, number[]>();
  const singles: string[] = [];
  for (const n of new Set(names)) {
    const m = /^([a-z]+)(\d+)(_el\d)$/.exec(n);
    if (!m || ['ttbr', 'afsr', 'tpidr'].includes(m[1]!)) {
      singles.push(n);
      continue;
    }
    const key = `${m[1]}\u0000${m[3]}`;
    groups.set(key, [...(groups.get(key) ?? []), Number(m[2])]);
  }
  const out = [...singles];
  for (const [key, ns] of groups) {
    const [stem, suffix] = key.split('\u0000') as [string, string];
    ns.sort((a, b) => a - b);
    const contiguous = ns.every((n, i) => i === 0 || n === ns[i - 1]! + 1);
    out.push(ns.length === 1 ? `${stem}${ns[0]}${suffix}` : contiguous ? `${stem}${ns[0]}..${ns[ns.length - 1]}${suffix}` : `${stem}{${ns.join(',')}}${suffix}`);
  }
  return out.sort();
}

/** Which quirks the cases meet, the registers they cover and how often they matter. */
function tallyQuirks(cases: CrosscheckCase[], uses: Map<string, QuirkTally>): void {
  for (const c of cases) {
    for (const [name, v] of Object.entries(c.qemu.sysregs)) {
      const q = quirkFor(name);
      if (!q) continue;
      const u = uses.get(q.id) ?? { regs: new Set<string>(), changed: 0, hidden: 0 };
      uses.set(q.id, u);
      u.regs.add(name);
      const rb = q.readBack(v);
      if (rb === undefined) u.hidden++;
      else if (rb !== v) u.changed++;
    }
  }
}

function quirkUses(uses: Map<string, QuirkTally>): QuirkUse[] {
  return QEMU_7_2_QUIRKS.filter((q) => uses.has(q.id)).map((q) => {
    const u = uses.get(q.id)!;
    return { id: q.id, description: q.description, registers: compactRegisterNames(u.regs), valuesChanged: u.changed, hidden: u.hidden };
  });
}

/**
 * Run the whole cross-check. Throws MissingToolError when a tool is missing, SimError when the
 * asm does not assemble in the simulator, and Error for a tool failure (e.g. GNU as rejecting it).
 */
export async function crosscheck(input: CrosscheckInput): Promise<CrosscheckReport> {
  const started = input.startedAt ?? performance.now();
  if (!input.cpus.length) throw new Error('no CPU models to cross-check');
  const noQemu = input.cpus.filter((c) => !c.qemu);
  if (noQemu.length) throw new Error(`${noQemu.map((c) => c.name).join(', ')}: the CPU file names no QEMU model (qemu:)`);
  const tc = input.toolchain ?? requireToolchain(['gnu-as', 'gnu-ld', 'objdump', 'llvm-mc', 'qemu', 'cpp']);
  const root = input.workDir ?? (await mkdtemp(join(tmpdir(), 'switchgen-crosscheck-')));
  await mkdir(root, { recursive: true });
  try {
    const src = await writeSources(join(root, 'src'), input.plan, input.files, input.asmFile);
    input.onProgress?.('assembling with GNU as, llvm-mc and the simulator');
    const words = await checkWords(tc, { path: src.driver, includeDirs: src.includeDirs }, assembleForVerify(input.plan, src.asm), src.show);

    const models: ModelReport[] = new Array(input.cpus.length);
    const tally = new Map<string, QuirkTally>();
    const rules = new Map<string, CaseRule>();
    const limit = Math.max(1, Math.min(input.concurrency ?? availableParallelism(), input.cpus.length));
    let next = 0;
    const worker = async () => {
      while (next < input.cpus.length) {
        const k = next++;
        models[k] = await checkModel(input, src, tc, input.cpus[k]!, root, tally, rules);
      }
    };
    // allSettled: a model that throws must not leave another's QEMU writing into the work directory.
    for (const w of await Promise.allSettled(Array.from({ length: limit }, worker))) if (w.status === 'rejected') throw w.reason;

    const ok = wordsOk(words) && models.every((m) => m.mismatchedCases === 0 && m.problems.length === 0);
    return {
      ok, seed: input.seed, states: input.states,
      asm: input.asmFile ?? basename(src.asm.path),
      ...(src.reference ? { reference: `${src.reference.path} (generated)` } : {}),
      words, models, quirks: quirkUses(tally), rules: [...rules.values()],
      wallMs: performance.now() - started,
    };
  } finally {
    if (!input.workDir) await rm(root, { recursive: true, force: true });
  }
}
