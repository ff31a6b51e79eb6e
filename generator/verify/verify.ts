// The checker: run the emitted assembly in the bundled simulator and the generated TypeScript
// model on the same seeded random states, and compare every context slot, every system
// register, the flags word, and every general-purpose register the macro promised to keep.
// The simulator reads only the emitted text; the TS model only the plan. Neither sees the other.
import type { AsmPlan, MacroName, CpuCounts } from '../plan/plan.js';
import type { SwitchModel } from '../model/switch-model.js';
import { MachineFault, type MachineState } from '../model/machine.js';
import { assembleProgram, CpuModel, Machine, SimError, SimFault, SYSREGS, formatLoc, type Program } from '../sim/index.js';
import { layoutFor, nameAddress, type Layout } from './layout.js';
import { Rng } from './rng.js';

/** One routine the verifier enters: a driver label around one generated macro. */
export interface RoutineSpec {
  macro: MacroName;
  label: string;
  ts: keyof Pick<
    SwitchModel,
    | 'saveSysregs'
    | 'restoreSysregs'
    | 'saveDebug'
    | 'restoreDebug'
    | 'saveGuest32bitSysregs'
    | 'restoreGuest32bitSysregs'
    | 'vcpuRunDebugSaveHost'
    | 'vcpuRunDebugRestoreGuest'
    | 'vcpuReturnDebugSaveGuest'
    | 'vcpuReturnDebugRestoreHost'
  >;
  /** Which context x2 points at. */
  context: 'host' | 'guest';
  /** TS signature: (m, ctxt) or (m, vcpu, ctxt). */
  takesVcpu: boolean;
  /** The macro calls `bl`, so the driver keeps the return address in a spare register. */
  calls: boolean;
}

export const ROUTINES: readonly RoutineSpec[] = [
  { macro: 'save_sysregs', label: 'verify_save_sysregs', ts: 'saveSysregs', context: 'host', takesVcpu: false, calls: false },
  { macro: 'restore_sysregs', label: 'verify_restore_sysregs', ts: 'restoreSysregs', context: 'guest', takesVcpu: false, calls: false },
  { macro: 'save_debug', label: 'verify_save_debug', ts: 'saveDebug', context: 'host', takesVcpu: false, calls: false },
  { macro: 'restore_debug', label: 'verify_restore_debug', ts: 'restoreDebug', context: 'guest', takesVcpu: false, calls: false },
  { macro: 'save_guest_32bit_sysregs', label: 'verify_save_guest_32bit', ts: 'saveGuest32bitSysregs', context: 'guest', takesVcpu: true, calls: false },
  { macro: 'restore_guest_32bit_sysregs', label: 'verify_restore_guest_32bit', ts: 'restoreGuest32bitSysregs', context: 'guest', takesVcpu: true, calls: false },
  { macro: 'vcpu_run_debug_save_host', label: 'verify_vcpu_run_save_host', ts: 'vcpuRunDebugSaveHost', context: 'host', takesVcpu: true, calls: true },
  { macro: 'vcpu_run_debug_restore_guest', label: 'verify_vcpu_run_restore_guest', ts: 'vcpuRunDebugRestoreGuest', context: 'guest', takesVcpu: true, calls: true },
  { macro: 'vcpu_return_debug_save_guest', label: 'verify_vcpu_return_save_guest', ts: 'vcpuReturnDebugSaveGuest', context: 'guest', takesVcpu: true, calls: true },
  { macro: 'vcpu_return_debug_restore_host', label: 'verify_vcpu_return_restore_host', ts: 'vcpuReturnDebugRestoreHost', context: 'host', takesVcpu: true, calls: true },
];

/** A register no role uses, to hold the driver's return address around macros that `bl`. */
export function driverLinkRegister(plan: AsmPlan): number {
  const r = plan.table.roles;
  const used = new Set<number>([r.vcpu, r.context, r.base, ...r.values, ...r.aarch32Values, r.aarch32Tmp, ...r.bankValues, r.lazyValue, r.id, ...r.skip, r.branch, r.flagsTmp, ...r.dirty, 30]);
  for (const n of [28, 27, 29, 19, 20, 21, 22, 23, 24, 25, 26, 18, 17, 16]) if (!used.has(n)) return n;
  throw new Error('the table\'s roles use every callee register: no spare register for the verification driver');
}

/** The driver: includes the asm under test and wraps each macro as a routine entered with `bl`. */
export function driverSource(plan: AsmPlan, asmName: string, simOffsetsName: string): string {
  const lr = `x${driverLinkRegister(plan)}`;
  const lines = [
    '// switchgen verify driver: each macro as a bl-callable routine',
    `#include "${simOffsetsName}"`,
    `#include "${asmName}"`,
    '\t.text',
    '\tdebug_switch_routines',
  ];
  for (const r of ROUTINES) {
    lines.push(`${r.label}:`);
    if (r.calls) lines.push(`\tmov\t${lr}, x30`);
    lines.push(`\t${r.macro}`);
    lines.push(r.calls ? `\tret\t${lr}` : '\tret');
  }
  return lines.join('\n') + '\n';
}

/** Where #include "name" finds its text (a Map of the generated headers is one). */
export interface IncludeSource {
  get(name: string): string | undefined;
}

export interface AsmUnderTest {
  /** Path shown in reports (and used to resolve its includes). */
  path: string;
  text: string;
  /** Files the asm and driver may #include, by name (the generated headers). */
  includes: IncludeSource;
}

export interface ModelUnderTest {
  cpu: CpuCounts;
  ts: SwitchModel;
  synthetic?: boolean;
}

export interface Divergence {
  /** Arguments beyond model, seed and states that reproduce the run. */
  reproduceArgs: string;
  cpu: string;
  /** A model built from counts alone (verify --counts), not a CPU from the CPU file. */
  synthetic: boolean;
  counts: Record<string, number>;
  routine: MacroName;
  seed: number;
  state: number;
  /** What differs, by name: a context slot, a system register, a GPR, or a fault. */
  what: string;
  expected?: string;
  actual?: string;
  /** The asm line that last wrote the differing location (or faulted). */
  asmLine?: string;
  /** Further differing locations (memory), with the asm line that last wrote each. */
  also?: string[];
  detail: string;
}

export interface ModelReport {
  cpu: string;
  counts: Record<string, number>;
  states: number;
  runs: number;
  instructions: number;
  divergences: Divergence[];
}

export interface VerifyReport {
  ok: boolean;
  seed: number;
  statesPerRoutine: number;
  models: ModelReport[];
  /** Total simulated instructions (for throughput figures). */
  instructions: number;
  elapsedMs: number;
}

export interface VerifyOptions {
  states: number;
  seed: number;
  /** Stop a routine after this many divergences on a model (the first is the useful one). */
  maxDivergences?: number;
  /** Extra arguments for the printed reproduce command (e.g. `--asm my.S --table t.yaml`). */
  reproduceArgs?: string;
  onProgress?: (done: number, total: number, label: string) => void;
}

/**
 * Assemble the asm under test with the driver; SimError (file:line:col) on bad input. `base` places
 * the program (the QEMU cross-check assembles it where the linked image has it).
 */
export function assembleForVerify(plan: AsmPlan, asm: AsmUnderTest, opts: { base?: bigint } = {}): Program {
  const simOffsets = 'asm-offsets-sim.h';
  const driver = { path: '<verify-driver>.S', text: driverSource(plan, asm.path, simOffsets) };
  return assembleProgram(driver, {
    ...(opts.base !== undefined ? { base: opts.base } : {}),
    resolveInclude: (name) => {
      if (name === asm.path) return { path: asm.path, text: asm.text };
      const text = asm.includes.get(name);
      return text === undefined ? undefined : { path: name, text };
    },
  });
}

/** Lower-case names of every system register a model's routines may touch, with existence. */
export function touchedSysregs(plan: AsmPlan, counts: Record<string, number>): string[] {
  const names = new Set<string>();
  for (const run of plan.sysregs) for (const m of run.moves) names.add(m.sysreg);
  for (const b of plan.debug.banks) {
    const n = counts[b.countField] ?? 0;
    for (const e of b.descending) if (e.index < n) names.add(e.sysreg);
  }
  for (const s of plan.debug.singles) names.add(s.sysreg);
  for (const run of [...plan.aarch32.eager, ...plan.aarch32.lazy]) for (const m of run.moves) names.add(m.sysreg);
  names.add(plan.aarch32.register);
  return [...names].sort();
}

/** One random initial state: x0..x30, the named system registers, the vcpu's and the host context's bytes. */
export interface RandomState {
  gprs: bigint[];
  sysregs: Map<string, bigint>;
  vcpu: Uint8Array;
  host: Uint8Array;
}

const DIRTY_PATTERNS = ['zero', 'dirty', 'clean-other', 'dirty-other', 'random'] as const;

/** The verifier's random initial state for one routine (the QEMU cross-check draws its states here too). */
export function randomState(rng: Rng, plan: AsmPlan, layout: Layout, sysregs: string[], spec: RoutineSpec): RandomState {
  const gprs = Array.from({ length: 31 }, () => rng.u64());
  gprs[plan.table.roles.vcpu] = layout.vcpu;
  gprs[plan.table.roles.context] = spec.context === 'host' ? layout.hostContext : layout.guestContext;
  const regs = new Map<string, bigint>();
  for (const name of sysregs) regs.set(name, rng.u64());
  // HCR_EL2.RW decides the 32-bit path: half the states each way.
  const rw = 1n << BigInt(plan.aarch32.rwShift);
  const hcr = regs.get(plan.aarch32.register)!;
  regs.set(plan.aarch32.register, rng.bool() ? hcr | rw : hcr & ~rw);
  const vcpu = rng.bytes(layout.vcpuSize);
  const host = rng.bytes(layout.contextSize);
  const view = new DataView(vcpu.buffer);
  const dirtyBit = 1n << BigInt(plan.flags.shift);
  let flags = rng.u64();
  switch (rng.pick(DIRTY_PATTERNS)) {
    case 'zero':
      flags = 0n;
      break;
    case 'dirty':
      flags = dirtyBit;
      break;
    case 'clean-other':
      flags &= ~dirtyBit;
      break;
    case 'dirty-other':
      flags |= dirtyBit;
      break;
    case 'random':
      break;
  }
  view.setBigUint64(Number(layout.flagsAddr - layout.vcpu), flags, true);
  // The guest's saved trigger register (MDSCR_EL1): each trigger bit on or off independently.
  const trigOff = Number(layout.guestContext - layout.vcpu) + layout.sysregsOffset + plan.slotBytes * plan.trigger.slot;
  let mdscr = view.getBigUint64(trigOff, true);
  for (const b of plan.trigger.bits) mdscr = rng.bool() ? mdscr | (1n << BigInt(b.bit)) : mdscr & ~(1n << BigInt(b.bit));
  view.setBigUint64(trigOff, mdscr, true);
  return { gprs, sysregs: regs, vcpu, host };
}

const NEVER_WRITTEN = 'never written by the assembly';
const hex = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

/** Mix the run seed with a model and routine so each (model, routine) stream is independent. */
export function streamSeed(seed: number, cpu: string, routine: string): number {
  let h = seed >>> 0;
  for (const ch of `${cpu}/${routine}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export function verifyModels(plan: AsmPlan, asm: AsmUnderTest, models: ModelUnderTest[], opts: VerifyOptions): VerifyReport {
  const started = performance.now();
  const program = assembleForVerify(plan, asm);
  const layout = layoutFor(plan);
  const maxDiv = opts.maxDivergences ?? 1;
  const reports: ModelReport[] = [];
  let totalInstructions = 0;
  const total = models.length * ROUTINES.length;
  let done = 0;
  const lr = driverLinkRegister(plan);
  for (const model of models) {
    const report: ModelReport = { cpu: model.cpu.name, counts: model.cpu.counts, states: opts.states, runs: 0, instructions: 0, divergences: [] };
    reports.push(report);
    const idValue = model.cpu.idRegisters['ID_AA64DFR0_EL1'] ?? 0n;
    const cpuModel = new CpuModel(idValue);
    const sysregs = touchedSysregs(plan, model.cpu.counts);
    // One simulator machine per model: its compiled blocks are reused; every run reloads all
    // state it reads (memory via store(), which also clears the last-writer records).
    const sim = new Machine(cpuModel, {
      regions: [
        { addr: layout.vcpu, bytes: new Uint8Array(layout.vcpuSize) },
        { addr: layout.hostContext, bytes: new Uint8Array(layout.contextSize) },
      ],
    });
    // Every other register the simulated CPU has gets a random value once; no routine may change
    // one (a stray msr to a register the table does not switch). Checked after each routine.
    const bystanders = SYSREGS.filter((d) => d.access === 'rw' && cpuModel.implements(d) && !sysregs.includes(d.name)).map((d) => d.name);
    const bystanderRng = new Rng(streamSeed(opts.seed, model.cpu.name, 'bystanders'));
    const expectedBystanders = new Map<string, bigint>();
    for (const name of bystanders) {
      sim.writeSys(name, bystanderRng.u64());
      expectedBystanders.set(name, sim.readSys(name));
    }
    for (const spec of ROUTINES) {
      const seed = streamSeed(opts.seed, model.cpu.name, spec.macro);
      const rng = new Rng(seed);
      const mayChange = new Set([...plan.clobbers[spec.macro], ...(spec.calls ? [lr, 30] : [30])]);
      let found = 0;
      for (let s = 0; s < opts.states && found < maxDiv; s++) {
        const st = randomState(rng, plan, layout, sysregs, spec);
        const div = runOne(program, sim, model, plan, layout, spec, st, mayChange);
        report.runs++;
        report.instructions += div.steps;
        if (div.divergence) found++;
        if (div.divergence) report.divergences.push({ reproduceArgs: opts.reproduceArgs ?? '', cpu: model.cpu.name, synthetic: model.synthetic ?? false, counts: model.cpu.counts, routine: spec.macro, seed: opts.seed, state: s, ...div.divergence });
      }
      for (const [name, want] of expectedBystanders) {
        const got = sim.readSys(name);
        if (got === want || found >= maxDiv) continue;
        const w = sim.lastSysWriter(name);
        report.divergences.push({
          reproduceArgs: opts.reproduceArgs ?? '',
          cpu: model.cpu.name,
          synthetic: model.synthetic ?? false,
          counts: model.cpu.counts,
          routine: spec.macro,
          seed: opts.seed,
          state: opts.states - 1,
          what: name.toUpperCase(),
          expected: hex(want),
          actual: hex(got),
          ...(w ? { asmLine: `${formatLoc(w.loc)}: ${w.text}` } : {}),
          detail: `${name} is not switched by the table, but ${spec.macro} changed it`,
        });
        expectedBystanders.set(name, got);
        found++;
      }
      opts.onProgress?.(++done, total, `${model.cpu.name} ${spec.macro}`);
    }
    totalInstructions += report.instructions;
  }
  return {
    ok: reports.every((r) => r.divergences.length === 0),
    seed: opts.seed,
    statesPerRoutine: opts.states,
    models: reports,
    instructions: totalInstructions,
    elapsedMs: performance.now() - started,
  };
}

type Found = Omit<Divergence, 'reproduceArgs' | 'cpu' | 'synthetic' | 'counts' | 'routine' | 'seed' | 'state'>;

function runOne(
  program: Program,
  m: Machine,
  model: ModelUnderTest,
  plan: AsmPlan,
  layout: Layout,
  spec: RoutineSpec,
  st: RandomState,
  mayChange: Set<number>,
): { steps: number; divergence?: Found } {
  // --- the assembly, in the simulator
  m.store(layout.vcpu, st.vcpu);
  m.store(layout.hostContext, st.host);
  st.gprs.forEach((v, n) => m.setX(n, v));
  for (const [name, v] of st.sysregs) m.writeSys(name, v);
  const run = m.run(program, spec.label, { maxSteps: 100_000 });

  // --- the TypeScript model, on the same state
  const t = new FlatMachine(st.sysregs, [
    { addr: layout.vcpu, bytes: st.vcpu.slice() },
    { addr: layout.hostContext, bytes: st.host.slice() },
  ]);
  const ctxt = spec.context === 'host' ? layout.hostContext : layout.guestContext;
  let tsFault: string | undefined;
  try {
    const fn = model.ts[spec.ts] as (...a: unknown[]) => void;
    if (spec.takesVcpu) fn(t, layout.vcpu, ctxt);
    else fn(t, ctxt);
  } catch (e) {
    if (!(e instanceof MachineFault)) throw e;
    tsFault = e.message;
  }

  if (run.fault) {
    const f = run.fault;
    return {
      steps: run.steps,
      divergence: {
        what: `fault: ${f.kind}`,
        asmLine: f.loc ? `${formatLoc(f.loc)}: ${f.sourceText ?? ''}`.trim() : undefined,
        detail: `the assembly faulted (${f.message})${tsFault ? `; the TS model faulted too: ${tsFault}` : '; the TS model ran to completion'}`,
      } as Found,
    };
  }
  if (tsFault) return { steps: run.steps, divergence: { what: 'fault in TS model', detail: `the TS model faulted (${tsFault}) but the assembly returned normally` } };

  const writer = (w: { loc: Parameters<typeof formatLoc>[0]; text: string } | undefined): string | undefined =>
    w ? `${formatLoc(w.loc)}: ${w.text}` : undefined;

  // memory: every 8-byte word of the vcpu and the host context
  // Memory: the first differing word is the divergence; a few more are listed, since the asm
  // line that wrote the wrong place is often the one to read.
  const diffs: bigint[] = [];
  for (const region of t.regions) {
    const actual = m.load(region.addr, region.bytes.length);
    let from = 0;
    while (diffs.length < 4) {
      const off = firstDifferentWord(region.bytes, actual, from);
      if (off < 0) break;
      diffs.push(region.addr + BigInt(off));
      from = off + 8;
    }
  }
  if (diffs.length) {
    const addr = diffs[0]!;
    const also = diffs.slice(1).map((a) => `${nameAddress(layout, plan, a)}${writer(m.lastMemWriter(a)) ? `, last written by ${writer(m.lastMemWriter(a))}` : ''}`);
    return {
      steps: run.steps,
      divergence: {
        what: nameAddress(layout, plan, addr),
        expected: hex(t.load64(addr)),
        actual: hex(m.readU64(addr)),
        asmLine: writer(m.lastMemWriter(addr)) ?? NEVER_WRITTEN,
        detail: 'memory differs',
        ...(also.length ? { also } : {}),
      } as Found,
    };
  }
  // system registers
  for (const name of st.sysregs.keys()) {
    const a = m.readSys(name);
    const e = t.readSys(name);
    if (a !== e) {
      return {
        steps: run.steps,
        divergence: { what: name.toUpperCase(), expected: hex(e), actual: hex(a), asmLine: writer(m.lastSysWriter(name)) ?? NEVER_WRITTEN, detail: 'system register differs' } as Found,
      };
    }
  }
  // general-purpose registers the macro promised to keep
  for (let n = 0; n < 31; n++) {
    if (mayChange.has(n)) continue;
    const a = m.getX(n);
    if (a !== st.gprs[n]) {
      return {
        steps: run.steps,
        divergence: {
          what: `x${n}`,
          expected: hex(st.gprs[n]!),
          actual: hex(a),
          detail: `x${n} is not in ${spec.macro}'s clobber set (${[...plan.clobbers[spec.macro]].map((r) => `x${r}`).join(' ')}) but changed`,
        },
      };
    }
  }
  return { steps: run.steps };
}

/** Byte offset of the first differing 8-byte word at or after `from`, or -1. */
function firstDifferentWord(a: Uint8Array, b: Uint8Array, from = 0): number {
  const wa = new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
  const wb = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  for (let i = from >> 2; i < wa.length; i++) if (wa[i] !== wb[i]) return (i >> 1) << 3;
  return -1;
}

/**
 * The TS model's machine during verification: the same flat regions the simulator maps (so
 * memory compares as bytes) and exactly the system registers this CPU implements; any other
 * name, an unmapped or a misaligned access is a MachineFault, as on the simulator.
 */
export class FlatMachine implements MachineState {
  readonly regions: { addr: bigint; bytes: Uint8Array; view: DataView }[];
  private readonly regs: Map<string, bigint>;

  constructor(sysregs: ReadonlyMap<string, bigint>, regions: { addr: bigint; bytes: Uint8Array }[]) {
    this.regs = new Map(sysregs);
    this.regions = regions.map((r) => ({ ...r, view: new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) }));
  }

  readSys(name: string): bigint {
    const v = this.regs.get(name);
    if (v === undefined) throw new MachineFault('undefined', `${name} is not implemented on this CPU`, { name });
    return v;
  }

  writeSys(name: string, value: bigint): void {
    if (!this.regs.has(name)) throw new MachineFault('undefined', `${name} is not implemented on this CPU`, { name });
    this.regs.set(name, BigInt.asUintN(64, value));
  }

  private at(addr: bigint): { view: DataView; off: number } {
    if (addr % 8n !== 0n) throw new MachineFault('alignment', `unaligned 64-bit access at 0x${addr.toString(16)}`, { addr });
    for (const r of this.regions) {
      if (addr >= r.addr && addr + 8n <= r.addr + BigInt(r.bytes.length)) return { view: r.view, off: Number(addr - r.addr) };
    }
    throw new MachineFault('undefined', `access to unmapped address 0x${addr.toString(16)}`, { addr });
  }

  load64(addr: bigint): bigint {
    const { view, off } = this.at(addr);
    return view.getBigUint64(off, true);
  }

  store64(addr: bigint, value: bigint): void {
    const { view, off } = this.at(addr);
    view.setBigUint64(off, BigInt.asUintN(64, value), true);
  }
}

export function formatDivergence(d: Divergence): string {
  const counts = Object.entries(d.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [`verify: ${d.cpu} (${counts}): ${d.routine} diverges at state ${d.state} of seed ${d.seed}`];
  lines.push(`  ${d.what}: ${d.detail}`);
  if (d.expected !== undefined) lines.push(`    expected (TS model) ${d.expected}`, `    actual   (assembly) ${d.actual}`);
  if (d.asmLine) lines.push(d.asmLine === NEVER_WRITTEN ? `  the assembly never wrote it (it still holds its initial value)` : `  last written by ${d.asmLine}`);
  const which = d.synthetic ? `--counts ${Object.entries(d.counts).map(([k, v]) => `${k}=${v}`).join(',')}` : `--cpu ${d.cpu}`;
  for (const a of d.also ?? []) lines.push(`  also differs: ${a}`);
  lines.push(`  reproduce: npx switchgen verify ${which} --seed ${d.seed} --states ${d.state + 1}${d.reproduceArgs ? ` ${d.reproduceArgs}` : ''}`);
  return lines.join('\n');
}

export { SimError, SimFault };
