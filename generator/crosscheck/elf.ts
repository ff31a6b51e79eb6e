// A small reader for the ELF64 little-endian AArch64 files that GNU as, llvm-mc and GNU ld
// produce: section headers, symbols, RELA relocations and the DWARF line table. Only what the
// cross-check needs, and every structural surprise is an error naming the file and the offset.

const EM_AARCH64 = 183;
const SHT_SYMTAB = 2;
const SHT_RELA = 4;
const SHT_NOBITS = 8;
export const SHF_ALLOC = 0x2n;
export const SHF_EXECINSTR = 0x4n;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  /** STT_* (0 notype, 1 object, 2 func, 3 section, 4 file). */
  type: number;
  /** STB_* (0 local, 1 global, 2 weak). */
  bind: number;
  /** Section index the symbol is defined in (0 = undefined, >= 0xff00 = special). */
  shndx: number;
}

export interface ElfRelocation {
  offset: bigint;
  type: number;
  symbol: ElfSymbol;
  addend: bigint;
}

/** AArch64 relocation type names for the ones an assembler emits into code and debug info. */
const AARCH64_RELOC_NAMES: Record<number, string> = {
  0: 'R_AARCH64_NONE',
  257: 'R_AARCH64_ABS64',
  258: 'R_AARCH64_ABS32',
  259: 'R_AARCH64_ABS16',
  260: 'R_AARCH64_PREL64',
  261: 'R_AARCH64_PREL32',
  274: 'R_AARCH64_ADR_PREL_LO21',
  275: 'R_AARCH64_ADR_PREL_PG_HI21',
  277: 'R_AARCH64_ADD_ABS_LO12_NC',
  273: 'R_AARCH64_LD_PREL_LO19',
  279: 'R_AARCH64_TSTBR14',
  280: 'R_AARCH64_CONDBR19',
  282: 'R_AARCH64_JUMP26',
  283: 'R_AARCH64_CALL26',
  286: 'R_AARCH64_LDST64_ABS_LO12_NC',
};

export function relocationTypeName(type: number): string {
  return AARCH64_RELOC_NAMES[type] ?? `R_AARCH64_${type}`;
}

export class ElfFile {
  readonly sections: ElfSection[];
  readonly symbols: ElfSymbol[];
  readonly entry: bigint;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, readonly path = '<memory>') {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw this.error(0, 'not an ELF file');
    }
    if (bytes[4] !== 2 || bytes[5] !== 1) throw this.error(4, 'not ELF64 little-endian');
    const machine = this.view.getUint16(18, true);
    if (machine !== EM_AARCH64) throw this.error(18, `e_machine ${machine} is not EM_AARCH64 (${EM_AARCH64})`);
    this.entry = this.view.getBigUint64(24, true);
    const shoff = Number(this.view.getBigUint64(40, true));
    const shentsize = this.view.getUint16(58, true);
    const shnum = this.view.getUint16(60, true);
    const shstrndx = this.view.getUint16(62, true);
    if (shentsize !== 64) throw this.error(58, `e_shentsize ${shentsize}, expected 64`);
    if (shoff + shnum * 64 > bytes.length) throw this.error(40, 'section header table runs past the end of the file');
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * 64;
      raw.push({
        index: i,
        nameOff: this.view.getUint32(o, true),
        type: this.view.getUint32(o + 4, true),
        flags: this.view.getBigUint64(o + 8, true),
        addr: this.view.getBigUint64(o + 16, true),
        offset: Number(this.view.getBigUint64(o + 24, true)),
        size: Number(this.view.getBigUint64(o + 32, true)),
        link: this.view.getUint32(o + 40, true),
        info: this.view.getUint32(o + 44, true),
        entsize: Number(this.view.getBigUint64(o + 56, true)),
      });
    }
    const strtab = raw[shstrndx];
    if (!strtab) throw this.error(62, `e_shstrndx ${shstrndx} out of range`);
    this.sections = raw.map((s) => ({
      index: s.index,
      name: this.cString(strtab.offset + s.nameOff),
      type: s.type,
      flags: s.flags,
      addr: s.addr,
      offset: s.offset,
      size: s.size,
      link: s.link,
      info: s.info,
      entsize: s.entsize,
    }));
    for (const s of this.sections) {
      if (s.type !== SHT_NOBITS && s.offset + s.size > bytes.length) {
        throw this.error(s.offset, `section ${s.name} runs past the end of the file`);
      }
    }
    this.symbols = this.readSymbols();
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  sectionBytes(section: ElfSection): Uint8Array {
    if (section.type === SHT_NOBITS) return new Uint8Array(section.size);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  /** Executable sections that occupy memory, in section-header order. */
  codeSections(): ElfSection[] {
    return this.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0n && (s.flags & SHF_ALLOC) !== 0n && s.size > 0);
  }

  /** Little-endian 32-bit words of a code section (A64 instructions are always little-endian words). */
  words(section: ElfSection): Uint32Array {
    const bytes = this.sectionBytes(section);
    if (bytes.length % 4 !== 0) throw this.error(section.offset, `section ${section.name} size ${bytes.length} is not a multiple of 4`);
    const out = new Uint32Array(bytes.length / 4);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = dv.getUint32(i * 4, true);
    return out;
  }

  /** RELA relocations that apply to the given section. */
  relocationsFor(target: ElfSection): ElfRelocation[] {
    const out: ElfRelocation[] = [];
    for (const rs of this.sections) {
      if (rs.type !== SHT_RELA || rs.info !== target.index) continue;
      const symtab = this.sections[rs.link];
      if (!symtab || symtab.type !== SHT_SYMTAB) throw this.error(rs.offset, `${rs.name} does not link to a symbol table`);
      for (let o = rs.offset; o < rs.offset + rs.size; o += 24) {
        const info = this.view.getBigUint64(o + 8, true);
        const symIndex = Number(info >> 32n);
        const symbol = this.symbols[symIndex];
        if (!symbol) throw this.error(o, `relocation names symbol ${symIndex}, which does not exist`);
        out.push({
          offset: this.view.getBigUint64(o, true),
          type: Number(info & 0xffffffffn),
          symbol,
          addend: this.view.getBigInt64(o + 16, true),
        });
      }
    }
    return out.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  }

  /** The named symbol's value (first match), or undefined. */
  symbolValue(name: string): bigint | undefined {
    return this.symbols.find((s) => s.name === name && s.shndx !== 0)?.value;
  }

  /** The closest preceding function/notype symbol for an address in a linked image, as "name+0xoff". */
  describeAddress(addr: bigint): string {
    let best: ElfSymbol | undefined;
    for (const s of this.symbols) {
      if (s.shndx === 0 || s.shndx >= 0xff00 || s.type === 3 || s.type === 4 || s.name === '' || s.name.startsWith('$')) continue;
      if (s.value <= addr && (!best || s.value > best.value)) best = s;
    }
    if (!best) return `0x${addr.toString(16)}`;
    const off = addr - best.value;
    return off === 0n ? best.name : `${best.name}+0x${off.toString(16)}`;
  }

  private readSymbols(): ElfSymbol[] {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return [];
    const strtab = this.sections[symtab.link];
    if (!strtab) throw this.error(symtab.offset, '.symtab links to a missing string table');
    const out: ElfSymbol[] = [];
    for (let o = symtab.offset; o < symtab.offset + symtab.size; o += 24) {
      const info = this.bytes[o + 4]!;
      out.push({
        name: this.cString(strtab.offset + this.view.getUint32(o, true)),
        type: info & 0xf,
        bind: info >> 4,
        shndx: this.view.getUint16(o + 6, true),
        value: this.view.getBigUint64(o + 8, true),
        size: this.view.getBigUint64(o + 16, true),
      });
    }
    return out;
  }

  cString(offset: number): string {
    let end = offset;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    return Buffer.from(this.bytes.subarray(offset, end)).toString('utf8');
  }

  error(offset: number, message: string): Error {
    return new Error(`${this.path}: offset 0x${offset.toString(16)}: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// DWARF .debug_line (versions 2 to 5), enough to map an instruction address to file:line.

export interface LineRow {
  /** Section the address belongs to (relocatable objects), or undefined in a linked image. */
  sectionIndex?: number;
  address: bigint;
  file: string;
  line: number;
  /** The row that closes a sequence: its address is one past the last instruction. */
  endSequence?: boolean;
}

const DW_FORM_block = 0x09;
const DW_FORM_block1 = 0x0a;
const DW_FORM_data1 = 0x0b;
const DW_FORM_data2 = 0x05;
const DW_FORM_data4 = 0x06;
const DW_FORM_data8 = 0x07;
const DW_FORM_data16 = 0x1e;
const DW_FORM_string = 0x08;
const DW_FORM_strp = 0x0e;
const DW_FORM_line_strp = 0x1f;
const DW_FORM_udata = 0x0f;
const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

/**
 * Decode every line-number program in .debug_line. Relocations against it (in a `.o`, the
 * DW_LNE_set_address operands point at a section symbol plus an addend, and DWARF 5 string
 * offsets point into .debug_line_str) are applied while reading.
 */
export function readLineTable(elf: ElfFile): LineRow[] {
  const sec = elf.section('.debug_line');
  if (!sec) return [];
  const data = elf.sectionBytes(sec);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const relocs = new Map<number, ElfRelocation>();
  for (const r of elf.relocationsFor(sec)) relocs.set(Number(r.offset), r);
  const lineStr = elf.section('.debug_line_str');
  const str = elf.section('.debug_str');
  const stringAt = (s: ElfSection | undefined, off: number): string => {
    if (!s) throw elf.error(sec.offset, 'DWARF string form used but the string section is missing');
    return elf.cString(s.offset + off);
  };
  const rows: LineRow[] = [];
  let p = 0;

  const u8 = () => dv.getUint8(p++);
  const u16 = () => { const v = dv.getUint16(p, true); p += 2; return v; };
  const u32 = () => { const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => { const v = dv.getBigUint64(p, true); p += 8; return v; };
  const uleb = () => {
    let result = 0n; let shift = 0n;
    for (;;) { const b = u8(); result |= BigInt(b & 0x7f) << shift; shift += 7n; if ((b & 0x80) === 0) return result; }
  };
  const sleb = () => {
    let result = 0n; let shift = 0n; let b: number;
    do { b = u8(); result |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    if (b & 0x40) result -= 1n << shift;
    return result;
  };
  const cstr = () => { const s = elf.cString(sec.offset + p); p += Buffer.byteLength(s) + 1; return s; };
  // A 4-byte string offset, with any relocation against it applied (RELA keeps 0 in place).
  const strOffset4 = () => {
    const at = p; const v = u32(); const r = relocs.get(at);
    return r ? Number(r.symbol.value + r.addend) : v;
  };

  while (p < data.length) {
    let unitLength = u32();
    if (unitLength === 0xffffffff) throw elf.error(sec.offset + p, '64-bit DWARF line tables are not supported');
    const unitEnd = p + unitLength;
    const version = u16();
    if (version < 2 || version > 5) throw elf.error(sec.offset + p, `DWARF line table version ${version} not supported`);
    if (version >= 5) { u8(); u8(); } // address_size, segment_selector_size
    const headerLength = u32();
    const programStart = p + headerLength;
    const minInstLength = u8();
    if (version >= 4) u8(); // maximum_operations_per_instruction
    const defaultIsStmt = u8() !== 0;
    const lineBase = dv.getInt8(p++);
    const lineRange = u8();
    const opcodeBase = u8();
    const stdLengths = [0];
    for (let i = 1; i < opcodeBase; i++) stdLengths.push(u8());
    const dirs: string[] = [];
    const files: string[] = [];
    if (version >= 5) {
      const readEntries = (): Array<Map<number, string | number>> => {
        const fmtCount = u8();
        const fmt: Array<[number, number]> = [];
        for (let i = 0; i < fmtCount; i++) fmt.push([Number(uleb()), Number(uleb())]);
        const count = Number(uleb());
        const out = [];
        for (let i = 0; i < count; i++) {
          const entry = new Map<number, string | number>();
          for (const [ct, form] of fmt) {
            let v: string | number;
            switch (form) {
              case DW_FORM_string: v = cstr(); break;
              case DW_FORM_line_strp: v = stringAt(lineStr, strOffset4()); break;
              case DW_FORM_strp: v = stringAt(str, strOffset4()); break;
              case DW_FORM_udata: v = Number(uleb()); break;
              case DW_FORM_data1: v = u8(); break;
              case DW_FORM_data2: v = u16(); break;
              case DW_FORM_data4: v = u32(); break;
              case DW_FORM_data8: v = Number(u64()); break;
              case DW_FORM_data16: p += 16; v = 0; break;
              case DW_FORM_block: p += Number(uleb()); v = 0; break;
              case DW_FORM_block1: p += u8(); v = 0; break;
              default: throw elf.error(sec.offset + p, `DWARF 5 line header form 0x${form.toString(16)} not supported`);
            }
            entry.set(ct, v);
          }
          out.push(entry);
        }
        return out;
      };
      for (const d of readEntries()) dirs.push(String(d.get(DW_LNCT_path) ?? ''));
      for (const f of readEntries()) {
        const name = String(f.get(DW_LNCT_path) ?? '');
        const dir = dirs[Number(f.get(DW_LNCT_directory_index) ?? 0)] ?? '';
        files.push(joinDwarfPath(dir, name));
      }
    } else {
      dirs.push('');
      for (let d = cstr(); d !== ''; d = cstr()) dirs.push(d);
      files.push(''); // DWARF < 5 numbers files from 1
      for (let f = cstr(); f !== ''; f = cstr()) {
        const dirIndex = Number(uleb()); uleb(); uleb();
        files.push(joinDwarfPath(dirs[dirIndex] ?? '', f));
      }
    }
    p = programStart;

    let address = 0n; let sectionIndex: number | undefined; let file = 1; let line = 1; let isStmt = defaultIsStmt;
    const reset = () => { address = 0n; sectionIndex = undefined; file = 1; line = 1; isStmt = defaultIsStmt; };
    const emit = (endSequence = false) =>
      rows.push({ sectionIndex, address, file: files[file] ?? `<file ${file}>`, line, ...(endSequence ? { endSequence } : {}) });
    void isStmt;
    while (p < unitEnd) {
      const op = u8();
      if (op >= opcodeBase) {
        const adj = op - opcodeBase;
        address += BigInt(Math.floor(adj / lineRange) * minInstLength);
        line += lineBase + (adj % lineRange);
        emit();
        continue;
      }
      switch (op) {
        case 0: {
          const len = Number(uleb());
          const end = p + len;
          const sub = u8();
          if (sub === 1) { emit(true); reset(); }
          else if (sub === 2) {
            const at = p; address = u64();
            const r = relocs.get(at);
            if (r) { address = r.symbol.value + r.addend; sectionIndex = r.symbol.shndx; }
          }
          p = end;
          break;
        }
        case 1: emit(); break; // DW_LNS_copy
        case 2: address += uleb() * BigInt(minInstLength); break;
        case 3: line += Number(sleb()); break;
        case 4: file = Number(uleb()); break;
        case 5: uleb(); break;
        case 6: isStmt = !isStmt; break;
        case 7: break;
        case 8: address += BigInt(Math.floor((255 - opcodeBase) / lineRange) * minInstLength); break;
        case 9: address += BigInt(u16()); break;
        default: for (let i = 0; i < (stdLengths[op] ?? 0); i++) uleb();
      }
    }
    p = unitEnd;
  }
  return rows;
}

function joinDwarfPath(dir: string, name: string): string {
  if (name.startsWith('/') || dir === '') return name;
  return `${dir}/${name}`;
}

/** For each 4-byte word of a section, the source position of the line-table row covering it. */
export function lineForWords(rows: LineRow[], section: ElfSection, wordCount: number, relocatable: boolean): Array<{ file: string; line: number } | undefined> {
  const mine = rows
    .filter((r) => (relocatable ? (r.sectionIndex ?? section.index) === section.index : r.address >= section.addr && r.address <= section.addr + BigInt(section.size)))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const out: Array<{ file: string; line: number } | undefined> = new Array(wordCount).fill(undefined);
  const base = relocatable ? 0n : section.addr;
  for (let i = 0; i < mine.length; i++) {
    const row = mine[i]!;
    if (row.endSequence) continue;
    const next = mine[i + 1];
    const start = Number(row.address - base) / 4;
    const end = next ? Number(next.address - base) / 4 : start + 1;
    for (let w = Math.max(0, start); w < Math.min(end, wordCount); w++) out[w] = { file: row.file, line: row.line };
  }
  return out;
}
