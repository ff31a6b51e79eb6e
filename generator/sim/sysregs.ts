// The system registers the simulator knows, and the CPU model that decides which exist.
//
// One table: each entry is a register or a family (DBGBCR<n>_EL1, n = 0..15) declared once, with
// its (op0, op1, CRn, CRm, op2) encoding, its access (read/write, read-only ID register, write-only)
// and the bits a write keeps. Families name the ID_AA64DFR0_EL1 field that counts them.
//
// Bits kept on write: the default model is architectural "all 64 bits kept" for every register
// (`keep: ALL_BITS` below). The architecture makes many of these bits RES0, and real CPUs and QEMU
// drop some (REFERENCE.md §6); a CpuModel can override the mask (or add a transform) per register.

export const ALL_BITS = (1n << 64n) - 1n;

export interface SysRegEncoding {
  op0: number;
  op1: number;
  crn: number;
  crm: number;
  op2: number;
}

/** Which ID_AA64DFR0_EL1 count a banked register depends on (the field holds count - 1). */
export type BankCount = 'brps' | 'wrps';

export interface SysRegDef {
  /** Lower-case assembler name, e.g. "dbgbcr3_el1". */
  readonly name: string;
  readonly enc: SysRegEncoding;
  /** The 15-bit o0:op1:CRn:CRm:op2 field of the MRS/MSR word (bits [19:5]). */
  readonly key: number;
  /** `ro`: read-only (MSR is UNDEFINED); `wo`: write-only (MRS is UNDEFINED). */
  readonly access: 'rw' | 'ro' | 'wo';
  /** Bits kept on write, in the default (architectural "all bits") model. */
  readonly keep: bigint;
  /** For banked debug registers: the bank index and which count bounds it. */
  readonly bank?: { readonly n: number; readonly count: BankCount; readonly family: string };
}

interface Single {
  name: string;
  enc: [number, number, number, number, number];
  access?: 'rw' | 'ro' | 'wo';
}

interface Family {
  /** Name with `<n>` for the bank index. */
  pattern: string;
  enc: (n: number) => [number, number, number, number, number];
  count: BankCount;
}

// DBGB{V,C}Rn_EL1 and DBGW{V,C}Rn_EL1: (2, 0, 0, n, 4/5/6/7); at most 16 each are addressable.
const FAMILIES: Family[] = [
  { pattern: 'dbgbvr<n>_el1', enc: (n) => [2, 0, 0, n, 4], count: 'brps' },
  { pattern: 'dbgbcr<n>_el1', enc: (n) => [2, 0, 0, n, 5], count: 'brps' },
  { pattern: 'dbgwvr<n>_el1', enc: (n) => [2, 0, 0, n, 6], count: 'wrps' },
  { pattern: 'dbgwcr<n>_el1', enc: (n) => [2, 0, 0, n, 7], count: 'wrps' },
];
export const MAX_BANK = 16;

const SINGLES: Single[] = [
  // Debug (op0 = 2)
  { name: 'mdccint_el1', enc: [2, 0, 0, 2, 0] },
  { name: 'mdscr_el1', enc: [2, 0, 0, 2, 2] },
  { name: 'mdrar_el1', enc: [2, 0, 1, 0, 0], access: 'ro' },
  { name: 'oslar_el1', enc: [2, 0, 1, 0, 4], access: 'wo' },
  { name: 'oslsr_el1', enc: [2, 0, 1, 1, 4], access: 'ro' },
  { name: 'osdlr_el1', enc: [2, 0, 1, 3, 4] },
  { name: 'dbgprcr_el1', enc: [2, 0, 1, 4, 4] },
  { name: 'dbgclaimset_el1', enc: [2, 0, 7, 8, 6] },
  { name: 'dbgclaimclr_el1', enc: [2, 0, 7, 9, 6] },
  { name: 'dbgauthstatus_el1', enc: [2, 0, 7, 14, 6], access: 'ro' },
  { name: 'mdccsr_el0', enc: [2, 3, 0, 1, 0], access: 'ro' },
  { name: 'teecr32_el1', enc: [2, 2, 0, 0, 0] },
  { name: 'teehbr32_el1', enc: [2, 2, 1, 0, 0] },
  { name: 'dbgvcr32_el2', enc: [2, 4, 0, 7, 0] },
  // Identification (read-only)
  { name: 'midr_el1', enc: [3, 0, 0, 0, 0], access: 'ro' },
  { name: 'mpidr_el1', enc: [3, 0, 0, 0, 5], access: 'ro' },
  { name: 'id_pfr0_el1', enc: [3, 0, 0, 1, 0], access: 'ro' },
  { name: 'id_dfr0_el1', enc: [3, 0, 0, 1, 2], access: 'ro' },
  { name: 'id_aa64pfr0_el1', enc: [3, 0, 0, 4, 0], access: 'ro' },
  { name: 'id_aa64dfr0_el1', enc: [3, 0, 0, 5, 0], access: 'ro' },
  { name: 'id_aa64dfr1_el1', enc: [3, 0, 0, 5, 1], access: 'ro' },
  { name: 'id_aa64mmfr0_el1', enc: [3, 0, 0, 7, 0], access: 'ro' },
  // EL1/EL0 context (the 2014 save_sysregs set and neighbours)
  { name: 'sctlr_el1', enc: [3, 0, 1, 0, 0] },
  { name: 'actlr_el1', enc: [3, 0, 1, 0, 1] },
  { name: 'cpacr_el1', enc: [3, 0, 1, 0, 2] },
  { name: 'ttbr0_el1', enc: [3, 0, 2, 0, 0] },
  { name: 'ttbr1_el1', enc: [3, 0, 2, 0, 1] },
  { name: 'tcr_el1', enc: [3, 0, 2, 0, 2] },
  { name: 'spsr_el1', enc: [3, 0, 4, 0, 0] },
  { name: 'elr_el1', enc: [3, 0, 4, 0, 1] },
  { name: 'sp_el0', enc: [3, 0, 4, 1, 0] },
  { name: 'afsr0_el1', enc: [3, 0, 5, 1, 0] },
  { name: 'afsr1_el1', enc: [3, 0, 5, 1, 1] },
  { name: 'esr_el1', enc: [3, 0, 5, 2, 0] },
  { name: 'far_el1', enc: [3, 0, 6, 0, 0] },
  { name: 'par_el1', enc: [3, 0, 7, 4, 0] },
  { name: 'mair_el1', enc: [3, 0, 10, 2, 0] },
  { name: 'amair_el1', enc: [3, 0, 10, 3, 0] },
  { name: 'vbar_el1', enc: [3, 0, 12, 0, 0] },
  { name: 'contextidr_el1', enc: [3, 0, 13, 0, 1] },
  { name: 'tpidr_el1', enc: [3, 0, 13, 0, 4] },
  { name: 'cntkctl_el1', enc: [3, 0, 14, 1, 0] },
  { name: 'csselr_el1', enc: [3, 2, 0, 0, 0] },
  { name: 'tpidr_el0', enc: [3, 3, 13, 0, 2] },
  { name: 'tpidrro_el0', enc: [3, 3, 13, 0, 3] },
  { name: 'cntv_ctl_el0', enc: [3, 3, 14, 3, 1] },
  { name: 'cntv_cval_el0', enc: [3, 3, 14, 3, 2] },
  // EL2
  { name: 'vpidr_el2', enc: [3, 4, 0, 0, 0] },
  { name: 'vmpidr_el2', enc: [3, 4, 0, 0, 5] },
  { name: 'sctlr_el2', enc: [3, 4, 1, 0, 0] },
  { name: 'actlr_el2', enc: [3, 4, 1, 0, 1] },
  { name: 'hcr_el2', enc: [3, 4, 1, 1, 0] },
  { name: 'mdcr_el2', enc: [3, 4, 1, 1, 1] },
  { name: 'cptr_el2', enc: [3, 4, 1, 1, 2] },
  { name: 'hstr_el2', enc: [3, 4, 1, 1, 3] },
  { name: 'hacr_el2', enc: [3, 4, 1, 1, 7] },
  { name: 'ttbr0_el2', enc: [3, 4, 2, 0, 0] },
  { name: 'tcr_el2', enc: [3, 4, 2, 0, 2] },
  { name: 'vttbr_el2', enc: [3, 4, 2, 1, 0] },
  { name: 'vtcr_el2', enc: [3, 4, 2, 1, 2] },
  { name: 'dacr32_el2', enc: [3, 4, 3, 0, 0] },
  { name: 'spsr_el2', enc: [3, 4, 4, 0, 0] },
  { name: 'elr_el2', enc: [3, 4, 4, 0, 1] },
  { name: 'sp_el1', enc: [3, 4, 4, 1, 0] },
  { name: 'ifsr32_el2', enc: [3, 4, 5, 0, 1] },
  { name: 'esr_el2', enc: [3, 4, 5, 2, 0] },
  { name: 'fpexc32_el2', enc: [3, 4, 5, 3, 0] },
  { name: 'far_el2', enc: [3, 4, 6, 0, 0] },
  { name: 'hpfar_el2', enc: [3, 4, 6, 0, 4] },
  { name: 'mair_el2', enc: [3, 4, 10, 2, 0] },
  { name: 'vbar_el2', enc: [3, 4, 12, 0, 0] },
  { name: 'tpidr_el2', enc: [3, 4, 13, 0, 2] },
  { name: 'cntvoff_el2', enc: [3, 4, 14, 0, 3] },
  { name: 'cnthctl_el2', enc: [3, 4, 14, 1, 0] },
];

export function sysRegKey(e: SysRegEncoding): number {
  return ((e.op0 - 2) << 14) | (e.op1 << 11) | (e.crn << 7) | (e.crm << 3) | e.op2;
}

export function encodingFromKey(key: number): SysRegEncoding {
  return { op0: 2 + ((key >> 14) & 1), op1: (key >> 11) & 7, crn: (key >> 7) & 15, crm: (key >> 3) & 15, op2: key & 7 };
}

/** The generic assembler spelling, e.g. "s2_0_c0_c3_5". */
export function genericName(e: SysRegEncoding): string {
  return `s${e.op0}_${e.op1}_c${e.crn}_c${e.crm}_${e.op2}`;
}

function makeDef(name: string, enc: [number, number, number, number, number], access: 'rw' | 'ro' | 'wo', bank?: SysRegDef['bank']): SysRegDef {
  const [op0, op1, crn, crm, op2] = enc;
  const e = { op0, op1, crn, crm, op2 };
  return { name, enc: e, key: sysRegKey(e), access, keep: ALL_BITS, ...(bank ? { bank } : {}) };
}

function buildTable(): SysRegDef[] {
  const defs: SysRegDef[] = [];
  for (const f of FAMILIES) {
    for (let n = 0; n < MAX_BANK; n++) {
      defs.push(makeDef(f.pattern.replace('<n>', String(n)), f.enc(n), 'rw', { n, count: f.count, family: f.pattern }));
    }
  }
  for (const s of SINGLES) defs.push(makeDef(s.name, s.enc, s.access ?? 'rw'));
  return defs;
}

/** Every register the simulator knows, families expanded; the index in this array is the register's slot. */
export const SYSREGS: readonly SysRegDef[] = buildTable();

const BY_NAME = new Map(SYSREGS.map((d) => [d.name, d] as const));
const BY_KEY = new Map(SYSREGS.map((d) => [d.key, d] as const));
export const SYSREG_INDEX = new Map(SYSREGS.map((d, i) => [d, i] as const));

/** Result of looking up an operand spelling: a known register, or just an encoding (generic form). */
export interface SysRegRef {
  key: number;
  enc: SysRegEncoding;
  def: SysRegDef | undefined;
}

/** Look up an assembler spelling (case-insensitive): a table name or `S<op0>_<op1>_C<n>_C<m>_<op2>`. */
export function lookupSysReg(spelling: string): SysRegRef | undefined {
  const s = spelling.toLowerCase();
  const named = BY_NAME.get(s);
  if (named) return { key: named.key, enc: named.enc, def: named };
  const m = /^s([23])_([0-7])_c([0-9]|1[0-5])_c([0-9]|1[0-5])_([0-7])$/.exec(s);
  if (!m) return undefined;
  const enc = { op0: Number(m[1]), op1: Number(m[2]), crn: Number(m[3]), crm: Number(m[4]), op2: Number(m[5]) };
  const key = sysRegKey(enc);
  return { key, enc, def: BY_KEY.get(key) };
}

export function sysRegByKey(key: number): SysRegDef | undefined {
  return BY_KEY.get(key);
}

export function sysRegByName(name: string): SysRegDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Display name of an MRS/MSR register field: the table name, else the generic form. */
export function sysRegName(key: number): string {
  return BY_KEY.get(key)?.name ?? genericName(encodingFromKey(key));
}

/** ID_AA64DFR0_EL1 fields (each count field holds count - 1). */
export const DFR0 = {
  brps: (v: bigint): number => Number((v >> 12n) & 0xfn) + 1,
  wrps: (v: bigint): number => Number((v >> 20n) & 0xfn) + 1,
  ctxCmps: (v: bigint): number => Number((v >> 28n) & 0xfn) + 1,
};

export interface CpuModelOptions {
  /** Values of other ID registers (by name); ID_AA64DFR0_EL1 comes from the constructor argument. */
  idValues?: Record<string, bigint>;
  /** Per-register override of the bits a write keeps (the default keeps all 64). */
  keepMasks?: Record<string, bigint>;
  /** Per-register function applied to the (masked) value on write, e.g. a bit that copies another. */
  writeTransforms?: Record<string, (value: bigint) => bigint>;
  /** Registers the model ignores: MSR does nothing and MRS leaves the destination register unchanged. */
  ignored?: string[];
  /** A label for messages, e.g. "cortex-a57". */
  name?: string;
}

/** Default values of the ID registers the table knows (Cortex-A57 r1p0 values where it matters). */
const DEFAULT_ID_VALUES: Record<string, bigint> = {
  midr_el1: 0x411fd070n,
  mpidr_el1: 0x80000000n,
  id_pfr0_el1: 0x131n,
  id_dfr0_el1: 0x03010066n,
  id_aa64pfr0_el1: 0x2222n,
  id_aa64dfr1_el1: 0n,
  id_aa64mmfr0_el1: 0x1124n,
  mdrar_el1: 0n,
  oslsr_el1: 0x8n,
  dbgauthstatus_el1: 0xffn,
  mdccsr_el0: 0n,
};

/**
 * A CPU as the simulator sees it: built from its ID_AA64DFR0_EL1 value, which fixes how many
 * breakpoint and watchpoint registers exist (BRPs/WRPs hold count - 1); accessing a bank register
 * past the count is UNDEFINED. Everything else is data in the options, never a branch in code.
 */
export class CpuModel {
  readonly idAa64dfr0: bigint;
  readonly breakpoints: number;
  readonly watchpoints: number;
  readonly contextBreakpoints: number;
  readonly name: string;
  private readonly idValues: Map<string, bigint>;
  private readonly keepMasks: Map<string, bigint>;
  private readonly transforms: Map<string, (v: bigint) => bigint>;
  private readonly ignoredSet: Set<string>;

  constructor(idAa64dfr0: bigint, opts: CpuModelOptions = {}) {
    this.idAa64dfr0 = BigInt.asUintN(64, idAa64dfr0);
    this.breakpoints = DFR0.brps(this.idAa64dfr0);
    this.watchpoints = DFR0.wrps(this.idAa64dfr0);
    this.contextBreakpoints = DFR0.ctxCmps(this.idAa64dfr0);
    this.name = opts.name ?? `ID_AA64DFR0_EL1=0x${this.idAa64dfr0.toString(16)} (${this.breakpoints} BPs, ${this.watchpoints} WPs)`;
    const check = (what: string, names: Iterable<string>): void => {
      for (const n of names) if (!BY_NAME.has(n.toLowerCase())) throw new Error(`CpuModel ${what}: unknown system register '${n}'`);
    };
    check('idValues', Object.keys(opts.idValues ?? {}));
    check('keepMasks', Object.keys(opts.keepMasks ?? {}));
    check('writeTransforms', Object.keys(opts.writeTransforms ?? {}));
    check('ignored', opts.ignored ?? []);
    this.idValues = new Map(Object.entries({ ...DEFAULT_ID_VALUES, ...(opts.idValues ?? {}) }).map(([k, v]) => [k.toLowerCase(), v]));
    this.idValues.set('id_aa64dfr0_el1', this.idAa64dfr0);
    this.keepMasks = new Map(Object.entries(opts.keepMasks ?? {}).map(([k, v]) => [k.toLowerCase(), BigInt.asUintN(64, v)]));
    this.transforms = new Map(Object.entries(opts.writeTransforms ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.ignoredSet = new Set((opts.ignored ?? []).map((n) => n.toLowerCase()));
  }

  static fromIdAa64dfr0(idAa64dfr0: bigint, opts?: CpuModelOptions): CpuModel {
    return new CpuModel(idAa64dfr0, opts);
  }

  /** How many registers of a bank exist. */
  count(which: BankCount): number {
    return which === 'brps' ? this.breakpoints : this.watchpoints;
  }

  /** Whether the register exists on this CPU (bank registers past the count do not). */
  implements(def: SysRegDef): boolean {
    return def.bank === undefined || def.bank.n < this.count(def.bank.count);
  }

  /** Bits kept by a write. */
  keepMask(def: SysRegDef): bigint {
    return this.keepMasks.get(def.name) ?? def.keep;
  }

  writeTransform(def: SysRegDef): ((v: bigint) => bigint) | undefined {
    return this.transforms.get(def.name);
  }

  isIgnored(def: SysRegDef): boolean {
    return this.ignoredSet.has(def.name);
  }

  /** Reset value of a register (ID registers have their model values, others reset to 0). */
  resetValue(def: SysRegDef): bigint {
    return this.idValues.get(def.name) ?? 0n;
  }

  /** Why the register is not there, for the UNDEFINED message; undefined if it is. */
  whyUndefined(def: SysRegDef | undefined, key: number, write: boolean): string | undefined {
    if (!def) return `${sysRegName(key)} is not a system register this model implements`;
    if (!this.implements(def)) {
      const b = def.bank!;
      const field = b.count === 'brps' ? 'BRPs' : 'WRPs';
      return `${def.name.toUpperCase()} is not implemented: ID_AA64DFR0_EL1.${field} says ${this.count(b.count)} registers (0..${this.count(b.count) - 1})`;
    }
    if (write && def.access === 'ro') return `${def.name.toUpperCase()} is read-only`;
    if (!write && def.access === 'wo') return `${def.name.toUpperCase()} is write-only`;
    return undefined;
  }
}

/**
 * What QEMU 7.2 does to the debug registers (REFERENCE.md §6, measured): DBGBCRn bit 6 reads as a
 * copy of bit 5 and bit 8 as a copy of bit 7; DBGWVRn bits [1:0] read as 0; MDCCINT_EL1 is not
 * modelled (writes ignored, reads leave the destination unchanged). Opt-in: the default model is
 * architectural.
 */
export function qemu72DebugQuirks(): CpuModelOptions {
  const keepMasks: Record<string, bigint> = {};
  const writeTransforms: Record<string, (v: bigint) => bigint> = {};
  const copyBit = (v: bigint, from: bigint, to: bigint): bigint => (v & ~(1n << to)) | (((v >> from) & 1n) << to);
  for (let n = 0; n < MAX_BANK; n++) {
    keepMasks[`dbgwvr${n}_el1`] = ALL_BITS & ~3n;
    writeTransforms[`dbgbcr${n}_el1`] = (v) => copyBit(copyBit(v, 5n, 6n), 7n, 8n);
  }
  return { keepMasks, writeTransforms, ignored: ['mdccint_el1'], name: 'qemu-7.2' };
}
