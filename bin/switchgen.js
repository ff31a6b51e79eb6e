#!/usr/bin/env node
// The switchgen command: a thin launcher for the compiled CLI (npm ci runs `prepare`, which builds dist/).
// A no-op `check` or `generate` is answered from the output directory's stamp without loading
// yargs or the generator (see generator/build/fast.ts); everything else runs the full CLI.
// `switchgen cpus | head`: a closed pipe ends the output, as for any Unix tool, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

let fast;
try {
  fast = await import('../dist/generator/build/fast.js');
} catch (e) {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('switchgen: the compiled CLI (dist/) is missing: run `npm run build` (npm ci does it for you)\n');
    process.exit(2);
  }
  throw e;
}

const argv = process.argv.slice(2);
const quick = fast.fastMain(argv);
if (quick !== undefined) process.exitCode = quick;
else process.exitCode = await (await import('../dist/generator/cli.js')).main(argv);
