// SPDX-License-Identifier: GPL-2.0
/* connect_lb.bpf.c — client-side load balancing in connect4.
 *
 * A connect() to a virtual IP:port is rewritten to one of its backends before the SYN is
 * sent, so no NAT is needed on the path and the socket sees the backend as its peer.
 *
 * Shows:
 *  - a BTF-defined HASH map with struct key and value (VIP:port -> array of backends);
 *  - a static subprogram kept out of line (__attribute__((noinline))), in .text, called
 *    through a `call` with an R_BPF_64_32 relocation against the .text section symbol;
 *  - a global function (non-static, in .text): the kernel verifies it on its own, with
 *    only its BTF signature known about its arguments (ctx pointer and scalars);
 *  - bpf_get_prandom_u32() to choose a backend.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

#define MAX_BACKENDS 4

struct vip_key {
	__u32 ip;   /* network byte order */
	__u16 port; /* network byte order */
	__u16 pad;  /* always 0, so the key has no uninitialised bytes */
};

struct backend {
	__u32 ip;
	__u16 port;
	__u16 pad;
};

struct backend_set {
	__u32 count; /* 1..MAX_BACKENDS */
	struct backend be[MAX_BACKENDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct vip_key);
	__type(value, struct backend_set);
} services SEC(".maps");

/* Picks a backend index in [0, set->count). Static and out of line: a bpf-to-bpf call. */
static __attribute__((noinline)) __u32 pick_backend(const struct backend_set *set)
{
	__u32 n = set->count;

	if (n == 0 || n > MAX_BACKENDS)
		return 0;
	return bpf_get_prandom_u32() % n;
}

/* Rewrites the destination. Global: verified separately, so it takes only the context
 * and scalars (no map value pointers) and must return a scalar. */
__attribute__((noinline)) int lb_rewrite(struct bpf_sock_addr *ctx, __u32 ip, __u32 port)
{
	if (ctx == 0)
		return DENY;
	ctx->user_ip4 = ip;
	ctx->user_port = port;
	return ALLOW;
}

SEC("cgroup/connect4")
int lb_connect4(struct bpf_sock_addr *ctx)
{
	struct vip_key key = {};
	struct backend_set *set;
	struct backend *be;
	__u32 i;
	int ret;

	if (ctx->type != SOCK_STREAM)
		return ALLOW;

	key.ip = ctx->user_ip4;
	key.port = (__u16)ctx->user_port;
	set = bpf_map_lookup_elem(&services, &key);
	if (!set)
		return ALLOW; /* not a virtual IP */

	i = pick_backend(set);
	/* clang knows pick_backend() returns less than MAX_BACKENDS and would drop the
	 * check below; the verifier does not know it (it keeps no bounds of a callee's
	 * return value), so hide i from the optimiser to keep the check. */
	barrier_var(i);
	if (i >= MAX_BACKENDS)
		return ALLOW;
	be = &set->be[i];
	ret = lb_rewrite(ctx, be->ip, be->port);
	/* The verifier checks a global function on its own and knows nothing of what it
	 * returns, but a connect4 program must return 0 or 1: map the result explicitly
	 * (and keep clang, which does know, from folding the comparison away). */
	barrier_var(ret);
	return ret == ALLOW ? ALLOW : DENY;
}

char LICENSE[] SEC("license") = "GPL";
