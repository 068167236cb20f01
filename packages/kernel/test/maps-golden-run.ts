// Replays a recorded map case against bpfsim, producing results in the probe's shape.
import { BPF_CMD, BPF_PROG_TYPE, SysError } from '@bpfsim/isa';
import type { MapElemAttr, MapCreateCmdAttr, Process, TestRunAttr, ProgLoadAttr } from '../src';
import { Kernel, bpf } from '../src';
import type { Extra, MapCase, Step, StepResult } from './maps-golden-cases';

const fromHex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Attr fields of element commands by their offset in union bpf_attr. */
const EXTRA_FIELDS: Record<string, 'key' | 'value' | 'flags'> = { '8': 'key', '16': 'value', '24': 'flags' };

/** A step names an object an earlier step failed to create: the step is skipped. */
class Missing extends Error {}

class Replay {
  readonly fds = new Map<string, number>();
  readonly ids = new Map<string, number>();
  constructor(
    readonly k: Kernel,
    readonly p: Process,
  ) {}

  fd(ref: string | number | undefined): number {
    if (typeof ref === 'string') {
      const fd = this.fds.get(ref);
      if (fd === undefined) throw new Missing(ref);
      return fd;
    }
    return ref ?? 0;
  }

  /** A u32 from the kernel: the name of the object with that id when there is one. */
  refOf(b: Uint8Array, kind: 'map' | 'prog'): StepResult {
    const n = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
    for (const [name, id] of this.ids) if (id === n && name.startsWith(kind[0]!)) return { ref: name };
    return { id: n };
  }

  value(v: Step & { op: 'update' }): Uint8Array | null {
    const val = v.value;
    if (val === null) return null;
    if (typeof val === 'string') return fromHex(val);
    const n = 'fd' in val ? this.fd(val.fd) : val.rawfd;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    return b;
  }

  withExtra(attr: MapElemAttr, extra: Extra | undefined): MapElemAttr {
    for (const [off, [, v]] of Object.entries(extra ?? {})) {
      const f = EXTRA_FIELDS[off];
      if (!f) throw new Error(`no attr field at offset ${off}`);
      if (f === 'flags') attr.flags = v;
      else attr[f] = new Uint8Array(8).fill(v);
    }
    return attr;
  }

  call(cmd: number, attr: object): number {
    return bpf(this.k, this.p, cmd, attr);
  }

  step(s: Step): StepResult {
    switch (s.op) {
      case 'create': {
        const a = s.attr;
        const attr: MapCreateCmdAttr = {
          map_type: a.map_type,
          key_size: a.key_size ?? 0,
          value_size: a.value_size ?? 0,
          max_entries: a.max_entries ?? 0,
          map_flags: a.map_flags ?? 0,
          inner_map_fd: this.fd(a.inner_map_fd),
          numa_node: a.numa_node ?? 0,
          map_name: a.map_name ?? '',
          map_extra: BigInt(a.map_extra ?? 0),
          map_ifindex: a.map_ifindex ?? 0,
          btf_fd: this.fd(a.btf_fd),
          btf_key_type_id: a.btf_key_type_id ?? 0,
          btf_value_type_id: a.btf_value_type_id ?? 0,
          btf_vmlinux_value_type_id: a.btf_vmlinux_value_type_id ?? 0,
          map_token_fd: this.fd(a.map_token_fd),
          excl_prog_hash_size: a.excl_prog_hash_size ?? 0,
        };
        const fd = this.call(BPF_CMD.BPF_MAP_CREATE, attr);
        this.fds.set(s.as, fd);
        this.ids.set(s.as, this.p.fds.lookup(fd)!.id);
        return { ok: true };
      }
      case 'update':
        this.call(BPF_CMD.BPF_MAP_UPDATE_ELEM, { map_fd: this.fd(s.map), key: s.key === null ? null : fromHex(s.key), value: this.value(s), flags: s.flags ?? 0 });
        return { ok: true };
      case 'lookup':
      case 'lookup_and_delete': {
        const attr: MapElemAttr = { map_fd: this.fd(s.map), key: s.key === null ? null : fromHex(s.key), value: s.out === null ? null : new Uint8Array(s.out), flags: s.flags ?? 0 };
        this.call(s.op === 'lookup' ? BPF_CMD.BPF_MAP_LOOKUP_ELEM : BPF_CMD.BPF_MAP_LOOKUP_AND_DELETE_ELEM, attr);
        if (!attr.value) return { ok: true };
        return s.op === 'lookup' && s.ids ? { ok: true, ...this.refOf(attr.value, s.ids) } : { ok: true, value: toHex(attr.value) };
      }
      case 'bloom':
        this.call(BPF_CMD.BPF_MAP_LOOKUP_ELEM, { map_fd: this.fd(s.map), key: null, value: s.value === null ? null : fromHex(s.value) });
        return { ok: true };
      case 'delete':
        this.call(BPF_CMD.BPF_MAP_DELETE_ELEM, this.withExtra({ map_fd: this.fd(s.map), key: s.key === null ? null : fromHex(s.key) }, s.extra));
        return { ok: true };
      case 'next': {
        const attr = this.withExtra({ map_fd: this.fd(s.map), key: s.key === null ? null : fromHex(s.key), next_key: s.out === null ? null : new Uint8Array(s.out) }, s.extra);
        if (attr.value) {
          // The union slot of value is next_key: an "extra" at offset 16 means next_key.
          attr.next_key = attr.value;
          delete attr.value;
        }
        this.call(BPF_CMD.BPF_MAP_GET_NEXT_KEY, attr);
        return attr.next_key ? { ok: true, key: toHex(attr.next_key) } : { ok: true };
      }
      case 'iterate': {
        const keys: string[] = [];
        let key: Uint8Array | null = null;
        for (;;) {
          const attr: MapElemAttr = { map_fd: this.fd(s.map), key };
          try {
            this.call(BPF_CMD.BPF_MAP_GET_NEXT_KEY, attr);
          } catch (e) {
            if (e instanceof SysError && e.code === 'ENOENT') break;
            throw e;
          }
          keys.push(toHex(attr.next_key!));
          key = attr.next_key!;
          if (keys.length > 100000) throw new Error('iteration does not end');
        }
        return { ok: true, keys: s.sort ? keys.sort() : keys };
      }
      case 'freeze': {
        const attr: MapElemAttr = { map_fd: this.fd(s.map) };
        this.call(BPF_CMD.BPF_MAP_FREEZE, this.withExtra(attr, s.extra));
        return { ok: true };
      }
      case 'info': {
        const attr: { bpf_fd: number; info?: Record<string, unknown> } = { bpf_fd: this.fd(s.map) };
        this.call(BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, attr);
        const i = attr.info!;
        return { ok: true, info: { type: i.type as number, key_size: i.key_size as number, value_size: i.value_size as number, max_entries: i.max_entries as number, map_flags: i.map_flags as number, name: i.name as string } };
      }
      case 'close':
        this.p.fds.close(this.fd(s.map));
        this.fds.delete(s.map);
        return { ok: true };
      case 'prog': {
        const attr: ProgLoadAttr = {
          prog_type: s.type === 'xdp' ? BPF_PROG_TYPE.BPF_PROG_TYPE_XDP : BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
          insns: fromHex(s.insns),
          license: 'GPL',
          expected_attach_type: s.expected_attach_type ?? 0,
          fd_array: (s.fd_array ?? []).map((n) => this.fd(n)),
        };
        const fd = this.call(BPF_CMD.BPF_PROG_LOAD, attr);
        this.fds.set(s.as, fd);
        this.ids.set(s.as, this.p.fds.lookup(fd)!.id);
        return { ok: true };
      }
      case 'run': {
        const attr: TestRunAttr = { prog_fd: this.fd(s.prog), data_in: fromHex(s.data), data_size_out: s.data.length / 2 + 512 };
        this.call(BPF_CMD.BPF_PROG_TEST_RUN, attr);
        return { ok: true, retval: attr.retval! >>> 0 };
      }
    }
  }
}

/** Runs a case in a fresh kernel with `cpus` CPUs, as root; the results of its steps. */
export function replayCase(c: MapCase, cpus: number): StepResult[] {
  const k = new Kernel({ cpus });
  const p = k.spawn({ comm: 'probe_maps' });
  const r = new Replay(k, p);
  return c.steps.map((s) => {
    try {
      return r.step(s);
    } catch (e) {
      if (e instanceof Missing) return { skip: true };
      if (e instanceof SysError) return { errno: e.code };
      throw e;
    }
  });
}
