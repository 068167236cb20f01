#!/usr/bin/env python3
"""SK_MSG verdicts on the live kernel with real loopback TCP sockets, for
packages/sockmap/test/sk-msg.kernel.test.ts.

Per case: a listener on 127.0.0.1 (SO_REUSEADDR, ports from 47700), clients A and B
connected to it (accepted as A2 and B2); a sockmap (value_size 8) holding A at key 0 and B
at key 1, with the case's SK_MSG program attached before they go in (fd_array: the
sockmap, then a 4-slot u64 array "stats"). Then A sends each of the case's sizes (bytes
0, 1, 2, … continuing across sends) and the probe records:
  sends: what each sendmsg returned (a count or an errno name),
  aPeer: the bytes A2 received (what went out on A),
  bPeer: the bytes B2 received (what a redirect pushed out on B),
  bIngress: the bytes B's own recv() returns (BPF_F_INGRESS redirects),
  stats: the array's four slots, as signed 64-bit numbers.

stdin: JSON {"cases": [{"id", "insns": hex, "sends": [n, ...]}]}
stdout: JSON {"results": [{"sends", "aPeer", "bPeer", "bIngress", "stats"} | {"error"}]}
"""
import ctypes
import errno
import json
import os
import tempfile
import select
import socket
import struct
import sys

import bpfsys

SOCKMAP = 15
ARRAY = 2
SK_MSG = 16
SK_MSG_VERDICT = 7
BPF_MAP_UPDATE_ELEM = 2
BPF_MAP_LOOKUP_ELEM = 1
PORT = [47700]


def drain(s):
    out = b""
    s.setblocking(False)
    while True:
        r, _, _ = select.select([s], [], [], 0.05)
        if not r:
            return out
        try:
            chunk = s.recv(65536)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def run(c):
    m = bpfsys.map_create(SOCKMAP, 4, 8, 4)
    st = bpfsys.map_create(ARRAY, 4, 8, 4)
    socks = []
    try:
        try:
            prog, _ = bpfsys.prog_load_fd_array(SK_MSG, bytes.fromhex(c["insns"]), [m, st])
        except bpfsys.BpfError as e:
            return {"error": "load:" + e.code + ":" + e.log.strip().split("\n")[-2:][0]}
        try:
            r = bpfsys.prog_attach(m, prog, SK_MSG_VERDICT)
            if r < 0:
                return {"error": "attach:" + bpfsys.errno_name(-r)}
            lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(lst)
            lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            PORT[0] += 1
            lst.bind(("127.0.0.1", PORT[0]))
            lst.listen(8)
            a = socket.create_connection(("127.0.0.1", PORT[0]))
            a2, _ = lst.accept()
            b = socket.create_connection(("127.0.0.1", PORT[0]))
            b2, _ = lst.accept()
            socks += [a, a2, b, b2]
            for key, s in ((0, a), (1, b)):
                k = ctypes.c_uint32(key)
                v = ctypes.c_uint64(s.fileno())
                ret = bpfsys.map_elem_cmd(BPF_MAP_UPDATE_ELEM, m, k, v, 0)
                if ret < 0:
                    return {"error": "update:" + bpfsys.errno_name(-ret)}
            sends = []
            at = 0
            a.setblocking(False)
            for n in c["sends"]:
                data = bytes((at + i) & 0xff for i in range(n))
                at += n
                try:
                    if c.get("via") == "sendfile":
                        # sendfile(2) from a file holding the bytes (splice into sendmsg).
                        with tempfile.TemporaryFile() as f:
                            f.write(data)
                            f.flush()
                            sends.append(os.sendfile(a.fileno(), f.fileno(), 0, n))
                    else:
                        sends.append(a.send(data))
                except OSError as e:
                    sends.append(errno.errorcode.get(e.errno, str(e.errno)))
            stats = []
            for i in range(4):
                k = ctypes.c_uint32(i)
                v = ctypes.c_uint64(0)
                bpfsys.map_elem_cmd(BPF_MAP_LOOKUP_ELEM, st, k, v)
                stats.append(v.value - (1 << 64) if v.value >= 1 << 63 else v.value)
            return {"sends": sends, "aPeer": drain(a2).hex(), "bPeer": drain(b2).hex(), "bIngress": drain(b).hex(), "stats": stats}
        finally:
            bpfsys.close(prog)
    finally:
        for s in socks:
            s.close()
        bpfsys.close(m)
        bpfsys.close(st)


def main():
    spec = json.load(sys.stdin)
    json.dump({"results": [run(c) for c in spec["cases"]]}, sys.stdout)


if __name__ == "__main__":
    main()
