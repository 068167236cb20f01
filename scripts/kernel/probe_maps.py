#!/usr/bin/env python3
"""Runs map-command cases against the live kernel; prints what it did.

stdin: JSON {"cases": [{"id", "steps": [step, ...]}]}. A step is a dict with "op":
  create  {as, attr: {map_type, key_size, value_size, max_entries, map_flags?, inner_map_fd?,
           numa_node?, map_name?, map_extra?, btf_*?, map_ifindex?, map_token_fd?,
           excl_prog_hash_size?}}   (fd-valued fields may name an earlier object: "m0")
  update  {map, key, value, flags?}     key/value: hex, null (NULL), {"fd": name}, {"rawfd": n}
  lookup  {map, key, out, flags?, ids?} out: bytes of the value buffer, or null (NULL);
                                        ids: "map"/"prog": the value is an id, report its name
  bloom   {map, value}                  a bloom filter lookup (the value is an input)
  delete  {map, key, extra?}
  next    {map, key, out, extra?}
  iterate {map, sort?}                  GET_NEXT_KEY from NULL until ENOENT
  lookup_and_delete {map, key, out, flags?}
  freeze  {map, extra?}
  info    {map}
  close   {map}
  prog    {as, type, insns: hex, fd_array: [names], expected_attach_type?}
  run     {prog, data: hex}
  (extra: {"offset": [struct format, value]} written into the attr past the usual fields)
stdout: JSON {"cpus", "results": [{"id", "steps": [{"ok": true, ...} | {"errno": NAME}]}]}

The probe pins itself to CPU 0, so LRU maps (which keep per-CPU lists) behave the same on
every run. Every fd it opens is closed at the end of its case.
"""
import ctypes
import json
import os
import struct
import sys

import bpfsys

PROG_TYPES = {"socket_filter": 1, "xdp": 6}
PERCPU = {5, 6, 10}  # PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH


def buf(hexstr):
    if hexstr is None:
        return None
    data = bytes.fromhex(hexstr)
    return ctypes.create_string_buffer(data, max(1, len(data)))


class Missing(Exception):
    """A step names an object an earlier step failed to create."""


class Case:
    def __init__(self):
        self.fds = {}
        self.ids = {}

    def fd(self, ref):
        if isinstance(ref, str):
            if ref not in self.fds:
                raise Missing(ref)
            return self.fds[ref]
        return ref if ref is not None else 0

    def value(self, v):
        if isinstance(v, dict):
            n = self.fd(v["fd"]) if "fd" in v else v["rawfd"]
            return ctypes.create_string_buffer(struct.pack("<i", n), 4)
        return buf(v)

    def ref_of(self, data, kind):
        """The name of the map or program (kind "map"/"prog") with the id in data."""
        (n,) = struct.unpack_from("<I", data, 0)
        for name, i in self.ids.items():
            if i == n and name.startswith(kind[0]):
                return {"ref": name}
        return {"id": n}

    def create(self, s):
        a = s["attr"]
        attr = bytearray(bpfsys.ATTR_SIZE)
        struct.pack_into("<IIIIIII", attr, 0, a["map_type"], a.get("key_size", 0), a.get("value_size", 0), a.get("max_entries", 0),
                         a.get("map_flags", 0), self.fd(a.get("inner_map_fd")), a.get("numa_node", 0))
        name = a.get("map_name", "").encode()
        attr[28:28 + min(16, len(name))] = name[:16]
        struct.pack_into("<IIIII", attr, 44, a.get("map_ifindex", 0), self.fd(a.get("btf_fd")), a.get("btf_key_type_id", 0),
                         a.get("btf_value_type_id", 0), a.get("btf_vmlinux_value_type_id", 0))
        struct.pack_into("<QII", attr, 64, int(a.get("map_extra", 0)), 0, self.fd(a.get("map_token_fd")))
        struct.pack_into("<I", attr, 88, a.get("excl_prog_hash_size", 0))
        fd = bpfsys.map_create_raw(attr)
        if fd < 0:
            return {"errno": bpfsys.errno_name(-fd)}
        self.fds[s["as"]] = fd
        self.ids[s["as"]] = bpfsys.map_info(fd)["id"]
        return {"ok": True}

    def elem(self, cmd, s, outfield=None):
        key = buf(s.get("key"))
        out = None
        if outfield:
            n = s.get("out")
            out = ctypes.create_string_buffer(n) if n is not None else None
            value = out
        else:
            value = self.value(s.get("value"))
        extra = {int(k): tuple(v) for k, v in s.get("extra", {}).items()}
        ret = bpfsys.map_elem_cmd(cmd, self.fd(s["map"]), key, value, s.get("flags", 0), extra)
        if ret < 0:
            return {"errno": bpfsys.errno_name(-ret)}
        r = {"ok": True}
        if outfield and out is not None:
            r.update(self.ref_of(out.raw, s["ids"]) if s.get("ids") else {outfield: out.raw.hex()})
        return r

    def step(self, s):
        op = s["op"]
        if op == "create":
            return self.create(s)
        if op == "update":
            return self.elem(bpfsys.BPF_MAP_UPDATE_ELEM, s)
        if op == "lookup":
            return self.elem(bpfsys.BPF_MAP_LOOKUP_ELEM, s, "value")
        if op == "bloom":
            return self.elem(bpfsys.BPF_MAP_LOOKUP_ELEM, s)
        if op == "delete":
            return self.elem(bpfsys.BPF_MAP_DELETE_ELEM, s)
        if op == "next":
            return self.elem(bpfsys.BPF_MAP_GET_NEXT_KEY, s, "key")
        if op == "lookup_and_delete":
            return self.elem(bpfsys.BPF_MAP_LOOKUP_AND_DELETE_ELEM, s, "value")
        if op == "iterate":
            return self.iterate(s)
        if op == "freeze":
            extra = {int(k): tuple(v) for k, v in s.get("extra", {}).items()}
            ret = bpfsys.map_freeze(self.fd(s["map"]), extra)
            return {"errno": bpfsys.errno_name(-ret)} if ret < 0 else {"ok": True}
        if op == "info":
            i = bpfsys.map_info(self.fd(s["map"]))
            return {"ok": True, "info": {k: i[k] for k in ("type", "key_size", "value_size", "max_entries", "map_flags", "name")}}
        if op == "close":
            os.close(self.fd(s["map"]))
            del self.fds[s["map"]]
            return {"ok": True}
        if op == "prog":
            try:
                fd, _ = bpfsys.prog_load_fd_array(PROG_TYPES[s["type"]], bytes.fromhex(s["insns"]), [self.fd(n) for n in s.get("fd_array", [])],
                                                  s.get("expected_attach_type", 0))
            except bpfsys.BpfError as e:
                lines = [l for l in e.log.strip().split("\n") if l]
                return {"errno": bpfsys.errno_name(e.errno), "log": lines[-2] if len(lines) >= 2 else ""}
            self.fds[s["as"]] = fd
            self.ids[s["as"]] = bpfsys.prog_id(fd)
            return {"ok": True}
        if op == "run":
            try:
                r = bpfsys.test_run(self.fd(s["prog"]), bytes.fromhex(s["data"]))
            except bpfsys.BpfError as e:
                return {"errno": bpfsys.errno_name(e.errno)}
            return {"ok": True, "retval": r["retval"]}
        raise ValueError(f"unknown op {op}")

    def iterate(self, s):
        info = bpfsys.map_info(self.fd(s["map"]))
        ks = info["key_size"]
        keys = []
        key = None
        for _ in range(100000):
            nxt = ctypes.create_string_buffer(max(1, ks))
            ret = bpfsys.map_elem_cmd(bpfsys.BPF_MAP_GET_NEXT_KEY, self.fd(s["map"]), key, nxt)
            if ret < 0:
                if ret != -2:
                    return {"errno": bpfsys.errno_name(-ret)}
                break
            keys.append(nxt.raw[:ks].hex())
            key = nxt
        return {"ok": True, "keys": sorted(keys) if s.get("sort") else keys}

    def close_all(self):
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


def main():
    os.sched_setaffinity(0, {0})
    req = json.load(sys.stdin)
    out = []
    for c in req["cases"]:
        case = Case()
        steps = []
        try:
            for s in c["steps"]:
                try:
                    steps.append(case.step(s))
                except Missing:
                    steps.append({"skip": True})
        finally:
            case.close_all()
        out.append({"id": c["id"], "steps": steps})
    json.dump({"cpus": possible_cpus(), "results": out}, sys.stdout)


def possible_cpus():
    """num_possible_cpus(): per-CPU values are this many round_up(value_size, 8) slices."""
    n = 0
    for part in open("/sys/devices/system/cpu/possible").read().strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


if __name__ == "__main__":
    main()
