// Small error classes with stable codes (as vitest and Node do), so callers branch on
// `err.code`, never on message text.

/** Base class of every error the isa package throws. */
export class IsaError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bytes or instruction fields that are not a valid eBPF encoding. */
export class DecodeError extends IsaError {
  /** Instruction index (8-byte slot) at fault, or -1 when the whole input is at fault. */
  readonly index: number;
  readonly reason: string;
  constructor(index: number, reason: string) {
    super('ERR_BPF_DECODE', index >= 0 ? `insn ${index}: ${reason}` : reason);
    this.index = index;
    this.reason = reason;
  }
}

/** Assembly text that does not assemble; the message is `file:line:column: reason`. */
export class AsmError extends IsaError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(file: string, line: number, column: number, reason: string) {
    super('ERR_BPF_ASM', `${file}:${line}:${column}: ${reason}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}
