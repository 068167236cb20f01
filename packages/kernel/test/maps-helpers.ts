// Shared pieces of the map tests: a kernel with a root process, bpf() shorthands, bytes.
import { BPF_CMD, BPF_MAP_TYPE, BPF_PROG_TYPE, SysError, assemble } from '@bpfsim/isa';
import type { BpfMap, KernelOptions, MapCreateCmdAttr, MapElemAttr, Process, TestRunAttr } from '../src';
import { Kernel, bpf, fdMap } from '../src';

export const MT = BPF_MAP_TYPE;

export function errno(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
  return undefined;
}

export const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
export const u64 = (n: number | bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
export const readU32 = (b: Uint8Array, off = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
export const readU64 = (b: Uint8Array, off = 0): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);

/** A kernel, a root process and bpf() as that process. */
export class Sys {
  readonly k: Kernel;
  readonly p: Process;
  constructor(options: KernelOptions = {}, proc?: Parameters<Kernel['spawn']>[0]) {
    this.k = new Kernel(options);
    this.p = this.k.spawn(proc);
  }

  bpf(cmd: number, attr: object, p: Process = this.p): number {
    return bpf(this.k, p, cmd, attr);
  }

  create(attr: MapCreateCmdAttr, p: Process = this.p): number {
    return this.bpf(BPF_CMD.BPF_MAP_CREATE, attr, p);
  }

  map<M extends BpfMap = BpfMap>(fd: number): M {
    return fdMap(this.p, fd) as M;
  }

  update(fd: number, key: Uint8Array | null, value: Uint8Array | null, flags: number | bigint = 0): number {
    return this.bpf(BPF_CMD.BPF_MAP_UPDATE_ELEM, { map_fd: fd, key, value, flags });
  }

  lookup(fd: number, key: Uint8Array | null, flags = 0): Uint8Array {
    const a: MapElemAttr = { map_fd: fd, key, flags };
    this.bpf(BPF_CMD.BPF_MAP_LOOKUP_ELEM, a);
    return a.value!;
  }

  delete(fd: number, key: Uint8Array | null): number {
    return this.bpf(BPF_CMD.BPF_MAP_DELETE_ELEM, { map_fd: fd, key });
  }

  next(fd: number, key: Uint8Array | null): Uint8Array {
    const a: MapElemAttr = { map_fd: fd, key };
    this.bpf(BPF_CMD.BPF_MAP_GET_NEXT_KEY, a);
    return a.next_key!;
  }

  /** Every key, by GET_NEXT_KEY from NULL. */
  keys(fd: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let k: Uint8Array | null = null;
    for (;;) {
      try {
        k = this.next(fd, k);
      } catch (e) {
        if (e instanceof SysError && e.code === 'ENOENT') return out;
        throw e;
      }
      out.push(k);
    }
  }

  lookupAndDelete(fd: number, key: Uint8Array | null, flags = 0): Uint8Array {
    const a: MapElemAttr = { map_fd: fd, key, flags };
    this.bpf(BPF_CMD.BPF_MAP_LOOKUP_AND_DELETE_ELEM, a);
    return a.value!;
  }

  freeze(fd: number): number {
    return this.bpf(BPF_CMD.BPF_MAP_FREEZE, { map_fd: fd });
  }

  /** Loads an XDP (default) program whose `map[idx:N]` refer to `maps`. */
  prog(text: string, maps: number[] = [], type: number = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP): number {
    const attr = { prog_type: type, insns: assemble(text).insns, license: 'GPL', fd_array: maps, log_level: 1, log_size: 1 << 20 } as { log_buf?: string };
    try {
      return this.bpf(BPF_CMD.BPF_PROG_LOAD, attr);
    } catch (e) {
      throw new Error(`load failed: ${(e as Error).message}\n${attr.log_buf ?? ''}`);
    }
  }

  /** BPF_PROG_TEST_RUN with 64 zero bytes (or `data`); the u32 retval. */
  run(fd: number, data: Uint8Array = new Uint8Array(64)): number {
    const a: TestRunAttr = { prog_fd: fd, data_in: data };
    this.bpf(BPF_CMD.BPF_PROG_TEST_RUN, a);
    return a.retval! >>> 0;
  }
}

/** A helper result as the u32 a program returns (negative errnos wrap). */
export const neg = (e: number): number => -e >>> 0;

export const hash = (extra: Partial<MapCreateCmdAttr> = {}): MapCreateCmdAttr => ({ map_type: MT.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 16, ...extra });
export const array = (extra: Partial<MapCreateCmdAttr> = {}): MapCreateCmdAttr => ({ map_type: MT.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, ...extra });
