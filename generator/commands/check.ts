// switchgen check: is the output directory what the inputs generate? Writes nothing. A no-op
// check is decided from the stamp; otherwise regenerate in memory and compare every file.
import { join } from 'node:path';
import type { CommandModule } from './common.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, inputOptions, report } from './common.js';

export const checkCommand: CommandModule = (y, { io, state }) =>
  y.command(
    'check',
    'regenerate in memory and compare with the output directory; exit 1 if any file is missing, stale or hand-edited (writes nothing)',
    (a) =>
      inputOptions(a)
        .option('out', { type: 'string', describe: 'output directory to check', defaultDescription: 'generated/' })
        .option('verbose', { type: 'boolean', default: false, describe: 'say whether the stamp decided the check or every file was compared' })
        .option('full', { type: 'boolean', default: false, describe: 'always regenerate in memory and compare, ignoring the stamp (<out>/.switchgen-stamp)' }),
    async (args) => {
      // yargs runs the handler even after reporting a usage error: do nothing then.
      if (state.code !== 0) return;
      const { fastInputs, tryFresh } = await import('../build/fast.js');
      const { formatPathProblem, pathProblems } = await import('../build/inputs.js');
      const paths = fastInputs(args);
      const problems = pathProblems(paths);
      if (problems.length) {
        for (const p of problems) io.err(formatPathProblem(p));
        state.code = EXIT_BAD_INPUT;
        return;
      }
      if (!args.full) {
        const fast = tryFresh({ command: 'check', ...args }, io);
        if (fast.handled) return;
        if (args.verbose) io.err(`switchgen: comparing every file: ${fast.why}`);
      }
      const { generateAll } = await import('../index.js');
      const { compareOutputs } = await import('../emit/files.js');
      const { hasErrors } = await import('../table/diagnostics.js');
      const { displayPath } = await import('../paths.js');
      const gen = generateAll(paths);
      await report(io, gen.diagnostics);
      if (hasErrors(gen.diagnostics)) {
        state.code = EXIT_BAD_INPUT;
        return;
      }
      const bad = compareOutputs(paths.out, gen.files).filter((r) => r.status !== 'ok');
      for (const r of bad) {
        const why = r.status === 'missing' ? 'missing' : 'stale or edited by hand: differs from what the table generates';
        io.err(`${displayPath(join(paths.out, r.path))}: error: ${why}`);
      }
      if (bad.length) {
        io.err(`switchgen check: ${bad.length} of ${gen.files.length} generated files out of date; run \`npx switchgen generate\``);
        state.code = EXIT_FAILED;
      } else if (args.verbose) {
        io.err(`switchgen: up to date: all ${gen.files.length} outputs match`);
      }
    },
  );
