// struct bpf_sock_addr as a CGROUP_SOCK_ADDR program sees it (include/uapi/linux/bpf.h;
// the kernel builds struct bpf_sock_addr_kern and sock_addr_convert_ctx_access() maps
// fields onto it): the user's sockaddr (user_family, user_ip4/user_ip6, user_port), the
// socket's family/type/protocol, the datagram source for sendmsg (msg_src_ip4/6), and `sk`
// (a pointer to the socket's struct bpf_sock view). Addresses and user_port are in network
// byte order; user_port holds htons(port) in its low 16 bits. The layout is the program
// type's descriptor (@bpfsim/kernel CGROUP_SOCK_ADDR, what sock_addr_is_valid_access()
// checks); this file is the sock_addr_convert_ctx_access() side, by field name.
import { CGROUP_SOCK_ADDR } from '@bpfsim/kernel';
import { ctxOffsets } from '@bpfsim/verifier';
import type { Region } from '@bpfsim/vm';
import type { Sock, SockAddr } from '../sock/sock';
import { AF_INET, AF_INET6 } from '../sock/sock';
import type { IpAddr } from '../wire/addr';
import { addrFromBytes } from '../wire/addr';

export const BPF_SOCK_ADDR_SIZE = CGROUP_SOCK_ADDR.ctxSize;

/** Offsets in struct bpf_sock_addr, resolved once from the descriptor. */
export const BPF_SOCK_ADDR = ctxOffsets(CGROUP_SOCK_ADDR, ['user_family', 'user_ip4', 'user_ip6', 'user_port', 'family', 'type', 'protocol', 'msg_src_ip4', 'msg_src_ip6', 'sk']);

/**
 * Fills the ctx for a hook run on `sk` with the user's address (and the datagram source).
 * `v` is a DataView over exactly `bytes` (the ctx region's view: made once, not per call).
 */
export function fillBpfSockAddr(bytes: Uint8Array, v: DataView, sk: Sock, addr: SockAddr, msgSrc: IpAddr | undefined, skView: Region): void {
  bytes.fill(0, 0, BPF_SOCK_ADDR_SIZE);
  v.setUint32(BPF_SOCK_ADDR.user_family, addr.family === 4 ? AF_INET : AF_INET6, true);
  const ip = addr.addr.bytes;
  if (addr.family === 4) bytes.set(ip.length === 4 ? ip : ip.subarray(12), BPF_SOCK_ADDR.user_ip4);
  else bytes.set(ip, BPF_SOCK_ADDR.user_ip6);
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

/** The address after the programs ran: user_ip4/user_ip6 and user_port as they left them
 * (`before` itself when the programs changed nothing, so the common case allocates nothing). */
export function readBpfSockAddr(bytes: Uint8Array, v: DataView, family: 4 | 6, before: SockAddr): SockAddr {
  const off = family === 4 ? BPF_SOCK_ADDR.user_ip4 : BPF_SOCK_ADDR.user_ip6;
  const len = family === 4 ? 4 : 16;
  const port = v.getUint16(BPF_SOCK_ADDR.user_port, false);
  if (port === before.port && before.family === family && sameBytes(bytes, off, before.addr.bytes, len)) return before;
  return { ...before, family, addr: addrFromBytes(bytes.slice(off, off + len)), port };
}

/** The datagram source after a sendmsg program ran (msg_src_ip4 / msg_src_ip6), or
 * `before` when it is unchanged (undefined when there was none and the field is zero). */
export function readMsgSrc(bytes: Uint8Array, family: 4 | 6, before?: IpAddr): IpAddr | undefined {
  const off = family === 4 ? BPF_SOCK_ADDR.msg_src_ip4 : BPF_SOCK_ADDR.msg_src_ip6;
  const len = family === 4 ? 4 : 16;
  if (before ? before.family === family && sameBytes(bytes, off, before.bytes, len) : isZero(bytes, off, len)) return before;
  return addrFromBytes(bytes.slice(off, off + len));
}

/** bytes[off, off + len) equals the last `len` bytes of b (b may be a v4-mapped 16-byte form). */
function sameBytes(bytes: Uint8Array, off: number, b: Uint8Array, len: number): boolean {
  const start = b.length - len;
  if (start < 0) return false;
  for (let i = 0; i < len; i++) if (bytes[off + i] !== b[start + i]) return false;
  return true;
}

function isZero(bytes: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (bytes[off + i] !== 0) return false;
  return true;
}
