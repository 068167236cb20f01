#!/usr/bin/env python3
"""Asks the live kernel about raw tracepoints (BPF_PROG_TYPE_RAW_TRACEPOINT and
BPF_RAW_TRACEPOINT_OPEN), for packages/kernel/test/raw-tp.kernel.test.ts.

stdin: JSON {"cases": [case...]}, each case one of
  {"id", "kind": "load", "insns": hex}                       -> "ok" | ERRNO
  {"id", "kind": "open", "insns": hex, "name": str}          -> "ok" | ERRNO | "load:ERRNO"
  {"id", "kind": "openProg", "progType": n, "insns": hex, "attachType": n, "name": str}
  {"id", "kind": "openBadFd", "name": str}
  {"id", "kind": "testRun", "insns": hex, "ctxIn": hex, "dataIn": bool, "repeat": n, "ctxOut": n}
                                                             -> {"retval": n} | ERRNO
  {"id", "kind": "linkCreate", "insns": hex, "attachType": n}
  {"id", "kind": "helper", "helper": n}                      -> "offered" | "refused"
  {"id", "kind": "lifecycle", "insns": hex (counter on map idx 0), "name": "sys_enter"}
      -> {"whileOpen": bool, "afterClose": bool}: did the program run while its link fd was
         open, and after the fd was closed
stdout: JSON {"results": [...]} in case order.
Programs are BPF_PROG_TYPE_RAW_TRACEPOINT (17) unless the case says otherwise.
"""
import ctypes
import json
import os
import struct
import sys

import bpfsys

RAW_TP = 17
BPF_RAW_TRACEPOINT_OPEN = 17
BPF_MAP_LOOKUP_ELEM = 1


def load(insns, prog_type=RAW_TP, attach_type=0, fd_array=None):
    if fd_array:
        fd, log = bpfsys.prog_load_fd_array(prog_type, insns, fd_array, expected_attach_type=attach_type)
    else:
        fd, log = bpfsys.prog_load(prog_type, insns, expected_attach_type=attach_type)
    return fd, log


def raw_tp_open(prog_fd, name):
    """Returns the link fd or -errno."""
    buf = ctypes.create_string_buffer(name.encode() + b"\0") if name is not None else None
    attr = bytearray(bpfsys.ATTR_SIZE)
    struct.pack_into("<QI", attr, 0, bpfsys.addr(buf), prog_fd & 0xffffffff)
    ret, _ = bpfsys.bpf(BPF_RAW_TRACEPOINT_OPEN, attr)
    return ret


def test_run(prog_fd, ctx_in, data_in, repeat, ctx_out):
    din = ctypes.create_string_buffer(b"\0" * 64) if data_in else None
    cin = ctypes.create_string_buffer(ctx_in, max(len(ctx_in), 1)) if ctx_in else None
    cout = ctypes.create_string_buffer(ctx_out) if ctx_out else None
    attr = bytearray(bpfsys.ATTR_SIZE)
    struct.pack_into("<IIIIQQIIIIQQ", attr, 0, prog_fd, 0, 64 if data_in else 0, 0, bpfsys.addr(din), 0, repeat, 0,
                     len(ctx_in), ctx_out, bpfsys.addr(cin), bpfsys.addr(cout))
    ret, raw = bpfsys.bpf(bpfsys.BPF_PROG_TEST_RUN, attr)
    if ret < 0:
        return bpfsys.errno_name(-ret)
    return {"retval": struct.unpack_from("<I", raw, 4)[0]}


def counter(map_fd):
    key = ctypes.c_uint32(0)
    val = ctypes.c_uint64(0)
    attr = bytearray(bpfsys.ATTR_SIZE)
    struct.pack_into("<IIQQ", attr, 0, map_fd, 0, ctypes.addressof(key), ctypes.addressof(val))
    ret, _ = bpfsys.bpf(BPF_MAP_LOOKUP_ELEM, attr)
    if ret < 0:
        raise bpfsys.BpfError(-ret)
    return val.value


def syscalls():
    for _ in range(50):
        os.getppid()


def run_case(c):
    kind = c["kind"]
    if kind == "helper":
        insns = struct.pack("<BBhi", 0x85, 0, 0, c["helper"]) + bytes.fromhex("b7000000000000009500000000000000")
        try:
            fd, _ = load(insns)
            bpfsys.close(fd)
            return "offered"
        except bpfsys.BpfError as e:
            return "refused" if "cannot use helper" in e.log or "invalid func" in e.log else "offered"
    if kind == "openBadFd":
        r = raw_tp_open(9999, c["name"])
        return "ok" if r >= 0 else bpfsys.errno_name(-r)
    insns = bytes.fromhex(c["insns"])
    map_fd = None
    try:
        if kind == "lifecycle":
            map_fd = bpfsys.map_create(2, 4, 8, 1)
        try:
            fd, _ = load(insns, c.get("progType", RAW_TP), c.get("attachType", 0), [map_fd] if map_fd is not None else None)
        except bpfsys.BpfError as e:
            return e.code if kind == "load" else "load:" + e.code
        try:
            if kind == "load":
                return "ok"
            if kind in ("open", "openProg"):
                r = raw_tp_open(fd, c["name"])
                if r < 0:
                    return bpfsys.errno_name(-r)
                bpfsys.close(r)
                return "ok"
            if kind == "testRun":
                return test_run(fd, bytes.fromhex(c.get("ctxIn", "")), c.get("dataIn", False), c.get("repeat", 0), c.get("ctxOut", 0))
            if kind == "linkCreate":
                r = bpfsys.link_create(fd, 0, c["attachType"])
                if r < 0:
                    return bpfsys.errno_name(-r)
                bpfsys.close(r)
                return "ok"
            if kind == "lifecycle":
                link = raw_tp_open(fd, c["name"])
                if link < 0:
                    return bpfsys.errno_name(-link)
                before = counter(map_fd)
                syscalls()
                during = counter(map_fd)
                bpfsys.close(link)
                after_close = counter(map_fd)
                syscalls()
                later = counter(map_fd)
                return {"whileOpen": during > before, "afterClose": later > after_close}
            raise ValueError("unknown case kind " + kind)
        finally:
            bpfsys.close(fd)
    finally:
        if map_fd is not None:
            bpfsys.close(map_fd)


def main():
    spec = json.load(sys.stdin)
    json.dump({"results": [run_case(c) for c in spec["cases"]]}, sys.stdout)


if __name__ == "__main__":
    main()
