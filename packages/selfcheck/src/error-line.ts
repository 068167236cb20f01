// The verifier log's error sentence, as the kernel's probe reports it (probe_verifier.py's
// `error`) and selfcheck and the kernel-agreement tests compare it.

/** The line before "processed N insns" (a message without a newline shares that line). */
export function errorLine(log: string): string {
  const lines = log.split('\n');
  const i = lines.findIndex((l) => /processed \d+ insns \(limit/.test(l));
  if (i < 0) return '';
  const head = lines[i]!.replace(/processed \d+ insns \(limit.*$/, '');
  return head || (lines[i - 1] ?? '');
}
