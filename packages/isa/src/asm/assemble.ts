import { checkInsn, slotsAt } from '../validate';
import { parseLlvm } from './llvm';
import { parseUbpf } from './ubpf';
import type { AsmResult } from './unit';
import { AssemblyUnit } from './unit';

export type AsmSyntax = 'llvm' | 'ubpf';

export interface AsmOptions {
  /** Default: guessed from the text (`%r` registers mean uBPF). */
  syntax?: AsmSyntax;
  /** File name for error messages (default `<asm>`). */
  file?: string;
  /** Added to every reported line number, for assembly embedded in a larger file. */
  lineOffset?: number;
}

/** uBPF syntax names registers `%r1`; LLVM's never has a `%` before a register. */
export function detectSyntax(text: string): AsmSyntax {
  return /%r\d/.test(text.replace(/(#|\/\/).*$/gm, '')) ? 'ubpf' : 'llvm';
}

/**
 * Assembles a whole program. Throws an AsmError (`file:line:column: reason`) at the first
 * problem. Raw `.8byte` data that is not a valid instruction is kept and reported as a warning.
 */
export function assemble(text: string, options: AsmOptions = {}): AsmResult {
  const unit = new AssemblyUnit(options.file ?? '<asm>');
  const syntax = options.syntax ?? detectSyntax(text);
  if (syntax === 'ubpf') parseUbpf(unit, text, options.lineOffset ?? 0);
  else parseLlvm(unit, text, options.lineOffset ?? 0);
  const result = unit.finish();
  for (let i = 0; i < result.insns.length; i += slotsAt(result.insns, i)) {
    const why = checkInsn(result.insns, i);
    if (why !== undefined) result.warnings.push({ line: result.lines[i]!, column: 1, message: `slot ${i} is not a valid instruction: ${why}` });
  }
  return result;
}
