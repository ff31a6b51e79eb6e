// switchgen crosscheck: the emitted macros against the real toolchain. GNU as, llvm-mc and the
// simulator must assemble them to the same words; on qemu-system-aarch64 (EL2, and EL1 with
// emulated breakpoint/watchpoint counts) they must do exactly what the simulator says, on the
// verifier's random states. Exit 0 ok, 1 a difference, 2 bad input or a missing tool.
import type { CommandModule } from './common.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, inputOptions, report } from './common.js';

export const crosscheckCommand: CommandModule = (y, { io, state }) =>
  y.command(
    'crosscheck',
    'assemble the emitted macros with GNU as and llvm-mc, and run them on QEMU against the simulator, on seeded random states',
    (a) =>
      inputOptions(a)
        .option('cpu', { type: 'string', array: true, describe: "CPU model(s) from the CPU file (repeatable); each needs a `qemu:` key. Default: every model with one" })
        .option('states', { type: 'number', default: 200, describe: 'random states per routine (and per bank routine at EL1, spread over the count pairs)' })
        .option('seed', { type: 'number', describe: 'seed for the random states (printed; random when omitted); the same as `verify --seed` uses' })
        .option('asm', { type: 'string', describe: 'check this .S instead of the generated one (its directory is searched for #includes first); QEMU results are also held against the generated macros' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
        .option('verbose', { type: 'boolean', default: false, describe: 'print per-model timings, the count pairs, the quirks and the case rules' })
        .option('keep', { type: 'string', describe: 'keep the build directories (driver, images, QEMU output) in this directory' })
        .epilog('Exit codes: 0 ok, 1 a difference, 2 bad input or a missing tool. Needs GNU binutils for AArch64, llvm-mc, cpp and qemu-system-aarch64 (apt-get install binutils-aarch64-linux-gnu qemu-system-arm llvm).'),
    async (args) => {
      if (state.code !== 0) return; // yargs runs the handler even after a usage error
      const startedAt = performance.now();
      const { resolveInputs } = await import('../index.js');
      const { loadCrosscheckInputs } = await import('../crosscheck/inputs.js');
      const { displayPath } = await import('../paths.js');
      const inputs = resolveInputs({ table: args.table, cpus: args.cpus });
      const gen = loadCrosscheckInputs(inputs);
      await report(io, gen.diagnostics);
      if (!gen.plan) {
        state.code = EXIT_BAD_INPUT;
        return;
      }
      const fail = (message: string) => {
        io.err(`switchgen crosscheck: error: ${message}`);
        state.code = EXIT_BAD_INPUT;
      };
      // Checked here, not in yargs' .check(): the CLI treats an error thrown there as internal.
      if (!Number.isInteger(args.states) || args.states < 1) return fail('--states must be a positive integer');
      if (args.seed !== undefined && (!Number.isInteger(args.seed) || args.seed < 0 || args.seed > 0xffffffff)) return fail('--seed must be an integer in 0..4294967295');

      // Which models: named ones must be QEMU's; by default every model QEMU models.
      const all = gen.cpus;
      const cpuFile = displayPath(inputs.cpus);
      const chosen = [];
      for (const name of args.cpu ?? []) {
        const cpu = all.find((c) => c.name === name);
        if (!cpu) {
          const byQemu = all.find((c) => c.qemu === name);
          return fail(`no CPU model '${name}' in ${cpuFile}${byQemu ? `; did you mean ${byQemu.name} (QEMU -cpu ${name})?` : ''} (have: ${all.map((c) => c.name).join(', ')})`);
        }
        if (!cpu.qemu) {
          return fail(`${name}: QEMU does not model this CPU (${cpuFile} gives it no \`qemu:\` key), so it cannot be cross-checked on QEMU; \`switchgen verify --cpu ${name}\` checks it in the simulator`);
        }
        chosen.push(cpu);
      }
      if (!chosen.length) chosen.push(...all.filter((c) => c.qemu));
      if (!chosen.length) return fail(`no CPU model in ${cpuFile} has a \`qemu:\` key`);

      const lib = await import('../crosscheck/index.js');
      const { SimError } = await import('../sim/index.js');
      const seed = args.seed ?? (Math.random() * 0x1_0000_0000) >>> 0;
      let result: import('../crosscheck/run.js').CrosscheckReport;
      try {
        result = await lib.crosscheck({
          plan: gen.plan, files: gen.files, cpus: chosen, states: args.states, seed, startedAt,
          ...(args.asm !== undefined ? { asmFile: args.asm } : {}),
          ...(args.keep !== undefined ? { workDir: args.keep } : {}),
          ...(args.verbose && !args.json ? { onProgress: (m: string) => io.err(`crosscheck: ${m}`) } : {}),
        });
      } catch (e) {
        if (e instanceof lib.MissingToolError) return fail(`${e.message}\n(the cross-check needs GNU binutils for AArch64, llvm-mc, a C preprocessor and qemu-system-aarch64)`);
        if (e instanceof SimError) return fail(`the simulator cannot assemble the asm:\n${e.message}`);
        if (e instanceof lib.ToolStepError) return fail(e.message);
        if (args.asm !== undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') return fail(`${args.asm}: cannot read: ${(e as Error).message}`);
        throw e;
      }

      if (args.json) io.out(lib.reportJson(result));
      else {
        if (args.verbose) for (const line of lib.detailLines(result, { table: displayPath(inputs.table) })) io.out(line);
        if (!result.ok) {
          if (!args.verbose) {
            const w = result.words;
            if (w.assemblers) io.err(w.assemblers.message);
            for (const d of [...w.simulator, ...w.decoder]) io.err(d.message);
            for (const m of result.models) for (const p of m.problems) io.err(`crosscheck: ${m.cpu}: ${p}`);
          }
          for (const m of result.models) for (const mm of m.mismatches) io.err(lib.formatMismatch(mm, result));
        }
        (result.ok ? io.out : io.err)(lib.summaryLine(result));
      }
      if (!result.ok) state.code = EXIT_FAILED;
    },
  );
