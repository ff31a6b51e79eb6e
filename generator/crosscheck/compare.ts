// Comparing a result the project predicts (simulator or reference model) with what QEMU did.
// Known QEMU 7.2 behaviour (quirks.ts) is applied by name and reported as applied; anything
// else that differs is a difference, reported register by register and word by word.

import type { ScenarioCase, ScenarioResult } from '../verify/scenario.js';
import { QEMU_7_2_QUIRKS, qemuReadBack } from './quirks.js';

export interface IgnoredMemory {
  addr: bigint;
  length: number;
  /** Why, e.g. "host context slot 87 (MDCCINT_EL1): QEMU quirk mdccint-not-modelled". */
  reason: string;
}

export interface CompareOptions {
  /** GPRs not compared, with the reason. Default: x30, which holds the harness's return address. */
  ignoreGprs?: Record<number, string>;
  /** Memory byte ranges not compared, with the reason. */
  ignoreMemory?: IgnoredMemory[];
  /** Predict system register read-backs through QEMU_7_2_QUIRKS (default true). */
  qemuQuirks?: boolean;
  /**
   * The expected result already models QEMU (the simulator with qemuSimModel()): the quirk table
   * then only says which registers QEMU cannot show, and values are compared as they are.
   */
  expectedModelsQemu?: boolean;
  /** Names an address for messages, e.g. "guest context slot 25 (DBGBCR2_EL1)". */
  describeMemory?: (addr: bigint) => string | undefined;
}

export interface ResultDifference {
  /** "x5", "dbgbcr2_el1", "memory 0x40100340", "fault". */
  where: string;
  expected?: bigint | string;
  actual?: bigint | string;
  message: string;
}

export interface Comparison {
  differences: ResultDifference[];
  /** One line per quirk or ignore rule that changed what was compared, naming it. */
  notes: string[];
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/**
 * The case as QEMU will hold it once the harness has written its system registers: each value
 * passed through the register's QEMU quirk (registers QEMU does not model are dropped). Give
 * this to the simulator so both start from the same state.
 */
export function normalizeCaseForQemu<T extends ScenarioCase>(c: T): { case: T; notes: string[] } {
  const sysregs: Record<string, bigint> = {};
  const notes: string[] = [];
  for (const [name, value] of Object.entries(c.sysregs)) {
    const rb = qemuReadBack(name, value);
    if (!rb.observable) {
      notes.push(`${name}: dropped (QEMU quirk ${rb.quirk.id})`);
      continue;
    }
    if (rb.value !== value) notes.push(`${name}: ${hex(value)} -> ${hex(rb.value)} (QEMU quirk ${rb.quirk!.id})`);
    sysregs[name] = rb.value;
  }
  return { case: { ...c, sysregs }, notes };
}

export function compareWithQemu(expected: ScenarioResult, actual: ScenarioResult, opts: CompareOptions = {}): Comparison {
  const differences: ResultDifference[] = [];
  const notes: string[] = [];
  const ignoreGprs = opts.ignoreGprs ?? { 30: 'x30 holds the harness return address' };

  if (!!expected.fault !== !!actual.fault || (expected.fault && actual.fault && expected.fault.kind !== actual.fault.kind)) {
    differences.push({
      where: 'fault',
      expected: expected.fault ? expected.fault.kind : 'none',
      actual: actual.fault ? actual.fault.kind : 'none',
      message: `fault: expected ${expected.fault ? `${expected.fault.kind} (${expected.fault.message})` : 'none'}, QEMU ${actual.fault ? `${actual.fault.kind} (${actual.fault.message})` : 'none'}`,
    });
  }

  for (let r = 0; r <= 30; r++) {
    const e = expected.gprs[r];
    const a = actual.gprs[r];
    if (e === undefined || a === undefined || e === a) continue;
    if (ignoreGprs[r] !== undefined) {
      notes.push(`x${r} not compared: ${ignoreGprs[r]}`);
      continue;
    }
    differences.push({ where: `x${r}`, expected: e, actual: a, message: `x${r}: expected ${hex(e)}, QEMU ${hex(a)}` });
  }

  const quirks = opts.qemuQuirks ?? true;
  for (const [name, e] of Object.entries(expected.sysregs)) {
    let want = e;
    if (quirks) {
      const rb = qemuReadBack(name, e);
      if (!rb.observable) {
        notes.push(`${name} not compared: QEMU quirk ${rb.quirk.id} (${rb.quirk.description})`);
        continue;
      }
      if (!opts.expectedModelsQemu) {
        if (rb.value !== e) notes.push(`${name}: expected ${hex(e)} reads back as ${hex(rb.value)} under QEMU quirk ${rb.quirk!.id}`);
        want = rb.value;
      }
    }
    const a = actual.sysregs[name];
    if (a === undefined) {
      // A fault stops the read-back; that difference is reported above.
      if (!actual.fault) {
        differences.push({
          where: name, expected: want,
          message: `${name}: QEMU read nothing back (an MRS left its destination unchanged) and no known quirk says it should`,
        });
      }
      continue;
    }
    if (want !== a) {
      const q = QEMU_7_2_QUIRKS.find((x) => x.appliesTo(name));
      differences.push({
        where: name, expected: want, actual: a,
        message: `${name}: expected ${hex(want)}, QEMU ${hex(a)}${q && quirks ? ` (QEMU quirk ${q.id} ${opts.expectedModelsQemu ? 'is in the expectation' : 'already applied'}; it does not explain this)` : ''}`,
      });
    }
  }

  const ignored = opts.ignoreMemory ?? [];
  for (const em of expected.memory) {
    const am = actual.memory.find((m) => m.addr === em.addr);
    if (!am) {
      differences.push({ where: `memory ${hex(em.addr)}`, message: `memory region at ${hex(em.addr)}: QEMU returned no such region` });
      continue;
    }
    const reported = new Set<string>();
    const n = Math.min(em.bytes.length, am.bytes.length);
    for (let i = 0; i < n; i++) {
      if (em.bytes[i] === am.bytes[i]) continue;
      const addr = em.addr + BigInt(i);
      const ig = ignored.find((g) => addr >= g.addr && addr < g.addr + BigInt(g.length));
      if (ig) {
        if (!reported.has(ig.reason)) notes.push(`memory ${hex(ig.addr)}..+${ig.length} not compared: ${ig.reason}`);
        reported.add(ig.reason);
        continue;
      }
      // Report the aligned doubleword around the first differing byte, then move past it.
      const base = i - (Number(addr & 7n) % 8);
      const lo = Math.max(0, base);
      const hi = Math.min(n, base + 8);
      const word = (b: Uint8Array) => {
        let v = 0n;
        for (let k = hi - 1; k >= lo; k--) v = (v << 8n) | BigInt(b[k]!);
        return v;
      };
      const at = em.addr + BigInt(lo);
      const what = opts.describeMemory?.(at);
      differences.push({
        where: `memory ${hex(at)}`, expected: word(em.bytes), actual: word(am.bytes),
        message: `memory ${hex(at)}${what ? ` (${what})` : ''}: expected ${hex(word(em.bytes))}, QEMU ${hex(word(am.bytes))}`,
      });
      i = hi - 1;
    }
    if (em.bytes.length !== am.bytes.length) {
      differences.push({ where: `memory ${hex(em.addr)}`, message: `memory region at ${hex(em.addr)}: ${em.bytes.length} bytes expected, QEMU returned ${am.bytes.length}` });
    }
  }
  return { differences, notes };
}
