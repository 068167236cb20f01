#!/usr/bin/env python3
"""Loads each program and runs it with BPF_PROG_TEST_RUN; prints what the kernel said.

stdin: JSON [{"id", "progType", "insns": hex, "data": hex, "repeat"?}]
        ("data" is hex; XX*N stands for the byte XX repeated N times)
stdout: JSON [{"id", "loaded", "errno"?, "verifierError"?, "retval"?, "dataOut"?}]
"""
import json
import re
import sys

import bpfsys

PROG_TYPES = {"socket_filter": 1, "xdp": 6}


def expand(s):
    """Hex bytes, where XX*N stands for the byte XX repeated N times."""
    return bytes.fromhex(re.sub(r"([0-9a-fA-F]{2})\*(\d+)", lambda m: m.group(1) * int(m.group(2)), s))


def main():
    cases = json.load(sys.stdin)
    out = []
    for c in cases:
        rec = {"id": c["id"]}
        try:
            fd, _ = bpfsys.prog_load(PROG_TYPES[c["progType"]], bytes.fromhex(c["insns"]), log_level=1)
        except bpfsys.BpfError as e:
            lines = [l for l in e.log.strip().split("\n") if l]
            rec.update(loaded=False, errno=e.code, verifierError=lines[-2] if len(lines) >= 2 else (lines[-1] if lines else ""))
            out.append(rec)
            continue
        try:
            data = expand(c["data"])
            r = bpfsys.test_run(fd, data, repeat=c.get("repeat", 1), data_out_size=len(data) + 512)
            rec.update(loaded=True, retval=r["retval"], dataOut=r["data_out"].hex())
        except bpfsys.BpfError as e:
            rec.update(loaded=True, errno=e.code)
        finally:
            bpfsys.close(fd)
        out.append(rec)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
