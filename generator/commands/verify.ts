// switchgen verify: run the emitted assembly in the bundled simulator and the generated
// TypeScript model on the same seeded random states; any difference is a failure (exit 1).
import type { CommandModule } from './common.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, inputOptions, report, UsageError } from './common.js';

/** Parse `--counts`: `all`, or `BRPs=6,WRPs=4`. */
export function parseCounts(text: string): { all: true } | { counts: Record<string, number> } | { error: string } {
  if (text === 'all') return { all: true };
  const counts: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\d+)$/.exec(part.trim());
    if (!m) return { error: `--counts: expected 'all' or FIELD=N[,FIELD=N], got ${JSON.stringify(part)}` };
    counts[m[1]!] = Number(m[2]);
  }
  return { counts };
}

export const verifyCommand: CommandModule = (y, { io, state }) =>
  y.command(
    'verify',
    'check the emitted assembly against the generated TypeScript model in the bundled simulator, on seeded random states',
    (a) =>
      inputOptions(a)
        .option('cpu', { type: 'string', array: true, describe: 'CPU model(s) from the CPU file (repeatable)' })
        .option('all', { type: 'boolean', default: false, describe: 'every CPU model in the CPU file' })
        .option('counts', { type: 'string', describe: "'all' for every count pair 2..max (225 synthetic models for 16/16), or FIELD=N,FIELD=N for one" })
        .option('states', { type: 'number', default: 256, describe: 'random states per routine and model' })
        .option('seed', { type: 'number', describe: 'seed for the random states (printed; random when omitted)' })
        .option('asm', { type: 'string', describe: 'verify this .S file instead of the generated one (its directory is searched for #includes first)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
        .check((args) => {
          if (!Number.isInteger(args.states) || args.states < 1) throw new UsageError('--states must be a positive integer');
          if (args.seed !== undefined && (!Number.isInteger(args.seed) || args.seed < 0 || args.seed > 0xffffffff)) throw new UsageError('--seed must be an integer in 0..4294967295');
          return true;
        }),
    async (args) => {
      if (state.code !== 0) return; // yargs runs the handler even after a usage error
      const { generateAll, resolveInputs, loadInputs } = await import('../index.js');
      const { hasErrors } = await import('../table/diagnostics.js');
      const verifyLib = await import('../verify/index.js');
      const inputs = resolveInputs({ table: args.table, cpus: args.cpus });
      const loaded = loadInputs(inputs);
      const gen = generateAll(inputs);
      await report(io, gen.diagnostics);
      if (hasErrors(gen.diagnostics) || !gen.plan || !loaded.cpus) {
        state.code = EXIT_BAD_INPUT;
        return;
      }
      const plan = gen.plan;

      // Which models.
      const models: import('../verify/verify.js').ModelUnderTest[] = [];
      const wanted = args.all || (!args.cpu?.length && !args.counts) ? loaded.cpus.cpus : [];
      for (const name of args.cpu ?? []) {
        const cpu = loaded.cpus.cpus.find((c) => c.name === name);
        if (!cpu) {
          io.err(`switchgen verify: error: no CPU model '${name}' (have: ${loaded.cpus.cpus.map((c) => c.name).join(', ')})`);
          state.code = EXIT_BAD_INPUT;
          return;
        }
        wanted.push(cpu);
      }
      for (const cpu of wanted) models.push(verifyLib.modelForCpu(plan, cpu));
      if (args.counts !== undefined) {
        const parsed = parseCounts(args.counts);
        if ('error' in parsed) {
          io.err(`switchgen verify: error: ${parsed.error}`);
          state.code = EXIT_BAD_INPUT;
          return;
        }
        const pairs = 'all' in parsed ? verifyLib.allCountPairs(plan) : [parsed.counts];
        try {
          for (const c of pairs) models.push(verifyLib.modelForCounts(plan, c));
        } catch (e) {
          io.err(`switchgen verify: error: --counts: ${(e as Error).message}`);
          state.code = EXIT_BAD_INPUT;
          return;
        }
      }

      // Which assembly.
      let asm: import('../verify/verify.js').AsmUnderTest;
      try {
        asm = args.asm ? verifyLib.asmFromFile(args.asm, gen.files) : verifyLib.generatedAsm(gen.files);
      } catch (e) {
        io.err(`${args.asm}: error: cannot read: ${(e as Error).message}`);
        state.code = EXIT_BAD_INPUT;
        return;
      }

      const seed = args.seed ?? (Math.random() * 0x1_0000_0000) >>> 0;
      let bar: { update(n: number, p?: object): void; stop(): void } | undefined;
      if (io.isTTY && !args.json) {
        const { SingleBar, Presets } = (await import('cli-progress')).default;
        const b = new SingleBar({ format: 'verify [{bar}] {value}/{total} {label}', stream: process.stderr, clearOnComplete: true, hideCursor: true }, Presets.shades_classic);
        b.start(models.length * verifyLib.ROUTINES.length, 0, { label: '' });
        bar = b;
      }
      let result: import('../verify/verify.js').VerifyReport;
      try {
        const { displayPath } = await import('../paths.js');
        const extra = [
          ...(args.asm ? [`--asm ${displayPath(args.asm)}`] : []),
          ...(args.table ? [`--table ${displayPath(args.table)}`] : []),
          ...(args.cpus ? [`--cpus ${displayPath(args.cpus)}`] : []),
        ].join(' ');
        result = verifyLib.verify(plan, asm, models, {
          states: args.states,
          seed,
          reproduceArgs: extra,
          onProgress: (done, _total, label) => bar?.update(done, { label }),
        });
      } catch (e) {
        bar?.stop();
        if (e instanceof verifyLib.SimError) {
          io.err(e.message);
          state.code = EXIT_BAD_INPUT;
          return;
        }
        throw e;
      }
      bar?.stop();
      const divergences = result.models.flatMap((m) => m.divergences);
      if (args.json) {
        io.out(JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2));
      } else {
        for (const d of divergences) io.err(verifyLib.formatDivergence(d));
        const runs = result.models.reduce((n, m) => n + m.runs, 0);
        const summary = `${result.models.length} model${result.models.length === 1 ? '' : 's'} × ${verifyLib.ROUTINES.length} routines × ${args.states} states (${runs} runs, ${(result.instructions / 1e6).toFixed(1)} M instructions) in ${(result.elapsedMs / 1000).toFixed(1)} s, seed ${seed}`;
        if (divergences.length) io.err(`verify: FAILED: ${divergences.length} model/routine pair${divergences.length === 1 ? '' : 's'} diverge; ${summary}`);
        else io.out(`verify: ok: ${summary}`);
      }
      if (divergences.length) state.code = EXIT_FAILED;
    },
  );
