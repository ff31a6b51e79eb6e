// switchgen generate: write every output whose bytes changed.
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
        .option('verbose', { type: 'boolean', default: false, describe: 'list every file and whether it was written' }),
    async (args) => {
      const { generateAll, resolveInputs, DEFAULT_OUT } = await import('../index.js');
      const { writeOutputs } = await import('../emit/files.js');
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
      for (const r of writeOutputs(outDir, gen.files)) {
        if (args.verbose || r.state === 'written') io.out(`${r.state === 'written' ? '  GEN    ' : '  SAME   '}${displayPath(join(outDir, r.path))}`);
      }
    },
  );
