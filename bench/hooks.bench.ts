// bench/hooks: what a cgroup hook costs on top of the program it runs, taken in one run.
// For sock_create and post_bind (CGROUP_SOCK) on a socket whose cgroup has programs:
//   - no program attached anywhere (the cgroup_bpf_enabled check only),
//   - one program: the whole hook (ctx fill, runner, verdict, write-back),
//   - the same program run alone on a ready ctx (the floor),
// and the SK_MSG send path: a 100-byte sendmsg through a SK_PASS verdict against the plain
// push it ends in; then what a sock_addr hook adds to whole connect/bind/sendto calls, per
// engine and on the real kernel (lib/hook-cost.ts). `npm run bench:hooks` (`-- --quick`).
import { Bench } from 'tinybench';
import { BpfClient } from '@bpfsim/kernel';
import type { PollState, SockAddr } from '@bpfsim/net';
import { Network, SOCK_STREAM, Sock, TCP_STATE, installCgroupHooks, parseAddr } from '@bpfsim/net';
import { installSockmap, skMsgSendmsg } from '@bpfsim/sockmap';
import { ExecContext, runCtx } from '@bpfsim/vm';
import type { Table } from './lib/report';
import { print, save } from './lib/report';
import { hookCostSection } from './lib/hook-cost';

const quick = process.argv.includes('--quick');

/** A socket with no protocol behind it: the hooks look at its fields only. */
class BenchSock extends Sock {
  poll(): PollState {
    return { readable: false, writable: true, error: false, hup: false };
  }
  bind(_a: SockAddr): void {}
  connect(_a: SockAddr): void {}
  listen(): void {}
  accept(): undefined {
    return undefined;
  }
  sendmsg(d: Uint8Array): number {
    return d.length;
  }
  recvmsg(): undefined {
    return undefined;
  }
  shutdown(): void {}
  close(): void {}
}

async function ns(fn: () => void, batch = 1000): Promise<number> {
  const b = new Bench({ time: quick ? 150 : 800, warmupTime: quick ? 50 : 200 });
  b.add('x', () => {
    for (let i = 0; i < batch; i++) fn();
  });
  await b.run();
  return ((b.tasks[0]!.result as { latency: { p50: number } }).latency.p50 * 1e6) / batch;
}

async function main(): Promise<void> {
  const net = new Network({ seed: 1 });
  const host = net.addHost('h');
  const hooks = installCgroupHooks(host);
  const k = host.kernel;
  k.cgroups.create('/app');
  const admin = k.spawn({ comm: 'admin' });
  const app = k.spawn({ comm: 'app', cgroup: k.cgroups.lookup('/app') });
  const c = new BpfClient(k, admin);
  const sk = new BenchSock(host, 4, SOCK_STREAM, 6, app, parseAddr('10.0.0.1'));
  sk.localPort = 8080;
  sk.state = TCP_STATE.TCP_CLOSE;

  const createProg = `
    r2 = *(u32 *)(r1 + 12)
    r0 = 1
    if r2 != 6 goto out
    r2 = 7
    *(u32 *)(r1 + 16) = r2
  out:
    exit`;
  const bindProg = `
    r2 = *(u32 *)(r1 + 44)
    r0 = 1
    if r2 != 22 goto out
    r0 = 0
  out:
    exit`;

  const rows: (string | number)[][] = [];
  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  for (const [name, attach, src, call] of [
    ['sock_create', 'cgroup_inet_sock_create', createProg, () => hooks.sockCreate(sk)],
    ['post_bind (IPv4)', 'cgroup_inet4_post_bind', bindProg, () => hooks.postBind(sk)],
  ] as const) {
    const none = await ns(call);
    const p = c.loadProgram({ type: 'cgroup_sock', attachType: attach, insns: src });
    p.attach('/app', attach);
    const hook = await ns(call);
    // The floor: the same program on a ready ctx, in a reused execution context.
    const ctx = k.memory.alloc(80, { kind: 'ctx', name: 'bpf_sock' });
    ctx.view.setUint32(12, 6, true);
    const C = new ExecContext(k.memory, { helpers: k.helpers.funcs });
    const prog = p.prog;
    const alone = await ns(() => {
      C.reset();
      runCtx(prog.vm, k.engine, C, ctx);
    });
    p.detach('/app', attach);
    rows.push([name, fmt(none), fmt(hook), fmt(alone), fmt(hook - alone), `${(hook / alone).toFixed(1)}x`]);
  }

  // SK_MSG: a SK_PASS verdict on a 100-byte send, against the plain push.
  installSockmap(k);
  const m = c.createMap({ type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 2 });
  c.loadProgram({ type: 'sk_msg', insns: 'r0 = 1\nexit' }).attachToMap(m, 'sk_msg_verdict');
  const s1 = new BenchSock(host, 4, SOCK_STREAM, 6, admin, parseAddr('10.0.0.1'));
  s1.state = TCP_STATE.TCP_ESTABLISHED;
  m.update(0, BigInt(admin.fds.install(s1.get())));
  const data = new Uint8Array(100);
  let sent = 0;
  const t = {
    push: (_s: Sock, b: Uint8Array): number => {
      sent += b.length;
      return 0;
    },
  };
  const plain = await ns(() => t.push(s1, data.slice()));
  const verdict = await ns(() => skMsgSendmsg(k, s1, data, t));
  if (sent === 0) throw new Error('nothing was sent');
  rows.push(['sk_msg sendmsg 100 B (SK_PASS)', '-', fmt(verdict), fmt(plain), fmt(verdict - plain), `${(verdict / plain).toFixed(1)}x`]);

  const table: Table = {
    title: 'cgroup hooks and SK_MSG: ns per call (median)',
    columns: ['hook', 'no program', 'with the program', 'program alone', 'dispatch cost', 'hook / program'],
    rows,
    notes: [
      '"program alone" runs the JIT-compiled program on a ready ctx; "dispatch cost" is everything else the hook does (enabled check, effective array, ctx fill from the socket, runner, events, write-back).',
      'For SK_MSG, "program alone" is the plain push the send path ends in (a copy of the bytes).',
    ],
  };
  print(table);
  const cost = await hookCostSection(quick);
  print(cost.table);
  save('hooks', [table, cost.table], { quick, hookCost: cost.summary });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
