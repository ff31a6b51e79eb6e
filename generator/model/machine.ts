// The machine state the generated TypeScript models run on: system registers by assembler
// name and 64-bit memory. Generated code sees only MachineState; SimpleMachine is the
// reference implementation that tests and the verifier use.

/**
 * What an EL2 world-switch routine can touch. Addresses are byte addresses; every value is an
 * unsigned 64-bit bigint. System registers are named as the assembler spells them, in lower
 * case (`dbgbcr0_el1`, `vmpidr_el2`). An implementation may throw to model an exception
 * (an UNDEFINED register, an unaligned access); the models make their accesses in the same
 * order as the asm, so the throw happens at the same point the asm would fault.
 */
export interface MachineState {
  readSys(name: string): bigint;
  writeSys(name: string, value: bigint): void;
  load64(addr: bigint): bigint;
  store64(addr: bigint, value: bigint): void;
}

/** One access, as SimpleMachine records it when tracing. */
export type MachineAccess =
  | { op: 'readSys'; name: string; value: bigint }
  | { op: 'writeSys'; name: string; value: bigint }
  | { op: 'load64'; addr: bigint; value: bigint }
  | { op: 'store64'; addr: bigint; value: bigint };

export type MachineFaultKind = 'undefined' | 'alignment' | 'bad-name';

/** An access the machine refuses, as hardware would raise an exception. */
export class MachineFault extends Error {
  constructor(
    readonly kind: MachineFaultKind,
    message: string,
    readonly access: { name?: string; addr?: bigint },
  ) {
    super(message);
    this.name = 'MachineFault';
  }
}

export interface SimpleMachineOptions {
  /** Initial system registers by lower-case name; those not given read as 0. */
  sysregs?: Record<string, bigint> | Iterable<readonly [string, bigint]>;
  /**
   * The system registers this machine implements. When given, any other name raises
   * MachineFault('undefined'), as DBGBCR6_EL1 does on a CPU with 6 breakpoints.
   */
  implemented?: Iterable<string>;
  /** Record every access in `trace` (off by default: the verifier runs many models). */
  trace?: boolean;
}

const PAGE_SHIFT = 12n;
const WORDS_PER_PAGE = 512;
const PAGE_MASK = (1n << PAGE_SHIFT) - 1n;
const ASM_NAME = /^[a-z][a-z0-9_]*$/;

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/**
 * A Map of system registers plus sparse memory in 4 KiB pages of 64-bit words. Values and
 * addresses wrap to 64 bits; unwritten memory reads as 0; 64-bit accesses must be 8-byte
 * aligned (the switch runs with the MMU off, where unaligned accesses fault).
 */
export class SimpleMachine implements MachineState {
  readonly trace: MachineAccess[] = [];
  private readonly regs = new Map<string, bigint>();
  private readonly pages = new Map<bigint, BigUint64Array>();
  private readonly implemented: ReadonlySet<string> | undefined;
  private readonly tracing: boolean;

  constructor(opts: SimpleMachineOptions = {}) {
    this.implemented = opts.implemented ? new Set(opts.implemented) : undefined;
    this.tracing = opts.trace ?? false;
    const init = opts.sysregs === undefined ? [] : Symbol.iterator in opts.sysregs ? opts.sysregs : Object.entries(opts.sysregs);
    for (const [name, value] of init as Iterable<readonly [string, bigint]>) this.setSys(name, value);
  }

  readSys(name: string): bigint {
    this.checkName(name);
    const value = this.regs.get(name) ?? 0n;
    if (this.tracing) this.trace.push({ op: 'readSys', name, value });
    return value;
  }

  writeSys(name: string, value: bigint): void {
    this.checkName(name);
    const v = u64(value);
    if (this.tracing) this.trace.push({ op: 'writeSys', name, value: v });
    this.regs.set(name, v);
  }

  load64(addr: bigint): bigint {
    const a = this.checkAddr(addr);
    const value = this.pages.get(a >> PAGE_SHIFT)?.[Number((a & PAGE_MASK) >> 3n)] ?? 0n;
    if (this.tracing) this.trace.push({ op: 'load64', addr: a, value });
    return value;
  }

  store64(addr: bigint, value: bigint): void {
    const a = this.checkAddr(addr);
    const v = u64(value);
    if (this.tracing) this.trace.push({ op: 'store64', addr: a, value: v });
    let page = this.pages.get(a >> PAGE_SHIFT);
    if (!page) {
      page = new BigUint64Array(WORDS_PER_PAGE);
      this.pages.set(a >> PAGE_SHIFT, page);
    }
    page[Number((a & PAGE_MASK) >> 3n)] = v;
  }

  /** Set a register without tracing or the implemented check (test and verifier setup). */
  setSys(name: string, value: bigint): void {
    if (!ASM_NAME.test(name)) throw new MachineFault('bad-name', `system register name ${JSON.stringify(name)} is not a lower-case assembler name`, { name });
    this.regs.set(name, u64(value));
  }

  /** Whether a register has been set or written (reads of unset registers return 0). */
  hasSys(name: string): boolean {
    return this.regs.has(name);
  }

  /** Every set register, sorted by name. */
  sysregs(): Map<string, bigint> {
    return new Map([...this.regs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Every nonzero memory word, sorted by address. */
  memoryWords(): Map<bigint, bigint> {
    const out: [bigint, bigint][] = [];
    for (const [pn, page] of this.pages) {
      page.forEach((v, i) => {
        if (v !== 0n) out.push([(pn << PAGE_SHIFT) | (BigInt(i) << 3n), v]);
      });
    }
    return new Map(out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Copy another machine's memory into this one (its registers and trace are not copied). */
  copyMemoryFrom(other: SimpleMachine): void {
    for (const [pn, page] of other.pages) this.pages.set(pn, page.slice());
  }

  private checkName(name: string): void {
    if (!ASM_NAME.test(name)) throw new MachineFault('bad-name', `system register name ${JSON.stringify(name)} is not a lower-case assembler name`, { name });
    if (this.implemented && !this.implemented.has(name)) throw new MachineFault('undefined', `${name} is not implemented on this machine (UNDEFINED)`, { name });
  }

  private checkAddr(addr: bigint): bigint {
    const a = u64(addr);
    if ((a & 7n) !== 0n) throw new MachineFault('alignment', `unaligned 64-bit access at ${hex(a)}`, { addr: a });
    return a;
  }
}
