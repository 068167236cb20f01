// struct bpf_sock as a CGROUP_SOCK program sees a socket: what bpf_sock_convert_ctx_access()
// reads out of struct sock for each field, and the fields a SOCK_CREATE / SOCK_RELEASE
// program may write back (bound_dev_if, mark, priority). The layout is the program type's
// descriptor (@bpfsim/kernel CGROUP_SOCK, what bpf_sock_is_valid_access() checks), by
// field name. Byte orders follow the uapi: addresses and dst_port in network order,
// src_port in host order (inet_num).
import { CGROUP_SOCK } from '@bpfsim/kernel';
import { ctxOffsets } from '@bpfsim/verifier';
import type { Host } from '../iface/host';
import type { Sock } from '../sock/sock';
import { AF_INET, AF_INET6 } from '../sock/sock';

export const BPF_SOCK_SIZE = CGROUP_SOCK.ctxSize;

/** Offsets in struct bpf_sock, resolved once from the descriptor. */
export const BPF_SOCK = ctxOffsets(CGROUP_SOCK, [
  'bound_dev_if', 'family', 'type', 'protocol', 'mark', 'priority', 'src_ip4', 'src_ip6', 'src_port', 'dst_port', 'dst_ip4', 'dst_ip6', 'state', 'rx_queue_mapping',
]);

/** Writes an address as struct sock holds it: an IPv4 address at off4 (inet_rcv_saddr /
 * inet_daddr); an IPv6 one at off6 (sk_v6_*), and its IPv4 part at off4 too when it is
 * v4-mapped, as a dual-stack socket's inet fields hold it. */
function putAddr(bytes: Uint8Array, a: Uint8Array, off4: number, off6: number): void {
  if (a.length === 4) {
    bytes.set(a, off4);
    return;
  }
  bytes.set(a, off6);
  if (a.subarray(0, 10).every((x) => x === 0) && a[10] === 0xff && a[11] === 0xff) bytes.set(a.subarray(12), off4);
}

/** Fills `bytes` (80 bytes) with the struct bpf_sock view of `sk`. */
export function fillBpfSock(bytes: Uint8Array, sk: Sock, view?: DataView): void {
  const v = view ?? new DataView(bytes.buffer, bytes.byteOffset, BPF_SOCK_SIZE);
  bytes.fill(0, 0, BPF_SOCK_SIZE);
  v.setUint32(BPF_SOCK.bound_dev_if, sk.options.boundDev?.ifindex ?? 0, true);
  v.setUint32(BPF_SOCK.family, sk.family === 4 ? AF_INET : AF_INET6, true);
  v.setUint32(BPF_SOCK.type, sk.type, true);
  v.setUint32(BPF_SOCK.protocol, sk.protocol, true);
  v.setUint32(BPF_SOCK.mark, sk.options.mark >>> 0, true);
  v.setUint32(BPF_SOCK.priority, sk.options.priority >>> 0, true);
  // src_ip4 is inet_rcv_saddr, src_ip6 sk_v6_rcv_saddr: an IPv6 socket has only the latter.
  putAddr(bytes, sk.boundAddr.bytes, BPF_SOCK.src_ip4, BPF_SOCK.src_ip6);
  v.setUint32(BPF_SOCK.src_port, sk.localPort, true);
  if (sk.peer) {
    v.setUint16(BPF_SOCK.dst_port, sk.peer.port, false);
    putAddr(bytes, sk.peer.addr.bytes, BPF_SOCK.dst_ip4, BPF_SOCK.dst_ip6);
  }
  v.setUint32(BPF_SOCK.state, sk.state, true);
  // sk_rx_queue_get(): no receive queue recorded (NO_QUEUE_MAPPING) reads as -1.
  v.setInt32(BPF_SOCK.rx_queue_mapping, -1, true);
}

/**
 * Applies what a SOCK_CREATE / SOCK_RELEASE program wrote (the verifier lets only those
 * attach types write, and only these three fields). An ifindex no device of the host has
 * leaves the socket unbound (Linux stores the number and fails later at routing).
 */
export function applyBpfSockWrites(bytes: Uint8Array, sk: Sock, host: Host, view?: DataView): void {
  const v = view ?? new DataView(bytes.buffer, bytes.byteOffset, BPF_SOCK_SIZE);
  const ifindex = v.getUint32(BPF_SOCK.bound_dev_if, true);
  if (ifindex !== (sk.options.boundDev?.ifindex ?? 0)) {
    const dev = [...host.devices.values()].find((d) => d.ifindex === ifindex);
    if (dev) sk.optionsForWrite().boundDev = dev;
    else delete sk.optionsForWrite().boundDev;
  }
  const mark = v.getUint32(BPF_SOCK.mark, true);
  const priority = v.getUint32(BPF_SOCK.priority, true);
  // Only a change makes the socket its own copy of the options.
  if (mark !== sk.options.mark) sk.optionsForWrite().mark = mark;
  if (priority !== sk.options.priority) sk.optionsForWrite().priority = priority;
}
