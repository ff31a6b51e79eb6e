// Integer expressions, as the C preprocessor evaluates `#if` and as GNU as evaluates operands.
//
// Values are 64-bit two's complement (BigInt.asIntN(64) after every operation). The two modes differ
// where the tools differ:
// - precedence: `cpp` uses C's; `gas` uses GNU as's (`* / % << >>` bind tightest, then `| & ^`,
//   then `+ -`, then comparisons, then `&&`, then `||`; LLVM's GNU-mode parser agrees), so
//   `1 + 2 << 3` is 24 in cpp and 17 in gas;
// - comparisons yield 1 in cpp and -1 in gas;
// - `>>` is arithmetic in cpp (intmax_t) and logical in gas;
// - cpp accepts the integer suffixes u/l/ul/ull and the ternary `?:`; gas resolves `.` and local
//   label references (`1f`, `2b`) through the context.

export type ExprMode = 'cpp' | 'gas';

export interface ExprContext {
  mode: ExprMode;
  /** Value of an identifier; undefined means "not defined" (an error in gas, 0 in cpp). */
  resolve?(name: string): bigint | undefined;
  /** Address of local label `n` searched forwards (`f`) or backwards (`b`), gas only. */
  resolveLocal?(n: string, dir: 'f' | 'b'): bigint | undefined;
  /** Value of `.` (the current location), gas only. */
  dot?: bigint;
}

/** An expression error; `offset` is the 0-based position in the expression text. */
export class ExprError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ExprError';
  }
}

type Tok =
  | { k: 'num'; v: bigint; at: number }
  | { k: 'id'; v: string; at: number }
  | { k: 'local'; n: string; dir: 'f' | 'b'; at: number }
  | { k: 'op'; v: string; at: number }
  | { k: 'end'; at: number };

const OPS = ['<<', '>>', '<=', '>=', '==', '!=', '<>', '&&', '||', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '(', ')', '?', ':'];

function tokenize(text: string, mode: ExprMode): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+(?![0-9a-zA-Z_])|[0-9]+)([a-zA-Z_0-9]*)/.exec(text.slice(i))!;
      const digits = m[1]!;
      const suffix = m[2]!;
      let value: bigint;
      if (/^0[xX]/.test(digits)) value = BigInt(digits);
      else if (/^0[bB]/.test(digits)) value = BigInt(digits);
      else if (digits.length > 1 && digits.startsWith('0')) {
        if (!/^[0-7]+$/.test(digits)) throw new ExprError(`invalid octal number '${digits}'`, i);
        value = BigInt('0o' + digits.slice(1));
      } else value = BigInt(digits);
      if (suffix !== '') {
        if (mode === 'gas' && /^[0-9]+$/.test(digits) && (suffix === 'f' || suffix === 'b')) {
          toks.push({ k: 'local', n: digits, dir: suffix, at: i });
          i += m[0].length;
          continue;
        }
        if (mode === 'cpp' && /^(u|l|ul|lu|ll|ull|llu)$/i.test(suffix)) {
          // integer suffixes change nothing at 64 bits
        } else {
          throw new ExprError(`invalid number '${m[0]}'`, i);
        }
      }
      toks.push({ k: 'num', v: value, at: i });
      i += m[0].length;
      continue;
    }
    const idm = (mode === 'gas' ? /^[A-Za-z_.$][A-Za-z0-9_.$]*/ : /^[A-Za-z_][A-Za-z0-9_]*/).exec(text.slice(i));
    if (idm) {
      toks.push({ k: 'id', v: idm[0], at: i });
      i += idm[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw new ExprError(`unexpected character '${c}' in expression`, i);
    toks.push({ k: 'op', v: op, at: i });
    i += op.length;
  }
  toks.push({ k: 'end', at: text.length });
  return toks;
}

// Binary operator precedence (higher binds tighter).
const CPP_PREC: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6,
  '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};
const GAS_PREC: Record<string, number> = {
  '||': 1, '&&': 2, '==': 3, '!=': 3, '<>': 3, '<': 3, '>': 3, '<=': 3, '>=': 3,
  '+': 4, '-': 4, '|': 5, '&': 5, '^': 5, '*': 6, '/': 6, '%': 6, '<<': 6, '>>': 6,
};

const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);

class Parser {
  private pos = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly ctx: ExprContext,
  ) {}

  private peek(): Tok {
    return this.toks[this.pos]!;
  }

  parseAll(): bigint {
    const v = this.parseTernary();
    const t = this.peek();
    if (t.k !== 'end') throw new ExprError(`unexpected '${tokText(t)}' in expression`, t.at);
    return v;
  }

  private parseTernary(): bigint {
    const cond = this.parseBinary(1);
    const t = this.peek();
    if (this.ctx.mode === 'cpp' && t.k === 'op' && t.v === '?') {
      this.pos++;
      const a = this.parseTernary();
      const colon = this.peek();
      if (!(colon.k === 'op' && colon.v === ':')) throw new ExprError(`expected ':' in conditional expression`, colon.at);
      this.pos++;
      const b = this.parseTernary();
      return cond !== 0n ? a : b;
    }
    return cond;
  }

  private parseBinary(minPrec: number): bigint {
    let lhs = this.parseUnary();
    const table = this.ctx.mode === 'cpp' ? CPP_PREC : GAS_PREC;
    for (;;) {
      const t = this.peek();
      if (t.k !== 'op') return lhs;
      const prec = table[t.v];
      if (prec === undefined || prec < minPrec) return lhs;
      this.pos++;
      const rhs = this.parseBinary(prec + 1);
      lhs = this.apply(t.v, lhs, rhs, t.at);
    }
  }

  private apply(op: string, a: bigint, b: bigint, at: number): bigint {
    const truth = this.ctx.mode === 'gas' ? -1n : 1n;
    const cmp = (x: boolean): bigint => (x ? truth : 0n);
    switch (op) {
      case '+': return wrap(a + b);
      case '-': return wrap(a - b);
      case '*': return wrap(a * b);
      case '/':
        if (b === 0n) throw new ExprError('division by zero', at);
        return wrap(a / b);
      case '%':
        if (b === 0n) throw new ExprError('division by zero', at);
        return wrap(a % b);
      case '<<': return b < 0n || b >= 64n ? 0n : wrap(a << b);
      case '>>':
        if (this.ctx.mode === 'gas') return b < 0n || b >= 64n ? 0n : wrap(BigInt.asUintN(64, a) >> b);
        return b < 0n ? 0n : a >> (b >= 64n ? 63n : b);
      case '&': return a & b;
      case '|': return a | b;
      case '^': return a ^ b;
      case '==': return cmp(a === b);
      case '!=': case '<>': return cmp(a !== b);
      case '<': return cmp(a < b);
      case '>': return cmp(a > b);
      case '<=': return cmp(a <= b);
      case '>=': return cmp(a >= b);
      case '&&': return a !== 0n && b !== 0n ? 1n : 0n;
      case '||': return a !== 0n || b !== 0n ? 1n : 0n;
      default: throw new ExprError(`unsupported operator '${op}'`, at);
    }
  }

  private parseUnary(): bigint {
    const t = this.peek();
    if (t.k === 'op') {
      switch (t.v) {
        case '-': this.pos++; return wrap(-this.parseUnary());
        case '+': this.pos++; return this.parseUnary();
        case '~': this.pos++; return wrap(~this.parseUnary());
        case '!': this.pos++; return this.parseUnary() === 0n ? 1n : 0n;
        case '(': {
          this.pos++;
          const v = this.parseTernary();
          const close = this.peek();
          if (!(close.k === 'op' && close.v === ')')) throw new ExprError(`expected ')'`, close.at);
          this.pos++;
          return v;
        }
        default: throw new ExprError(`unexpected '${t.v}' in expression`, t.at);
      }
    }
    this.pos++;
    switch (t.k) {
      case 'num': return wrap(t.v);
      case 'local': {
        const v = this.ctx.resolveLocal?.(t.n, t.dir);
        if (v === undefined) {
          const what = t.dir === 'f' ? 'no later' : 'no earlier';
          throw new ExprError(`local label reference '${t.n}${t.dir}': ${what} definition of label '${t.n}'`, t.at);
        }
        return wrap(v);
      }
      case 'id': {
        if (t.v === '.' && this.ctx.mode === 'gas') {
          if (this.ctx.dot === undefined) throw new ExprError(`'.' is not available here`, t.at);
          return wrap(this.ctx.dot);
        }
        const v = this.ctx.resolve?.(t.v);
        if (v !== undefined) return wrap(v);
        if (this.ctx.mode === 'cpp') return 0n;
        throw new ExprError(`undefined symbol '${t.v}' in expression`, t.at);
      }
      case 'end': throw new ExprError('expected an expression', t.at);
    }
  }
}

function tokText(t: Tok): string {
  switch (t.k) {
    case 'num': return t.v.toString();
    case 'id': return t.v;
    case 'local': return t.n + t.dir;
    case 'op': return t.v;
    case 'end': return 'end of expression';
  }
}

/** Evaluate `text`; throws ExprError (with the offset of the problem) on any error. */
export function evalExpr(text: string, ctx: ExprContext): bigint {
  if (text.trim() === '') throw new ExprError('expected an expression', 0);
  return new Parser(tokenize(text, ctx.mode), ctx).parseAll();
}
