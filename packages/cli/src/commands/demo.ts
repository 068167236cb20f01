// `bpfsim demo`: the showcase scenario `npm start` runs. Two simulated hosts; the web
// server's cgroup has a sock_create program that marks its sockets and a post_bind program
// enforcing a port policy (nothing below 8000); the server tries :80 (refused with EPERM,
// the port free again), binds :8080, and a client on the other host connects and is
// answered. Prints the timeline of hook runs, TCP states and packets, in virtual time;
// the same seed prints the same bytes.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SysError } from '@bpfsim/isa';
import { BpfClient } from '@bpfsim/kernel';
import type { Network as NetworkT, SocketStateEvent } from '@bpfsim/net';
import { AF_INET, MS, Network, SOCK_STREAM, SocketApi, addrFromBytes, installCgroupHooks, parseEth, parseIpv4, parseTcp } from '@bpfsim/net';
import type { Io } from '../io';
import { UsageError } from '../io';

interface DemoFlags {
  seed?: string;
  pcap?: string;
  json?: boolean;
}

const POST_BIND_POLICY = `
  // Ports below 8000 are not for this cgroup: refuse the bind.
  r2 = *(u32 *)(r1 + 44)       // src_port (host order)
  r0 = 1
  if r2 >= 8000 goto out
  r0 = 0
out:
  exit`;

const SOCK_CREATE_MARK = `
  r2 = 0x42
  *(u32 *)(r1 + 16) = r2       // mark
  r0 = 1
  exit`;

/** Runs the simulation until `p` settles (the awaitable socket calls resolve on its clock). */
async function until<T>(net: NetworkT, p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 1_000_000 && !done; i++) {
    net.sim.step();
    await Promise.resolve();
  }
  return p;
}

const us = (ns: number | bigint): string => `${(Number(ns) / 1000).toFixed(1).padStart(9)} us`;

export function registerDemo(program: Command, io: Io): void {
  program
    .command('demo')
    .description('run the showcase scenario: a port policy and socket marks from cgroup BPF programs, on a simulated TCP exchange')
    .option('--seed <n>', 'the simulation seed (the same seed prints the same run)', '1')
    .option('--pcap <file>', 'write the capture of every device as pcapng')
    .option('--json', 'print the timeline as JSON lines')
    .addHelpText(
      'after',
      `
Examples:
  bpfsim demo
  bpfsim demo --pcap demo.pcapng && tshark -r demo.pcapng
  bpfsim demo --json | head`,
    )
    .action(async (flags: DemoFlags) => {
      const seed = Number(flags.seed ?? 1);
      if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed takes a non-negative integer, not '${flags.seed}'`);
      const lines: { time: number; what: string; detail: Record<string, unknown> }[] = [];
      const say = (time: number, what: string, detail: Record<string, unknown>, text: string): void => {
        lines.push({ time, what, detail });
        if (!flags.json) io.stdout(`${us(time)}  ${text}\n`);
      };

      const net = new Network({ seed });
      const web = net.addHost('web');
      const client = net.addHost('client');
      net.connect(web.addDevice(), client.addDevice(), { delay: 50_000, bandwidth: 1_000_000_000 });
      web.addAddress('eth0', '10.0.0.1/24');
      web.addAddress('eth0', '10.0.0.2/24');
      client.addAddress('eth0', '10.0.0.100/24');
      installCgroupHooks(web);
      const cap = flags.pcap ? net.capture() : undefined;

      const k = web.kernel;
      k.cgroups.create('/web');
      const admin = new BpfClient(k, k.spawn({ comm: 'admin' }));
      admin.loadProgram({ type: 'cgroup_sock', attachType: 'cgroup_inet4_post_bind', insns: POST_BIND_POLICY, name: 'port_policy' }).attach('/web', 'cgroup_inet4_post_bind');
      admin.loadProgram({ type: 'cgroup_sock', attachType: 'cgroup_inet_sock_create', insns: SOCK_CREATE_MARK, name: 'mark_sockets' }).attach('/web', 'cgroup_inet_sock_create');
      if (!flags.json) io.stdout('bpfsim demo: cgroup /web on host web runs port_policy (post_bind4: no port below 8000) and mark_sockets (sock_create: mark 0x42)\n\n');

      net.events.on('hook:run', (e) =>
        say(net.sim.now, 'hook', { cgroup: e.cgroup, attachType: e.attachTypeName, prog: e.progName, ret: e.ret, insns: e.insns }, `hook  ${e.attachTypeName.padEnd(28)} ${e.progName} in ${e.cgroup} returned ${e.ret} (${e.insns} insns)`),
      );
      net.events.on('tcp:state', (e: SocketStateEvent) => say(e.time, 'tcp', { host: e.host, socket: e.socket, from: e.from, to: e.to }, `tcp   ${e.host.padEnd(7)} ${e.socket.padEnd(40)} ${e.from} -> ${e.to}`));
      net.events.on('packet', (e) => {
        if (e.dir !== 'out' || e.dev === 'lo') return;
        const eth = parseEth(e.frame);
        const ip = eth && eth.type === 0x0800 ? parseIpv4(eth.payload) : undefined;
        const tcp = ip && ip.protocol === 6 ? parseTcp(eth!.payload.subarray(ip.ihl, ip.totalLength)) : undefined;
        if (!ip || !tcp) return;
        const src = `${addrFromBytes(ip.src).text}:${tcp.srcPort}`;
        const dst = `${addrFromBytes(ip.dst).text}:${tcp.dstPort}`;
        const f = ['FIN', 'SYN', 'RST', 'PSH', 'ACK'].filter((_, i) => tcp.flags & [1, 2, 4, 8, 16][i]!).join(',');
        say(e.time, 'packet', { host: e.host, src, dst, flags: f, len: tcp.payload.length }, `pkt   ${e.host.padEnd(7)} ${src.padEnd(20)} > ${dst.padEnd(20)} [${f}] len ${tcp.payload.length}`);
      });

      const server = new SocketApi(web, k.spawn({ comm: 'nginx', cgroup: k.cgroups.lookup('/web') }));
      const cli = new SocketApi(client, client.kernel.spawn({ comm: 'curl' }));
      const l = server.socket(AF_INET, SOCK_STREAM);
      say(net.sim.now, 'app', { socket: l, mark: server.socketOf(l).options.mark }, `app   nginx   socket() -> fd ${l}, SO_MARK 0x${server.socketOf(l).options.mark.toString(16)} (set by mark_sockets)`);
      try {
        server.bind(l, { family: 4, addr: '10.0.0.1', port: 80 });
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        say(net.sim.now, 'app', { call: 'bind', port: 80, errno: e.code }, `app   nginx   bind(10.0.0.1:80) -> ${e.code} (port_policy refused it; the port is free again)`);
      }
      server.bind(l, { family: 4, addr: '10.0.0.1', port: 8080 });
      say(net.sim.now, 'app', { call: 'bind', port: 8080 }, 'app   nginx   bind(10.0.0.1:8080) -> ok');
      server.listen(l);
      const accepted = server.acceptAsync(l);
      const c = cli.socket(AF_INET, SOCK_STREAM);
      await until(net, cli.connectAsync(c, { family: 4, addr: '10.0.0.1', port: 8080 }));
      const s = await until(net, accepted);
      cli.send(c, new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
      const req = await until(net, server.recvAsync(s));
      say(net.sim.now, 'app', { call: 'recv', bytes: req.data.length }, `app   nginx   read ${req.data.length} bytes: ${JSON.stringify(new TextDecoder().decode(req.data.subarray(0, 14)))}`);
      server.send(s, new TextEncoder().encode('HTTP/1.0 200 OK\r\n\r\nhello\n'));
      server.close(s);
      const resp = await until(net, cli.recvAsync(c));
      say(net.sim.now, 'app', { call: 'recv', bytes: resp.data.length }, `app   curl    read ${resp.data.length} bytes: ${JSON.stringify(new TextDecoder().decode(resp.data.subarray(0, 15)))}`);
      const eof = await until(net, cli.recvAsync(c));
      say(net.sim.now, 'app', { call: 'recv', bytes: eof.data.length }, `app   curl    read ${eof.data.length} bytes (end of stream); close()`);
      cli.close(c);
      net.sim.runFor(200 * MS);

      if (cap && flags.pcap) {
        fs.writeFileSync(flags.pcap, cap.stop());
        if (!flags.json) io.stdout(`\nwrote ${flags.pcap}\n`);
      }
      if (flags.json) for (const line of lines) io.stdout(`${JSON.stringify(line)}\n`);
      else io.stdout(`\n${lines.filter((x) => x.what === 'hook').length} hook runs, ${lines.filter((x) => x.what === 'packet').length} TCP segments, virtual time ${us(net.sim.now).trim()}\n`);
    });
}
