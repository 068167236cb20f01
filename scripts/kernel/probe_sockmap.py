#!/usr/bin/env python3
"""Runs sockmap scenarios on the live kernel with real loopback sockets, for
packages/sockmap/test/sockmap.kernel.test.ts.

stdin: JSON {"cases": [{"id", "steps": [step...]}]}; steps (names are per case):
  {"op": "map", "name", "type": 15|18, "key": n, "value": n, "max": n, "flags": n}
  {"op": "sock", "name", "kind": "tcp-fresh"|"tcp-bound"|"tcp-listen"|"tcp-est"|"tcp-accepted"|"udp"|"udp-connected"}
  {"op": "update", "map", "key": n, "sock": name | "fd": "pipe"|"closed"|"huge", "flags": n}
  {"op": "lookup", "map", "key": n}     -> "cookie:<sock name>" | ERRNO
  {"op": "delete", "map", "key": n}
  {"op": "nextkey", "map", "key": n | null}   -> {"next": n} | ERRNO
  {"op": "close", "sock"}
  {"op": "prog", "name", "insns": hex, "type": n}
  {"op": "attach" | "detach", "map", "prog", "attachType": n, "flags": n}
  {"op": "query", "map", "attachType": n}      -> {"progs": [prog names]} | ERRNO
stdout: JSON {"results": [[step result...] per case]}; a result is "ok", an errno name or
the object above. Listeners use SO_REUSEADDR on ports from 47600; every fd is closed.
"""
import ctypes
import json
import os
import socket
import struct
import sys

import bpfsys

SO_COOKIE = 57
BPF_MAP_GET_NEXT_KEY = 4
BPF_MAP_LOOKUP_ELEM = 1
BPF_MAP_UPDATE_ELEM = 2
BPF_MAP_DELETE_ELEM = 3
BPF_PROG_ATTACH = 8
BPF_PROG_DETACH = 9
BPF_PROG_QUERY = 16
PORT = [47600]


def cookie(s):
    return struct.unpack("<Q", s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]


class Case:
    def __init__(self):
        self.maps, self.socks, self.progs, self.extra = {}, {}, {}, []

    def make_sock(self, kind):
        if kind.startswith("udp"):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            if kind == "udp-connected":
                s.connect(("127.0.0.1", 9))
            return s
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if kind == "tcp-fresh":
            return s
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        PORT[0] += 1
        s.bind(("127.0.0.1", PORT[0]))
        if kind == "tcp-bound":
            return s
        s.listen(8)
        if kind == "tcp-listen":
            return s
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.connect(("127.0.0.1", PORT[0]))
        a, _ = s.accept()
        self.extra += [s]
        if kind == "tcp-est":
            self.extra.append(a)
            return c
        self.extra.append(c)
        return a

    def step(self, st):
        op = st["op"]
        if op == "map":
            try:
                self.maps[st["name"]] = (bpfsys.map_create(st["type"], st["key"], st["value"], st["max"], st.get("flags", 0)), st["value"])
                return "ok"
            except bpfsys.BpfError as e:
                return e.code
        if op == "sock":
            self.socks[st["name"]] = self.make_sock(st["kind"])
            return "ok"
        if op == "close":
            self.socks.pop(st["sock"]).close()
            return "ok"
        if op == "prog":
            try:
                fd, _ = bpfsys.prog_load(st["type"], bytes.fromhex(st["insns"]))
                self.progs[st["name"]] = fd
                return "ok"
            except bpfsys.BpfError as e:
                return e.code
        if op in ("attach", "detach"):
            mfd = self.maps[st["map"]][0]
            pfd = self.progs[st["prog"]]
            r = (bpfsys.prog_attach if op == "attach" else bpfsys.prog_detach)(mfd, pfd, st["attachType"], st.get("flags", 0))
            return "ok" if r >= 0 else bpfsys.errno_name(-r)
        if op == "query":
            r = bpfsys.prog_query(self.maps[st["map"]][0], st["attachType"], prog_cnt=8)
            if r["ret"] < 0:
                return bpfsys.errno_name(-r["ret"])
            names = {bpfsys.prog_id(fd): n for n, fd in self.progs.items()}
            return {"progs": [names.get(i, "?") for i in r["prog_ids"]]}
        mfd, vsize = self.maps[st["map"]]
        key = ctypes.c_uint32(st["key"]) if st.get("key") is not None else None
        if op == "update":
            if "sock" in st:
                fd = self.socks[st["sock"]].fileno()
            elif st["fd"] == "pipe":
                r, w = os.pipe()
                self.extra += [r, w]
                fd = r
            elif st["fd"] == "closed":
                fd = 900
            else:
                fd = 0x80000000
            val = ctypes.c_uint64(fd) if vsize == 8 else ctypes.c_uint32(fd & 0xffffffff)
            ret = bpfsys.map_elem_cmd(BPF_MAP_UPDATE_ELEM, mfd, key, val, st.get("flags", 0))
            return "ok" if ret >= 0 else bpfsys.errno_name(-ret)
        if op == "lookup":
            val = ctypes.create_string_buffer(max(vsize, 8))
            ret = bpfsys.map_elem_cmd(BPF_MAP_LOOKUP_ELEM, mfd, key, val)
            if ret < 0:
                return bpfsys.errno_name(-ret)
            c = struct.unpack_from("<Q", val.raw)[0]
            for n, s in self.socks.items():
                if cookie(s) == c:
                    return "cookie:" + n
            return "cookie:?"
        if op == "delete":
            ret = bpfsys.map_elem_cmd(BPF_MAP_DELETE_ELEM, mfd, key)
            return "ok" if ret >= 0 else bpfsys.errno_name(-ret)
        if op == "nextkey":
            nxt = ctypes.c_uint32(0)
            ret = bpfsys.map_elem_cmd(BPF_MAP_GET_NEXT_KEY, mfd, key, nxt)
            return {"next": nxt.value} if ret >= 0 else bpfsys.errno_name(-ret)
        raise ValueError("unknown op " + op)

    def cleanup(self):
        for s in list(self.socks.values()):
            s.close()
        for x in self.extra:
            if isinstance(x, int):
                os.close(x)
            else:
                x.close()
        for fd, _ in self.maps.values():
            bpfsys.close(fd)
        for fd in self.progs.values():
            bpfsys.close(fd)


def main():
    spec = json.load(sys.stdin)
    results = []
    for c in spec["cases"]:
        case = Case()
        try:
            results.append([case.step(s) for s in c["steps"]])
        finally:
            case.cleanup()
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
