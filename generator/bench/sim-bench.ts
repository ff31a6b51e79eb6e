// Benchmark of the bundled simulator: run a save/restore routine pair repeatedly and print
// simulated instructions per second and routine runs per second. It prints figures only; nothing
// here is a test (timing in tests is flaky by nature).
//
//   npm run build && npm run bench -- [file.S] [--save LABEL] [--restore LABEL] [--id 0x10305106]
//                                      [--seconds 2] [--max-block N] [-I dir]...
//
// Default file: generated/asm/debug_switch.S (the generated save_debug/restore_debug macros, run
// through a driver that wraps them as routines; `npx switchgen generate` writes it). Include
// directories: generated/include and generated/asm, then each -I. Registers: x0, x1 and x2 point
// into mapped RAM (vcpu, spare, context), as the routines expect x2 = context base.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleProgram, CpuModel, Machine, SimError, type Program } from '../sim/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Args {
  file: string;
  save: string;
  restore: string;
  id: bigint;
  seconds: number;
  maxBlock: number | undefined;
  includeDirs: string[];
}

function parseArgs(argv: string[]): Args {
  const generated = path.join(ROOT, 'generated', 'asm', 'debug_switch.S');
  const args: Args = {
    file: generated,
    save: '__save_debug',
    restore: '__restore_debug',
    id: 0x10305106n,
    seconds: 2,
    maxBlock: undefined,
    includeDirs: [path.join(ROOT, 'generated', 'include'), path.join(ROOT, 'generated', 'asm')],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--save': args.save = value(); break;
      case '--restore': args.restore = value(); break;
      case '--id': args.id = BigInt(value()); break;
      case '--seconds': args.seconds = Number(value()); break;
      case '--max-block': args.maxBlock = Number(value()); break;
      case '-I': args.includeDirs.push(path.resolve(value())); break;
      default:
        if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
        args.file = path.resolve(a);
    }
  }
  return args;
}

function resolver(args: Args): (name: string, from: string) => { path: string; text: string } | undefined {
  return (name, from) => {
    const candidates = path.isAbsolute(name) ? [name] : [path.dirname(from), ...args.includeDirs].map((dir) => path.join(dir, name));
    for (const p of candidates) {
      if (fs.existsSync(p)) return { path: p, text: fs.readFileSync(p, 'utf8') };
    }
    return undefined;
  };
}

/**
 * Assemble the file. A file of macros only (like generated/asm/debug_switch.S) gets a driver that
 * includes it, with the simulation asm-offsets, and wraps save_debug/restore_debug as routines.
 */
function load(args: Args): Program {
  const resolveInclude = resolver(args);
  const shown = path.relative(process.cwd(), args.file) || args.file;
  const program = assembleProgram({ path: shown, text: fs.readFileSync(args.file, 'utf8') }, { resolveInclude });
  if (program.symbols.has(args.save) && program.symbols.has(args.restore)) return program;
  const offsets = resolveInclude('asm-offsets-sim.h', args.file) ? '#include "asm-offsets-sim.h"\n' : '';
  const driver = `${offsets}#include "${args.file}"\n\t.text\n${args.save}:\n\tsave_debug\n\tret\n${args.restore}:\n\trestore_debug\n\tret\n`;
  return assembleProgram({ path: '<bench-driver>', text: driver }, { resolveInclude });
}

const RAM = 0x4000_0000n;

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(args.file)) {
    console.error(`${path.relative(process.cwd(), args.file) || args.file}: no such file (the default is written by \`npx switchgen generate\`)`);
    return 1;
  }
  let program: Program;
  try {
    program = load(args);
  } catch (e) {
    if (e instanceof SimError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  const model = new CpuModel(args.id);
  const machine = new Machine(model, { regions: [{ addr: RAM, size: 0x10000 }], ...(args.maxBlock ? { maxBlock: args.maxBlock } : {}) });
  machine.setX(0, RAM);
  machine.setX(1, RAM + 0x4000n);
  machine.setX(2, RAM + 0x8000n);
  const save = program.indexOf(program.symbol(args.save))!;
  const restore = program.indexOf(program.symbol(args.restore))!;

  const pair = (): number => {
    const a = machine.runIndex(program, save);
    const b = machine.runIndex(program, restore);
    if (a.fault || b.fault) throw a.fault ?? b.fault;
    return a.steps + b.steps;
  };
  const perPair = pair();
  for (let k = 0; k < 20000; k++) pair(); // warm up: compile blocks, let V8 optimise them

  const batch = 10000;
  let pairs = 0;
  let instructions = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(args.seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (let k = 0; k < batch; k++) instructions += pair();
    pairs += batch;
    now = process.hrtime.bigint();
  }
  const secs = Number(now - start) / 1e9;
  const fmt = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
  console.log(`file:            ${path.relative(ROOT, args.file)}`);
  console.log(`model:           ${model.name}`);
  console.log(`routines:        ${args.save} + ${args.restore} (${perPair} instructions per pair)`);
  console.log(`block limit:     ${machine.maxBlock} instructions per compiled function`);
  console.log(`time:            ${secs.toFixed(2)} s, ${fmt(pairs)} pairs`);
  console.log(`instructions/s:  ${fmt(instructions / secs / 1e6)} M`);
  console.log(`runs/s:          ${fmt((2 * pairs) / secs / 1e6)} M (one run = one routine call)`);
  return 0;
}

process.exitCode = main();
