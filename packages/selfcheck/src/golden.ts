// The recorded verdicts of the live kernel's verifier: the shape of data/kernel-verifier.json
// (the corpus, recorded by packages/verifier/test/verifier.kernel.test.ts) and of what
// scripts/kernel/probe_verifier.py prints for each program it loads.

/** One case's result from probe_verifier.py. */
export interface ProbeResult {
  id: string;
  accepted: boolean;
  /** errno name of the failed BPF_PROG_LOAD (EACCES, EINVAL, …). */
  errno?: string;
  /** The last log line before "processed N insns…" ("" when the load failed before any log). */
  error?: string;
  insnProcessed: number;
  logTail: string[];
  /** A map of the case could not be created; the program was not loaded. */
  setupError?: string;
}

/** What the kernel said about a case. */
export interface KernelVerdict {
  accepted: boolean;
  errno?: string;
  error?: string;
  insnProcessed: number;
}

export interface VerifierGoldenCase {
  id: string;
  category: string;
  progType: 'xdp' | 'socket_filter';
  /** expected_attach_type given at load. */
  attachType: number;
  /** The license string given at load, when not "GPL". */
  license?: string;
  asm: string;
  /** Hex of the instructions as assembled (maps referenced as BPF_PSEUDO_MAP_IDX[_VALUE]). */
  insns: string;
  maps: { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number }[];
  kernel: KernelVerdict;
}

export interface VerifierGolden {
  recordedBy: string;
  /** os.release() of the recording machine. */
  kernel: string;
  cases: VerifierGoldenCase[];
}
