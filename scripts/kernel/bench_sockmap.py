#!/usr/bin/env python3
"""SK_MSG throughput on the live kernel (as root), for bench/sockmap.bench.ts: MB/s of
send() on a loopback TCP connection with no program, through an SK_PASS program, and with
an SK_MSG program redirecting each message into the receiving socket (BPF_F_INGRESS);
messages of each size in turn. A forked child drains the receiving socket.

stdin: JSON {"pass": hex bytecode, "redirect": hex bytecode, "sizes": [64, 4096, 1048576],
             "seconds": per measurement (0.5)}; both programs use a sockmap at fd_array[0]
             (slot 0: the sender, slot 1: the receiver).
stdout: JSON {"kernel": release, "results": {size: {"plain": MB/s, "pass": MB/s, "redirect": MB/s}}}
"""
import ctypes
import json
import os
import socket
import sys
import time

import bpfsys

SK_MSG = 16
SOCKMAP = 15
SK_MSG_VERDICT = 7
PORT = 29992


def measure(mode, size, seconds, spec):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", PORT))
    lst.listen(1)
    tx = socket.create_connection(("127.0.0.1", PORT))
    rx, _ = lst.accept()
    lst.close()
    m = None
    prog = None
    try:
        if mode != "plain":
            m = bpfsys.map_create(SOCKMAP, 4, 8, 2)
            prog, _ = bpfsys.prog_load_fd_array(SK_MSG, bytes.fromhex(spec[mode]), [m])
            r = bpfsys.prog_attach(m, prog, SK_MSG_VERDICT)
            if r < 0:
                raise OSError(-r, "attach")
            for key, s in ((0, tx), (1, rx)):
                ret = bpfsys.map_elem_cmd(bpfsys.BPF_MAP_UPDATE_ELEM, m, ctypes.c_uint32(key), ctypes.c_uint64(s.fileno()), 0)
                if ret < 0:
                    raise OSError(-ret, "sockmap update")
        pid = os.fork()
        if pid == 0:
            tx.close()
            try:
                while rx.recv(1 << 20):
                    pass
            finally:
                os._exit(0)
        rx.close()
        buf = b"x" * size
        sent = 0
        t0 = time.perf_counter()
        end = t0 + seconds
        while True:
            for _ in range(16):
                sent += tx.send(buf)
            if time.perf_counter() >= end:
                break
        t = time.perf_counter() - t0
        tx.shutdown(socket.SHUT_WR)
        tx.close()
        os.waitpid(pid, 0)
        return sent / t / 1e6
    finally:
        for fd in (prog, m):
            if fd is not None:
                os.close(fd)


def main():
    spec = json.load(sys.stdin)
    seconds = spec.get("seconds", 0.5)
    results = {}
    for size in spec.get("sizes", [64, 4096, 1 << 20]):
        results[str(size)] = {mode: measure(mode, size, seconds, spec) for mode in ("plain", "pass", "redirect")}
    json.dump({"kernel": os.uname().release, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
