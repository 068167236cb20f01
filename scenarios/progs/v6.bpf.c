// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* v6.bpf.c — small IPv6 policies, the name hooks and the socket lifetime hooks.
 *
 * Shows:
 *  - cgroup/bind6, cgroup/connect6, cgroup/sendmsg6, cgroup/recvmsg6 on struct
 *    bpf_sock_addr: user_ip6[4] (network order words) and user_port;
 *  - cgroup/getpeername4 and cgroup/getsockname4: rewriting what getpeername()/
 *    getsockname() report (these hooks must return 1);
 *  - cgroup/sock_create and cgroup/sock_release on struct bpf_sock (family, type,
 *    protocol; sock_create may set mark, priority and bound_dev_if);
 *  - a program in a legacy section name, "cgroup/sock", which libbpf still maps to
 *    BPF_CGROUP_INET_SOCK_CREATE;
 *  - a dual licence string ("Dual MIT/GPL" counts as GPL-compatible for helpers).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

/* counters[i]: sockets created (0), released (1), v4-mapped binds refused (2) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* The address getpeername() reports instead of the proxy's (10.0.0.1:80). */
const volatile __u32 public_ip4 = 0x0100000a;
const volatile __u16 public_port = 0x5000;

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (v)
		*v += 1; /* per-CPU value: no atomic needed */
}

/* ::ffff:a.b.c.d is an IPv4 address in IPv6 clothing. */
static __always_inline int is_v4_mapped(struct bpf_sock_addr *ctx)
{
	return ctx->user_ip6[0] == 0 && ctx->user_ip6[1] == 0 &&
	       ctx->user_ip6[2] == bpf_htonl(0x0000ffff);
}

/* bind6: IPv4 traffic must go through bind4's policy; refuse v4-mapped binds. */
SEC("cgroup/bind6")
int no_mapped_bind6(struct bpf_sock_addr *ctx)
{
	if (is_v4_mapped(ctx)) {
		count(2);
		return DENY;
	}
	return ALLOW;
}

/* connect6: no connections to the documentation prefix 2001:db8::/32. */
SEC("cgroup/connect6")
int block_doc_connect6(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip6[0] == bpf_htonl(0x20010db8))
		return DENY;
	return ALLOW;
}

/* sendmsg6: UDP to [2001:db8::53]:53 goes to [::1]:53 instead. */
SEC("cgroup/sendmsg6")
int dns_sendmsg6(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port != bpf_htons(53))
		return ALLOW;
	if (ctx->user_ip6[0] == bpf_htonl(0x20010db8) && ctx->user_ip6[1] == 0 &&
	    ctx->user_ip6[2] == 0 && ctx->user_ip6[3] == bpf_htonl(0x53)) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = 0;
		ctx->user_ip6[3] = bpf_htonl(1);
	}
	return ALLOW;
}

/* recvmsg6: the mirror image, answers from [::1]:53 seem to come from 2001:db8::53. */
SEC("cgroup/recvmsg6")
int dns_recvmsg6(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port == bpf_htons(53) && ctx->user_ip6[0] == 0 &&
	    ctx->user_ip6[1] == 0 && ctx->user_ip6[2] == 0 &&
	    ctx->user_ip6[3] == bpf_htonl(1)) {
		ctx->user_ip6[0] = bpf_htonl(0x20010db8);
		ctx->user_ip6[3] = bpf_htonl(0x53);
	}
	return 1;
}

/* getpeername4: a socket connected through a local proxy reports the public service. */
SEC("cgroup/getpeername4")
int peer_is_public4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip4 == bpf_htonl(0x7f000001)) {
		ctx->user_ip4 = public_ip4;
		ctx->user_port = public_port;
	}
	return 1;
}

/* getsockname4: hide the loopback source address behind the public one too. */
SEC("cgroup/getsockname4")
int name_is_public4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip4 == bpf_htonl(0x7f000001))
		ctx->user_ip4 = public_ip4;
	return 1;
}

/* sock_create: no raw sockets; every new socket gets mark 0x42 and is counted. */
SEC("cgroup/sock_create")
int sock_create_policy(struct bpf_sock *sk)
{
	if (sk->type == SOCK_RAW)
		return DENY;
	sk->mark = 0x42;
	count(0);
	return ALLOW;
}

/* sock_release: cannot refuse anything, only observe. */
SEC("cgroup/sock_release")
int sock_release_count(struct bpf_sock *sk)
{
	count(1);
	return 1;
}

/* The same create policy in the legacy section name "cgroup/sock". */
SEC("cgroup/sock")
int legacy_sock_create(struct bpf_sock *sk)
{
	if (sk->family == AF_INET6 && sk->protocol == IPPROTO_UDP)
		sk->priority = 6;
	return ALLOW;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
