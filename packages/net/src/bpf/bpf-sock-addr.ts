// struct bpf_sock_addr as a CGROUP_SOCK_ADDR program sees it (include/uapi/linux/bpf.h;
// the kernel builds struct bpf_sock_addr_kern and sock_addr_convert_ctx_access() maps
// fields onto it): the user's sockaddr (user_family, user_ip4/user_ip6, user_port), the
// socket's family/type/protocol, the datagram source for sendmsg (msg_src_ip4/6), and `sk`
// (a pointer to the socket's struct bpf_sock view). Addresses and user_port are in network
// byte order; user_port holds htons(port) in its low 16 bits.
import type { Region } from '@bpfsim/vm';
import type { Sock, SockAddr } from '../sock/sock';
import { AF_INET, AF_INET6 } from '../sock/sock';
import type { IpAddr } from '../wire/addr';
import { addrFromBytes } from '../wire/addr';

export const BPF_SOCK_ADDR_SIZE = 72;

export const BPF_SOCK_ADDR = {
  user_family: 0,
  user_ip4: 4,
  user_ip6: 8,
  user_port: 24,
  family: 28,
  type: 32,
  protocol: 36,
  msg_src_ip4: 40,
  msg_src_ip6: 44,
  sk: 64,
} as const;

/** Fills the ctx for a hook run on `sk` with the user's address (and the datagram source). */
export function fillBpfSockAddr(bytes: Uint8Array, sk: Sock, addr: SockAddr, msgSrc: IpAddr | undefined, skView: Region): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, BPF_SOCK_ADDR_SIZE);
  bytes.fill(0, 0, BPF_SOCK_ADDR_SIZE);
  v.setUint32(BPF_SOCK_ADDR.user_family, addr.family === 4 ? AF_INET : AF_INET6, true);
  if (addr.family === 4) bytes.set(addr.addr.bytes.subarray(addr.addr.bytes.length - 4), BPF_SOCK_ADDR.user_ip4);
  else bytes.set(addr.addr.bytes, BPF_SOCK_ADDR.user_ip6);
  v.setUint16(BPF_SOCK_ADDR.user_port, addr.port, false);
  v.setUint32(BPF_SOCK_ADDR.family, sk.family === 4 ? AF_INET : AF_INET6, true);
  v.setUint32(BPF_SOCK_ADDR.type, sk.type, true);
  v.setUint32(BPF_SOCK_ADDR.protocol, sk.protocol, true);
  if (msgSrc) {
    if (msgSrc.family === 4) bytes.set(msgSrc.bytes, BPF_SOCK_ADDR.msg_src_ip4);
    else bytes.set(msgSrc.bytes, BPF_SOCK_ADDR.msg_src_ip6);
  }
  v.setBigUint64(BPF_SOCK_ADDR.sk, skView.address(), true);
}

/** The address after the programs ran: user_ip4/user_ip6 and user_port as they left them. */
export function readBpfSockAddr(bytes: Uint8Array, family: 4 | 6, before: SockAddr): SockAddr {
  const v = new DataView(bytes.buffer, bytes.byteOffset, BPF_SOCK_ADDR_SIZE);
  const ipBytes = family === 4 ? bytes.slice(BPF_SOCK_ADDR.user_ip4, BPF_SOCK_ADDR.user_ip4 + 4) : bytes.slice(BPF_SOCK_ADDR.user_ip6, BPF_SOCK_ADDR.user_ip6 + 16);
  const port = v.getUint16(BPF_SOCK_ADDR.user_port, false);
  const same = port === before.port && equalBytes(ipBytes, before.family === family ? before.addr.bytes : new Uint8Array(0));
  if (same) return before;
  return { ...before, family, addr: addrFromBytes(ipBytes), port };
}

/** The datagram source after a sendmsg program ran (msg_src_ip4 / msg_src_ip6). */
export function readMsgSrc(bytes: Uint8Array, family: 4 | 6): IpAddr {
  return addrFromBytes(family === 4 ? bytes.slice(BPF_SOCK_ADDR.msg_src_ip4, BPF_SOCK_ADDR.msg_src_ip4 + 4) : bytes.slice(BPF_SOCK_ADDR.msg_src_ip6, BPF_SOCK_ADDR.msg_src_ip6 + 16));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
