#!/usr/bin/env python3
"""What a cgroup sock_addr hook adds to socket calls on the live kernel (as root).

Used by bench/lib/hook-cost.ts and `bpfsim bench-hook`: the same bytecode bpfsim runs is
loaded as BPF_PROG_TYPE_CGROUP_SOCK_ADDR and attached to a fresh cgroup v2,
/sys/fs/cgroup/unified/bpfsim-bench-<pid>, which a forked measuring child joins; the child
then times loopback socket calls with and without each program.

stdin:  JSON {"programs": {KEY: HEX, ...}, "seconds": S}      (empty stdin: built-in defaults)
  HEX      eBPF bytecode, 8 bytes per instruction, little endian, as hex.
  KEY      "NAME"    measured at every operation it fits: a name containing "connect", "bind"
                     or "sendmsg"/"sendto" only at those operations, any other name at all three;
           "OP:NAME" measured at OP (connect, bind or sendto) only.
           Results are reported under NAME.
  S        seconds per round (default 0.5); each measurement is the median of 5 rounds.
  Default programs: {"empty": "b700000001000000" "9500000000000000"} (r0 = 1; exit).
stdout: JSON {"kernel": uname release,
              "results": {OP: {"none": ns, NAME: ns | {"error": "load:EACCES ..."}, ...}, ...}}
  ns per operation. An operation is measured when some program goes to it (all three when
  there are no programs). A program is loaded with expected_attach_type = the attach type:
    connect  BPF_CGROUP_INET4_CONNECT (10): TCP socket + SO_LINGER {1, 0} + connect to a
             listener on 127.0.0.1:29990 + accept + close of both ends (RST: no TIME_WAIT)
    bind     BPF_CGROUP_INET4_BIND (8):     UDP socket + bind(127.0.0.1:0) + close
    sendto   BPF_CGROUP_UDP4_SENDMSG (14):  sendto of 8 bytes from a UDP socket on
             127.0.0.1:0 to a receiver on 127.0.0.1:29991, drained every 64 sends
  Baseline and program runs alternate (none, P1, none, P2, ...) so drift cancels; "none" is
  the median of the baseline runs. A cell whose program fails to load or attach, or whose
  operation fails with it attached, holds {"error": "load:|attach:|run:..."}.
stderr: diagnostics. Exit status 0 on success, 1 when the measurement failed, 2 on bad input.
The cgroup is always removed (programs detached, fds closed, the child reaped first).
"""
import gc
import json
import os
import re
import select
import signal
import socket
import statistics
import struct
import sys
import time

import bpfsys

CGROUP2 = "/sys/fs/cgroup/unified"
PREFIX = "bpfsim-bench-"
SOCK_ADDR = 18
OPS = ("connect", "bind", "sendto")
ATTACH = {"connect": 10, "bind": 8, "sendto": 14}
HINTS = {"connect": ("connect",), "bind": ("bind",), "sendto": ("sendmsg", "sendto")}
TCP_ADDR = ("127.0.0.1", 29990)
UDP_ADDR = ("127.0.0.1", 29991)
ROUNDS = 5
DEFAULT_SECONDS = 0.5
WARMUP_OPS = 200
EMPTY_HEX = "b700000001000000" + "9500000000000000"  # r0 = 1; exit


class Stop(BaseException):
    """SIGTERM or SIGHUP: unwind through the finally blocks like KeyboardInterrupt."""


def on_signal(signum, _frame):
    raise Stop("signal %d" % signum)


def log(*parts):
    print("bench_hooks[%d]:" % os.getpid(), *parts, file=sys.stderr, flush=True)


def ename(e):
    return bpfsys.errno_name(e) if e else "error"


def oserr(e):
    return ename(e.errno) if isinstance(e, OSError) and e.errno else "%s: %s" % (type(e).__name__, e)


# ---- input --------------------------------------------------------------------------------

class BadInput(Exception):
    pass


def parse_input(raw):
    """stdin text -> (seconds, {op: [(name, insns bytes | error str)]}) for the ops to measure."""
    spec = json.loads(raw) if raw.strip() else {}
    if not isinstance(spec, dict):
        raise BadInput("stdin must be a JSON object")
    seconds = spec.get("seconds", DEFAULT_SECONDS)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= 60:
        raise BadInput("seconds must be a number in (0, 60]")
    programs = spec.get("programs", {"empty": EMPTY_HEX} if not raw.strip() else {})
    if not isinstance(programs, dict):
        raise BadInput("programs must be an object {name: hex}")
    plan = {op: [] for op in OPS}
    for key, code in programs.items():
        prefix, _, rest = key.partition(":")
        if rest and prefix in OPS:
            name, ops = rest, [prefix]
        else:
            name = key
            ops = [op for op in OPS if any(h in key.lower() for h in HINTS[op])] or list(OPS)
        if name == "none":
            raise BadInput('"none" is the baseline; give the program another name')
        try:
            if not isinstance(code, str):
                raise ValueError("not a string")
            insns = bytes.fromhex(code)
            if not insns or len(insns) % 8:
                raise ValueError("%d bytes, not a positive multiple of 8" % len(insns))
        except ValueError as e:
            insns = "hex: %s" % e
        for op in ops:
            plan[op].append((name, insns))
    if not programs:
        return seconds, {op: [] for op in OPS}
    return seconds, {op: progs for op, progs in plan.items() if progs}


# ---- the operations ------------------------------------------------------------------------

class ConnectOp:
    batch = 8

    def __init__(self):
        self.linger = struct.pack("ii", 1, 0)
        self.lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.lst.bind(TCP_ADDR)
            self.lst.listen(1024)
        except BaseException:
            self.lst.close()
            raise

    def loop(self):
        lst, linger, addr = self.lst, self.linger, TCP_ADDR
        for _ in range(8):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            c.connect(addr)
            s = lst.accept()[0]
            c.close()
            s.close()

    def check(self):
        """One operation that cannot hang: a program may send the connection elsewhere."""
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, self.linger)
            c.settimeout(2)
            c.connect(TCP_ADDR)
            peer = c.getpeername()
            if not select.select([self.lst], [], [], 2)[0]:
                raise OSError(0, "connected to %s:%d, not the listener (rewritten?)" % peer)
            self.lst.accept()[0].close()
            return "peer %s:%d" % peer
        finally:
            c.close()

    def close(self):
        self.lst.close()


class BindOp:
    batch = 32

    def loop(self):
        for _ in range(32):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.close()

    def check(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", 0))
            return "bound to %s:%d" % s.getsockname()
        finally:
            s.close()

    def close(self):
        pass


class SendtoOp:
    batch = 64

    def __init__(self):
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.rx.bind(UDP_ADDR)
            self.rx.setblocking(False)
            self.tx.bind(("127.0.0.1", 0))
        except BaseException:
            self.close()
            raise
        self.data = b"x" * 8

    def drain(self):
        recv = self.rx.recv
        try:
            while True:
                recv(64)
        except BlockingIOError:
            pass

    def loop(self):
        sendto, data, dst = self.tx.sendto, self.data, UDP_ADDR
        for _ in range(64):
            sendto(data, dst)
        self.drain()

    def check(self):
        self.drain()
        self.tx.sendto(self.data, UDP_ADDR)
        arrived = bool(select.select([self.rx], [], [], 0.5)[0])
        self.drain()
        return "datagram arrived" if arrived else "datagram did not reach the receiver (redirected?)"

    def close(self):
        self.rx.close()
        self.tx.close()


OP_CLASSES = {"connect": ConnectOp, "bind": BindOp, "sendto": SendtoOp}


def timed(op, seconds):
    """ns per operation: the median of ROUNDS rounds of `seconds` each."""
    per_op = []
    gc.disable()
    try:
        for _ in range(ROUNDS):
            n = 0
            t0 = time.perf_counter_ns()
            end = t0 + int(seconds * 1e9)
            while True:
                op.loop()
                n += op.batch
                t = time.perf_counter_ns()
                if t >= end:
                    break
            per_op.append((t - t0) / n)
    finally:
        gc.enable()
    return round(statistics.median(per_op), 1), per_op


def warm(op):
    for _ in range(max(1, WARMUP_OPS // op.batch)):
        op.loop()


# ---- in the child (a member of the cgroup) -------------------------------------------------

def load(op_name, insns):
    """(fd, None) or (None, error cell)."""
    if isinstance(insns, str):
        return None, {"error": insns}
    try:
        fd, _ = bpfsys.prog_load_fd_array(SOCK_ADDR, insns, [], ATTACH[op_name])
        return fd, None
    except bpfsys.BpfError as e:
        lines = [ln.strip() for ln in (e.log or "").splitlines()
                 if ln.strip() and not ln.startswith(("processed ", "verification time"))]
        why = " (%s)" % lines[-1][:200] if lines else ""
        return None, {"error": "load:%s%s" % (ename(e.errno), why)}


def measure_op(op_name, progs, cg_fd, seconds):
    cell = {"none": None}
    try:
        op = OP_CLASSES[op_name]()
    except OSError as e:
        cell["none"] = {"error": "setup:" + oserr(e)}
        return cell
    try:
        try:
            log(op_name, "baseline check:", op.check())
            warm(op)
        except OSError as e:
            cell["none"] = {"error": "run:" + oserr(e)}
            return cell
        nones = []
        for name, insns in progs:
            fd, error = load(op_name, insns)
            if error:
                cell[name] = error
                log(op_name, name, error["error"])
                continue
            try:
                ns, rounds = timed(op, seconds)
                nones.append(ns)
                log(op_name, "none", ns, "ns/op, rounds", [round(x) for x in rounds])
                ret = bpfsys.prog_attach(cg_fd, fd, ATTACH[op_name], 0)
                if ret < 0:
                    cell[name] = {"error": "attach:" + ename(-ret)}
                    log(op_name, name, cell[name]["error"])
                    continue
                try:
                    log(op_name, name, "check:", op.check())
                    warm(op)
                    ns, rounds = timed(op, seconds)
                    cell[name] = ns
                    log(op_name, name, ns, "ns/op, rounds", [round(x) for x in rounds])
                except OSError as e:
                    cell[name] = {"error": "run:" + oserr(e)}
                    log(op_name, name, cell[name]["error"])
                finally:
                    ret = bpfsys.prog_detach(cg_fd, fd, ATTACH[op_name])
                    if ret < 0:
                        log(op_name, name, "detach failed:", ename(-ret))
            finally:
                os.close(fd)
        if not nones:
            ns, rounds = timed(op, seconds)
            nones.append(ns)
            log(op_name, "none", ns, "ns/op, rounds", [round(x) for x in rounds])
        cell["none"] = round(statistics.median(nones), 1)
    except OSError as e:
        if cell["none"] is None:
            cell["none"] = {"error": "run:" + oserr(e)}
    finally:
        op.close()
    return cell


def child_main(w, cg, cg_fd, seconds, plan):
    try:
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        out = {"results": {op: measure_op(op, progs, cg_fd, seconds) for op, progs in plan.items()}}
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which exits 1
        out = {"childError": "%s: %s" % (type(e).__name__, e)}
    try:
        data = json.dumps(out).encode()
        while data:
            data = data[os.write(w, data):]
    finally:
        os._exit(0)


# ---- in the parent -------------------------------------------------------------------------

def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def rmdir_cgroup(path):
    """rmdir, retried briefly: a just-reaped member can keep the cgroup busy for a moment."""
    for i in range(50):
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError as e:
            if i == 49:
                log("could not remove", path + ":", oserr(e))
                return False
            time.sleep(0.05)
    return False


def sweep_stale():
    """Removes bpfsim-bench-<pid> cgroups left by runs whose process is gone (a SIGKILL)."""
    try:
        names = os.listdir(CGROUP2)
    except OSError:
        return
    for n in names:
        m = re.fullmatch(re.escape(PREFIX) + r"(\d+)", n)
        if m and int(m.group(1)) != os.getpid() and not alive(int(m.group(1))):
            log("removing stale", n, "ok" if rmdir_cgroup(os.path.join(CGROUP2, n)) else "failed")


def reap(pid):
    """Waits for the child; asks it to stop (SIGTERM: it detaches on the way out), then kills it."""
    for sig, wait in ((None, 2.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, None)):
        if sig is not None:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + (wait or 0)
        while True:
            try:
                done, _ = os.waitpid(pid, 0 if wait is None else os.WNOHANG)
            except ChildProcessError:
                return
            if done:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.02)


def run(seconds, plan):
    cg = os.path.join(CGROUP2, PREFIX + str(os.getpid()))
    os.mkdir(cg)
    cg_fd = r = w = pid = None
    try:
        cg_fd = os.open(cg, os.O_RDONLY | os.O_DIRECTORY)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            child_main(w, cg, cg_fd, seconds, plan)  # does not return
        os.close(w)
        w = None
        chunks = []
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        os.waitpid(pid, 0)
        pid = None
        raw = b"".join(chunks)
        return json.loads(raw) if raw else {"childError": "the child exited without a result"}
    finally:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if pid:
                reap(pid)
            for fd in (r, w, cg_fd):
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            rmdir_cgroup(cg)
        finally:
            signal.signal(signal.SIGINT, old)


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        seconds, plan = parse_input(sys.stdin.read())
    except (ValueError, BadInput) as e:
        log("bad input:", e)
        return 2
    if not os.path.isfile(os.path.join(CGROUP2, "cgroup.procs")):
        log("no cgroup v2 at", CGROUP2)
        return 1
    sweep_stale()
    try:
        with open("/proc/sys/net/core/bpf_jit_enable") as f:
            log("bpf_jit_enable =", f.read().strip())
    except OSError:
        pass
    log("measuring", {op: [n for n, _ in progs] for op, progs in plan.items()}, "seconds per round", seconds)
    t0 = time.monotonic()
    try:
        res = run(seconds, plan)
    except (KeyboardInterrupt, Stop) as e:
        log("interrupted (%s); cleaned up" % (type(e).__name__,))
        return 130
    if "childError" in res:
        log("measurement failed:", res["childError"])
        return 1
    log("done in %.1f s" % (time.monotonic() - t0))
    json.dump({"kernel": os.uname().release, "results": res["results"]}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
