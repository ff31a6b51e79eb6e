// A one-shot generator for the watcher: loads the library (fresh modules, so edited templates
// and rebuilt code are read anew), waits for one set of inputs, posts back the outputs or the
// diagnostics, and exits. The watcher keeps one of these warm so a save regenerates at once.
import { parentPort } from 'node:worker_threads';
import type { InputPaths } from './digest.js';

export type WorkerReply = { files: { path: string; content: string }[]; diagnostics: unknown[] } | { error: string };

const port = parentPort;
if (!port) throw new Error('generate-worker runs as a worker thread');
const lib = await import('../index.js');
port.once('message', (inputs: InputPaths) => {
  let reply: WorkerReply;
  try {
    const g = lib.generateAll(inputs);
    reply = { files: g.files.map((f) => ({ path: f.path, content: f.content })), diagnostics: g.diagnostics };
  } catch (e) {
    reply = { error: (e as Error).stack ?? String(e) };
  }
  port.postMessage(reply);
  port.close();
});
