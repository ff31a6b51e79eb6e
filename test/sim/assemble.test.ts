import { describe, expect, it } from 'vitest';
import { assembleProgram, DEFAULT_BASE, SimError } from '../../generator/sim/index.js';
import { asm, thrown } from './helpers.js';

const errorsOf = (text: string): string[] => (thrown(() => asm(text)) as SimError).diagnostics.map((d) => d.message);

describe('assembler: macros', () => {
  it('substitutes \\arg, \\() and \\@, with nested invocations', () => {
    const p = asm(
      [
        '.macro skip_clean_debug_state tmp, target',
        '\tldr\t\\tmp, [x0, #0x20]',
        '\ttbz\t\\tmp, #0, \\target',
        '.endm',
        '.macro outer reg',
        '\tskip_clean_debug_state x\\reg, 1f',
        '\tmov\tx\\()\\reg, #\\@',
        '1:',
        '.endm',
        't:\touter 3',
        '\touter 4',
      ].join('\n'),
    );
    expect(p.texts).toEqual([
      'ldr x3, [x0, #0x20]',
      'tbz x3, #0, 1f',
      'mov x3, #0',
      'ldr x4, [x0, #0x20]',
      'tbz x4, #0, 1f',
      'mov x4, #2',
    ]);
    // each 1f goes to the label closing its own expansion
    expect(p.words[1]! & 0x7ffe0).toBe(2 << 5);
    expect(p.words[4]! & 0x7ffe0).toBe(2 << 5);
  });

  it('records the macro expansion chain of each instruction', () => {
    const p = asm('.macro inner\n\tnop\n.endm\n.macro outer\n\tinner\n.endm\nt:\n\touter\n');
    expect(p.locs[0]).toEqual({
      file: 't.S',
      line: 2,
      col: 2,
      chain: [
        { macro: 'outer', at: { file: 't.S', line: 8, col: 2 } },
        { macro: 'inner', at: { file: 't.S', line: 5, col: 2 } },
      ],
    });
  });

  it('supports defaults, :req, keyword and whitespace-separated arguments', () => {
    const p = asm('.macro m a, b=7, c:req\n\tmov x\\a, #\\b + \\c\n.endm\n\tm 1, , 2\n\tm 2 5 1\n\tm c=3, a=4\n');
    expect(p.texts).toEqual(['mov x1, #7 + 2', 'mov x2, #5 + 1', 'mov x4, #7 + 3']);
    expect(errorsOf('.macro m a:req\n.endm\n\tm\n')).toEqual(["t.S:3:3: error: missing value for required parameter 'a' of macro 'm'"]);
  });

  it('expands .rept and .irp', () => {
    const p = asm('.irp n, 2, 1, 0\n\tmrs x\\n, dbgbcr\\n\\()_el1\n.endr\n.rept 2\n\tnop\n.endr\n');
    expect(p.texts).toEqual(['mrs x2, dbgbcr2_el1', 'mrs x1, dbgbcr1_el1', 'mrs x0, dbgbcr0_el1', 'nop', 'nop']);
  });

  it('rejects an unknown macro parameter and an unterminated macro', () => {
    expect(errorsOf('.macro m a\n\tmov \\b, #1\n.endm\n\tm x0\n')).toEqual([
      "t.S:2:6: error: '\\b' is not a parameter of macro 'm'\nt.S:4:2: note: in expansion of macro 'm'",
    ]);
    expect(errorsOf('.macro m\n\tnop\n')).toEqual(["t.S:1:1: error: '.macro m' without a matching '.endm'"]);
  });
});

describe('assembler: labels and layout', () => {
  it('lays instructions out at 4-byte addresses from the base', () => {
    const p = assembleProgram({ path: 'x.S', text: 'a: nop\nb: nop\nc:\n' }, { base: 0x4000_1000n });
    expect(p.symbols).toEqual(new Map([['a', 0x4000_1000n], ['b', 0x4000_1004n], ['c', 0x4000_1008n]]));
    expect(asm('x: nop').base).toBe(DEFAULT_BASE);
  });

  it('resolves numeric local labels with GNU semantics', () => {
    const p = assembleProgram({ path: 'x.S', text: '1:\tb 1f\n1:\tb 1b\n\tb 1b\n1:\tb 1b\n\tb 2f\n2:\n' }, { base: 0n });
    // word 0: b 1f -> word 1; word 1: 1b is its own label -> word 1; word 2: 1b -> word 1;
    // word 3: 1b -> word 3 (defined on the same line, before the instruction); word 4: 2f -> 5
    const offsets = Array.from(p.words, (w, i) => i + ((w << 6) >> 6));
    expect(offsets).toEqual([1, 1, 1, 3, 5]);
  });

  it('reports a local label reference with no definition', () => {
    expect(errorsOf('\tb 1f\n')).toEqual(["t.S:1:4: error: local label reference '1f': no later definition of label '1'"]);
    expect(errorsOf('\tb 3b\n3:\n')).toEqual(["t.S:1:4: error: local label reference '3b': no earlier definition of label '3'"]);
  });

  it('pads .align with NOPs relative to the absolute address', () => {
    const p = assembleProgram({ path: 'x.S', text: 'nop\n.align 4\nt: ret\n' }, { base: 0x1008n });
    expect(p.symbols.get('t')).toBe(0x1010n);
    expect(Array.from(p.words)).toEqual([0xd503201f, 0xd503201f, 0xd65f03c0]);
    expect(p.kinds).toEqual(['insn', 'pad', 'insn']);
  });

  it('places computed-branch targets so the jump skips exactly `skip` instructions', () => {
    const p = assembleProgram({ path: 'x.S', text: 'adr x26, 1f\nadd x26, x26, x24, lsl #2\nbr x26\n1:\n.rept 16\nnop\n.endr\n' }, { base: 0n });
    // adr at word 0 points at word 3 (12 bytes on): immlo = 0, immhi = 3
    expect(p.words[0]).toBe((0x10000000 | (3 << 5) | 26) >>> 0);
  });

  it('evaluates expressions with GNU as precedence, .equ and `sym = expr`', () => {
    const p = asm('.equ A, 3\nB = A * 2\n\tmov x0, #(1 + 2 << 3)\n\tmov x1, #(B | 1)\n\tmov x2, #(-16 >> 60)\n\tmov x3, #(1 << 13) | (1 << 15)\n');
    const imm = (w: number): number => (w >>> 5) & 0xffff;
    expect(p.words.length).toBe(4);
    expect(imm(p.words[0]!)).toBe(17);
    expect(imm(p.words[1]!)).toBe(7);
    expect(imm(p.words[2]!)).toBe(15);
  });

  it('handles .if/.else/.endif and .ifdef', () => {
    const p = asm('.equ N, 6\n.if N > 4\n\tnop\n.else\n\tret\n.endif\n.ifdef M\n\tret\n.endif\n');
    expect(p.texts).toEqual(['nop']);
  });

  it('emits .word/.inst/.quad data in little-endian words', () => {
    const p = assembleProgram({ path: 'x.S', text: 'a: .quad 0x0123456789abcdef\n.word a\n.inst 0xd503201f\n' }, { base: 0x1000n });
    expect(Array.from(p.words)).toEqual([0x89abcdef, 0x01234567, 0x1000, 0xd503201f]);
    expect(p.kinds).toEqual(['data', 'data', 'data', 'insn']);
  });
});

describe('assembler: refusing what it does not know', () => {
  it('rejects an unknown mnemonic with file:line:col', () => {
    const e = thrown(() => asm('\tnop\n\tfrob\tx0, x1\n'));
    expect(e).toBeInstanceOf(SimError);
    expect((e as SimError).file).toBe('t.S');
    expect((e as SimError).line).toBe(2);
    expect((e as SimError).col).toBe(2);
    expect(e.message).toBe("t.S:2:2: error: unknown instruction mnemonic 'frob'");
    expect(errorsOf('\tbeq 1f\n1:\n')).toEqual(["t.S:1:2: error: unknown instruction mnemonic 'beq' (write 'b.eq')"]);
  });

  it('names the macro chain for an error inside a macro', () => {
    expect(errorsOf('.macro m\n\tmrs x0, dbgbcr16_el1\n.endm\n\tnop\n\tm\n')).toEqual([
      "t.S:2:10: error: unknown system register 'dbgbcr16_el1'\nt.S:5:2: note: in expansion of macro 'm'",
    ]);
  });

  it('rejects immediates that do not encode', () => {
    expect(errorsOf('\tand x0, x1, #5\n')).toEqual(['t.S:1:14: error: immediate 0x5 is not encodable as a 64-bit logical (bitmask) immediate']);
    expect(errorsOf('\tadd x0, x1, #4097\n')).toEqual(["t.S:1:14: error: immediate 4097 does not encode for 'add' (0..4095, or a multiple of 4096 up to 0xfff000)"]);
    expect(errorsOf('\tadd x0, x1, #4096, lsl #12\n\tadd x0, x1, #1, lsl #3\n')).toEqual([
      "t.S:1:14: error: immediate 4096 out of range [0, 4095] for 'add' with an explicit shift",
      "t.S:2:18: error: the immediate of 'add' can only be shifted by 'lsl #0' or 'lsl #12'",
    ]);
    expect(errorsOf('\tldr x0, [x3, #12]\n')).toEqual(["t.S:1:15: error: offset 12 does not encode for 'ldr' (a multiple of 8 in [0, 32760]); write 'ldur' for an unscaled offset"]);
    expect(errorsOf('\tldr x0, [x3, #32768]\n\tstp x0, x1, [x2, #4]\n\tmov x0, #0x12345\n\tmov w0, #0x100000000\n')).toEqual([
      "t.S:1:15: error: offset 32768 does not encode for 'ldr' (a multiple of 8 in [0, 32760]); write 'ldur' for an unscaled offset",
      "t.S:2:19: error: offset 4 of 'stp' is not a multiple of 8",
      "t.S:3:10: error: immediate 0x12345 cannot be loaded by a single 'mov' (not a MOVZ, MOVN or bitmask immediate); use movz/movk",
      't.S:4:10: error: immediate 4294967296 does not fit in 32 bits',
    ]);
    expect(errorsOf('\tubfx x0, x1, #60, #8\n\ttbz w0, #32, .\n')).toEqual([
      "t.S:1:20: error: lsb + width (60 + 8) exceeds 64 for 'ubfx'",
      "t.S:2:10: error: bit number 32 out of range [0, 31] for 'tbz'",
    ]);
  });

  it('rejects wrong operand forms and register classes', () => {
    expect(errorsOf('\tadd x0, x1\n\tmov x0, w1\n\tldr x0, [xzr]\n\tmsr id_aa64dfr0_el1, x0\n\tmrs w0, mdscr_el1\n\tadd xzr, x1, #1\n')).toEqual([
      "t.S:1:6: error: invalid operands for 'add': expected 'add Xd|SP, Xn|SP, #imm{, lsl #12}' or 'add Xd, Xn, Xm{, shift #n}' or 'add Xd|SP, Xn|SP, Rm, extend {#n}'",
      "t.S:2:10: error: operand 2 of 'mov' must be a 64-bit x register, not 'w1'",
      "t.S:3:10: error: the base register of a memory operand must be x0..x30 or sp, not 'xzr'",
      "t.S:4:6: error: system register 'id_aa64dfr0_el1' is read-only",
      "t.S:5:6: error: operand 1 of 'mrs' must be a 64-bit x register, not 'w0'",
      "t.S:6:6: error: 'xzr' is not allowed as operand 1 of 'add' here (register 31 means sp in this position)",
    ]);
    expect(errorsOf('\tldr x0, [x1, x2]\n\tldp x0, x0, [x1]\n\tldr x1, [x1, #8]!\n\torn x0, x1, #1\n')).toEqual([
      "t.S:1:10: error: register-offset addressing ('[x1, x2]') is not supported by the simulator",
      "t.S:2:10: error: unpredictable 'ldp': Rt2 is the same register as Rt",
      "t.S:3:10: error: unpredictable 'ldr' with writeback: the base register is also the transfer register",
      "t.S:4:14: error: 'orn' has no immediate form (GNU as rejects it)",
    ]);
  });

  it('rejects unknown and unsupported directives', () => {
    expect(errorsOf('\t.frob 1\n\t.byte 1\n\t.align 3, 0\n')).toEqual([
      "t.S:1:2: error: unknown directive '.frob'",
      "t.S:2:2: error: directive '.byte' is not supported by the simulator (only 4- and 8-byte data: .word, .inst, .quad)",
      "t.S:3:12: error: '.align' with a fill value is not supported (code is padded with NOPs)",
    ]);
  });

  it('rejects undefined symbols in immediates and labels used as constants', () => {
    expect(errorsOf('\tmov x0, #(FOO + 1)\nlab: nop\n\tmov x1, #lab\n')).toEqual([
      "t.S:1:12: error: undefined symbol 'FOO' in expression",
      "t.S:3:11: error: 'lab' is a label, not a constant",
    ]);
  });

  it('rejects duplicate labels', () => {
    expect(errorsOf('a: nop\na: nop\n')).toEqual(["t.S:2:1: error: symbol 'a' is already defined (at t.S:1)"]);
  });

  it('caps the number of collected errors', () => {
    const e = thrown(() => assembleProgram({ path: 'x.S', text: 'frob\n'.repeat(200) }, { maxErrors: 5 })) as SimError;
    expect(e.diagnostics.length).toBe(5);
    expect(e.message.endsWith('(too many errors; stopped)')).toBe(true);
  });
});
