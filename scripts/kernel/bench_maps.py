#!/usr/bin/env python3
"""Times map operations inside programs in Linux's JIT (BPF_PROG_TEST_RUN's duration), for
bench/maps. Each case creates one map, fills it, loads its program with the map as fd_array
index 0, and runs it `repeat` times per sample.

stdin: JSON [{"name", "map": {"type", "keySize", "valueSize", "maxEntries", "fill"},
              "insns": hex, "data": hex, "repeat", "samples"}]
stdout: JSON [{"name", "retval", "durationsNs": [per-run ns of each sample]}]
        or {"name", "errno", "error"} when the kernel refuses.
"""
import ctypes
import json
import struct
import sys

import bpfsys

BPF_MAP_UPDATE_BATCH = 26
XDP = 6


def fill(fd, key_size, value_size, count):
    """Keys 0..count-1 (little-endian u32) with zero values, by BPF_MAP_UPDATE_BATCH."""
    chunk = 65536
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        keys = (ctypes.c_uint32 * n)(*range(start, start + n))
        values = ctypes.create_string_buffer(n * value_size)
        cnt = ctypes.c_uint32(n)
        attr = bytearray(bpfsys.ATTR_SIZE)
        struct.pack_into("<QQQQIIQQ", attr, 0, 0, 0, ctypes.addressof(keys), ctypes.addressof(values), n, fd, 0, 0)
        ret, _ = bpfsys.bpf(BPF_MAP_UPDATE_BATCH, attr)
        if ret < 0:
            raise bpfsys.BpfError(-ret)


def main():
    out = []
    for c in json.load(sys.stdin):
        m = c["map"]
        try:
            mfd = bpfsys.map_create(m["type"], m["keySize"], m["valueSize"], m["maxEntries"])
            if m.get("fill"):
                fill(mfd, m["keySize"], m["valueSize"], m["fill"])
            pfd, _ = bpfsys.prog_load_fd_array(XDP, bytes.fromhex(c["insns"]), [mfd])
        except bpfsys.BpfError as e:
            out.append({"name": c["name"], "errno": e.code, "error": (getattr(e, "log", "") or "").strip().split("\n")[-1:]})
            continue
        data = bytes.fromhex(c["data"])
        durations, retval = [], None
        for _ in range(c.get("samples", 5)):
            r = bpfsys.test_run(pfd, data, repeat=c["repeat"], data_out_size=len(data) + 512)
            durations.append(r["duration"])
            retval = r["retval"]
        bpfsys.close(pfd)
        bpfsys.close(mfd)
        out.append({"name": c["name"], "retval": retval, "durationsNs": durations})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
