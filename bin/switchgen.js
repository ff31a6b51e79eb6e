#!/usr/bin/env node
// The switchgen command: a thin launcher for the compiled CLI (npm ci runs `prepare`, which builds dist/).
// A no-op `check` or `generate` is answered from the output directory's stamp without loading
// yargs or the generator (see generator/build/fast.ts); everything else runs the full CLI.
import { fastMain } from '../dist/generator/build/fast.js';

const argv = process.argv.slice(2);
const quick = fastMain(argv);
if (quick !== undefined) process.exitCode = quick;
else process.exitCode = await (await import('../dist/generator/cli.js')).main(argv);
