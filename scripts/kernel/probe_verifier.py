#!/usr/bin/env python3
"""Loads each program with BPF_PROG_LOAD and reports what the kernel's verifier said.

stdin:  JSON [{"id", "progType": int, "expectedAttachType": int, "insns": hex,
               "maps": [{"type", "keySize", "valueSize", "maxEntries", "flags"}], "license"?: str}]
stdout: JSON [{"id", "accepted": bool, "errno"?: "EACCES"…, "error"?: str,
               "insnProcessed": int, "logTail": [last 12 log lines], "setupError"?: str}]

Each case's maps are created first (BPF_MAP_CREATE); every ld_imm64 with src_reg
BPF_PSEUDO_MAP_IDX (5) becomes BPF_PSEUDO_MAP_FD (1) with imm = the fd of map number imm,
and BPF_PSEUDO_MAP_IDX_VALUE (6) becomes BPF_PSEUDO_MAP_VALUE (2) likewise. The program is
loaded at log_level 1 (the log buffer grows on ENOSPC; log_level 2 is used only when a
refusal left no error line at level 1). Every fd is closed before the next case.

`error` (refusals only): the log split into non-empty lines, without the last line that
starts with "processed " and everything after it; the last remaining line, right-stripped.
"" when the load failed before writing any log. `insnProcessed`: N of "processed N insns"
(found anywhere in a line: a few kernel messages lack their newline, e.g. "expected prog
array map for tail call"), 0 when absent. errno 524 is reported as ENOTSUPP. `setupError`: a map could not be created (the case was not loaded).
"""
import errno as errnomod
import json
import re
import struct
import sys

import bpfsys

BPF_LD_IMM64 = 0x18
BPF_PSEUDO_MAP_FD = 1
BPF_PSEUDO_MAP_VALUE = 2
BPF_PSEUDO_MAP_IDX = 5
BPF_PSEUDO_MAP_IDX_VALUE = 6
LOG_START = 1 << 20
LOG_MAX = 1 << 28
TAIL = 12
PROCESSED = re.compile(r"processed (\d+) insns")


def rewrite_maps(insns, fds):
    """Turns map references by index into references by fd (both slots' imm stay in place)."""
    buf = bytearray(insns)
    i = 0
    n = len(buf) // 8
    while i < n:
        code = buf[i * 8]
        if code == BPF_LD_IMM64:
            regs = buf[i * 8 + 1]
            src = regs >> 4
            (imm,) = struct.unpack_from("<i", buf, i * 8 + 4)
            new_src = {BPF_PSEUDO_MAP_IDX: BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX_VALUE: BPF_PSEUDO_MAP_VALUE}.get(src)
            if new_src is not None and 0 <= imm < len(fds):
                buf[i * 8 + 1] = (regs & 0x0F) | (new_src << 4)
                struct.pack_into("<i", buf, i * 8 + 4, fds[imm])
            i += 2
        else:
            i += 1
    return bytes(buf)


# Kernel-internal errnos that user space can see but Python's errno module does not name.
KERNEL_ERRNOS = {524: "ENOTSUPP"}


def load(prog_type, insns, attach_type, license, log_level):
    """Returns (fd or None, errno code or None, log text)."""
    size = LOG_START
    while True:
        try:
            fd, log = bpfsys.prog_load(prog_type, insns, expected_attach_type=attach_type, license=license,
                                       log_level=log_level, log_size=size)
            return fd, None, log
        except bpfsys.BpfError as e:
            if e.errno == errnomod.ENOSPC and size < LOG_MAX:
                size *= 4
                continue
            return None, KERNEL_ERRNOS.get(e.errno, e.code), e.log


def lines_of(log):
    return [l.rstrip() for l in log.split("\n") if l.strip()]


def error_line(lines):
    """The last line before the last "processed " line ("" when there is none)."""
    cut = len(lines)
    for k in range(len(lines) - 1, -1, -1):
        if lines[k].startswith("processed "):
            cut = k
            break
    return lines[cut - 1] if cut > 0 else ""


def processed(lines):
    for l in reversed(lines):
        m = PROCESSED.search(l)
        if m:
            return int(m.group(1))
    return 0


def run_case(c):
    rec = {"id": c["id"]}
    fds = []
    try:
        for k, m in enumerate(c.get("maps", [])):
            try:
                fds.append(bpfsys.map_create(m["type"], m["keySize"], m["valueSize"], m["maxEntries"], m.get("flags", 0)))
            except bpfsys.BpfError as e:
                rec.update(accepted=False, insnProcessed=0, logTail=[], setupError=f"BPF_MAP_CREATE of map {k} failed: {e.code}")
                return rec
        insns = rewrite_maps(bytes.fromhex(c["insns"]), fds)
        license = c.get("license", "GPL").encode()
        prog_type = c["progType"]
        attach = c.get("expectedAttachType", 0) or 0
        fd, code, log = load(prog_type, insns, attach, license, 1)
        if fd is not None:
            bpfsys.close(fd)
            lines = lines_of(log)
            rec.update(accepted=True, insnProcessed=processed(lines), logTail=lines[-TAIL:])
            return rec
        lines = lines_of(log)
        if not error_line(lines):
            fd2, code2, log2 = load(prog_type, insns, attach, license, 2)
            if fd2 is not None:  # cannot happen: the same program at another log level
                bpfsys.close(fd2)
            elif error_line(lines_of(log2)):
                code, lines = code2, lines_of(log2)
        rec.update(accepted=False, errno=code, error=error_line(lines), insnProcessed=processed(lines), logTail=lines[-TAIL:])
        return rec
    finally:
        for fd in fds:
            bpfsys.close(fd)


def main():
    cases = json.load(sys.stdin)
    json.dump([run_case(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
