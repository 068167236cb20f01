// Tokens of LLVM's BPF assembly syntax, with their columns for error messages.

export type TokenKind = 'ident' | 'number' | 'punct' | 'string' | 'eol';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based column of the token's first character. */
  column: number;
}

// Longest first, so `<<=` wins over `<<` and `<`.
const PUNCT = ['<<=', '>>=', '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=', '==', '!=', '>=', '<=', '>', '<', '=', '+', '-', '*', '(', ')', '[', ']', ',', ':', '&'];
// `s` glued to one of these is the signed form of the operator: `s>>=`, `s/=`, `s<=`, …
const SIGNED_FOLLOWERS = ['>>=', '/=', '%=', '>=', '<=', '>', '<'];

export class LexError extends Error {
  constructor(
    readonly column: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Splits one source line into statements (LLVM separates statements with `;`) of tokens.
 * Comments start with `#` or `//`.
 */
export function tokenizeLine(line: string): Token[][] {
  const statements: Token[][] = [];
  let cur: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && line[i + 1] === '/')) break;
    if (c === ';') {
      statements.push(cur);
      cur = [];
      i++;
      continue;
    }
    const column = i + 1;
    if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new LexError(column, 'unterminated string');
      cur.push({ kind: 'string', text: line.slice(i + 1, end), column });
      i = end + 1;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)/.exec(line.slice(i))!;
      const after = line[i + m[0].length];
      if (after !== undefined && /[A-Za-z_]/.test(after)) throw new LexError(column, `malformed number '${line.slice(i).split(/[\s,)\]]/)[0]}'`);
      cur.push({ kind: 'number', text: m[0], column });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_.$]/.test(c)) {
      const m = /^[A-Za-z_.$][A-Za-z0-9_.$]*/.exec(line.slice(i))!;
      if (m[0] === 's') {
        const follower = SIGNED_FOLLOWERS.find((f) => line.startsWith(f, i + 1));
        if (follower) {
          cur.push({ kind: 'punct', text: 's' + follower, column });
          i += 1 + follower.length;
          continue;
        }
      }
      cur.push({ kind: 'ident', text: m[0], column });
      i += m[0].length;
      continue;
    }
    const p = PUNCT.find((q) => line.startsWith(q, i));
    if (!p) throw new LexError(column, `unexpected character '${c}'`);
    cur.push({ kind: 'punct', text: p, column });
    i += p.length;
  }
  statements.push(cur);
  return statements.filter((s) => s.length > 0);
}
