#!/usr/bin/env python3
"""Prints the layout of kernel structs from this machine's BTF (/sys/kernel/btf/vmlinux), as
JSON: {struct: {"size": n, "members": {name: {"offset": bytes, "size": bytes}}}}, with the
members of anonymous structs and unions flattened into their parent (as C names them).
Usage: btf_layouts.py STRUCT... (used by packages/kernel/test/kobjects.kernel.test.ts)."""
import sys,json
from btf_vmlinux import T, resolve, size_of
def flatten(tid, base=0, out=None):
    out = out if out is not None else {}
    t=T[resolve(tid)]
    for name,mt,bo,_ in t['members']:
        if name=='' :
            flatten(mt, base+bo//8, out)
        else:
            out.setdefault(name, {'offset': base+bo//8, 'size': size_of(mt)})
    return out
want=sys.argv[1:]
res={}
for i,t in enumerate(T):
    if t and t['kind']==4 and t['name'] in want and t['name'] not in res:
        res[t['name']]={'size':t['size'],'members':flatten(i)}
print(json.dumps(res))
