#!/usr/bin/env python3
"""Loads programs on the live kernel and answers whether each loads, for the ctx-access,
helper and return-value matrices of a program type.

stdin: JSON {"cases": [{"progType", "attachType", "insns": hex} | {"progType", "attachType", "helper": id}]}
stdout: JSON {"results": ["ok" | ERRNO (loads) | "offered" | "refused" (helpers)]}
A helper counts as refused when the verifier says "cannot use helper" or "invalid func".
"""
import json
import struct
import sys

import bpfsys


def run(c):
    if "helper" in c:
        insns = struct.pack("<BBhi", 0x85, 0, 0, c["helper"]) + bytes.fromhex("b7000000010000009500000000000000")
        try:
            fd, _ = bpfsys.prog_load(c["progType"], insns, expected_attach_type=c["attachType"], log_level=1)
            bpfsys.close(fd)
            return "offered"
        except bpfsys.BpfError as e:
            return "refused" if "cannot use helper" in e.log or "invalid func" in e.log else "offered"
    try:
        fd, _ = bpfsys.prog_load(c["progType"], bytes.fromhex(c["insns"]), expected_attach_type=c["attachType"], log_level=0)
        bpfsys.close(fd)
        return "ok"
    except bpfsys.BpfError as e:
        return e.code


def main():
    spec = json.load(sys.stdin)
    json.dump({"results": [run(c) for c in spec["cases"]]}, sys.stdout)


if __name__ == "__main__":
    main()
