// SPDX-License-Identifier: GPL-2.0
/* single_ip.bpf.c — every socket of one cgroup uses one source address.
 *
 * The seed's first story: a host has several addresses and the processes of a cgroup
 * must all appear on the network as one of them, whatever they ask for.
 *
 * Shows:
 *  - cgroup/bind4: rewriting the address a bind() asks for (ctx->user_ip4);
 *  - cgroup/connect4: bpf_bind(ctx, &sa, sizeof(sa)) to bind a socket to the cgroup's
 *    address before the kernel picks one (the helper is allowed in connect hooks only);
 *  - a `const volatile` global in .rodata that user space fills in before load
 *    (libbpf: skel->rodata->cgroup_ip = ...); the verifier then sees a constant;
 *  - the old "version" section (ignored by current kernels, still parsed by loaders).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

/* The cgroup's address, network byte order. 0 means "not configured": allow all. */
const volatile __u32 cgroup_ip = 0;

static __always_inline int is_loopback(__u32 ip_be)
{
	return (bpf_ntohl(ip_be) >> 24) == 127;
}

/* bind(): 0.0.0.0 becomes the cgroup's address; the cgroup's address and loopback are
 * fine; any other address of the host is refused with EPERM. */
SEC("cgroup/bind4")
int force_bind4(struct bpf_sock_addr *ctx)
{
	__u32 want = ctx->user_ip4;

	if (cgroup_ip == 0)
		return ALLOW;
	if (want == bpf_htonl(INADDR_ANY)) {
		ctx->user_ip4 = cgroup_ip; /* the port the caller asked for is kept */
		return ALLOW;
	}
	if (want == cgroup_ip || is_loopback(want))
		return ALLOW;
	return DENY;
}

/* connect() on an unbound socket: bind it to the cgroup's address first (port 0: the
 * kernel still picks the port at connect time). Loopback destinations are left alone. */
SEC("cgroup/connect4")
int force_connect4(struct bpf_sock_addr *ctx)
{
	struct sockaddr_in sa = {};
	long err;

	if (cgroup_ip == 0 || is_loopback(ctx->user_ip4))
		return ALLOW;

	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = cgroup_ip;
	err = bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa));
	/* -EINVAL: the socket was bound already (by bind4 above, say): keep that. */
	if (err && err != -EINVAL)
		return DENY;
	return ALLOW;
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 1;
