#!/usr/bin/env python3
"""Dumps, from this machine's BTF, the kernel structs a program reads through a map pointer
(check_ptr_to_map_access: map->ops->map_btf_id, e.g. struct bpf_array for an array map) and
every struct or union they embed, as btf_struct_walk() walks them, plus one level of the
structs their pointer members point to. Output (stdout), JSON:
  {"kernel": release, "roots": [names], "types": {name: {"kind": "struct"|"union", "size": n,
   "members": [[name, bit_offset, bitfield_size, ref], ...]}}}
where ref is ["int", size] | ["ptr", target-name-or-null] | ["agg", type-name] |
["array", ref, nelems] | ["other", size]. Anonymous aggregates are named "<parent>.<n>".
Usage: btf_map_structs.py ROOT... > packages/verifier/src/golden/... (see
packages/verifier/test/btf-map-structs.kernel.test.ts)."""
import json
import os
import sys

from btf_vmlinux import T, resolve

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, FUNC_PROTO, FLOAT, ENUM64 = 1, 2, 3, 4, 5, 6, 7, 13, 16, 19

roots = sys.argv[1:]
by_name = {}
for i, t in enumerate(T):
    if t and t['kind'] in (STRUCT, UNION) and t['name'] and t['name'] not in by_name:
        by_name[t['name']] = i

types = {}
names = {}


def name_of(tid, hint):
    t = T[tid]
    if t['name']:
        return t['name']
    if tid not in names:
        names[tid] = hint
    return names[tid]


def ref(tid, hint, depth):
    tid = resolve(tid)
    t = T[tid]
    k = t['kind']
    if k in (INT, ENUM, ENUM64, FLOAT):
        return ['int', t['size']]
    if k == PTR:
        target = resolve(t['type']) if t['type'] else 0
        tt = T[target] if target else None
        if tt and tt['kind'] in (STRUCT, UNION) and tt['name']:
            if depth < 1:
                dump(target, tt['name'], depth + 1)
            return ['ptr', tt['name']]
        return ['ptr', None]
    if k == ARRAY:
        et, n = t['arr']
        return ['array', ref(et, hint + '[]', depth), n]
    if k in (STRUCT, UNION):
        nm = name_of(tid, hint)
        dump(tid, nm, depth)
        return ['agg', nm]
    if k == FWD:
        return ['other', 0]
    return ['other', t['size']]


def dump(tid, nm, depth):
    if nm in types:
        return
    t = T[tid]
    entry = {'kind': 'union' if t['kind'] == UNION else 'struct', 'size': t['size'], 'members': []}
    types[nm] = entry
    for n, (mname, mt, bo, bs) in enumerate(t['members']):
        entry['members'].append([mname, bo, bs, ref(mt, f'{nm}.{n}', depth)])


for r in roots:
    if r in by_name:
        dump(by_name[r], r, 0)
print(json.dumps({'kernel': os.uname().release, 'roots': roots, 'types': types}, separators=(',', ':')))
