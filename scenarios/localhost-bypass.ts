// The "localhost bypass" (what Cilium's sockops acceleration does): a sock_ops program puts
// every TCP connection of a cgroup into a sockhash as it is established (both ends), and an
// SK_MSG program on that sockhash redirects each message straight into the peer socket's
// receive queue. Two local services talk without their bytes going through TCP/IP: after
// the handshake, no data segment crosses lo.
import { scenario } from '@bpfsim/scenario';

/** sock_ops: at ACTIVE/PASSIVE_ESTABLISHED_CB, socks[local_port << 32 | remote_port] = sk. */
const SOCKOPS = `
  r6 = r1
  r2 = *(u32 *)(r6 + 0)        // op
  if r2 == 4 goto add          // BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB
  if r2 != 5 goto out          // BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB
add:
  r2 = *(u32 *)(r6 + 68)       // local_port (host order)
  r2 <<= 32
  r3 = *(u32 *)(r6 + 64)       // remote_port (network order, upper 16 bits)
  r3 >>= 16
  r3 = be16 r3
  r2 |= r3
  *(u64 *)(r10 - 8) = r2
  r1 = r6
  r2 = socks ll
  r3 = r10
  r3 += -8
  r4 = 0                       // BPF_ANY
  call bpf_sock_hash_update
out:
  r0 = 1
  exit`;

/** sk_msg: redirect to the peer (its key swaps our ports) into its receive queue. */
const REDIRECT = `
  r6 = r1
  r2 = *(u32 *)(r6 + 60)       // remote_port (network order, upper 16 bits)
  r2 >>= 16
  r2 = be16 r2
  r2 <<= 32
  r3 = *(u32 *)(r6 + 64)       // local_port
  r2 |= r3
  *(u64 *)(r10 - 8) = r2
  r1 = r6
  r2 = socks ll
  r3 = r10
  r3 += -8
  r4 = 1                       // BPF_F_INGRESS
  call bpf_msg_redirect_hash
  r0 = 1                       // SK_PASS: the normal path when the peer is not in the map
  exit`;

export default scenario({
  name: 'localhost-bypass',
  lesson: 'sock_ops + sk_msg: local connections put in a sockhash at establishment, messages redirected socket to socket',
  about: 'A web app and a cache in cgroup /pods talk over 127.0.0.1. The sock_ops program adds both ends of every connection to a sockhash when they are established; the SK_MSG program on the sockhash sends each message directly to the peer socket (BPF_F_INGRESS). The bytes arrive, but no TCP data segment crosses lo.',
  async run(w) {
    const node = w.host('node');
    node.cgroup('/pods');
    const socks = w.map(node, 'socks', { type: 'sockhash', keySize: 8, valueSize: 8, maxEntries: 64 });
    w.program(node, { name: 'sockops_add', type: 'sock_ops', attach: 'cgroup_sock_ops', asm: SOCKOPS, maps: { socks } }).attach('/pods');
    w.program(node, { name: 'msg_bypass', type: 'sk_msg', asm: REDIRECT, maps: { socks } }).attachToMap(socks);

    let dataSegments = 0;
    w.net.events.on('packet', (e) => {
      // IPv4 on lo (after a 14-byte Ethernet header): data is what the total length holds
      // beyond the IP header and the TCP header with its options (data offset, byte 12).
      if (e.dev !== 'lo' || e.dir !== 'out' || e.frame[12] !== 8) return;
      const ihl = (e.frame[14]! & 0xf) * 4;
      const doff = (e.frame[14 + ihl + 12]! >> 4) * 4;
      if (((e.frame[16]! << 8) | e.frame[17]!) > ihl + doff) dataSegments++;
    });
    void w.process(node, { comm: 'cache', cgroup: '/pods' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '127.0.0.1:6379');
      p.listen(l);
      const c = await p.accept(l);
      const req = await p.recvText(c);
      p.send(c, `+${req.trim().split(' ')[1]}-value\r\n`);
    });
    await w.sleep(1);
    await w.process(node, { comm: 'web', cgroup: '/pods' }, async (p) => {
      const s = p.socket(4, 'tcp');
      await p.connect(s, '127.0.0.1:6379');
      // The cache's end is established when its SYN_RECV socket takes the final ACK.
      await p.sleep(0);
      w.expect([...socks.handle.keys()].length, 'sock_ops put both ends of the connection in the sockhash').toBe(2);
      p.send(s, 'GET user:42\r\n');
      w.expect(await p.recvText(s), 'the request and the answer went socket to socket').toBe('+user:42-value\r\n');
    });
    w.expect(dataSegments, 'no TCP data segment crossed lo: the bytes bypassed TCP/IP').toBe(0);
  },
});
