// What a simulated process runs: binaries mapped into its address space (struct
// vm_area_struct over a struct file) and the call stack it is in, so that stack helpers can
// walk it. Binaries are ELF objects with a GNU build id (NT_GNU_BUILD_ID), symbols and a
// page-cache state: build_id_parse_nofault() reads the note only when the page holding it
// is resident, otherwise a stack map falls back to the raw IP.

/** PAGE_SIZE on x86-64. */
export const PAGE_SIZE = 4096;

/** A function of a binary: its file offset and size (what a symbolizer maps back to). */
export interface SimSymbol {
  name: string;
  /** Offset of the function's first byte in the file. */
  offset: number;
  size: number;
}

/** An executable or library on the simulated disk. */
export interface SimBinary {
  path: string;
  /** The GNU build id (usually 20 bytes of SHA-1); absent: the file has no build-id note. */
  buildId?: Uint8Array;
  symbols: readonly SimSymbol[];
  /** Is the page with the build-id note in the page cache? (default: yes) */
  noteResident?: boolean;
}

/** A mapping of part of a binary (or anonymous memory) at [start, end). */
export interface Vma {
  start: bigint;
  end: bigint;
  /** vm_pgoff: the file offset of `start`, in pages. */
  pgoff: bigint;
  file?: SimBinary;
}

/** A process's address space (struct mm_struct, as far as stack walking needs it). */
export class MemoryMap {
  private vmas: Vma[] = [];

  /** Maps `length` bytes of `file` from file offset `pgoff` pages at `start` (mmap). */
  map(file: SimBinary | undefined, start: bigint, length: bigint, pgoff = 0n): Vma {
    if (start % BigInt(PAGE_SIZE) !== 0n) throw new RangeError(`a mapping starts on a page boundary, not 0x${start.toString(16)}`);
    const end = start + ((length + BigInt(PAGE_SIZE) - 1n) / BigInt(PAGE_SIZE)) * BigInt(PAGE_SIZE);
    if (this.vmas.some((v) => start < v.end && v.start < end)) throw new RangeError(`0x${start.toString(16)}-0x${end.toString(16)} overlaps a mapping`);
    const vma: Vma = { start, end, pgoff, ...(file ? { file } : {}) };
    this.vmas = [...this.vmas, vma].sort((a, b) => (a.start < b.start ? -1 : 1));
    return vma;
  }

  /** find_vma() as stack walking uses it: the mapping that contains `ip`. */
  find(ip: bigint): Vma | undefined {
    return this.vmas.find((v) => ip >= v.start && ip < v.end);
  }

  get mappings(): readonly Vma[] {
    return this.vmas;
  }
}

/** The address of `symbol` + `off` in `file` mapped by `vma` (for building call stacks). */
export function ipOf(vma: Vma, symbol: string, off = 0): bigint {
  const s = vma.file?.symbols.find((x) => x.name === symbol);
  if (!s) throw new RangeError(`${vma.file?.path ?? 'anonymous memory'} has no symbol ${symbol}`);
  return vma.start + BigInt(s.offset + off) - vma.pgoff * BigInt(PAGE_SIZE);
}

/** build id + file offset → "function+0xoff" (as perf and bcc's profile symbolize). */
export function symbolize(binaries: readonly SimBinary[], buildId: Uint8Array, offset: bigint): string | undefined {
  const hex = toHex(buildId);
  const bin = binaries.find((b) => b.buildId && toHex(b.buildId) === hex);
  if (!bin) return undefined;
  const off = Number(offset);
  const s = bin.symbols.find((x) => off >= x.offset && off < x.offset + x.size);
  return s ? `${s.name}+0x${(off - s.offset).toString(16)}` : undefined;
}

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
