// Kernel objects as tracing programs see them: a tracepoint's pointer arguments (struct sock
// *sk, struct sk_buff *skb, …) point at copies of the simulated objects laid out as Linux
// lays the real ones out, so bpf_probe_read_kernel(&x, sizeof(x), &sk->__sk_common.skc_num)
// reads what it would on Linux. Only a documented subset of fields is filled; the rest of
// each struct reads as zero. The offsets come from this machine's BTF (Linux 6.18.44,
// x86-64) and are checked against it (test/golden/btf-layouts.json).
//
// Objects are made on demand (only when a tracepoint with programs attached fires) and
// refreshed at every fire, so idle simulated objects cost no VM memory. A kernel keeps its
// objects in Kernel.kobjects, by the simulated object each mirrors.
import type { Kernel } from '../kernel';

export interface FieldLayout {
  offset: number;
  size: number;
}

export interface StructLayout {
  name: string;
  size: number;
  fields: Readonly<Record<string, FieldLayout>>;
}

/** The fields bpfsim fills, by struct. */
export const KERNEL_STRUCTS = {
  sock: {
    name: 'sock',
    size: 784,
    fields: {
      skc_daddr: { offset: 0, size: 4 },
      skc_rcv_saddr: { offset: 4, size: 4 },
      skc_dport: { offset: 12, size: 2 },
      skc_num: { offset: 14, size: 2 },
      skc_family: { offset: 16, size: 2 },
      skc_state: { offset: 18, size: 1 },
      skc_bound_dev_if: { offset: 20, size: 4 },
      skc_v6_daddr: { offset: 56, size: 16 },
      skc_v6_rcv_saddr: { offset: 72, size: 16 },
      skc_cookie: { offset: 88, size: 8 },
      sk_rcvbuf: { offset: 244, size: 4 },
      sk_err: { offset: 284, size: 4 },
      sk_priority: { offset: 520, size: 4 },
      sk_mark: { offset: 524, size: 4 },
      sk_protocol: { offset: 532, size: 2 },
      sk_type: { offset: 534, size: 2 },
      sk_sndbuf: { offset: 568, size: 4 },
    },
  },
  sk_buff: {
    name: 'sk_buff',
    size: 224,
    fields: {
      dev: { offset: 16, size: 8 },
      sk: { offset: 24, size: 8 },
      tstamp: { offset: 32, size: 8 },
      len: { offset: 112, size: 4 },
      data_len: { offset: 116, size: 4 },
      hash: { offset: 148, size: 4 },
      mark: { offset: 164, size: 4 },
      protocol: { offset: 176, size: 2 },
      transport_header: { offset: 178, size: 2 },
      network_header: { offset: 180, size: 2 },
      mac_header: { offset: 182, size: 2 },
      head: { offset: 192, size: 8 },
      data: { offset: 200, size: 8 },
    },
  },
  task_struct: {
    name: 'task_struct',
    size: 3264,
    fields: {
      pid: { offset: 1264, size: 4 },
      tgid: { offset: 1268, size: 4 },
      comm: { offset: 1752, size: 16 },
    },
  },
  pt_regs: {
    name: 'pt_regs',
    size: 168,
    fields: {
      r10: { offset: 56, size: 8 },
      r9: { offset: 64, size: 8 },
      r8: { offset: 72, size: 8 },
      ax: { offset: 80, size: 8 },
      dx: { offset: 96, size: 8 },
      si: { offset: 104, size: 8 },
      di: { offset: 112, size: 8 },
      orig_ax: { offset: 120, size: 8 },
    },
  },
  net_device: {
    name: 'net_device',
    size: 2496,
    fields: {
      mtu: { offset: 56, size: 4 },
      ifindex: { offset: 224, size: 4 },
      name: { offset: 280, size: 16 },
    },
  },
} as const satisfies Record<string, StructLayout>;

export type KernelStruct = keyof typeof KERNEL_STRUCTS;
type FieldOf<S extends KernelStruct> = keyof (typeof KERNEL_STRUCTS)[S]['fields'];
/** A field value: a number or bigint (little-endian), bytes (addresses, names), or a
 * string (NUL-padded, as comm and name are). */
export type FieldValue = number | bigint | Uint8Array | string;

/** Writes a struct's fields into its region (the fields not given keep reading zero). */
export class StructWriter<S extends KernelStruct> {
  constructor(
    private readonly layout: (typeof KERNEL_STRUCTS)[S],
    private readonly bytes: Uint8Array,
  ) {}

  set(field: FieldOf<S>, value: FieldValue, bigEndian = false): this {
    const f = (this.layout.fields as Record<string, FieldLayout>)[field as string]!;
    const b = this.bytes;
    if (typeof value === 'string') {
      b.fill(0, f.offset, f.offset + f.size);
      for (let i = 0; i < Math.min(value.length, f.size - 1); i++) b[f.offset + i] = value.charCodeAt(i) & 0xff;
    } else if (value instanceof Uint8Array) {
      b.fill(0, f.offset, f.offset + f.size);
      b.set(value.subarray(0, f.size), f.offset);
    } else {
      let v = BigInt.asUintN(f.size * 8, BigInt(value));
      for (let i = 0; i < f.size; i++) {
        const byte = Number(v & 0xffn);
        b[bigEndian ? f.offset + f.size - 1 - i : f.offset + i] = byte;
        v >>= 8n;
      }
    }
    return this;
  }
}

/**
 * The VM address of `owner`'s kernel object (struct `type`), after `fill` wrote its fields.
 * The region lives until `releaseKernelObject(kernel, owner)`.
 */
export function kernelObject<S extends KernelStruct>(kernel: Kernel, type: S, owner: object, fill: (w: StructWriter<S>) => void): bigint {
  const layout = KERNEL_STRUCTS[type];
  let r = kernel.kobjects.get(owner);
  if (!r) {
    r = kernel.memory.alloc(layout.size, { kind: 'mem', name: `struct ${layout.name}` });
    kernel.kobjects.set(owner, r);
  }
  fill(new StructWriter(layout, r.bytes));
  return r.address();
}

/** Frees `owner`'s kernel object (when the simulated object goes away). */
export function releaseKernelObject(kernel: Kernel, owner: object): void {
  const r = kernel.kobjects.get(owner);
  if (!r) return;
  kernel.memory.unmap(r);
  kernel.kobjects.delete(owner);
}
