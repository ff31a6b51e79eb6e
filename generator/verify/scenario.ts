// A scenario is one self-contained run of emitted code: the state a routine starts from and
// the label it is entered at. The bundled simulator and the QEMU harness both take scenarios,
// so their results can be compared field by field.

/** A block of guest-physical memory, copied in before the run and read back after it. */
export interface MemoryRegion {
  /** Byte address; the QEMU harness places these inside the virt board's RAM (0x4000_0000..). */
  addr: bigint;
  bytes: Uint8Array;
}

export interface ScenarioCase {
  /** Label (defined by the driver source) that is entered with `bl`; the routine returns with `ret`. */
  routine: string;
  /** Initial general-purpose registers by number (0..30); those not given start as 0. */
  gprs: Partial<Record<number, bigint>>;
  /** Initial system registers by lower-case assembler name (e.g. "dbgbcr0_el1"). */
  sysregs: Record<string, bigint>;
  /** Memory to load before the run; the same regions are read back afterwards. */
  memory: MemoryRegion[];
  /** The value the routine observes in ID_AA64DFR0_EL1 (defaults to the CPU model's own). */
  idAa64dfr0?: bigint;
}

export interface ScenarioResult {
  /** x0..x30 after the routine returned (index = register number). */
  gprs: bigint[];
  /** Every system register named in the case's `sysregs`, read back after the run. */
  sysregs: Record<string, bigint>;
  /** The case's memory regions, read back after the run. */
  memory: MemoryRegion[];
  /** Set when the run did not return normally (exception, step limit, bad access). */
  fault?: { kind: string; message: string; pc?: bigint };
}
