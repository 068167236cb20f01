#!/usr/bin/env python3
"""Times programs in Linux's JIT with BPF_PROG_TEST_RUN (the kernel's own duration).

stdin: JSON [{"name", "progType", "insns": hex, "data": hex, "repeat", "samples"}]
stdout: JSON [{"name", "retval", "durationsNs": [per-run ns of each sample], "jited": bool}]
       or {"name", "errno", "error"} when the kernel refuses the program.
"""
import json
import sys

import bpfsys

PROG_TYPES = {"socket_filter": 1, "xdp": 6}


def jit_enabled():
    try:
        with open("/proc/sys/net/core/bpf_jit_enable") as f:
            return f.read().strip() != "0"
    except OSError:
        return None


def main():
    cases = json.load(sys.stdin)
    out = []
    jited = jit_enabled()
    for c in cases:
        try:
            fd, _ = bpfsys.prog_load(PROG_TYPES[c["progType"]], bytes.fromhex(c["insns"]), log_level=0)
        except bpfsys.BpfError as e:
            out.append({"name": c["name"], "errno": e.code, "error": e.log.strip().split("\n")[-1:]})
            continue
        data = bytes.fromhex(c["data"])
        durations = []
        retval = None
        for _ in range(c.get("samples", 5)):
            r = bpfsys.test_run(fd, data, repeat=c["repeat"], data_out_size=len(data) + 512)
            durations.append(r["duration"])
            retval = r["retval"]
        bpfsys.close(fd)
        out.append({"name": c["name"], "retval": retval, "durationsNs": durations, "jited": jited})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
