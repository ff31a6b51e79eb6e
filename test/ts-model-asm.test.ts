// The TypeScript models against the asm they model: each generated macro is run by a small
// interpreter over exactly the instructions the templates emit (straight-line A64, the computed
// branch, bl/ret), and the sequence of machine accesses it makes must equal the model's, access
// for access, for every CPU, every count pair 2..16 x 2..16 and edited tables. The ID register
// read is the only access the asm makes that a fixed-count model does not.
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitAsm, emitHeader, emitSimOffsets, emitTsModel, loadTsModel, must, parseTable, planTable, SimpleMachine, syntheticCpu, type SwitchModel } from '../generator/index.js';
import { loadCpus, loadTable } from '../generator/table/load.js';
import type { Table } from '../generator/table/model.js';
import { countsForCpu, type AsmPlan, type CpuCounts } from '../generator/plan/plan.js';
import type { MachineAccess } from '../generator/model/machine.js';
import { DEFAULT_CPUS_PATH, DEFAULT_TABLE_PATH, fixture } from './helpers.js';

const PROV = { tableSource: 't.yaml', tableName: 't', regenerate: 'npx switchgen generate' };
const MASK = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------------------------
// A just-big-enough A64 interpreter for the generated macros.

interface Insn {
  op: string;
  args: string[];
  text: string;
}
type Line = { label: string } | Insn;

class AsmProgram {
  private readonly macros = new Map<string, { params: string[]; body: string[] }>();
  private readonly defines = new Map<string, bigint>();
  private offsetMacro?: { name: string; base: string; scale: bigint };

  constructor(asm: string, headers: string[]) {
    let cur: { name: string; params: string[]; body: string[] } | undefined;
    for (const raw of asm.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      const m = /^\.macro\s+(\w+)\s*(.*)$/.exec(line);
      if (m) {
        cur = { name: m[1]!, params: m[2]!.split(',').map((p) => p.trim()).filter(Boolean), body: [] };
        continue;
      }
      if (line === '.endm') {
        this.macros.set(cur!.name, cur!);
        cur = undefined;
        continue;
      }
      if (cur) cur.body.push(line);
      const fm = /^#define\s+(\w+)\(x\)\s+\((\w+)\s*\+\s*(\d+)\*\(x\)\)/.exec(raw);
      if (fm) this.offsetMacro = { name: fm[1]!, base: fm[2]!, scale: BigInt(fm[3]!) };
    }
    for (const h of headers) {
      for (const m of h.matchAll(/^#define[ \t]+(\w+)[ \t]+(.+?)[ \t]*(?:\/\*.*)?$/gm)) {
        const v = this.tryEval(m[2]!);
        if (v !== undefined) this.defines.set(m[1]!, v);
      }
    }
  }

  /** Evaluate an immediate: numbers, defines, OFFSET(NAME), + * << and parentheses. */
  eval(expr: string): bigint {
    const v = this.tryEval(expr);
    if (v === undefined) throw new Error(`cannot evaluate ${JSON.stringify(expr)}`);
    return v;
  }

  private tryEval(expr: string): bigint | undefined {
    let e = expr.trim();
    const om = this.offsetMacro;
    if (om) e = e.replace(new RegExp(`${om.name}\\((\\w+)\\)`, 'g'), (_, n: string) => `(${om.base} + ${om.scale}*(${n}))`);
    e = e.replace(/\b[A-Za-z_]\w*\b/g, (n) => (this.defines.has(n) ? `${this.defines.get(n)}` : n));
    if (!/^[0-9a-fx+*<() ]+$/i.test(e) || /[a-wyz]/i.test(e.replace(/0x[0-9a-f]+/gi, ''))) return undefined;
    const js = e.replace(/0x[0-9a-f]+|\d+/gi, (n) => `${BigInt(n)}n`);
    return new Function(`return (${js});`)() as bigint;
  }

  /** The macro's instructions, with nested macros expanded and `\param`s substituted. */
  expand(name: string, args: string[] = []): Line[] {
    const mac = this.macros.get(name);
    if (!mac) throw new Error(`no macro ${name}`);
    const out: Line[] = [];
    for (let line of mac.body) {
      mac.params.forEach((p, i) => (line = line.replaceAll(`\\${p}`, args[i]!)));
      if (!line) continue;
      const label = /^(\w+):$/.exec(line);
      if (label) {
        out.push({ label: label[1]! });
        continue;
      }
      const op = line.split(/\s+/)[0]!;
      const argText = line.slice(op.length).trim();
      if (this.macros.has(op)) {
        out.push(...this.expand(op, argText.split(',').map((a) => a.trim())));
        continue;
      }
      // Split on commas outside brackets: [x3, #16] stays one operand.
      const ops: string[] = [];
      let depth = 0;
      let cur = '';
      for (const ch of argText) {
        if (ch === '[' || ch === '(') depth++;
        if (ch === ']' || ch === ')') depth--;
        if (ch === ',' && depth === 0) {
          ops.push(cur.trim());
          cur = '';
        } else cur += ch;
      }
      if (cur.trim()) ops.push(cur.trim());
      out.push({ op, args: ops, text: line });
    }
    return out;
  }

  /** Run `macro` (as a bl-callable routine, with the debug routines beside it) on a machine. */
  run(macro: string, m: SimpleMachine, gprs: Record<number, bigint>, idValue: bigint): void {
    const lines: Line[] = [...this.expand(macro), { op: 'ret', args: [], text: 'ret' }, ...this.expand('debug_switch_routines')];
    const insns: Insn[] = [];
    const labels: { name: string; at: number }[] = [];
    for (const l of lines) {
      if ('label' in l) labels.push({ name: l.label, at: insns.length });
      else insns.push(l);
    }
    const target = (ref: string, pc: number): number => {
      const local = /^(\d+)([fb])$/.exec(ref);
      if (local) {
        const cands = labels.filter((l) => l.name === local[1] && (local[2] === 'f' ? l.at > pc : l.at <= pc));
        const hit = local[2] === 'f' ? cands[0] : cands[cands.length - 1];
        if (!hit) throw new Error(`no label ${ref} from ${pc}`);
        return hit.at;
      }
      const g = labels.find((l) => l.name === ref);
      if (!g) throw new Error(`no label ${ref}`);
      return g.at;
    };
    const x: bigint[] = Array.from({ length: 31 }, (_, i) => gprs[i] ?? 0n);
    let z = false;
    const reg = (r: string): bigint => {
      if (r === 'xzr' || r === 'wzr') return 0n;
      const n = Number(r.slice(1));
      return r[0] === 'w' ? x[n]! & 0xffff_ffffn : x[n]!;
    };
    const set = (r: string, v: bigint): void => {
      if (r === 'xzr' || r === 'wzr') return;
      x[Number(r.slice(1))] = r[0] === 'w' ? v & 0xffff_ffffn : v & MASK;
    };
    const imm = (s: string): bigint => this.eval(s.replace(/^#/, ''));
    const mem = (s: string): bigint => {
      const mm = /^\[(\w+)(?:,\s*(.+))?\]$/.exec(s);
      if (!mm) throw new Error(`bad address ${s}`);
      return (reg(mm[1]!) + (mm[2] ? imm(mm[2]) : 0n)) & MASK;
    };
    const stack: number[] = [];
    let pc = 0;
    for (let steps = 0; ; steps++) {
      if (steps > 10_000) throw new Error('runaway');
      const i = insns[pc];
      if (!i) throw new Error(`pc ${pc} outside the program`);
      const a = i.args;
      pc++;
      switch (i.op) {
        case 'mrs':
          set(a[0]!, a[1] === 'id_aa64dfr0_el1' ? idValue : m.readSys(a[1]!));
          break;
        case 'msr':
          m.writeSys(a[0]!, reg(a[1]!));
          break;
        case 'add':
          if (a[2]!.startsWith('#')) set(a[0]!, reg(a[1]!) + imm(a[2]!));
          else set(a[0]!, reg(a[1]!) + (reg(a[2]!) << imm(a[3]!.replace(/^lsl\s+/, ''))));
          break;
        case 'sub':
          set(a[0]!, reg(a[1]!) - reg(a[2]!));
          break;
        case 'adr':
          set(a[0]!, BigInt(target(a[1]!, pc - 1) * 4));
          break;
        case 'br':
          pc = Number(reg(a[0]!) / 4n);
          break;
        case 'ubfx':
          set(a[0]!, (reg(a[1]!) >> imm(a[2]!)) & ((1n << imm(a[3]!)) - 1n));
          break;
        case 'mov':
          set(a[0]!, a[1]!.startsWith('#') ? imm(a[1]!) : reg(a[1]!));
          break;
        case 'and':
          set(a[0]!, reg(a[1]!) & imm(a[2]!));
          break;
        case 'tst':
          z = (reg(a[0]!) & imm(a[1]!)) === 0n;
          break;
        case 'adds': {
          const r = (reg(a[1]!) + reg(a[2]!)) & MASK;
          z = r === 0n;
          set(a[0]!, r);
          break;
        }
        case 'csel':
          if (a[3] !== 'ne') throw new Error(i.text);
          set(a[0]!, !z ? reg(a[1]!) : reg(a[2]!));
          break;
        case 'orr':
          set(a[0]!, reg(a[1]!) | reg(a[2]!));
          break;
        case 'cbz':
          if (reg(a[0]!) === 0n) pc = target(a[1]!, pc - 1);
          break;
        case 'tbz':
        case 'tbnz': {
          const bit = (reg(a[0]!) >> imm(a[1]!)) & 1n;
          if ((bit === 0n) === (i.op === 'tbz')) pc = target(a[2]!, pc - 1);
          break;
        }
        case 'str':
          m.store64(mem(a[1]!), reg(a[0]!));
          break;
        case 'ldr':
          set(a[0]!, m.load64(mem(a[1]!)));
          break;
        case 'stp': {
          const ad = mem(a[2]!);
          m.store64(ad, reg(a[0]!));
          m.store64(ad + 8n, reg(a[1]!));
          break;
        }
        case 'ldp': {
          const ad = mem(a[2]!);
          set(a[0]!, m.load64(ad));
          set(a[1]!, m.load64(ad + 8n));
          break;
        }
        case 'bl':
          stack.push(pc);
          set('x30', BigInt(pc * 4));
          pc = target(a[0]!, pc - 1);
          break;
        case 'ret':
          if (!stack.length) return;
          pc = stack.pop()!;
          break;
        default:
          throw new Error(`the interpreter does not model: ${i.text}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** A deterministic 64-bit generator (xorshift64*). */
function rng(seed: bigint): () => bigint {
  let s = seed || 1n;
  return () => {
    s ^= s >> 12n;
    s ^= (s << 25n) & MASK;
    s ^= s >> 27n;
    return BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn);
  };
}

const VCPU = 0x4000_0000n;
const HOST = 0x4010_0000n;

interface Setup {
  hcr: bigint;
  flags: bigint;
  mdscr: bigint;
}

/** Two identical machines: every register the table names (implemented on this CPU) and filled contexts. */
function machines(t: Table, cpu: CpuCounts, seed: bigint, s: Setup): [SimpleMachine, SimpleMachine] {
  const names = [
    ...t.registers.map((r) => r.access.toLowerCase()),
    ...t.banks.flatMap((b) => Array.from({ length: cpu.counts[b.count.name]! }, (_, n) => b.pattern.replace('<n>', String(n)).toLowerCase())),
    t.aarch32.register.toLowerCase(),
  ];
  const make = (): SimpleMachine => {
    const next = rng(seed);
    const m = new SimpleMachine({ implemented: names, trace: true });
    for (const n of names) m.setSys(n, next());
    m.setSys(t.aarch32.register.toLowerCase(), s.hcr);
    const off = (n: string): bigint => BigInt(t.asmOffsets.find((o) => o.name === n)!.value);
    const base = off(t.context.baseOffset);
    for (const ctxt of [HOST, VCPU + off(t.lazy.trigger.context)]) {
      for (let slot = 0; slot < t.context.nrSysRegs; slot++) m.store64(ctxt + base + BigInt(t.context.slotBytes * slot), next());
    }
    m.store64(VCPU + off(t.lazy.trigger.context) + base + BigInt(t.context.slotBytes * t.lazy.trigger.register.slot), s.mdscr);
    m.store64(VCPU + off(t.lazy.flagsOffset), s.flags);
    m.trace.length = 0;
    return m;
  };
  return [make(), make()];
}

const show = (a: MachineAccess): string =>
  a.op === 'readSys' || a.op === 'writeSys' ? `${a.op} ${a.name} 0x${a.value.toString(16)}` : `${a.op} 0x${a.addr.toString(16)} 0x${a.value.toString(16)}`;

type Call = (model: SwitchModel, m: SimpleMachine, guest: bigint) => void;
const ROUTINES: [string, Call, 'host' | 'guest'][] = [
  ['save_sysregs', (md, m) => md.saveSysregs(m, HOST), 'host'],
  ['restore_sysregs', (md, m) => md.restoreSysregs(m, HOST), 'host'],
  ['save_debug', (md, m) => md.saveDebug(m, HOST), 'host'],
  ['restore_debug', (md, m) => md.restoreDebug(m, HOST), 'host'],
  ['save_guest_32bit_sysregs', (md, m, g) => md.saveGuest32bitSysregs(m, VCPU, g), 'guest'],
  ['restore_guest_32bit_sysregs', (md, m, g) => md.restoreGuest32bitSysregs(m, VCPU, g), 'guest'],
  ['vcpu_run_debug_save_host', (md, m) => md.vcpuRunDebugSaveHost(m, VCPU, HOST), 'host'],
  ['vcpu_run_debug_restore_guest', (md, m, g) => md.vcpuRunDebugRestoreGuest(m, VCPU, g), 'guest'],
  ['vcpu_return_debug_save_guest', (md, m, g) => md.vcpuReturnDebugSaveGuest(m, VCPU, g), 'guest'],
  ['vcpu_return_debug_restore_host', (md, m) => md.vcpuReturnDebugRestoreHost(m, VCPU, HOST), 'host'],
];

/** Run one routine both ways and compare every access; returns how many accesses were compared. */
function compare(t: Table, p: AsmPlan, prog: AsmProgram, model: SwitchModel, cpu: CpuCounts, idValue: bigint, routine: string, s: Setup, seed: bigint): number {
  const [name, call, which] = ROUTINES.find((r) => r[0] === routine)!;
  const guest = VCPU + BigInt(t.asmOffsets.find((o) => o.name === t.lazy.trigger.context)!.value);
  const ctxt = which === 'host' ? HOST : guest;
  const [asmM, tsM] = machines(t, cpu, seed, s);
  const r = p.roles;
  prog.run(name, asmM, { [Number(r.vcpu.slice(1))]: VCPU, [Number(r.context.slice(1))]: ctxt }, idValue);
  call(model, tsM, guest);
  const where = `${cpu.name} ${routine} hcr=${s.hcr} flags=${s.flags} mdscr=0x${s.mdscr.toString(16)} seed=${seed}`;
  expect(tsM.trace.map(show), where).toEqual(asmM.trace.map(show));
  expect(tsM.sysregs(), where).toEqual(asmM.sysregs());
  expect(tsM.memoryWords(), where).toEqual(asmM.memoryWords());
  return asmM.trace.length;
}

function setups(t: Table): Setup[] {
  const rw = 1n << BigInt(t.aarch32.rwShift);
  const bits = t.lazy.trigger.bits.map((b) => 1n << BigInt(b.bit));
  const dirty = 1n << BigInt(t.lazy.dirtyShift);
  const out: Setup[] = [];
  for (const hcr of [rw, 0n]) {
    for (const flags of [0n, dirty, 0b100n, dirty | 0b100n]) {
      for (const mdscr of [0n, ...bits, bits.reduce((a, b) => a | b, 0n) | 0x4001n]) out.push({ hcr, flags, mdscr });
    }
  }
  return out;
}

function outputs(t: Table): { p: AsmPlan; prog: AsmProgram } {
  const p = planTable(t);
  return { p, prog: new AsmProgram(emitAsm(p, PROV), [emitHeader(p, PROV), emitSimOffsets(p, PROV)]) };
}

describe('TS models make the same accesses as the generated asm', () => {
  const table = must(loadTable(DEFAULT_TABLE_PATH));
  const cpus = must(loadCpus(DEFAULT_CPUS_PATH, table));

  it('for every CPU in cpus.yaml, every routine, every HCR.RW x flags x MDSCR trigger state', () => {
    const { p, prog } = outputs(table);
    let compared = 0;
    for (const cpu of cpus.cpus) {
      const counts = countsForCpu(table, cpu);
      const model = loadTsModel(emitTsModel(p, counts, PROV));
      for (const s of setups(table)) for (const [routine] of ROUTINES) compared += compare(table, p, prog, model, counts, cpu.idRegisters.ID_AA64DFR0_EL1!, routine, s, 0xc0ffeen);
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it('for every count pair 2..16 x 2..16 (save_debug and restore_debug)', () => {
    const { p, prog } = outputs(table);
    for (let brps = 2; brps <= 16; brps++) {
      for (let wrps = 2; wrps <= 16; wrps++) {
        const cpu = syntheticCpu(table, { BRPs: brps, WRPs: wrps });
        const model = loadTsModel(emitTsModel(p, cpu, PROV));
        const s = { hcr: 0n, flags: 1n, mdscr: 0n };
        for (const routine of ['save_debug', 'restore_debug']) compare(table, p, prog, model, cpu, cpu.idRegisters.ID_AA64DFR0_EL1!, routine, s, BigInt(brps * 100 + wrps));
      }
    }
  }, 120_000);

  it('for edited tables: bank max 8, MDCCINT_EL1 moved, and the one-bank fixture tables', () => {
    const text = readFileSync(DEFAULT_TABLE_PATH, 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'switchgen-ts-asm-'));
    const variants: [string, string][] = [
      ['max8', text.replace(/max: 16/g, 'max: 8')],
      ['mdccint94', text.replace('nr_sys_regs: 94', 'nr_sys_regs: 95').replace(/name: MDCCINT_EL1,\s*slot: 87/, 'name: MDCCINT_EL1,    slot: 94')],
      ['one-trigger-bit', text.replace(/\n\s*- \{ name: DBG_MDSCR_MDE, bit: 15 \}/, '')],
      ['minimal', readFileSync(fixture('tables', 'minimal.yaml'), 'utf8')],
      ['narrow', readFileSync(fixture('tables', 'narrow.yaml'), 'utf8')],
    ];
    for (const [name, body] of variants) {
      expect(body, name).not.toBe(text);
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, body);
      const t = must(parseTable(file, body));
      const { p, prog } = outputs(t);
      if (name === 'one-trigger-bit') expect(emitAsm(p, PROV)).toMatch(/\ttst\tx25, #DBG_MDSCR_KDE\n/);
      const field = t.idFields[0]!;
      const max = t.banks[0]!.max;
      // Down to the smallest count the field encodes: 0 for a bias-0 field (the branch skips the whole run).
      for (const count of [...new Set([field.bias, 1, 2, max])]) {
        const counts = Object.fromEntries(t.idFields.map((f) => [f.name, count]));
        const cpu = syntheticCpu(t, counts);
        const model = loadTsModel(emitTsModel(p, cpu, PROV));
        for (const s of setups(t)) for (const [routine] of ROUTINES) compare(t, p, prog, model, cpu, cpu.idRegisters[field.register] ?? 0n, routine, s, 7n);
      }
    }
  }, 120_000);
});
