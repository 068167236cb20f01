// The SK_MSG send path on sockets in a sockmap: verdicts, redirect (egress and ingress),
// apply_bytes across sendmsg calls, cork_bytes, pull/push/pop data, and the 4.17 sendpage
// view. The TCP layer is stood in for by a Transport that records what would go out.
import { SysError } from '@bpfsim/isa';
import { BpfClient } from '@bpfsim/kernel';
import type { Sock } from '@bpfsim/net';
import { Network } from '@bpfsim/net';
import type { MsgVerdictEvent, Transport } from '../src';
import { corkedBytes, installSockmap, onMsgVerdict, skMsgSendmsg, takeIngress } from '../src';
import { makeSock } from './sockmap-replay';

/** A proxy with sockets a (key 0) and b (key 1) in sockmap m, and `program` as verdict. */
function world(program: string) {
  const net = new Network({ seed: 2 });
  const host = net.addHost('h');
  const k = host.kernel;
  installSockmap(k);
  const p = k.spawn({ comm: 'proxy' });
  const c = new BpfClient(k, p);
  const m = c.createMap({ type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 4 });
  const stats = c.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
  const prog = c.loadProgram({
    type: 'sk_msg',
    maps: { m, stats },
    insns: `
      .map m type=sockmap key_size=4 value_size=8 max_entries=4
      .map stats type=array key_size=4 value_size=8 max_entries=4
      r6 = r1
      ${program}`,
  });
  prog.attachToMap(m, 'sk_msg_verdict');
  const a = makeSock(host, p, 'tcp-est');
  const b = makeSock(host, p, 'tcp-est');
  m.update(0, BigInt(a.fd));
  m.update(1, BigInt(b.fd));
  const pushed: { to: 'a' | 'b'; bytes: number[] }[] = [];
  const t: Transport = {
    push(sk, data) {
      pushed.push({ to: sk === a.sk ? 'a' : 'b', bytes: [...data] });
      return 0;
    },
  };
  const verdicts: MsgVerdictEvent[] = [];
  onMsgVerdict(k, (e) => verdicts.push(e));
  const send = (data: number[], options = {}): number => skMsgSendmsg(k, a.sk, Uint8Array.from(data), t, options);
  const stat = (i: number): bigint => new DataView(stats.lookup(i)!.buffer).getBigInt64(0, true);
  return { k, m, a: a.sk, b: b.sk, bFd: b.fd, p, pushed, send, stat, verdicts };
}

const bytes = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** stats[i] += 1 (clobbers r0-r5). */
const count = (i: number): string => `
      r1 = ${i}
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = stats ll
      call bpf_map_lookup_elem
      if r0 == 0 goto +2
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1`;

/** stats[i] = r7 (clobbers r0-r5). */
const store = (i: number): string => `
      r1 = ${i}
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = stats ll
      call bpf_map_lookup_elem
      if r0 == 0 goto +1
      *(u64 *)(r0 + 0) = r7`;

const errno = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
  return undefined;
};

describe('verdicts', () => {
  test('SK_PASS sends the bytes on the socket; the program runs once per sendmsg', () => {
    const w = world(`${count(0)}\nr0 = 1\nexit`);
    expect(w.send(bytes(100))).toBe(100);
    expect(w.send(bytes(10, 100))).toBe(10);
    expect(w.pushed).toEqual([
      { to: 'a', bytes: bytes(100) },
      { to: 'a', bytes: bytes(10, 100) },
    ]);
    expect(w.stat(0)).toBe(2n);
    expect(w.verdicts.map((v) => [v.verdict, v.size])).toEqual([
      ['pass', 100],
      ['pass', 10],
    ]);
  });

  test('SK_DROP (or any value but SK_PASS) fails sendmsg with EACCES and sends nothing', () => {
    for (const ret of [0, 2, -1]) {
      const w = world(`r0 = ${ret}\nexit`);
      expect(errno(() => w.send(bytes(50)))).toBe('EACCES');
      expect(w.pushed).toEqual([]);
    }
  });

  test('a program reads the message through data/data_end and decides on its content', () => {
    // Drop messages whose first byte is 'X' (0x58).
    const w = world(`
      r2 = *(u64 *)(r6 + 0)
      r3 = *(u64 *)(r6 + 8)
      r4 = r2
      r4 += 1
      r0 = 1
      if r4 > r3 goto out
      r5 = *(u8 *)(r2 + 0)
      if r5 != 0x58 goto out
      r0 = 0
    out:
      exit`);
    expect(w.send([0x41, 1, 2])).toBe(3);
    expect(errno(() => w.send([0x58, 1, 2]))).toBe('EACCES');
    expect(w.pushed.map((x) => x.bytes[0])).toEqual([0x41]);
  });

  test('size is the whole message; data..data_end is its first (32 KiB) element', () => {
    const w = world(`
      r7 = *(u32 *)(r6 + 68)
      ${store(0)}
      r2 = *(u64 *)(r6 + 0)
      r7 = *(u64 *)(r6 + 8)
      r7 -= r2
      ${store(1)}
      r0 = 1
      exit`);
    w.send(bytes(40000));
    expect(w.stat(0)).toBe(40000n);
    expect(w.stat(1)).toBe(32768n);
  });
});

describe('redirect', () => {
  test('msg_redirect_map to egress: the bytes leave on the target socket', () => {
    const w = world(`
      r1 = r6
      r2 = m ll
      r3 = 1
      r4 = 0
      call bpf_msg_redirect_map
      exit`);
    expect(w.send(bytes(20))).toBe(20);
    expect(w.pushed).toEqual([{ to: 'b', bytes: bytes(20) }]);
    expect(w.verdicts[0]!.redirect).toEqual({ socket: w.b.describe(), ingress: false });
  });

  test("BPF_F_INGRESS: the bytes wait in the target socket's receive queue", () => {
    const w = world(`
      r1 = r6
      r2 = m ll
      r3 = 1
      r4 = 1
      call bpf_msg_redirect_map
      exit`);
    expect(w.send(bytes(30))).toBe(30);
    expect(w.pushed).toEqual([]);
    expect([...takeIngress(w.b, 10)!]).toEqual(bytes(10));
    expect([...takeIngress(w.b, 100)!]).toEqual(bytes(20, 10));
    expect(takeIngress(w.b, 100)).toBeUndefined();
  });

  test('an empty key or bad flags make the helper return SK_DROP; ignoring it sends on the socket', () => {
    const drop = world(`
      r1 = r6
      r2 = m ll
      r3 = 3
      r4 = 0
      call bpf_msg_redirect_map
      exit`);
    expect(errno(() => drop.send(bytes(5)))).toBe('EACCES');
    const ignore = world(`
      r1 = r6
      r2 = m ll
      r3 = 1
      r4 = 2
      call bpf_msg_redirect_map
      r7 = r0
      ${store(0)}
      r0 = 1
      exit`);
    expect(ignore.send(bytes(5))).toBe(5);
    expect(ignore.stat(0)).toBe(0n);
    expect(ignore.pushed).toEqual([{ to: 'a', bytes: bytes(5) }]);
  });

  test('a redirect in force whose target left the sockmap fails with EPIPE', () => {
    const w = world(`
      r1 = r6
      r2 = 1000
      call bpf_msg_apply_bytes
      r1 = r6
      r2 = m ll
      r3 = 1
      r4 = 0
      call bpf_msg_redirect_map
      exit`);
    expect(w.send(bytes(10))).toBe(10);
    expect(w.pushed).toEqual([{ to: 'b', bytes: bytes(10) }]);
    // The verdict covers 990 more bytes; b closes and leaves the map (and its psock goes).
    w.p.fds.close(w.bFd);
    expect(errno(() => w.send(bytes(10)))).toBe('EPIPE');
    expect(w.pushed).toHaveLength(1);
  });
});

describe('apply_bytes and cork_bytes', () => {
  test('apply_bytes: one verdict covers the next n bytes, across sendmsg calls', () => {
    const w = world(`
      ${count(0)}
      r1 = r6
      r2 = 150
      call bpf_msg_apply_bytes
      r0 = 1
      exit`);
    w.send(bytes(100));
    w.send(bytes(100, 100));
    // First call: one run, 100 sent, 50 left in the verdict. Second: 50 go without a run,
    // then the program runs again on the remaining 50.
    expect(w.pushed.map((x) => x.bytes.length)).toEqual([100, 50, 50]);
    expect(w.pushed.flatMap((x) => x.bytes)).toEqual(bytes(200));
    expect(w.stat(0)).toBe(2n);
  });

  test('a drop under apply_bytes reports what it did not cover as sent (Linux counts so)', () => {
    const w = world(`
      r1 = r6
      r2 = 10
      call bpf_msg_apply_bytes
      r0 = 0
      exit`);
    expect(w.send(bytes(100))).toBe(90);
    expect(w.pushed).toEqual([]);
  });

  test('cork_bytes: bytes gather until there are enough, then the program sees them all', () => {
    const w = world(`
      ${count(0)}
      r7 = *(u32 *)(r6 + 68)
      ${store(1)}
      r1 = r6
      r2 = 64
      call bpf_msg_cork_bytes
      r0 = 1
      exit`);
    expect(w.send(bytes(10))).toBe(10);
    expect(w.pushed).toEqual([]);
    expect(corkedBytes(w.a)).toBe(10);
    expect(w.send(bytes(20, 10))).toBe(20);
    expect(w.pushed).toEqual([]);
    expect(w.send(bytes(40, 30))).toBe(40);
    expect(w.pushed).toEqual([{ to: 'a', bytes: bytes(70) }]);
    expect(w.stat(1)).toBe(70n);
    expect(w.stat(0)).toBe(2n);
    expect(corkedBytes(w.a)).toBe(0);
  });

  test('corked bytes are thrown away when the socket leaves the map', () => {
    const w = world(`
      r1 = r6
      r2 = 1000
      call bpf_msg_cork_bytes
      r0 = 1
      exit`);
    w.send(bytes(10));
    expect(corkedBytes(w.a)).toBe(10);
    w.m.delete(0);
    expect(corkedBytes(w.a)).toBe(0);
  });
});

describe('pull, push and pop', () => {
  test('pull_data(2, 6) points data at bytes 2..6, and writes there change the message', () => {
    const w = world(`
      r1 = r6
      r2 = 2
      r3 = 6
      r4 = 0
      call bpf_msg_pull_data
      r7 = r0
      ${store(0)}
      r2 = *(u64 *)(r6 + 0)
      r3 = *(u64 *)(r6 + 8)
      r4 = r2
      r4 += 4
      if r4 > r3 goto out
      r5 = *(u8 *)(r2 + 0)
      r7 = r5
      ${store(1)}
      r2 = *(u64 *)(r6 + 0)
      r3 = *(u64 *)(r6 + 8)
      r4 = r2
      r4 += 1
      if r4 > r3 goto out
      r5 = 0x5a
      *(u8 *)(r2 + 0) = r5
    out:
      r0 = 1
      exit`);
    w.send(bytes(10));
    expect(w.stat(0)).toBe(0n);
    expect(w.stat(1)).toBe(2n);
    expect(w.pushed[0]!.bytes).toEqual([0, 1, 0x5a, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('pull_data refuses flags, empty and out-of-range spans with -EINVAL', () => {
    for (const [start, end, flags] of [
      [0, 0, 0],
      [5, 3, 0],
      [0, 4, 1],
      [10, 12, 0],
      [2, 11, 0],
    ]) {
      const w = world(`
        r1 = r6
        r2 = ${start}
        r3 = ${end}
        r4 = ${flags}
        call bpf_msg_pull_data
        r7 = r0
        ${store(0)}
        r0 = 1
        exit`);
      w.send(bytes(10));
      expect([start, end, flags, w.stat(0)]).toEqual([start, end, flags, -22n]);
    }
  });

  test('pull_data across elements linearizes them into one', () => {
    const w = world(`
      r1 = r6
      r2 = 32760
      r3 = 32770
      r4 = 0
      call bpf_msg_pull_data
      r2 = *(u64 *)(r6 + 0)
      r7 = *(u64 *)(r6 + 8)
      r7 -= r2
      ${store(0)}
      r0 = 1
      exit`);
    w.send(bytes(40000));
    expect(w.stat(0)).toBe(10n);
    expect(w.pushed.flatMap((x) => x.bytes)).toEqual(bytes(40000));
  });

  test('pop_data removes bytes and push_data inserts them', () => {
    const pop = world(`
      r1 = r6
      r2 = 1
      r3 = 3
      r4 = 0
      call bpf_msg_pop_data
      r0 = 1
      exit`);
    expect(pop.send(bytes(6))).toBe(6);
    expect(pop.pushed[0]!.bytes).toEqual([0, 4, 5]);
    const push = world(`
      r1 = r6
      r2 = 2
      r3 = 2
      r4 = 0
      call bpf_msg_push_data
      r0 = 1
      exit`);
    push.send(bytes(4));
    expect(push.pushed[0]!.bytes).toEqual([0, 1, 0, 0, 2, 3]);
  });
});

test('sendpage on 4.17 (shared file pages): data == data_end == NULL until pull_data', () => {
  const w = world(`
    r2 = *(u64 *)(r6 + 0)
    r7 = *(u64 *)(r6 + 8)
    r7 -= r2
    ${store(0)}
    r1 = r6
    r2 = 0
    r3 = 4
    r4 = 0
    call bpf_msg_pull_data
    r2 = *(u64 *)(r6 + 0)
    r7 = *(u64 *)(r6 + 8)
    r7 -= r2
    ${store(1)}
    r0 = 1
    exit`);
  w.send(bytes(100), { sharedPages: true });
  expect(w.stat(0)).toBe(0n);
  expect(w.stat(1)).toBe(4n);
  expect(w.pushed[0]!.bytes).toEqual(bytes(100));
});

test('a socket without a psock takes the plain path', () => {
  const w = world('r0 = 0\nexit');
  const c = makeSock(w.a.host, w.p, 'tcp-est');
  const out: number[][] = [];
  expect(skMsgSendmsg(w.k, c.sk, Uint8Array.of(1, 2), { push: (_sk: Sock, b) => (out.push([...b]), 0) })).toBe(2);
  expect(out).toEqual([[1, 2]]);
});
