// The yargs layer: parse arguments, call the library, print, return an exit code.
// Exit codes: 0 success, 1 a check or verification failed, 2 bad input or usage.
import yargs, { type Argv } from 'yargs';
import { join } from 'node:path';
import { compareOutputs, writeOutputs } from './emit/files.js';
import { formatDiagnostics, hasErrors } from './table/diagnostics.js';
import { countsForCpu } from './plan/plan.js';
import { DEFAULT_OUT, displayPath } from './paths.js';
import { generateAll, loadInputs, resolveInputs } from './index.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'),
};

function inputOptions<T>(y: Argv<T>) {
  return y
    .option('table', { type: 'string', describe: 'register table (YAML)', defaultDescription: 'generator/tables/kvm-arm64-2014.yaml' })
    .option('cpus', { type: 'string', describe: 'CPU models (YAML)', defaultDescription: 'generator/tables/cpus.yaml' });
}

function report(io: Io, diagnostics: Parameters<typeof formatDiagnostics>[0]): void {
  if (diagnostics.length) io.err(formatDiagnostics(diagnostics));
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = EXIT_OK;
  const parser = yargs(argv)
    .scriptName('switchgen')
    .usage('$0 <command> [options]\n\nGenerate and prove hypervisor world-switch code from a register table.')
    .command(
      'generate',
      'write the generated asm, headers and TypeScript (only files whose content changed)',
      (y) =>
        inputOptions(y)
          .option('out', { type: 'string', describe: 'output directory', defaultDescription: 'generated/' })
          .option('verbose', { type: 'boolean', default: false, describe: 'list every file and whether it was written' }),
      (args) => {
        const inputs = resolveInputs({ table: args.table, cpus: args.cpus });
        const outDir = args.out ?? DEFAULT_OUT;
        const gen = generateAll(inputs);
        report(io, gen.diagnostics);
        if (hasErrors(gen.diagnostics)) {
          code = EXIT_BAD_INPUT;
          return;
        }
        const results = writeOutputs(outDir, gen.files);
        for (const r of results) {
          if (args.verbose || r.state === 'written') io.out(`${r.state === 'written' ? '  GEN    ' : '  SAME   '}${displayPath(join(outDir, r.path))}`);
        }
      },
    )
    .command(
      'check',
      'regenerate in memory and compare with the output directory; exit 1 if any file is missing, stale or hand-edited (writes nothing)',
      (y) => inputOptions(y).option('out', { type: 'string', describe: 'output directory to check', defaultDescription: 'generated/' }),
      (args) => {
        const inputs = resolveInputs({ table: args.table, cpus: args.cpus });
        const outDir = args.out ?? DEFAULT_OUT;
        const gen = generateAll(inputs);
        report(io, gen.diagnostics);
        if (hasErrors(gen.diagnostics)) {
          code = EXIT_BAD_INPUT;
          return;
        }
        const bad = compareOutputs(outDir, gen.files).filter((r) => r.status !== 'ok');
        for (const r of bad) {
          const why = r.status === 'missing' ? 'missing' : 'stale or edited by hand: differs from what the table generates';
          io.err(`${displayPath(join(outDir, r.path))}: error: ${why}`);
        }
        if (bad.length) {
          io.err(`switchgen check: ${bad.length} of ${gen.files.length} generated files out of date; run \`npx switchgen generate\``);
          code = EXIT_FAILED;
        }
      },
    )
    .command(
      'cpus',
      'list the CPU models with the breakpoint and watchpoint counts the table derives from their ID registers',
      (y) => inputOptions(y).option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }),
      (args) => {
        const loaded = loadInputs(resolveInputs({ table: args.table, cpus: args.cpus }));
        report(io, loaded.diagnostics);
        if (!loaded.table || !loaded.cpus || hasErrors(loaded.diagnostics)) {
          code = EXIT_BAD_INPUT;
          return;
        }
        const table = loaded.table;
        const rows = loaded.cpus.cpus.map((c) => {
          const counts = countsForCpu(table, c);
          return { name: c.name, qemu: c.qemu ?? null, idRegisters: Object.fromEntries(Object.entries(c.idRegisters).map(([k, v]) => [k, `0x${v.toString(16)}`])), counts: counts.counts };
        });
        if (args.json) {
          io.out(JSON.stringify(rows, null, 2));
          return;
        }
        const fields = table.idFields.map((f) => f.name);
        const header = ['cpu', ...table.idFields.map((f) => f.register).filter((r, i, a) => a.indexOf(r) === i), ...fields, 'qemu'];
        const body = rows.map((r) => [r.name, ...Object.values(r.idRegisters), ...fields.map((f) => String(r.counts[f])), r.qemu ?? '-']);
        const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
        for (const line of [header, ...body]) io.out(line.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
      },
    )
    .demandCommand(1, 'name a command: generate, check or cpus')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      io.err(`switchgen: ${msg || 'usage error'}\nRun \`switchgen --help\` for usage.`);
      code = EXIT_BAD_INPUT;
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    io.err(`switchgen: internal error: ${(e as Error).stack ?? String(e)}`);
    return 70;
  }
  return code;
}
