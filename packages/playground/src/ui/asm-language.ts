// Syntax highlighting for BPF in the LLVM assembly syntax (what `llvm-objdump -d` prints
// and bpfsim's assembler reads): registers, numbers, helper calls, jumps, sizes, labels,
// directives and comments, as a CodeMirror stream language.
import { HighlightStyle, StreamLanguage } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import type { StringStream } from '@codemirror/language';

const KEYWORDS = new Set(['if', 'goto', 'call', 'exit', 'callx', 'gotol', 'may_goto', 'lock', 'll', 'be16', 'be32', 'be64', 'le16', 'le32', 'le64', 'bswap16', 'bswap32', 'bswap64', 'atomic_fetch_add', 'atomic_fetch_and', 'atomic_fetch_or', 'atomic_fetch_xor', 'xchg_64', 'cmpxchg_64', 'xchg32_32', 'cmpxchg32_32', 'load_acquire', 'store_release', 'addr_space_cast']);
const TYPES = /^(u8|u16|u32|u64|s8|s16|s32|s64)\b/;

export const bpfAsm = StreamLanguage.define<{ atLineStart: boolean }>({
  name: 'bpf-asm',
  startState: () => ({ atLineStart: true }),
  token(stream: StringStream, state) {
    if (stream.sol()) state.atLineStart = true;
    if (stream.eatSpace()) return null;
    if (stream.match('//') || stream.match(/^#(?!\s*\d)/) || stream.match(';')) {
      stream.skipToEnd();
      return 'comment';
    }
    const first = state.atLineStart;
    state.atLineStart = false;
    // An object listing's "  12: " instruction index.
    if (first && stream.match(/^\d+:/)) return 'lineComment';
    if (first && stream.match(/^\.[A-Za-z_]+/)) return 'meta';
    if (first && stream.match(/^[A-Za-z_.$][\w.$]*:/)) return 'labelName';
    if (stream.match(/^[rw](10|[0-9])\b/)) return 'variableName';
    if (stream.match(/^-?0x[0-9a-fA-F]+/) || stream.match(/^-?\d+/)) return 'number';
    if (stream.match(TYPES)) return 'typeName';
    if (stream.match(/^"([^"\\]|\\.)*"/)) return 'string';
    const word = stream.match(/^[A-Za-z_][\w]*/) as RegExpMatchArray | null;
    if (word) {
      if (KEYWORDS.has(word[0])) return 'keyword';
      if (/^bpf_/.test(word[0])) return 'function(variableName)';
      return 'name';
    }
    if (stream.match(/^(<<=|>>=|s>>=|[+\-*/%&|^]=|[=!<>]=|s?[<>]=?|[=&*+\-()])/)) return 'operator';
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '//' } },
});

/** Token colours at WCAG AA contrast (4.5:1 or better) on white and on the marked lines. */
export const bpfAsmHighlight = HighlightStyle.define([
  { tag: t.comment, color: '#6b4400' },
  { tag: t.lineComment, color: '#4a5361' },
  { tag: t.keyword, color: '#6f2da8', fontWeight: '600' },
  { tag: t.variableName, color: '#0a4f96' },
  { tag: t.function(t.variableName), color: '#0a4f96', fontWeight: '600' },
  { tag: t.number, color: '#0f5a25' },
  { tag: t.typeName, color: '#005566' },
  { tag: t.labelName, color: '#9a0d24', fontWeight: '600' },
  { tag: t.meta, color: '#4a5361' },
  { tag: t.string, color: '#0f5a25' },
]);
