import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { preprocess, SimError, type SourceFile } from '../../generator/sim/index.js';
import { DEBUG_DRIVER, FIXTURES, GCC, INCLUDE_DIRS, resolveInclude, thrown } from './helpers.js';

function files(map: Record<string, string>): (name: string, from: string) => SourceFile | undefined {
  return (name) => (name in map ? { path: name, text: map[name]! } : undefined);
}

const pp = (text: string, includes: Record<string, string> = {}, defines: Record<string, string> = {}): string[] =>
  preprocess({ path: 'main.S', text }, { resolveInclude: files(includes), defines }).map((l) => l.text.trim());

describe('preprocessor', () => {
  it('expands object-like and function-like macros as the seed uses them', () => {
    const out = pp(
      [
        '#define CPU_SYSREGS 0x310',
        '#define CPU_SYSREG_OFFSET(x) (CPU_SYSREGS + 8*(x))',
        '#define DBGBCR0_EL1 23',
        '\tadd\tx3, x2, #CPU_SYSREG_OFFSET(DBGBCR0_EL1)',
      ].join('\n'),
    );
    expect(out).toEqual(['add\tx3, x2, #(0x310 + 8*(23))']);
  });

  it('does not expand numeric local label references or numbers', () => {
    expect(pp('#define f 9\n#define x1f 8\n\tadr x26, 1f\n\tb 1b\n\tmov x0, #0x1f\n')).toEqual(['adr x26, 1f', 'b 1b', 'mov x0, #0x1f']);
    // ... but an identifier that happens to be a mnemonic is a macro name like any other, as in cpp
    expect(pp('#define b 8\n\tb 1b\n')).toEqual(['8 1b']);
  });

  it('keeps the origin file and line of every output line, through includes', () => {
    const lines = preprocess(
      { path: 'main.S', text: '// top\n#include "a.h"\n\tnop\n' },
      { resolveInclude: files({ 'a.h': '#ifndef A_H\n#define A_H\n\tisb\n#endif\n' }) },
    );
    expect(lines.map((l) => [l.file, l.line, l.text.trim()])).toEqual([
      ['a.h', 3, 'isb'],
      ['main.S', 3, 'nop'],
    ]);
  });

  it('handles #ifdef/#ifndef/#if defined()/#elif/#else and include guards', () => {
    const text = [
      '#define X 1',
      '#ifdef X',
      'a',
      '#else',
      'b',
      '#endif',
      '#ifndef X',
      'c',
      '#elif defined(Y) || X + 1 == 2',
      'd',
      '#else',
      'e',
      '#endif',
      '#if defined Y',
      'f',
      '#endif',
      '#undef X',
      '#ifdef X',
      'g',
      '#endif',
      '#include "g.h"',
      '#include "g.h"',
    ].join('\n');
    expect(pp(text, { 'g.h': '#ifndef G\n#define G\nh\n#endif\n' })).toEqual(['a', 'd', 'h']);
  });

  it('evaluates #if with C precedence and integer suffixes', () => {
    expect(pp('#if (1 + 2 << 3) == 24 && 0x10UL == 16\nyes\n#else\nno\n#endif\n')).toEqual(['yes']);
  });

  it('joins continuation lines and strips both comment styles, keeping columns', () => {
    const lines = preprocess({ path: 'm.S', text: '#define LONG(a, \\\n   b) ((a) + (b))\n\tmov x0, #LONG(1, 2) /* c */ // d\n/* multi\n line */\tnop\n' });
    expect(lines.map((l) => l.text.trim())).toEqual(['mov x0, #((1) + (2))', 'nop']);
    expect(lines[1]!.line).toBe(5);
    expect(lines[1]!.text.indexOf('nop')).toBe(9); // the comment became spaces
  });

  it('stringifies and pastes as GCC does in a .S file', () => {
    expect(pp('#define S(x) #x\n#define CAT(a, b) a##b\n\t.word S(1 + 2)\n\tmov CAT(x, 3), #1\n')).toEqual(['.word "1 + 2"', 'mov x3, #1']);
  });

  it('takes -D style definitions, including function-like ones', () => {
    expect(pp('\tmov x0, #FOO\n\tmov x1, #TWICE(3)\n', {}, { FOO: '7', 'TWICE(x)': '((x) * 2)' })).toEqual(['mov x0, #7', 'mov x1, #((3) * 2)']);
  });

  it('reports #error with file:line:col', () => {
    const e = thrown(() => pp('\n#if 1\n  #error nope, not here\n#endif\n'));
    expect(e).toBeInstanceOf(SimError);
    expect(e.message).toBe('main.S:3:3: error: #error nope, not here');
  });

  it('rejects unknown directives, bad includes and unterminated conditionals, collecting all errors', () => {
    const e = thrown(() => pp('#frobnicate\n#include "missing.h"\n#if 1\n')) as SimError;
    expect(e.diagnostics.map((d) => d.message)).toEqual([
      "main.S:1:1: error: unknown preprocessing directive '#frobnicate'",
      "main.S:2:10: error: cannot find include file 'missing.h'",
      'main.S:3:1: error: unterminated conditional directive',
    ]);
  });

  it('ignores unknown directives inside skipped regions, as cpp does', () => {
    expect(pp('#if 0\n#frobnicate\n#endif\nok\n')).toEqual(['ok']);
  });

  it('rejects a macro redefined with a different body, and arguments that do not close', () => {
    expect(thrown(() => pp('#define A 1\n#define A 2\n')).message).toBe("main.S:2:9: error: macro 'A' redefined with a different body (previous definition at main.S:1)");
    expect(pp('#define A 1\n#define A 1\nA\n')).toEqual(['1']);
    expect(thrown(() => pp('#define F(x) x\n\tmov x0, #F(1\n')).message).toMatch(/^main\.S:2:11: error: unterminated argument list invoking macro 'F'/);
    expect(thrown(() => pp('#define F(x, y) x\nF(1)\n')).message).toBe("main.S:2:1: error: macro 'F' requires 2 arguments, but 1 given");
  });

  it('does not re-expand a macro inside its own expansion', () => {
    expect(pp('#define X X + 1\nX\n')).toEqual(['X + 1']);
  });

  it('predefines __ASSEMBLER__ and __aarch64__', () => {
    expect(pp('#if defined(__ASSEMBLER__) && __aarch64__\nasm\n#endif\n')).toEqual(['asm']);
  });
});

describe('preprocessor against gcc -E', () => {
  const gate = GCC ? '' : ' (skipped: gcc not found on PATH)';
  it.skipIf(!GCC)(`gives the same lines as gcc -E -x assembler-with-cpp on the debug driver and the generated files it includes${gate}`, () => {
    const file = path.join(FIXTURES, DEBUG_DRIVER);
    const norm = (t: string): string => t.replace(/\s+/g, ' ').trim();
    const includes = INCLUDE_DIRS.flatMap((dir) => ['-I', dir]); // the directories resolveInclude searches, in its order
    const theirs = execFileSync(GCC!, ['-E', '-P', '-x', 'assembler-with-cpp', ...includes, file], { encoding: 'utf8' }).split('\n').map(norm).filter((l) => l !== '');
    const ours = preprocess({ path: file, text: fs.readFileSync(file, 'utf8') }, { resolveInclude }).map((l) => norm(l.text));
    expect(ours).toEqual(theirs);
  });
});
