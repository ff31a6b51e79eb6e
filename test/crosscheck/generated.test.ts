// The generated macros on QEMU: the verifier's random states run at EL2 (and at EL1 with every
// emulated count pair) must give exactly what the simulator, configured as QEMU 7.2, predicts;
// and a broken macro must fail the QEMU run, because QEMU's results are then held against the
// generated macros (the reference), not only against the simulator running the broken code.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { CASE_RULES, idWithCounts, planCases } from '../../generator/crosscheck/cases.js';
import { runScenariosOnQemu } from '../../generator/crosscheck/harness.js';
import { QEMU_7_2_QUIRKS } from '../../generator/crosscheck/quirks.js';
import { compactRegisterNames, crosscheck, placeProgram, writeSources, type CrosscheckReport } from '../../generator/crosscheck/run.js';
import { CaseSimulator, compareCase } from '../../generator/crosscheck/simulate.js';
import { nameAddress } from '../../generator/verify/layout.js';
import { Rng } from '../../generator/verify/rng.js';
import { randomState, streamSeed, touchedSysregs } from '../../generator/verify/verify.js';
import { countsForCpu } from '../../generator/plan/plan.js';
import { runCli } from '../helpers.js';
import { GENERATED_ASM, defaults } from './helpers.js';
import { describeWithTools } from './needs-tools.js';

const TOOLS = ['gnu-as', 'gnu-ld', 'objdump', 'llvm-mc', 'qemu', 'cpp'] as const;
const SEED = 2014;
const QUIRK_IDS = QEMU_7_2_QUIRKS.map((q) => q.id);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchgen-crosscheck-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The generated .S with one replacement inside one macro, written where --asm can take it. */
async function mutant(name: string, macro: string, from: string, to: string, nth = 0): Promise<string> {
  const text = await readFile(join(GENERATED_ASM, 'debug_switch.S'), 'utf8');
  const start = text.indexOf(`.macro ${macro}\n`);
  const end = text.indexOf('.endm', start);
  let at = start;
  for (let k = 0; k <= nth; k++) at = text.indexOf(from, at + (k ? 1 : 0));
  if (start < 0 || at < 0 || at > end) throw new Error(`mutation ${name} does not apply`);
  const path = join(dir, `${name}.S`);
  await writeFile(path, text.slice(0, at) + to + text.slice(at + from.length));
  return path;
}

describe('crosscheck command: input errors (no tools needed)', () => {
  test('a CPU QEMU does not model is an error saying so (exit 2)', async () => {
    const r = await runCli(['crosscheck', '--cpu', 'fvp-base']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("switchgen crosscheck: error: fvp-base: QEMU does not model this CPU (generator/tables/cpus.yaml gives it no `qemu:` key)");
    expect(r.stderr).toContain('`switchgen verify --cpu fvp-base` checks it in the simulator');
  });

  test("QEMU's own name for a model points at the table's (exit 2)", async () => {
    const r = await runCli(['crosscheck', '--cpu', 'max']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no CPU model 'max' in generator\/tables\/cpus\.yaml; did you mean qemu-max \(QEMU -cpu max\)\?/);
  });

  test('a missing tool names its package and the install command (exit 2)', async () => {
    const saved = process.env.SWITCHGEN_QEMU;
    process.env.SWITCHGEN_QEMU = '/nonexistent/qemu-system-aarch64';
    try {
      const r = await runCli(['crosscheck', '--cpu', 'cortex-a57', '--states', '1']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('switchgen crosscheck: error: qemu: not found (tried $SWITCHGEN_QEMU=/nonexistent/qemu-system-aarch64)');
      expect(r.stderr).toContain('apt-get install binutils-aarch64-linux-gnu qemu-system-arm llvm');
    } finally {
      if (saved === undefined) delete process.env.SWITCHGEN_QEMU;
      else process.env.SWITCHGEN_QEMU = saved;
    }
  });

  test('register lists in the report are compacted by family', () => {
    expect(compactRegisterNames(['dbgbcr1_el1', 'dbgbcr0_el1', 'dbgbcr2_el1', 'mdccint_el1', 'dbgwvr0_el1', 'dbgwvr3_el1', 'afsr0_el1', 'afsr1_el1'])).toEqual([
      'afsr0_el1', 'afsr1_el1', 'dbgbcr0..2_el1', 'dbgwvr{0,3}_el1', 'mdccint_el1',
    ]);
  });

  test("the cases are the verifier's random states (same streams), shaped by the named rules", () => {
    const { plan, cpus } = defaults();
    const counts = countsForCpu(plan.table, cpus.find((c) => c.name === 'cortex-a57')!);
    const { cases, pairs, layout } = planCases(plan, counts, { states: 3, seed: SEED });
    expect(cases).toHaveLength(10 * 3 + 2 * 15);
    // EL2: state k of routine R is the verifier's state k of stream cortex-a57/R (verify --seed gives the same).
    const save = cases.filter((c) => !c.emulated && c.spec.macro === 'save_debug');
    const rng = new Rng(streamSeed(SEED, 'cortex-a57', 'save_debug'));
    for (const c of save) {
      const st = randomState(rng, plan, layout, touchedSysregs(plan, counts.counts), c.spec);
      expect(c.qemu.memory.map((m) => m.bytes)).toEqual([st.vcpu, st.host]);
      expect(c.qemu.gprs).toEqual(Object.fromEntries(st.gprs.slice(0, 30).map((v, r) => [r, v]))); // x30 is not seeded
      expect(c.qemu.sysregs['hcr_el2']).toBe(st.sysregs.get('hcr_el2')! & (1n << 31n)); // hcr-el2-rw-only
      expect(c.qemu.sysregs['sctlr_el1']).toBe(st.sysregs.get('sctlr_el1'));
    }
    // EL1: every pair 2..6 × 2..4, the CPU's ID value with only BRPs/WRPs replaced, debug registers only.
    expect(pairs.map((p) => `${p.counts['BRPs']}/${p.counts['WRPs']}`).join(' ')).toBe('2/2 2/3 2/4 3/2 3/3 3/4 4/2 4/3 4/4 5/2 5/3 5/4 6/2 6/3 6/4');
    expect(pairs[0]!.idAa64dfr0).toBe(0x10101106n);
    expect(idWithCounts(plan, 0x110305408n, { BRPs: 3, WRPs: 2 })).toBe(0x110102408n);
    const el1 = cases.filter((c) => c.emulated);
    expect(el1.every((c) => c.qemu.exceptionLevel === 1 && Object.keys(c.qemu.sysregs).every((r) => r.startsWith('dbg') || r === 'mdccint_el1'))).toBe(true);
    expect(Object.keys(el1[0]!.qemu.sysregs)).toHaveLength(6 * 2 + 4 * 2 + 1);
  });

  test('--states must be positive', async () => {
    const r = await runCli(['crosscheck', '--states', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--states must be a positive integer');
  });
});

describeWithTools('the generated macros on QEMU against the simulator', [...TOOLS], () => {
  test('crosscheck --cpu cortex-a57: one summary line, exit 0', async () => {
    const r = await runCli(['crosscheck', '--cpu', 'cortex-a57', '--states', '24', '--seed', String(SEED)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // 10 routines × 24 states at EL2, save_debug and restore_debug × 24 states over 15 count pairs at EL1
    expect(r.stdout).toMatch(
      new RegExp(
        '^crosscheck: ok: GNU as, llvm-mc and the simulator agree on \\d+ words; QEMU and the simulator agree on all 288 cases on 1 model \\(cortex-a57\\) ' +
          '\\(24 states per routine at EL2, save_debug/restore_debug at EL1 on BRPs×WRPs 2\\.\\.6×2\\.\\.4 \\(15 pairs\\)\\), 1 boot; ' +
          `quirks ${QUIRK_IDS.join(', ')}; seed ${SEED}; \\d+\\.\\d s\\n$`,
      ),
    );
  });

  test('every QEMU model of the CPU file (cortex-a53, cortex-a57, cortex-a72, max and more): exact agreement, every count pair, every quirk named', async () => {
    const { plan, files, cpus } = defaults();
    const qemuCpus = cpus.filter((c) => c.qemu);
    expect(qemuCpus.map((c) => c.qemu)).toEqual(expect.arrayContaining(['cortex-a53', 'cortex-a57', 'cortex-a72', 'max']));
    const r = await crosscheck({ plan, files, cpus: qemuCpus, states: 6, seed: SEED });
    const failures = r.models.flatMap((m) => [...m.problems, ...m.mismatches.flatMap((x) => x.differences.map((d) => `${m.cpu} ${x.routine}: ${d.message}`))]);
    expect(failures).toEqual([]);
    expect(r.ok).toBe(true);
    for (const m of r.models) {
      expect(m.timing.boots).toBe(1);
      expect(m.bootIdAa64dfr0! & 0xf0f000n).toBe(m.idAa64dfr0 & 0xf0f000n); // BRPs, WRPs as the CPU file says
      expect(m.pairs).toHaveLength(15);
      expect(m.pairs[0]).toEqual({ BRPs: 2, WRPs: 2 });
      expect(m.pairs[14]).toEqual({ BRPs: 6, WRPs: 4 });
      expect(m.el2Cases).toBe(10 * 6);
      expect(m.el1Cases).toBe(2 * 15);
    }
    expect(r.quirks.map((q) => q.id)).toEqual(QUIRK_IDS);
    expect(r.quirks.find((q) => q.id === 'mdccint-not-modelled')!.hidden).toBeGreaterThan(0);
    expect(r.rules.map((x) => x.id)).toEqual([CASE_RULES.returnAddress.id, CASE_RULES.hcrRwOnly.id, CASE_RULES.emulatedCounts.id]);
  });

  test('an emulated count above the implemented one: QEMU and the simulator fault at the same UNDEFINED register', async () => {
    const { plan, files, cpus } = defaults();
    const a57 = cpus.find((c) => c.name === 'cortex-a57')!;
    const counts = countsForCpu(plan.table, a57);
    const id = counts.idRegisters['ID_AA64DFR0_EL1']!;
    const { cases, layout } = planCases(plan, counts, { states: 1, seed: SEED });
    const save = cases.find((c) => c.emulated && c.spec.macro === 'save_debug')!;
    const restore = cases.find((c) => c.emulated && c.spec.macro === 'restore_debug')!;
    const over = [
      { ...save.qemu, idAa64dfr0: idWithCounts(plan, id, { BRPs: 7, WRPs: 4 }) },
      { ...save.qemu, idAa64dfr0: idWithCounts(plan, id, { BRPs: 6, WRPs: 5 }) },
      { ...restore.qemu, idAa64dfr0: idWithCounts(plan, id, { BRPs: 16, WRPs: 16 }) },
    ];
    const src = await writeSources(join(dir, 'over'), plan, files);
    const report = await runScenariosOnQemu({ cpu: 'cortex-a57', includes: [], driver: src.driver, includeDirs: src.includeDirs, cases: over });
    const sim = new CaseSimulator(placeProgram(plan, src.asm, report.image), id, layout);
    over.forEach((c, i) => {
      const expected = sim.run(c);
      const actual = report.results[i]!;
      expect(actual.fault).toMatchObject({ kind: 'undefined-instruction', ec: 0, syndromeEl: 1, phase: 'routine' });
      expect(expected.fault?.kind).toBe('undefined-instruction');
      const cmp = compareCase(expected, actual, { returnAddress: report.image.returnAddresses[1], describeMemory: (a) => nameAddress(layout, plan, a), comparePc: true });
      expect(cmp.differences).toEqual([]);
    });
    // 7 BPs: the computed branch skips 15 - 6 = 9 of the 16 MRS, so the first one run is DBGBCR6_EL1.
    expect(sim.run(over[0]!).fault!.message).toMatch(/DBGBCR6_EL1 is not implemented[^]*mrs x11, dbgbcr6_el1/);
    expect(sim.run(over[1]!).fault!.message).toMatch(/DBGWCR4_EL1 is not implemented[^]*mrs x9, dbgwcr4_el1/);
  });
});

describeWithTools('crosscheck command: what else can go wrong', [...TOOLS], () => {
  test('an --asm file that does not assemble is bad input (exit 2), named at its line', async () => {
    const path = await mutant('typo', 'save_debug', 'ubfx\tx24', 'ubfz\tx24');
    const r = await runCli(['crosscheck', '--cpu', 'cortex-a57', '--states', '1', '--asm', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^switchgen crosscheck: error: the simulator cannot assemble the asm:\ntypo\.S:\d+:2: error: unknown instruction mnemonic 'ubfz'\ntypo\.S:\d+:2: note: in expansion of macro 'save_debug'/);
  });

  test('a QEMU model this QEMU lacks fails that model (exit 1) and not the others', async () => {
    const cpus = join(dir, 'cpus.yaml');
    await writeFile(cpus, 'cpus:\n  - { name: cortex-a57, ID_AA64DFR0_EL1: 0x10305106, qemu: cortex-a57 }\n  - { name: imaginary, ID_AA64DFR0_EL1: 0x10305106, qemu: cortex-z99 }\n');
    const r = await runCli(['crosscheck', '--cpus', cpus, '--states', '1', '--seed', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("crosscheck: imaginary: QEMU -cpu cortex-z99 could not run the cases: QEMU (-cpu cortex-z99) printed no runtime header (exit 1): qemu-system-aarch64: unable to find CPU model 'cortex-z99'");
    expect(r.stderr).toMatch(/QEMU and the simulator agree on all 40 cases on 1 model \(cortex-a57\); 1 model problem/);
  });

  test('--json: the report, 64-bit values as hex', async () => {
    const r = await runCli(['crosscheck', '--cpu', 'qemu-max', '--states', '2', '--seed', '5', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { ok: boolean; seed: number; models: { qemuCpu: string; idAa64dfr0: string; pairs: unknown[]; cases: number }[]; quirks: { id: string }[] };
    expect(j).toMatchObject({ ok: true, seed: 5 });
    expect(j.models[0]).toMatchObject({ qemuCpu: 'max', idAa64dfr0: '0x10305609', cases: 10 * 2 + 2 * 15 });
    expect(j.models[0]!.pairs).toHaveLength(15);
    expect(j.quirks.map((q) => q.id)).toEqual(QUIRK_IDS);
  });
});

describeWithTools('a broken macro is caught on QEMU', [...TOOLS], () => {
  const a57 = () => [defaults().cpus.find((c) => c.name === 'cortex-a57')!];
  const run = async (asmFile: string): Promise<CrosscheckReport> => {
    const { plan, files } = defaults();
    return crosscheck({ plan, files, cpus: a57(), states: 16, seed: SEED, asmFile, maxListed: 100 });
  };

  test('restore_debug skip count off by one (mov w26, #15 → #16): QEMU differs from the generated macros, for every count pair', async () => {
    const r = await run(await mutant('skip16', 'restore_debug', 'mov\tw26, #15', 'mov\tw26, #16'));
    expect(r.ok).toBe(false);
    const m = r.models[0]!;
    expect(m.mismatchedCases).toBeGreaterThan(0);
    // The simulator, running the broken macro, agrees with QEMU about what it does: only the
    // reference (the generated macros) says it is wrong.
    expect(new Set(m.mismatches.map((x) => x.oracle))).toEqual(new Set(['reference']));
    // The last implemented breakpoint is left as it was, on the real counts and every emulated pair.
    const native = m.mismatches.find((x) => x.routine === 'restore_debug' && !x.emulated)!;
    expect(native.differences[0]!.where).toBe('dbgbcr5_el1');
    expect(native.lastWriter).toMatch(/^debug_switch\.S:\d+:\d+ \(in macro 'restore_debug' invoked at .*\): msr dbgbcr5_el1, x10$/);
    const emulated = m.mismatches.filter((x) => x.routine === 'restore_debug' && x.emulated);
    expect(new Set(emulated.map((x) => JSON.stringify(x.counts))).size).toBe(15);
    for (const x of emulated) expect(x.differences[0]!.where).toBe(`dbgbcr${x.counts['BRPs']! - 1}_el1`);
    // The __kvm_vcpu_run steps that call __restore_debug when dirty are caught too.
    expect(m.mismatches.some((x) => x.routine === 'vcpu_run_debug_restore_guest')).toBe(true);
  });

  test('a wrong slot offset in save_debug: the context word QEMU wrote is named', async () => {
    const r = await run(await mutant('slot', 'save_debug', 'str\tx6, [x3, #(1 * 8)]', 'str\tx6, [x3, #(2 * 8)]'));
    expect(r.ok).toBe(false);
    const x = r.models[0]!.mismatches.find((mm) => mm.routine === 'save_debug')!;
    expect(x.oracle).toBe('reference');
    expect(x.differences[0]!.message).toMatch(/^memory 0x[0-9a-f]+ \(host sys_regs\[DBGBCR[12]_EL1\] \(slot 2[45]\)\): expected 0x[0-9a-f]+, QEMU 0x[0-9a-f]+$/);
  });

  test('the CLI: exit 1, the case, the differing register, the asm line and how to reproduce it', async () => {
    const path = await mutant('skip16-cli', 'restore_debug', 'mov\tw26, #15', 'mov\tw26, #16');
    const r = await runCli(['crosscheck', '--cpu', 'cortex-a57', '--states', '4', '--seed', String(SEED), '--asm', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('crosscheck: cortex-a57: restore_debug (BRPs 6, WRPs 4, at EL2), state 0 of stream cortex-a57/restore_debug, seed 2014: QEMU differs from the generated macros on the simulator (the reference)');
    expect(r.stderr).toMatch(/\n {2}dbgbcr5_el1: expected 0x[0-9a-f]+, QEMU 0x[0-9a-f]+/);
    expect(r.stderr).toMatch(/\n {2}last written \(reference\) by debug_switch\.S:\d+:\d+ .*msr dbgbcr5_el1, x10\n/);
    expect(r.stderr).toContain(`  reproduce: npx switchgen crosscheck --cpu cortex-a57 --seed 2014 --states 1 --asm ${path}`);
    expect(r.stderr).toMatch(/\ncrosscheck: FAILED: GNU as, llvm-mc and the simulator agree on \d+ words; QEMU differs in \d+ of 70 cases/);
  });
});
