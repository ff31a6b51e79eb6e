// Pass 3: lower the validated table to a plan, the one IR every emitter reads. The asm and
// header templates lay out these values; the TypeScript emitter walks the same structures
// specialised to a CPU's counts. No emitter recomputes a slot, an offset or a register.
import type { CpuModel, IdField, RegisterBank, SysRegister, Table } from '../table/model.js';
import { bankRegisterName, countFor } from '../table/model.js';

/** A64 instructions are 4 bytes: a computed branch skips `skip << 2` bytes. */
export const INSN_SHIFT = 2;
/** Largest byte offset an `stp`/`ldp` reaches (signed imm7 * 8). */
const PAIR_OFFSET_MAX = 504;
/** Largest byte offset an `str`/`ldr` (unsigned imm12 * 8) reaches. */
const SINGLE_OFFSET_MAX = 32760;

export const xreg = (n: number): string => `x${n}`;
export const wreg = (n: number): string => `w${n}`;
/** Assemblers take system-register names in lower case (`dbgbcr3_el1`). */
export const asmName = (name: string): string => name.toLowerCase();

/** One register moved between a GPR and a system register. */
export interface Move {
  gpr: string;
  sysreg: string;
  /** Upper-case register the slot belongs to (may differ from sysreg: MPIDR_EL1 via VMPIDR_EL2). */
  slotName: string;
  slot: number;
}

/** A store (save) or load (restore) of one or two GPRs relative to the run's base. */
export interface MemOp {
  pair: boolean;
  a: string;
  b?: string;
  /** Byte offset from the base register; 0 prints as `[x3]`. */
  offset: number;
  slots: number[];
}

/** Registers whose slots are addressed from one `add base, context, #OFFSET(first)`. */
export interface SlotRun {
  /** Name of the slot the base register points at (argument of CPU_SYSREG_OFFSET). */
  baseName: string;
  baseSlot: number;
  /** False when the base register already holds this base (a run continuing an earlier one). */
  needsBase: boolean;
  moves: Move[];
  mem: MemOp[];
}

export interface BankEntry {
  index: number;
  gpr: string;
  sysreg: string;
  slot: number;
}

export interface BankPlan {
  pattern: string;
  /** First register's name, e.g. DBGBCR0_EL1 (for CPU_SYSREG_OFFSET). */
  firstName: string;
  firstSlot: number;
  max: number;
  countField: string;
  skip: string;
  /** Entries from max-1 down to 0, the order the computed branch runs through them. */
  descending: BankEntry[];
}

export interface IdRead {
  /** lower-case ID register name for mrs. */
  sysreg: string;
  register: string;
  fields: { name: string; skip: string; lsb: number; width: number }[];
}

export interface SkipConstant {
  /** w-form scratch holding (max - bias). */
  scratch: string;
  value: number;
  subs: { name: string; skipW: string }[];
}

export interface SingleLazy {
  gpr: string;
  sysreg: string;
  name: string;
  slot: number;
}

export interface DebugPlan {
  id: string;
  idReads: IdRead[];
  skipConstants: SkipConstant[];
  banks: BankPlan[];
  singles: SingleLazy[];
}

export interface TriggerPlan {
  /** Context slot of the trigger register (MDSCR_EL1). */
  slot: number;
  /** Two-bit form (the seed's and/and/adds) or one-bit form (tst). */
  pair: boolean;
  bits: { name: string; bit: number }[];
  /** and-destination per bit: bit 0 → dirty[1], bit 1 → dirty[0] (the seed's x26/x25). */
  d0: string;
  d1: string;
  contextOffset: string;
  registerName: string;
}

export interface RolesText {
  vcpu: string;
  context: string;
  base: string;
  branch: string;
  flagsTmp: string;
  aarch32Tmp: string;
}

export interface HeaderSlot {
  name: string;
  slot: number;
}

/** The generated macros by name, as the templates define them. */
export type MacroName =
  | 'save_sysregs'
  | 'restore_sysregs'
  | 'save_debug'
  | 'restore_debug'
  | 'save_guest_32bit_sysregs'
  | 'restore_guest_32bit_sysregs'
  | 'vcpu_run_debug_save_host'
  | 'vcpu_run_debug_restore_guest'
  | 'vcpu_return_debug_save_guest'
  | 'vcpu_return_debug_restore_host';

export interface AsmPlan {
  table: Table;
  /**
   * General-purpose registers each macro may change (the contract a caller relies on; the
   * verifier checks that every other GPR survives). x30 is listed where a macro does `bl`.
   */
  clobbers: Record<MacroName, number[]>;
  roles: RolesText;
  offsetMacro: string;
  baseOffset: string;
  slotBytes: number;
  insnShift: number;
  sysregs: SlotRun[];
  debug: DebugPlan;
  aarch32: {
    register: string;
    shiftName: string;
    rwShift: number;
    eager: SlotRun[];
    lazy: SlotRun[];
  };
  flags: { offset: string; shiftName: string; maskName: string; shift: number };
  trigger: TriggerPlan;
  header: {
    slots: HeaderSlot[];
    nrSysRegs: number;
    reserved: number[];
    triggerBits: { name: string; bit: number }[];
    asmOffsets: { name: string; value: number; valueHex: string; define: string; addDefine: boolean }[];
  };
}

/** Lay registers out as the seed does: one base, pairs where slots are adjacent, re-based when out of reach. */
export function planSlotRuns(
  regs: SysRegister[],
  gprs: number[],
  table: Table,
  base?: SysRegister,
  gprOf: (r: SysRegister, i: number) => number = (_, i) => gprs[i]!,
): SlotRun[] {
  const sorted = [...regs].sort((a, b) => a.slot - b.slot);
  const runs: SlotRun[] = [];
  let run: SlotRun | undefined;
  sorted.forEach((r, i) => {
    const gpr = xreg(gprOf(r, i));
    if (!run && base) {
      run = { baseName: base.name, baseSlot: base.slot, needsBase: true, moves: [], mem: [] };
      runs.push(run);
    }
    const offset = run ? (r.slot - run.baseSlot) * table.context.slotBytes : 0;
    if (!run || offset > SINGLE_OFFSET_MAX) {
      run = { baseName: r.name, baseSlot: r.slot, needsBase: true, moves: [], mem: [] };
      runs.push(run);
    }
    run.moves.push({ gpr, sysreg: asmName(r.access), slotName: r.name, slot: r.slot });
  });
  for (const rn of runs) {
    const m = rn.moves;
    for (let i = 0; i < m.length; i++) {
      const cur = m[i]!;
      const next = m[i + 1];
      const offset = (cur.slot - rn.baseSlot) * table.context.slotBytes;
      if (next && next.slot === cur.slot + 1 && offset <= PAIR_OFFSET_MAX) {
        rn.mem.push({ pair: true, a: cur.gpr, b: next.gpr, offset, slots: [cur.slot, next.slot] });
        i++;
      } else {
        rn.mem.push({ pair: false, a: cur.gpr, offset, slots: [cur.slot] });
      }
    }
  }
  return runs;
}

function usedFields(table: Table): IdField[] {
  return table.idFields.filter((f) => table.banks.some((b) => b.count === f));
}

export function planTable(table: Table): AsmPlan {
  const r = table.roles;
  const fields = usedFields(table);
  const skipOf = new Map(fields.map((f, i) => [f, r.skip[i]!]));
  const bankMax = (f: IdField): number => table.banks.find((b) => b.count === f)!.max;

  const idReads: IdRead[] = [];
  for (const f of fields) {
    let read = idReads.find((x) => x.register === f.register);
    if (!read) {
      read = { sysreg: asmName(f.register), register: f.register, fields: [] };
      idReads.push(read);
    }
    read.fields.push({ name: f.name, skip: xreg(skipOf.get(f)!), lsb: f.lsb, width: f.width });
  }
  const skipConstants: SkipConstant[] = [];
  for (const f of fields) {
    const value = bankMax(f) - f.bias;
    let k = skipConstants.find((s) => s.value === value);
    if (!k) {
      k = { scratch: wreg(r.branch), value, subs: [] };
      skipConstants.push(k);
    }
    k.subs.push({ name: f.name, skipW: wreg(skipOf.get(f)!) });
  }

  const banks: BankPlan[] = table.banks.map((b: RegisterBank) => ({
    pattern: b.pattern,
    firstName: bankRegisterName(b, 0),
    firstSlot: b.firstSlot,
    max: b.max,
    countField: b.count.name,
    skip: xreg(skipOf.get(b.count)!),
    descending: Array.from({ length: b.max }, (_, k) => {
      const n = b.max - 1 - k;
      return { index: n, gpr: xreg(r.bankValues[n]!), sysreg: asmName(bankRegisterName(b, n)), slot: b.firstSlot + n };
    }),
  }));

  const singles: SingleLazy[] = table.registers
    .filter((x) => x.policy === 'lazy' && x.guest === 'any')
    .sort((a, b) => a.slot - b.slot)
    .map((x) => ({ gpr: xreg(r.lazyValue), sysreg: asmName(x.access), name: x.name, slot: x.slot }));

  const eager64 = table.registers.filter((x) => x.policy === 'eager' && x.guest === 'any');
  const a32 = table.registers.filter((x) => x.policy !== 'external' && x.guest === 'aarch32').sort((a, b) => a.slot - b.slot);
  // Both halves address their slots from the first 32-bit register's slot and take GPRs by
  // slot order, as the seed does (DBGVCR32_EL2 in x7 at [x3, #24] from DACR32_EL2).
  const a32Gpr = (x: SysRegister): number => r.aarch32Values[a32.indexOf(x)]!;
  const a32Base = a32[0];
  const a32Eager = planSlotRuns(a32.filter((x) => x.policy === 'eager'), [], table, a32Base, a32Gpr);
  const a32Lazy = planSlotRuns(a32.filter((x) => x.policy === 'lazy'), [], table, a32Base, a32Gpr);
  // skip_clean_debug_state only clobbers its own tmp, so the eager half's base still holds.
  const lastEager = a32Eager[a32Eager.length - 1];
  if (lastEager && a32Lazy[0] && a32Lazy[0].baseSlot === lastEager.baseSlot) a32Lazy[0].needsBase = false;

  const trig = table.lazy.trigger;
  const slots: HeaderSlot[] = [
    ...table.registers.map((x) => ({ name: x.name, slot: x.slot })),
    ...table.banks.flatMap((b) => Array.from({ length: b.max }, (_, n) => ({ name: bankRegisterName(b, n), slot: b.firstSlot + n }))),
  ].sort((a, b) => a.slot - b.slot);

  const usedSkips = fields.map((f) => skipOf.get(f)!);
  const maxBank = Math.max(0, ...table.banks.map((b) => b.max));
  const debugClobbers = [r.base, r.id, r.branch, ...usedSkips, ...r.bankValues.slice(0, maxBank), ...(singles.length ? [r.lazyValue] : [])];
  const sysregClobbers = [r.base, ...r.values.slice(0, eager64.length)];
  const a32Clobbers = [r.base, ...r.aarch32Values.slice(0, a32.length), ...(a32.some((x) => x.policy === 'lazy') ? [r.aarch32Tmp] : [])];
  const LR = 30;
  const uniq = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
  const clobbers: Record<MacroName, number[]> = {
    save_sysregs: uniq(sysregClobbers),
    restore_sysregs: uniq(sysregClobbers),
    save_debug: uniq(debugClobbers),
    restore_debug: uniq(debugClobbers),
    save_guest_32bit_sysregs: uniq(a32Clobbers),
    restore_guest_32bit_sysregs: uniq(a32Clobbers),
    vcpu_run_debug_save_host: uniq([...r.dirty, ...debugClobbers, LR]),
    vcpu_run_debug_restore_guest: uniq([r.flagsTmp, ...debugClobbers, LR]),
    vcpu_return_debug_save_guest: uniq([r.flagsTmp, ...debugClobbers, LR]),
    vcpu_return_debug_restore_host: uniq([r.flagsTmp, ...debugClobbers, LR]),
  };

  return {
    table,
    clobbers,
    roles: {
      vcpu: xreg(r.vcpu),
      context: xreg(r.context),
      base: xreg(r.base),
      branch: xreg(r.branch),
      flagsTmp: xreg(r.flagsTmp),
      aarch32Tmp: xreg(r.aarch32Tmp),
    },
    offsetMacro: table.context.offsetMacro,
    baseOffset: table.context.baseOffset,
    slotBytes: table.context.slotBytes,
    insnShift: INSN_SHIFT,
    sysregs: planSlotRuns(eager64, r.values, table),
    debug: { id: xreg(r.id), idReads, skipConstants, banks, singles },
    aarch32: { register: asmName(table.aarch32.register), shiftName: table.aarch32.shiftName, rwShift: table.aarch32.rwShift, eager: a32Eager, lazy: a32Lazy },
    flags: { offset: table.lazy.flagsOffset, shiftName: table.lazy.shiftName, maskName: table.lazy.maskName, shift: table.lazy.dirtyShift },
    trigger: {
      pair: trig.bits.length === 2,
      bits: trig.bits,
      d0: xreg(r.dirty[0]!),
      d1: xreg(r.dirty[1]!),
      contextOffset: trig.context,
      registerName: trig.register.name,
      slot: trig.register.slot,
    },
    header: {
      slots,
      nrSysRegs: table.context.nrSysRegs,
      reserved: table.context.reserved,
      triggerBits: trig.bits,
      asmOffsets: table.asmOffsets.map((o) => ({ ...o, valueHex: `0x${o.value.toString(16)}` })),
    },
  };
}

/** A CPU's view of the plan: how many of each bank it implements. */
export interface CpuCounts {
  name: string;
  idRegisters: Record<string, bigint>;
  /** count per id field name */
  counts: Record<string, number>;
}

export function countsForCpu(table: Table, cpu: CpuModel): CpuCounts {
  const counts: Record<string, number> = {};
  for (const f of table.idFields) counts[f.name] = countFor(cpu, f);
  return { name: cpu.name, idRegisters: cpu.idRegisters, counts };
}
