// Property: whatever the table or CPU file holds, `switchgen generate` ends in one of two ways:
// complete outputs (exit 0, and `check` agrees), or positioned diagnostics
// (`file:line:col: error:`, exit 2) with nothing written. Never an uncaught exception, never
// "internal error" (exit 70). Thousands of cases: the valid files with one field changed (to a
// plausible value, a wrong type, a huge number, unicode, a hostile string, deep nesting), a key
// removed, added or misspelt, an entry duplicated; truncated and spliced text; random documents.
//
// Reproduce a failure with the seed fast-check prints: FUZZ_SEED=<seed> FUZZ_RUNS=<n> npx vitest run test/robustness
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isMap, isSeq, parseDocument } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TABLE_PATH, runCli, tempDir } from '../helpers.js';
import { listAll } from '../build/process.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const BASE_TABLE = readFileSync(DEFAULT_TABLE_PATH, 'utf8');
// Two CPU models keep a valid case cheap (each model is a TypeScript file to print).
const BASE_CPUS = `cpus:
  - { name: cortex-a57, ID_AA64DFR0_EL1: 0x10305106, qemu: cortex-a57 }
  - { name: fvp-base,   ID_AA64DFR0_EL1: 0x10f0f106 }
`;

/** Strings that try to end a comment, a string, a line or a template in the output. */
const HOSTILE = ['\n', '\r', '*/', '/*', '//', '`', '${', '\\', '#', ';', '"', "'", '\u2028', '\u0085', '\u001b[2J', '\u0000', ' ', '<n>', '}}', '{{', '-->', '%', ':'];
/** Names that are plain identifiers but mean something to asm, C or TypeScript, or to JavaScript objects. */
const NAMES = [
  'CPU', 'TABLE', 'COUNTS', 'ID_REGISTERS', 'ASM_OFFSETS', 'SWITCHED', 'SLOT_BYTES', 'MASK64', 'add64', 'MachineState', 'saveDebug',
  'm', 'M', 'eval', 'EVAL', 'arguments', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype', 'valueOf',
  'delete', 'DELETE', 'class', 'CLASS', 'await', 'undefined', 'NaN', 'Infinity', 'null',
  'x0', 'x30', 'x31', 'sp', 'SP', 'xzr', 'lr', 'x5-x20', 'x20-x5', 'x0-x30', 'x4-x7',
  'MDSCR_EL1', 'MDCCINT_EL1', 'BRPs', 'WRPs', 'ID_AA64DFR0_EL1', 'VCPU_CONTEXT', 'CPU_SYSREGS', 'VCPU_DEBUG_FLAGS', 'NR_SYS_REGS',
  'DBGBCR<n>_EL1', '<n>', 'cortex-a57', 'max', 'eager', 'lazy', 'external', 'aarch32', 'any',
  'offsetof(struct kvm_vcpu, arch.x)', 'a'.repeat(300), 'Ä', 'ſ', 'İ', '𝔁0', '٣', 'x\u200b0',
];
const NUMBERS = [0, 1, 2, 7, 8, 12, 15, 16, 17, 22, 23, 31, 32, 63, 64, 87, 93, 94, 95, 4088, 4095, 4096, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -1, -8, 0.5, 1e308, -0];
const BIGS = [2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 100n, -(2n ** 63n), 0x10305106n, 0xffffffffffffffffn];

const DEEP = '\u0000DEEP';
const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.constantFrom(...BIGS),
  fc.integer({ min: -100, max: 5000 }),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...NAMES),
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...HOSTILE), fc.constantFrom(...NAMES)).map(([a, h, b]) => a + h + b),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer({ min: 20, max: 3000 }).map((n) => `${DEEP}${n}`),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 })), tie('value'), { maxKeys: 3 }),
  ),
}));

/** Every path into a YAML document's collections (keys and indices). */
function pathsOf(node: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (isMap(node)) for (const p of node.items) out.push(...pathsOf(p.value, [...prefix, String((p.key as { value?: unknown })?.value ?? p.key)]));
  else if (isSeq(node)) node.items.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  return out;
}

type Mutation =
  | { op: 'set'; pick: number; value: unknown }
  | { op: 'setString'; pick: number; value: string; keep: 'replace' | 'prefix' | 'suffix' }
  | { op: 'setNumber'; pick: number; value: bigint; relative: boolean }
  | { op: 'delete'; pick: number }
  | { op: 'add'; pick: number; key: string; value: unknown }
  | { op: 'rename'; pick: number; key: string }
  | { op: 'duplicate'; pick: number }
  | { op: 'truncate'; at: number }
  | { op: 'splice'; at: number; remove: number; insert: string }
  | { op: 'replace'; text: string };

const YAML_BITS = [':', ': ', '- ', '{', '}', '[', ']', ',', '&a ', '*a', '!!binary ', '!!str ', '!foo ', '\t', '---\n', '...\n', '%YAML 1.2\n', '<<: *a\n', '? ', '|\n', '>\n', '"', "'", '#', '\n  ', '0x', '0o17', '1_000', '.inf', '~'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value }), weight: 8 },
  {
    // One string field of a valid file changed: the likeliest way to reach the emitters with
    // a name they must refuse.
    arbitrary: fc.record({
      op: fc.constant('setString' as const),
      pick: fc.nat(),
      value: fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 4 })),
      keep: fc.constantFrom('replace' as const, 'prefix' as const, 'suffix' as const),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('setNumber' as const),
      pick: fc.nat(),
      value: fc.oneof(fc.constantFrom(...BIGS, ...NUMBERS.filter(Number.isInteger).map(BigInt)), fc.bigInt({ min: -20n, max: 20n })),
      relative: fc.boolean(),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('add' as const), pick: fc.nat(), key: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 8 })), value }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('rename' as const), pick: fc.nat(), key: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 8 })) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('duplicate' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('splice' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      remove: fc.nat({ max: 40 }),
      insert: fc.oneof(fc.constantFrom(...YAML_BITS, ...HOSTILE), fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 6 })),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('replace' as const),
      text: fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 60 }), fc.constant('a: &a [1,2]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'), fc.constant('')),
    }),
    weight: 1,
  },
);

/**
 * Apply the mutations: the structural ones to the parsed document (comments kept), then the
 * deep nesting spliced in as text (building it as a value would recurse in the stringifier, and
 * so would re-parsing it for a second structural edit), then the text ones.
 */
function mutateAll(text: string, ms: Mutation[]): string {
  const structural = ms.filter((m) => m.op !== 'truncate' && m.op !== 'splice' && m.op !== 'replace');
  const textual = ms.filter((m) => m.op === 'truncate' || m.op === 'splice' || m.op === 'replace');
  const doc = parseDocument(text, { intAsBigInt: true });
  const deep: string[] = [];
  const plain = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith(DEEP)) {
      const n = Number(v.slice(DEEP.length));
      deep.push(n % 2 ? '['.repeat(n) + ']'.repeat(n) : '{a: '.repeat(n) + '1' + '}'.repeat(n));
      return `@@DEEP${deep.length - 1}@@`;
    }
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
  };
  for (const m of structural) {
    const all = pathsOf(doc.contents);
    const leaves = (want: (v: unknown) => boolean): (string | number)[][] => all.filter((p) => p.length && want(doc.getIn(p)));
    const paths = m.op === 'setString' ? leaves((v) => typeof v === 'string') : m.op === 'setNumber' ? leaves((v) => typeof v === 'bigint') : all;
    if (!paths.length) continue;
    const path = paths[(m as { pick: number }).pick % paths.length]!;
    const parent = path.slice(0, -1);
    const last = path[path.length - 1];
    switch (m.op) {
      case 'set':
        if (path.length === 0) doc.contents = doc.createNode(plain(m.value)) as typeof doc.contents;
        else doc.setIn(path, doc.createNode(plain(m.value)));
        break;
      case 'setString': {
        const old = String(doc.getIn(path));
        doc.setIn(path, m.keep === 'replace' ? m.value : m.keep === 'prefix' ? m.value + old : old + m.value);
        break;
      }
      case 'setNumber':
        doc.setIn(path, m.relative ? (doc.getIn(path) as bigint) + m.value : m.value);
        break;
      case 'delete':
        if (path.length) doc.deleteIn(path);
        break;
      case 'add': {
        const target = doc.getIn(path, true);
        if (isMap(target)) target.set(m.key, doc.createNode(plain(m.value)));
        else if (isSeq(target)) target.add(doc.createNode(plain(m.value)));
        break;
      }
      case 'rename': {
        const holder = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
        if (isMap(holder) && last !== undefined) {
          const v = holder.get(last, true);
          holder.delete(last);
          holder.set(m.key, v);
        }
        break;
      }
      case 'duplicate': {
        const target = doc.getIn(path, true);
        if (isSeq(target) && target.items.length) target.add(doc.createNode(doc.getIn([...path, 0])));
        break;
      }
    }
  }
  let out = structural.length ? doc.toString({ lineWidth: 0 }) : text;
  deep.forEach((d, i) => (out = out.replace(new RegExp(`(["']?)@@DEEP${i}@@\\1`), () => d)));
  for (const m of textual) {
    if (m.op === 'truncate') out = out.slice(0, Math.floor(out.length * m.at));
    else if (m.op === 'splice') {
      const at = Math.floor(out.length * m.at);
      out = out.slice(0, at) + m.insert + out.slice(at + m.remove);
    } else if (m.op === 'replace') out = m.text;
  }
  return out;
}

const root = tempDir('switchgen-fuzz-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let caseNo = 0;
const tally = { ok: 0, rejected: 0 };

async function generateCase(tableText: string, cpusText: string): Promise<void> {
  const dir = join(root, String(caseNo++));
  mkdirSync(dir);
  const table = join(dir, 't.yaml');
  const cpus = join(dir, 'c.yaml');
  writeFileSync(table, tableText);
  writeFileSync(cpus, cpusText);
  const out = join(dir, 'out');
  const args = ['--table', table, '--cpus', cpus, '--out', out];
  const r = await runCli(['generate', ...args]);
  const context = `exit ${r.code}\n--- stderr\n${r.stderr}\n--- t.yaml\n${tableText.slice(0, 3000)}\n--- c.yaml\n${cpusText.slice(0, 2000)}`;
  expect(r.stderr, context).not.toMatch(/internal error/);
  expect([0, 2], context).toContain(r.code);
  if (r.code === 0) {
    tally.ok++;
    // Complete: every output the stamp lists is there with the bytes generated, and check agrees.
    const files = listAll(out);
    expect(files, context).toEqual(expect.arrayContaining(['.switchgen-stamp', 'asm/debug_switch.S', 'include/kvm_debug_switch.h', 'ts/index.ts']));
    expect(files.filter((f) => f.includes('switchgen-tmp')), context).toEqual([]);
    const c = await runCli(['check', ...args]);
    expect(c.code, `${context}\n--- check\n${c.stderr}`).toBe(0);
  } else {
    tally.rejected++;
    const errors = r.stderr.split('\n').filter((l) => l.includes('error:'));
    expect(errors.length, context).toBeGreaterThan(0);
    // Every error is positioned in one of the two inputs, on one line.
    for (const l of errors) expect(l, context).toMatch(/^\S*(t|c)\.yaml:[1-9]\d*:[1-9]\d*: error: ./);
    expect(r.stderr.split('\n').filter((l) => l && !/^\S*(t|c)\.yaml:\d+:\d+: (error|warning): /.test(l) && !/^switchgen: \d+ more errors not shown$/.test(l)), context).toEqual([]);
    expect(listAll(out), context).toEqual([]);
  }
  rmSync(dir, { recursive: true, force: true });
}

describe('random and mutated inputs never crash switchgen', () => {
  it(`the table: ${RUNS} cases`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), async (ms) => {
        await generateCase(mutateAll(BASE_TABLE, ms), BASE_CPUS);
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
  }, 600_000);

  it(`the CPU file: ${RUNS} cases`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 2 }), async (ms) => {
        await generateCase(BASE_TABLE, mutateAll(BASE_CPUS, ms));
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
  }, 600_000);

  it('tried both outcomes', () => {
    // A property that only ever saw rejections would prove little about the success path.
    console.log(`fuzz: ${tally.ok + tally.rejected} cases, ${tally.ok} generated, ${tally.rejected} rejected with diagnostics`);
    expect(tally.ok).toBeGreaterThan(RUNS / 50);
    expect(tally.rejected).toBeGreaterThan(RUNS / 2);
  });
});
