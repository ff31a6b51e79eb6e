// Hostile strings: every string in the table and the CPU file (values and the keys that name
// things) is tried with text that would break out of the emitted assembly, C header or
// TypeScript: a newline, a comment terminator, a backquote, a template-literal opener, a
// backslash, a '#'. Each must be refused with a diagnostic at that field, and nothing written.
// Likewise for the input paths, which the generated headers quote.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../generator/table/diagnostics.js';
import { parseCpus, parseTable } from '../../generator/table/load.js';
import { DEFAULT_CPUS_PATH, DEFAULT_TABLE_PATH, runCli, tempDir } from '../helpers.js';
import { listAll } from '../build/process.js';

/** The brief's six first; every field gets those, the fields outside the register list get all. */
const PAYLOADS = ['\n', '*/', '`', '${', '\\', '#', '\r', '\u2028', '//', ';', '"', "'", '/*', '\u0000', '\u001b[1m', '}}'];
const payloadsFor = (path: Path): string[] => (path[0] === 'registers' || (path[0] === 'banks' && path[1] !== 0) || (path[0] === 'cpus' && path[1] !== 0) ? PAYLOADS.slice(0, 6) : PAYLOADS);

const BASE_TABLE = readFileSync(DEFAULT_TABLE_PATH, 'utf8');
const BASE_CPUS = readFileSync(DEFAULT_CPUS_PATH, 'utf8');

type Path = (string | number)[];
/** Every string value, and every mapping key that is data (a name) rather than a field name. */
function stringFields(text: string, dataKeyParents: string[][]): { path: Path; key: boolean }[] {
  const doc = parseDocument(text);
  const out: { path: Path; key: boolean }[] = [];
  const visit = (node: unknown, path: Path): void => {
    if (isMap(node)) {
      const namesAreData = dataKeyParents.some((p) => p.length === path.length && p.every((seg, i) => seg === '*' || seg === String(path[i])));
      for (const pair of node.items) {
        const k = String((pair.key as { value: unknown }).value);
        if (namesAreData) out.push({ path: [...path, k], key: true });
        visit(pair.value, [...path, k]);
      }
    } else if (isSeq(node)) node.items.forEach((v, i) => visit(v, [...path, i]));
    else if (isScalar(node) && typeof node.value === 'string') out.push({ path, key: false });
  };
  visit(doc.contents, []);
  return out;
}

/** The text with one field made hostile, and the line that field is on. */
function withPayload(text: string, field: { path: Path; key: boolean }, payload: string): { text: string; line: number } {
  const doc: Document.Parsed = parseDocument(text);
  const parent = doc.getIn(field.path.slice(0, -1), true);
  const last = field.path[field.path.length - 1]!;
  if (field.key) {
    if (!isMap(parent)) throw new Error('not a map');
    const pair = parent.items.find((p) => isPair(p) && String((p.key as { value: unknown }).value) === String(last))!;
    (pair.key as { value: unknown }).value = `${String(last)}${payload}X`;
  } else {
    doc.setIn(field.path, `${String(doc.getIn(field.path))}${payload}x`);
  }
  const out = doc.toString({ lineWidth: 0 });
  // Find the line of the field in the new text.
  const lc = new LineCounter();
  const again = parseDocument(out, { lineCounter: lc });
  const node = field.key ? (again.getIn(field.path.slice(0, -1), true) as { items: { key: { range?: number[] } }[] }).items.find((p) => String((p.key as unknown as { value: unknown }).value).startsWith(String(last)))?.key : (again.getIn(field.path, true) as { range?: number[] } | undefined);
  return { text: out, line: node?.range ? lc.linePos(node.range[0]!).line : 0 };
}

/** The library's verdict, quickly: errors, one of them on `line`. */
function expectInvalid(table: string, cpus: string, line: number, where: 't' | 'c', what: string): void {
  const t = parseTable('t.yaml', table);
  const errs = [...t.diagnostics, ...(where === 'c' && t.value ? parseCpus('c.yaml', cpus, t.value).diagnostics : [])].filter((d) => d.severity === 'error');
  expect(errs.length, what).toBeGreaterThan(0);
  expect(errs.some((d) => d.file === `${where}.yaml` && d.line === line), `${what}: ${errs.map(formatDiagnostic).join('; ')}`).toBe(true);
}

/** And through the CLI: exit 2, positioned, nothing written. */
async function expectRefused(table: string, cpus: string, line: number, where: 't' | 'c', what: string): Promise<void> {
  const dir = tempDir();
  writeFileSync(join(dir, 't.yaml'), table);
  writeFileSync(join(dir, 'c.yaml'), cpus);
  const out = join(dir, 'out');
  const r = await runCli(['generate', '--table', join(dir, 't.yaml'), '--cpus', join(dir, 'c.yaml'), '--out', out]);
  expect(r.code, `${what}\n${r.stderr}`).toBe(2);
  expect(r.stderr, what).toMatch(new RegExp(`${where}\\.yaml:${line}:\\d+: error: `));
  expect(listAll(out), what).toEqual([]);
  // and each diagnostic is one line, whatever the payload
  for (const l of r.stderr.trimEnd().split('\n')) expect(l, what).toMatch(/\.yaml:\d+:\d+: (error|warning): |^switchgen: \d+ more errors/);
  rmSync(dir, { recursive: true, force: true });
}

describe('hostile strings never reach the outputs', () => {
  const tableFields = stringFields(BASE_TABLE, [['asm_offsets'], ['id_fields']]);
  const cpuFields = stringFields(BASE_CPUS, [['cpus', '*']]).filter((f) => !(f.key && (f.path.at(-1) === 'name' || f.path.at(-1) === 'qemu')));

  it('covers every string field', () => {
    // Table: name, context names, asm-offsets names and defines, id fields, every register's and
    // bank's strings, lazy, aarch32 and roles. CPU file: name, qemu, ID register keys.
    const seen = new Set(tableFields.map((f) => f.path.filter((s) => typeof s === 'string').join('.')));
    for (const f of ['name', 'context.offset_macro', 'context.base_offset', 'asm_offsets.CPU_SYSREGS', 'asm_offsets.CPU_SYSREGS.define', 'id_fields.BRPs', 'id_fields.BRPs.register',
      'registers.name', 'registers.switch', 'registers.access', 'registers.guest', 'banks.name', 'banks.count', 'lazy.flags.offset', 'lazy.flags.shift_name', 'lazy.flags.mask_name',
      'lazy.trigger.register', 'lazy.trigger.context', 'lazy.trigger.bits.name', 'aarch32.register', 'aarch32.shift_name', 'roles.vcpu', 'roles.values', 'roles.skip', 'roles.dirty']) {
      expect(seen, f).toContain(f);
    }
    const cpuSeen = new Set(cpuFields.map((f) => String(f.path.at(-1))));
    expect([...cpuSeen].sort()).toEqual(['ID_AA64DFR0_EL1', 'name', 'qemu']);
  });

  // Every field × every payload through the library; through the CLI (exit 2, nothing written)
  // with the first two payloads, to keep the test quick.
  it('the table: every string field, with each payload, is refused at its position', async () => {
    for (const f of tableFields) {
      for (const [i, p] of payloadsFor(f.path).entries()) {
        const m = withPayload(BASE_TABLE, f, p);
        const what = `${f.key ? 'key ' : ''}${f.path.join('.')} + ${JSON.stringify(p)}`;
        expectInvalid(m.text, BASE_CPUS, m.line, 't', what);
        if (i === 0) await expectRefused(m.text, BASE_CPUS, m.line, 't', what);
      }
    }
  }, 300_000);

  it('the CPU file: every string field, with each payload, is refused at its position', async () => {
    for (const f of cpuFields) {
      for (const [i, p] of payloadsFor(f.path).entries()) {
        const m = withPayload(BASE_CPUS, f, p);
        const what = `${f.key ? 'key ' : ''}${f.path.join('.')} + ${JSON.stringify(p)}`;
        expectInvalid(BASE_TABLE, m.text, m.line, 'c', what);
        if (i < 2 && (f.path[1] === 0 || f.path[1] === 6)) await expectRefused(BASE_TABLE, m.text, m.line, 'c', what);
      }
    }
  }, 300_000);

  it('names that mean something to the generated TypeScript are refused, not crashed on', async () => {
    const cases: [string, string, RegExp][] = [
      [BASE_TABLE.replace('name: MDCCINT_EL1,', 'name: DELETE,'), BASE_CPUS, /register DELETE: the generated TypeScript names its value delete, which is reserved there/],
      [BASE_TABLE.replace('name: MDCCINT_EL1,', 'name: M,'), BASE_CPUS, /register M: the generated TypeScript names its value m/],
      [BASE_TABLE.replace('name: MDCCINT_EL1,', 'name: ADD64,'), BASE_CPUS, /register ADD64: the generated TypeScript names its value add64/],
      [BASE_TABLE.replace('shift_name: KVM_ARM64_DEBUG_DIRTY_SHIFT', 'shift_name: CPU'), BASE_CPUS, /lazy\.flags\.shift_name: CPU is a name the generated TypeScript reserves/],
      [BASE_TABLE.replace('mask_name: KVM_ARM64_DEBUG_DIRTY', 'mask_name: KVM_ARM64_DEBUG_DIRTY_SHIFT'), BASE_CPUS, /lazy\.flags\.mask_name is also lazy\.flags\.shift_name .*defined once/],
      [BASE_TABLE.replace('shift_name: HCR_RW_SHIFT', 'shift_name: MDSCR_EL1'), BASE_CPUS, /aarch32\.shift_name is also register MDSCR_EL1/],
      [BASE_TABLE.replace('name: "DBGBCR<n>_EL1"', 'name: "<n>DBGBCR_EL1"'), BASE_CPUS, /starts with <n>, so its members would start with a digit/],
      [BASE_TABLE.replace('{ name: CSSELR_EL1,     slot: 2,  switch: eager }', '{ name: CSSELR_EL1, slot: 2, switch: eager, access: SCTLR_EL1 }'), BASE_CPUS, /registers\[2\] switches SCTLR_EL1, which registers\[1\] switches too/],
      [BASE_TABLE, BASE_CPUS.replace('name: cortex-a53,', 'name: await,'), /CPU name await cannot name its TypeScript model/],
      [BASE_TABLE, BASE_CPUS.replace('name: cortex-a53,', 'name: index,'), /CPU name index is taken by the models' index/],
      [BASE_TABLE, BASE_CPUS.replace('name: cortex-a53,', 'name: cortex_a57,'), /CPU name cortex-a57 and cortex_a57 both name their TypeScript model cortexA57/],
      [BASE_TABLE, BASE_CPUS.replace('name: cortex-a53,', 'name: a57-,'), /CPU name a57- cannot name its TypeScript model/],
      [BASE_TABLE, BASE_CPUS.replace('name: cortex-a53,', 'name: save-sysregs,'), /CPU name save-sysregs cannot name its TypeScript model \("saveSysregs" is reserved\)/],
    ];
    for (const [t, c, msg] of cases) {
      const dir = tempDir();
      writeFileSync(join(dir, 't.yaml'), t);
      writeFileSync(join(dir, 'c.yaml'), c);
      const r = await runCli(['generate', '--table', join(dir, 't.yaml'), '--cpus', join(dir, 'c.yaml'), '--out', join(dir, 'out')]);
      expect(r.stderr, String(msg)).toMatch(msg);
      expect(r.stderr).toMatch(/[tc]\.yaml:\d+:\d+: error: /);
      expect(r.code).toBe(2);
      expect(listAll(join(dir, 'out'))).toEqual([]);
    }
  }, 60_000);

  it('input paths that would end a header comment are refused before anything is written', async () => {
    for (const name of ['a\nb', 'x*/y', 'c\u2028d', 'e\rf']) {
      const dir = join(tempDir(), name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 't.yaml'), BASE_TABLE);
      const out = join(tempDir(), 'out');
      for (const cmd of [['generate'], ['check'], ['emit', 'asm', '-o', join(out, 'x.S')]]) {
        const r = await runCli([...cmd, '--table', join(dir, 't.yaml'), '--out', out].filter((a, i, all) => !(cmd[0] === 'emit' && (a === '--out' || all[i - 1] === '--out'))));
        expect(r.code, `${cmd[0]} ${JSON.stringify(name)}`).toBe(2);
        expect(r.stderr).toMatch(/^switchgen: error: --table ".*" contains .*, so it cannot be quoted in the generated files' headers$/m);
        expect(listAll(out)).toEqual([]);
      }
    }
  });
});
