// The shape every generated TypeScript model has, whatever its table and counts: what the
// verifier and the tests can rely on. Table-named constants (BRPS, CPU_SYSREGS, ...) are
// exported too, but only these members are common to every table.
import type { MachineState } from './machine.js';

/** A register a routine moves between the machine and a context slot. */
export interface SwitchedRegister {
  /** Lower-case assembler name the routine reads or writes (vmpidr_el2 for MPIDR_EL1's slot). */
  readonly sysreg: string;
  /** Upper-case name of the slot's register. */
  readonly name: string;
  readonly slot: number;
  /** Byte offset of the slot from the context base (the table's offset macro, e.g. CPU_SYSREG_OFFSET). */
  readonly offset: bigint;
}

export interface SwitchModel {
  /** CPU model name (or the synthetic model's name). */
  readonly CPU: string;
  /** The register table's name. */
  readonly TABLE: string;
  /** Registers implemented per id field, e.g. { BRPs: 6, WRPs: 4 }. */
  readonly COUNTS: Readonly<Record<string, number>>;
  /** The ID register values this model is specialised to, by upper-case name. */
  readonly ID_REGISTERS: Readonly<Record<string, bigint>>;
  /** The table's asm-offsets simulation values, by name. */
  readonly ASM_OFFSETS: Readonly<Record<string, bigint>>;
  /** Registers each group moves, in the order the routines read them. */
  readonly SWITCHED: {
    readonly sysregs: readonly SwitchedRegister[];
    readonly debug: readonly SwitchedRegister[];
    readonly aarch32: readonly SwitchedRegister[];
    readonly aarch32Debug: readonly SwitchedRegister[];
  };
  saveSysregs(m: MachineState, ctxt: bigint): void;
  restoreSysregs(m: MachineState, ctxt: bigint): void;
  saveDebug(m: MachineState, ctxt: bigint): void;
  restoreDebug(m: MachineState, ctxt: bigint): void;
  saveGuest32bitSysregs(m: MachineState, vcpu: bigint, ctxt: bigint): void;
  restoreGuest32bitSysregs(m: MachineState, vcpu: bigint, ctxt: bigint): void;
  vcpuRunDebugSaveHost(m: MachineState, vcpu: bigint, hostCtxt: bigint): void;
  vcpuRunDebugRestoreGuest(m: MachineState, vcpu: bigint, guestCtxt: bigint): void;
  vcpuReturnDebugSaveGuest(m: MachineState, vcpu: bigint, guestCtxt: bigint): void;
  vcpuReturnDebugRestoreHost(m: MachineState, vcpu: bigint, hostCtxt: bigint): void;
}

/** The routines every model exports, in the order the generated file defines them. */
export const MODEL_FUNCTIONS = [
  'saveSysregs',
  'restoreSysregs',
  'saveDebug',
  'restoreDebug',
  'saveGuest32bitSysregs',
  'restoreGuest32bitSysregs',
  'vcpuRunDebugSaveHost',
  'vcpuRunDebugRestoreGuest',
  'vcpuReturnDebugSaveGuest',
  'vcpuReturnDebugRestoreHost',
] as const satisfies readonly (keyof SwitchModel)[];

/** The data members every model exports. */
export const MODEL_CONSTANTS = ['CPU', 'TABLE', 'COUNTS', 'ID_REGISTERS', 'ASM_OFFSETS', 'SWITCHED'] as const satisfies readonly (keyof SwitchModel)[];
