// The socket uapi bpfsim's socket calls take (x86_64 Linux): address families and socket
// types (include/linux/socket.h, net.h), protocol numbers and option levels (linux/in.h),
// SOL_SOCKET options (asm-generic/socket.h; SO_RCVTIMEO/SO_SNDTIMEO are the _OLD numbers on
// 64-bit), IPPROTO_IP and IPPROTO_IPV6 options (linux/in.h, linux/in6.h), TCP options
// (linux/tcp.h) and MSG_* flags. By the header's names, as a user's C code spells them.

export const AF = { AF_UNSPEC: 0, AF_UNIX: 1, AF_INET: 2, AF_INET6: 10 } as const;

export const SOCK = { SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3, SOCK_NONBLOCK: 0o4000, SOCK_CLOEXEC: 0o2000000 } as const;

export const IPPROTO = { IPPROTO_IP: 0, IPPROTO_ICMP: 1, IPPROTO_TCP: 6, IPPROTO_UDP: 17, IPPROTO_IPV6: 41, IPPROTO_ICMPV6: 58, IPPROTO_RAW: 255 } as const;

/** setsockopt levels. */
export const SOL = { SOL_IP: 0, SOL_SOCKET: 1, SOL_TCP: 6, SOL_UDP: 17, SOL_IPV6: 41 } as const;

export const SO = {
  SO_DEBUG: 1,
  SO_REUSEADDR: 2,
  SO_TYPE: 3,
  SO_ERROR: 4,
  SO_DONTROUTE: 5,
  SO_BROADCAST: 6,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_KEEPALIVE: 9,
  SO_OOBINLINE: 10,
  SO_NO_CHECK: 11,
  SO_PRIORITY: 12,
  SO_LINGER: 13,
  SO_BSDCOMPAT: 14,
  SO_REUSEPORT: 15,
  SO_PASSCRED: 16,
  SO_PEERCRED: 17,
  SO_RCVLOWAT: 18,
  SO_SNDLOWAT: 19,
  SO_RCVTIMEO: 20,
  SO_SNDTIMEO: 21,
  SO_BINDTODEVICE: 25,
  SO_ATTACH_FILTER: 26,
  SO_DETACH_FILTER: 27,
  SO_PEERNAME: 28,
  SO_ACCEPTCONN: 30,
  SO_SNDBUFFORCE: 32,
  SO_RCVBUFFORCE: 33,
  SO_MARK: 36,
  SO_PROTOCOL: 38,
  SO_DOMAIN: 39,
  SO_INCOMING_CPU: 49,
  SO_ATTACH_BPF: 50,
  SO_COOKIE: 57,
  SO_BINDTOIFINDEX: 62,
} as const;

export const IP = {
  IP_TOS: 1,
  IP_TTL: 2,
  IP_HDRINCL: 3,
  IP_OPTIONS: 4,
  IP_PKTINFO: 8,
  IP_MTU_DISCOVER: 10,
  IP_RECVERR: 11,
  IP_RECVTTL: 12,
  IP_MTU: 14,
  IP_FREEBIND: 15,
  IP_TRANSPARENT: 19,
  IP_BIND_ADDRESS_NO_PORT: 24,
  IP_LOCAL_PORT_RANGE: 51,
} as const;

export const IPV6 = { IPV6_UNICAST_HOPS: 16, IPV6_V6ONLY: 26, IPV6_RECVPKTINFO: 49, IPV6_PKTINFO: 50, IPV6_TCLASS: 67, IPV6_AUTOFLOWLABEL: 70, IPV6_FREEBIND: 78 } as const;

export const TCP = {
  TCP_NODELAY: 1,
  TCP_MAXSEG: 2,
  TCP_CORK: 3,
  TCP_KEEPIDLE: 4,
  TCP_KEEPINTVL: 5,
  TCP_KEEPCNT: 6,
  TCP_SYNCNT: 7,
  TCP_LINGER2: 8,
  TCP_DEFER_ACCEPT: 9,
  TCP_WINDOW_CLAMP: 10,
  TCP_INFO: 11,
  TCP_QUICKACK: 12,
  TCP_CONGESTION: 13,
  TCP_MD5SIG: 14,
  TCP_THIN_LINEAR_TIMEOUTS: 16,
  TCP_USER_TIMEOUT: 18,
  TCP_FASTOPEN: 23,
  TCP_NOTSENT_LOWAT: 25,
  TCP_SAVE_SYN: 27,
  TCP_SAVED_SYN: 28,
} as const;

export const MSG = { MSG_OOB: 0x1, MSG_PEEK: 0x2, MSG_DONTROUTE: 0x4, MSG_TRUNC: 0x20, MSG_DONTWAIT: 0x40, MSG_EOR: 0x80, MSG_WAITALL: 0x100, MSG_NOSIGNAL: 0x4000, MSG_MORE: 0x8000 } as const;

/** shutdown(2)'s how. */
export const SHUT = { SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2 } as const;
