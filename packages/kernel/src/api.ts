// A friendly typed API over bpf(), in the spirit of libbpf and cilium/ebpf: map and
// program handles with methods. Every call goes through the same bpf() commands as raw
// users, so both see the same checks and the same errors (SysError with Linux's errno).
import type { Insn } from '@bpfsim/isa';
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_MAP_TYPE, BPF_PROG_TYPE, SysError, assemble } from '@bpfsim/isa';
import type { CgroupFile } from './cgroup/cgroup-file';
import { openCgroup } from './cgroup/cgroup-file';
import type { Kernel } from './kernel';
import type { BpfMap } from './maps/map';
import type { Process } from './process';
import type { BpfProg } from './prog';
import type { ProgLoadAttr, TestRunAttr } from './syscall';
import { bpf } from './syscall';

/** A map or program type by uapi name (`BPF_MAP_TYPE_HASH`), short name (`hash`) or number. */
function typeByName<T extends Record<string, number>>(table: T, prefix: string, what: string, v: string | number): number {
  if (typeof v === 'number') return v;
  const key = (v.toUpperCase().startsWith(prefix) ? v.toUpperCase() : `${prefix}${v.toUpperCase()}`) as keyof T;
  const n = table[key];
  if (n === undefined) throw new SysError('EINVAL', `unknown ${what} '${v}'`);
  return n;
}

/** A key or value: bytes, or a number/bigint written little-endian in `size` bytes. */
export type MapDatum = Uint8Array | number | bigint;

function encode(v: MapDatum, size: number, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  const out = new Uint8Array(size);
  let x = BigInt.asUintN(size * 8, BigInt(v));
  if (size > 8 && x >> 64n) throw new RangeError(`${what} does not fit in ${size} bytes`);
  for (let i = 0; i < size; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Reads a little-endian unsigned number from bytes. */
export function readLE(b: Uint8Array, off = 0, size = b.length - off): bigint {
  let x = 0n;
  for (let i = size - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[off + i]!);
  return x;
}

export interface MapSpecInput {
  type: string | number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
  innerMap?: MapHandle;
}

export class MapHandle {
  constructor(
    private readonly client: BpfClient,
    readonly fd: number,
  ) {}

  /** The kernel object (for inspection; mutate through the methods). */
  get map(): BpfMap {
    return this.client.process.fds.lookup(this.fd) as BpfMap;
  }
  get id(): number {
    return this.map.id;
  }
  get keySize(): number {
    return this.map.keySize;
  }
  get valueSize(): number {
    return this.map.syscallValueSize;
  }

  /** The value, or undefined when the key is absent (ENOENT). */
  lookup(key: MapDatum): Uint8Array | undefined {
    const attr = { map_fd: this.fd, key: encode(key, this.keySize, 'key'), value: new Uint8Array(this.valueSize) };
    try {
      bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_MAP_LOOKUP_ELEM, attr);
    } catch (e) {
      if (e instanceof SysError && e.code === 'ENOENT') return undefined;
      throw e;
    }
    return attr.value;
  }

  update(key: MapDatum, value: MapDatum, flags: 'any' | 'noexist' | 'exist' | number = 'any'): void {
    const f = typeof flags === 'number' ? flags : { any: 0, noexist: 1, exist: 2 }[flags];
    bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_MAP_UPDATE_ELEM, {
      map_fd: this.fd,
      key: encode(key, this.keySize, 'key'),
      value: encode(value, this.valueSize, 'value'),
      flags: f,
    });
  }

  delete(key: MapDatum): void {
    bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_MAP_DELETE_ELEM, { map_fd: this.fd, key: encode(key, this.keySize, 'key') });
  }

  /** The keys, in GET_NEXT_KEY order. */
  *keys(): IterableIterator<Uint8Array> {
    let key: Uint8Array | null = null;
    for (;;) {
      const attr: { map_fd: number; key: Uint8Array | null; next_key: Uint8Array | null } = { map_fd: this.fd, key, next_key: new Uint8Array(this.keySize) };
      try {
        bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_MAP_GET_NEXT_KEY, attr);
      } catch (e) {
        if (e instanceof SysError && e.code === 'ENOENT') return;
        throw e;
      }
      const next: Uint8Array = attr.next_key!;
      key = next;
      yield next;
    }
  }

  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v) yield [k, v];
    }
  }

  freeze(): void {
    bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_MAP_FREEZE, { map_fd: this.fd });
  }

  pin(path: string): void {
    bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_OBJ_PIN, { pathname: path, bpf_fd: this.fd });
  }

  close(): void {
    this.client.process.fds.close(this.fd);
  }
}

export interface ProgramInput {
  /** Program type: uapi name, short name (`xdp`, `cgroup_sock_addr`) or number. */
  type: string | number;
  /** The program: instructions, or assembly text (LLVM syntax; `.map` declarations name
   * maps given in `maps`). */
  insns: readonly Insn[] | string;
  /** expected_attach_type: uapi name without BPF_ (`cgroup_inet4_connect`) or number. */
  attachType?: string | number;
  license?: string;
  name?: string;
  /** Maps for the program's `.map` declarations, by name (they become its fd_array). */
  maps?: Record<string, MapHandle>;
  /** Verifier log level (1 or 2): the log comes back in ProgHandle.log. */
  logLevel?: 0 | 1 | 2;
}

/** A BPF_PROG_LOAD that failed with a verifier log asked for: the errno, and the log. */
export class ProgLoadRefused extends SysError {
  constructor(
    cause: SysError,
    /** The verifier log as the kernel wrote it. */
    readonly log: string,
  ) {
    super(cause.code, cause.message.startsWith(`${cause.code}: `) ? cause.message.slice(cause.code.length + 2) : undefined, 'BPF_PROG_LOAD');
  }
}

export class ProgHandle {
  constructor(
    private readonly client: BpfClient,
    readonly fd: number,
    /** The verifier log, when one was asked for. */
    readonly log: string,
  ) {}

  get prog(): BpfProg {
    return this.client.process.fds.lookup(this.fd) as BpfProg;
  }
  get id(): number {
    return this.prog.id;
  }

  /** BPF_PROG_TEST_RUN */
  testRun(data: Uint8Array, options: { repeat?: number; dataSizeOut?: number } = {}): { retval: number; dataOut?: Uint8Array } {
    const attr: TestRunAttr = { prog_fd: this.fd, data_in: data, repeat: options.repeat ?? 1, data_size_out: options.dataSizeOut ?? data.length + 512 };
    bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_PROG_TEST_RUN, attr);
    return { retval: attr.retval!, ...(attr.data_out ? { dataOut: attr.data_out } : {}) };
  }

  /** BPF_PROG_ATTACH to a cgroup (path like '/app'). */
  attach(cgroupPath: string, attachType: string | number, flags = 0): void {
    const cg = this.client.openCgroup(cgroupPath);
    try {
      bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_PROG_ATTACH, {
        target_fd: cg,
        attach_bpf_fd: this.fd,
        attach_type: attachTypeNumber(attachType),
        attach_flags: flags,
      });
    } finally {
      this.client.process.fds.close(cg);
    }
  }

  /** BPF_PROG_ATTACH to a map (a sockmap's SK_MSG verdict slot). */
  attachToMap(map: MapHandle, attachType: string | number): void {
    bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_PROG_ATTACH, { target_fd: map.fd, attach_bpf_fd: this.fd, attach_type: attachTypeNumber(attachType) });
  }

  /** BPF_PROG_DETACH from a cgroup. */
  detach(cgroupPath: string, attachType: string | number): void {
    const cg = this.client.openCgroup(cgroupPath);
    try {
      bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_PROG_DETACH, { target_fd: cg, attach_bpf_fd: this.fd, attach_type: attachTypeNumber(attachType) });
    } finally {
      this.client.process.fds.close(cg);
    }
  }

  /** BPF_LINK_CREATE on a cgroup; returns the link's fd (closing it detaches). */
  link(cgroupPath: string, attachType: string | number): number {
    const cg = this.client.openCgroup(cgroupPath);
    try {
      return bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_LINK_CREATE, { prog_fd: this.fd, target_fd: cg, attach_type: attachTypeNumber(attachType) });
    } finally {
      this.client.process.fds.close(cg);
    }
  }

  pin(path: string): void {
    bpf(this.client.kernel, this.client.process, BPF_CMD.BPF_OBJ_PIN, { pathname: path, bpf_fd: this.fd });
  }

  close(): void {
    this.client.process.fds.close(this.fd);
  }
}

export function attachTypeNumber(v: string | number): number {
  return typeByName(BPF_ATTACH_TYPE, 'BPF_', 'attach type', v);
}

/** bpf() for one process, with handles. */
export class BpfClient {
  constructor(
    readonly kernel: Kernel,
    readonly process: Process,
  ) {}

  createMap(spec: MapSpecInput): MapHandle {
    const fd = bpf(this.kernel, this.process, BPF_CMD.BPF_MAP_CREATE, {
      map_type: typeByName(BPF_MAP_TYPE, 'BPF_MAP_TYPE_', 'map type', spec.type),
      key_size: spec.keySize,
      value_size: spec.valueSize,
      max_entries: spec.maxEntries,
      map_flags: spec.flags ?? 0,
      ...(spec.name ? { map_name: spec.name } : {}),
      ...(spec.innerMap ? { inner_map_fd: spec.innerMap.fd } : {}),
    });
    return new MapHandle(this, fd);
  }

  loadProgram(input: ProgramInput): ProgHandle {
    let insns: readonly Insn[];
    let fdArray: number[] | undefined;
    let license = input.license;
    if (typeof input.insns === 'string') {
      const unit = assemble(input.insns, { file: input.name ?? 'program' });
      insns = unit.insns;
      license ??= unit.license;
      if (unit.maps.length) {
        fdArray = unit.maps.map((m) => {
          const h = input.maps?.[m.name];
          if (!h) throw new SysError('EINVAL', `the program declares map '${m.name}', but no map of that name was given`);
          return h.fd;
        });
      }
    } else insns = input.insns;
    const attr: ProgLoadAttr = {
      prog_type: typeByName(BPF_PROG_TYPE, 'BPF_PROG_TYPE_', 'program type', input.type),
      insns,
      license: license ?? 'GPL',
      ...(input.name ? { prog_name: input.name } : {}),
      ...(input.attachType !== undefined ? { expected_attach_type: attachTypeNumber(input.attachType) } : {}),
      ...(fdArray ? { fd_array: fdArray } : {}),
      ...(input.logLevel ? { log_level: input.logLevel, log_size: 1 << 24 } : {}),
    };
    let fd: number;
    try {
      fd = bpf(this.kernel, this.process, BPF_CMD.BPF_PROG_LOAD, attr);
    } catch (e) {
      if (e instanceof SysError && attr.log_buf) throw new ProgLoadRefused(e, attr.log_buf);
      throw e;
    }
    return new ProgHandle(this, fd, attr.log_buf ?? '');
  }

  /** An fd of an open cgroup directory ('/app' or '/sys/fs/cgroup/app'); close it when done. */
  /** BPF_RAW_TRACEPOINT_OPEN: attaches `prog` to the tracepoint `name`; returns the link fd
   * (closing it detaches). */
  rawTracepointOpen(prog: ProgHandle | number, name: string, cookie: bigint = 0n): number {
    return bpf(this.kernel, this.process, BPF_CMD.BPF_RAW_TRACEPOINT_OPEN, { name, prog_fd: typeof prog === 'number' ? prog : prog.fd, cookie });
  }

  openCgroup(path: string): number {
    return openCgroup(this.kernel, this.process, path);
  }
}

export type { CgroupFile };
