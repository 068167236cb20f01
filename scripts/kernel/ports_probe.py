#!/usr/bin/env python3
"""Port allocation and bind rules on the live kernel's loopback, for
packages/net/test/ports.kernel.test.ts.

stdin: JSON {"cases": [{"id", "uid": 0 | 65534, "steps": [step...]}]}; ports in steps are
offsets added to the case's base port (47800 + 8 * case index), 0 stays 0. Steps:
  {"op": "socket", "name", "family": 4|6, "type": "udp"|"tcp"}
  {"op": "opt", "sock", "opt": "reuseaddr"|"reuseport"|"v6only"|"freebind"|"noport", "value"}
  {"op": "bind"|"connect"|"sendto", "sock", "family": 0|4|6, "addr", "port"}
  {"op": "listen", "sock"}
  {"op": "name", "sock"}            -> {"addr", "port"} ("port": "ephemeral" when in the
                                       ip_local_port_range, "ephemeral-odd"/"-even" for TCP)
  {"op": "recv", "sock"}            -> "ok" | ERRNO (after 50 ms)
  {"op": "close", "sock"}
stdout: JSON {"results": [[step result...] per case]}.
Cases with uid 65534 run in a child process that drops to that uid (no capabilities).
"""
import ctypes
import errno
import json
import struct
import os
import socket
import sys
import time

LIBC = ctypes.CDLL(None, use_errno=True)
IP_FREEBIND = 15
IP_BIND_ADDRESS_NO_PORT = 24
IPV6_V6ONLY = 26
LOW, HIGH = 32768, 60999
OPTS = {
    "reuseaddr": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
    "reuseport": (socket.SOL_SOCKET, socket.SO_REUSEPORT),
    "v6only": (socket.IPPROTO_IPV6, IPV6_V6ONLY),
    "freebind": (socket.IPPROTO_IP, IP_FREEBIND),
    "noport": (socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT),
}


def err(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def run_case(c, base):
    socks = {}
    out = []

    def port(p):
        return 0 if p == 0 else base + p

    def sa(st):
        fam = st.get("family", 4)
        if fam == 6:
            return (st["addr"], port(st["port"]), 0, 0)
        return (st["addr"], port(st["port"]))

    try:
        for st in c["steps"]:
            op = st["op"]
            try:
                if op == "socket":
                    fam = socket.AF_INET6 if st["family"] == 6 else socket.AF_INET
                    typ = socket.SOCK_DGRAM if st["type"] == "udp" else socket.SOCK_STREAM
                    socks[st["name"]] = socket.socket(fam, typ)
                    out.append("ok")
                elif op == "opt":
                    lvl, name = OPTS[st["opt"]]
                    socks[st["sock"]].setsockopt(lvl, name, st["value"])
                    out.append("ok")
                elif op in ("bind", "connect"):
                    # A raw sockaddr of the step's family (AF_UNSPEC, or a family the socket
                    # does not have), as a C program would pass it.
                    fam = st.get("family", 4)
                    p = port(st["port"]).to_bytes(2, "big")
                    if fam == 6:
                        buf = struct.pack("<H", socket.AF_INET6) + p + bytes(4) + socket.inet_pton(socket.AF_INET6, st["addr"]) + bytes(4)
                    else:
                        buf = struct.pack("<H", socket.AF_INET if fam == 4 else 0) + p + socket.inet_pton(socket.AF_INET, st["addr"]) + bytes(8)
                    fn = LIBC.bind if op == "bind" else LIBC.connect
                    if fn(socks[st["sock"]].fileno(), buf, len(buf)) < 0:
                        raise OSError(ctypes.get_errno(), op)
                    out.append("ok")
                elif op == "sendto":
                    socks[st["sock"]].sendto(b"x", sa(st))
                    out.append("ok")
                elif op == "listen":
                    socks[st["sock"]].listen(8)
                    out.append("ok")
                elif op == "name":
                    n = socks[st["sock"]].getsockname()
                    p = n[1]
                    if p != 0 and LOW <= p <= HIGH and not (base <= p < base + 8):
                        kind = "ephemeral"
                        if socks[st["sock"]].type == socket.SOCK_STREAM:
                            kind += "-odd" if p % 2 else "-even"
                        p = kind
                    elif p != 0:
                        p = p - base
                    out.append({"addr": n[0], "port": p})
                elif op == "recv":
                    time.sleep(0.05)
                    s = socks[st["sock"]]
                    s.setblocking(False)
                    try:
                        s.recv(100)
                        out.append("ok")
                    except BlockingIOError:
                        out.append("EAGAIN")
                elif op == "close":
                    socks.pop(st["sock"]).close()
                    out.append("ok")
                else:
                    raise ValueError("unknown op " + op)
            except OSError as e:
                out.append(err(e))
    finally:
        for s in socks.values():
            s.close()
    return out


def run(c, base):
    if c.get("uid", 0) == 0:
        return run_case(c, base)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setresgid(c["uid"], c["uid"], c["uid"])
            os.setresuid(c["uid"], c["uid"], c["uid"])
            res = run_case(c, base)
        except Exception as e:  # noqa: BLE001
            res = ["child:" + str(e)]
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)


def main():
    spec = json.load(sys.stdin)
    json.dump({"results": [run(c, 47800 + 8 * i) for i, c in enumerate(spec["cases"])]}, sys.stdout)


if __name__ == "__main__":
    main()
