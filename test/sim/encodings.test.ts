// The simulator's assembler must produce the words GNU as and llvm-mc produce, for every form it
// supports (fixtures/encodings.s), for the generated debug-switch macros (through
// fixtures/debug_driver.S), and for every system register it names.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleProgram, preprocess, SYSREGS, type Program } from '../../generator/sim/index.js';
import { DEBUG_DRIVER, externalWords, FIXTURES, GNU_AS, hex8, LLVM_MC, resolveInclude, ROOT, toolGate } from './helpers.js';

// llvm-mc is required under CI (a missing one fails there); GNU as is checked when installed.
const tools = [
  { name: 'llvm-mc' as const, present: LLVM_MC !== undefined, required: true },
  { name: 'gas' as const, present: GNU_AS !== undefined, label: 'GNU as (aarch64-linux-gnu-as)', required: false },
];

function compare(ours: Program, theirs: Uint32Array, tool: string): void {
  const problems: string[] = [];
  if (theirs.length !== ours.length) problems.push(`${tool} produced ${theirs.length} words, the simulator ${ours.length}`);
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    if (ours.words[i] !== theirs[i]) {
      const loc = ours.locs[i]!;
      problems.push(`${loc.file}:${loc.line}: '${ours.texts[i]}': simulator ${hex8(ours.words[i]!)}, ${tool} ${hex8(theirs[i]!)}`);
    }
  }
  expect(problems).toEqual([]);
}

/** Plain text the external tools can assemble: our preprocessor's output, without .globl (so
 *  branches to routine labels are resolved by the assembler rather than left as relocations). */
function plainText(file: string): string {
  const text = fs.readFileSync(file, 'utf8');
  const lines = preprocess({ path: path.relative(ROOT, file), text }, { resolveInclude });
  return lines.map((l) => l.text).filter((t) => !/^\s*\.globl\b/.test(t)).join('\n') + '\n';
}

for (const tool of tools) {
  const gate = toolGate(tool.label ?? tool.name, tool.present, tool.required);
  describe(`encodings match ${tool.label ?? tool.name}${gate.title}`, () => {
    const need = (): void => {
      if (!tool.present) throw new Error(`${tool.name} is not installed, and CI is set, so the encoding check cannot be skipped`);
    };

    it.skipIf(gate.skip)('every supported instruction form (fixtures/encodings.s)', () => {
      need();
      const file = path.join(FIXTURES, 'encodings.s');
      const text = fs.readFileSync(file, 'utf8');
      const ours = assembleProgram({ path: 'test/sim/fixtures/encodings.s', text }, { base: 0n });
      compare(ours, externalWords(tool.name, text), tool.name);
    });

    it.skipIf(gate.skip)('the generated macros through the debug driver (save_debug/restore_debug and the entry/exit hooks)', () => {
      need();
      const file = path.join(FIXTURES, DEBUG_DRIVER);
      const ours = assembleProgram({ path: path.relative(ROOT, file), text: fs.readFileSync(file, 'utf8') }, { resolveInclude, base: 0n });
      compare(ours, externalWords(tool.name, plainText(file)), tool.name);
    });

    it.skipIf(gate.skip)('every system register name in the table, for mrs and msr', () => {
      need();
      const lines: string[] = [];
      for (const def of SYSREGS) {
        if (def.access !== 'wo') lines.push(`\tmrs\tx1, ${def.name}`);
        if (def.access !== 'ro') lines.push(`\tmsr\t${def.name}, x2`);
      }
      const text = lines.join('\n') + '\n';
      const ours = assembleProgram({ path: 'sysregs.s', text }, { base: 0n });
      compare(ours, externalWords(tool.name, text), tool.name);
      // And the table's own encodings, field by field, for the MRS form.
      for (const def of SYSREGS) {
        if (def.access === 'wo') continue;
        const i = ours.texts.indexOf(`mrs x1, ${def.name}`);
        const w = ours.words[i]!;
        const got = { op0: 2 + ((w >>> 19) & 1), op1: (w >>> 16) & 7, crn: (w >>> 12) & 15, crm: (w >>> 8) & 15, op2: (w >>> 5) & 7 };
        expect(got, def.name).toEqual(def.enc);
      }
    });
  });
}

describe('encodings that do not depend on a tool', () => {
  it('has the REFERENCE.md §5 MRS/MSR layout', () => {
    const p = assembleProgram({ path: 't.s', text: 'mrs x11, dbgbcr6_el1\nmsr dbgwvr3_el1, x8\nmsr mdcr_el2, x0\n' }, { base: 0n });
    // 0xD5300000 | (op0-2)<<19 | op1<<16 | CRn<<12 | CRm<<8 | op2<<5 | Rt
    expect(p.words[0]).toBe((0xd5300000 | (0 << 19) | (0 << 16) | (0 << 12) | (6 << 8) | (5 << 5) | 11) >>> 0);
    expect(p.words[1]).toBe((0xd5100000 | (3 << 8) | (6 << 5) | 8) >>> 0);
    expect(p.words[2]).toBe((0xd5100000 | (1 << 19) | (4 << 16) | (1 << 12) | (1 << 8) | (1 << 5)) >>> 0);
  });
});
