// The validated, typed register table: what every later pass reads. Nothing here is raw YAML;
// every name is a checked identifier and every number is in range.

export type SwitchPolicy = 'eager' | 'lazy' | 'external';
export type GuestKind = 'any' | 'aarch32';

export interface ContextLayout {
  slotBytes: number;
  nrSysRegs: number;
  reserved: number[];
  /** C macro giving a slot's byte offset from the context base, e.g. CPU_SYSREG_OFFSET. */
  offsetMacro: string;
  /** asm-offsets name of the sys_regs array inside the context, e.g. CPU_SYSREGS. */
  baseOffset: string;
}

export interface AsmOffset {
  name: string;
  /** Value used only by simulation and cross-checks; a kernel build takes it from asm-offsets.c. */
  value: number;
  /** The C expression asm-offsets.c defines it as. */
  define: string;
  /** asm-offsets.c lacks it: the header carries its DEFINE line (the seed adds VCPU_DEBUG_FLAGS). */
  addDefine: boolean;
}

export interface IdField {
  name: string;
  register: string;
  lsb: number;
  width: number;
  /** count = field + bias (ID_AA64DFR0_EL1.BRPs holds count - 1, so bias 1). */
  bias: number;
}

export interface SysRegister {
  name: string;
  slot: number;
  policy: SwitchPolicy;
  guest: GuestKind;
  /** The register the instructions name (VMPIDR_EL2 for MPIDR_EL1's slot). */
  access: string;
}

export interface RegisterBank {
  /** The family pattern, e.g. DBGBCR<n>_EL1. */
  pattern: string;
  firstSlot: number;
  max: number;
  count: IdField;
}

export interface LazyPolicy {
  flagsOffset: string;
  dirtyShift: number;
  shiftName: string;
  maskName: string;
  trigger: {
    register: SysRegister;
    /** asm-offsets name of the guest context inside the vcpu. */
    context: string;
    bits: { name: string; bit: number }[];
  };
}

export interface Aarch32Policy {
  register: string;
  rwShift: number;
  shiftName: string;
}

/** General-purpose register numbers (0..30) by role. */
export interface Roles {
  vcpu: number;
  context: number;
  base: number;
  values: number[];
  aarch32Values: number[];
  aarch32Tmp: number;
  bankValues: number[];
  lazyValue: number;
  id: number;
  skip: number[];
  branch: number;
  flagsTmp: number;
  dirty: number[];
}

export interface Table {
  name: string;
  /** The table's path as the user named it (for generated-file headers and diagnostics). */
  source: string;
  context: ContextLayout;
  asmOffsets: AsmOffset[];
  idFields: IdField[];
  registers: SysRegister[];
  banks: RegisterBank[];
  lazy: LazyPolicy;
  aarch32: Aarch32Policy;
  roles: Roles;
}

export interface CpuModel {
  name: string;
  /** QEMU's -cpu name, where QEMU models this CPU. */
  qemu?: string;
  /** ID register values by upper-case register name. */
  idRegisters: Record<string, bigint>;
}

export interface CpuFile {
  source: string;
  cpus: CpuModel[];
}

/** A bank's register name for index n: DBGBCR<n>_EL1 → DBGBCR3_EL1. */
export function bankRegisterName(bank: Pick<RegisterBank, 'pattern'>, n: number): string {
  return bank.pattern.replace('<n>', String(n));
}

/** The value of an ID field in a CPU model, and the count it encodes. */
export function fieldValue(cpu: CpuModel, field: IdField): bigint {
  const reg = cpu.idRegisters[field.register] ?? 0n;
  return (reg >> BigInt(field.lsb)) & ((1n << BigInt(field.width)) - 1n);
}

export function countFor(cpu: CpuModel, field: IdField): number {
  return Number(fieldValue(cpu, field)) + field.bias;
}
