#!/usr/bin/env python3
"""Times Linux's verifier: BPF_PROG_LOAD of each program, many times, at given log levels.

stdin: JSON [{"name", "progType": int, "insns": hex, "maps": [{"type", "keySize", "valueSize",
              "maxEntries", "flags"?}], "samples": int, "logLevels": [int, ...]}]
stdout: JSON [{"name", "accepted", "insnProcessed", "errno"?, "error"?,
               "runs": [{"logLevel", "wallNs": [...], "verifyUsec": [...], "logBytes"}]}]

Maps are created once per program and the program's BPF_PSEUDO_MAP_IDX references are
turned into fds (as probe_verifier.py does). Each sample is one BPF_PROG_LOAD (the
verifier, then the JIT) timed around the syscall alone; the attr and the log buffer are
built once per log level. With BPF_LOG_STATS (4) in the level, the kernel's own
"verification time N usec" line (print_verification_stats(): bpf_check() from start to
end, without the JIT) is collected too; it is truncated to whole microseconds.
"""
import ctypes
import json
import re
import struct
import sys
import time

import bpfsys
from probe_verifier import rewrite_maps

BPF_LOG_STATS = 4
LOG_SIZE = 1 << 26  # 64 MiB: a level-2 log of a 1,000-instruction program fits
VERIFY_TIME = re.compile(rb"verification time (\d+) usec")
PROCESSED = re.compile(rb"processed (\d+) insns")


class Loader:
    """One BPF_PROG_LOAD attr, ready to be issued again and again."""

    def __init__(self, prog_type, insns, log_level):
        self.insns = ctypes.create_string_buffer(insns, len(insns))
        self.license = ctypes.create_string_buffer(b"GPL\0")
        self.log = ctypes.create_string_buffer(LOG_SIZE) if log_level else None
        attr = bytearray(bpfsys.ATTR_SIZE)
        struct.pack_into("<IIQQIIQ", attr, 0, prog_type, len(insns) // 8, bpfsys.addr(self.insns),
                         bpfsys.addr(self.license), log_level, LOG_SIZE if log_level else 0, bpfsys.addr(self.log))
        self.attr = ctypes.create_string_buffer(bytes(attr), bpfsys.ATTR_SIZE)

    def load(self):
        """Returns (fd or -errno, wall ns)."""
        t0 = time.perf_counter_ns()
        fd = bpfsys.libc.syscall(bpfsys.SYS_bpf, bpfsys.BPF_PROG_LOAD, self.attr, bpfsys.ATTR_SIZE)
        t1 = time.perf_counter_ns()
        return (fd if fd >= 0 else -ctypes.get_errno()), t1 - t0

    def log_text(self):
        return self.log.value if self.log is not None else b""


def run_case(c):
    rec = {"name": c["name"], "runs": []}
    fds = []
    try:
        for m in c.get("maps", []):
            fds.append(bpfsys.map_create(m["type"], m["keySize"], m["valueSize"], m["maxEntries"], m.get("flags", 0)))
        insns = rewrite_maps(bytes.fromhex(c["insns"]), fds)
        # One load at level 1 for the verdict and insn_processed.
        fd, log = None, ""
        try:
            fd, log = bpfsys.prog_load(c["progType"], insns, log_level=1, log_size=1 << 24)
            bpfsys.close(fd)
            rec["accepted"] = True
        except bpfsys.BpfError as e:
            rec.update(accepted=False, errno=e.code, error=(e.log.strip().split("\n") or [""])[-1])
            log = e.log
        m = PROCESSED.search(log.encode())
        rec["insnProcessed"] = int(m.group(1)) if m else 0
        if not rec["accepted"]:
            return rec
        for level in c["logLevels"]:
            loader = Loader(c["progType"], insns, level)
            wall, verify, log_bytes = [], [], 0
            for k in range(c["samples"] + 1):  # the first load warms the caches and is dropped
                fd, ns = loader.load()
                if fd < 0:
                    raise bpfsys.BpfError(-fd, loader.log_text().decode(errors="replace"))
                bpfsys.close(fd)
                if k == 0:
                    continue
                wall.append(ns)
                text = loader.log_text()
                log_bytes = len(text)
                if level & BPF_LOG_STATS:
                    t = VERIFY_TIME.search(text)
                    verify.append(int(t.group(1)) if t else None)
            rec["runs"].append({"logLevel": level, "wallNs": wall, "verifyUsec": verify, "logBytes": log_bytes})
        return rec
    finally:
        for fd in fds:
            bpfsys.close(fd)


def main():
    cases = json.load(sys.stdin)
    json.dump([run_case(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
