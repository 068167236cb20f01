#!/usr/bin/env python3
"""Asks the live kernel about BPF_MAP_TYPE_STACK_TRACE creation and bpf_get_stackid /
bpf_get_stack flag checks, for packages/kernel/test/stack-map.kernel.test.ts.

stdin: JSON {"creates": [{"id", "keySize", "valueSize", "maxEntries", "flags"}],
             "runs": [{"id", "insns": hex (a raw tracepoint program; map idx 0 is a stack map
                       of 127 u64 frames), "ctxIn": hex}]}
stdout: JSON {"creates": ["ok" | ERRNO], "runs": [{"retval": n} | ERRNO]}
"""
import ctypes
import json
import struct
import sys

import bpfsys

STACK_TRACE = 7
RAW_TP = 17


def create(c):
    try:
        fd = bpfsys.map_create(STACK_TRACE, c["keySize"], c["valueSize"], c["maxEntries"], c["flags"])
        bpfsys.close(fd)
        return "ok"
    except bpfsys.BpfError as e:
        return e.code


def run(c):
    mfd = bpfsys.map_create(STACK_TRACE, 4, 127 * 8, 64)
    try:
        try:
            fd, _ = bpfsys.prog_load_fd_array(RAW_TP, bytes.fromhex(c["insns"]), [mfd])
        except bpfsys.BpfError as e:
            return "load:" + e.code
        try:
            ctx = bytes.fromhex(c.get("ctxIn", ""))
            cin = ctypes.create_string_buffer(ctx, max(len(ctx), 1)) if ctx else None
            attr = bytearray(bpfsys.ATTR_SIZE)
            struct.pack_into("<IIIIQQIIIIQQ", attr, 0, fd, 0, 0, 0, 0, 0, 0, 0, len(ctx), 0, bpfsys.addr(cin), 0)
            ret, raw = bpfsys.bpf(bpfsys.BPF_PROG_TEST_RUN, attr)
            if ret < 0:
                return bpfsys.errno_name(-ret)
            return {"retval": struct.unpack_from("<i", raw, 4)[0]}
        finally:
            bpfsys.close(fd)
    finally:
        bpfsys.close(mfd)


def main():
    spec = json.load(sys.stdin)
    json.dump({"creates": [create(c) for c in spec.get("creates", [])], "runs": [run(c) for c in spec.get("runs", [])]}, sys.stdout)


if __name__ == "__main__":
    main()
