// The stamp: `<out>/.switchgen-stamp`, written by generate after it has written every output. It
// records a digest of every input and the sha256 of each output those inputs produced. Because
// generation is deterministic, "inputs with digest D give outputs with these hashes" stays true
// whatever happens to the directory afterwards, so a later run whose inputs hash to D and whose
// files hash as recorded has nothing to do, and can say so without loading the generator.
// Anything else (no stamp, any input changed, an output edited, missing or unreadable) sends
// the caller to the full path. Node built-ins only: this module is on the no-op fast path.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { changedParts, sha256, type InputDigest } from './digest.js';
import { readIfExists, writeAtomic, type OutputFile } from '../emit/files.js';

export const STAMP_FILE = '.switchgen-stamp';
/** Bump when the stamp's meaning changes: an old stamp then simply does not match. */
const STAMP_FORMAT = 1;

interface Stamp {
  format: number;
  inputs: string;
  parts: Record<string, string>;
  outputs: [path: string, sha256: string][];
  /** The warnings the generator printed, replayed by a no-op run (as ccache replays a compiler's). */
  warnings: string;
}

function isSafeRelative(p: unknown): p is string {
  return typeof p === 'string' && p.length > 0 && !isAbsolute(p) && !normalize(p).startsWith('..') && !p.includes('\0');
}

export function readStamp(outDir: string): Stamp | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(outDir, STAMP_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const s = raw as Partial<Stamp> | null;
  if (!s || s.format !== STAMP_FORMAT || typeof s.inputs !== 'string' || typeof s.parts !== 'object' || s.parts === null || !Array.isArray(s.outputs) || typeof s.warnings !== 'string') return undefined;
  if (!s.outputs.every((o) => Array.isArray(o) && o.length === 2 && isSafeRelative(o[0]) && typeof o[1] === 'string')) return undefined;
  return s as Stamp;
}

export function stampText(digest: InputDigest, files: OutputFile[], warnings = ''): string {
  const stamp: Stamp = { format: STAMP_FORMAT, inputs: digest.digest, parts: digest.parts, outputs: files.map((f) => [f.path, sha256(f.content)]), warnings };
  // JSON, one entry a line, so a diff of two stamps reads well.
  const lines = (entries: string[]): string => `\n  ${entries.join(',\n  ')}\n `;
  return [
    '{',
    ` "format": ${stamp.format},`,
    ` "inputs": ${JSON.stringify(stamp.inputs)},`,
    ` "parts": {${lines(Object.entries(stamp.parts).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`))}},`,
    ` "outputs": [${lines(stamp.outputs.map((o) => JSON.stringify(o)))}],`,
    ` "warnings": ${JSON.stringify(stamp.warnings)}`,
    '}',
    '',
  ].join('\n');
}

/** Record that `digest`'s inputs produce `files` (call only once every file is written). */
export function writeStamp(outDir: string, digest: InputDigest, files: OutputFile[], warnings = ''): void {
  const file = join(outDir, STAMP_FILE);
  const text = stampText(digest, files, warnings);
  if (readIfExists(file) !== text) writeAtomic(file, text);
}

export type Freshness = { fresh: true; outputs: string[]; warnings: string } | { fresh: false; why: string };

/** Whether `outDir` holds exactly what the inputs with `digest` generate, by the stamp alone. */
export function checkStamp(outDir: string, digest: InputDigest): Freshness {
  const stamp = readStamp(outDir);
  if (!stamp) return { fresh: false, why: `no usable ${STAMP_FILE} in the output directory` };
  if (stamp.inputs !== digest.digest) {
    const changed = changedParts(stamp.parts, digest.parts);
    return { fresh: false, why: `inputs changed since the last generate: ${changed.join(', ') || 'digest'}` };
  }
  for (const [path, hash] of stamp.outputs) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(outDir, path));
    } catch {
      return { fresh: false, why: `${path} is missing` };
    }
    if (sha256(bytes) !== hash) return { fresh: false, why: `${path} differs from what was generated` };
  }
  return { fresh: true, outputs: stamp.outputs.map(([p]) => p), warnings: stamp.warnings };
}
