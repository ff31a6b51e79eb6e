// switchgen check: regenerate in memory, compare, write nothing.
import { join } from 'node:path';
import type { CommandModule } from './common.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, inputOptions, report } from './common.js';

export const checkCommand: CommandModule = (y, { io, state }) =>
  y.command(
    'check',
    'regenerate in memory and compare with the output directory; exit 1 if any file is missing, stale or hand-edited (writes nothing)',
    (a) => inputOptions(a).option('out', { type: 'string', describe: 'output directory to check', defaultDescription: 'generated/' }),
    async (args) => {
      const { generateAll, resolveInputs, DEFAULT_OUT } = await import('../index.js');
      const { compareOutputs } = await import('../emit/files.js');
      const { hasErrors } = await import('../table/diagnostics.js');
      const { displayPath } = await import('../paths.js');
      const inputs = resolveInputs({ table: args.table, cpus: args.cpus });
      const outDir = args.out ?? DEFAULT_OUT;
      const gen = generateAll(inputs);
      await report(io, gen.diagnostics);
      if (hasErrors(gen.diagnostics)) {
        state.code = EXIT_BAD_INPUT;
        return;
      }
      const bad = compareOutputs(outDir, gen.files).filter((r) => r.status !== 'ok');
      for (const r of bad) {
        const why = r.status === 'missing' ? 'missing' : 'stale or edited by hand: differs from what the table generates';
        io.err(`${displayPath(join(outDir, r.path))}: error: ${why}`);
      }
      if (bad.length) {
        io.err(`switchgen check: ${bad.length} of ${gen.files.length} generated files out of date; run \`npx switchgen generate\``);
        state.code = EXIT_FAILED;
      }
    },
  );
