// The example objects (scenarios/progs/*.bpf.o) run, not only load: each is loaded into a
// world with w.object(), attached by its sections, and made to do its job on simulated
// sockets. The trace object's CO-RE reads (pt_regs->di/si/orig_ax, sock->__sk_common) are
// checked at run time here: the loader patched their offsets, the program reads the
// simulated kernel's objects through them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { World } from '../src';
import { runScenario, scenario } from '../src';

const progs = path.resolve(__dirname, '../../../scenarios/progs');
const read = (name: string): Uint8Array => fs.readFileSync(path.join(progs, `${name}.bpf.o`));
const le = (b: Uint8Array, off = 0, size = 8): bigint => {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
};
const ip4be = (s: string): number => new DataView(new Uint8Array(s.split('.').map(Number)).buffer).getUint32(0, true);

async function run(name: string, body: (w: World) => Promise<void>): Promise<void> {
  const r = await runScenario(scenario({ name, lesson: name, run: body }));
  if (!r.ok) throw new Error(`${r.failure?.code}: ${r.failure?.message}`);
  expect(r.expectations.failed).toBe(0);
  expect(r.expectations.passed).toBeGreaterThan(0);
}

test('single_ip: with cgroup_ip set before load, wildcard binds and connects use that address', async () => {
  await run('single-ip-object', async (w) => {
    const web = w.host('web');
    const db = w.host('db');
    w.link(web, db, { a: ['10.0.0.1/24', '10.0.0.3/24'], b: ['10.0.0.100/24'] });
    web.cgroup('/t');
    const obj = w.object(web, read('single_ip'), { file: 'single_ip.bpf.o', globals: { cgroup_ip: ip4be('10.0.0.3') } });
    obj.program('force_bind4').attach('/t');
    obj.program('force_connect4').attach('/t');
    void w.process(db, { comm: 'srv' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '0.0.0.0:5432');
      p.listen(l);
      await p.accept(l);
    });
    await w.sleep(1);
    await w.process(web, { comm: 'app', cgroup: '/t', uid: 0 }, async (p) => {
      const s = p.socket(4, 'tcp');
      p.bind(s, '0.0.0.0:7000');
      w.expect(p.getsockname(s), 'bind4 turned 0.0.0.0 into the cgroup address').toBe('10.0.0.3:7000');
      await w.expectErrno(() => p.bind(p.socket(4, 'tcp'), '10.0.0.1:7001'), 'EPERM', 'another address of the host is refused');
      const c = p.socket(4, 'tcp');
      await p.connect(c, '10.0.0.100:5432');
      w.expect(p.getsockname(c).split(':')[0], 'connect4 bound the socket to the cgroup address with bpf_bind').toBe('10.0.0.3');
    });
  });
});

test('dns_redirect: UDP queries to the upstream go to the local resolver, and replies look like the upstream\'s', async () => {
  await run('dns-object', async (w) => {
    const h = w.host('h');
    const up = w.host('up');
    w.link(h, up, { a: ['10.0.0.1/24'], b: ['10.0.0.53/24'] });
    h.cgroup('/app');
    const obj = w.object(h, read('dns_redirect'), { file: 'dns_redirect.bpf.o' });
    obj.program('dns_sendmsg4').attach('/app');
    obj.program('dns_recvmsg4').attach('/app');
    void w.process(h, { comm: 'resolver' }, async (p) => {
      const s = p.socket(4, 'udp');
      p.bind(s, '127.0.0.53:53');
      const q = await p.recvfrom(s);
      p.sendto(s, `answer to ${q.text}`, q.from);
    });
    await w.sleep(1);
    await w.process(h, { comm: 'app', cgroup: '/app' }, async (p) => {
      const s = p.socket(4, 'udp');
      p.sendto(s, 'example.com', '10.0.0.53:53');
      const a = await p.recvfrom(s);
      w.expect(a.text, 'the local resolver answered').toBe('answer to example.com');
      w.expect(a.from, 'recvmsg4 shows the upstream as the sender').toBe('10.0.0.53:53');
    });
    w.expect(le(obj.global('redirected')), 'the .bss counter counted the redirect').toBe(1n);
  });
});

test('v6: connect6 refuses the documentation prefix 2001:db8::/32; other addresses pass', async () => {
  await run('v6-object', async (w) => {
    const h = w.host('h');
    const o = w.host('o');
    w.link(h, o, { a: ['2001:db8::1/64', 'fd00::1/64'], b: ['2001:db8::2/64', 'fd00::2/64'] });
    h.cgroup('/app');
    const obj = w.object(h, read('v6'), { file: 'v6.bpf.o' });
    obj.program('block_doc_connect6').attach('/app');
    void w.process(o, { comm: 'srv' }, async (p) => {
      const l = p.socket(6, 'tcp');
      p.bind(l, '[::]:80');
      p.listen(l);
      for (;;) await p.accept(l);
    });
    await w.sleep(1);
    await w.process(h, { comm: 'app', cgroup: '/app' }, async (p) => {
      await w.expectErrno(() => p.connect(p.socket(6, 'tcp'), '[2001:db8::2]:80'), 'EPERM', '2001:db8::/32 is refused');
      const s = p.socket(6, 'tcp');
      await p.connect(s, '[fd00::2]:80');
      w.expect(p.getpeername(s), 'fd00::2 connects').toBe('[fd00::2]:80');
    });
  });
});

test('trace: CO-RE reads of pt_regs and struct sock give the syscall, its fd, and the socket\'s port and family', async () => {
  await run('trace-object', async (w) => {
    const h = w.host('h');
    const obj = w.object(h, read('trace'), { file: 'trace.bpf.o' });
    obj.program('trace_sys_enter').attachRawTracepoint(); // raw_tracepoint/sys_enter
    obj.program('trace_tcp_state').attachRawTracepoint(); // raw_tp/inet_sock_set_state
    let fd = -1;
    void w.process(h, { comm: 'srv' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '127.0.0.1:8080');
      p.listen(l);
      await p.accept(l);
    });
    await w.sleep(1);
    await w.process(h, { comm: 'cli' }, async (p) => {
      fd = p.socket(4, 'tcp');
      await p.connect(fd, '127.0.0.1:8080');
    });
    // calls: struct call_key { u64 nr; s64 stack_id; u64 first_arg; } -> u64 count
    const calls = [...obj.map('calls').handle.entries()].map(([k, v]) => ({ nr: le(k, 0), fd: le(k, 16), count: le(v) }));
    w.expect(calls.some((c) => c.nr === 42n && c.fd === BigInt(fd)), 'connect(2) (nr 42, from orig_ax) with its fd (from di) was counted').toBe(true);
    w.expect(calls.some((c) => c.nr === 49n), 'bind(2) (nr 49) was counted').toBe(true);
    // transitions: key (oldstate << 8 | newstate) -> { u64 count; u32 last_port; u32 last_family; }
    const TCP_SYN_SENT = 2;
    const TCP_ESTABLISHED = 1;
    const synToEst = obj.map('transitions').handle.lookup(new Uint8Array([TCP_ESTABLISHED, TCP_SYN_SENT, 0, 0]));
    w.expect(synToEst !== undefined, 'SYN_SENT -> ESTABLISHED was seen').toBe(true);
    w.expect(Number(le(synToEst!, 12, 4)), 'skc_family read through CO-RE is AF_INET').toBe(2);
    w.expect(Number(le(synToEst!, 8, 4)) > 1024, 'skc_num read through CO-RE is the client\'s ephemeral port').toBe(true);
  });
});

test('printk: bpf_printk from sock_create writes a trace_pipe line per socket', async () => {
  await run('printk-object', async (w) => {
    const h = w.host('h');
    h.cgroup('/app');
    const obj = w.object(h, read('printk'), { file: 'printk.bpf.o' });
    obj.program('log_sockets').attach('/app');
    await w.process(h, { comm: 'app', cgroup: '/app' }, async (p) => {
      p.socket(4, 'tcp');
      p.socket(6, 'udp');
    });
    const lines = h.host.kernel.trace.map((t) => t.text.trim());
    w.expect(lines, 'one line per socket, with family, type and protocol').toEqual(['socket family=2 type=1 protocol=6', 'socket family=10 type=2 protocol=17']);
  });
});
