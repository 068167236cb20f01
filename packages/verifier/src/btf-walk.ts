// btf_struct_walk() and btf_struct_access() (kernel/bpf/btf.c) over recorded kernel struct
// layouts: what a read of `size` bytes at `off` into a kernel struct finds — a scalar (inside
// an int, an enum or an int array), a pointer member read whole (to a struct: a BTF pointer
// of that type), or the error Linux logs (a pointer read in part, a hole, past the end).

/** A member's type: an int of `size` bytes, a pointer (to a named struct or union, or to
 * something else), an embedded struct or union by name, an array, or anything else. */
export type BtfRef = readonly ['int', number] | readonly ['ptr', string | null] | readonly ['agg', string] | readonly ['array', BtfRef, number] | readonly ['other', number];

/** [name, bit offset, bitfield size in bits (0: not a bitfield), type] */
export type BtfMember = readonly [string, number, number, BtfRef];

export interface BtfAgg {
  kind: 'struct' | 'union';
  size: number;
  members: readonly BtfMember[];
}

export type BtfTypes = Readonly<Record<string, BtfAgg>>;

export type WalkResult = { kind: 'scalar' } | { kind: 'ptr'; to: string | null } | { kind: 'error'; errno: 'EACCES' | 'EINVAL' | 'EFAULT'; message: string };

/** __btf_resolve_size(): a type's size; for an array, its element type (arrays of arrays
 * flattened) and the total element count. */
function resolve(types: BtfTypes, ref: BtfRef): { size: number; elem: BtfRef; n: number } {
  switch (ref[0]) {
    case 'int':
      return { size: ref[1], elem: ref, n: 1 };
    case 'ptr':
      return { size: 8, elem: ref, n: 1 };
    case 'agg':
      return { size: types[ref[1]]?.size ?? 0, elem: ref, n: 1 };
    case 'array': {
      const inner = resolve(types, ref[1]);
      return { size: inner.size * ref[2], elem: inner.elem, n: inner.n * ref[2] };
    }
    default:
      return { size: ref[1], elem: ref, n: 1 };
  }
}

/** btf_struct_walk(): one level; 'struct' means the access starts a nested aggregate. */
function walk(types: BtfTypes, name: string, off: number, size: number): WalkResult | { kind: 'struct'; name: string } {
  for (;;) {
    const t = types[name];
    if (!t) return { kind: 'error', errno: 'EINVAL', message: `Type '${name}' is not a struct` };
    if (off + size > t.size) {
      // A flexible array at the end may be walked into (its ints, or its structs modulo size).
      const last = t.members[t.members.length - 1];
      if (last && last[3][0] === 'array' && last[3][2] === 0 && off >= last[1] / 8) {
        const elem = last[3][1];
        if (elem[0] === 'int') return { kind: 'scalar' };
        if (elem[0] === 'agg' && types[elem[1]]) {
          off = (off - last[1] / 8) % types[elem[1]]!.size;
          name = elem[1];
          continue;
        }
      }
      return { kind: 'error', errno: 'EACCES', message: `access beyond struct ${name} at off ${off} size ${size}` };
    }
    let next: { name: string; off: number } | undefined;
    for (const [mname, bitOff, bitSize, ref] of t.members) {
      let moff = Math.floor(bitOff / 8);
      if (off + size <= moff) break;
      if (bitSize) {
        // A bitfield is readable whole, by an access that covers it from its start or before.
        if (off <= moff && Math.ceil((bitOff + bitSize) / 8) <= off + size) return { kind: 'scalar' };
        continue;
      }
      if (off < moff) break;
      const r = resolve(types, ref);
      let msize = r.size;
      const mtrueEnd = moff + msize;
      if (off >= mtrueEnd) continue;
      let mtype = ref;
      if (ref[0] === 'array') {
        if (moff === mtrueEnd) continue;
        msize = msize / r.n;
        moff += Math.floor((off - moff) / msize) * msize;
        mtype = r.elem;
      }
      if (mtype[0] === 'agg') {
        if (off === moff) return { kind: 'struct', name: mtype[1] };
        next = { name: mtype[1], off: off - moff };
        break;
      }
      if (mtype[0] === 'ptr') {
        if (msize !== size || off !== moff) return { kind: 'error', errno: 'EACCES', message: `cannot access ptr member ${mname} with moff ${moff} in struct ${name} with off ${off} size ${size}` };
        return { kind: 'ptr', to: mtype[1] };
      }
      if (off + size > mtrueEnd) return { kind: 'error', errno: 'EACCES', message: `access beyond the end of member ${mname} (mend:${mtrueEnd}) in struct ${name} with off ${off} size ${size}` };
      return { kind: 'scalar' };
    }
    if (!next) return { kind: 'error', errno: 'EINVAL', message: `struct ${name} doesn't have field at offset ${off}` };
    name = next.name;
    off = next.off;
  }
}

/** btf_struct_access(): walks nested aggregates until a scalar, a pointer or an error. */
export function btfStructAccess(types: BtfTypes, name: string, off: number, size: number): WalkResult {
  for (;;) {
    const r = walk(types, name, off, size);
    if (r.kind !== 'struct') return r;
    name = r.name;
    off = 0;
  }
}
