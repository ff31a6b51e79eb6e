// Diagnostics and run-time faults of the bundled AArch64 simulator.
//
// Assembly-time problems are `SimError`s printed compiler-style (`file:line:col: error: ...`,
// followed by one note per macro expansion level). Run-time problems are `SimFault`s: they carry
// the pc and the source line of the instruction that faulted, so a checker can point at the asm.

/** A position in a source file; line and col are 1-based. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One level of macro expansion: which macro, invoked where. */
export interface ExpansionFrame {
  /** `.macro` name, or `.rept`/`.irp` for repetition blocks. */
  readonly macro: string;
  readonly at: SourcePos;
}

/** Where an instruction or diagnostic comes from, with the macro expansion chain (outermost first). */
export interface SourceLoc extends SourcePos {
  readonly chain: readonly ExpansionFrame[];
}

export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/** `file:line:col` followed by `(in macro 'x' invoked at file:line:col)` for each expansion level. */
export function formatLoc(loc: SourceLoc): string {
  const via = [...loc.chain]
    .reverse()
    .map((f) => ` (in macro '${f.macro}' invoked at ${formatPos(f.at)})`)
    .join('');
  return `${formatPos(loc)}${via}`;
}

function renderDiagnostic(loc: SourceLoc, message: string): string {
  const lines = [`${formatPos(loc)}: error: ${message}`];
  // Innermost invocation first, as GCC prints "in expansion of macro" notes.
  for (const frame of [...loc.chain].reverse()) {
    lines.push(`${formatPos(frame.at)}: note: in expansion of macro '${frame.macro}'`);
  }
  return lines.join('\n');
}

/**
 * An assembly-time diagnostic. When several problems were collected, the thrown error describes the
 * first one in its fields, lists all of them in `diagnostics`, and its message prints them all.
 */
export class SimError extends Error {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly chain: readonly ExpansionFrame[];
  /** The bare message, without the location prefix. */
  readonly detail: string;
  /** Every diagnostic collected (this one included); length 1 for a single error. */
  diagnostics: readonly SimError[];

  constructor(loc: SourcePos & { chain?: readonly ExpansionFrame[] }, detail: string) {
    const full: SourceLoc = { file: loc.file, line: loc.line, col: loc.col, chain: loc.chain ?? [] };
    super(renderDiagnostic(full, detail));
    this.name = 'SimError';
    this.file = full.file;
    this.line = full.line;
    this.col = full.col;
    this.chain = full.chain;
    this.detail = detail;
    this.diagnostics = [this];
  }

  get loc(): SourceLoc {
    return { file: this.file, line: this.line, col: this.col, chain: this.chain };
  }

  /** One error standing for all collected ones (there must be at least one). */
  static collect(errors: readonly SimError[], capped = false): SimError {
    const first = errors[0];
    if (first === undefined) throw new Error('SimError.collect: no errors');
    if (errors.length === 1 && !capped) return first;
    const all = new SimError(first.loc, first.detail);
    all.diagnostics = [...errors];
    const more = capped ? '\n(too many errors; stopped)' : '';
    all.message = errors.map((e) => e.message).join('\n') + more;
    return all;
  }
}

/** Error collection with a cap, so a broken input produces a readable list rather than thousands of lines. */
export class Diagnostics {
  readonly errors: SimError[] = [];
  capped = false;
  constructor(readonly max = 50) {}

  add(err: SimError): void {
    if (this.errors.length >= this.max) {
      this.capped = true;
      throw SimError.collect(this.errors, true);
    }
    this.errors.push(err);
  }

  /** Record `err` if it is a SimError, rethrow anything else (a bug in the simulator). */
  catch(err: unknown): void {
    if (err instanceof SimError) {
      for (const d of err.diagnostics) this.add(d);
    } else {
      throw err;
    }
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw SimError.collect(this.errors, this.capped);
  }
}

/**
 * Why a run stopped without returning.
 * - `undefined`: an UNDEFINED instruction (unimplemented or read-only system register, ...).
 * - `unknown-instruction`: an encoding the simulator does not decode.
 * - `memory`: a data access outside every mapped region.
 * - `alignment`: a misaligned data access (the MMU is off, so every unaligned access faults).
 * - `prefetch`: a branch to an address outside the program image.
 * - `pc-alignment`: a branch to an address that is not a multiple of 4.
 * - `step-limit`: the run executed `maxSteps` instructions without returning.
 * - `brk`, `hlt`, `svc`, `hvc`, `smc`, `eret`: the program executed that instruction.
 */
export type FaultKind =
  | 'undefined'
  | 'unknown-instruction'
  | 'memory'
  | 'alignment'
  | 'prefetch'
  | 'pc-alignment'
  | 'step-limit'
  | 'brk'
  | 'hlt'
  | 'svc'
  | 'hvc'
  | 'smc'
  | 'eret';

export interface FaultDetails {
  kind: FaultKind;
  /** Address of the faulting instruction (for `prefetch`, of the branch that left the program). */
  pc: bigint;
  loc?: SourceLoc;
  /** Normalised source text of the faulting instruction. */
  sourceText?: string;
  /** The instruction word, for `unknown-instruction`. */
  word?: number;
  /** System register involved, for `undefined` on mrs/msr. */
  register?: string;
  /** Data address (memory/alignment) or branch target (prefetch/pc-alignment). */
  address?: bigint;
}

/** A run-time fault: the message starts with the source location of the faulting instruction. */
export class SimFault extends Error {
  readonly kind: FaultKind;
  readonly pc: bigint;
  readonly loc: SourceLoc | undefined;
  readonly sourceText: string | undefined;
  readonly word: number | undefined;
  readonly register: string | undefined;
  readonly address: bigint | undefined;
  /** The reason, without location or instruction text. */
  readonly detail: string;

  constructor(details: FaultDetails, detail: string) {
    const where = details.loc ? `${formatLoc(details.loc)}: ` : '';
    const insn = details.sourceText ? ` [${details.sourceText}]` : '';
    super(`${where}${details.kind} at pc 0x${details.pc.toString(16)}${insn}: ${detail}`);
    this.name = 'SimFault';
    this.kind = details.kind;
    this.pc = details.pc;
    this.loc = details.loc;
    this.sourceText = details.sourceText;
    this.word = details.word;
    this.register = details.register;
    this.address = details.address;
    this.detail = detail;
  }
}

export function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}
