// Emit the TypeScript models: one module per CPU, the same routines as the asm macros but
// specialised to that CPU's counts, so they are straight-line code that names only the
// registers the CPU implements. Built from the plan with ts-morph structures; the asm and the
// TypeScript read the same plan, so they cannot disagree about names, slots, offsets or order.
import { cpuModuleIdent, JS_RESERVED, TS_LOCAL_NAMES, TS_MODEL_NAMES } from '../table/reserved.js';
import type {
  FunctionDeclarationStructure,
  OptionalKind,
  ParameterDeclarationStructure,
  Project,
  StatementStructures,
  VariableStatementStructure,
  WriterFunction,
} from 'ts-morph';
import type { AsmPlan, CpuCounts, SlotRun } from '../plan/plan.js';
import { asmName } from '../plan/plan.js';
import type { Table } from '../table/model.js';
import { bankRegisterName } from '../table/model.js';
import { tsMorph } from '../model/ts-morph-lazy.js';
import { type SwitchModel } from '../model/switch-model.js';
import { loadTsModel } from '../model/load.js';
import type { Provenance } from './asm.js';
import { render } from './render.js';

const TS_DIR = 'ts';
export const TS_INDEX_FILE = `${TS_DIR}/index.ts`;
export const tsModelFile = (cpu: string): string => `${TS_DIR}/${cpu}.ts`;
/** generator/model as seen from generated/ts/, the default output directory. */
export const DEFAULT_MODEL_IMPORT_DIR = '../../generator/model';

export interface TsEmitOptions {
  /** Where generator/model/ is, relative to the output's ts/ directory, with `/`. */
  modelImportDir?: string;
}

// ---------------------------------------------------------------------------------------------
// Lowering the plan to the accesses one model makes, in the asm's order.

/** A register moved between the machine and its context slot. */
interface SlotReg {
  sysreg: string;
  name: string;
  slot: number;
}

/** One access, in asm terms: mrs/msr move a system register, str/ldr a context slot. */
type Step = { op: 'mrs' | 'msr' | 'str' | 'ldr'; reg: SlotReg } | { op: 'note'; text: string } | { op: 'gap' };

/** A model's view of the plan at fixed counts. */
interface ModelShape {
  name: string;
  counts: Record<string, number>;
  idRegisters: [string, bigint][];
  banks: { pattern: string; countField: string; count: number; max: number; regs: SlotReg[] }[];
  /** Every register the model touches, by slot (the keys of its offset table). */
  slots: SlotReg[];
  groups: { sysregs: SlotReg[]; debug: SlotReg[]; aarch32: SlotReg[]; aarch32Debug: SlotReg[] };
}

const bankRegName = (pattern: string, n: number): string => bankRegisterName({ pattern }, n);

/** save_sysregs order for one run: every mrs, then the stores (an stp is two, lower slot first). */
function saveRun(run: SlotRun, base: string): Step[] {
  const byGpr = new Map(run.moves.map((mv) => [mv.gpr, mv]));
  const reg = (gpr: string): SlotReg => {
    const mv = byGpr.get(gpr);
    if (!mv) throw new Error(`internal: ${gpr} is stored in the run from ${run.baseName} but never loaded`);
    return { sysreg: mv.sysreg, name: mv.slotName, slot: mv.slot };
  };
  const steps: Step[] = [{ op: 'note', text: `from ${base}(${run.baseName}): ${run.moves.length === 1 ? 'mrs, then str' : 'every mrs, then the stores (stp: two, lower slot first)'}` }];
  for (const mv of run.moves) steps.push({ op: 'mrs', reg: { sysreg: mv.sysreg, name: mv.slotName, slot: mv.slot } });
  for (const op of run.mem) {
    steps.push({ op: 'str', reg: reg(op.a) });
    if (op.pair) steps.push({ op: 'str', reg: reg(op.b!) });
  }
  return steps;
}

/** restore_sysregs order for one run: every load (an ldp is two), then every msr. */
function restoreRun(run: SlotRun, base: string): Step[] {
  const byGpr = new Map(run.moves.map((mv) => [mv.gpr, mv]));
  const reg = (gpr: string): SlotReg => {
    const mv = byGpr.get(gpr)!;
    return { sysreg: mv.sysreg, name: mv.slotName, slot: mv.slot };
  };
  const steps: Step[] = [{ op: 'note', text: `from ${base}(${run.baseName}): ${run.moves.length === 1 ? 'ldr, then msr' : 'every load (ldp: two, lower slot first), then every msr'}` }];
  for (const op of run.mem) {
    steps.push({ op: 'ldr', reg: reg(op.a) });
    if (op.pair) steps.push({ op: 'ldr', reg: reg(op.b!) });
  }
  for (const mv of run.moves) steps.push({ op: 'msr', reg: { sysreg: mv.sysreg, name: mv.slotName, slot: mv.slot } });
  return steps;
}

/** "BRPs 6 of 16, WRPs 4 of 16": each count field once, with its banks' maximum. */
const countSummary = (shape: ModelShape): string =>
  shape.banks
    .filter((b, i, all) => all.findIndex((x) => x.countField === b.countField) === i)
    .map((b) => `${b.countField} ${b.count} of ${b.max}`)
    .join(', ');

const runRegs = (runs: SlotRun[]): SlotReg[] => runs.flatMap((r) => r.moves.map((mv) => ({ sysreg: mv.sysreg, name: mv.slotName, slot: mv.slot })));

function shapeFor(plan: AsmPlan, cpu: CpuCounts): ModelShape {
  const banks = plan.debug.banks.map((b) => {
    const count = cpu.counts[b.countField];
    if (count === undefined) throw new Error(`${cpu.name}: no count for ${b.countField} (needed by ${b.pattern})`);
    if (!Number.isInteger(count) || count < 0 || count > b.max) {
      throw new Error(`${cpu.name}: ${b.countField} = ${count} is outside 0..${b.max} for ${b.pattern}: the asm's computed branch would not land inside the run`);
    }
    // The computed branch skips (max - count) entries of the descending run: the rest execute.
    const regs = b.descending.filter((e) => e.index < count).map((e) => ({ sysreg: e.sysreg, name: bankRegName(b.pattern, e.index), slot: e.slot }));
    return { pattern: b.pattern, countField: b.countField, count, max: b.max, regs };
  });
  const singles = plan.debug.singles.map((s) => ({ sysreg: s.sysreg, name: s.name, slot: s.slot }));
  const trig = plan.header.slots.find((s) => s.name === plan.trigger.registerName);
  if (!trig) throw new Error(`internal: trigger register ${plan.trigger.registerName} has no slot in the plan`);
  const groups = {
    sysregs: runRegs(plan.sysregs),
    debug: [...banks.flatMap((b) => b.regs), ...singles],
    aarch32: runRegs(plan.aarch32.eager),
    aarch32Debug: runRegs(plan.aarch32.lazy),
  };
  const bySlot = new Map<number, SlotReg>();
  for (const r of [...groups.sysregs, ...groups.debug, ...groups.aarch32, ...groups.aarch32Debug]) bySlot.set(r.slot, r);
  bySlot.set(trig.slot, bySlot.get(trig.slot) ?? { sysreg: asmName(trig.name), name: trig.name, slot: trig.slot });
  const idRegs = [...new Set(plan.debug.idReads.map((r) => r.register).concat(plan.table.idFields.map((f) => f.register)))];
  return {
    name: cpu.name,
    counts: Object.fromEntries(plan.table.idFields.map((f) => [f.name, cpu.counts[f.name] ?? 0])),
    idRegisters: idRegs.map((r) => [r, cpu.idRegisters[r] ?? 0n]),
    banks,
    slots: [...bySlot.values()].sort((a, b) => a.slot - b.slot),
    groups,
  };
}

// ---------------------------------------------------------------------------------------------
// Printing: ts-morph structures; statements are single lines built from plan values.

const hexn = (v: bigint | number): string => `0x${BigInt(v).toString(16)}n`;
const decn = (v: bigint | number): string => `${BigInt(v)}n`;
const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Table-derived text pasted into comments and identifiers: one line, no comment terminator. */
function oneLine(what: string, s: string): string {
  if (/[\r\n\u2028\u2029]/.test(s) || s.includes('*/')) throw new Error(`${what} ${JSON.stringify(s)} cannot be written into a generated TypeScript comment`);
  return s;
}

// The names the generated code gives a meaning of its own live in table/reserved.ts, shared with
// validation (which reports a clash with a position before anything is emitted).
const FIXED_NAMES = [...TS_MODEL_NAMES];
const LOCAL_NAMES = new Set([...TS_LOCAL_NAMES, 'undefined', 'arguments', 'eval']);
const RESERVED = JS_RESERVED;
const usableIdentifier = (name: string): boolean => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !RESERVED.has(name);

class Names {
  private readonly taken = new Map<string, string>();
  constructor() {
    for (const n of FIXED_NAMES) this.taken.set(n, 'the model itself');
  }
  claim(name: string, what: string): string {
    if (!usableIdentifier(name)) {
      throw new Error(`${what} ${JSON.stringify(name)} is not usable as a TypeScript identifier`);
    }
    const prev = this.taken.get(name);
    if (prev) throw new Error(`${what} ${name} clashes with ${prev} in the generated TypeScript`);
    this.taken.set(name, what);
    return name;
  }
}

/** A register's value variable: its assembler name, checked to be a usable, unshadowing identifier. */
function valueVar(reg: SlotReg): string {
  if (!usableIdentifier(reg.sysreg) || LOCAL_NAMES.has(reg.sysreg)) {
    throw new Error(`register ${reg.sysreg} cannot name a variable in the generated TypeScript`);
  }
  return reg.sysreg;
}

interface Printer {
  slotAddr: (ctxt: string, reg: SlotReg) => string;
}

function stepLines(steps: Step[], ctxt: string, p: Printer): (string | WriterFunction)[] {
  const out: (string | WriterFunction)[] = [];
  const seen = new Set<string>();
  for (const s of steps) {
    if (s.op === 'note') out.push(`// ${oneLine('comment', s.text)}`);
    else if (s.op === 'gap') out.push((w) => w.blankLine());
    else {
      const v = valueVar(s.reg);
      if ((s.op === 'mrs' || s.op === 'ldr') && seen.has(v)) throw new Error(`internal: ${v} is moved twice in one routine`);
      seen.add(v);
      if (s.op === 'mrs') out.push(`const ${v} = m.readSys(${quote(s.reg.sysreg)});`);
      else if (s.op === 'ldr') out.push(`const ${v} = m.load64(${p.slotAddr(ctxt, s.reg)});`);
      else if (s.op === 'str') out.push(`m.store64(${p.slotAddr(ctxt, s.reg)}, ${v});`);
      else out.push(`m.writeSys(${quote(s.reg.sysreg)}, ${v});`);
    }
  }
  return out;
}

/** A multi-line literal's entries: lines, or nested lists (`key: [` ... `],`) indented by the writer. */
type Lines = (string | { open: string; lines: Lines; close: string })[];

/**
 * An exported const with a multi-line literal, written as a statement so the writer's block
 * indentation applies (ts-morph hanging-indents a multi-line initializer by two levels).
 */
const constBlock = (name: string, docs: string[], open: string, lines: Lines, close: string): WriterFunction => (w) => {
  const put = (ls: Lines): void => {
    for (const l of ls) {
      if (typeof l === 'string') w.writeLine(l);
      else if (!l.lines.length) w.writeLine(`${l.open}${l.close}`);
      else {
        w.writeLine(l.open);
        w.indent(() => put(l.lines));
        w.writeLine(l.close);
      }
    }
  };
  for (const d of docs) w.writeLine(`/** ${oneLine('doc comment', d)} */`);
  w.writeLine(`export const ${name} = ${open}`);
  w.indent(() => put(lines));
  w.write(`${close};`);
};

const constStmt = (name: string, initializer: string, docs?: string[], exported = true): VariableStatementStructure => {
  const { StructureKind, VariableDeclarationKind } = tsMorph();
  return {
    kind: StructureKind.VariableStatement,
    isExported: exported,
    declarationKind: VariableDeclarationKind.Const,
    ...(docs ? { docs: docs.map((d) => oneLine('doc comment', d)) } : {}),
    declarations: [{ name, initializer }],
  };
};

const param = (name: string, type: string): OptionalKind<ParameterDeclarationStructure> => ({ name, type });

function fn(name: string, docs: string[], params: [string, string][], statements: (string | WriterFunction)[], exported = true, returnType = 'void'): FunctionDeclarationStructure {
  const { StructureKind } = tsMorph();
  return {
    kind: StructureKind.Function,
    isExported: exported,
    name,
    docs: [docs.map((d) => oneLine('doc comment', d)).join('\n')],
    // A table without (say) 32-bit registers leaves a parameter unused: mark it, for noUnusedParameters.
    parameters: params.map(([n, t]) => param(statements.some((st) => typeof st === 'string' && new RegExp(`\\b${n}\\b`).test(st)) ? n : `_${n}`, t)),
    returnType,
    statements,
  };
}

const blank: WriterFunction = (w) => w.blankLine();

function offsetOf(plan: AsmPlan, name: string): bigint {
  const o = plan.header.asmOffsets.find((x) => x.name === name);
  if (!o) throw new Error(`internal: asm offset ${name} is not in the plan`);
  return BigInt(o.value);
}

function headerText(prov: Provenance, headline: string): string {
  for (const [k, v] of Object.entries(prov)) oneLine(`provenance ${k}`, v);
  return render('partials/file_header_ts.hbs', { ...prov, headline: oneLine('headline', headline) });
}

function modelStatements(plan: AsmPlan, shape: ModelShape, modelImportDir: string): (StatementStructures | WriterFunction | string)[] {
  const { StructureKind } = tsMorph();
  const t: Table = plan.table;
  const names = new Names();
  const om = names.claim(plan.offsetMacro, 'offset macro');
  const base = plan.baseOffset;
  const flagsOff = plan.flags.offset;
  const ctxOff = plan.trigger.contextOffset;
  const slotBytes = BigInt(plan.slotBytes);
  const baseValue = offsetOf(plan, base);
  offsetOf(plan, flagsOff);
  offsetOf(plan, ctxOff);
  const printer: Printer = { slotAddr: (ctxt, r) => `add64(${ctxt}, ${om}.${r.name})` };

  const countText = countSummary(shape);
  const out: (StatementStructures | WriterFunction | string)[] = [];
  out.push({ kind: StructureKind.ImportDeclaration, isTypeOnly: true, namedImports: ['MachineState'], moduleSpecifier: `${modelImportDir}/machine.js` });
  out.push(blank);

  // --- constants
  out.push(constStmt('CPU', quote(shape.name), ['The CPU model this file is specialised to.']));
  out.push(constStmt('TABLE', quote(t.name), ['The register table it was generated from.']));
  for (const [reg, value] of shape.idRegisters) out.push(constStmt(names.claim(reg, 'ID register'), hexn(value), [`${reg} as this model reports it. The routines never read it: the counts below are built in.`]));
  out.push(constStmt('ID_REGISTERS', `{ ${shape.idRegisters.map(([r]) => r).join(', ')} } as const`));
  for (const f of t.idFields) {
    const c = shape.counts[f.name]!;
    out.push(constStmt(names.claim(f.name.toUpperCase(), `count of id field ${f.name}`), String(c), [`Implemented ${f.name}: ${f.register}.${f.name} [${f.lsb + f.width - 1}:${f.lsb}] holds count - ${f.bias}.`]));
  }
  out.push(constStmt('COUNTS', `{ ${t.idFields.map((f) => `${f.name}: ${f.name.toUpperCase()}`).join(', ')} } as const`));
  out.push(blank);
  for (const o of plan.header.asmOffsets) {
    out.push(constStmt(names.claim(o.name, 'asm offset'), hexn(o.value), [`asm-offsets ${o.name} = ${o.define} (simulation value; a kernel build takes it from asm-offsets.c).`]));
  }
  out.push(constStmt('ASM_OFFSETS', `{ ${plan.header.asmOffsets.map((o) => o.name).join(', ')} } as const`));
  out.push(constStmt('SLOT_BYTES', decn(slotBytes), [`Bytes per context slot: ${om}(x) = ${base} + ${plan.slotBytes}*x.`]));
  out.push(
    constBlock(om, [`${om}(x) for every slot this model touches: the byte offset from the context base.`], '{', shape.slots.map((r) => `${r.name}: ${hexn(baseValue + slotBytes * BigInt(r.slot))}, // slot ${r.slot}`), '} as const'),
  );
  out.push(blank);
  out.push(constStmt(names.claim(plan.flags.shiftName, 'flags shift name'), decn(plan.flags.shift), [`Dirty bit of the 64-bit flags word at ${flagsOff} in the vcpu.`]));
  out.push(constStmt(names.claim(plan.flags.maskName, 'flags mask name'), hexn(1n << BigInt(plan.flags.shift)), [`1 << ${plan.flags.shiftName}.`]));
  for (const b of plan.trigger.bits) {
    out.push(constStmt(names.claim(b.name, 'trigger bit name'), hexn(1n << BigInt(b.bit)), [`${plan.trigger.registerName} bit ${b.bit}: set in the guest's saved value, entry switches the debug registers.`]));
  }
  out.push(constStmt(names.claim(plan.aarch32.shiftName, 'aarch32 shift name'), decn(plan.aarch32.rwShift), [`${plan.aarch32.register.toUpperCase()} bit ${plan.aarch32.rwShift} set: EL1 is AArch64, so there is no 32-bit state.`]));
  out.push(blank);
  const entry = (r: SlotReg): string => `{ sysreg: ${quote(r.sysreg)}, name: ${quote(r.name)}, slot: ${r.slot}, offset: ${om}.${r.name} }`;
  const list = (key: string, rs: SlotReg[]): Lines[number] => ({ open: `${key}: [`, lines: rs.map((r) => `${entry(r)},`), close: '],' });
  const g = shape.groups;
  out.push(
    constBlock('SWITCHED', ['Registers each group of routines moves, in the order they are read.'], '{', [list('sysregs', g.sysregs), list('debug', g.debug), list('aarch32', g.aarch32), list('aarch32Debug', g.aarch32Debug)], '} as const'),
  );
  out.push(blank);
  out.push(constStmt('MASK64', '0xffff_ffff_ffff_ffffn', undefined, false));
  out.push(fn('add64', ['An A64 `add`: 64-bit, wrapping.'], [['a', 'bigint'], ['b', 'bigint']], ['return (a + b) & MASK64;'], false, 'bigint'));
  out.push(
    fn(
      'debugStateDirty',
      [`skip_clean_debug_state: load the flags word at ${flagsOff} and test bit ${plan.flags.shiftName}.`],
      [['m', 'MachineState'], ['vcpu', 'bigint']],
      [`return ((m.load64(add64(vcpu, ${flagsOff})) >> ${plan.flags.shiftName}) & 1n) !== 0n;`],
      false,
      'boolean',
    ),
  );

  // --- routines
  const m: [string, string] = ['m', 'MachineState'];
  const runsSteps = (runs: SlotRun[], f: typeof saveRun): Step[] => runs.flatMap((r, i) => (i ? [{ op: 'gap' } as Step, ...f(r, om)] : f(r, om)));
  out.push(fn('saveSysregs', ['save_sysregs: the eager registers into the context at `ctxt`.'], [m, ['ctxt', 'bigint']], stepLines(runsSteps(plan.sysregs, saveRun), 'ctxt', printer)));
  out.push(fn('restoreSysregs', ['restore_sysregs: the eager registers from the context at `ctxt`.'], [m, ['ctxt', 'bigint']], stepLines(runsSteps(plan.sysregs, restoreRun), 'ctxt', printer)));

  const bankNote = (b: ModelShape['banks'][number], verb: string): Step => ({
    op: 'note',
    text: b.count
      ? `${b.pattern}: ${b.count} of ${b.max} (${b.countField}); the computed branch skips ${b.max - b.count}, then ${verb} from index ${b.count - 1} down to 0`
      : `${b.pattern}: 0 of ${b.max} (${b.countField}); the computed branch skips the whole run`,
  });
  const saveDebugSteps: Step[] = [];
  const restoreDebugSteps: Step[] = [];
  shape.banks.forEach((b, i) => {
    if (i) {
      saveDebugSteps.push({ op: 'gap' });
      restoreDebugSteps.push({ op: 'gap' });
    }
    saveDebugSteps.push(bankNote(b, 'every mrs, then every str,'));
    restoreDebugSteps.push(bankNote(b, 'every ldr, then every msr,'));
    for (const r of b.regs) saveDebugSteps.push({ op: 'mrs', reg: r });
    for (const r of b.regs) saveDebugSteps.push({ op: 'str', reg: r });
    for (const r of b.regs) restoreDebugSteps.push({ op: 'ldr', reg: r });
    for (const r of b.regs) restoreDebugSteps.push({ op: 'msr', reg: r });
  });
  for (const s of plan.debug.singles) {
    const r = { sysreg: s.sysreg, name: s.name, slot: s.slot };
    if (saveDebugSteps.length) {
      saveDebugSteps.push({ op: 'gap' });
      restoreDebugSteps.push({ op: 'gap' });
    }
    saveDebugSteps.push({ op: 'mrs', reg: r }, { op: 'str', reg: r });
    restoreDebugSteps.push({ op: 'ldr', reg: r }, { op: 'msr', reg: r });
  }
  const debugDoc = (macro: string): string[] => [
    `${macro} for ${countText || 'no banks'}: straight-line, naming only implemented registers.`,
    `(The asm reads ${plan.debug.idReads.map((r) => r.register).join(', ') || 'no ID register'} here; a fixed-count model has no need to.)`,
  ];
  out.push(fn('saveDebug', debugDoc('save_debug'), [m, ['ctxt', 'bigint']], stepLines(saveDebugSteps, 'ctxt', printer)));
  out.push(fn('restoreDebug', debugDoc('restore_debug'), [m, ['ctxt', 'bigint']], stepLines(restoreDebugSteps, 'ctxt', printer)));

  const a32 = plan.aarch32;
  const skip32 = `if (((m.readSys(${quote(a32.register)}) >> ${a32.shiftName}) & 1n) !== 0n) return;`;
  const a32Save: (string | WriterFunction)[] = [`// skip_32bit_state: ${a32.register.toUpperCase()}.RW set means a 64-bit guest`, skip32];
  const a32Restore: (string | WriterFunction)[] = [...a32Save];
  if (plan.aarch32.eager.length) {
    a32Save.push(blank, ...stepLines(runsSteps(a32.eager, saveRun), 'ctxt', printer));
    a32Restore.push(blank, ...stepLines(runsSteps(a32.eager, restoreRun), 'ctxt', printer));
  }
  if (plan.aarch32.lazy.length) {
    const dirtyGate = ['// skip_clean_debug_state: the debug registers only when dirty', 'if (!debugStateDirty(m, vcpu)) return;'];
    a32Save.push(blank, ...dirtyGate, ...stepLines(runsSteps(a32.lazy, saveRun), 'ctxt', printer));
    a32Restore.push(blank, ...dirtyGate, ...stepLines(runsSteps(a32.lazy, restoreRun), 'ctxt', printer));
  }
  out.push(fn('saveGuest32bitSysregs', ['save_guest_32bit_sysregs: a 32-bit guest\'s registers into `ctxt`; the debug ones only when dirty.'], [m, ['vcpu', 'bigint'], ['ctxt', 'bigint']], a32Save));
  out.push(fn('restoreGuest32bitSysregs', ['restore_guest_32bit_sysregs: a 32-bit guest\'s registers from `ctxt`; the debug ones only when dirty.'], [m, ['vcpu', 'bigint'], ['ctxt', 'bigint']], a32Restore));

  // The dirty computation, as the seed's and/and/adds/csel/orr/cbz/str/bl.
  const trig = plan.trigger;
  const tv = valueVar({ sysreg: asmName(trig.registerName), name: trig.registerName, slot: 0 });
  const triggerTest = trig.pair
    ? [`// and/and/adds: NE when the sum of the masked bits is nonzero`, `const triggered = add64(${tv} & ${trig.bits[0]!.name}, ${tv} & ${trig.bits[1]!.name}) !== 0n;`]
    : [`// tst: NE when the bit is set`, `const triggered = (${tv} & ${trig.bits[0]!.name}) !== 0n;`];
  out.push(
    fn(
      'vcpuRunDebugSaveHost',
      [
        `vcpu_run_debug_save_host (__kvm_vcpu_run, after the host's sysregs are saved): if the guest's saved`,
        `${trig.registerName} has ${trig.bits.map((b) => b.name).join(' or ')} set, or the flags word is already nonzero, store the`,
        'flags word OR the dirty mask (only when nonzero) and save the host\'s debug registers.',
      ],
      [m, ['vcpu', 'bigint'], ['hostCtxt', 'bigint']],
      [
        `// add/ldr: the guest's saved ${trig.registerName}`,
        `const ${tv} = m.load64(add64(add64(vcpu, ${ctxOff}), ${om}.${trig.registerName}));`,
        ...triggerTest,
        '// mov/csel: the dirty mask when triggered',
        `const dirty = triggered ? ${plan.flags.maskName} : 0n;`,
        '// ldr/orr: the whole flags word',
        `const flags = m.load64(add64(vcpu, ${flagsOff})) | dirty;`,
        '// cbz: nothing set, nothing to switch',
        'if (flags === 0n) return;',
        `m.store64(add64(vcpu, ${flagsOff}), flags);`,
        'saveDebug(m, hostCtxt);',
      ],
    ),
  );
  const gated = (name: string, doc: string, ctxt: string, body: string[]): FunctionDeclarationStructure =>
    fn(name, [doc], [m, ['vcpu', 'bigint'], [ctxt, 'bigint']], ['// skip_clean_debug_state', 'if (!debugStateDirty(m, vcpu)) return;', ...body]);
  out.push(gated('vcpuRunDebugRestoreGuest', 'vcpu_run_debug_restore_guest (__kvm_vcpu_run, after the guest\'s sysregs are restored): the guest\'s debug registers when dirty.', 'guestCtxt', ['restoreDebug(m, guestCtxt);']));
  out.push(gated('vcpuReturnDebugSaveGuest', 'vcpu_return_debug_save_guest (__kvm_vcpu_return, after the guest\'s sysregs are saved): the guest\'s debug registers when dirty.', 'guestCtxt', ['saveDebug(m, guestCtxt);']));
  out.push(
    gated('vcpuReturnDebugRestoreHost', 'vcpu_return_debug_restore_host (__kvm_vcpu_return, after the host\'s sysregs are restored): when dirty, clear the whole flags word, then restore the host\'s debug registers.', 'hostCtxt', [
      '// Clear the dirty flag for the next run',
      `m.store64(add64(vcpu, ${flagsOff}), 0n);`,
      'restoreDebug(m, hostCtxt);',
    ]),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// One Project, reused: each file is created, printed and removed.

let project: Project | undefined;

function print(fileName: string, leadingTrivia: string, statements: (StatementStructures | WriterFunction | string)[]): string {
  const { Project, IndentationText, NewLineKind, QuoteKind } = tsMorph();
  project ??= new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, newLineKind: NewLineKind.LineFeed, quoteKind: QuoteKind.Single },
  });
  const sf = project.createSourceFile(`/${fileName}`, { leadingTrivia, statements }, { overwrite: true });
  const text = sf.getFullText();
  project.removeSourceFile(sf);
  return text;
}

/** The TypeScript model of the plan's routines for one CPU's counts. */
export function emitTsModel(plan: AsmPlan, cpu: CpuCounts, prov: Provenance, options: TsEmitOptions = {}): string {
  const shape = shapeFor(plan, cpu);
  const header = headerText(prov, `TypeScript model of the world-switch macros for ${oneLine('CPU name', cpu.name)} (${countSummary(shape)})`);
  return print(`${cpu.name}.ts`, `${header}\n`, modelStatements(plan, shape, options.modelImportDir ?? DEFAULT_MODEL_IMPORT_DIR));
}

/**
 * A CPU view for any count assignment, e.g. { BRPs: 2, WRPs: 16 }: the ID register values are
 * built from the counts (field = count - bias), so a model's ID constants match its counts.
 */
export function syntheticCpu(table: Table, counts: Record<string, number>, name?: string): CpuCounts {
  const known = new Set(table.idFields.map((f) => f.name));
  const unknown = Object.keys(counts).filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`unknown id field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (table ${table.name} has ${[...known].join(', ')})`);
  const idRegisters: Record<string, bigint> = {};
  const full: Record<string, number> = {};
  for (const f of table.idFields) {
    const used = table.banks.some((b) => b.count === f);
    const c = counts[f.name];
    if (c === undefined) {
      if (used) throw new Error(`no count given for ${f.name}`);
      continue;
    }
    const field = c - f.bias;
    if (!Number.isInteger(c) || field < 0 || field >= 2 ** f.width) throw new Error(`${f.name} = ${c} cannot be encoded in ${f.register}.${f.name} (${f.width} bits holding count - ${f.bias})`);
    idRegisters[f.register] = (idRegisters[f.register] ?? 0n) | (BigInt(field) << BigInt(f.lsb));
    full[f.name] = c;
  }
  const label = name ?? `synthetic-${table.idFields.filter((f) => f.name in full).map((f) => `${f.name.toLowerCase()}${full[f.name]}`).join('-')}`;
  return { name: label, idRegisters, counts: full };
}

/** The TypeScript source for an arbitrary count assignment (for the verifier's synthetic models). */
export function emitTsModelForCounts(plan: AsmPlan, counts: Record<string, number>, options: TsEmitOptions & { name?: string; prov?: Provenance } = {}): string {
  const cpu = syntheticCpu(plan.table, counts, options.name);
  const prov = options.prov ?? { tableSource: plan.table.source, tableName: plan.table.name, regenerate: 'not written to disk (emitTsModelForCounts builds it in memory)' };
  return emitTsModel(plan, cpu, prov, options);
}

/** Emit and load in one step: the model's exports for an arbitrary count assignment. */
export function tsModelForCounts(plan: AsmPlan, counts: Record<string, number>, name?: string): SwitchModel {
  const source = emitTsModelForCounts(plan, counts, name === undefined ? {} : { name });
  return loadTsModel(source, `${syntheticCpu(plan.table, counts, name).name}.ts`);
}

const moduleIdent = cpuModuleIdent;

/** generated/ts/index.ts: every CPU's model by name, checked against SwitchModel. */
export function emitTsIndex(cpuNames: string[], prov: Provenance, options: TsEmitOptions = {}): string {
  const { StructureKind } = tsMorph();
  const sorted = [...cpuNames].sort();
  const names = new Names();
  const idents = sorted.map((c) => names.claim(moduleIdent(oneLine('CPU name', c)), `module name for CPU ${c}`));
  const dir = options.modelImportDir ?? DEFAULT_MODEL_IMPORT_DIR;
  const statements: (StatementStructures | WriterFunction | string)[] = [
    { kind: StructureKind.ImportDeclaration, isTypeOnly: true, namedImports: ['SwitchModel'], moduleSpecifier: `${dir}/switch-model.js` },
    ...sorted.map((c, i) => ({ kind: StructureKind.ImportDeclaration, namespaceImport: idents[i]!, moduleSpecifier: `./${c}.js` }) as StatementStructures),
    blank,
    constStmt('CPU_NAMES', `[${sorted.map(quote).join(', ')}] as const`, ['Every CPU model with a generated file, sorted.']),
    constBlock('MODELS', ['The generated model of each CPU, by name.'], '{', sorted.map((c, i) => `${quote(c)}: ${idents[i]},`), '} as const satisfies Readonly<Record<(typeof CPU_NAMES)[number], SwitchModel>>'),
  ];
  return print('index.ts', `${headerText(prov, 'TypeScript models of the world-switch macros, one per CPU model')}\n`, statements);
}
