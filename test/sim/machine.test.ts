// Faults, the CPU model's register counts, and provenance tracking.

import { describe, expect, it } from 'vitest';
import { CpuModel, Machine, qemu72DebugQuirks, RETURN_SENTINEL, SYSREGS } from '../../generator/sim/index.js';
import { asm, ID_16_16, ID_6_4, RAM, runSnippet } from './helpers.js';

describe('UNDEFINED system register accesses', () => {
  it('faults on dbgbcr6_el1 for a 6-breakpoint model, naming the register and the line', () => {
    const { result, machine } = runSnippet('\tmrs x11, dbgbcr5_el1\n\tmrs x11, dbgbcr6_el1\n\tmov x0, #1', { x: { 11: 7n } });
    expect(result.status).toBe('fault');
    const f = result.fault!;
    expect(f.kind).toBe('undefined');
    expect(f.register).toBe('dbgbcr6_el1');
    expect(f.loc).toMatchObject({ file: 't.S', line: 3, col: 2 });
    expect(f.sourceText).toBe('mrs x11, dbgbcr6_el1');
    expect(f.pc).toBe(0x4008_0004n);
    expect(f.message).toBe(
      't.S:3:2: undefined at pc 0x40080004 [mrs x11, dbgbcr6_el1]: UNDEFINED: DBGBCR6_EL1 is not implemented: ID_AA64DFR0_EL1.BRPs says 6 registers (0..5)',
    );
    expect(result.steps).toBe(1);
    expect(machine.pc).toBe(0x4008_0004n);
    expect(machine.getX(11)).toBe(0n); // dbgbcr5 read as 0, the faulting read wrote nothing
  });

  it('counts watchpoints from WRPs and allows all 16 on a 16/16 model', () => {
    expect(runSnippet('\tmsr dbgwcr4_el1, x0').result.fault?.register).toBe('dbgwcr4_el1');
    expect(runSnippet('\tmsr dbgwcr3_el1, x0').result.status).toBe('returned');
    const all = SYSREGS.filter((d) => d.bank).map((d) => `\tmrs x0, ${d.name}\n\tmsr ${d.name}, x0`).join('\n');
    expect(runSnippet(all, { id: ID_16_16 }).result.status).toBe('returned');
  });

  it('treats ID registers as read-only and unknown encodings as UNDEFINED', () => {
    const ro = runSnippet('\tmsr s3_0_c0_c5_0, x0').result.fault!;
    expect([ro.kind, ro.detail]).toEqual(['undefined', 'UNDEFINED: ID_AA64DFR0_EL1 is read-only']);
    const unknown = runSnippet('\tmrs x0, s3_1_c15_c2_0').result.fault!;
    expect(unknown.detail).toBe('UNDEFINED: s3_1_c15_c2_0 is not a system register this model implements');
  });

  it('lets the observed ID_AA64DFR0_EL1 differ from the implemented counts', () => {
    const p = asm('t:\n\tmrs x0, id_aa64dfr0_el1\n\tmrs x1, dbgbcr15_el1\n\tret\n');
    const m = new Machine(new CpuModel(ID_16_16), { observedIdAa64dfr0: ID_6_4 });
    expect(m.run(p, 't').status).toBe('returned'); // reading it is fine: 16 are implemented
    expect(m.getX(0)).toBe(ID_6_4);
    const lower = new Machine(new CpuModel(ID_6_4), { observedIdAa64dfr0: ID_16_16 });
    expect(lower.run(p, 't').fault?.register).toBe('dbgbcr15_el1'); // checks use the implemented count
  });
});

describe('memory faults', () => {
  it('faults on a misaligned access (MMU off) without changing registers', () => {
    const { result, machine } = runSnippet('\tldr x1, [x0, #8]!', { x: { 0: RAM + 4n, 1: 5n } });
    expect(result.fault?.kind).toBe('alignment');
    expect(result.fault?.address).toBe(RAM + 12n);
    expect(result.fault?.detail).toBe('8-byte load from 0x4000000c is not 8-byte aligned (MMU off: unaligned accesses fault)');
    expect([machine.getX(0), machine.getX(1)]).toEqual([RAM + 4n, 5n]);
    expect(runSnippet('\tstur w1, [x0, #2]', { x: { 0: RAM } }).result.fault?.kind).toBe('alignment');
    expect(runSnippet('\tsturh w1, [x0, #1]', { x: { 0: RAM } }).result.fault?.kind).toBe('alignment');
    expect(runSnippet('\tstrb w1, [x0, #1]', { x: { 0: RAM } }).result.status).toBe('returned');
  });

  it('faults on accesses outside every region, including a pair straddling the end', () => {
    const out = runSnippet('\tstr x1, [x0]', { x: { 0: RAM + 0x1000n } }).result.fault!;
    expect([out.kind, out.detail]).toEqual(['memory', '8-byte store to 0x40001000 is outside every mapped region']);
    expect(runSnippet('\tldr x1, [x0]', { x: { 0: 0n } }).result.fault?.kind).toBe('memory');
    const { result, machine } = runSnippet('\tstp x1, x2, [x0]', { x: { 0: RAM + 0xff8n, 1: 1n, 2: 2n } });
    expect(result.fault?.kind).toBe('memory');
    expect(machine.readU64(RAM + 0xff8n)).toBe(0n); // nothing of the pair was written
  });
});

describe('other stops', () => {
  it('stops at the step limit exactly', () => {
    const p = asm('t:\n1:\tadd x0, x0, #1\n\tb 1b\n');
    const m = new Machine(new CpuModel(ID_6_4));
    const r = m.run(p, 't', { maxSteps: 1001 });
    expect(r.fault?.kind).toBe('step-limit');
    expect(r.steps).toBe(1001);
    expect(m.getX(0)).toBe(501n);
  });

  it('reports an unknown encoding with the word in hex and the source line', () => {
    const f = runSnippet('\tnop\n\t.inst 0x00000000').result.fault!;
    expect(f.kind).toBe('unknown-instruction');
    expect(f.word).toBe(0);
    expect(f.message).toBe('t.S:3:8: unknown-instruction at pc 0x40080004 [.inst 0x00000000]: the simulator does not model the instruction word 0x00000000');
  });

  it('stops on brk/hlt/svc/hvc/smc/eret with the kind', () => {
    for (const k of ['brk #1', 'hlt #0x10', 'svc #0', 'hvc #0', 'smc #0', 'eret']) {
      expect(runSnippet(`\t${k}`).result.fault?.kind).toBe(k.split(' ')[0]);
    }
  });

  it('faults on a branch outside the program, or to a misaligned address, and on running off the end', () => {
    expect(runSnippet('\tbr x0', { x: { 0: 0x1000n } }).result.fault?.kind).toBe('prefetch');
    expect(runSnippet('\tadr x0, 1f\n\tadd x0, x0, #2\n\tbr x0\n1:\tnop').result.fault?.kind).toBe('pc-alignment');
    const p = asm('t:\n\tnop\n');
    const r = new Machine(new CpuModel(ID_6_4)).run(p, 't');
    expect(r.fault?.detail).toMatch(/^execution ran past the last word of the program/);
  });
});

describe('machine state and provenance', () => {
  it('returns to the sentinel and keeps state between runs', () => {
    const p = asm('t:\n\tadd x0, x0, #1\n\tret\n');
    const m = new Machine(new CpuModel(ID_6_4));
    m.run(p, 't');
    m.run(p, 't');
    expect(m.getX(0)).toBe(2n);
    expect(m.pc).toBe(RETURN_SENTINEL);
    expect(m.getX(30)).toBe(RETURN_SENTINEL);
  });

  it('records the instruction that last wrote each system register and memory word', () => {
    const p = asm('t:\n\tmsr dbgbvr1_el1, x1\n\tstr x1, [x0, #8]\n\tstp x1, x1, [x0, #16]\n\tret\n');
    const m = new Machine(new CpuModel(ID_6_4), { regions: [{ addr: RAM, size: 64 }] });
    m.setX(0, RAM);
    m.run(p, 't');
    expect(m.lastSysWriter('dbgbvr1_el1')).toMatchObject({ pc: 0x4008_0000n, text: 'msr dbgbvr1_el1, x1', loc: { line: 2 } });
    expect(m.lastSysWriter('dbgbvr0_el1')).toBeUndefined();
    expect(m.lastMemWriter(RAM + 12n)?.text).toBe('str x1, [x0, #8]');
    expect(m.lastMemWriter(RAM + 24n)?.text).toBe('stp x1, x1, [x0, #16]');
    expect(m.lastMemWriter(RAM)).toBeUndefined();
    m.writeU64(RAM + 8n, 1n);
    expect(m.lastMemWriter(RAM + 8n)).toBeUndefined();
  });

  it('keeps all 64 bits by default, and applies a model\'s keep masks, transforms and ignored registers', () => {
    const body = '\tmsr dbgbcr0_el1, x1\n\tmrs x2, dbgbcr0_el1\n\tmsr dbgwvr0_el1, x1\n\tmrs x3, dbgwvr0_el1\n\tmsr mdccint_el1, x1\n\tmrs x4, mdccint_el1';
    const p = asm(`t:\n${body}\n\tret\n`);
    const arch = new Machine(new CpuModel(ID_6_4));
    arch.setX(1, 0xffff_ffff_ffff_ffa3n);
    arch.run(p, 't');
    expect([arch.getX(2), arch.getX(3), arch.getX(4)]).toEqual([0xffff_ffff_ffff_ffa3n, 0xffff_ffff_ffff_ffa3n, 0xffff_ffff_ffff_ffa3n]);
    const qemu = new Machine(new CpuModel(ID_6_4, qemu72DebugQuirks()));
    qemu.setX(1, 0xa3n); // bits 0, 1, 5, 7
    qemu.setX(4, 0x1234n);
    qemu.run(p, 't');
    expect(qemu.getX(2)).toBe(0x1e3n); // bit 6 copies bit 5, bit 8 copies bit 7
    expect(qemu.getX(3)).toBe(0xa0n); // bits [1:0] read as 0
    expect(qemu.getX(4)).toBe(0x1234n); // MDCCINT_EL1 not modelled: destination unchanged
  });

  it('refuses API access to registers the model does not implement', () => {
    const m = new Machine(new CpuModel(ID_6_4));
    expect(() => m.writeSys('dbgbcr6_el1', 1n)).toThrow('dbgbcr6_el1 is not implemented');
    expect(() => m.readSys('frob_el1')).toThrow("unknown system register 'frob_el1'");
    expect(m.readSys('ID_AA64DFR0_EL1')).toBe(ID_6_4);
  });
});
