// The generated save_debug/restore_debug macros (generated/asm/debug_switch.S, the seed patch's
// instruction for instruction, as test/golden proves), run through fixtures/debug_driver.S on CPU
// models with 6/4, 16/16 and random breakpoint/watchpoint counts: random register values must
// round-trip through the context, and the save must store exactly slots 0..count-1 of each bank
// (plus MDCCINT_EL1) and touch nothing else. Also the entry/exit hooks and their dirty flag.

import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuModel, Machine, MAX_BANK, runScenario, type Program } from '../../generator/sim/index.js';
import { DEBUG_DRIVER, DEBUG_SWITCH, FIXTURES, headerDefine, ID_16_16, ID_6_4, lineOf, loadFixture, RAM, rel } from './helpers.js';

const program: Program = loadFixture(DEBUG_DRIVER);
const DRIVER_FILE = path.join(FIXTURES, DEBUG_DRIVER);

// Layout from the generated headers the driver includes (kvm_debug_switch.h, asm-offsets-sim.h).
const CPU_SYSREGS = headerDefine('CPU_SYSREGS');
const slotOf = (name: string): number => Number(headerDefine(name));
const SLOT = {
  DBGBCR0: slotOf('DBGBCR0_EL1'),
  DBGBVR0: slotOf('DBGBVR0_EL1'),
  DBGWCR0: slotOf('DBGWCR0_EL1'),
  DBGWVR0: slotOf('DBGWVR0_EL1'),
  MDCCINT: slotOf('MDCCINT_EL1'),
  MDSCR: slotOf('MDSCR_EL1'),
};
const NR_SYS_REGS = headerDefine('NR_SYS_REGS');
const VCPU_CONTEXT = headerDefine('VCPU_CONTEXT');
const VCPU_DEBUG_FLAGS = headerDefine('VCPU_DEBUG_FLAGS');
const DIRTY = headerDefine('KVM_ARM64_DEBUG_DIRTY');
const MDSCR_KDE = headerDefine('DBG_MDSCR_KDE');
const MDSCR_MDE = headerDefine('DBG_MDSCR_MDE');
// Memory: the vcpu (its guest context and debug flags) at RAM, then the host context on the next
// page, both inside one region whose every byte the save is checked against.
const PAGE = 0x1000n;
const roundUp = (n: bigint): bigint => ((n + PAGE - 1n) / PAGE) * PAGE;
const CONTEXT_SIZE = CPU_SYSREGS + 8n * NR_SYS_REGS;
const VCPU = RAM;
const VCPU_SIZE = VCPU_CONTEXT + CONTEXT_SIZE > VCPU_DEBUG_FLAGS + 8n ? VCPU_CONTEXT + CONTEXT_SIZE : VCPU_DEBUG_FLAGS + 8n;
const HOST_CTXT = RAM + roundUp(VCPU_SIZE);
const GUEST_CTXT = VCPU + VCPU_CONTEXT;
const REGION = Number(roundUp(HOST_CTXT - RAM + CONTEXT_SIZE));
const slotAddr = (ctx: bigint, slot: number): bigint => ctx + CPU_SYSREGS + 8n * BigInt(slot);

const BANKS = [
  { family: 'dbgbcr', slot: SLOT.DBGBCR0, count: 'bps' as const },
  { family: 'dbgbvr', slot: SLOT.DBGBVR0, count: 'bps' as const },
  { family: 'dbgwcr', slot: SLOT.DBGWCR0, count: 'wps' as const },
  { family: 'dbgwvr', slot: SLOT.DBGWVR0, count: 'wps' as const },
];

const idFor = (bps: number, wps: number): bigint => 0x10000106n | (BigInt(bps - 1) << 12n) | (BigInt(wps - 1) << 20n) | (1n << 28n);

/** Deterministic 64-bit values from a seed (splitmix64), so failures are reproducible. */
function rng(seed: number): () => bigint {
  let x = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 1n);
  return () => {
    x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
    let z = x;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

function randomBytes(next: () => bigint, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 8) new DataView(b.buffer).setBigUint64(i, next(), true);
  return b;
}

function roundTrip(implementedId: bigint, seed: number, observedId = implementedId): void {
  const next = rng(seed);
  const model = new CpuModel(implementedId);
  const observed = new CpuModel(observedId);
  const counts = { bps: observed.breakpoints, wps: observed.watchpoints };
  const what = `model ${model.name}, observed ${observed.name}, seed ${seed}`;

  // Save: random debug registers and random memory; x2 = context.
  const saver = new Machine(model, { regions: [{ addr: RAM, bytes: randomBytes(next, REGION) }], observedIdAa64dfr0: observedId });
  const before = saver.load(RAM, REGION);
  const values = new Map<string, bigint>();
  for (const b of BANKS) {
    for (let n = 0; n < model.count(b.count === 'bps' ? 'brps' : 'wrps'); n++) {
      const v = next();
      values.set(`${b.family}${n}_el1`, v);
      saver.writeSys(`${b.family}${n}_el1`, v);
    }
  }
  const mdccint = next();
  saver.writeSys('mdccint_el1', mdccint);
  const gprs = Array.from({ length: 30 }, () => next());
  gprs.forEach((v, n) => saver.setX(n, v));
  saver.setX(2, HOST_CTXT);

  const saved = saver.run(program, '__save_debug');
  expect(saved.status, what).toBe('returned');
  expect(saved.steps, what).toBe(37 + 4 * (counts.bps + counts.wps));

  // Exactly the bank slots 0..count-1 and MDCCINT_EL1 changed; every other byte is as before.
  const expected = new Uint8Array(before);
  const put = (addr: bigint, v: bigint): void => new DataView(expected.buffer).setBigUint64(Number(addr - RAM), v, true);
  for (const b of BANKS) {
    for (let n = 0; n < counts[b.count]; n++) put(slotAddr(HOST_CTXT, b.slot + n), values.get(`${b.family}${n}_el1`)!);
  }
  put(slotAddr(HOST_CTXT, SLOT.MDCCINT), mdccint);
  const after = saver.load(RAM, REGION);
  const diff: string[] = [];
  for (let i = 0; i < REGION; i += 8) {
    const a = new DataView(after.buffer).getBigUint64(i, true);
    const e = new DataView(expected.buffer).getBigUint64(i, true);
    if (a !== e) {
      const writer = saver.lastMemWriter(RAM + BigInt(i));
      diff.push(`+0x${i.toString(16)}: 0x${a.toString(16)} expected 0x${e.toString(16)} (last written by ${writer ? `${writer.loc.file}:${writer.loc.line} '${writer.text}'` : 'nobody'})`);
    }
  }
  expect(diff, what).toEqual([]);
  // Only x3..x26 may be clobbered.
  for (const n of [0, 1, 27, 28, 29]) expect(saver.getX(n), `${what}: x${n}`).toBe(gprs[n]);
  expect(saver.getX(2)).toBe(HOST_CTXT);

  // Restore into a machine whose debug registers hold other random values.
  const restorer = new Machine(model, { regions: [{ addr: RAM, bytes: after }], observedIdAa64dfr0: observedId });
  const junk = new Map<string, bigint>();
  for (const b of BANKS) {
    for (let n = 0; n < model.count(b.count === 'bps' ? 'brps' : 'wrps'); n++) {
      const v = next();
      junk.set(`${b.family}${n}_el1`, v);
      restorer.writeSys(`${b.family}${n}_el1`, v);
    }
  }
  restorer.setX(2, HOST_CTXT);
  const restored = restorer.run(program, '__restore_debug');
  expect(restored.status, what).toBe('returned');
  for (const b of BANKS) {
    const implemented = model.count(b.count === 'bps' ? 'brps' : 'wrps');
    for (let n = 0; n < implemented; n++) {
      const name = `${b.family}${n}_el1`;
      const want = n < counts[b.count] ? values.get(name)! : junk.get(name)!; // beyond the observed count: untouched
      expect(restorer.readSys(name), `${what}: ${name}`).toBe(want);
    }
  }
  expect(restorer.readSys('mdccint_el1')).toBe(mdccint);
  expect(restorer.load(RAM, REGION)).toEqual(after); // restore writes no memory
}

describe('generated save_debug/restore_debug', () => {
  it('round-trips on a 6 BP / 4 WP model (Cortex-A57 as QEMU models it)', () => {
    for (let seed = 1; seed <= 5; seed++) roundTrip(ID_6_4, seed);
  });

  it('round-trips on a 16 BP / 16 WP model', () => {
    for (let seed = 1; seed <= 5; seed++) roundTrip(ID_16_16, seed);
  });

  it('round-trips for every count from 2 to 16, independently for BPs and WPs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: MAX_BANK }), fc.integer({ min: 2, max: MAX_BANK }), fc.nat(), (bps, wps, seed) => {
        roundTrip(idFor(bps, wps), seed);
      }),
      { numRuns: 40 },
    );
  });

  it('saves only what the observed ID register says when it is lower than the implemented counts', () => {
    roundTrip(ID_16_16, 7, ID_6_4);
  });

  it('faults on the right line when the observed ID register claims more than is implemented', () => {
    const m = new Machine(new CpuModel(ID_6_4), { regions: [{ addr: RAM, size: REGION }], observedIdAa64dfr0: ID_16_16 });
    m.setX(2, HOST_CTXT);
    const r = m.run(program, '__save_debug');
    expect(r.fault?.kind).toBe('undefined');
    expect(r.fault?.loc).toEqual({
      file: rel(DEBUG_SWITCH),
      line: lineOf(DEBUG_SWITCH, '\tmrs\tx20, dbgbcr15_el1', 'save_debug'),
      col: 2,
      chain: [
        { macro: 'debug_switch_routines', at: { file: rel(DRIVER_FILE), line: lineOf(DRIVER_FILE, '\tdebug_switch_routines'), col: 2 } },
        { macro: 'save_debug', at: { file: rel(DEBUG_SWITCH), line: lineOf(DEBUG_SWITCH, '\tsave_debug', 'debug_switch_routines'), col: 2 } },
      ],
    });
    expect(r.fault?.register).toBe('dbgbcr15_el1');
  });
});

describe('generated entry/exit hooks (dirty flag)', () => {
  function vcpu(mdscr: bigint, flags: bigint): Machine {
    const m = new Machine(new CpuModel(ID_6_4), { regions: [{ addr: RAM, size: REGION }] });
    m.writeU64(slotAddr(GUEST_CTXT, SLOT.MDSCR), mdscr);
    m.writeU64(VCPU + VCPU_DEBUG_FLAGS, flags);
    m.setX(0, VCPU);
    m.setX(2, HOST_CTXT);
    m.writeSys('dbgbcr0_el1', 0xabcn);
    return m;
  }

  it('entry saves the host registers and sets the flag when MDSCR_EL1.KDE or MDE is set', () => {
    for (const [mdscr, flags, dirty] of [[MDSCR_KDE, 0n, true], [MDSCR_MDE, 0n, true], [0n, DIRTY, true], [0n, 0n, false], [~(MDSCR_KDE | MDSCR_MDE) & 0xffffffffn, 0n, false]] as const) {
      const m = vcpu(mdscr, flags);
      expect(m.run(program, 'debug_entry').status).toBe('returned');
      expect(m.readU64(VCPU + VCPU_DEBUG_FLAGS)).toBe(dirty ? DIRTY : 0n);
      expect(m.readU64(slotAddr(HOST_CTXT, SLOT.DBGBCR0))).toBe(dirty ? 0xabcn : 0n);
      expect(m.lastMemWriter(VCPU + VCPU_DEBUG_FLAGS)?.text).toBe(dirty ? `str x26, [x0, #0x${VCPU_DEBUG_FLAGS.toString(16)}]` : undefined);
    }
  });

  it('exit restores the host registers and clears the flag only when dirty', () => {
    for (const dirty of [true, false]) {
      const m = vcpu(0n, dirty ? DIRTY : 0n);
      m.writeU64(slotAddr(HOST_CTXT, SLOT.DBGBCR0), 0x5a5n);
      expect(m.run(program, 'debug_exit').status).toBe('returned');
      expect(m.readU64(VCPU + VCPU_DEBUG_FLAGS)).toBe(0n);
      expect(m.readSys('dbgbcr0_el1')).toBe(dirty ? 0x5a5n : 0xabcn);
      expect(m.lastSysWriter('dbgbcr0_el1')?.text).toBe(dirty ? 'msr dbgbcr0_el1, x5' : undefined);
    }
  });

  it('the guest-side hooks switch the guest registers only when dirty, leaving the flag alone', () => {
    for (const dirty of [true, false]) {
      const flags = dirty ? DIRTY : 0n;
      // Entry: restore the guest's registers from its context.
      const entry = vcpu(0n, flags);
      entry.setX(2, GUEST_CTXT);
      entry.writeU64(slotAddr(GUEST_CTXT, SLOT.DBGBCR0), 0x5a5n);
      expect(entry.run(program, 'debug_entry_guest').status).toBe('returned'); // so lr came back from x28
      expect(entry.readSys('dbgbcr0_el1')).toBe(dirty ? 0x5a5n : 0xabcn);
      expect(entry.readU64(VCPU + VCPU_DEBUG_FLAGS)).toBe(flags);
      // Exit: save the guest's registers into its context.
      const exit = vcpu(0n, flags);
      exit.setX(2, GUEST_CTXT);
      expect(exit.run(program, 'debug_exit_guest').status).toBe('returned');
      expect(exit.readU64(slotAddr(GUEST_CTXT, SLOT.DBGBCR0))).toBe(dirty ? 0xabcn : 0n);
      expect(exit.readU64(VCPU + VCPU_DEBUG_FLAGS)).toBe(flags);
      expect(exit.readU64(slotAddr(HOST_CTXT, SLOT.DBGBCR0))).toBe(0n);
    }
  });
});

describe('runScenario', () => {
  it('runs a scenario case and reports registers, system registers and memory', () => {
    const bytes = new Uint8Array(REGION);
    const result = runScenario(program, ID_6_4, {
      routine: '__save_debug',
      gprs: { 2: HOST_CTXT, 27: 0x27n },
      sysregs: { dbgbcr0_el1: 0x1e5n, dbgwvr3_el1: 0xdead_beefn },
      memory: [{ addr: RAM, bytes }],
    });
    expect(result.fault).toBeUndefined();
    expect(result.gprs.length).toBe(31);
    expect(result.gprs[27]).toBe(0x27n);
    expect(result.sysregs).toEqual({ dbgbcr0_el1: 0x1e5n, dbgwvr3_el1: 0xdead_beefn });
    const mem = new DataView(result.memory[0]!.bytes.buffer);
    expect(mem.getBigUint64(Number(slotAddr(HOST_CTXT, SLOT.DBGBCR0) - RAM), true)).toBe(0x1e5n);
    expect(mem.getBigUint64(Number(slotAddr(HOST_CTXT, SLOT.DBGWVR0 + 3) - RAM), true)).toBe(0xdead_beefn);
    expect(bytes.every((b) => b === 0)).toBe(true); // the case's buffers are not modified
  });

  it('reports a fault with its kind, message and pc', () => {
    const result = runScenario(program, ID_6_4, {
      routine: '__save_debug',
      gprs: { 2: HOST_CTXT },
      sysregs: {},
      memory: [{ addr: RAM, bytes: new Uint8Array(REGION) }],
      idAa64dfr0: idFor(7, 4),
    });
    expect(result.fault?.kind).toBe('undefined');
    const pc = program.symbol('__save_debug') + 4n * (7n + 3n + 9n);
    const at = (file: string, line: number): string => `${rel(file)}:${line}:2`;
    const expected =
      `${at(DEBUG_SWITCH, lineOf(DEBUG_SWITCH, '\tmrs\tx11, dbgbcr6_el1', 'save_debug'))}` +
      ` (in macro 'save_debug' invoked at ${at(DEBUG_SWITCH, lineOf(DEBUG_SWITCH, '\tsave_debug', 'debug_switch_routines'))})` +
      ` (in macro 'debug_switch_routines' invoked at ${at(DRIVER_FILE, lineOf(DRIVER_FILE, '\tdebug_switch_routines'))})` +
      `: undefined at pc 0x${pc.toString(16)} [mrs x11, dbgbcr6_el1]`;
    expect(result.fault?.message.slice(0, expected.length)).toBe(expected); // then the model's reason
    expect(result.fault?.pc).toBe(pc);
  });
});
