// TCP end to end through the socket API: handshake and accept, echo, half-close and the
// closing states, RST for a closed port (ECONNREFUSED), a reset connection (ECONNRESET),
// a peer gone (ETIMEDOUT), and bulk transfers over links that lose, duplicate and reorder,
// which must deliver the same bytes.
import { SysError } from '@bpfsim/isa';
import type { SocketStateEvent, TcpSegment, TcpSock } from '../src';
import { AF_INET, AF_INET6, MS, Network, parseTcp, SEC, SOCK_STREAM, SO, SOL_SOCKET, SocketApi, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_STATE } from '../src';

function pair(link: { loss?: number; duplicate?: number; reorder?: number; delay?: number; bandwidth?: number; queue?: number } = {}, seed = 21) {
  const net = new Network({ seed });
  const a = net.addHost('a');
  const b = net.addHost('b');
  const l = net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS, ...link });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  a.addAddress('eth0', 'fd00::1/64');
  b.addAddress('eth0', 'fd00::2/64');
  return { net, a, b, link: l, A: new SocketApi(a, a.kernel.spawn({ comm: 'client' })), B: new SocketApi(b, b.kernel.spawn({ comm: 'server' })) };
}

const errno = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
  return undefined;
};

/** Runs the simulation until `p` settles. */
async function until<T>(net: Network, p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 100000 && !done; i++) {
    if (!net.sim.step()) await Promise.resolve();
    await Promise.resolve();
  }
  return p;
}

/** The SYN and SYN-ACK segments the network's hosts send over IPv4 (collected as they go). */
function synsSent(net: Network): TcpSegment[] {
  const syns: TcpSegment[] = [];
  net.events.on('packet', (e) => {
    const t = parseTcp(e.frame.subarray(14 + 20));
    if (e.dir === 'out' && t && t.flags & 0x02) syns.push(t);
  });
  return syns;
}

/** Reads from fd until EOF. */
async function readAll(net: Network, api: SocketApi, fd: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const r = await until(net, api.recvAsync(fd, 1 << 20));
    if (r.data.length === 0) break;
    chunks.push(r.data);
    n += r.data.length;
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('connections', () => {
  test('connect, accept, echo, close: the states Linux goes through, on both sides', async () => {
    const { net, A, B } = pair();
    const states: string[] = [];
    net.events.on('tcp:state', (e: SocketStateEvent) => states.push(`${e.host}:${e.to}`));
    const l = B.socket(AF_INET, SOCK_STREAM);
    B.bind(l, { family: 4, addr: '0.0.0.0', port: 8080 });
    B.listen(l);
    const c = A.socket(AF_INET, SOCK_STREAM);
    const accepted = B.acceptAsync(l);
    await until(net, A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 8080 }));
    const s = await until(net, accepted);
    expect(B.getpeername(s)).toEqual({ family: 4, addr: expect.objectContaining({ text: '10.0.0.1' }), port: A.getsockname(c).port });
    A.send(c, new TextEncoder().encode('hello'));
    const got = await until(net, B.recvAsync(s));
    expect(new TextDecoder().decode(got.data)).toBe('hello');
    B.send(s, got.data);
    expect(new TextDecoder().decode((await until(net, A.recvAsync(c))).data)).toBe('hello');
    A.close(c);
    expect((await until(net, B.recvAsync(s))).data.length).toBe(0);
    B.close(s);
    net.sim.runFor(1 * SEC);
    expect(states).toEqual([
      'b:TCP_LISTEN',
      'a:TCP_SYN_SENT',
      'a:TCP_ESTABLISHED',
      'b:TCP_ESTABLISHED',
      'a:TCP_FIN_WAIT1',
      'b:TCP_CLOSE_WAIT',
      // b closes as soon as it reads EOF, before its ACK of a's FIN has crossed the link.
      'b:TCP_LAST_ACK',
      'a:TCP_FIN_WAIT2',
      'a:TCP_TIME_WAIT',
      'b:TCP_CLOSE',
    ]);
    net.sim.runFor(61 * SEC);
    expect(states.at(-1)).toBe('a:TCP_CLOSE');
  });

  test('a closed port answers RST: ECONNREFUSED', async () => {
    const { net, A } = pair();
    const c = A.socket(AF_INET, SOCK_STREAM);
    expect(await errno(until(net, A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 9 })))).toBe('ECONNREFUSED');
  });

  test('IPv6 connections, and SO_LINGER 0 resetting the peer: ECONNRESET', async () => {
    const { net, A, B } = pair();
    const l = B.socket(AF_INET6, SOCK_STREAM);
    B.bind(l, { family: 6, addr: '::', port: 8081 });
    B.listen(l);
    const c = A.socket(AF_INET6, SOCK_STREAM);
    const acc = B.acceptAsync(l);
    await until(net, A.connectAsync(c, { family: 6, addr: 'fd00::2', port: 8081 }));
    const s = await until(net, acc);
    B.socketOf(s).optionsForWrite().linger = { onoff: true, seconds: 0 };
    B.close(s);
    expect(await errno(until(net, A.recvAsync(c)))).toBe('ECONNRESET');
  });

  test('a peer that is gone: the connect times out after the SYN retries (ETIMEDOUT)', async () => {
    const { net, A, link } = pair();
    link.cut();
    const c = A.socket(AF_INET, SOCK_STREAM);
    const p = A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 80 });
    const r = errno(until(net, p));
    expect(await r).toBe('ETIMEDOUT');
    // 1 + 2 + 4 + … + 64 s of SYN retries, then the last wait: about 127 s.
    expect(net.sim.now).toBeGreaterThan(120 * SEC);
    expect(net.sim.now).toBeLessThan(140 * SEC);
    expect(A.socketOf(c).state).toBe(TCP_STATE.TCP_CLOSE);
  });

  test('a peer gone mid-transfer: ETIMEDOUT once the retransmissions outlast what tcp_retries2 = 15 timeouts from 200 ms take (924.6 s), whatever the RTO', async () => {
    // RTT 1 s: the RTO starts near 1.2 s, so fifteen timeouts would take far longer than
    // Linux's model (tcp_model_timeout) allows.
    const { net, A, B, link } = pair({ delay: 500 * MS });
    const l = B.socket(AF_INET, SOCK_STREAM);
    B.bind(l, { family: 4, addr: '0.0.0.0', port: 5003 });
    B.listen(l);
    const acc = B.acceptAsync(l);
    const c = A.socket(AF_INET, SOCK_STREAM);
    await until(net, A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 5003 }));
    await until(net, acc);
    let first = -1;
    net.events.on('tcp:retransmit', (e) => {
      if (e.host === 'a' && first < 0) first = net.sim.now;
    });
    link.cut();
    A.send(c, new Uint8Array(1000));
    expect(await errno(until(net, A.recvAsync(c)))).toBe('ETIMEDOUT');
    const waited = (net.sim.now - first) / SEC;
    expect(waited).toBeGreaterThanOrEqual(924.6);
    expect(waited).toBeLessThan(924.6 + 120);
  });
});

describe('bulk transfer', () => {
  /** The scoreboard counters against a walk of the send queue: packets_out, sacked_out,
   * lost_out, retrans_out as tcp_sock keeps them must be what the skbs' marks add up to. */
  const scoreboardDrift = (tp: TcpSock): string | undefined => {
    const n = { packetsOut: 0, sackedOut: 0, lostOut: 0, retransOut: 0 };
    for (let i = 0; i < tp.sendHead; i++) {
      const skb = tp.wq[i]!;
      n.packetsOut += skb.pcount;
      if (skb.flags & 0x200) n.sackedOut += skb.pcount;
      if (skb.flags & 0x400) n.lostOut += skb.pcount;
      if (skb.flags & 0x800) n.retransOut += skb.pcount;
    }
    const t = tp.tx;
    const kept = { packetsOut: t.packetsOut, sackedOut: t.sackedOut, lostOut: t.lostOut, retransOut: t.retransOut };
    return JSON.stringify(kept) === JSON.stringify(n) ? undefined : `kept ${JSON.stringify(kept)}, queue ${JSON.stringify(n)}`;
  };
  const transfer = async (size: number, link: Parameters<typeof pair>[0], seed: number) => {
    const { net, A, B, link: wire } = pair(link, seed);
    let retransmits = 0;
    let senderRetransmits = 0;
    const drift: string[] = [];
    let sender: TcpSock | undefined;
    net.events.on('tcp:retransmit', (e) => {
      retransmits++;
      if (e.host === 'a') senderRetransmits++;
      const d = sender && scoreboardDrift(sender);
      if (d && drift.length < 3) drift.push(`${net.sim.now}: ${d}`);
    });
    const l = B.socket(AF_INET, SOCK_STREAM);
    B.bind(l, { family: 4, addr: '0.0.0.0', port: 5001 });
    B.listen(l);
    const c = A.socket(AF_INET, SOCK_STREAM);
    const acc = B.acceptAsync(l);
    await until(net, A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 5001 }));
    const s = await until(net, acc);
    sender = A.socketOf(c) as TcpSock;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 131 + (i >> 9)) & 0xff;
    let off = 0;
    let shut = false;
    const pump = (): void => {
      if (shut) return;
      while (off < size) {
        try {
          off += A.send(c, data.subarray(off, Math.min(size, off + 65536)));
        } catch (e) {
          if (e instanceof SysError && e.code === 'EAGAIN') return;
          throw e;
        }
      }
      shut = true;
      A.shutdown(c, 1);
    };
    A.socketOf(c).onWake(pump);
    pump();
    const got = await readAll(net, B, s);
    const info = A.tcpInfo(c);
    return { ok: got.length === size && Buffer.from(got).equals(Buffer.from(data)), time: net.sim.now, retransmits, senderRetransmits, drift, totalRetrans: info.total_retrans, ssthresh: info.snd_ssthresh, queueDrops: wire.stats.queueDrops };
  };

  test('1 MB over a clean link arrives intact', async () => {
    const r = await transfer(1 << 20, { bandwidth: 100_000_000 }, 1);
    expect(r.ok).toBe(true);
  });

  test('1 MB over a link with 10% loss, duplication and reordering arrives intact', async () => {
    const r = await transfer(1 << 20, { loss: 0.1, duplicate: 0.1, reorder: 0.1, bandwidth: 100_000_000 }, 2);
    expect(r.ok).toBe(true);
    expect(r.retransmits).toBeGreaterThan(10);
    // The counters the window arithmetic reads never drift from the queue's marks, and
    // TCP_INFO's total_retrans counts the segments sent again.
    expect(r.drift).toEqual([]);
    expect(r.totalRetrans).toBeGreaterThanOrEqual(r.senderRetransmits);
  });

  test('reordering without loss: every retransmission shows up as a D-SACK (dsack_dups), tp->reordering learns the depth, RACK widens its window (reo_wnd_steps)', async () => {
    const { net, A, B } = pair({ delay: 5 * MS, bandwidth: 100_000_000, reorder: 0.02 }, 5);
    const l = B.socket(AF_INET, SOCK_STREAM);
    B.bind(l, { family: 4, addr: '0.0.0.0', port: 5004 });
    B.listen(l);
    const acc = B.acceptAsync(l);
    const c = A.socket(AF_INET, SOCK_STREAM);
    await until(net, A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 5004 }));
    const s = await until(net, acc);
    const tp = A.socketOf(c) as TcpSock;
    let steps = 1;
    net.events.on('tcp:retransmit', () => void (steps = Math.max(steps, tp.tx.reoWndSteps)));
    const data = new Uint8Array(8 << 20);
    let off = 0;
    let shut = false;
    const pump = (): void => {
      while (off < data.length) {
        try {
          off += A.send(c, data.subarray(off, off + 65536));
        } catch {
          return;
        }
      }
      if (!shut) {
        shut = true;
        A.shutdown(c, 1);
      }
    };
    tp.onWake(pump);
    pump();
    expect((await readAll(net, B, s)).length).toBe(data.length);
    const info = A.tcpInfo(c);
    expect(info.total_retrans).toBeGreaterThan(0);
    expect(info.dsack_dups).toBe(info.total_retrans);
    expect(info.reordering).toBeGreaterThan(3);
    expect(Math.max(steps, tp.tx.reoWndSteps)).toBeGreaterThanOrEqual(2);
  });

  test('sendAsync: a blocking send takes every byte, waiting while the buffer is full; a reset ends it with the error', async () => {
    const { net, A, B } = pair({ bandwidth: 10_000_000 });
    const l = B.socket(AF_INET, SOCK_STREAM);
    B.bind(l, { family: 4, addr: '0.0.0.0', port: 5005 });
    B.listen(l);
    const acc = B.acceptAsync(l);
    const c = A.socket(AF_INET, SOCK_STREAM);
    await until(net, A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 5005 }));
    const s = await until(net, acc);
    const data = Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 7) & 0xff);
    const sent = A.sendAsync(c, data);
    let got = 0;
    let done = false;
    void sent.then(() => (done = true));
    while (!done) {
      net.sim.runFor(5 * MS);
      await Promise.resolve();
      for (;;) {
        try {
          got += B.recvfrom(s, 1 << 20).data.length;
        } catch {
          break;
        }
      }
    }
    expect(await sent).toBe(data.length);
    // The one call took it all (more than the send buffer holds): it all arrives.
    for (let i = 0; i < 1000 && got < data.length; i++) {
      net.sim.runFor(5 * MS);
      for (;;) {
        try {
          got += B.recvfrom(s, 1 << 20).data.length;
        } catch {
          break;
        }
      }
    }
    expect(got).toBe(data.length);
    // A peer that resets: the waiting send fails with ECONNRESET.
    const more = A.sendAsync(c, new Uint8Array(8 << 20));
    B.socketOf(s).optionsForWrite().linger = { onoff: true, seconds: 0 };
    B.close(s);
    expect(await errno(until(net, more))).toBe('ECONNRESET');
  });

  test("a sender's own full device queue is congestion, not loss: the window comes down (CWR), nothing is sent twice", async () => {
    // 10 Mb/s with room for 20 frames: the window soon outgrows the queue. Linux's
    // __tcp_transmit_skb takes NET_XMIT_DROP as a signal to reduce (tcp_enter_cwr) and keeps
    // the segment queued, so no retransmission follows.
    const r = await transfer(1 << 20, { bandwidth: 10_000_000, queue: 20 }, 4);
    expect(r.ok).toBe(true);
    expect(r.queueDrops).toBeGreaterThan(0);
    expect(r.retransmits).toBe(0);
    expect(r.totalRetrans).toBe(0);
    expect(r.ssthresh).toBeLessThan(0x7fffffff);
  });

  test('10 MB over a link with 10% loss, duplication and reordering arrives intact', async () => {
    const r = await transfer(10 << 20, { loss: 0.1, duplicate: 0.1, reorder: 0.1, bandwidth: 1_000_000_000 }, 3);
    expect(r.ok).toBe(true);
  });
});

test('after a timeout, the FIN counts as acknowledged only once the peer has every byte before it', async () => {
  const { net, A, B, link } = pair({ bandwidth: 100_000_000 });
  const l = B.socket(AF_INET, SOCK_STREAM);
  B.bind(l, { family: 4, addr: '0.0.0.0', port: 5002 });
  B.listen(l);
  const acc = B.acceptAsync(l);
  const c = A.socket(AF_INET, SOCK_STREAM);
  await until(net, A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 5002 }));
  const s = await until(net, acc);
  const states: string[] = [];
  net.events.on('tcp:state', (e: SocketStateEvent) => {
    if (e.host === 'a') states.push(`${e.to}@${B.socketOf(s).state === 1 ? 'peer-open' : 'peer-closing'}`);
  });
  // Four segments and the FIN go out into a cut link: all lost. The RTO goes back to
  // snd_una and sends one segment; its ACK must not be taken for the FIN's.
  link.cut();
  const data = Uint8Array.from({ length: 4 * 1448 }, (_, i) => i & 0xff);
  A.send(c, data);
  A.shutdown(c, 1);
  net.sim.runFor(50 * MS);
  link.heal();
  const got = await readAll(net, B, s);
  expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
  net.sim.runFor(100 * MS);
  expect(A.socketOf(c).state).toBe(TCP_STATE.TCP_FIN_WAIT2);
  expect(states[0]).toBe('TCP_FIN_WAIT1@peer-open');
  expect(states.filter((x) => x.startsWith('TCP_FIN_WAIT2'))).toEqual(['TCP_FIN_WAIT2@peer-closing']);
});

describe('keepalive', () => {
  const SOL_TCP = 6;
  async function established(keep: boolean) {
    const w = pair();
    const l = w.B.socket(AF_INET, SOCK_STREAM);
    w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 5003 });
    w.B.listen(l);
    const acc = w.B.acceptAsync(l);
    const c = w.A.socket(AF_INET, SOCK_STREAM);
    if (keep) {
      w.A.setsockopt(c, SOL_SOCKET, SO.SO_KEEPALIVE, 1);
      w.A.setsockopt(c, SOL_TCP, TCP_KEEPIDLE, 10);
      w.A.setsockopt(c, SOL_TCP, TCP_KEEPINTVL, 2);
      w.A.setsockopt(c, SOL_TCP, TCP_KEEPCNT, 3);
    }
    await until(w.net, w.A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 5003 }));
    const s = await until(w.net, acc);
    return { ...w, c, s };
  }
  const probesFrom = (net: Network, host: string): number[] => {
    const at: number[] = [];
    net.events.on('packet', (e) => {
      // A bare ACK (no payload: IPv4 total length = IP + TCP headers, with the timestamp
      // option 20 + 32) sent by the client's eth0: a keepalive probe.
      if (e.host !== host || e.dir !== 'out' || e.dev !== 'eth0' || e.frame[12] !== 8) return;
      const total = (e.frame[16]! << 8) | e.frame[17]!;
      const doff = (e.frame[14 + 20 + 12]! >> 4) * 4;
      if (total === 20 + doff && e.frame[47] === 0x10) at.push(e.time);
    });
    return at;
  };

  test('off by default: an idle connection sends nothing for hours; the defaults read 7200/75/9', async () => {
    const w = await established(false);
    const probes = probesFrom(w.net, 'a');
    w.net.sim.runFor(3 * 3600 * SEC);
    expect(probes).toEqual([]);
    expect([TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT].map((o) => w.A.getsockopt(w.c, SOL_TCP, o))).toEqual([7200, 75, 9]);
  });

  test('a silent peer: probes at idle, idle + intvl, idle + 2 intvl, then a reset and ETIMEDOUT', async () => {
    const w = await established(true);
    const t0 = w.net.sim.now;
    const probes = probesFrom(w.net, 'a');
    w.link.cut();
    w.net.sim.runFor(60 * SEC);
    expect(probes.map((t) => Math.round((t - t0) / SEC))).toEqual([10, 12, 14]);
    expect(w.A.socketOf(w.c).state).toBe(TCP_STATE.TCP_CLOSE);
    await expect(w.A.recvAsync(w.c)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  test('a live peer answers every probe: the connection stays up, one probe per idle period', async () => {
    const w = await established(true);
    const t0 = w.net.sim.now;
    const probes = probesFrom(w.net, 'a');
    w.net.sim.runFor(55 * SEC);
    expect(probes.map((t) => Math.round((t - t0) / SEC))).toEqual([10, 20, 30, 40, 50]);
    expect(w.A.socketOf(w.c).state).toBe(TCP_STATE.TCP_ESTABLISHED);
  });

  test('TCP_KEEPIDLE/INTVL/CNT outside their ranges: EINVAL', async () => {
    const w = await established(false);
    expect(() => w.A.setsockopt(w.c, SOL_TCP, TCP_KEEPIDLE, 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as unknown as Error);
    expect(() => w.A.setsockopt(w.c, SOL_TCP, TCP_KEEPINTVL, 32768)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as unknown as Error);
    expect(() => w.A.setsockopt(w.c, SOL_TCP, TCP_KEEPCNT, 128)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as unknown as Error);
  });
});

test('loopback MSS is 65495 (the IPv4 length field caps it, as Linux advertises on lo): 1 MB over lo arrives', () => {
  const net = new Network({ seed: 15 });
  const h = net.addHost('h');
  const api = new SocketApi(h, h.kernel.spawn({ comm: 'p' }));
  const l = api.socket(AF_INET, SOCK_STREAM);
  api.bind(l, { family: 4, addr: '127.0.0.1', port: 9000 });
  api.listen(l);
  const syns = synsSent(net);
  const tx = api.socket(AF_INET, SOCK_STREAM);
  api.connectStart(tx, { family: 4, addr: '127.0.0.1', port: 9000 });
  net.sim.run(1000);
  const rx = api.accept(l);
  // SYN and SYN-ACK: MSS 65495 and timestamps (TSecr 0 in the SYN, the SYN's TSval echoed).
  expect(syns.map((t) => t.options.mss)).toEqual([65495, 65495]);
  expect(syns.map((t) => t.window)).toEqual([65495, 65483]); // as tcpdump shows on Linux's lo
  // Right after the connect, TCP_MAXSEG is half the server's first window
  // (tcp_bound_to_half_wnd): 32741, as this machine's kernel reads it.
  expect(api.getsockopt(tx, 6, 2)).toBe(32741);
  expect(syns[0]!.options.ts?.[1]).toBe(0);
  expect(syns[1]!.options.ts?.[1]).toBe(syns[0]!.options.ts?.[0]);
  let sent = 0;
  let got = 0;
  const drops: string[] = [];
  net.events.on('drop', (e) => drops.push(e.reason));
  for (let i = 0; i < 100 && got < 1 << 20; i++) {
    for (;;) {
      if (sent >= 1 << 20) break;
      try {
        sent += api.send(tx, new Uint8Array(Math.min(65536, (1 << 20) - sent)));
      } catch {
        break;
      }
    }
    net.sim.runFor(10 * MS);
    for (;;) {
      try {
        got += api.recvfrom(rx, 1 << 22).data.length;
      } catch {
        break;
      }
    }
  }
  expect(got).toBe(1 << 20);
  expect(drops).toEqual([]);
  // TCP_MAXSEG is mss_cache: the MSS less the timestamp option's 12 bytes, now that the
  // server's window has grown past twice that. Linux 6.18 on this machine reads 65483
  // after the same 1 MB transfer over lo.
  expect(api.getsockopt(tx, 6, 2)).toBe(65483);
});

describe('zero window', () => {
  // A receiver that stops reading: its window closes, the sender probes it (tcp_probe_timer
  // → tcp_write_wakeup → tcp_xmit_probe_skb: a bare ACK at snd_una - 1, which the receiver
  // answers with its window), data never goes past the window, the connection survives as
  // long as the probes are answered, and every byte arrives once the reader reads again.
  test('probes carry no data, the sender keeps within the window, the transfer completes', async () => {
    const { net, A, B } = pair({}, 5);
    const sent: { seq: number; len: number; ack: boolean }[] = [];
    net.events.on('packet', (e) => {
      if (e.host !== 'a' || e.dir !== 'out' || e.frame[23] !== 6) return; // IPv4 TCP from a
      const ihl = (e.frame[14]! & 0xf) * 4;
      const tcp = e.frame.subarray(14 + ihl);
      const doff = (tcp[12]! >> 4) * 4;
      const total = (e.frame[16]! << 8) | e.frame[17]!;
      sent.push({ seq: new DataView(tcp.buffer, tcp.byteOffset).getUint32(4), len: total - ihl - doff, ack: (tcp[13]! & 0x10) !== 0 });
    });
    const l = B.socket(AF_INET, SOCK_STREAM);
    B.setsockopt(l, SOL_SOCKET, SO.SO_RCVBUF, 4096); // doubled: 8192 bytes
    B.bind(l, { family: 4, addr: '0.0.0.0', port: 8081 });
    B.listen(l);
    const c = A.socket(AF_INET, SOCK_STREAM);
    const accepted = B.acceptAsync(l);
    await until(net, A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 8081 }));
    const s = await until(net, accepted);
    const data = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
    let off = 0;
    const pump = (): void => {
      while (off < data.length) {
        try {
          off += A.send(c, data.subarray(off));
        } catch (e) {
          if (e instanceof SysError && e.code === 'EAGAIN') return;
          throw e;
        }
      }
      if (off === data.length) {
        off++;
        A.shutdown(c, 1);
      }
    };
    A.socketOf(c).onWake(pump);
    pump();
    // Nobody reads for 1000 s of virtual time: more probes than tcp_retries2 (15).
    net.sim.runUntil(net.sim.now + 1000 * SEC);
    const rcvbuf = B.getsockopt(s, SOL_SOCKET, SO.SO_RCVBUF) as number;
    const queued = sent.filter((p) => p.len > 0).reduce((n, p) => n + p.len, 0);
    expect(queued).toBeLessThanOrEqual(rcvbuf);
    // The probes: bare ACKs one below the first byte the receiver has not taken.
    const sndUna = sent.filter((p) => p.len > 0).reduce((m, p) => Math.max(m, p.seq + p.len), 0) >>> 0;
    const zwp = sent.filter((p) => p.len === 0 && p.seq === ((sndUna - 1) >>> 0));
    expect(zwp.length).toBeGreaterThan(15);
    // The reader comes back: everything arrives, in order, and the connection is alive.
    expect(Buffer.from(await readAll(net, B, s)).equals(Buffer.from(data))).toBe(true);
  });
});

describe('timestamps (RFC 7323, net.ipv4.tcp_timestamps)', () => {
  /** The TCP segments each host sends on eth0, parsed. */
  const capture = (net: Network): { host: string; t: TcpSegment }[] => {
    const out: { host: string; t: TcpSegment }[] = [];
    net.events.on('packet', (e) => {
      if (e.dir !== 'out' || e.dev !== 'eth0' || e.frame[12] !== 8 || e.frame[23] !== 6) return;
      out.push({ host: e.host, t: parseTcp(e.frame.subarray(14 + (e.frame[14]! & 0xf) * 4))! });
    });
    return out;
  };
  async function connectAndSend(w: ReturnType<typeof pair>, bytes: number): Promise<{ c: number; s: number }> {
    const l = w.B.socket(AF_INET, SOCK_STREAM);
    w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 8082 });
    w.B.listen(l);
    const c = w.A.socket(AF_INET, SOCK_STREAM);
    const acc = w.B.acceptAsync(l);
    await until(w.net, w.A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 8082 }));
    const s = await until(w.net, acc);
    w.A.send(c, new Uint8Array(bytes));
    w.net.sim.runFor(50 * MS);
    return { c, s };
  }

  test('on at both ends (the default): offered, echoed, on every segment, 12 bytes off the MSS', async () => {
    const w = pair();
    const segs = capture(w.net);
    const { c, s } = await connectAndSend(w, 5000);
    const [syn, synack] = segs;
    expect(syn!.t.options).toMatchObject({ mss: 1460, wscale: 10, ts: [expect.any(Number), 0] });
    // tcp_select_initial_window(): 44 × 1460 in the SYN, 45 × 1448 in the SYN-ACK (as
    // tcpdump shows Linux's: "win 64240", "win 65160").
    expect([syn!.t.window, synack!.t.window]).toEqual([64240, 65160]);
    expect(synack!.t.options.ts).toEqual([expect.any(Number), syn!.t.options.ts![0]]);
    // Every later segment carries TSval/TSecr, and the echo is always a TSval the peer sent.
    const sentBy = (h: string): Set<number> => new Set(segs.filter((x) => x.host === h).map((x) => x.t.options.ts![0]));
    for (const x of segs.slice(2)) {
      expect(x.t.headerLength).toBe(32);
      expect(sentBy(x.host === 'a' ? 'b' : 'a').has(x.t.options.ts![1])).toBe(true);
    }
    expect(Math.max(...segs.map((x) => x.t.payload.length))).toBe(1448);
    expect(w.A.getsockopt(c, 6, 2)).toBe(1448); // TCP_MAXSEG: mss_cache
    expect(w.B.getsockopt(s, 6, 2)).toBe(1448);
    // TSval is a millisecond clock with a per-connection offset: a's values over 50 ms.
    const a = segs.filter((x) => x.host === 'a').map((x) => x.t.options.ts![0]);
    expect(((a[a.length - 1]! - a[0]!) >>> 0) <= 60).toBe(true);
  });

  test("the window scale offered follows tcp_rmem[2]: 10 on 6.18 (32 MiB), 7 on the 4.17 profile (6 MiB)", () => {
    for (const [profile, shift] of [['6.18', 10], ['4.17', 7]] as const) {
      const net = new Network({ seed: 3, profile });
      const h = net.addHost('h');
      const api = new SocketApi(h, h.kernel.spawn({ comm: 'p' }));
      const syns = synsSent(net);
      const l = api.socket(AF_INET, SOCK_STREAM);
      api.bind(l, { family: 4, addr: '127.0.0.1', port: 9100 });
      api.listen(l);
      api.connectStart(api.socket(AF_INET, SOCK_STREAM), { family: 4, addr: '127.0.0.1', port: 9100 });
      net.sim.run(1000);
      expect(syns.map((t) => t.options.wscale)).toEqual([shift, shift]);
    }
  });

  test('off at the server: its SYN-ACK has none, so neither end sends them', async () => {
    const w = pair();
    w.b.tcpTimestamps = 0;
    const segs = capture(w.net);
    const { c } = await connectAndSend(w, 5000);
    expect(segs[0]!.t.options.ts).toBeDefined(); // the client still offers
    expect(segs[1]!.t.window).toBe(64240); // no timestamps: 44 × 1460
    for (const x of segs.slice(1)) expect(x.t.options.ts).toBeUndefined();
    expect(Math.max(...segs.map((x) => x.t.payload.length))).toBe(1460);
    expect(w.A.getsockopt(c, 6, 2)).toBe(1460);
  });
});
