#!/usr/bin/env python3
"""What loading an example object costs with libbpf into the live kernel, for bench/loader.

For each scenarios/progs/*.bpf.o libbpf can open (the legacy-maps one it cannot), times
bpf_object__open_file() alone, and open + bpf_object__load() + bpf_object__close() (maps
created, programs relocated and verified, all released again), in this process through
libbpf.so.1. Prints one JSON object {name: {"open_ns": median, "load_ns": median}} on stdout.

Usage (root): python3 scripts/kernel/bench_loader.py [ROUNDS]   (default 20)
Pinned maps go to a private bpffs, removed at the end.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probe_objects as po  # noqa: E402


PROGS = os.path.join(po.ROOT, "scenarios", "progs")


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    os.chdir(po.ROOT)
    objs = sorted(f for f in os.listdir(PROGS) if f.endswith(".bpf.o"))
    pin_root = tempfile.mkdtemp(prefix="bpfsim-bench-loader-")
    if subprocess.run(["mount", "-t", "bpf", "bpf", pin_root]).returncode != 0:
        os.rmdir(pin_root)
        sys.exit("cannot mount a bpffs (need root)")
    out = {}
    try:
        preloaded = set(os.listdir(pin_root))
        for f in objs:
            path = os.path.join(PROGS, f)
            name = f[: -len(".bpf.o")]
            opens, loads = [], []
            ok = True
            for _ in range(rounds):
                t0 = time.perf_counter_ns()
                obj, err = po.open_obj(path, pin_root)
                t1 = time.perf_counter_ns()
                if not obj:
                    ok = False
                    break
                po.obj_close(obj)
                opens.append(t1 - t0)
                t0 = time.perf_counter_ns()
                obj, err = po.open_obj(path, pin_root)
                ret = po.obj_load(obj)
                po.obj_close(obj)
                t1 = time.perf_counter_ns()
                for p in set(os.listdir(pin_root)) - preloaded:
                    os.unlink(os.path.join(pin_root, p))
                if ret != 0:
                    ok = False
                    break
                loads.append(t1 - t0)
            if ok:
                out[name] = {"open_ns": median(opens), "load_ns": median(loads)}
    finally:
        subprocess.run(["umount", pin_root])
        os.rmdir(pin_root)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
