// The shape of a program-type descriptor: everything the verifier needs to know about a
// program type (and its expected_attach_type), as data. Linux spreads this over struct
// bpf_verifier_ops (is_valid_access, get_func_proto), check_return_code() and the attach
// rules; bpfsim keeps it in one place per type. The kernel package owns the registry.
import type { RegType } from './reg';

/** How a ctx field may be accessed, in one direction. */
export type AccessRule =
  | false
  /** Only whole-field accesses (size == the field's size). */
  | 'exact'
  /** Narrow loads: 1, 2, 4 … up to the field's size (bpf_ctx_narrow_access_ok). */
  | 'narrow'
  /** Narrow loads at the field's first byte only (a `case offsetof(...)` that matches the
   * start alone, as bpf_sock_ops->skb_tcp_flags). */
  | 'narrowAtStart'
  /** Any size that fits in the field and is aligned to itself (e.g. __sk_buff->cb). */
  | 'region';

export interface CtxField {
  name: string;
  /** Byte offset in the ctx struct. */
  off: number;
  /** Size of the field (its "size_default" for narrow loads). */
  size: number;
  read: AccessRule;
  write: AccessRule;
  /** What a read gives instead of a scalar (xdp_md->data: PTR_TO_PACKET). */
  regType?: RegType;
  /** The pointer read may be NULL (__sk_buff->sk). */
  maybeNull?: boolean;
  /** Sign-extending loads of the field are refused. */
  noLdsx?: boolean;
  /** The field exists only for these expected_attach_types. */
  attachTypes?: readonly number[];
  /** bpf_ctx_wide_access_ok(): 8-byte reads and writes at 8-aligned offsets are allowed up
   * to this end of the array the field belongs to (bpf_sock_addr.user_ip6[]). */
  wideEnd?: number;
}

/** A helper as a program type offers it: the id and any type-specific prototype changes. */
export interface HelperOffer {
  id: number;
  /** The helper is offered only for these expected_attach_types. */
  attachTypes?: readonly number[];
}

export interface ProgTypeDescriptor {
  /** enum bpf_prog_type */
  type: number;
  /** `xdp`, `socket_filter`, … */
  name: string;
  /** sizeof the ctx struct. */
  ctxSize: number;
  ctxName: string;
  fields: readonly CtxField[];
  /** Helper ids the type may call (the union of its get_func_proto and the base set). */
  helpers: readonly HelperOffer[];
  /** The return range R0 must be in at exit, by attach type; undefined when unchecked. */
  returnRange?: (attachType: number) => readonly [number, number] | undefined;
  /** check_return_code()'s enforce_attach_type_range: when R0 at an exit is known to lie in
   * this range, the program may only attach with its expected_attach_type (cgroup skb
   * egress programs returning 2 or 3). */
  enforceAttachTypeRange?: (attachType: number) => readonly [number, number] | undefined;
  /** Direct packet access: 'rw' (XDP, tc), 'r', or none. */
  packetAccess?: 'r' | 'rw';
  /** LD_ABS / LD_IND allowed (may_access_skb). */
  ldAbs?: boolean;
  /** expected_attach_type values accepted at load (bpf_prog_load_check_attach); undefined: any. */
  attachTypes?: readonly number[];
}

/**
 * The offsets of a ctx struct's fields by name, resolved once from its descriptor — the one
 * layout both the verifier's checks and the runtime's fill/read code use (as filter.c keeps
 * convert_ctx_access beside is_valid_access). An array's first element answers to its bare
 * name too (`user_ip6` is `user_ip6[0]`). A name the layout lacks is a programming error.
 */
export function ctxOffsets<const N extends string>(desc: Pick<ProgTypeDescriptor, 'ctxName' | 'fields'>, names: readonly N[]): Readonly<Record<N, number>> {
  const out = {} as Record<N, number>;
  for (const name of names) {
    const f = desc.fields.find((x) => x.name === name || x.name === `${name}[0]`);
    if (!f) throw new Error(`struct ${desc.ctxName} has no field ${name}`);
    out[name] = f.off;
  }
  return out;
}
