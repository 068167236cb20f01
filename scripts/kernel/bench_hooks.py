#!/usr/bin/env python3
"""What a cgroup sock_addr hook adds to socket calls on the live kernel (as root), for
bench/lib/hook-cost.ts: the same bytecode bpfsim runs, attached to a cgroup v2 under
/sys/fs/cgroup/unified that the measuring child joins, on loopback sockets.

stdin: JSON {"programs": {"OP:NAME": hex bytecode, ...}, "seconds": per measurement (0.4)}
       OP is connect (BPF_CGROUP_INET4_CONNECT), bind (INET4_BIND) or sendto (UDP4_SENDMSG).
stdout: JSON {"kernel": release, "results": {OP: {"none": ns, NAME: ns | {"error": ...}}}}
The operations (ns per operation, median of 3 rounds):
  connect: socket + connect + accept + close of both ends (SO_LINGER 0 on the client: no TIME_WAIT)
  bind:    UDP socket + bind(127.0.0.1:0) + close
  sendto:  one 8-byte datagram to a UDP socket on loopback (drained every 64 sends)
Each program is measured right after a run without it; "none" is the median of those runs.
"""
import errno as errnomod
import json
import os
import socket
import statistics
import struct
import sys
import time

import bpfsys

CGROUP2 = "/sys/fs/cgroup/unified"
SOCK_ADDR = 18
ATTACH = {"connect": 10, "bind": 8, "sendto": 14}
PORT_TCP, PORT_UDP = 29990, 29991


def make_op(op):
    if op == "connect":
        lst = socket.socket()
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind(("127.0.0.1", PORT_TCP))
        lst.listen(1024)
        linger = struct.pack("ii", 1, 0)

        def run():
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            c.connect(("127.0.0.1", PORT_TCP))
            s, _ = lst.accept()
            c.close()
            s.close()
        return run, lst
    if op == "bind":
        def run():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.close()
        return run, None
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", PORT_UDP))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind(("127.0.0.1", 0))
    dst = ("127.0.0.1", PORT_UDP)
    data = b"x" * 8
    n = [0]

    def run():
        tx.sendto(data, dst)
        n[0] += 1
        if n[0] % 64 == 0:
            try:
                while True:
                    rx.recv(64)
            except BlockingIOError:
                pass
    return run, rx


def ns_per_op(run, seconds):
    rounds = []
    for _ in range(3):
        count = 0
        t0 = time.perf_counter_ns()
        end = t0 + int(seconds * 1e9 / 3)
        while True:
            for _ in range(32):
                run()
            count += 32
            t = time.perf_counter_ns()
            if t >= end:
                break
        rounds.append((t - t0) / count)
    return statistics.median(rounds)


def measure(spec, cg_fd):
    """In the child (already in the cgroup): every op, with and without each program."""
    seconds = spec.get("seconds", 0.4)
    by_op = {}
    for key, hexcode in spec["programs"].items():
        op, name = key.split(":", 1)
        by_op.setdefault(op, []).append((name, bytes.fromhex(hexcode)))
    out = {}
    for op, progs in by_op.items():
        run, keep = make_op(op)
        for _ in range(200):
            run()
        cell = {}
        nones = []
        for name, insns in progs:
            nones.append(ns_per_op(run, seconds))
            try:
                fd, _ = bpfsys.prog_load_fd_array(SOCK_ADDR, insns, [], ATTACH[op])
            except bpfsys.BpfError as e:
                cell[name] = {"error": "load:" + e.code}
                continue
            try:
                r = bpfsys.prog_attach(cg_fd, fd, ATTACH[op], 0)
                if r < 0:
                    cell[name] = {"error": "attach:" + errnomod.errorcode.get(-r, str(-r))}
                    continue
                try:
                    cell[name] = ns_per_op(run, seconds)
                finally:
                    bpfsys.prog_detach(cg_fd, fd, ATTACH[op])
            finally:
                os.close(fd)
        cell["none"] = statistics.median(nones) if nones else ns_per_op(run, seconds)
        out[op] = cell
        if keep is not None:
            keep.close()
    return out


def main():
    raw = sys.stdin.read().strip()
    spec = json.loads(raw) if raw else {"programs": {f"{op}:empty": "b700000001000000" + "9500000000000000" for op in ATTACH}}
    cg = os.path.join(CGROUP2, "bpfsim-bench-%d" % os.getpid())
    os.mkdir(cg)
    cg_fd = os.open(cg, os.O_RDONLY | os.O_DIRECTORY)
    def child():
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        return {"results": measure(spec, cg_fd)}
    try:
        res = bpfsys.fork_json(child)
        if "childError" in res:
            print(res["childError"], file=sys.stderr)
            sys.exit(1)
        json.dump({"kernel": os.uname().release, "results": res["results"]}, sys.stdout)
    finally:
        os.close(cg_fd)
        os.rmdir(cg)


if __name__ == "__main__":
    main()
