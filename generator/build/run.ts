// One full generate: produce every output, write those whose bytes changed, then record the
// stamp and the depfile. Shared by `generate` and the watcher. Nothing is written when the
// inputs have errors, so the previous outputs stay as they were.
import type { Diagnostic } from '../table/diagnostics.js';
import { formatDiagnostics, hasErrors } from '../table/diagnostics.js';
import { removeStaleTemps, writeOutputs, type FileState, type OutputFile } from '../emit/files.js';
import { outputTargets, writeDepfile } from './depfile.js';
import { digestInputs, type InputDigest, type InputPaths } from './digest.js';
import { writeStamp } from './stamp.js';

/** What the generator produced: every output in memory, or the diagnostics. */
export interface Produced {
  files: OutputFile[];
  diagnostics: Diagnostic[];
}

export interface BuildRequest {
  inputs: InputPaths;
  /** The output directory as given (depfile targets are named under it, unnormalised). */
  out: string;
  depfile?: string | undefined;
  /** Called for each output, in order, as it is written or found unchanged. */
  onFile?: (path: string, state: FileState) => void;
  /**
   * Produce the outputs; the watcher passes one that runs the generator in a fresh worker.
   * `before` is the inputs' digest taken just before, for a producer that must know what code
   * it is about to run.
   */
  produce: (inputs: InputPaths, before: InputDigest) => Promise<Produced> | Produced;
}

export type BuildResult =
  | { ok: true; files: { path: string; state: FileState }[]; diagnostics: Diagnostic[]; stamped: boolean }
  | { ok: false; diagnostics: Diagnostic[] };

export async function buildOutputs(req: BuildRequest): Promise<BuildResult> {
  const before = digestInputs(req.inputs);
  const gen = await req.produce(req.inputs, before);
  if (hasErrors(gen.diagnostics)) return { ok: false, diagnostics: gen.diagnostics };
  const files = writeOutputs(req.out, gen.files, req.onFile);
  removeStaleTemps(req.out); // the stamp's, from a run killed while writing it
  // The stamp says "these inputs give these outputs". If an input changed while the generator
  // was reading it, which version it read is unknown: leave the stamp alone and let the next
  // run take the full path.
  const after = digestInputs(req.inputs);
  const stamped = before.digest === after.digest && before.fingerprint === after.fingerprint;
  if (stamped) writeStamp(req.out, after, gen.files, gen.diagnostics.length ? formatDiagnostics(gen.diagnostics) : '');
  if (req.depfile !== undefined) {
    writeDepfile(
      req.depfile,
      outputTargets(req.out, gen.files.map((f) => f.path)),
      after.prerequisites,
    );
  }
  return { ok: true, files, diagnostics: gen.diagnostics, stamped };
}
