#!/usr/bin/env python3
"""cgroup socket hooks on real sockets (as root), for packages/net/test/hooks.kernel.test.ts.

Each case gets /sys/fs/cgroup/unified/bpfsim-hooks-<pid>/<case>/ ("p") and its child "p/c".
The case's maps are created, its programs loaded (maps referenced by index through
fd_array) and attached to p or c in order; then a forked child joins p/c (and drops to uid
65534 when the case says so) and makes the case's socket calls on loopback. Afterwards the
maps are read, the programs detached and the cgroups removed.

stdin: JSON {"cases": [HookCase...]} (packages/net/test/hooks-cases.ts describes the steps).
stdout: JSON {"results": [{"attach": ["ok" | errno...], "steps": [...], "maps": {name: [[khex, vhex]...]}}],
              "rootClean": bool}
Ports in results are offsets from the case's base when in [base, base + 16), "ephemeral"
when in ip_local_port_range, else the port.
"""
import ctypes
import errno as errnomod
import json
import os
import select
import socket
import sys

import bpfsys

CGROUP2 = "/sys/fs/cgroup/unified"
MAP_TYPES = {"hash": 1, "array": 2}
SO_MARK = 36
SO_PRIORITY = 12
IPV6_V6ONLY = 26
ATTACH_TYPES = [2, 8, 9, 10, 11, 12, 13, 14, 15, 19, 20, 29, 30, 31, 32, 34]
LOCAL_RANGE = (32768, 60999)


def err(e):
    return errnomod.errorcode.get(e, str(e))


def rel(port, base):
    if base <= port < base + 16:
        return port - base
    if LOCAL_RANGE[0] <= port <= LOCAL_RANGE[1]:
        return "ephemeral"
    return port


def sockaddr(st):
    if st["family"] == 6:
        return (st["addr"], st["port"], 0, 0)
    return (st["addr"], st["port"])


def addr_out(a, base):
    return {"addr": a[0], "port": rel(a[1], base)}


def run_steps(c):
    """In the child: the case's socket calls, each answered "ok", an errno name or a value."""
    base = c["base"]
    socks = {}
    out = []
    for st in c["steps"]:
        op = st["op"]
        try:
            if op == "socket":
                fam = socket.AF_INET6 if st["family"] == 6 else socket.AF_INET
                typ = socket.SOCK_DGRAM if st["type"] == "udp" else socket.SOCK_STREAM
                socks[st["name"]] = socket.socket(fam, typ)
                out.append("ok")
            elif op == "opt":
                lvl, name = {
                    "reuseaddr": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
                    "v6only": (socket.IPPROTO_IPV6, IPV6_V6ONLY),
                    "mark": (socket.SOL_SOCKET, SO_MARK),
                }[st["opt"]]
                socks[st["sock"]].setsockopt(lvl, name, st["value"])
                out.append("ok")
            elif op == "getopt":
                name = {"mark": SO_MARK, "priority": SO_PRIORITY}[st["opt"]]
                out.append(socks[st["sock"]].getsockopt(socket.SOL_SOCKET, name))
            elif op == "bind":
                socks[st["sock"]].bind(sockaddr(st))
                out.append("ok")
            elif op == "connect":
                socks[st["sock"]].connect(sockaddr(st))
                out.append("ok")
            elif op == "sendto":
                socks[st["sock"]].sendto(bytes.fromhex(st.get("data", "78")), sockaddr(st))
                out.append("ok")
            elif op == "send":
                socks[st["sock"]].send(bytes.fromhex(st["data"]))
                out.append("ok")
            elif op == "listen":
                socks[st["sock"]].listen(8)
                out.append("ok")
            elif op == "accept":
                s = socks[st["sock"]]
                r, _, _ = select.select([s], [], [], 0.2)
                if not r:
                    out.append("EAGAIN")
                else:
                    conn, a = s.accept()
                    socks[st["as"]] = conn
                    out.append(addr_out(a, base))
            elif op == "name":
                out.append(addr_out(socks[st["sock"]].getsockname(), base))
            elif op == "peer":
                out.append(addr_out(socks[st["sock"]].getpeername(), base))
            elif op == "recv":
                s = socks[st["sock"]]
                r, _, _ = select.select([s], [], [], 0.1)
                if not r:
                    out.append("EAGAIN")
                else:
                    data, a = s.recvfrom(65536)
                    o = addr_out(a, base)
                    o["data"] = data.hex()
                    out.append(o)
            elif op == "close":
                socks.pop(st["sock"]).close()
                out.append("ok")
            else:
                out.append("bad op " + op)
        except OSError as e:
            out.append(err(e.errno) if e.errno else str(e))
    # Newest first: accepted sockets close before their clients, so TIME_WAIT stays on the
    # server side and a client's fixed port is free for the next run.
    for s in reversed(list(socks.values())):
        s.close()
    return out


def in_cgroup(cg_dir, uid, fn):
    """Runs fn() in a forked child that joined cg_dir (and dropped to uid); returns its JSON."""
    def child():
        with open(os.path.join(cg_dir, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        if uid:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        return fn()
    out = bpfsys.fork_json(child)
    return ["child error: %s" % out["childError"]] if isinstance(out, dict) else out


def dump(m, fd):
    """A map's entries as [key hex, value hex], sorted by key."""
    ks, vs = m["keySize"], m["valueSize"]
    out = []
    if m["type"] == "array":
        keys = [i.to_bytes(4, "little") for i in range(m["maxEntries"])]
    else:
        keys = []
        prev = None
        while True:
            nk = ctypes.create_string_buffer(ks)
            pk = ctypes.create_string_buffer(prev, ks) if prev is not None else None
            if bpfsys.map_elem_cmd(bpfsys.BPF_MAP_GET_NEXT_KEY, fd, pk, nk) < 0:
                break
            prev = nk.raw
            keys.append(prev)
    for k in keys:
        kb = ctypes.create_string_buffer(k, ks)
        vb = ctypes.create_string_buffer(vs)
        if bpfsys.map_elem_cmd(bpfsys.BPF_MAP_LOOKUP_ELEM, fd, kb, vb) == 0:
            out.append([k.hex(), vb.raw.hex()])
    return sorted(out)


def run_case(top, i, c):
    p = os.path.join(top, "case%d" % i)
    cdir = os.path.join(p, "c")
    os.mkdir(p)
    os.mkdir(cdir)
    cg = {"p": os.open(p, os.O_RDONLY | os.O_DIRECTORY), "c": os.open(cdir, os.O_RDONLY | os.O_DIRECTORY)}
    maps = [bpfsys.map_create(MAP_TYPES[m["type"]], m["keySize"], m["valueSize"], m["maxEntries"]) for m in c["maps"]]
    attached = []
    progs = []
    result = {"attach": [], "steps": [], "maps": {}}
    try:
        for pr in c["progs"]:
            try:
                fd, _ = bpfsys.prog_load_fd_array(pr["progType"], bytes.fromhex(pr["insns"]), maps, pr["attachType"])
            except bpfsys.BpfError as e:
                result["attach"].append("load:" + e.code)
                continue
            progs.append(fd)
            ret = bpfsys.prog_attach(cg[pr["cg"]], fd, pr["attachType"], pr["flags"])
            result["attach"].append("ok" if ret >= 0 else err(-ret))
            if ret >= 0:
                attached.append((cg[pr["cg"]], fd, pr["attachType"]))
        result["steps"] = in_cgroup(cdir, c["uid"], lambda: run_steps(c))
        for m, fd in zip(c["maps"], maps):
            result["maps"][m["name"]] = dump(m, fd)
    finally:
        for target, fd, at in reversed(attached):
            bpfsys.prog_detach(target, fd, at)
        for fd in progs + maps + list(cg.values()):
            os.close(fd)
        os.rmdir(cdir)
        os.rmdir(p)
    return result


def root_clean():
    fd = os.open(CGROUP2, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return all(bpfsys.prog_query(fd, at, 1, 0)["prog_cnt"] == 0 for at in ATTACH_TYPES)
    finally:
        os.close(fd)


def main():
    spec = json.load(sys.stdin)
    top = os.path.join(CGROUP2, "bpfsim-hooks-%d" % os.getpid())
    os.mkdir(top)
    try:
        results = [run_case(top, i, c) for i, c in enumerate(spec["cases"])]
    finally:
        os.rmdir(top)
    json.dump({"results": results, "rootClean": root_clean()}, sys.stdout)


if __name__ == "__main__":
    main()
