"""Minimal bpf(2) access for bpfsim's kernel probes (Python ctypes, x86_64).

Used to ask the live kernel what Linux does: load programs with the verifier and its
log, and run them with BPF_PROG_TEST_RUN. Layouts follow include/uapi/linux/bpf.h.
"""
import ctypes
import errno as errnomod
import os
import struct

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_bpf = 321  # x86_64

BPF_MAP_CREATE = 0
BPF_MAP_UPDATE_ELEM = 2
BPF_PROG_LOAD = 5
BPF_PROG_TEST_RUN = 10
ATTR_SIZE = 168


class BpfError(Exception):
    def __init__(self, err, log=""):
        super().__init__(errnomod.errorcode.get(err, str(err)))
        self.errno = err
        self.code = errnomod.errorcode.get(err, str(err))
        self.log = log


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), ATTR_SIZE)
    ret = libc.syscall(SYS_bpf, cmd, buf, ATTR_SIZE)
    if ret < 0:
        return -ctypes.get_errno(), buf.raw
    return ret, buf.raw


def addr(buf):
    return ctypes.addressof(buf) if buf is not None else 0


def prog_load(prog_type, insns, expected_attach_type=0, license=b"GPL", log_level=1, log_size=1 << 20, name=b"", prog_flags=0):
    """Returns (fd, log). Raises BpfError(errno, log) when the kernel refuses."""
    insn_buf = ctypes.create_string_buffer(bytes(insns), len(insns))
    lic = ctypes.create_string_buffer(license + b"\0")
    log = ctypes.create_string_buffer(log_size) if log_level else None
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIQQIIQII", attr, 0, prog_type, len(insns) // 8, addr(insn_buf), addr(lic),
                     log_level, log_size if log_level else 0, addr(log), 0, prog_flags)
    attr[48:48 + len(name[:15])] = name[:15]
    struct.pack_into("<I", attr, 68, expected_attach_type)
    fd, _ = bpf(BPF_PROG_LOAD, attr)
    text = log.value.decode(errors="replace") if log is not None else ""
    if fd < 0:
        raise BpfError(-fd, text)
    return fd, text


def test_run(prog_fd, data, repeat=1, data_out_size=None, ctx_in=None, ctx_out_size=0, flags=0):
    """Returns dict(retval, data_out, duration, ctx_out) or raises BpfError."""
    data = bytes(data)
    din = ctypes.create_string_buffer(data, max(len(data), 1))
    out_size = data_out_size if data_out_size is not None else len(data) + 512
    dout = ctypes.create_string_buffer(out_size)
    cin = ctypes.create_string_buffer(bytes(ctx_in), len(ctx_in)) if ctx_in else None
    cout = ctypes.create_string_buffer(ctx_out_size) if ctx_out_size else None
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIIIQQIIIIQQI", attr, 0, prog_fd, 0, len(data), out_size, addr(din), addr(dout), repeat, 0,
                     len(ctx_in) if ctx_in else 0, ctx_out_size, addr(cin), addr(cout), flags)
    ret, raw = bpf(BPF_PROG_TEST_RUN, attr)
    if ret < 0:
        raise BpfError(-ret)
    retval, _, size_out = struct.unpack_from("<III", raw, 4)
    duration = struct.unpack_from("<I", raw, 36)[0]
    ctx_size_out = struct.unpack_from("<I", raw, 44)[0]
    return {
        "retval": retval,
        "data_out": dout.raw[:size_out],
        "duration": duration,
        "ctx_out": cout.raw[:ctx_size_out] if cout is not None else b"",
    }


def map_create(map_type, key_size, value_size, max_entries, map_flags=0, inner_map_fd=0, name=b""):
    """Returns the new map's fd. Raises BpfError(errno) when the kernel refuses."""
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIIIII", attr, 0, map_type, key_size, value_size, max_entries, map_flags, inner_map_fd)
    attr[28:28 + len(name[:15])] = name[:15]
    fd, _ = bpf(BPF_MAP_CREATE, attr)
    if fd < 0:
        raise BpfError(-fd)
    return fd


def close(fd):
    os.close(fd)


# ---- cgroup attach, query and links (added for probe_cgroup.py) ------------------------

BPF_OBJ_PIN = 6
BPF_OBJ_GET = 7
BPF_PROG_ATTACH = 8
BPF_PROG_DETACH = 9
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_PROG_QUERY = 16
BPF_LINK_CREATE = 28
BPF_LINK_UPDATE = 29
BPF_LINK_DETACH = 34


def _call(cmd, attr):
    """bpf(cmd, attr) -> (ret or -errno, the attr buffer after the call)."""
    return bpf(cmd, attr)


def prog_attach(target_fd, prog_fd, attach_type, flags=0, replace_fd=0, relative_fd=0, expected_revision=0):
    """Returns 0 or -errno."""
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIIIIIQ", attr, 0, target_fd & 0xffffffff, prog_fd & 0xffffffff, attach_type, flags,
                     replace_fd & 0xffffffff, relative_fd & 0xffffffff, expected_revision)
    ret, _ = _call(BPF_PROG_ATTACH, attr)
    return ret


def prog_detach(target_fd, prog_fd, attach_type, flags=0, relative_fd=0, expected_revision=0):
    """Returns 0 or -errno."""
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIIIIIQ", attr, 0, target_fd & 0xffffffff, prog_fd & 0xffffffff, attach_type, flags, 0,
                     relative_fd & 0xffffffff, expected_revision)
    ret, _ = _call(BPF_PROG_DETACH, attr)
    return ret


def prog_query(target_fd, attach_type, query_flags=0, prog_cnt=0, with_ids=True, with_attach_flags=False):
    """Returns dict(ret, attach_flags, prog_cnt, prog_ids, prog_attach_flags, revision).
    prog_ids/prog_attach_flags hold the first min(prog_cnt in, prog_cnt out) entries."""
    ids = (ctypes.c_uint32 * max(prog_cnt, 1))() if with_ids else None
    aflags = (ctypes.c_uint32 * max(prog_cnt, 1))() if with_attach_flags else None
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIIIQI", attr, 0, target_fd & 0xffffffff, attach_type, query_flags, 0, addr(ids), prog_cnt)
    struct.pack_into("<Q", attr, 32, addr(aflags))
    ret, raw = _call(BPF_PROG_QUERY, attr)
    attach_flags, = struct.unpack_from("<I", raw, 12)
    cnt, = struct.unpack_from("<I", raw, 24)
    revision, = struct.unpack_from("<Q", raw, 56)
    n = min(prog_cnt, cnt)
    return {
        "ret": ret,
        "attach_flags": attach_flags,
        "prog_cnt": cnt,
        "prog_ids": list(ids[:n]) if ids is not None else None,
        "prog_attach_flags": list(aflags[:n]) if aflags is not None else None,
        "revision": revision,
    }


def link_create(prog_fd, target_fd, attach_type, flags=0, relative_fd=0, expected_revision=0):
    """Returns the link fd or -errno."""
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIIIIIQ", attr, 0, prog_fd & 0xffffffff, target_fd & 0xffffffff, attach_type, flags,
                     relative_fd & 0xffffffff, 0, expected_revision)
    ret, _ = _call(BPF_LINK_CREATE, attr)
    return ret


def link_update(link_fd, new_prog_fd, flags=0, old_prog_fd=0):
    """Returns 0 or -errno."""
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIII", attr, 0, link_fd & 0xffffffff, new_prog_fd & 0xffffffff, flags, old_prog_fd & 0xffffffff)
    ret, _ = _call(BPF_LINK_UPDATE, attr)
    return ret


def link_detach(link_fd):
    """Returns 0 or -errno."""
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<I", attr, 0, link_fd & 0xffffffff)
    ret, _ = _call(BPF_LINK_DETACH, attr)
    return ret


def obj_info(fd, size=256):
    """BPF_OBJ_GET_INFO_BY_FD: (ret, the info bytes)."""
    buf = ctypes.create_string_buffer(size)
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIQ", attr, 0, fd & 0xffffffff, size, addr(buf))
    ret, _ = _call(BPF_OBJ_GET_INFO_BY_FD, attr)
    return ret, buf.raw


def prog_id(fd):
    """The id of the program behind fd (bpf_prog_info.id), or None."""
    ret, raw = obj_info(fd)
    return struct.unpack_from("<I", raw, 4)[0] if ret == 0 else None


def link_info(fd):
    """bpf_link_info of a cgroup link: dict(ret, type, id, prog_id, cgroup_id, attach_type)."""
    ret, raw = obj_info(fd, 64)
    if ret < 0:
        return {"ret": ret}
    t, i, p = struct.unpack_from("<III", raw, 0)
    cg, at = struct.unpack_from("<QI", raw, 16)
    return {"ret": 0, "type": t, "id": i, "prog_id": p, "cgroup_id": cg, "attach_type": at}


def obj_pin(fd, path):
    """Returns 0 or -errno."""
    p = ctypes.create_string_buffer(path.encode() + b"\0")
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<QI", attr, 0, addr(p), fd & 0xffffffff)
    ret, _ = _call(BPF_OBJ_PIN, attr)
    return ret


def obj_get(path):
    """Returns a new fd or -errno."""
    p = ctypes.create_string_buffer(path.encode() + b"\0")
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<Q", attr, 0, addr(p))
    ret, _ = _call(BPF_OBJ_GET, attr)
    return ret


# ---- map commands (added for probe_maps.py) ---------------------------------------------

BPF_MAP_LOOKUP_ELEM = 1
BPF_MAP_DELETE_ELEM = 3
BPF_MAP_GET_NEXT_KEY = 4
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21
BPF_MAP_FREEZE = 22


def errno_name(err):
    """The errno's name; 524 (ENOTSUPP) is kernel-internal and unknown to Python."""
    if err == 524:
        return "ENOTSUPP"
    if err == errnomod.EOPNOTSUPP:  # Python names 95 ENOTSUP, its alias
        return "EOPNOTSUPP"
    return errnomod.errorcode.get(err, str(err))


def map_create_raw(attr):
    """BPF_MAP_CREATE with a ready attr (bytes). Returns the fd or -errno."""
    fd, _ = bpf(BPF_MAP_CREATE, attr)
    return fd


def map_elem_cmd(cmd, map_fd, key=None, value=None, flags=0, extra=None):
    """An element command on map_fd. key/value: ctypes buffers or None (NULL).
    extra: {offset: (fmt, value)} written into the attr after the standard fields.
    Returns 0 or -errno."""
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIQQQ", attr, 0, map_fd, 0, addr(key), addr(value), flags)
    for off, (fmt, v) in (extra or {}).items():
        struct.pack_into(fmt, attr, off, v)
    ret, _ = bpf(cmd, attr)
    return ret


def map_freeze(map_fd, extra=None):
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<I", attr, 0, map_fd)
    for off, (fmt, v) in (extra or {}).items():
        struct.pack_into(fmt, attr, off, v)
    ret, _ = bpf(BPF_MAP_FREEZE, attr)
    return ret


def obj_info(fd, size=256):
    """BPF_OBJ_GET_INFO_BY_FD: (ret, info bytes)."""
    info = ctypes.create_string_buffer(size)
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIQ", attr, 0, fd, size, addr(info))
    ret, raw = bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    return ret, info.raw[:struct.unpack_from("<I", raw, 4)[0]]


def map_info(fd):
    """struct bpf_map_info's first fields: type, id, key_size, value_size, max_entries, map_flags, name."""
    ret, info = obj_info(fd)
    if ret < 0:
        raise BpfError(-ret)
    t, i, ks, vs, me, fl = struct.unpack_from("<IIIIII", info, 0)
    name = info[24:40].split(b"\0")[0].decode()
    return {"type": t, "id": i, "key_size": ks, "value_size": vs, "max_entries": me, "map_flags": fl, "name": name}


def prog_id(fd):
    """struct bpf_prog_info.id"""
    ret, info = obj_info(fd)
    if ret < 0:
        raise BpfError(-ret)
    return struct.unpack_from("<I", info, 4)[0]


def prog_load_fd_array(prog_type, insns, fd_array, expected_attach_type=0, license=b"GPL", log_size=1 << 20):
    """prog_load() with fd_array (BPF_PSEUDO_MAP_IDX references). Returns (fd, log);
    raises BpfError(errno, log)."""
    insn_buf = ctypes.create_string_buffer(bytes(insns), len(insns))
    lic = ctypes.create_string_buffer(license + b"\0")
    log = ctypes.create_string_buffer(log_size)
    fds = (ctypes.c_int * max(1, len(fd_array)))(*fd_array)
    attr = bytearray(ATTR_SIZE)
    struct.pack_into("<IIQQIIQ", attr, 0, prog_type, len(insns) // 8, addr(insn_buf), addr(lic), 1, log_size, addr(log))
    struct.pack_into("<I", attr, 68, expected_attach_type)
    struct.pack_into("<Q", attr, 120, ctypes.addressof(fds) if fd_array else 0)
    fd, _ = bpf(BPF_PROG_LOAD, attr)
    text = log.value.decode(errors="replace")
    if fd < 0:
        raise BpfError(-fd, text)
    return fd, text


def fork_json(fn):
    """Runs fn() in a forked child and returns what it returned (JSON-able), read from a
    pipe; an exception in the child comes back as {"childError": "Type: message"}."""
    import json as _json
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            out = fn()
        except BaseException as e:  # noqa: BLE001
            out = {"childError": "%s: %s" % (type(e).__name__, e)}
        os.write(w, _json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    return _json.loads(b"".join(chunks))
