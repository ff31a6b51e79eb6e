// Every instruction the generator emits must be one the simulator models (STYLE.md practice 10).

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintProgram, lintSource, type LintReport } from '../../generator/sim/index.js';
import { DEBUG_DRIVER, GENERATED_ASM, loadFixture, resolveInclude, ROOT } from './helpers.js';

/**
 * A driver that expands every macro a generated file defines, once each, so the lint sees the
 * instructions the macros produce. Arguments are chosen from the parameter name: a branch target
 * (`target`, `label`, ...) gets a local label defined right after the invocation, anything else a
 * scratch register.
 */
function macroDriver(file: string): string {
  const text = fs.readFileSync(file, 'utf8');
  const calls: string[] = [];
  for (const m of text.matchAll(/^[ \t]*\.macro[ \t]+([A-Za-z_.$][\w.$]*)[ \t,]*([^\n]*)$/gm)) {
    const params = m[2]!.split(/[\s,]+/).filter((p) => p !== '').map((p) => p.replace(/[:=].*$/, ''));
    const args = params.map((p) => (/target|label|lbl|dest/i.test(p) ? '9f' : 'x3'));
    calls.push(`\t${m[1]} ${args.join(', ')}\n9:`);
  }
  const offsets = resolveInclude('asm-offsets-sim.h', file) ? '#include "asm-offsets-sim.h"\n' : '';
  return `${offsets}#include "${path.relative(ROOT, file)}"\n\t.text\n${calls.join('\n')}\n`;
}

function describeUnmodelled(report: LintReport): string[] {
  return report.unmodelled.map((e) => `${e.first.file}:${e.first.line}:${e.first.col}: '${e.example}': ${e.form}`);
}

describe('lint', () => {
  const files = fs.existsSync(GENERATED_ASM) ? fs.readdirSync(GENERATED_ASM).filter((f) => f.endsWith('.S')).sort() : [];

  it.skipIf(files.length === 0)(`every instruction in generated/asm is modelled${files.length === 0 ? ' (skipped: generated/asm has no .S files yet)' : ''}`, () => {
    for (const f of files) {
      const file = path.join(GENERATED_ASM, f);
      const report = lintSource({ path: '<lint-driver>', text: macroDriver(file) }, { resolveInclude });
      expect(describeUnmodelled(report), f).toEqual([]);
      expect(report.entries.length, `${f} expands to no instructions`).toBeGreaterThan(0);
    }
  });

  it('classifies every form the debug driver (generated save/restore and entry/exit hooks) uses as modelled', () => {
    const report = lintProgram(loadFixture(DEBUG_DRIVER));
    expect(report.unmodelled).toEqual([]);
    const forms = new Set(report.entries.map((e) => `${e.mnemonic}: ${e.form}`));
    for (const f of [
      'mrs: mrs Xt, sysreg',
      'msr: msr sysreg, Xt',
      'ubfx: ubfm Xd, Xn, #immr, #imms',
      'mov: movz Wd, #imm16, lsl #shift',
      'sub: sub Wd, Wn, Wm, shift (shifted register)',
      'add: add Xd, Xn|SP, #imm (immediate)',
      'add: add Xd, Xn, Xm, shift (shifted register)',
      'adr: adr Xd, label',
      'br: br Xn',
      'str: str Xt, [Xn|SP, #uimm]',
      'ldr: ldr Xt, [Xn|SP, #uimm]',
      'tbz: tbz Rt, #bit, label',
      'csel: csel Xd, Xn, Xm, cond',
      'adds: adds Xd, Xn, Xm, shift (shifted register)',
    ]) {
      expect(forms, f).toContain(f);
    }
    const mrs = report.entries.find((e) => e.mnemonic === 'mrs')!;
    expect(mrs.count).toBe(2 + 4 * 16 + 1); // two ID reads, 4 x 16 bank reads, MDCCINT_EL1
  });

  it('reports what does not assemble or decode as unmodelled', () => {
    const report = lintSource({ path: 'bad.S', text: '\tnop\n\tfmov d0, x1\n\t.inst 0x00000000\n' });
    expect(report.unmodelled.map((e) => e.form)).toEqual(["unknown instruction mnemonic 'fmov'"]);
    const raw = lintSource({ path: 'raw.S', text: '\tnop\n\t.inst 0x00000000\n' });
    expect(raw.unmodelled.map((e) => `${e.mnemonic}: ${e.form}`)).toEqual(['.inst: word 0x00000000 is not decoded']);
  });
});
