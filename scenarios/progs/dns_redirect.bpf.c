// SPDX-License-Identifier: GPL-2.0
/* dns_redirect.bpf.c — UDP DNS queries go to a local resolver, transparently.
 *
 * sendmsg4 runs for each sendto()/sendmsg() on an unconnected UDP socket (and for
 * connect() of UDP sockets through connect4, not shown here); recvmsg4 runs when
 * recvfrom()/recvmsg() reports the source address, so the answer can be made to look
 * as if it came from the server the application asked.
 *
 * Shows:
 *  - cgroup/sendmsg4: rewriting destination address and port (and the source address,
 *    msg_src_ip4, which only sendmsg hooks may set);
 *  - cgroup/recvmsg4: rewriting the address recvfrom() reports (must return 1);
 *  - initialised globals in .data, which user space may change at run time through the
 *    object's .data map (unlike .rodata, whose values are frozen at load), and a
 *    zero-initialised one in .bss.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

/* The local resolver: 127.0.0.53:53 (systemd-resolved's stub), network byte order. */
__u32 resolver_ip = 0x3500007f;
__u16 resolver_port = 0x3500;

/* The upstream server applications use, e.g. 10.0.0.53; answers appear to come from it. */
__u32 upstream_ip = 0x3500000a;

/* queries redirected so far; zero-initialised, so clang puts it in .bss, not .data */
__u64 redirected;

SEC("cgroup/sendmsg4")
int dns_sendmsg4(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_UDP)
		return ALLOW;
	if (ctx->user_port != bpf_htons(53) || ctx->user_ip4 != upstream_ip)
		return ALLOW;

	ctx->user_ip4 = resolver_ip;
	ctx->user_port = resolver_port;
	__sync_fetch_and_add(&redirected, 1);
	return ALLOW;
}

SEC("cgroup/recvmsg4")
int dns_recvmsg4(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_UDP)
		return 1;
	if (ctx->user_ip4 == resolver_ip && ctx->user_port == resolver_port) {
		ctx->user_ip4 = upstream_ip;
		ctx->user_port = bpf_htons(53);
	}
	return 1; /* recvmsg hooks cannot refuse: the verifier only accepts 1 */
}

char LICENSE[] SEC("license") = "GPL";
