// Pulls the instruction sequences out of the 2014 seed patch and out of generated asm, both
// normalised the same way (comments and whitespace dropped), so they can be compared
// instruction for instruction. Only rules for *where* to look live here, never seed text.
import { createHash } from 'node:crypto';

/** Comments dropped, whitespace folded, no space after commas; blank lines removed. */
export function normalise(lines: string[]): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (let raw of lines) {
    let line = '';
    for (let i = 0; i < raw.length; i++) {
      if (inBlock) {
        if (raw.startsWith('*/', i)) {
          inBlock = false;
          i++;
        }
        continue;
      }
      if (raw.startsWith('/*', i)) {
        inBlock = true;
        i++;
        continue;
      }
      if (raw.startsWith('//', i)) break;
      line += raw[i];
    }
    raw = line.replace(/\s+/g, ' ').replace(/ ?, ?/g, ',').trim();
    if (raw) out.push(raw);
  }
  return out;
}

export const digest = (lines: string[]): string => createHash('sha256').update(lines.join('\n')).digest('hex');

interface Hunk {
  /** Post-image: context and added lines, prefix stripped. */
  post: string[];
  /** Raw lines with their prefix, to tell added from context. */
  raw: string[];
}

function hypHunks(patch: string): Hunk[] {
  const lines = patch.split('\n');
  const hunks: Hunk[] = [];
  let inHyp = false;
  let cur: Hunk | undefined;
  for (const line of lines) {
    if (line.startsWith('diff --git')) {
      inHyp = line.includes('arch/arm64/kvm/hyp.S');
      cur = undefined;
      continue;
    }
    if (!inHyp) continue;
    if (line.startsWith('@@')) {
      cur = { post: [], raw: [] };
      hunks.push(cur);
      continue;
    }
    if (!cur || line.startsWith('---') || line.startsWith('+++')) continue;
    if (line.startsWith('-- ')) break; // mail signature
    if (line.startsWith('+') || line.startsWith(' ') || line === '') {
      cur.post.push(line.slice(1));
      cur.raw.push(line);
    }
  }
  return hunks;
}

/** Runs of consecutive added lines. */
function addedRuns(hunks: Hunk[]): string[][] {
  const runs: string[][] = [];
  for (const h of hunks) {
    let run: string[] = [];
    for (const r of h.raw) {
      if (r.startsWith('+')) run.push(r.slice(1));
      else if (r.trim() === '' && run.length) run.push('');
      else {
        if (run.length) runs.push(run);
        run = [];
      }
    }
    if (run.length) runs.push(run);
  }
  return runs;
}

function macroBody(lines: string[], name: string): string[] | undefined {
  const start = lines.findIndex((l) => new RegExp(`^\\s*\\.macro\\s+${name}\\b`).test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^\s*\.endm\b/.test(l));
  return end < 0 ? undefined : lines.slice(start + 1, end);
}

export interface SeedSequence {
  id: string;
  /** Generated macro the sequence must appear in. */
  macro: string;
  /** exact: the whole macro body; within: a contiguous run inside it (the seed shows part). */
  mode: 'exact' | 'within';
  lines: string[];
}

/** Lines of `hunk` from the first matching `from` through the first matching `to` (inclusive). */
function between(lines: string[], from: RegExp, to: RegExp): string[] {
  const a = lines.findIndex((l) => from.test(l));
  const b = lines.findIndex((l, i) => i >= a && to.test(l));
  if (a < 0 || b < 0) throw new Error(`seed: no lines from ${from} to ${to}`);
  return lines.slice(a, b + 1);
}

function hunkWith(hunks: Hunk[], added: RegExp): Hunk {
  const h = hunks.find((x) => x.raw.some((r) => r.startsWith('+') && added.test(r.slice(1))));
  if (!h) throw new Error(`seed: no hunk adds a line matching ${added}`);
  return h;
}

export function seedSequences(patch: string): SeedSequence[] {
  const hunks = hypHunks(patch);
  const post = hunks.flatMap((h) => h.post);
  const seq = (id: string, macro: string, mode: SeedSequence['mode'], lines: string[] | undefined): SeedSequence => {
    if (!lines) throw new Error(`seed: cannot find ${id}`);
    return { id, macro, mode, lines: normalise(lines) };
  };
  const runs = addedRuns(hunks);
  const callRuns = runs.filter((r) => r.some((l) => /\bbl\s+__(save|restore)_debug\b/.test(l)));
  if (callRuns.length !== 4) throw new Error(`seed: expected 4 added __kvm_vcpu_run debug sequences, found ${callRuns.length}`);
  const routines = runs.find((r) => r.some((l) => /^__save_debug:/.test(l)));
  const beforeEndm = (lines: string[]): string[] => lines.slice(0, lines.findIndex((l) => /^\.endm/.test(l.trim())));
  return [
    seq('save_sysregs.mdscr_read', 'save_sysregs', 'within', hunkWith(hunks, /mrs\s+x25,\s+mdscr_el1/).post),
    seq('save_sysregs.mdscr_store', 'save_sysregs', 'within', beforeEndm(hunkWith(hunks, /stp\s+x24, x25, \[x3, #160\]/).post)),
    seq('restore_sysregs.mdscr_load', 'restore_sysregs', 'within', hunkWith(hunks, /ldp\s+x24, x25, \[x3, #160\]/).post),
    seq('restore_sysregs.mdscr_write', 'restore_sysregs', 'within', beforeEndm(hunkWith(hunks, /msr\s+mdscr_el1,\s+x25/).post)),
    seq('save_debug', 'save_debug', 'exact', macroBody(post, 'save_debug')),
    seq('restore_debug', 'restore_debug', 'exact', macroBody(post, 'restore_debug')),
    seq('skip_clean_debug_state', 'skip_clean_debug_state', 'exact', macroBody(post, 'skip_clean_debug_state')),
    seq('save_guest_32bit_state.dbgvcr32', 'save_guest_32bit_sysregs', 'within', between(hunkWith(hunks, /mrs\s+x7, dbgvcr32_el2/).post, /dacr32_el2/, /^2:/)),
    seq('restore_guest_32bit_state.dbgvcr32', 'restore_guest_32bit_sysregs', 'within', between(hunkWith(hunks, /msr\s+dbgvcr32_el2, x7/).post, /CPU_SYSREG_OFFSET\(DACR32_EL2\)/, /^2:/)),
    seq('__save_debug/__restore_debug', 'debug_switch_routines', 'exact', routines),
    seq('__kvm_vcpu_run.save_host_debug', 'vcpu_run_debug_save_host', 'exact', callRuns[0]),
    seq('__kvm_vcpu_run.restore_guest_debug', 'vcpu_run_debug_restore_guest', 'exact', callRuns[1]),
    seq('__kvm_vcpu_return.save_guest_debug', 'vcpu_return_debug_save_guest', 'exact', callRuns[2]),
    seq('__kvm_vcpu_return.restore_host_debug', 'vcpu_return_debug_restore_host', 'exact', callRuns[3]),
  ];
}

/** A generated macro's body, normalised. */
export function generatedMacro(asm: string, name: string): string[] | undefined {
  const body = macroBody(asm.split('\n'), name);
  return body && normalise(body);
}

/** Index of `needle` as a contiguous run in `hay`, or -1. */
export function findRun(hay: string[], needle: string[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export interface SeedDigest {
  macro: string;
  mode: 'exact' | 'within';
  lines: number;
  sha256: string;
}

/** Does a generated macro body hold a run of `d.lines` lines whose digest is `d.sha256`? */
export function matchesDigest(body: string[], d: SeedDigest): boolean {
  if (d.mode === 'exact') return body.length === d.lines && digest(body) === d.sha256;
  for (let i = 0; i + d.lines <= body.length; i++) if (digest(body.slice(i, i + d.lines)) === d.sha256) return true;
  return false;
}
