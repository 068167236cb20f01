"""This machine's kernel BTF (/sys/kernel/btf/vmlinux), parsed: T[type_id] is a dict with the
type's name, kind (BTF_KIND_*), size or referenced type, and for structs and unions their
members as (name, type_id, bit_offset, bitfield_size), for arrays (elem_type_id, nelems).
Shared by btf_layouts.py and btf_map_structs.py."""
import struct

d=open('/sys/kernel/btf/vmlinux','rb').read()
magic,ver,flags,hlen,toff,tlen,soff,slen=struct.unpack_from('<HBBIIIII',d,0)
types=d[hlen+toff:hlen+toff+tlen]; strs=d[hlen+soff:hlen+soff+slen]
def s(o): return strs[o:strs.index(b'\0',o)].decode()
T=[None]; p=0
while p<len(types):
    name_off,info,size=struct.unpack_from('<III',types,p); p+=12
    kind=(info>>24)&0x1f; vlen=info&0xffff; kflag=info>>31
    t={'name':s(name_off),'kind':kind,'size':size,'type':size}
    if kind==1: p+=4
    elif kind==3:
        et,it,n=struct.unpack_from('<III',types,p); t['arr']=(et,n); p+=12
    elif kind in (4,5):
        mem=[]
        for i in range(vlen):
            mn,mt,mo=struct.unpack_from('<III',types,p+12*i)
            bitoff = (mo & 0xffffff) if kflag else mo
            bitsz = (mo >> 24) if kflag else 0
            mem.append((s(mn),mt,bitoff,bitsz))
        t['members']=mem; p+=12*vlen
    elif kind==6: p+=8*vlen
    elif kind==13: p+=8*vlen
    elif kind==14: p+=4
    elif kind==15: p+=12*vlen
    elif kind==17: p+=4
    elif kind==19: p+=12*vlen
    T.append(t)
def resolve(tid):
    while T[tid]['kind'] in (7,8,9,10,11,18):  # typedef, volatile, const, restrict, typetag
        tid=T[tid]['type']
    return tid
def size_of(tid):
    tid=resolve(tid); t=T[tid]
    if t['kind'] in (1,4,5,6,19): return t['size']
    if t['kind']==2: return 8
    if t['kind']==3: et,n=t['arr']; return size_of(et)*n
    return 0
