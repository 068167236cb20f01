#!/usr/bin/env python3
"""What libbpf and the live kernel make of the example objects in scenarios/progs, as
golden data for packages/loader (packages/loader/test/golden/kernel-objects.json).

For each scenarios/progs/*.bpf.o, through libbpf.so.1 (ctypes):
  - open the object once and record its maps as libbpf sees them (BTF-defined maps,
    the .rodata/.data/.bss maps libbpf makes for globals, inner maps of map-in-map
    declarations are not listed: libbpf keeps them inside the outer map) and its
    programs (name, section, type, expected attach type, instruction count at open);
  - then for each program: open the object afresh, autoload only that program, call
    bpf_object__load() and record whether the kernel took it, the errno if not, the
    instruction count after libbpf's relocations (bpf_program__insn_cnt: subprograms
    from .text are appended, CO-RE offsets patched), the kernel's translated length
    (bpf_prog_info.xlated_prog_len / 8) on success, and the last lines of libbpf's log
    (which includes the verifier log) on failure.
An object libbpf refuses to open (legacy "maps" section) is recorded with openError and
its log. Maps with pinning are pinned under a private bpffs mounted in a temp directory
(pin_root_path), unmounted at the end; nothing is left in /sys/fs/bpf.

Usage (root, libbpf1 installed): python3 scripts/kernel/probe_objects.py [--out FILE]
Types are recorded as numbers (enum bpf_prog_type / bpf_attach_type / bpf_map_type) with
libbpf's names next to them (libbpf_bpf_*_type_str); expected attach type 0 is also what
libbpf reports for program types that have none (raw_tracepoint, socket, tracepoint).
"""
import ctypes
import errno as errnomod
import glob
import json
import os
import platform
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "packages", "loader", "test", "golden", "kernel-objects.json")
LOG_TAIL = 20

lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
libc = ctypes.CDLL(None, use_errno=True)

P = ctypes.c_void_p
S = ctypes.c_char_p


def fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


class OpenOpts(ctypes.Structure):
    # struct bpf_object_open_opts of libbpf 1.1 (libbpf.h); sz tells libbpf which fields exist.
    _fields_ = [
        ("sz", ctypes.c_size_t),
        ("object_name", S),
        ("relaxed_maps", ctypes.c_bool),
        ("pin_root_path", S),
        ("_attach_prog_fd", ctypes.c_uint32),
        ("kconfig", S),
        ("btf_custom_path", S),
        ("kernel_log_buf", P),
        ("kernel_log_size", ctypes.c_size_t),
        ("kernel_log_level", ctypes.c_uint32),
    ]


open_file = fn("bpf_object__open_file", P, S, ctypes.POINTER(OpenOpts))
obj_close = fn("bpf_object__close", None, P)
obj_load = fn("bpf_object__load", ctypes.c_int, P)
next_program = fn("bpf_object__next_program", P, P, P)
prog_name = fn("bpf_program__name", S, P)
prog_section = fn("bpf_program__section_name", S, P)
prog_type = fn("bpf_program__type", ctypes.c_int, P)
prog_eat = fn("bpf_program__expected_attach_type", ctypes.c_int, P)
prog_set_autoload = fn("bpf_program__set_autoload", ctypes.c_int, P, ctypes.c_bool)
prog_insn_cnt = fn("bpf_program__insn_cnt", ctypes.c_size_t, P)
prog_fd = fn("bpf_program__fd", ctypes.c_int, P)
next_map = fn("bpf_object__next_map", P, P, P)
map_name = fn("bpf_map__name", S, P)
map_type = fn("bpf_map__type", ctypes.c_int, P)
map_key_size = fn("bpf_map__key_size", ctypes.c_uint32, P)
map_value_size = fn("bpf_map__value_size", ctypes.c_uint32, P)
map_max_entries = fn("bpf_map__max_entries", ctypes.c_uint32, P)
map_flags = fn("bpf_map__map_flags", ctypes.c_uint32, P)
map_pin_path = fn("bpf_map__pin_path", S, P)
map_inner = fn("bpf_map__inner_map", P, P)
prog_type_str = fn("libbpf_bpf_prog_type_str", S, ctypes.c_int)
attach_type_str = fn("libbpf_bpf_attach_type_str", S, ctypes.c_int)
map_type_str = fn("libbpf_bpf_map_type_str", S, ctypes.c_int)
get_error = fn("libbpf_get_error", ctypes.c_long, P)
obj_get_info = fn("bpf_obj_get_info_by_fd", ctypes.c_int, ctypes.c_int, P, ctypes.POINTER(ctypes.c_uint32))
major = fn("libbpf_major_version", ctypes.c_uint32)
minor = fn("libbpf_minor_version", ctypes.c_uint32)

# libbpf's print callback: int (*)(enum libbpf_print_level, const char *fmt, va_list).
# On x86-64 a va_list argument is a pointer, which libc's vsnprintf takes as it is.
PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, S, P)
libc.vsnprintf.restype = ctypes.c_int
libc.vsnprintf.argtypes = [P, ctypes.c_size_t, S, P]
LOG = []


@PRINT_FN
def _print(level, fmt, args):
    buf = ctypes.create_string_buffer(8192)
    libc.vsnprintf(buf, len(buf), fmt, args)
    LOG.append(buf.value.decode(errors="replace"))
    return 0


lib.libbpf_set_print.restype = P
lib.libbpf_set_print.argtypes = [PRINT_FN]
lib.libbpf_set_print(_print)


def type_name(f, v):
    s = f(v)
    return s.decode() if s else str(v)


def log_lines():
    text = "".join(LOG)
    return [l for l in text.split("\n") if l.strip()]


def err_name(e):
    e = abs(e)
    return errnomod.errorcode.get(e, str(e))


def open_obj(path, pin_root):
    opts = OpenOpts(sz=ctypes.sizeof(OpenOpts), pin_root_path=pin_root.encode())
    obj = open_file(path.encode(), ctypes.byref(opts))
    err = get_error(obj) if obj else -ctypes.get_errno()
    if not obj or err:
        return None, err or -errnomod.EINVAL
    return obj, 0


def programs(obj):
    p = next_program(obj, None)
    while p:
        yield p
        p = next_program(obj, p)


def maps(obj):
    m = next_map(obj, None)
    while m:
        yield m
        m = next_map(obj, m)


def map_record(m):
    rec = {
        "name": map_name(m).decode(),
        "type": map_type(m),
        "typeName": type_name(map_type_str, map_type(m)),
        "keySize": map_key_size(m),
        "valueSize": map_value_size(m),
        "maxEntries": map_max_entries(m),
        "mapFlags": map_flags(m),
    }
    pin = map_pin_path(m)
    if pin:
        rec["pinned"] = True
    inner = map_inner(m)
    if inner:
        rec["inner"] = {
            "type": map_type(inner),
            "typeName": type_name(map_type_str, map_type(inner)),
            "keySize": map_key_size(inner),
            "valueSize": map_value_size(inner),
            "maxEntries": map_max_entries(inner),
        }
    return rec


def xlated_insn_cnt(fd):
    # struct bpf_prog_info: type, id, tag[8], jited_prog_len, xlated_prog_len, ...
    info = ctypes.create_string_buffer(256)
    n = ctypes.c_uint32(256)
    if obj_get_info(fd, info, ctypes.byref(n)) != 0:
        return None
    return int.from_bytes(info.raw[20:24], "little") // 8


def probe_object(path, pin_root):
    name = os.path.basename(path)[: -len(".bpf.o")]
    rec = {"object": os.path.basename(path)}
    LOG.clear()
    obj, err = open_obj(path, pin_root)
    if not obj:
        rec["openError"] = err_name(err)
        rec["log"] = log_lines()[-LOG_TAIL:]
        return name, rec
    rec["maps"] = [map_record(m) for m in maps(obj)]
    listing = []
    for p in programs(obj):
        listing.append({
            "name": prog_name(p).decode(),
            "section": prog_section(p).decode(),
            "progType": prog_type(p),
            "progTypeName": type_name(prog_type_str, prog_type(p)),
            "expectedAttachType": prog_eat(p),
            "expectedAttachTypeName": type_name(attach_type_str, prog_eat(p)),
            "insnCntAtOpen": prog_insn_cnt(p),
        })
    obj_close(obj)

    for entry in listing:
        LOG.clear()
        obj, err = open_obj(path, pin_root)
        if not obj:
            entry["load"] = {"ok": False, "errno": err_name(err), "log": log_lines()[-LOG_TAIL:]}
            continue
        target = None
        for p in programs(obj):
            mine = prog_name(p).decode() == entry["name"]
            prog_set_autoload(p, mine)
            if mine:
                target = p
        ret = obj_load(obj)
        entry["insnCntAfterRelocation"] = prog_insn_cnt(target)
        if ret == 0:
            entry["load"] = {"ok": True, "xlatedInsnCnt": xlated_insn_cnt(prog_fd(target))}
        else:
            entry["load"] = {"ok": False, "errno": err_name(ret), "log": log_lines()[-LOG_TAIL:]}
        obj_close(obj)
    rec["programs"] = listing
    return name, rec


def main():
    out = OUT
    if "--out" in sys.argv:
        out = sys.argv[sys.argv.index("--out") + 1]
    os.chdir(ROOT)  # relative paths: libbpf's log then names no checkout directory
    objs = sorted(glob.glob(os.path.join("scenarios", "progs", "*.bpf.o")))
    if not objs:
        sys.exit("no scenarios/progs/*.bpf.o: run npm run build:bpf first")
    pin_root = tempfile.mkdtemp(prefix="bpfsim-probe-")
    if subprocess.run(["mount", "-t", "bpf", "bpf", pin_root]).returncode != 0:
        os.rmdir(pin_root)
        sys.exit("cannot mount a bpffs for pinned maps (need root)")
    try:
        preloaded = set(os.listdir(pin_root))  # bpf_preload's maps.debug, progs.debug
        result = {}
        for path in objs:
            name, rec = probe_object(path, pin_root)
            result[name] = rec
            for f in set(os.listdir(pin_root)) - preloaded:  # pinned maps: fresh per object
                os.unlink(os.path.join(pin_root, f))
    finally:
        subprocess.run(["umount", pin_root])
        os.rmdir(pin_root)
    doc = {
        "recordedWith": {
            "kernel": platform.release(),
            "libbpf": f"{major()}.{minor()}",
            "script": "scripts/kernel/probe_objects.py",
        },
        "objects": result,
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    failed = [f"{o}:{p['name']}" for o, r in result.items() for p in r.get("programs", []) if not p["load"]["ok"]]
    failed += [f"{o} (open)" for o, r in result.items() if "openError" in r]
    print(f"wrote {os.path.relpath(out, ROOT)}; {len(objs)} objects; not loaded: {', '.join(failed) or 'none'}")


if __name__ == "__main__":
    main()
