#!/usr/bin/env python3
"""TCP wire traces from the live kernel (as root), for packages/net/test/tcp-wire.kernel.test.ts.

Every case of packages/net/test/tcp-wire-cases.ts (the case format is described there) runs on
this machine's own kernel, inside a private network namespace made for the run
("bpfsim-wire-<pid>-<run>"), over that namespace's loopback only (127.0.0.1 / ::1; lo up with
MTU 1500 and TSO/GSO/GRO off). Nothing leaves the namespace; the namespace is deleted at the end
of each run, also on errors.

The delay line. A rule in the namespace's raw table (PREROUTING, iptables and ip6tables:
`-p tcp -j NFQUEUE --queue-num 7`) hands every TCP packet to tcp_delayline.c (built here with gcc
into a temporary directory), which timestamps it (CLOCK_MONOTONIC), holds it for the case's
one-way delay and re-injects it, or drops it when the case's drop rules say so. On lo each packet
passes PREROUTING exactly once, so the round-trip time is 2 * delayMs, and the delay line's log of
packets (time, verdict, the first 160 bytes of the IP packet) is the capture. The case's `drops`
(WireDrop) become the delay line's RULES (rule_arg): drop by ordinal, drop by sequence number
(the first transmissions of one data segment), hold (one packet held longer: reordering),
dup (one packet delivered twice: the copy is sent by the delay line through a raw socket with
SO_MARK 0x7e1, which a rule before the NFQUEUE one lets through unqueued; it is in the log, and
so in the trace, as its own packet with `copy`), and random drop (a hash of direction, ordinal
and seed under a per-mille; wireRandomDrop in tcp-wire-cases.ts is the same hash). The delay
line runs SCHED_FIFO 60/61 and the socket script SCHED_FIFO 50, all pinned to CPU 1 (CPU 0 on a one-CPU
machine). TCP_CONGESTION is set on every socket (listeners too; accepted sockets inherit it),
because this kernel defaults to bbr and a namespace cannot change that. tcp_metrics are flushed
before every case, and the sockets earlier cases left in the namespace destroyed (ss -K).

Each case runs twice (run 1 in one namespace, run 2 in a fresh one). The result keeps run 1's
packets and step results and says whether run 2 gave the same packets: same count and, packet
by packet, the same conn/dir/flags/seq/ack/len/win/dropped/options, where TSval/TSecr may differ
by 1 (they tick in ms and the sub-ms phase of the first packet is not under control). jitterUs[i]
is |t1 - t2| of packet i (µs) over the packets both runs have.

The socket script ("--worker", run inside the namespace) is one single-threaded event loop over
non-blocking sockets (poll, plus a timerfd armed at absolute CLOCK_MONOTONIC times for `at` and
the tail): steps in list order, step i after step i-1 has started, at or after its `at`, once its
`wait` holds on waitSock ?? (accept: from; others: sock). A wait that has not held 20 s (the
case's waitLimitMs when given) after the step became due gives the step the result
'wait-timeout' (the op is not done); with the case's limitMs, every step not started by then
gets 'wait-timeout' at that time from the case start (then the tail). Background work (the rest of a send, background readers,
finishing connects) is done as the poll says the socket
is ready: one send() (at most 1 MiB) or one recv(65536) per readiness. Byte i of each socket's
stream is i & 0xff; readers check it ("corrupt" event otherwise). After the last step the capture
goes on tailMs, then the end time is taken and every open socket is closed with SO_LINGER 0
(normally with `keep`); packets from the end time on are not recorded.
Step results: 'ok' or an errno name; connect's EINPROGRESS is 'ok' (its outcome is the
'connected' event and the 'error' step); recv: bytes read, 0 at EOF, 'EAGAIN' or an errno name;
info: a TCP_INFO dict (6.18 layout: the 8 u8 fields, then u32s, u64s ... up to tcpi_received_ce;
state and ca_state as names, times in µs, sizes in bytes as the kernel gives them); error:
SO_ERROR as 0 or an errno name, where the value read when the connect finished counts as pending
until an 'error' step reports it. Background events: {t, sock, ev: 'connected' (out: 'ok' | errno)
| 'sent' (out: bytes taken in all) | 'eof' | 'read-done' (out: bytes read in all) |
'send-error' | 'read-error' (out: errno) | 'corrupt' | 'w' / 'r' (out: the bytes one send() took /
one recv() returned; t is taken just before the call)}. The replay makes the same send() and
recv() calls at the same times, so write boundaries and reads fall where they fell here.

stdin: JSON {"cases": [WireCase...]} (optionally "runs": 1 | 2, default 2; "extraPasses": how many
       more runs at most for cases whose runs disagreed, default 2).
stdout: JSON {"kernel", "hz", "sysctls", "setup", "wallSeconds", "results": [WireResult...]}
        or {"unavailable": reason} when this machine cannot record (not root, no netns, tools
        missing and not installable). Missing Debian packages (iproute2, iptables, ethtool, gcc,
        libnetfilter-queue-dev, libmnl-dev) are installed with apt-get when running as root,
        unless BPFSIM_NO_INSTALL=1.
Ports: the case with index i (in the list given) uses server port 39000 + i.
A case with `summary` (a rate case) keeps only summarise() of each kept run's packets
(results[i].summary, .summaryRun2; packets and jitterUs empty, events without 'r'/'w'), with
transferMs: the client's first SYN to the server having the stream through the client's FIN.
"""
import ctypes
import errno as errnomod
import gc
import gzip
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DELAYLINE_SRC = os.path.join(HERE, "tcp_delayline.c")
QUEUE = 7
DUP_MARK = "0x7e1"  # SO_MARK of tcp_delayline.c's copies (dup rules): let past the NFQUEUE rule
BASE_PORT = 39000
RT_DL = 60
RT_SOCK = 50
WAIT_LIMIT_NS = 20_000_000_000
CHUNK = 1 << 20
PAT = bytes(range(256)) * (CHUNK // 256 + 2)
PATV = memoryview(PAT)
JIFFIES_OFFSET = None  # jiffies_offset(), found when the recorder starts

TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT = 1, 2, 3, 4, 5, 6
TCP_INFO, TCP_QUICKACK, TCP_CONGESTION = 11, 12, 13

STATES = ["?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
          "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE"]
CA_STATES = ["Open", "Disorder", "CWR", "Recovery", "Loss"]
# struct tcp_info as of 6.18, in order; the bitfield bytes are split below.
TCP_INFO_FMT = "=8B24I4Q6I4Q2I2Q6I2HII"
TCP_INFO_NAMES = (
    "state ca_state retransmits probes backoff options wscale app_limited_byte "
    "rto ato snd_mss rcv_mss unacked sacked lost retrans fackets last_data_sent last_ack_sent "
    "last_data_recv last_ack_recv pmtu rcv_ssthresh rtt rttvar snd_ssthresh snd_cwnd advmss "
    "reordering rcv_rtt rcv_space total_retrans "
    "pacing_rate max_pacing_rate bytes_acked bytes_received "
    "segs_out segs_in notsent_bytes min_rtt data_segs_in data_segs_out "
    "delivery_rate busy_time rwnd_limited sndbuf_limited delivered delivered_ce "
    "bytes_sent bytes_retrans dsack_dups reord_seen rcv_ooopack snd_wnd rcv_wnd rehash "
    "total_rto total_rto_recoveries total_rto_time received_ce"
).split()

OPTS = {
    "nodelay": (socket.IPPROTO_TCP, TCP_NODELAY),
    "cork": (socket.IPPROTO_TCP, TCP_CORK),
    "quickack": (socket.IPPROTO_TCP, TCP_QUICKACK),
    "maxseg": (socket.IPPROTO_TCP, TCP_MAXSEG),
    "keepidle": (socket.IPPROTO_TCP, TCP_KEEPIDLE),
    "keepintvl": (socket.IPPROTO_TCP, TCP_KEEPINTVL),
    "keepcnt": (socket.IPPROTO_TCP, TCP_KEEPCNT),
    "rcvbuf": (socket.SOL_SOCKET, socket.SO_RCVBUF),
    "sndbuf": (socket.SOL_SOCKET, socket.SO_SNDBUF),
    "keepalive": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "reuseaddr": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
}
POLLIN, POLLOUT, POLLERR, POLLHUP = select.POLLIN, select.POLLOUT, select.POLLERR, select.POLLHUP
POLLRDHUP = getattr(select, "POLLRDHUP", 0x2000)


def err(e):
    return errnomod.errorcode.get(e, str(e))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The socket script (inside the namespace)
# ---------------------------------------------------------------------------------------------

class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", Timespec), ("it_value", Timespec)]


class Sock:
    def __init__(self, name, sock, connected=False):
        self.name = name
        self.sock = sock
        self.fd = sock.fileno()
        self.closed = False
        self.connecting = False
        self.connected = connected
        self.connect_err = None  # SO_ERROR read when the connect finished, until reported
        self.pending = 0
        self.tx = 0
        self.rx = 0
        self.reader = None  # {"want": n | None, "got": n, "done": bool}
        self.eof = False


def real_time(cpu, prio):
    ok = True
    try:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
    except OSError:
        ok = False
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(prio))
    except (OSError, AttributeError):
        ok = False
    return ok


def tcp_info(s):
    raw = s.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 512)
    size = struct.calcsize(TCP_INFO_FMT)
    raw = raw[:size] + bytes(max(0, size - len(raw)))
    d = dict(zip(TCP_INFO_NAMES, struct.unpack(TCP_INFO_FMT, raw)))
    w = d.pop("wscale")
    b = d.pop("app_limited_byte")
    d["snd_wscale"] = w & 15
    d["rcv_wscale"] = w >> 4
    d["delivery_rate_app_limited"] = b & 1
    d["fastopen_client_fail"] = (b >> 1) & 3
    d["state"] = STATES[d["state"]] if d["state"] < len(STATES) else d["state"]
    d["ca_state"] = CA_STATES[d["ca_state"]] if d["ca_state"] < len(CA_STATES) else d["ca_state"]
    return d


def worker(spec):
    gc.disable()
    case = spec["case"]
    port = spec["port"]
    fam = socket.AF_INET6 if case["family"] == 6 else socket.AF_INET
    addr = "::1" if case["family"] == 6 else "127.0.0.1"
    cc = (case.get("cc") or "cubic").encode()
    rt = real_time(spec.get("cpu"), RT_SOCK)

    libc = ctypes.CDLL(None, use_errno=True)
    tfd = libc.timerfd_create(time.CLOCK_MONOTONIC, os.O_NONBLOCK | os.O_CLOEXEC)
    if tfd < 0:
        raise OSError(ctypes.get_errno(), "timerfd_create")

    def arm(at_ns):
        at_ns = max(at_ns, 1)
        its = Itimerspec(Timespec(0, 0), Timespec(at_ns // 1_000_000_000, at_ns % 1_000_000_000))
        if libc.timerfd_settime(tfd, 1, ctypes.byref(its), None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime")

    socks = {}
    outs = []
    events = []
    now = time.monotonic_ns
    start = now()

    def ms(t):
        return round((t - start) / 1e6, 3)

    def event(s, ev, out=None, t=None):
        e = {"t": ms(now() if t is None else t), "sock": s.name, "ev": ev}
        if out is not None:
            e["out"] = out
        events.append(e)

    def apply_opt(sk, opt, value):
        if opt == "linger":
            sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, value))
        else:
            lvl, name = OPTS[opt]
            sk.setsockopt(lvl, name, value)

    def check_stream(s, data):
        off = s.rx % 256
        if data != PAT[off:off + len(data)]:
            event(s, "corrupt", s.rx)
        s.rx += len(data)

    def bg_send(s):
        n = min(s.pending, CHUNK)
        off = s.tx % 256
        t0 = now()
        try:
            k = s.sock.send(PATV[off:off + n], socket.MSG_NOSIGNAL)
        except BlockingIOError:
            return None
        except OSError as e:
            s.pending = 0
            event(s, "send-error", err(e.errno))
            return err(e.errno)
        s.tx += k
        s.pending -= k
        event(s, "w", k, t0)
        if s.pending == 0:
            event(s, "sent", s.tx)
        return None

    def bg_recv(s):
        r = s.reader
        want = 65536 if r["want"] is None else min(65536, r["want"] - r["got"])
        t0 = now()
        try:
            data = s.sock.recv(want)
        except BlockingIOError:
            return
        except OSError as e:
            r["done"] = True
            event(s, "read-error", err(e.errno))
            return
        if not data:
            s.eof = True
            r["done"] = True
            event(s, "eof")
            event(s, "read-done", r["got"])
            return
        check_stream(s, data)
        r["got"] += len(data)
        event(s, "r", len(data), t0)
        if r["want"] is not None and r["got"] >= r["want"]:
            r["done"] = True
            event(s, "read-done", r["got"])

    def finish_connect(s):
        e = s.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        s.connecting = False
        s.connected = True
        s.connect_err = e
        event(s, "connected", "ok" if e == 0 else err(e))

    def new_socket(opts):
        sk = socket.socket(fam, socket.SOCK_STREAM)
        sk.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, cc)
        for opt, value in opts or []:
            apply_opt(sk, opt, value)
        return sk

    def run(st):
        op = st["op"]
        name = st["sock"]
        s = socks.get(name)
        try:
            if op == "listen":
                sk = new_socket([["reuseaddr", 1]] + list(st.get("opts") or []))
                sk.bind((addr, port))
                sk.listen(st.get("backlog", 128))
                sk.setblocking(False)
                socks[name] = Sock(name, sk)
                return "ok"
            if op == "connect":
                sk = new_socket(st.get("opts"))
                sk.setblocking(False)
                socks[name] = s = Sock(name, sk)
                e = sk.connect_ex((addr, port))
                if e in (0, errnomod.EINPROGRESS):
                    s.connecting = True
                    return "ok"
                return err(e)
            if op == "accept":
                if st["from"] not in socks or socks[st["from"]].closed:
                    return "EBADF"
                try:
                    sk, _ = socks[st["from"]].sock.accept()
                except BlockingIOError:
                    return "EAGAIN"
                sk.setblocking(False)
                socks[name] = Sock(name, sk, connected=True)
                return "ok"
            if s is None or s.closed:
                return "EBADF"
            if op == "setopt":
                apply_opt(s.sock, st["opt"], st["value"])
                return "ok"
            if op == "send":
                s.pending += st["bytes"]
                return bg_send(s) or "ok"
            if op == "recv":
                try:
                    data = s.sock.recv(st["max"])
                except BlockingIOError:
                    return "EAGAIN"
                if not data:
                    s.eof = True
                check_stream(s, data)
                return len(data)
            if op == "read":
                s.reader = {"want": st.get("bytes"), "got": 0, "done": False}
                return "ok"
            if op == "shutdown":
                s.sock.shutdown({"rd": socket.SHUT_RD, "wr": socket.SHUT_WR, "rdwr": socket.SHUT_RDWR}[st["how"]])
                return "ok"
            if op == "close":
                s.sock.close()
                s.closed = True
                s.pending = 0
                return "ok"
            if op == "info":
                return tcp_info(s.sock)
            if op == "error":
                if s.connect_err:
                    e, s.connect_err = s.connect_err, None
                else:
                    e = s.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                return 0 if e == 0 else err(e)
            return "bad-op"
        except OSError as e:
            return err(e.errno)

    def wait_sock(st):
        return st.get("waitSock") or (st["from"] if st["op"] == "accept" else st["sock"])

    WAIT_MASK = {
        "readable": POLLIN | POLLERR | POLLHUP,
        "acceptable": POLLIN,
        "writable": POLLOUT | POLLERR | POLLHUP,
        "eof": POLLRDHUP | POLLHUP,
    }

    def holds(st):
        w = st["wait"]
        s = socks.get(wait_sock(st))
        if s is None:
            return False
        if w == "connected":
            return s.connected
        if w == "sent":
            return s.pending == 0
        if w == "read-done":
            return s.reader is not None and s.reader["done"]
        if w == "eof" and s.eof:
            return True
        if s.closed:
            return False
        p = select.poll()
        p.register(s.fd, WAIT_MASK[w])
        ev = p.poll(0)
        return bool(ev and ev[0][1] & WAIT_MASK[w])

    steps = case["steps"]
    wait_limit = int(case["waitLimitMs"] * 1_000_000) if case.get("waitLimitMs") else WAIT_LIMIT_NS
    # limitMs: the whole case gives up then; the steps not yet done are not done ('wait-timeout').
    case_end = start + int(case["limitMs"] * 1_000_000) if case.get("limitMs") else None
    i = 0
    wait_since = None
    tail_end = None
    while True:
        while i < len(steps):
            st = steps[i]
            due = start + int(round(st.get("at", 0) * 1e6))
            t = now()
            if case_end is not None and t >= case_end:
                for _ in range(i, len(steps)):
                    outs.append({"t": ms(t), "out": "wait-timeout"})
                i = len(steps)
                break
            if t < due:
                break
            if st.get("wait"):
                if wait_since is None:
                    wait_since = t
                if not holds(st):
                    if t - wait_since > wait_limit:
                        outs.append({"t": ms(t), "out": "wait-timeout"})
                        i += 1
                        wait_since = None
                        continue
                    break
                t = now()
            outs.append({"t": ms(t), "out": run(st)})
            i += 1
            wait_since = None
        t = now()
        if i == len(steps) and tail_end is None:
            tail_end = t + int(round(case["tailMs"] * 1e6))
        if tail_end is not None and t >= tail_end:
            break
        p = select.poll()
        fdmap = {}
        masks = {}
        for s in socks.values():
            if s.closed:
                continue
            m = 0
            if s.connecting or s.pending:
                m |= POLLOUT
            if s.reader and not s.reader["done"]:
                m |= POLLIN
            if m:
                masks[s.fd] = m
                fdmap[s.fd] = s
        if i < len(steps):
            st = steps[i]
            due = start + int(round(st.get("at", 0) * 1e6))
            if t >= due and st.get("wait"):
                deadline = wait_since + wait_limit + 1
                ws = socks.get(wait_sock(st))
                if ws is not None and not ws.closed and st["wait"] in WAIT_MASK:
                    masks[ws.fd] = masks.get(ws.fd, 0) | WAIT_MASK[st["wait"]]
                    fdmap[ws.fd] = ws
            else:
                deadline = due
        else:
            deadline = tail_end
        if case_end is not None and i < len(steps):
            deadline = min(deadline, case_end)
        for fd, m in masks.items():
            p.register(fd, m)
        arm(deadline)
        p.register(tfd, POLLIN)
        evs = p.poll()
        for fd, ev in evs:
            if fd == tfd:
                try:
                    os.read(tfd, 8)
                except BlockingIOError:
                    pass
                continue
            s = fdmap[fd]
            if s.closed:
                continue
            if s.connecting and ev & (POLLOUT | POLLERR | POLLHUP):
                finish_connect(s)
            if s.pending and ev & (POLLOUT | POLLERR | POLLHUP):
                bg_send(s)
            if s.reader and not s.reader["done"] and ev & (POLLIN | POLLERR | POLLHUP):
                bg_recv(s)
    end = now()
    for s in socks.values():
        if not s.closed:
            if not case.get("keep"):
                try:
                    s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            s.sock.close()
    json.dump({"startNs": start, "endNs": end, "steps": outs, "events": events, "rt": rt}, sys.stdout)


# ---------------------------------------------------------------------------------------------
# The recorder (host side)
# ---------------------------------------------------------------------------------------------

SYSCTL_CORE = ["rmem_max", "wmem_max", "rmem_default", "wmem_default", "somaxconn", "optmem_max",
               "netdev_max_backlog", "default_qdisc"]


def sysctl_value(text):
    text = text.strip()
    parts = text.split()
    try:
        nums = [int(x) for x in parts]
        return nums[0] if len(nums) == 1 else nums
    except ValueError:
        return text


def read_sysctls():
    """Inside the namespace: every net.ipv4.tcp_* sysctl and a few others."""
    out = {}
    d = "/proc/sys/net/ipv4"
    for f in sorted(os.listdir(d)):
        if f.startswith("tcp_") or f in ("ip_local_port_range", "ip_no_pmtu_disc"):
            try:
                with open(os.path.join(d, f)) as fh:
                    out["net.ipv4." + f] = sysctl_value(fh.read())
            except OSError:
                pass
    for f in SYSCTL_CORE:
        for base in ("/proc/sys/net/core", "/proc/1/root/proc/sys/net/core"):
            try:
                with open(os.path.join(base, f)) as fh:
                    out["net.core." + f] = sysctl_value(fh.read())
                break
            except OSError:
                continue
    for f in ("lo/mtu",):
        try:
            with open("/proc/sys/net/ipv6/conf/" + f) as fh:
                out["net.ipv6.conf." + f.replace("/", ".")] = sysctl_value(fh.read())
        except OSError:
            pass
    json.dump(out, sys.stdout)


def jiffies_offset():
    """jiffies - CLOCK_MONOTONIC / TICK_NSEC (a constant here: the ticks are at whole multiples
    of TICK_NSEC), from /proc/timer_list's 'now at' and a CPU's 'jiffies:' — the most common
    of a few reads, as one may straddle a tick. None when the file cannot be read."""
    tick_ns = 1000000000 // (kernel_hz() or 250)
    seen = []
    for _ in range(5):
        try:
            with open("/proc/timer_list") as fh:
                text = fh.read()
        except OSError:
            return None
        now = re.search(r"now at (\d+) nsecs", text)
        jif = re.search(r"jiffies: (\d+)", text)
        if not now or not jif:
            return None
        seen.append(int(jif.group(1)) - int(now.group(1)) // tick_ns)
    return max(set(seen), key=seen.count)


def kernel_hz():
    try:
        with gzip.open("/proc/config.gz", "rt") as fh:
            for line in fh:
                if line.startswith("CONFIG_HZ="):
                    return int(line.split("=")[1])
    except OSError:
        pass
    return None


def sh(args, check=True, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), (r.stderr or r.stdout).strip()))
    return r


NEEDS = {
    "ip": "iproute2", "iptables": "iptables", "ip6tables": "iptables", "ethtool": "ethtool", "gcc": "gcc",
    "/usr/include/libnetfilter_queue/libnetfilter_queue.h": "libnetfilter-queue-dev",
    "/usr/include/libmnl/libmnl.h": "libmnl-dev",
}


def missing_tools():
    miss = []
    for tool, pkg in NEEDS.items():
        found = os.path.exists(tool) if tool.startswith("/") else shutil.which(tool) or os.path.exists("/usr/sbin/" + tool)
        if not found and pkg not in miss:
            miss.append(pkg)
    return miss


def ensure_tools():
    miss = missing_tools()
    if miss and os.environ.get("BPFSIM_NO_INSTALL") != "1" and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + miss
        log("probe_tcp_wire: installing " + " ".join(miss))
        if subprocess.run(cmd, capture_output=True, env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
            subprocess.run(cmd, capture_output=True, env=env)
        miss = missing_tools()
    return miss


def tool(name):
    return shutil.which(name) or "/usr/sbin/" + name


class Namespace:
    def __init__(self, name):
        self.name = name
        self.made = False

    def __enter__(self):
        sh(["ip", "netns", "add", self.name])
        self.made = True
        self.run(["ip", "link", "set", "lo", "up", "mtu", "1500"])
        self.run([tool("ethtool"), "-K", "lo", "tso", "off", "gso", "off", "gro", "off"])
        for v4, v6 in (("iptables", "ip6tables"), ("iptables-legacy", "ip6tables-legacy"), ("iptables-nft", "ip6tables-nft")):
            if not shutil.which(v4) and not os.path.exists("/usr/sbin/" + v4):
                continue
            # The delay line's own copies (dup rules) carry DUP_MARK and pass unqueued.
            rules = [[tool(x), "-t", "raw", "-A", "PREROUTING", "-m", "mark", "--mark", DUP_MARK, "-j", "ACCEPT"] for x in (v4, v6)]
            rules += [[tool(x), "-t", "raw", "-A", "PREROUTING", "-p", "tcp", "-j", "NFQUEUE", "--queue-num", str(QUEUE)] for x in (v4, v6)]
            if all(self.run(r, check=False).returncode == 0 for r in rules):
                self.iptables = v4
                break
            for x in (v4, v6):
                self.run([tool(x), "-t", "raw", "-F", "PREROUTING"], check=False)
        else:
            raise RuntimeError("no iptables could add the NFQUEUE rule in the namespace")
        return self

    def run(self, args, check=True, **kw):
        return sh(["ip", "netns", "exec", self.name] + args, check=check, **kw)

    def exec_args(self, args):
        return ["ip", "netns", "exec", self.name] + args

    def __exit__(self, *exc):
        if self.made:
            # processes of ours still inside would keep it alive: there are none by now
            sh(["ip", "netns", "del", self.name], check=False)
        return False


def build_delayline(tmp):
    exe = os.path.join(tmp, "tcp_delayline")
    sh(["gcc", "-O2", "-Wall", "-o", exe, DELAYLINE_SRC, "-lnetfilter_queue", "-lmnl", "-lpthread"])
    return exe


# --- parsing the capture -----------------------------------------------------------------------

FLAG_LETTERS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W"), (0x100, "e")]


def parse_ip(b):
    v = b[0] >> 4
    if v == 4:
        ihl = (b[0] & 15) * 4
        payload = int.from_bytes(b[2:4], "big") - ihl
        tcp = b[ihl:]
    else:
        payload = int.from_bytes(b[4:6], "big")
        tcp = b[40:]
    sport, dport, seq, ack = struct.unpack("!HHII", tcp[:12])
    doff = (tcp[12] >> 4) * 4
    flags = tcp[13] | ((tcp[12] & 1) << 8)
    win = int.from_bytes(tcp[14:16], "big")
    raw_opts = tcp[20:doff]
    opts = []
    j = 0
    while j < len(raw_opts):
        kind = raw_opts[j]
        if kind == 0:
            opts.append(["eol"])
            break
        if kind == 1:
            opts.append(["nop"])
            j += 1
            continue
        if j + 1 >= len(raw_opts):
            opts.append(["bad", kind])
            break
        ln = raw_opts[j + 1]
        body = raw_opts[j + 2:j + ln]
        if ln < 2:
            opts.append(["bad", kind])
            break
        if kind == 2 and ln == 4:
            opts.append(["mss", int.from_bytes(body, "big")])
        elif kind == 3 and ln == 3:
            opts.append(["wscale", body[0]])
        elif kind == 4 and ln == 2:
            opts.append(["sackOK"])
        elif kind == 5:
            opts.append(["sack"] + [list(struct.unpack("!II", body[k:k + 8])) for k in range(0, len(body) - 7, 8)])
        elif kind == 8 and ln == 10:
            opts.append(["ts"] + list(struct.unpack("!II", body)))
        else:
            opts.append(["opt", kind, body.hex()])
        j += ln
    return {"sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": flags, "win": win,
            "len": payload - doff, "opts": opts}


def flag_str(f):
    s = "".join(ch for bit, ch in FLAG_LETTERS if f & bit)
    return s or "none"


def rel32(x, base):
    r = (x - base) & 0xFFFFFFFF
    return r - (1 << 32) if r >= (1 << 31) else r


def normalise(log_lines, port, start_ns, end_ns):
    raw = []
    for line in log_lines:
        parts = line.split()
        if len(parts) != 4:
            continue
        t = int(parts[0])
        if t >= end_ns:
            continue
        p = parse_ip(bytes.fromhex(parts[3]))
        p["late"] = int(parts[2])
        p["t"] = t
        p["dropped"] = parts[1] == "D"
        p["held"] = parts[1] == "H"
        p["copy"] = parts[1] == "C"
        raw.append(p)
    # In time order: a dup rule's copy is logged by the releasing thread, which may take its
    # time stamp just before the receiving thread logs a packet it stamped earlier.
    raw.sort(key=lambda p: p["t"])
    conns = {}
    for p in raw:
        if p["dport"] == port:
            p["dir"], cport = 0, p["sport"]
        elif p["sport"] == port:
            p["dir"], cport = 1, p["dport"]
        else:
            p["dir"], cport = 0, p["sport"]
        p["conn"] = conns.setdefault(cport, len(conns))
    isn, ts0 = {}, {}
    for p in raw:
        k = (p["conn"], p["dir"])
        if p["flags"] & 2 and k not in isn:
            isn[k] = p["seq"]
    for p in raw:
        k = (p["conn"], p["dir"])
        isn.setdefault(k, p["seq"])
        for o in p["opts"]:
            if o[0] == "ts":
                ts0.setdefault(k, o[1])
    out = []
    t0 = raw[0]["t"] if raw else start_ns
    for p in raw:
        k = (p["conn"], p["dir"])
        other = (p["conn"], 1 - p["dir"])
        opts = []
        for o in p["opts"]:
            if o[0] == "ts":
                ecr = o[2]
                if ecr != 0 and other in ts0:
                    ecr = rel32(ecr, ts0[other])
                opts.append(["ts", rel32(o[1], ts0[k]), ecr])
            elif o[0] == "sack":
                opts.append(["sack"] + [[rel32(l, isn.get(other, 0)), rel32(r, isn.get(other, 0))] for l, r in o[1:]])
            else:
                opts.append(o)
        q = {"dir": "s2c" if p["dir"] else "c2s", "t": round((p["t"] - t0) / 1000),
             "flags": flag_str(p["flags"]), "seq": rel32(p["seq"], isn[k]),
             "ack": (rel32(p["ack"], isn[other]) if other in isn else p["ack"]) if p["flags"] & 0x10 else 0,
             "len": p["len"], "win": p["win"], "opts": opts}
        if p["conn"]:
            q["conn"] = p["conn"]
        if p["dropped"]:
            q["dropped"] = True
        if p["held"]:
            q["held"] = True
        if p["copy"]:
            q["copy"] = True
        out.append(q)
    first_ms = round((t0 - start_ns) / 1e6, 3) if raw else None
    late = [p["late"] / 1000 for p in raw if p["late"] >= 0 and not p["copy"]]
    return out, first_ms, late


def packet_diff(a, b):
    """Why two packets differ ('' when they agree; TSval/TSecr may differ by 1)."""
    for f in ("conn", "dir", "flags", "seq", "ack", "len", "win", "dropped"):
        if a.get(f) != b.get(f):
            return "%s %r != %r" % (f, a.get(f), b.get(f))
    if len(a["opts"]) != len(b["opts"]):
        return "opts %r != %r" % (a["opts"], b["opts"])
    for x, y in zip(a["opts"], b["opts"]):
        if x[0] == "ts" and y[0] == "ts":
            if abs(x[1] - y[1]) > 1 or abs(x[2] - y[2]) > 1:
                return "ts %r != %r" % (x, y)
        elif x != y:
            return "opts %r != %r" % (x, y)
    return ""


def compare_runs(p1, p2):
    diffs = []
    if len(p1) != len(p2):
        diffs.append("packet count %d != %d" % (len(p1), len(p2)))
    for i, (a, b) in enumerate(zip(p1, p2)):
        d = packet_diff(a, b)
        if d:
            diffs.append("#%d: %s" % (i, d))
    jitter = [abs(a["t"] - b["t"]) for a, b in zip(p1, p2)]
    return diffs, jitter


def comparable_steps(steps):
    return [s["out"] if not isinstance(s["out"], dict) else {"state": s["out"]["state"]} for s in steps]


def rule_arg(d):
    """A WireDrop of tcp-wire-cases.ts as tcp_delayline.c's RULES syntax."""
    kind = d.get("kind", "nth")
    if kind == "nth":
        return "drop:%s:%d:%d" % (d["dir"], d["nth"], d.get("count", 1))
    if kind == "seq":
        return "%s:%s:%d:%d" % ("seqin" if d.get("covers") else "seq", d["dir"], d["seq"], d.get("count", 1))
    if kind == "hold":
        return "hold:%s:%d:%d" % (d["dir"], d["nth"], int(round(d["extraMs"] * 1e6)))
    if kind == "dup":
        return "dup:%s:%d:%d" % (d["dir"], d["nth"], d.get("copies", 1))
    if kind == "random":
        return "rand:%s:%d:%d" % (d["dir"], d["permille"], d["seed"])
    raise ValueError("unknown rule kind %r" % kind)


def transfer_us(packets, delay_ms):
    """When the server's stream of the first connection is complete through the client's FIN
    (tcp-wire-cases.ts: wireTransferUs, the same): delivered c2s packets in order of arrival
    (capture time + the one-way delay; a copy at its own time), the receiver's next expected
    sequence advanced over them and the out-of-order ranges they join; the arrival that takes
    it past the FIN, us from the first packet, or None."""
    delay_us = round(delay_ms * 1000)
    arr = [(p["t"] if p.get("copy") else p["t"] + delay_us, i, p) for i, p in enumerate(packets)
           if p["dir"] == "c2s" and not p.get("conn") and not p.get("dropped") and "S" not in p["flags"] and "R" not in p["flags"]]
    arr.sort(key=lambda x: (x[0], x[1]))
    nxt = 1
    fin_end = None
    ooo = []
    for at, _, p in arr:
        fin = "F" in p["flags"]
        end = p["seq"] + p["len"] + (1 if fin else 0)
        if fin:
            fin_end = end
        if end > nxt:
            if p["seq"] <= nxt:
                nxt = end
                grew = True
                while grew:
                    grew = False
                    keep = []
                    for a, b in ooo:
                        if a > nxt:
                            keep.append((a, b))
                        elif b > nxt:
                            nxt = b
                            grew = True
                    ooo = keep
            else:
                ooo.append((p["seq"], end))
        if fin_end is not None and nxt >= fin_end:
            return at
    return None


def summarise(packets, delay_ms=None):
    """WireSummary (tcp-wire-cases.ts: wireSummary, the same computation) of a normalised trace;
    with the case's one-way delay also transferMs (WireSummary.transferMs)."""
    counts = {"c2s": 0, "s2c": 0}
    dropped = {"c2s": 0, "s2c": 0}
    first_dropped = {"c2s": [], "s2c": []}
    ordinal = {"c2s": 0, "s2c": 0}
    top = {}
    data = retrans = 0
    for p in packets:
        d = p["dir"]
        counts[d] += 1
        if not p.get("copy"):
            ordinal[d] += 1
        if p.get("dropped"):
            dropped[d] += 1
            if len(first_dropped[d]) < 20:
                first_dropped[d].append(ordinal[d])
        if d == "c2s" and p["len"] > 0:
            k = p.get("conn", 0)
            data += 1
            if p["seq"] < top.get(k, 0):
                retrans += 1
            top[k] = max(top.get(k, 0), p["seq"] + p["len"])
    end = top.get(0, 1)
    acked = next((p["t"] for p in packets if p["dir"] == "s2c" and not p.get("conn") and "." in p["flags"] and p["ack"] >= end), None)
    out = {"packets": counts, "dropped": dropped, "firstDropped": first_dropped, "dataSegments": data,
           "retransmits": retrans, "bytes": end - 1, "completionUs": packets[-1]["t"] if packets else 0,
           "dataAckedUs": acked}
    if delay_ms is not None:
        us = transfer_us(packets, delay_ms)
        out["transferMs"] = None if us is None else us / 1000
    return out


def run_case(ns, exe, tmp, idx, case, cpu):
    port = BASE_PORT + idx
    # The sockets earlier cases left behind (an orphan in LAST_ACK whose peer's RST was lost goes
    # on resending its FIN for minutes): destroyed now, while no delay line listens, so none of
    # their packets reaches this case's capture (where it would count among the ordinals and,
    # coming first, set the time base). Needs CONFIG_INET_DIAG_DESTROY; harmless without.
    ns.run(["ss", "-K", "-t", "state", "all"], check=False)
    ns.run(["ip", "tcp_metrics", "flush", "all"], check=False)
    drops = ",".join(rule_arg(d) for d in case.get("drops") or []) or "-"
    logpath = os.path.join(tmp, "case-%d.log" % idx)
    dl = subprocess.Popen(ns.exec_args([exe, str(QUEUE), str(int(round(case["delayMs"] * 1e6))), str(port), drops,
                                        logpath, str(cpu if cpu is not None else -1), str(RT_DL)]),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = dl.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError("delay line did not start: %s %s" % (line, dl.stderr.read()))
        # Every waiting step may use up its wait limit.
        waits = sum(1 for s in case["steps"] if s.get("wait"))
        limit = max([s.get("at", 0) for s in case["steps"]] + [0]) / 1000 + case["tailMs"] / 1000 + 60 + max(3, waits) * case.get("waitLimitMs", 0) / 1000
        if case.get("limitMs"):
            limit = min(limit, case["limitMs"] / 1000 + case["tailMs"] / 1000 + 60)
        spec = {"case": case, "port": port, "cpu": cpu}
        w = subprocess.run(ns.exec_args([sys.executable, os.path.abspath(__file__), "--worker"]), input=json.dumps(spec),
                           capture_output=True, text=True, timeout=limit)
        qstat = ns.run(["cat", "/proc/net/netfilter/nfnetlink_queue"], check=False).stdout.split()
    finally:
        dl.send_signal(signal.SIGTERM)
        try:
            dl_out, dl_err = dl.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            dl.kill()
            dl_out, dl_err = dl.communicate()
    if w.returncode != 0:
        raise RuntimeError("case %s: socket script failed: %s" % (case["id"], w.stderr))
    res = json.loads(w.stdout)
    stats = {}
    for tok in dl_out.split():
        if "=" in tok:
            k, v = tok.split("=")
            stats[k] = int(v)
    # /proc/net/netfilter/nfnetlink_queue: queue portid total copy_mode copy_range queue_dropped user_dropped id 1
    stats["queueDropped"] = int(qstat[5]) if len(qstat) >= 7 else 0
    stats["userDropped"] = int(qstat[6]) if len(qstat) >= 7 else 0
    with open(logpath) as fh:
        lines = fh.read().splitlines()
    os.unlink(logpath)
    packets, first_ms, late = normalise(lines, port, res["startNs"], res["endNs"])
    stats["lateUsMax"] = round(max(late), 1) if late else 0
    stats["lateUsMean"] = round(sum(late) / len(late), 1) if late else 0
    # Where the case's time zero fell in its jiffy: the timer wheel's ticks are at whole
    # multiples of TICK_NSEC in CLOCK_MONOTONIC here (timer-driven packets, delayed ACKs and
    # retransmissions, leave 0.1-0.35 ms after one), so a replay can put its ticks where
    # the kernel's were.
    tick_ns = 1000000000 // (kernel_hz() or 250)
    jiffies_at_start = None
    if JIFFIES_OFFSET is not None:
        jiffies_at_start = (JIFFIES_OFFSET + res["startNs"] // tick_ns) % (1 << 24)
    return {"packets": packets, "firstPacketMs": first_ms, "steps": res["steps"], "events": res["events"],
            "rt": res["rt"], "stats": stats, "tickPhaseUs": round((res["startNs"] % tick_ns) / 1000, 1),
            "jiffiesAtStart": jiffies_at_start}


HICCUP_US = 1000  # a verdict sent this late (µs) after its release time: the run is not clean
EXTRA_PASSES = 2


def clean(run):
    st = run["stats"]
    return st["lateUsMax"] < HICCUP_US and not (st.get("errors", 0) or st["queueDropped"] or st["userDropped"])


def common_prefix(p1, p2):
    """How many leading packets two runs agree on (packet_diff)."""
    n = 0
    for a, b in zip(p1, p2):
        if packet_diff(a, b):
            break
        n += 1
    return n


def choose_pair(tries):
    """The two runs a result is made of: the first two clean runs that agree, else two that agree,
    else the two clean ones (any two when fewer are clean) that agree on the longest prefix of
    packets (the first such pair)."""
    pairs = [(a, b) for a in range(len(tries)) for b in range(a + 1, len(tries))]
    agree = [(a, b) for a, b in pairs if not compare_runs(tries[a]["packets"], tries[b]["packets"])[0]]
    for a, b in agree:
        if clean(tries[a]) and clean(tries[b]):
            return a, b, True
    if agree:
        return agree[0][0], agree[0][1], True
    ok = [k for k, r in enumerate(tries) if clean(r)]
    cand = [(a, b) for a, b in pairs if a in ok and b in ok] if len(ok) >= 2 else pairs
    if not cand:
        return 0, 1, False
    best = max(cand, key=lambda ab: (common_prefix(tries[ab[0]]["packets"], tries[ab[1]]["packets"]), -ab[0], -ab[1]))
    return best[0], best[1], False


def recorder(spec):
    if os.geteuid() != 0:
        return {"unavailable": "not running as root (network namespaces and NFQUEUE need CAP_NET_ADMIN)"}
    miss = ensure_tools()
    if miss:
        return {"unavailable": "missing Debian packages: apt-get install " + " ".join(miss)}
    global JIFFIES_OFFSET
    JIFFIES_OFFSET = jiffies_offset()
    cases = spec["cases"]
    nruns = spec.get("runs", 2)
    extra_passes = spec.get("extraPasses", EXTRA_PASSES)
    cpus = sorted(os.sched_getaffinity(0))
    cpu = 1 if 1 in cpus else cpus[0]
    t_start = time.monotonic()
    tries = [[] for _ in cases]
    sysctls = None
    with tempfile.TemporaryDirectory(prefix="bpfsim-wire-") as tmp:
        try:
            exe = build_delayline(tmp)
        except RuntimeError as e:
            return {"unavailable": "cannot build tcp_delayline.c: %s" % e}
        todo = list(range(len(cases)))
        npass = 0
        while todo:
            npass += 1
            name = "bpfsim-wire-%d-%d" % (os.getpid(), npass)
            try:
                ns = Namespace(name).__enter__()
            except RuntimeError as e:
                sh(["ip", "netns", "del", name], check=False)
                return {"unavailable": "cannot set up a network namespace with an NFQUEUE rule: %s" % e}
            try:
                if sysctls is None:
                    sysctls = json.loads(ns.run([sys.executable, os.path.abspath(__file__), "--sysctls"]).stdout)
                for i in todo:
                    t = time.monotonic()
                    r = run_case(ns, exe, tmp, i, cases[i], cpu)
                    tries[i].append(r)
                    log("pass %d case %d %s: %d packets, %.2f s, late %.0f us" % (
                        npass, i, cases[i]["id"], len(r["packets"]), time.monotonic() - t, r["stats"]["lateUsMax"]))
            finally:
                ns.__exit__(None, None, None)
            if npass < nruns:
                continue
            if nruns < 2 or npass >= nruns + extra_passes:
                break
            # Rate cases (summary) are not run again: their runs are not expected to agree packet
            # for packet, and a hold over HICCUP_US somewhere in 10 MB is no reason to redo one.
            todo = [i for i in todo if not cases[i].get("summary") and not (lambda a, b, ok: ok and clean(tries[i][a]) and clean(tries[i][b]))(*choose_pair(tries[i]))]
    results = []
    for i, c in enumerate(cases):
        runs = tries[i]
        ka, kb, _ = choose_pair(runs) if len(runs) > 1 else (0, 0, True)
        a, b = runs[ka], runs[kb]
        res = {"id": c["id"], "packets": a["packets"], "firstPacketMs": a["firstPacketMs"], "steps": a["steps"],
               "events": a["events"], "tickPhaseUs": a["tickPhaseUs"], "jiffiesAtStart": a["jiffiesAtStart"]}
        diffs, jitter = compare_runs(a["packets"], b["packets"])
        res["stable"] = not diffs
        res["stablePrefix"] = common_prefix(a["packets"], b["packets"])
        res["jitterUs"] = jitter
        if diffs:
            res["diffs"] = diffs[:20]
        res["stepsStable"] = comparable_steps(a["steps"]) == comparable_steps(b["steps"])
        res["runs"] = len(runs)
        res["recorderErrors"] = sum(r["stats"].get("errors", 0) + r["stats"]["queueDropped"] + r["stats"]["userDropped"] for r in (a, b))
        res["holdLateUs"] = max(a["stats"]["lateUsMax"], b["stats"]["lateUsMax"])
        res["realtime"] = a["rt"] and b["rt"]
        if c.get("summary"):
            # A rate case: the summary of each kept run instead of the packets (and no
            # per-call background reads and writes: a replay runs at its own pace).
            res["summary"] = summarise(a["packets"], c["delayMs"])
            res["summaryRun2"] = summarise(b["packets"], c["delayMs"])
            res["packets"] = []
            res["jitterUs"] = []
            res["events"] = [e for e in a["events"] if e["ev"] not in ("r", "w")]
        results.append(res)
    return {
        "kernel": os.uname().release,
        "hz": kernel_hz(),
        "sysctls": sysctls,
        "setup": ("private netns, lo only (mtu 1500, tso/gso/gro off); iptables raw PREROUTING -p tcp -j NFQUEUE into "
                  "scripts/kernel/tcp_delayline.c (one-way delayMs per packet, RTT = 2*delayMs); SCHED_FIFO, CPU %d; "
                  "TCP_CONGESTION set on every socket; tcp_metrics flushed per case; %d runs per case (+ up to %d "
                  "more for cases whose runs disagreed or saw a hold over %d us)" % (cpu, nruns, extra_passes, HICCUP_US)),
        "wallSeconds": round(time.monotonic() - t_start, 1),
        "results": results,
    }


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(json.load(sys.stdin))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--sysctls":
        read_sysctls()
        return
    json.dump(recorder(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
