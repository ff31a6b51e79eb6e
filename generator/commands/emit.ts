// switchgen emit KIND: one output, for a make rule. `-o FILE` writes it atomically (a failed
// run leaves the previous FILE in place, which `cmd > $@` cannot); `-o -` or no -o prints it.
// Like a compiler, `-o FILE` leaves FILE newer than its inputs on success: when the bytes did
// not change, only the modification time is updated, so make does not run the rule again.
import type { CommandModule } from './common.js';
import { EXIT_BAD_INPUT, inputOptions, report } from './common.js';

export const EMIT_KINDS = ['asm', 'header', 'sim-offsets', 'ts'] as const;
export type EmitKind = (typeof EMIT_KINDS)[number];

export const emitCommand: CommandModule = (y, { io, state }) =>
  y.command(
    'emit <kind>',
    'write one output (asm, header, sim-offsets, or the ts model of one --cpu) to -o FILE or stdout: the single-output form for make rules',
    (a) =>
      inputOptions(a)
        .positional('kind', { choices: EMIT_KINDS, describe: 'asm: the hyp.S macros; header: slot indices and flags; sim-offsets: asm-offsets values for simulation; ts: one CPU model' })
        .option('cpu', { type: 'string', describe: 'the CPU model, for ts (the other outputs are the same for every CPU)' })
        .option('o', { alias: 'output', type: 'string', describe: 'output file; - for stdout', defaultDescription: 'stdout' })
        .option('depfile', { type: 'string', describe: "also write make dependencies to FILE (like a compiler's -MD -MP)" })
        .option('dep-target', { type: 'string', describe: 'the target named in the depfile', defaultDescription: 'the -o file' })
        .option('verbose', { type: 'boolean', default: false, describe: 'say what was written (on stderr)' }),
    async (args) => {
      // yargs runs the handler even after reporting a usage error: do nothing then.
      if (state.code !== 0) return;
      const kind = args.kind as EmitKind;
      const toStdout = args.o === undefined || args.o === '-';
      const usage = (msg: string): void => {
        io.err(`switchgen emit: ${msg}\nRun \`switchgen emit --help\` for usage.`);
        state.code = EXIT_BAD_INPUT;
      };
      if (kind === 'ts' && args.cpu === undefined) return usage('ts needs --cpu NAME (one model per CPU)');
      if (kind !== 'ts' && args.cpu !== undefined) return usage(`--cpu selects a TypeScript model; ${kind} is the same for every CPU`);
      const depTarget = args.depTarget ?? (toStdout ? undefined : args.o);
      if (args.depfile !== undefined && depTarget === undefined) return usage('--depfile with output to stdout needs --dep-target NAME (the file make redirects to)');

      const { fastInputs } = await import('../build/fast.js');
      const { formatPathProblem, pathProblems } = await import('../build/inputs.js');
      const paths = fastInputs(args);
      const problems = pathProblems({ ...paths, depfile: args.depfile, outputs: depTarget === undefined ? [] : [{ option: '--dep-target', path: depTarget }] });
      if (problems.length) {
        for (const p of problems) io.err(formatPathProblem(p));
        state.code = EXIT_BAD_INPUT;
        return;
      }

      const lib = await import('../index.js');
      const { hasErrors } = await import('../table/diagnostics.js');
      const { ASM_FILE, HEADER_FILE, SIM_OFFSETS_FILE } = await import('../emit/asm.js');
      const wanted = { asm: ASM_FILE, header: HEADER_FILE, 'sim-offsets': SIM_OFFSETS_FILE, ts: lib.tsModelFile(args.cpu ?? '') }[kind];
      const gen = lib.generateAll(paths, { only: (p) => p === wanted });
      await report(io, gen.diagnostics);
      if (hasErrors(gen.diagnostics)) {
        state.code = EXIT_BAD_INPUT;
        return;
      }
      const file = gen.files.find((f) => f.path === wanted);
      if (!file) {
        const loaded = lib.loadInputs(paths);
        const have = (loaded.cpus?.cpus ?? []).map((c) => c.name).join(', ');
        io.err(`switchgen emit: error: no CPU model ${JSON.stringify(args.cpu)} in ${lib.DEFAULT_CPUS === paths.cpus ? 'the default CPU file' : paths.cpus} (have: ${have || 'none'})`);
        state.code = EXIT_BAD_INPUT;
        return;
      }

      if (toStdout) {
        io.out(file.content);
      } else {
        const { readIfExists, writeAtomic } = await import('../emit/files.js');
        const { utimesSync } = await import('node:fs');
        try {
          if (readIfExists(args.o!) === file.content) {
            const now = new Date();
            utimesSync(args.o!, now, now);
            if (args.verbose) io.err(`  SAME   ${args.o} (unchanged; timestamp updated)`);
          } else {
            writeAtomic(args.o!, file.content);
            if (args.verbose) io.err(`  GEN    ${args.o}`);
          }
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          if (!err.code) throw e;
          io.err(`switchgen emit: error: cannot write ${args.o}: ${err.code}`);
          state.code = EXIT_BAD_INPUT;
          return;
        }
      }
      if (args.depfile !== undefined) {
        const { writeDepfile } = await import('../build/depfile.js');
        const { prerequisitesFor } = await import('../build/digest.js');
        writeDepfile(args.depfile, [depTarget!], prerequisitesFor(paths));
        if (args.verbose) io.err(`  DEP    ${args.depfile}`);
      }
    },
  );
