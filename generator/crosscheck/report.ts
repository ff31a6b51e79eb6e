// Printing a cross-check report: one summary line, the details for --verbose, one block per
// mismatching case (with the asm line and the command that reproduces it), and JSON.

import type { CaseMismatch, CrosscheckReport, ModelReport } from './run.js';
import { EMULATED_COUNT_MACROS } from './cases.js';
import { wordsOk } from './words.js';

const hex = (v: bigint | string | undefined) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : String(v));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const countsText = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ');

/** The count pairs of all models as ranges per field, e.g. "BRPs×WRPs 2..6×2..4 (15 pairs)". */
export function pairsSummary(models: ModelReport[]): string {
  const pairs = new Map<string, Record<string, number>>();
  for (const m of models) for (const p of m.pairs) pairs.set(JSON.stringify(p), p);
  if (!pairs.size) return 'no emulated counts';
  const fields = Object.keys([...pairs.values()][0]!);
  const range = (f: string) => {
    const ns = [...pairs.values()].map((p) => p[f]!);
    const lo = Math.min(...ns);
    const hi = Math.max(...ns);
    return lo === hi ? `${lo}` : `${lo}..${hi}`;
  };
  return `${fields.join('×')} ${fields.map(range).join('×')} (${plural(pairs.size, 'pair')})`;
}

export function summaryLine(r: CrosscheckReport): string {
  const ran = r.models.filter((m) => m.timing.boots > 0);
  const cases = ran.reduce((n, m) => n + m.cases, 0);
  const boots = ran.reduce((n, m) => n + m.timing.boots, 0);
  const mismatched = ran.reduce((n, m) => n + m.mismatchedCases, 0);
  const problems = r.models.reduce((n, m) => n + m.problems.length, 0);
  const words = wordsOk(r.words)
    ? `GNU as, llvm-mc and the simulator agree on ${r.words.words} words`
    : 'the assemblers DISAGREE';
  const qemu = mismatched
    ? `QEMU differs in ${mismatched} of ${cases} cases`
    : `QEMU and the simulator agree on all ${cases} cases on ${plural(ran.length, 'model')} (${ran.map((m) => m.cpu).join(', ')})`;
  const trouble = problems ? `; ${plural(problems, 'model problem')}` : '';
  const quirks = r.quirks.length ? `quirks ${r.quirks.map((q) => q.id).join(', ')}` : 'no quirks';
  const status = r.ok ? 'ok' : 'FAILED';
  return (
    `crosscheck: ${status}: ${words}; ${qemu}${trouble} (${r.states} states per routine at EL2, ${EMULATED_COUNT_MACROS.join('/')} at EL1 on ${pairsSummary(r.models)}), ` +
    `${plural(boots, 'boot')}; ${quirks}; seed ${r.seed}; ${secs(r.wallMs)}`
  );
}

/** The reproducing command for a mismatch. */
function reproduce(m: CaseMismatch, r: CrosscheckReport): string {
  const asm = r.reference ? ` --asm ${r.asm}` : '';
  return `npx switchgen crosscheck --cpu ${m.cpu} --seed ${r.seed} --states ${m.index + 1}${asm}`;
}

export function formatMismatch(m: CaseMismatch, r: CrosscheckReport): string {
  const where = `${m.routine} (${countsText(m.counts)}${m.emulated ? ', emulated at EL1' : ', at EL2'})`;
  const against = m.oracle === 'reference' ? 'the generated macros on the simulator (the reference)' : 'the simulator running the same asm';
  const lines = [`crosscheck: ${m.cpu}: ${where}, state ${m.index} of stream ${m.stream}, seed ${r.seed}: QEMU differs from ${against}`];
  for (const d of m.differences) lines.push(`  ${d.message}`);
  if (m.lastWriter) lines.push(`  last written (${m.oracle === 'reference' ? 'reference' : 'simulator'}) by ${m.lastWriter}`);
  if (m.qemuFault) lines.push(`  QEMU: ${m.qemuFault}`);
  lines.push(`  reproduce: ${reproduce(m, r)}`);
  return lines.join('\n');
}

/** Everything --verbose prints before the summary line. */
export function detailLines(r: CrosscheckReport, opts: { table?: string } = {}): string[] {
  const out: string[] = [];
  out.push(`crosscheck: asm ${r.asm}${r.reference ? `, held against ${r.reference}` : opts.table ? ` (generated from ${opts.table})` : ''}; seed ${r.seed}; ${r.states} states per routine`);
  const w = r.words;
  out.push(
    `assemblers: ${w.assemblers ? `GNU as and llvm-mc DISAGREE: ${w.assemblers.message}` : `GNU as and llvm-mc agree on ${w.words} words of .text`}; ` +
      `${w.simulator.length ? `the simulator's words differ at ${w.simulator.length + w.more} places` : "the simulator's words are GNU as's, word for word"}; ` +
      `${w.decoder.length ? `its decoder fails on ${w.decoder.length} words` : `its decoder decodes every word (${w.forms} forms)`} (${Math.round(w.ms)} ms)`,
  );
  for (const d of [...w.simulator, ...w.decoder]) out.push(`  ${d.message}`);
  for (const m of r.models) {
    const t = m.timing;
    out.push(
      `${m.cpu} (QEMU -cpu ${m.qemuCpu}, ID_AA64DFR0_EL1 ${hex(m.idAa64dfr0)}, ${countsText(m.counts)}): ${m.cases} cases ` +
        `(${m.el2Cases} at EL2, ${m.el1Cases} at EL1 on ${plural(m.pairs.length, 'count pair')}), ${plural(t.boots, 'boot')}; ` +
        `build ${Math.round(t.buildMs)} ms, QEMU ${Math.round(t.qemuMs)} ms, simulator ${Math.round(t.simMs)} ms, wall ${secs(t.wallMs)}: ` +
        `${m.mismatchedCases || m.problems.length ? `${m.mismatchedCases} cases differ` : 'ok'}`,
    );
    if (m.pairs.length) out.push(`  count pairs (${Object.keys(m.pairs[0]!).join('/')}): ${m.pairs.map((p) => Object.values(p).join('/')).join(' ')}`);
    for (const p of m.problems) out.push(`  problem: ${p}`);
    for (const n of m.notes) out.push(`  note: ${n}`);
  }
  out.push('quirks applied (QEMU 7.2, generator/crosscheck/quirks.ts):');
  for (const q of r.quirks) {
    const effect = [q.valuesChanged ? `changed ${q.valuesChanged} initial values` : '', q.hidden ? `${q.hidden} read-backs unobservable` : ''].filter(Boolean).join(', ');
    out.push(`  ${q.id} [${q.registers.join(', ')}]${effect ? ` (${effect})` : ''}: ${q.description}`);
  }
  out.push('case rules:');
  for (const rule of r.rules) out.push(`  ${rule.id}: ${rule.description}`);
  return out;
}

/** JSON with 64-bit values as hex strings and byte arrays left out. */
export function reportJson(r: CrosscheckReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v instanceof Uint8Array ? undefined : v), 2);
}
