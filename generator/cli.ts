// The yargs layer: parse arguments, call the library, print, return an exit code. Each
// command lives in generator/commands/ and imports the library lazily, so a command pays
// only for what it uses (switchgen runs as a build step: start-up time counts).
// Exit codes: 0 success, 1 a check or verification failed, 2 bad input or usage.
import yargs from 'yargs';
import { checkCommand } from './commands/check.js';
import { EXIT_BAD_INPUT, UsageError, type CommandContext, type Io } from './commands/common.js';
import { cpusCommand } from './commands/cpus.js';
import { crosscheckCommand } from './commands/crosscheck.js';
import { emitCommand } from './commands/emit.js';
import { generateCommand } from './commands/generate.js';
import { verifyCommand } from './commands/verify.js';

export { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK } from './commands/common.js';

const defaultIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'),
  isTTY: Boolean(process.stderr.isTTY),
};

/** Exit code for an internal error (a bug): EX_SOFTWARE. */
export const EXIT_INTERNAL = 70;

export async function main(argv: string[], io: Partial<Io> = {}): Promise<number> {
  const ctx: CommandContext = { io: { ...defaultIo, isTTY: false, ...io, ...(io.out ? {} : { isTTY: defaultIo.isTTY }) }, state: { code: 0 } };
  let parser = yargs(argv)
    .scriptName('switchgen')
    .usage('$0 <command> [options]\n\nGenerate and prove hypervisor world-switch code from a register table.\nExit codes: 0 ok, 1 check or verification failed, 2 bad input or usage.');
  for (const register of [generateCommand, checkCommand, emitCommand, cpusCommand, verifyCommand, crosscheckCommand]) parser = register(parser, ctx);
  parser = parser
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      ctx.io.err(`switchgen: ${msg || 'usage error'}\nRun \`switchgen --help\` for usage.`);
      ctx.state.code = EXIT_BAD_INPUT;
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    ctx.io.err(`switchgen: internal error: ${(e as Error).stack ?? String(e)}`);
    return EXIT_INTERNAL;
  }
  return ctx.state.code;
}
