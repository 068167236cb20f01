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
