#!/usr/bin/env python3
"""Runs cgroup attach scenarios on the live kernel and prints what it said (as root).

Each case gets a fresh cgroup v2 directory under /sys/fs/cgroup/unified/bpfsim-probe-<pid>/
and, for pins, a private bpffs (in a mount namespace of this process only). Everything a
case creates is closed and removed after it; the probe directory goes at the end.

stdin: JSON {"cases": [{"id", "steps": [step…]}], "ctx": [{"type", "eat", "insns"}…], "helpers": [{"type", "eat", "id"}…],
             "logs": [{"type", "eat", "insns"}…]}
stdout: JSON {"results": [[step result…] per case], "ctx": ["ok" | errno per ctx load],
              "helpers": ["offered" | "refused" per helper],
              "logs": [{"ret": "ok" | errno, "msg": the verifier's error line} per log load],
              "rootClean": bool, "bpffs": bool}

Names: programs ("p1"), links ("l1") and cgroups ("." is the case's root, "a", "a/b") share
one namespace of open fds; "BAD" is an fd that is not open (999). Program and link ids in
outputs are reported by name; cgroup ids by cgroup name.

Steps (op and fields):
  mkdir cg | rmdir cg
  load prog type(8 cgroup_skb | 9 cgroup_sock | 18 cgroup_sock_addr) eat insns(hex)
  attach cg prog at [flags replace rel relId rev]   (rel: a name whose fd is relative_fd;
                                                     relId: a name whose id is relative_id, or a number)
  detach cg prog at [flags rel rev]                 (prog may be "BAD")
  query cg at [qflags cnt ids(bool, default true) aflags(bool) ]
  link link cg prog at [flags rel relId rev]
  update link prog [flags old]
  ldetach link | linfo link | close name
  pin name path | unpin path | get path as [kind] | settle (waits for deferred puts)
  any step may carry "caps": "nonet": run it in a child without CAP_NET_ADMIN and CAP_SYS_ADMIN.
Step results: {"ret": "ok" | errno name, …outputs}.
"""
import ctypes
import errno as errnomod
import json
import os
import shutil
import struct
import sys
import tempfile
import time

import bpfsys

CGROUP2 = "/sys/fs/cgroup/unified"
BAD_FD = 999
libc = bpfsys.libc


def err_name(ret):
    return "ok" if ret >= 0 else errnomod.errorcode.get(-ret, str(-ret))


# ---- capabilities (capset on this thread only) -------------------------------------------

class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_net_caps():
    """Clears CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21) from the effective set."""
    hdr = CapHeader(0x20080522, 0)
    data = (CapData * 2)()
    if libc.capget(ctypes.byref(hdr), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    data[0].effective &= ~((1 << 12) | (1 << 21))
    if libc.capset(ctypes.byref(hdr), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def in_child(fn):
    """Runs fn() in a forked child (which drops its network capabilities) and returns its JSON result."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            drop_net_caps()
            out = fn()
        except BaseException as e:  # noqa: BLE001
            out = {"ret": "child error: %s" % e}
        os.write(w, json.dumps(out).encode())
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


# ---- a private bpffs -----------------------------------------------------------------------

CLONE_NEWNS = 0x00020000
MS_REC = 16384
MS_PRIVATE = 1 << 18


def private_bpffs():
    """A bpffs mounted in a mount namespace of this process alone (gone when it exits)."""
    if libc.unshare(CLONE_NEWNS) != 0:
        return None
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return None
    d = tempfile.mkdtemp(prefix="bpfsim-bpffs-")
    if libc.mount(b"bpf", d.encode(), b"bpf", 0, None) != 0:
        os.rmdir(d)
        return None
    return d


# ---- one case --------------------------------------------------------------------------------

class Case:
    def __init__(self, root, bpffs):
        self.root = root
        self.bpffs = bpffs
        self.fds = {}        # name -> fd
        self.kind = {}       # name -> "prog" | "link" | "cg"
        self.prog_ids = {}   # id -> name
        self.link_ids = {}   # id -> name
        self.cg_ids = {}     # cgroup id (inode) -> name
        self.cgs = []        # cgroup names in creation order
        self.pins = []

    def fd(self, name):
        if name is None:
            return 0
        if name == "BAD":
            return BAD_FD
        return self.fds[name]

    def path(self, cg):
        return self.root if cg == "." else os.path.join(self.root, cg)

    def ident(self, x):
        """relative_id: a name's id, or a number as given."""
        if isinstance(x, int):
            return x
        if self.kind.get(x) == "prog":
            return next(i for i, n in self.prog_ids.items() if n == x)
        return next(i for i, n in self.link_ids.items() if n == x)

    def rel(self, s):
        if "relId" in s:
            return self.ident(s["relId"])
        return self.fd(s.get("rel")) if s.get("rel") else 0

    def open_cg(self, cg):
        fd = os.open(self.path(cg), os.O_RDONLY | os.O_DIRECTORY)
        self.fds[cg] = fd
        self.kind[cg] = "cg"
        self.cg_ids[os.stat(self.path(cg)).st_ino] = cg

    def step(self, s):
        op = s["op"]
        if op == "mkdir":
            os.mkdir(self.path(s["cg"]))
            self.cgs.append(s["cg"])
            self.open_cg(s["cg"])
            return {"ret": "ok"}
        if op == "settle":
            # Deferred puts (bpf_link_put from an unpin runs in a workqueue) get time to finish.
            time.sleep(0.2)
            return {"ret": "ok"}
        if op == "rmdir":
            os.close(self.fds.pop(s["cg"]))
            try:
                os.rmdir(self.path(s["cg"]))
                self.cgs.remove(s["cg"])
                return {"ret": "ok"}
            except OSError as e:
                return {"ret": errnomod.errorcode[e.errno]}
        if op == "load":
            try:
                fd, _ = bpfsys.prog_load(s["type"], bytes.fromhex(s["insns"]), expected_attach_type=s.get("eat", 0), log_level=0)
            except bpfsys.BpfError as e:
                return {"ret": e.code}
            self.fds[s["prog"]] = fd
            self.kind[s["prog"]] = "prog"
            self.prog_ids[bpfsys.prog_id(fd)] = s["prog"]
            return {"ret": "ok"}
        if s.get("caps") == "nonet":
            return in_child(lambda: self.do(s))
        return self.do(s)

    def do(self, s):
        op = s["op"]
        if op == "attach":
            ret = bpfsys.prog_attach(self.fd(s["cg"]), self.fd(s["prog"]), s["at"], s.get("flags", 0),
                                     self.fd(s.get("replace")), self.rel(s), s.get("rev", 0))
            return {"ret": err_name(ret)}
        if op == "detach":
            ret = bpfsys.prog_detach(self.fd(s["cg"]), self.fd(s.get("prog")), s["at"], s.get("flags", 0),
                                     self.rel(s), s.get("rev", 0))
            return {"ret": err_name(ret)}
        if op == "query":
            q = bpfsys.prog_query(self.fd(s["cg"]), s["at"], s.get("qflags", 0), s.get("cnt", 64),
                                  s.get("ids", True), s.get("aflags", False))
            out = {"ret": err_name(q["ret"])}
            if q["ret"] < 0 and q["ret"] != -errnomod.ENOSPC:
                return out
            out.update(attach_flags=q["attach_flags"], prog_cnt=q["prog_cnt"], revision=q["revision"])
            if q["prog_ids"] is not None:
                out["prog_ids"] = [self.prog_ids.get(i, "?%d" % i) for i in q["prog_ids"]]
            if q["prog_attach_flags"] is not None:
                out["prog_attach_flags"] = q["prog_attach_flags"]
            return out
        if op == "link":
            fd = bpfsys.link_create(self.fd(s["prog"]), self.fd(s["cg"]), s["at"], s.get("flags", 0), self.rel(s),
                                    s.get("rev", 0))
            if fd >= 0:
                self.fds[s["link"]] = fd
                self.kind[s["link"]] = "link"
                self.link_ids[bpfsys.link_info(fd)["id"]] = s["link"]
            return {"ret": err_name(fd)}
        if op == "update":
            ret = bpfsys.link_update(self.fd(s["link"]), self.fd(s["prog"]), s.get("flags", 0), self.fd(s.get("old")))
            return {"ret": err_name(ret)}
        if op == "ldetach":
            return {"ret": err_name(bpfsys.link_detach(self.fd(s["link"])))}
        if op == "linfo":
            i = bpfsys.link_info(self.fd(s["link"]))
            if i["ret"] < 0:
                return {"ret": err_name(i["ret"])}
            return {"ret": "ok", "type": i["type"], "id": self.link_ids.get(i["id"], "?%d" % i["id"]),
                    "prog_id": self.prog_ids.get(i["prog_id"], "?%d" % i["prog_id"]),
                    "cgroup_id": self.cg_ids.get(i["cgroup_id"], i["cgroup_id"]), "attach_type": i["attach_type"]}
        if op == "close":
            os.close(self.fds.pop(s["name"]))
            return {"ret": "ok"}
        if op == "pin":
            p = os.path.join(self.bpffs, s["path"])
            ret = bpfsys.obj_pin(self.fd(s["name"]), p)
            if ret == 0:
                self.pins.append(p)
            return {"ret": err_name(ret)}
        if op == "unpin":
            p = os.path.join(self.bpffs, s["path"])
            os.unlink(p)
            self.pins.remove(p)
            return {"ret": "ok"}
        if op == "get":
            fd = bpfsys.obj_get(os.path.join(self.bpffs, s["path"]))
            if fd >= 0:
                self.fds[s["as"]] = fd
                self.kind[s["as"]] = s.get("kind", "link")
            return {"ret": err_name(fd)}
        raise ValueError("unknown op %r" % op)

    def cleanup(self):
        """Unpins, closes every fd, removes the cgroups (what is attached goes with them)."""
        for p in self.pins:
            os.unlink(p)
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}
        for cg in sorted(self.cgs, key=lambda c: -c.count("/")):
            os.rmdir(self.path(cg))


# cgroup skb, cgroup sock, and every cgroup sock_addr attach type (8-11, 14, 15, 19, 20, 29-32, 49-53).
ATTACH_TYPES = [0, 1, 2, 12, 13, 34, 8, 9, 10, 11, 14, 15, 19, 20, 29, 30, 31, 32, 49, 50, 51, 52, 53]


def ctx_case(c):
    """Loads one program; 'ok' or the errno name."""
    try:
        fd, _ = bpfsys.prog_load(c["type"], bytes.fromhex(c["insns"]), expected_attach_type=c.get("eat", 0), log_level=0)
        os.close(fd)
        return "ok"
    except bpfsys.BpfError as e:
        return e.code


def helper_case(c):
    """Calls helper c["id"]: "refused" when the program type does not offer it, else "offered"."""
    insns = struct.pack("<BBhi", 0x85, 0, 0, c["id"]) + bytes.fromhex("b7000000000000009500000000000000")
    try:
        fd, _ = bpfsys.prog_load(c["type"], insns, expected_attach_type=c.get("eat", 0), log_level=1)
        os.close(fd)
        return "offered"
    except bpfsys.BpfError as e:
        return "refused" if "cannot use helper" in e.log or "invalid func" in e.log else "offered"


def error_line(log):
    """The verifier's last line before its summary ("processed N insns …"): why it refused."""
    lines = [l for l in log.split("\n") if l.strip()]
    while lines and lines[-1].startswith(("processed ", "verification time", "stack depth")):
        lines.pop()
    return lines[-1] if lines else ""


def log_case(c):
    """Loads one program with a log: {"ret": "ok" | errno, "msg": error line or ""}."""
    try:
        fd, _ = bpfsys.prog_load(c["type"], bytes.fromhex(c["insns"]), expected_attach_type=c.get("eat", 0), log_level=1)
        os.close(fd)
        return {"ret": "ok", "msg": ""}
    except bpfsys.BpfError as e:
        return {"ret": e.code, "msg": error_line(e.log)}


def root_clean():
    """True when the real root cgroup has nothing attached at the attach types the cases use."""
    fd = os.open(CGROUP2, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return all(bpfsys.prog_query(fd, at, 1, 0)["prog_cnt"] == 0 for at in ATTACH_TYPES)
    finally:
        os.close(fd)


def main():
    spec = json.load(sys.stdin)
    bpffs = private_bpffs()
    top = os.path.join(CGROUP2, "bpfsim-probe-%d" % os.getpid())
    os.mkdir(top)
    results = []
    try:
        for i, c in enumerate(spec.get("cases", [])):
            root = os.path.join(top, "c%d" % i)
            os.mkdir(root)
            case = Case(root, bpffs)
            case.open_cg(".")
            out = []
            try:
                for s in c["steps"]:
                    out.append(case.step(s))
            finally:
                case.cleanup()
                os.rmdir(root)
            results.append(out)
        ctx = [ctx_case(c) for c in spec.get("ctx", [])]
        helpers = [helper_case(c) for c in spec.get("helpers", [])]
        logs = [log_case(c) for c in spec.get("logs", [])]
    finally:
        os.rmdir(top)
        if bpffs:
            libc.umount2(bpffs.encode(), 0)
            shutil.rmtree(bpffs, ignore_errors=True)
    json.dump({"results": results, "ctx": ctx, "helpers": helpers, "logs": logs, "rootClean": root_clean(), "bpffs": bool(bpffs)}, sys.stdout)


if __name__ == "__main__":
    main()
