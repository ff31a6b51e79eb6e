// The shape of the register table and the CPU-model file. Shape only: what the values mean
// (overlaps, ranges that depend on other fields, names) is checked in validate.ts, with
// positions, after this has accepted the structure.
import { z } from 'zod';

/** A name that is pasted into assembly, C and TypeScript: plain identifier characters only. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A register-family pattern: an identifier with exactly one `<n>` in it. */
export const BANK_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*<n>[A-Za-z0-9_]*$|^<n>[A-Za-z0-9_]+$/;
/** A 64-bit general-purpose register as the roles name them. */
export const GPR = /^x([0-9]|[12][0-9]|30)$/;
/** A run of general-purpose registers, `x5-x20`. */
export const GPR_RANGE = /^x([0-9]|[12][0-9]|30)-x([0-9]|[12][0-9]|30)$/;
/** A CPU model's name: lower-case words joined by `-`, as QEMU's `-cpu` names are. */
export const CPU_NAME = /^[a-z0-9][a-z0-9_-]*$/;

const int = z.number().int();
const name = z.string();

export const RegisterEntry = z.strictObject({
  name,
  slot: int,
  switch: z.enum(['eager', 'lazy', 'external']),
  guest: z.enum(['any', 'aarch32']).optional(),
  access: name.optional(),
});

export const BankEntry = z.strictObject({
  name,
  first_slot: int,
  max: int,
  count: name,
});

export const IdField = z.strictObject({
  register: name,
  lsb: int,
  width: int,
  bias: int,
});

export const AsmOffset = z.strictObject({
  value: int,
  define: z.string(),
  add_define: z.boolean().optional(),
});

export const TriggerBit = z.strictObject({ name, bit: int });

export const TableSchema = z.strictObject({
  name,
  context: z.strictObject({
    slot_bytes: int,
    nr_sys_regs: int,
    reserved: z.array(int),
    offset_macro: name,
    base_offset: name,
  }),
  asm_offsets: z.record(z.string(), AsmOffset),
  id_fields: z.record(z.string(), IdField),
  registers: z.array(RegisterEntry),
  banks: z.array(BankEntry),
  lazy: z.strictObject({
    flags: z.strictObject({
      offset: name,
      dirty_shift: int,
      shift_name: name,
      mask_name: name,
    }),
    trigger: z.strictObject({
      register: name,
      context: name,
      bits: z.array(TriggerBit),
    }),
  }),
  aarch32: z.strictObject({
    register: name,
    rw_shift: int,
    shift_name: name,
  }),
  roles: z.strictObject({
    vcpu: z.string(),
    context: z.string(),
    base: z.string(),
    values: z.string(),
    aarch32_values: z.string(),
    aarch32_tmp: z.string(),
    bank_values: z.string(),
    lazy_value: z.string(),
    id: z.string(),
    skip: z.array(z.string()),
    branch: z.string(),
    flags_tmp: z.string(),
    dirty: z.array(z.string()),
  }),
});

export type RawTable = z.infer<typeof TableSchema>;

/** ID register values are 64-bit: the loader keeps every YAML integer as a bigint until here. */
export const IdValue = z.bigint();

/** A CPU model: its name, optionally QEMU's `-cpu` name, and one key per ID register it defines. */
export const CpuEntry = z
  .object({
    name: z.string(),
    qemu: z.string().optional(),
  })
  .catchall(IdValue);

export const CpuFileSchema = z.strictObject({
  cpus: z.array(CpuEntry),
});

export type RawCpuFile = z.infer<typeof CpuFileSchema>;
