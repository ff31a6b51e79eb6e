// switchgen generate: write every output whose bytes changed, then the stamp (and the depfile).
// A no-op run is decided from the stamp without loading the generator; --watch keeps going.
import { join } from 'node:path';
import type { CommandModule } from './common.js';
import { EXIT_BAD_INPUT, inputOptions, report } from './common.js';

export const generateCommand: CommandModule = (y, { io, state }) =>
  y.command(
    'generate',
    'write the generated asm, headers and TypeScript (only files whose content changed)',
    (a) =>
      inputOptions(a)
        .option('out', { type: 'string', describe: 'output directory', defaultDescription: 'generated/' })
        .option('verbose', { type: 'boolean', default: false, describe: 'list every file and whether it was written; say whether the stamp made the run a no-op' })
        .option('depfile', { type: 'string', describe: "also write make dependencies to FILE, like a compiler's -MD -MP: every output depends on the table, the CPU file and the templates" })
        .option('watch', { type: 'boolean', default: false, describe: 'keep running: regenerate when the table, the CPU file or a template changes (Ctrl-C to stop)' })
        .option('full', { type: 'boolean', default: false, describe: `always regenerate and compare, ignoring the stamp (<out>/.switchgen-stamp)` }),
    async (args) => {
      // yargs runs the handler even after reporting a usage error: do nothing then.
      if (state.code !== 0) return;
      const { fastInputs, tryFresh } = await import('../build/fast.js');
      const { formatPathProblem, pathProblems } = await import('../build/inputs.js');
      const paths = fastInputs(args);
      const problems = pathProblems({ ...paths, depfile: args.depfile, outputs: [{ option: '--out', path: paths.out }] });
      if (problems.length) {
        for (const p of problems) io.err(formatPathProblem(p));
        state.code = EXIT_BAD_INPUT;
        return;
      }
      if (args.watch) {
        const { watchAndGenerate } = await import('../build/watch.js');
        state.code = await watchAndGenerate({ inputs: paths, out: paths.out, depfile: args.depfile, verbose: args.verbose, io });
        return;
      }
      if (!args.full) {
        const fast = tryFresh({ command: 'generate', ...args }, io);
        if (fast.handled) return;
        if (args.verbose) io.err(`switchgen: regenerating: ${fast.why}`);
      }
      const { generateAll } = await import('../index.js');
      const { buildOutputs } = await import('../build/run.js');
      const { displayPath } = await import('../paths.js');
      try {
        const r = await buildOutputs({
          inputs: paths,
          out: paths.out,
          depfile: args.depfile,
          produce: (inputs) => generateAll(inputs),
          onFile: (p, s) => {
            if (args.verbose || s !== 'unchanged') io.out(`${s === 'written' ? '  GEN    ' : s === 'removed' ? '  RM     ' : '  SAME   '}${displayPath(join(paths.out, p))}`);
          },
        });
        await report(io, r.diagnostics);
        if (!r.ok) state.code = EXIT_BAD_INPUT;
      } catch (e) {
        // An output that cannot be written (a read-only directory, say) is a usage problem, not a bug.
        const err = e as NodeJS.ErrnoException;
        if (!err.code || !err.path) throw e;
        io.err(`switchgen: error: cannot write ${displayPath(err.path)}: ${err.code}`);
        state.code = EXIT_BAD_INPUT;
      }
    },
  );
