// Sequence-space arithmetic (include/net/tcp.h: before(), after(), between()). Sequence
// numbers are kept as int32 (`| 0`), not u32: an int32 is a small integer to V8, stored in
// the socket unboxed, while a u32 above 2^31 is a heap number (16 bytes more per field in
// every socket: bench/net holds an idle connection to 2 KiB). The wire writes the same bits.

/** seq1 before seq2, mod 2^32. */
export const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
/** seq1 after seq2. */
export const after = (a: number, b: number): boolean => ((a - b) | 0) > 0;
/** seq1 at or before seq2. */
export const beforeEq = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
/** seq + n, as int32. */
export const seqAdd = (a: number, n: number): number => (a + n) | 0;
/** a - b in sequence space (signed). */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
/** A sequence number as the socket keeps it (int32) from a wire value (u32). */
export const seqOf = (wire: number): number => wire | 0;
