#!/usr/bin/env python3
"""The live kernel's verifier log, at level 2, for every program of every example object
(scenarios/progs/*.bpf.o), as golden data: packages/loader/test/golden/kernel-logs.json,
{object: {program: {ok, log}}}.

Each program is loaded alone through libbpf.so.1 (the other programs' autoload off), with
bpf_program__set_log_level(2) and a 16 MiB log buffer, so the log is the kernel's own for
the instructions libbpf made: subprograms appended, map fds and CO-RE offsets patched, and
line info passed, so it shows `; <source line> @ <file>:<line>`. bpfsim's loader and
verifier must print the same log for the same object (objects-log.test.ts).

Shares probe_objects.py's ctypes bindings and its private bpffs for pinned maps.
Usage (root): python3 scripts/kernel/probe_object_logs.py [--out FILE] [--only OBJ]
"""
import ctypes
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe_objects as po  # noqa: E402

OUT = os.path.join(po.ROOT, "packages", "loader", "test", "golden", "kernel-logs.json")
set_log_level = po.fn("bpf_program__set_log_level", ctypes.c_int, po.P, ctypes.c_uint32)
set_log_buf = po.fn("bpf_program__set_log_buf", ctypes.c_int, po.P, ctypes.c_char_p, ctypes.c_size_t)
LOG_SIZE = 16 << 20


def program_log(path, pin_root, name):
    obj, err = po.open_obj(path, pin_root)
    if not obj:
        return None
    buf = ctypes.create_string_buffer(LOG_SIZE)
    for p in po.programs(obj):
        mine = po.prog_name(p).decode() == name
        po.prog_set_autoload(p, mine)
        if mine:
            set_log_level(p, 2)
            set_log_buf(p, buf, LOG_SIZE)
    ret = po.obj_load(obj)
    po.obj_close(obj)
    return {"ok": ret == 0, "log": buf.value.decode(errors="replace")}


def main():
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else OUT
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    os.chdir(po.ROOT)
    objs = sorted(glob.glob(os.path.join("scenarios", "progs", "*.bpf.o")))
    pin_root = tempfile.mkdtemp(prefix="bpfsim-logs-")
    if subprocess.run(["mount", "-t", "bpf", "bpf", pin_root]).returncode != 0:
        os.rmdir(pin_root)
        sys.exit("cannot mount a bpffs for pinned maps (need root)")
    result = {}
    try:
        preloaded = set(os.listdir(pin_root))
        for path in objs:
            oname = os.path.basename(path)[: -len(".bpf.o")]
            if only and oname != only:
                continue
            obj, err = po.open_obj(path, pin_root)
            if not obj:
                continue  # libbpf refuses it (legacy maps): nothing to log
            names = [po.prog_name(p).decode() for p in po.programs(obj)]
            po.obj_close(obj)
            result[oname] = {}
            for n in names:
                rec = program_log(path, pin_root, n)
                if rec is not None:
                    result[oname][n] = rec
                for f in set(os.listdir(pin_root)) - preloaded:
                    os.unlink(os.path.join(pin_root, f))
    finally:
        subprocess.run(["umount", pin_root])
        os.rmdir(pin_root)
    with open(out, "w") as f:
        json.dump({"recordedWith": {"kernel": os.uname().release, "libbpf": f"{po.major()}.{po.minor()}", "logLevel": 2}, "objects": result}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.relpath(out, po.ROOT)}: {sum(len(v) for v in result.values())} program logs")


if __name__ == "__main__":
    main()
