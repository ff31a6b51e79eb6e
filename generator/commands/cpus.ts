// switchgen cpus: the models and the counts their ID registers give.
import type { CommandModule } from './common.js';
import { EXIT_BAD_INPUT, inputOptions, report } from './common.js';

export const cpusCommand: CommandModule = (y, { io, state }) =>
  y.command(
    'cpus',
    'list the CPU models with the breakpoint and watchpoint counts the table derives from their ID registers',
    (a) => inputOptions(a).option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }),
    async (args) => {
      if (state.code !== 0) return; // yargs runs the handler even after a usage error
      const { loadInputs, resolveInputs } = await import('../index.js');
      const { hasErrors } = await import('../table/diagnostics.js');
      const { countsForCpu } = await import('../plan/plan.js');
      const loaded = loadInputs(resolveInputs({ table: args.table, cpus: args.cpus }));
      await report(io, loaded.diagnostics);
      if (!loaded.table || !loaded.cpus || hasErrors(loaded.diagnostics)) {
        state.code = EXIT_BAD_INPUT;
        return;
      }
      const table = loaded.table;
      const rows = loaded.cpus.cpus.map((c) => ({
        name: c.name,
        qemu: c.qemu ?? null,
        idRegisters: Object.fromEntries(Object.entries(c.idRegisters).map(([k, v]) => [k, `0x${v.toString(16)}`])),
        counts: countsForCpu(table, c).counts,
      }));
      if (args.json) {
        io.out(JSON.stringify(rows, null, 2));
        return;
      }
      const fields = table.idFields.map((f) => f.name);
      const regs = [...new Set(table.idFields.map((f) => f.register))];
      const header = ['cpu', ...regs, ...fields, 'qemu'];
      const body = rows.map((r) => [r.name, ...regs.map((g) => r.idRegisters[g] ?? '-'), ...fields.map((f) => String(r.counts[f])), r.qemu ?? '-']);
      const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
      for (const line of [header, ...body]) io.out(line.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    },
  );
