// Meaning, not just shape: names that are safe to paste into asm/C/TS, slots inside the
// context and not overlapping, counts and bit fields in range, roles that do not collide.
import type { Diagnostic } from './diagnostics.js';
import type { CpuFile, CpuModel, IdField, RegisterBank, Roles, SysRegister, Table } from './model.js';
import { bankRegisterName, countFor, fieldValue } from './model.js';
import { cpuModuleIdent, JS_RESERVED, TS_INDEX_NAME, TS_LOCAL_NAMES, TS_MODEL_NAMES } from './reserved.js';
import { BANK_PATTERN, CPU_NAME, GPR, GPR_RANGE, IDENTIFIER, type RawCpuFile, type RawTable } from './schema.js';
import { pathText } from './shape.js';
import type { Path, YamlSource } from './yaml-source.js';

/** A 16-bit-wide family is the architectural limit of DBGxxRn_EL1 without FEAT_Debugv8p9. */
export const MAX_BANK_COUNT = 16;
/** A CPU's name is its model's file name (ts/<name>.ts). */
export const MAX_CPU_NAME = 64;
/** `add xD, xN, #imm` takes an unsigned 12-bit immediate. */
const ADD_IMM_MAX = 4095;
/** asm-offsets expressions are pasted into C: `offsetof(struct kvm_vcpu, arch.debug_flags)`. */
const SAFE_C_EXPR = /^[A-Za-z0-9_ .,()[\]+\-*&>]+$/;

class Checker {
  readonly out: Diagnostic[] = [];
  constructor(readonly src: YamlSource) {}
  error(path: Path, message: string): void {
    this.out.push(this.src.diag(path, message));
  }
  warn(path: Path, message: string): void {
    this.out.push(this.src.diag(path, message, 'warning'));
  }
  identifier(path: Path, value: string, what = 'name'): boolean {
    if (IDENTIFIER.test(value)) return true;
    this.error(path, `${what} ${JSON.stringify(value)} is not a plain identifier (letters, digits and '_', not starting with a digit)`);
    return false;
  }
  range(path: Path, value: number, lo: number, hi: number, what: string): boolean {
    if (value >= lo && value <= hi) return true;
    this.error(path, `${what} ${value} is outside ${lo}..${hi}`);
    return false;
  }
}

function gpr(c: Checker, path: Path, text: string): number | undefined {
  const m = GPR.exec(text);
  if (!m) {
    c.error(path, `${pathText(path)}: ${JSON.stringify(text)} is not a general-purpose register x0..x30`);
    return undefined;
  }
  return Number(m[1]);
}

function gprRange(c: Checker, path: Path, text: string): number[] | undefined {
  const m = GPR_RANGE.exec(text);
  if (!m) {
    c.error(path, `${pathText(path)}: ${JSON.stringify(text)} is not a register range like x5-x20`);
    return undefined;
  }
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (hi < lo) {
    c.error(path, `${pathText(path)}: register range ${text} runs backwards`);
    return undefined;
  }
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

export function validateTable(src: YamlSource, raw: RawTable): { table?: Table; diagnostics: Diagnostic[] } {
  const c = new Checker(src);
  if (!/^[A-Za-z0-9_.-]+$/.test(raw.name)) {
    c.error(['name'], `table name ${JSON.stringify(raw.name)} may only hold letters, digits, '_', '.' and '-'`);
  }

  // Context layout.
  const ctx = raw.context;
  if (ctx.slot_bytes !== 8) c.error(['context', 'slot_bytes'], `slot_bytes ${ctx.slot_bytes} is not supported: each slot holds one 64-bit register (8)`);
  c.range(['context', 'nr_sys_regs'], ctx.nr_sys_regs, 1, 4096, 'nr_sys_regs');
  c.identifier(['context', 'offset_macro'], ctx.offset_macro, 'offset_macro');
  c.identifier(['context', 'base_offset'], ctx.base_offset, 'base_offset');
  const reserved = new Set<number>();
  ctx.reserved.forEach((s, i) => {
    const p = ['context', 'reserved', i];
    if (c.range(p, s, 0, ctx.nr_sys_regs - 1, 'reserved slot') && reserved.has(s)) c.error(p, `reserved slot ${s} is listed twice`);
    reserved.add(s);
  });

  // asm-offsets.
  const asmOffsets = Object.entries(raw.asm_offsets).map(([name, o]) => {
    c.identifier(['asm_offsets', name], name, 'asm-offsets name');
    if (o.value < 0 || o.value > ADD_IMM_MAX || o.value % 8 !== 0) {
      c.error(['asm_offsets', name, 'value'], `${name} = ${o.value} must be a multiple of 8 in 0..${ADD_IMM_MAX - 7} (it is an add/ldr immediate)`);
    }
    if (!SAFE_C_EXPR.test(o.define) || /\*\/|\/\*|\/\//.test(o.define)) {
      c.error(['asm_offsets', name, 'define'], `define of ${name} ${JSON.stringify(o.define)} is not a plain C offsetof expression (letters, digits, spaces and _ . , ( ) [ ] + - * & > only, no comment delimiters)`);
    }
    return { name, value: o.value, define: o.define, addDefine: o.add_define ?? false };
  });
  const offsetNames = new Set(asmOffsets.map((o) => o.name));
  const needOffset = (path: Path, name: string): void => {
    if (IDENTIFIER.test(name) && !offsetNames.has(name)) c.error(path, `${name} is not defined in asm_offsets`);
  };
  needOffset(['context', 'base_offset'], ctx.base_offset);

  // ID fields.
  const idFields: IdField[] = [];
  for (const [name, f] of Object.entries(raw.id_fields)) {
    const p = ['id_fields', name];
    c.identifier(p, name, 'id field name');
    c.identifier([...p, 'register'], f.register, 'ID register name');
    const okLsb = c.range([...p, 'lsb'], f.lsb, 0, 63, 'bit field lsb');
    const okWidth = c.range([...p, 'width'], f.width, 1, 63, 'bit field width');
    if (okLsb && okWidth && f.lsb + f.width > 64) c.error([...p, 'width'], `bit field ${name} [${f.lsb + f.width - 1}:${f.lsb}] runs past bit 63`);
    c.range([...p, 'bias'], f.bias, 0, MAX_BANK_COUNT, 'bias');
    idFields.push({ name, register: f.register, lsb: f.lsb, width: f.width, bias: f.bias });
  }
  const fieldByName = new Map(idFields.map((f) => [f.name, f]));

  // Slots: every owner of a slot, for overlap checks.
  const owners: { lo: number; hi: number; what: string; path: Path }[] = [];
  const claim = (path: Path, lo: number, hi: number, what: string): void => {
    if (lo < 0 || hi >= ctx.nr_sys_regs) {
      c.error(path, lo === hi ? `slot ${lo} of ${what} is outside 0..${ctx.nr_sys_regs - 1} (nr_sys_regs ${ctx.nr_sys_regs})` : `slots ${lo}..${hi} of ${what} run outside 0..${ctx.nr_sys_regs - 1} (nr_sys_regs ${ctx.nr_sys_regs})`);
      return;
    }
    for (let s = lo; s <= hi; s++) {
      if (reserved.has(s)) {
        c.error(path, `slot ${s} of ${what} is reserved`);
        return;
      }
    }
    for (const o of owners) {
      if (lo <= o.hi && o.lo <= hi) {
        const theirs = o.lo === o.hi ? `slot ${o.lo}` : `slots ${o.lo}..${o.hi}`;
        const ours = lo === hi ? `slot ${lo}` : `slots ${lo}..${hi}`;
        c.error(path, `${ours} of ${what} ${lo === hi ? 'overlaps' : 'overlap'} ${o.what} (${theirs})`);
        return;
      }
    }
    owners.push({ lo, hi, what, path });
  };

  const names = new Map<string, Path>();
  const uniqueName = (path: Path, name: string): void => {
    const upper = name.toUpperCase();
    if (names.has(upper)) c.error(path, `register ${name} is defined twice (first at ${pathText(names.get(upper)!)})`);
    else names.set(upper, path);
  };

  const registers: SysRegister[] = [];
  raw.registers.forEach((r, i) => {
    const p = ['registers', i];
    const okName = c.identifier([...p, 'name'], r.name, 'register name');
    if (r.access !== undefined) c.identifier([...p, 'access'], r.access, 'access register name');
    if (okName) uniqueName([...p, 'name'], r.name);
    claim([...p, 'slot'], r.slot, r.slot, r.name);
    registers.push({ name: r.name, slot: r.slot, policy: r.switch, guest: r.guest ?? 'any', access: r.access ?? r.name });
  });

  const banks: RegisterBank[] = [];
  raw.banks.forEach((b, i) => {
    const p = ['banks', i];
    const okPattern = BANK_PATTERN.test(b.name) && !b.name.startsWith('<n>');
    if (!BANK_PATTERN.test(b.name)) c.error([...p, 'name'], `bank name ${JSON.stringify(b.name)} must be an identifier with exactly one <n>, like DBGBCR<n>_EL1`);
    // Members of <n>ABC would be 0ABC, 1ABC...: not names C or TypeScript can define.
    else if (!okPattern) c.error([...p, 'name'], `bank name ${JSON.stringify(b.name)} starts with <n>, so its members would start with a digit`);
    const okMax = c.range([...p, 'max'], b.max, 1, MAX_BANK_COUNT, 'bank max');
    const field = fieldByName.get(b.count);
    if (!field) c.error([...p, 'count'], `count ${JSON.stringify(b.count)} is not an id_fields entry (have: ${[...fieldByName.keys()].join(', ') || 'none'})`);
    if (okPattern && okMax) {
      for (let n = 0; n < b.max; n++) uniqueName([...p, 'name'], bankRegisterName({ pattern: b.name }, n));
      claim([...p, 'first_slot'], b.first_slot, b.first_slot + b.max - 1, b.name);
    }
    if (field && okMax) banks.push({ pattern: b.name, firstSlot: b.first_slot, max: b.max, count: field });
  });

  // Banks that share a count share one skip register, so they must share a maximum.
  for (const f of idFields) {
    const users = banks.filter((b) => b.count === f);
    const first = users[0];
    if (!first) {
      if (raw.banks.some((b) => b.count === f.name)) continue;
      c.warn(['id_fields', f.name], `id field ${f.name} is not used by any bank`);
      continue;
    }
    for (const b of users.slice(1)) {
      if (b.max !== first.max) c.error(['banks', banks.indexOf(b), 'max'], `${b.pattern} has max ${b.max} but shares count ${f.name} with ${first.pattern} (max ${first.max})`);
    }
    // (A width outside 1..63 is reported above; 1n << 2^31 would not fit in a BigInt.)
    const largest = f.width >= 1 && f.width < 32 ? Number((1n << BigInt(f.width)) - 1n) + f.bias : 0;
    if (largest > first.max) {
      c.warn(['banks', banks.indexOf(first), 'max'], `${f.name} can report up to ${largest} registers but ${first.pattern} has max ${first.max}: a CPU reporting more would branch backwards`);
    }
  }

  // Eager/lazy groups need somewhere to live in the roles.
  const lazy = raw.lazy;
  c.identifier(['lazy', 'flags', 'offset'], lazy.flags.offset, 'flags offset name');
  needOffset(['lazy', 'flags', 'offset'], lazy.flags.offset);
  c.range(['lazy', 'flags', 'dirty_shift'], lazy.flags.dirty_shift, 0, 63, 'dirty_shift bit');
  c.identifier(['lazy', 'flags', 'shift_name'], lazy.flags.shift_name);
  c.identifier(['lazy', 'flags', 'mask_name'], lazy.flags.mask_name);
  c.identifier(['lazy', 'trigger', 'context'], lazy.trigger.context, 'trigger context name');
  needOffset(['lazy', 'trigger', 'context'], lazy.trigger.context);
  const trigger = registers.find((r) => r.name === lazy.trigger.register);
  if (!trigger) c.error(['lazy', 'trigger', 'register'], `trigger register ${lazy.trigger.register} is not in registers`);
  else if (trigger.policy !== 'eager' || trigger.guest !== 'any') c.error(['lazy', 'trigger', 'register'], `trigger register ${trigger.name} must be switched eagerly for every guest, so its saved value is current at entry`);
  if (lazy.trigger.bits.length < 1 || lazy.trigger.bits.length > 2) {
    c.error(['lazy', 'trigger', 'bits'], `${lazy.trigger.bits.length} trigger bits: the dirty computation supports 1 or 2`);
  }
  const seenBits = new Set<number>();
  lazy.trigger.bits.forEach((b, i) => {
    const p = ['lazy', 'trigger', 'bits', i];
    c.identifier([...p, 'name'], b.name);
    if (c.range([...p, 'bit'], b.bit, 0, 63, 'trigger bit') && seenBits.has(b.bit)) c.error([...p, 'bit'], `trigger bit ${b.bit} is listed twice`);
    seenBits.add(b.bit);
  });

  const a32 = raw.aarch32;
  c.identifier(['aarch32', 'register'], a32.register, 'register name');
  c.range(['aarch32', 'rw_shift'], a32.rw_shift, 0, 63, 'rw_shift bit');
  c.identifier(['aarch32', 'shift_name'], a32.shift_name);

  const roles = validateRoles(c, raw.roles);
  if (roles) {
    const eager64 = registers.filter((r) => r.policy === 'eager' && r.guest === 'any');
    const a32regs = registers.filter((r) => r.policy !== 'external' && r.guest === 'aarch32');
    if (eager64.length > roles.values.length) c.error(['roles', 'values'], `roles.values has ${roles.values.length} registers but ${eager64.length} registers are switched eagerly`);
    if (a32regs.length > roles.aarch32Values.length) c.error(['roles', 'aarch32_values'], `roles.aarch32_values has ${roles.aarch32Values.length} registers but ${a32regs.length} 32-bit guest registers are switched`);
    const maxBank = Math.max(0, ...banks.map((b) => b.max));
    if (maxBank > roles.bankValues.length) c.error(['roles', 'bank_values'], `roles.bank_values has ${roles.bankValues.length} registers but a bank has max ${maxBank}`);
    const usedFields = idFields.filter((f) => banks.some((b) => b.count === f));
    if (usedFields.length > roles.skip.length) c.error(['roles', 'skip'], `roles.skip has ${roles.skip.length} registers but ${usedFields.length} id fields give bank counts`);
  }

  definedNamesOnce(c, raw, registers, banks);

  // Lazy registers that are not banks must be single 64-bit guests' or aarch32 ones: nothing else to check.
  if (c.out.some((d) => d.severity === 'error') || !roles || !trigger) return { diagnostics: c.out };
  return {
    table: {
      name: raw.name,
      source: src.file,
      context: { slotBytes: ctx.slot_bytes, nrSysRegs: ctx.nr_sys_regs, reserved: [...reserved].sort((a, b) => a - b), offsetMacro: ctx.offset_macro, baseOffset: ctx.base_offset },
      asmOffsets,
      idFields,
      registers,
      banks,
      lazy: {
        flagsOffset: lazy.flags.offset,
        dirtyShift: lazy.flags.dirty_shift,
        shiftName: lazy.flags.shift_name,
        maskName: lazy.flags.mask_name,
        trigger: { register: trigger, context: lazy.trigger.context, bits: lazy.trigger.bits.map((b) => ({ ...b })) },
      },
      aarch32: { register: a32.register, rwShift: a32.rw_shift, shiftName: a32.shift_name },
      roles,
    },
    diagnostics: c.out,
  };
}

/**
 * Every name the outputs define is defined once, and none takes a name the generated code
 * already uses. The C header #defines each slot's register name, NR_SYS_REGS, the flag, trigger
 * and shift names; the simulation header each asm-offsets name; the asm the offset macro. Each
 * TypeScript model declares the offset macro, the asm-offsets names, the flag, trigger and shift
 * names, each ID register and each id field's upper-case name as consts beside its own fixed
 * names, and a variable named after each register it moves (its lower-case assembler name).
 */
function definedNamesOnce(c: Checker, raw: RawTable, registers: SysRegister[], banks: RegisterBank[]): void {
  interface Def {
    name: string;
    path: Path;
    what: string;
    c: boolean;
    ts: boolean;
  }
  const defs: Def[] = [{ name: 'NR_SYS_REGS', path: ['context', 'nr_sys_regs'], what: 'the slot count NR_SYS_REGS', c: true, ts: false }];
  const add = (name: string, path: Path, what: string, inC: boolean, inTs: boolean): void => {
    if (IDENTIFIER.test(name)) defs.push({ name, path, what, c: inC, ts: inTs });
  };
  raw.registers.forEach((r, i) => add(r.name, ['registers', i, 'name'], `register ${r.name}`, true, false));
  banks.forEach((b) => {
    const i = raw.banks.findIndex((x) => x.name === b.pattern);
    for (let n = 0; n < b.max; n++) add(bankRegisterName(b, n), ['banks', i, 'name'], `register ${bankRegisterName(b, n)}`, true, false);
  });
  add(raw.context.offset_macro, ['context', 'offset_macro'], 'offset_macro', true, true);
  for (const name of Object.keys(raw.asm_offsets)) add(name, ['asm_offsets', name], `asm-offsets name ${name}`, true, true);
  add(raw.lazy.flags.shift_name, ['lazy', 'flags', 'shift_name'], 'lazy.flags.shift_name', true, true);
  add(raw.lazy.flags.mask_name, ['lazy', 'flags', 'mask_name'], 'lazy.flags.mask_name', true, true);
  raw.lazy.trigger.bits.forEach((b, i) => add(b.name, ['lazy', 'trigger', 'bits', i, 'name'], `trigger bit ${b.name}`, true, true));
  add(raw.aarch32.shift_name, ['aarch32', 'shift_name'], 'aarch32.shift_name', true, true);
  const idRegs = new Set<string>();
  for (const [name, f] of Object.entries(raw.id_fields)) {
    if (!idRegs.has(f.register)) add(f.register, ['id_fields', name, 'register'], `ID register ${f.register}`, false, true);
    idRegs.add(f.register);
    add(name.toUpperCase(), ['id_fields', name], `id field ${name} (as ${name.toUpperCase()})`, false, true);
  }

  const reported = new Set<string>();
  defs.forEach((d, i) => {
    if (d.ts && (JS_RESERVED.has(d.name) || TS_MODEL_NAMES.has(d.name))) {
      c.error(d.path, `${d.what}: ${d.name} is a name the generated TypeScript reserves`);
      return;
    }
    const first = defs.slice(0, i).find((e) => e.name === d.name && ((e.c && d.c) || (e.ts && d.ts)));
    // Two registers with one name are reported as such already.
    if (!first || (first.what.startsWith('register ') && d.what.startsWith('register ')) || reported.has(d.name)) return;
    reported.add(d.name);
    c.error(d.path, `${d.what} is also ${first.what} (at ${pathText(first.path)}): each name the generated files define must be defined once`);
  });

  // A moved register's value lives in a variable named after it: it must not shadow a routine's
  // parameters or the model's own names.
  const tsNames = new Set(defs.filter((d) => d.ts).map((d) => d.name));
  const moved: [string, Path][] = [
    ...registers.filter((r) => r.policy !== 'external').map((r): [string, Path] => [r.access, ['registers', raw.registers.findIndex((x) => x.name === r.name), r.access === r.name ? 'name' : 'access']]),
    ...banks.flatMap((b) => Array.from({ length: b.max }, (_, n): [string, Path] => [bankRegisterName(b, n), ['banks', raw.banks.findIndex((x) => x.name === b.pattern), 'name']])),
  ];
  // Each system register is switched by one slot: two slots reading one register would also
  // give the model two variables of one name.
  const seenVar = new Map<string, string>();
  for (const [reg, path] of moved) {
    const v = reg.toLowerCase();
    if (!IDENTIFIER.test(reg)) continue;
    const owner = pathText(path.slice(0, 2));
    const prev = seenVar.get(v);
    if (prev !== undefined) {
      // Two slots of one name are reported as a name defined twice; here, an access that repeats one.
      const viaAccess = path[path.length - 1] === 'access' || moved.some(([r, q]) => r.toLowerCase() === v && q[q.length - 1] === 'access');
      if (prev !== owner && viaAccess) c.error(path, `${owner} switches ${reg}, which ${prev} switches too: each register is saved and restored by one slot`);
      continue;
    }
    seenVar.set(v, owner);
    if (JS_RESERVED.has(v) || TS_LOCAL_NAMES.has(v) || TS_MODEL_NAMES.has(v) || tsNames.has(v)) {
      c.error(path, `register ${reg}: the generated TypeScript names its value ${v}, which is reserved there`);
    }
  }
}

function validateRoles(c: Checker, r: RawTable['roles']): Roles | undefined {
  const before = c.out.length;
  const one = (k: keyof RawTable['roles']): number => gpr(c, ['roles', k], r[k] as string) ?? -1;
  const many = (k: keyof RawTable['roles']): number[] => gprRange(c, ['roles', k], r[k] as string) ?? [];
  const list = (k: 'skip' | 'dirty'): number[] => r[k].map((t, i) => gpr(c, ['roles', k, i], t) ?? -1);
  const roles: Roles = {
    vcpu: one('vcpu'),
    context: one('context'),
    base: one('base'),
    values: many('values'),
    aarch32Values: many('aarch32_values'),
    aarch32Tmp: one('aarch32_tmp'),
    bankValues: many('bank_values'),
    lazyValue: one('lazy_value'),
    id: one('id'),
    skip: list('skip'),
    branch: one('branch'),
    flagsTmp: one('flags_tmp'),
    dirty: list('dirty'),
  };
  if (c.out.length > before) return undefined;
  if (roles.dirty.length !== 2) c.error(['roles', 'dirty'], `roles.dirty needs exactly 2 registers, has ${roles.dirty.length}`);

  // Registers each macro needs to stay distinct. (branch may equal id: the ID value is dead
  // once its fields are extracted, which is what the seed relies on with x26.)
  const mustDiffer: [keyof RawTable['roles'], number[], keyof RawTable['roles'], number[]][] = [];
  const pin = (k: keyof RawTable['roles'], v: number | number[]): [keyof RawTable['roles'], number[]] => [k, Array.isArray(v) ? v : [v]];
  const groups: [keyof RawTable['roles'], number[]][][] = [
    // save_debug / restore_debug
    [pin('vcpu', roles.vcpu), pin('context', roles.context), pin('base', roles.base), pin('bank_values', roles.bankValues), pin('skip', roles.skip), pin('branch', roles.branch), pin('lazy_value', roles.lazyValue)],
    [pin('context', roles.context), pin('id', roles.id), pin('skip', roles.skip)],
    // save_sysregs / restore_sysregs
    [pin('context', roles.context), pin('base', roles.base), pin('values', roles.values)],
    // 32-bit guest registers
    [pin('vcpu', roles.vcpu), pin('context', roles.context), pin('base', roles.base), pin('aarch32_values', roles.aarch32Values), pin('aarch32_tmp', roles.aarch32Tmp)],
    // entry/exit sequences
    [pin('vcpu', roles.vcpu), pin('context', roles.context), pin('dirty', roles.dirty)],
    [pin('vcpu', roles.vcpu), pin('context', roles.context), pin('flags_tmp', roles.flagsTmp)],
  ];
  for (const g of groups) {
    for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) mustDiffer.push([g[i]![0], g[i]![1], g[j]![0], g[j]![1]]);
  }
  const reported = new Set<string>();
  for (const [ka, a, kb, b] of mustDiffer) {
    const shared = a.find((x) => b.includes(x));
    const key = `${ka}/${kb}`;
    if (shared !== undefined && !reported.has(key)) {
      reported.add(key);
      c.error(['roles', kb], `roles.${kb} uses x${shared}, which roles.${ka} also uses`);
    }
  }
  for (const k of Object.keys(r) as (keyof RawTable['roles'])[]) {
    const v = roles[camel(k)];
    if ((Array.isArray(v) ? v : [v]).includes(30)) c.error(['roles', k], `roles.${k} uses x30, which bl overwrites`);
  }
  if (roles.dirty.length === 2 && roles.dirty[0] === roles.dirty[1]) c.error(['roles', 'dirty'], 'roles.dirty needs two different registers');
  return c.out.length > before ? undefined : roles;
}

function camel(k: string): keyof Roles {
  return k.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase()) as keyof Roles;
}

export function validateCpus(src: YamlSource, raw: RawCpuFile, table: Table): { cpus?: CpuFile; diagnostics: Diagnostic[] } {
  const c = new Checker(src);
  const idRegs = new Set(table.idFields.map((f) => f.register));
  const seen = new Map<string, number>();
  const idents = new Map<string, string>();
  const cpus: CpuModel[] = [];
  raw.cpus.forEach((entry, i) => {
    const p = ['cpus', i];
    const { name, qemu, ...ids } = entry;
    const ident = cpuModuleIdent(name);
    if (!CPU_NAME.test(name)) c.error([...p, 'name'], `CPU name ${JSON.stringify(name)} must be lower-case letters, digits, '-' and '_'`);
    else if (seen.has(name)) c.error([...p, 'name'], `CPU ${name} is defined twice (first at cpus[${seen.get(name)}])`);
    // Its TypeScript model is ts/<name>.ts, bound as cpuModuleIdent(name) in ts/index.ts.
    else if (name === TS_INDEX_NAME) c.error([...p, 'name'], `CPU name ${name} is taken by the models' index (ts/index.ts)`);
    // ... and a file name, which file systems limit (255 bytes, less the temporary file's suffix).
    else if (name.length > MAX_CPU_NAME) c.error([...p, 'name'], `CPU name ${name.slice(0, 20)}… is ${name.length} characters long; at most ${MAX_CPU_NAME}, as it names a file`);
    else if (!IDENTIFIER.test(ident) || JS_RESERVED.has(ident) || TS_MODEL_NAMES.has(ident)) {
      c.error([...p, 'name'], `CPU name ${name} cannot name its TypeScript model (${JSON.stringify(ident)} is ${IDENTIFIER.test(ident) ? 'reserved' : 'not an identifier'}): use words joined by single '-' or '_'`);
    } else if (idents.has(ident)) c.error([...p, 'name'], `CPU name ${name} and ${idents.get(ident)} both name their TypeScript model ${ident}`);
    seen.set(name, i);
    if (!idents.has(ident)) idents.set(ident, name);
    if (qemu !== undefined && !CPU_NAME.test(qemu)) c.error([...p, 'qemu'], `QEMU CPU name ${JSON.stringify(qemu)} must be lower-case letters, digits, '-' and '_'`);
    const model: CpuModel = { name, idRegisters: {} };
    if (qemu !== undefined) model.qemu = qemu;
    for (const [reg, value] of Object.entries(ids)) {
      if (!idRegs.has(reg)) {
        c.out.push({ ...c.src.diag([...p, reg], `unknown key '${reg}': not an ID register the table's id_fields read (${[...idRegs].join(', ')})`, 'error', true) });
        continue;
      }
      if (value < 0n || value >= 1n << 64n) {
        c.error([...p, reg], `${reg} value ${value} is not a 64-bit unsigned integer`);
        continue;
      }
      model.idRegisters[reg] = value;
    }
    for (const reg of idRegs) if (!(reg in ids)) c.error(p, `CPU ${name} has no ${reg} value`);
    const reported = new Set<string>();
    for (const bank of table.banks) checkCount(c, [...p, bank.count.register], model, bank, reported);
    cpus.push(model);
  });
  return c.out.some((d) => d.severity === 'error') ? { diagnostics: c.out } : { cpus: { source: src.file, cpus }, diagnostics: c.out };
}

function checkCount(c: Checker, path: Path, cpu: CpuModel, bank: RegisterBank, reported: Set<string>): void {
  const f = bank.count;
  if (!(f.register in cpu.idRegisters)) return;
  const n = countFor(cpu, f);
  const key = `${cpu.name}/${f.name}`;
  if ((n < 1 || n > bank.max) && !reported.has(key)) {
    reported.add(key);
    c.error(path, `CPU ${cpu.name}: ${f.register}.${f.name} = ${fieldValue(cpu, f)} gives ${n} registers for ${bank.pattern}, outside 1..${bank.max}`);
  }
}

export type { SysRegister };
