// The TCP state machine driven by crafted segments, as smoltcp's socket tests do: host a is
// a raw peer (its TCP is replaced by a recorder), host b runs bpfsim's TCP; each case sends
// hand-built segments and checks the exact segments b answers with (flags, seq, ack,
// options) and b's socket state.
import { SysError } from '@bpfsim/isa';
import type { InPacket, TcpSegment } from '../src';
import { AF_INET, MS, Network, SOCK_STREAM, SocketApi, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_STATE, TCP_SYN, buildTcp, parseAddr, parseTcp } from '../src';

const A = parseAddr('10.0.0.1');
const B = parseAddr('10.0.0.2');
const PEER_PORT = 40000;
const ISN = 1000;

function world() {
  const net = new Network({ seed: 4 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  const got: TcpSegment[] = [];
  a.protocols.set(6, { receive: (p: InPacket) => got.push(parseTcp(p.payload)!) });
  const api = new SocketApi(b, b.kernel.spawn({ comm: 'srv' }));
  const send = (seq: number, ack: number, flags: number, data = new Uint8Array(), port = 80, window = 65535, options = {}): TcpSegment[] => {
    got.length = 0;
    a.ipOutput({ family: 4, src: A, dst: B, protocol: 6, payload: buildTcp(A.bytes, B.bytes, { srcPort: PEER_PORT, dstPort: port, seq, ack, flags, window, options }, data) });
    net.sim.runFor(10 * MS);
    return [...got];
  };
  return { net, api, send, got };
}

/** A listener on :80, and a connection from the raw peer through the handshake. */
function established() {
  const w = world();
  const l = w.api.socket(AF_INET, SOCK_STREAM);
  w.api.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
  w.api.listen(l);
  const [synack] = w.send(ISN, 0, TCP_SYN, undefined, 80, 65535, { mss: 1460 });
  w.send(ISN + 1, synack!.seq + 1, TCP_ACK);
  const s = w.api.accept(l);
  return { ...w, l, s, iss: synack!.seq, sk: w.api.socketOf(s) };
}

/** established(), then a 10-byte request the peer ACKs at once (quick-ACK mode) and the
 * application reads: the connection has received data, so its ATO is 40 ms. */
function requestRead() {
  const e = established();
  const [ack] = e.send(ISN + 1, e.iss + 1, TCP_ACK | TCP_PSH, new Uint8Array(10));
  expect([flags(ack), ack?.ack]).toEqual(['ACK', ISN + 11]);
  expect(e.api.recvfrom(e.s).data.length).toBe(10);
  return e;
}

const flags = (s: TcpSegment | undefined): string => (s ? ['FIN', 'SYN', 'RST', 'PSH', 'ACK'].filter((_, i) => s.flags & [1, 2, 4, 8, 16][i]!).join('|') : 'none');

describe('listen and handshake', () => {
  test('a SYN to a listener gets a SYN-ACK: ack = ISN + 1, our MSS, window scale 10', () => {
    const w = world();
    const l = w.api.socket(AF_INET, SOCK_STREAM);
    w.api.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
    w.api.listen(l);
    const [r] = w.send(ISN, 0, TCP_SYN, undefined, 80, 65535, { mss: 1400, wscale: 3 });
    expect(flags(r)).toBe('SYN|ACK');
    expect(r!.ack).toBe(ISN + 1);
    expect(r!.options.mss).toBe(1460);
    expect(r!.options.wscale).toBe(10); // 6.18: ilog2(tcp_rmem[2] = 32 MiB) - 15
  });

  test('the final ACK completes it: the connection waits in the accept queue, ESTABLISHED', () => {
    const e = established();
    expect(e.sk.state).toBe(TCP_STATE.TCP_ESTABLISHED);
  });

  test('a SYN to a closed port: RST|ACK, seq 0, ack = ISN + 1', () => {
    const w = world();
    const [r] = w.send(ISN, 0, TCP_SYN, undefined, 81);
    expect(flags(r)).toBe('RST|ACK');
    expect([r!.seq, r!.ack]).toEqual([0, ISN + 1]);
  });

  test('a retransmitted SYN in SYN_RECV gets the SYN-ACK again (tcp_check_req), at most once each 500 ms', () => {
    const w = world();
    const l = w.api.socket(AF_INET, SOCK_STREAM);
    w.api.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
    w.api.listen(l);
    const [first] = w.send(ISN, 0, TCP_SYN, undefined, 80, 65535, { mss: 1460 });
    const [again] = w.send(ISN, 0, TCP_SYN, undefined, 80, 65535, { mss: 1460 });
    expect([flags(again), again!.seq, again!.ack]).toEqual(['SYN|ACK', first!.seq, ISN + 1]);
    expect(w.send(ISN, 0, TCP_SYN, undefined, 80, 65535, { mss: 1460 })).toEqual([]); // tcp_invalid_ratelimit
    w.net.sim.runFor(500 * MS);
    expect(w.send(ISN, 0, TCP_SYN, undefined, 80, 65535, { mss: 1460 }).map(flags)).toEqual(['SYN|ACK']);
  });

  test('TCP_MAXSEG before listen: the SYN-ACK offers it, the window is whole segments of it, and the peer is held to it', () => {
    const w = world();
    const l = w.api.socket(AF_INET, SOCK_STREAM);
    expect(() => w.api.setsockopt(l, 6, 2, 87)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as unknown as Error);
    expect(() => w.api.setsockopt(l, 6, 2, 32768)).toThrow(expect.objectContaining({ code: 'EINVAL' }) as unknown as Error);
    w.api.setsockopt(l, 6, 2, 536);
    expect(w.api.getsockopt(l, 6, 2)).toBe(536); // not connected: TCP_MAXSEG's own value
    w.api.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
    w.api.listen(l);
    const [synack] = w.send(ISN, 0, TCP_SYN, undefined, 80, 65535, { mss: 1460 });
    expect(synack!.options.mss).toBe(536);
    expect(synack!.window).toBe(65392); // rounddown(65536, 536): tcp_select_initial_window
    w.send(ISN + 1, synack!.seq + 1, TCP_ACK);
    const s = w.api.accept(l);
    w.got.length = 0;
    w.api.send(s, new Uint8Array(1200));
    w.net.sim.runFor(10 * MS);
    expect(w.got.map((g) => g.payload.length)).toEqual([536, 536, 128]);
  });

  test('an ACK to a closed port: RST with seq = its ack; a RST is never answered', () => {
    const w = world();
    const [r] = w.send(ISN, 5555, TCP_ACK, undefined, 81);
    expect(flags(r)).toBe('RST');
    expect(r!.seq).toBe(5555);
    expect(w.send(ISN, 5555, TCP_RST, undefined, 81)).toEqual([]);
  });
});

describe('established', () => {
  test('in-order data is queued for the reader and acknowledged (delayed ACK within 40 ms)', () => {
    const e = established();
    const r = e.send(ISN + 1, e.iss + 1, TCP_ACK | TCP_PSH, Uint8Array.of(1, 2, 3));
    expect(r.map(flags)).toEqual(['ACK']);
    expect(r[0]!.ack).toBe(ISN + 4);
    expect([...e.api.recvfrom(e.s).data]).toEqual([1, 2, 3]);
  });

  test('out-of-order data: an immediate duplicate ACK, then the gap is filled and both are delivered', () => {
    const e = established();
    const r1 = e.send(ISN + 4, e.iss + 1, TCP_ACK, Uint8Array.of(4, 5));
    expect(r1.map((s) => [flags(s), s.ack])).toEqual([['ACK', ISN + 1]]);
    const r2 = e.send(ISN + 1, e.iss + 1, TCP_ACK, Uint8Array.of(1, 2, 3));
    expect(r2.map((s) => [flags(s), s.ack])).toEqual([['ACK', ISN + 6]]);
    expect([...e.api.recvfrom(e.s).data]).toEqual([1, 2, 3, 4, 5]);
  });

  test('a retransmitted (old) segment is acknowledged again and not delivered twice', () => {
    const e = established();
    e.send(ISN + 1, e.iss + 1, TCP_ACK, Uint8Array.of(9, 9));
    const r = e.send(ISN + 1, e.iss + 1, TCP_ACK, Uint8Array.of(9, 9));
    expect(r.map((s) => [flags(s), s.ack])).toEqual([['ACK', ISN + 3]]);
    expect([...e.api.recvfrom(e.s).data]).toEqual([9, 9]);
    expect(() => e.api.recvfrom(e.s)).toThrow(SysError);
  });

  test('a FIN: CLOSE_WAIT with its ACK delayed (pingpong), the reader sees end of stream; our close sends FIN → LAST_ACK → CLOSE', () => {
    const e = requestRead();
    // tcp_fin() enters pingpong mode: no ACK at once (within 10 ms), the delayed ACK when the
    // ATO the request set (40 ms) runs out.
    expect(e.send(ISN + 11, e.iss + 1, TCP_ACK | TCP_FIN)).toEqual([]);
    expect(e.sk.state).toBe(TCP_STATE.TCP_CLOSE_WAIT);
    e.net.sim.runFor(40 * MS);
    expect(e.got.map((s) => [flags(s), s.ack])).toEqual([['ACK', ISN + 12]]);
    expect(e.api.recvfrom(e.s).data.length).toBe(0);
    e.got.length = 0;
    e.api.close(e.s);
    e.net.sim.runFor(10 * MS);
    expect(e.got.map(flags)).toEqual(['FIN|ACK']);
    expect(e.sk.state).toBe(TCP_STATE.TCP_LAST_ACK);
    e.send(ISN + 12, e.got[0]!.seq + 1, TCP_ACK);
    expect(e.sk.state).toBe(TCP_STATE.TCP_CLOSE);
  });

  test('a FIN the application answers at once: its FIN carries the ACK (FIN, FIN-ACK, ACK)', () => {
    const e = requestRead();
    expect(e.send(ISN + 11, e.iss + 1, TCP_ACK | TCP_FIN)).toEqual([]);
    e.api.close(e.s);
    e.net.sim.runFor(50 * MS);
    expect(e.got.map((s) => [flags(s), s.ack])).toEqual([['FIN|ACK', ISN + 12]]);
  });

  test('a FIN before any data: the delayed-ACK timer has no ATO yet (icsk_ack.ato 0), so it ACKs on the next tick', () => {
    const e = established();
    const [ack] = e.send(ISN + 1, e.iss + 1, TCP_ACK | TCP_FIN);
    expect([flags(ack), ack?.ack]).toEqual(['ACK', ISN + 2]);
    expect(e.sk.state).toBe(TCP_STATE.TCP_CLOSE_WAIT);
  });

  test('an in-window RST resets the connection (ECONNRESET); one outside the window is ignored', () => {
    const e = established();
    e.send(ISN + 1 + 1_000_000, 0, TCP_RST);
    expect(e.sk.state).toBe(TCP_STATE.TCP_ESTABLISHED);
    e.send(ISN + 1, 0, TCP_RST);
    expect(e.sk.state).toBe(TCP_STATE.TCP_CLOSE);
    expect(() => e.api.recvfrom(e.s)).toThrow(expect.objectContaining({ code: 'ECONNRESET' }) as unknown as Error);
  });

  test('new data for a socket closed in FIN_WAIT2 aborts it: a RST in answer, seq = its ack (tcp_rcv_state_process)', () => {
    const e = requestRead();
    e.api.close(e.s);
    e.net.sim.runFor(10 * MS);
    const fin = e.got.find((g) => g.flags & TCP_FIN)!;
    e.send(ISN + 11, fin.seq + 1, TCP_ACK);
    expect(e.sk.state).toBe(TCP_STATE.TCP_FIN_WAIT2);
    const [rst] = e.send(ISN + 11, fin.seq + 1, TCP_ACK | TCP_PSH, new Uint8Array(5));
    expect([flags(rst), rst!.seq]).toEqual(['RST', fin.seq + 1]);
    expect(e.sk.state).toBe(TCP_STATE.TCP_CLOSE);
  });

  test("after the peer's FIN, more data from it is dropped unanswered; an old segment is ACKed", () => {
    const e = requestRead();
    e.send(ISN + 11, e.iss + 1, TCP_ACK | TCP_FIN);
    e.net.sim.runFor(300 * MS);
    expect(e.sk.state).toBe(TCP_STATE.TCP_CLOSE_WAIT);
    expect(e.send(ISN + 12, e.iss + 1, TCP_ACK | TCP_PSH, new Uint8Array(5))).toEqual([]);
    expect(e.send(ISN + 1, e.iss + 1, TCP_ACK | TCP_PSH, new Uint8Array(10)).map((g) => [flags(g), g.ack])).toEqual([['ACK', ISN + 12]]);
  });

  test('TCP_CORK holds a small write until the probe timer: it leaves after max(RTO, 200 ms), with PSH', () => {
    const e = requestRead();
    e.api.setsockopt(e.s, 6, 3, 1); // TCP_CORK
    const t0 = e.net.sim.now;
    e.got.length = 0;
    e.api.send(e.s, new Uint8Array(100));
    let waited = 0;
    while (!e.got.some((g) => g.payload.length) && waited < 400) {
      e.net.sim.runFor(1 * MS);
      waited++;
    }
    const out = e.got.filter((g) => g.payload.length);
    expect(out.map((g) => [flags(g), g.payload.length])).toEqual([['PSH|ACK', 100]]);
    // The probe timer is the RTO (srtt + 200 ms, in jiffies): it fires up to two jiffies
    // late on the wheel, and the segment takes the 1 ms link.
    const rto = e.api.tcpInfo(e.s).rto * 1000;
    expect(rto).toBeGreaterThan(200 * MS);
    expect(e.net.sim.now - t0).toBeGreaterThan(rto);
    expect(e.net.sim.now - t0).toBeLessThanOrEqual(rto + 9 * MS);
  });

  test('our data is retransmitted after the RTO (1 s initially), then at doubling intervals', () => {
    const e = established();
    const times: number[] = [];
    e.net.events.on('tcp:retransmit', (x) => times.push(x.time));
    const t0 = e.net.sim.now;
    e.api.send(e.s, Uint8Array.of(7));
    e.net.sim.runFor(8 * 1000 * MS);
    expect(times.length).toBeGreaterThanOrEqual(2);
    const gaps = [times[0]! - t0, times[1]! - times[0]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(200 * MS);
    expect(gaps[1]).toBeGreaterThanOrEqual(gaps[0]! * 2 - 1);
  });
});

describe('the accept queue and syncookies (tcp_conn_request, tcp_check_req)', () => {
  /** A listener with backlog 1 and three peers (ports 40001-40003) whose SYNs all come before
   * any final ACK, as over a link with delay: the third finds two requests, more than the
   * backlog, and is answered with a syncookie. */
  function threeSyns(setup?: (w: ReturnType<typeof world>) => void) {
    const w = world();
    setup?.(w);
    const a = w.net.hosts.get('a')!;
    const l = w.api.socket(AF_INET, SOCK_STREAM);
    w.api.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
    w.api.listen(l, 1);
    const seg = (port: number, seq: number, ack: number, flags: number, options = {}): TcpSegment[] => {
      w.got.length = 0;
      a.ipOutput({ family: 4, src: A, dst: B, protocol: 6, payload: buildTcp(A.bytes, B.bytes, { srcPort: port, dstPort: 80, seq, ack, flags, window: 65535, options }, new Uint8Array()) });
      w.net.sim.runFor(10 * MS);
      return [...w.got];
    };
    const synacks = [40001, 40002, 40003].map((port) => seg(port, ISN, 0, TCP_SYN, { mss: 1400, sackPermitted: true, ts: [100, 0], wscale: 7 })[0]);
    return { ...w, l, seg, synacks };
  }

  test('every SYN is answered, the third with a cookie; a cookie keeps the options when timestamps carry them', () => {
    const w = threeSyns();
    expect(w.synacks.map(flags)).toEqual(['SYN|ACK', 'SYN|ACK', 'SYN|ACK']);
    expect(w.synacks.map((s) => [s!.options.sackPermitted, s!.options.wscale])).toEqual([[true, 10], [true, 10], [true, 10]]);
  });

  test('with timestamps off, the cookie SYN-ACK offers neither window scale nor SACK', () => {
    const w = world();
    const l = w.api.socket(AF_INET, SOCK_STREAM);
    w.api.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
    w.api.listen(l, 0);
    const a = w.net.hosts.get('a')!;
    const out: TcpSegment[][] = [];
    for (const port of [40001, 40002]) {
      w.got.length = 0;
      a.ipOutput({ family: 4, src: A, dst: B, protocol: 6, payload: buildTcp(A.bytes, B.bytes, { srcPort: port, dstPort: 80, seq: ISN, ack: 0, flags: TCP_SYN, window: 65535, options: { mss: 1400, sackPermitted: true, wscale: 7 } }, new Uint8Array()) });
      w.net.sim.runFor(10 * MS);
      out.push([...w.got]);
    }
    // backlog 0: the first SYN finds no request (0 > 0 is false), the second finds one.
    expect(out.map(([s]) => [flags(s), s?.options.sackPermitted ?? false, s?.options.wscale ?? null])).toEqual([
      ['SYN|ACK', true, 10],
      ['SYN|ACK', false, null],
    ]);
  });

  test('a final ACK that finds the accept queue full is dropped: no reset, and the request sends its SYN-ACK again at 1 s', () => {
    const w = threeSyns();
    // 40002's and 40003's requests: two children fill the backlog-1 queue (it holds two).
    expect(w.seg(40001, ISN + 1, w.synacks[0]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[0]!.options.ts![0]] })).toEqual([]);
    expect(w.seg(40003, ISN + 1, w.synacks[2]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[2]!.options.ts![0]] })).toEqual([]);
    expect(w.seg(40002, ISN + 1, w.synacks[1]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[1]!.options.ts![0]] })).toEqual([]);
    w.got.length = 0;
    w.net.sim.runFor(1200 * MS);
    // Only 40002's request is left to retransmit: 40003's cookie child got in.
    expect(w.got.map((s) => [flags(s), s.dstPort])).toEqual([['SYN|ACK', 40002]]);
    // accept() makes room; 40002's answer to that SYN-ACK now makes its child.
    w.api.accept(w.l);
    w.seg(40002, ISN + 1, w.synacks[1]!.seq + 1, TCP_ACK, { ts: [102, w.got[0]!.options.ts![0]] });
    expect([w.api.accept(w.l), w.api.accept(w.l)].map((fd) => w.api.socketOf(fd).peer?.port).sort()).toEqual([40002, 40003]);
  });

  test("a syncookie's final ACK that finds the queue full leaves nothing: no reset, no SYN-ACK again, its data later unanswered but by a reset", () => {
    const w = threeSyns();
    w.seg(40001, ISN + 1, w.synacks[0]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[0]!.options.ts![0]] });
    w.seg(40002, ISN + 1, w.synacks[1]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[1]!.options.ts![0]] });
    expect(w.seg(40003, ISN + 1, w.synacks[2]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[2]!.options.ts![0]] })).toEqual([]);
    w.got.length = 0;
    w.net.sim.runFor(4000 * MS);
    expect(w.got).toEqual([]);
    // The peer thinks it is connected; its next segment reaches only the listener: reset.
    const [r] = w.seg(40003, ISN + 1, w.synacks[2]!.seq + 1, TCP_ACK | TCP_PSH, { ts: [200, 0] });
    expect(flags(r)).toBe('RST');
  });

  test('tcp_abort_on_overflow=1 resets the connection whose final ACK finds the queue full', () => {
    const w = threeSyns((w) => {
      w.net.hosts.get('b')!.tcpSysctl.tcpAbortOnOverflow = 1;
    });
    w.seg(40001, ISN + 1, w.synacks[0]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[0]!.options.ts![0]] });
    w.seg(40002, ISN + 1, w.synacks[1]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[1]!.options.ts![0]] });
    expect(w.seg(40003, ISN + 1, w.synacks[2]!.seq + 1, TCP_ACK, { ts: [101, w.synacks[2]!.options.ts![0]] }).map(flags)).toEqual(['RST']);
  });

  test('tcp_syncookies=0: the SYN that would need a cookie is dropped, and one to a full accept queue too', () => {
    const w = threeSyns((w) => {
      w.net.hosts.get('b')!.tcpSysctl.tcpSyncookies = 0;
    });
    expect(w.synacks.map(flags)).toEqual(['SYN|ACK', 'SYN|ACK', 'none']);
  });
});

describe('PAWS (RFC 7323 5, tcp_paws_discard)', () => {
  /** A connection whose handshake carried timestamps (the raw peer's clock starts at 5000). */
  function withTs() {
    const w = world();
    const l = w.api.socket(AF_INET, SOCK_STREAM);
    w.api.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
    w.api.listen(l);
    const [synack] = w.send(ISN, 0, TCP_SYN, undefined, 80, 65535, { mss: 1460, ts: [5000, 0] });
    expect(synack!.options.ts?.[1]).toBe(5000);
    const ecr = synack!.options.ts![0];
    w.send(ISN + 1, synack!.seq + 1, TCP_ACK, undefined, 80, 65535, { ts: [5001, ecr] });
    const s = w.api.accept(l);
    return { ...w, s, una: synack!.seq + 1, ecr };
  }
  const text = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(new TextEncoder().encode(s));

  test('an old duplicate (TSval behind ts_recent) is dropped with a duplicate ACK; its data never arrives', () => {
    const w = withTs();
    w.send(ISN + 1, w.una, TCP_ACK | TCP_PSH, text('abc'), 80, 65535, { ts: [5010, w.ecr] });
    const [dup] = w.send(ISN + 4, w.una, TCP_ACK | TCP_PSH, text('def'), 80, 65535, { ts: [4000, w.ecr] });
    expect(flags(dup)).toBe('ACK');
    expect(dup!.ack).toBe(ISN + 4); // still waiting for byte 4: "def" was not taken
    expect(dup!.options.ts?.[1]).toBe(5010); // the echo stays the newest in-order TSval
    expect(new TextDecoder().decode(w.api.recvfrom(w.s, 100).data)).toBe('abc');
    // One millisecond behind is within TCP_PAWS_WINDOW: taken.
    w.send(ISN + 4, w.una, TCP_ACK | TCP_PSH, text('ghi'), 80, 65535, { ts: [5009, w.ecr] });
    expect(new TextDecoder().decode(w.api.recvfrom(w.s, 100).data)).toBe('ghi');
  });

  test('a RST is taken whatever its TSval', () => {
    const w = withTs();
    w.send(ISN + 1, w.una, TCP_ACK | TCP_PSH, text('abc'), 80, 65535, { ts: [5010, w.ecr] });
    w.send(ISN + 4, 0, TCP_RST, undefined, 80, 0, { ts: [10, 0] });
    expect(w.api.socketOf(w.s).state).toBe(TCP_STATE.TCP_CLOSE);
  });

  test('without timestamps in the handshake there is no PAWS: any TSval goes', () => {
    const e = established();
    e.send(ISN + 1, e.iss + 1, TCP_ACK | TCP_PSH, text('abc'), 80, 65535, { ts: [5010, 0] });
    e.send(ISN + 4, e.iss + 1, TCP_ACK | TCP_PSH, text('def'), 80, 65535, { ts: [1, 0] });
    expect(new TextDecoder().decode(e.api.recvfrom(e.s, 100).data)).toBe('abcdef');
  });
});
