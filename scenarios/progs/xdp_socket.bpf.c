// SPDX-License-Identifier: GPL-2.0
/* xdp_socket.bpf.c — packet programs: XDP, a classic socket filter, cgroup skb, and a
 * syscall tracepoint.
 *
 * Shows:
 *  - xdp: parsing Ethernet/IPv4/UDP between ctx->data and ctx->data_end with the bounds
 *    checks the verifier wants, and dropping one destination port (XDP_DROP);
 *  - socket: a socket filter (SO_ATTACH_BPF) keeping only TCP, written with the legacy
 *    packet loads (BPF_LD | BPF_ABS, via llvm.bpf.load.byte) that classic BPF had;
 *    its return value is how many bytes to keep, 0 drops the packet;
 *  - cgroup_skb/egress and cgroup_skb/ingress: per-cgroup byte counters and a drop rule;
 *  - tracepoint/syscalls/sys_enter_connect: a perf tracepoint whose ctx layout is the
 *    tracepoint's format file (/sys/kernel/tracing/events/syscalls/sys_enter_connect/
 *    format), declared here by hand.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

/* The UDP port xdp_drop_port drops, host order. */
const volatile __u16 blocked_port = 9999;

/* LD_ABS: reads a byte at an offset from the start of the packet (network header for
 * socket filters); a read past the end ends the program with return 0. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

enum { STAT_XDP_DROPPED, STAT_EGRESS_BYTES, STAT_INGRESS_DROPPED, STAT_CONNECT_CALLS };

static __always_inline void add_stat(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		__sync_fetch_and_add(v, n);
}

SEC("xdp")
int xdp_drop_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	/* the IPv4 header may carry options: ihl counts 32-bit words */
	udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	if (udp->dest == bpf_htons(blocked_port)) {
		add_stat(STAT_XDP_DROPPED, 1);
		return XDP_DROP;
	}
	return XDP_PASS;
}

SEC("socket")
int socket_tcp_only(struct __sk_buff *skb)
{
	/* byte 9 of the IPv4 header is the protocol; on an IP socket (or an AF_PACKET
	 * SOCK_DGRAM one) a socket filter sees the packet from the network header on */
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	if (load_byte(skb, 9) != IPPROTO_TCP)
		return 0;
	return skb->len; /* keep the whole packet */
}

SEC("cgroup_skb/egress")
int egress_bytes(struct __sk_buff *skb)
{
	add_stat(STAT_EGRESS_BYTES, skb->len);
	return 1; /* 1: let it go, 0: drop (the sender sees EPERM) */
}

SEC("cgroup_skb/ingress")
int ingress_no_telnet(struct __sk_buff *skb)
{
	struct iphdr ip;
	__u16 ports[2];

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 1;
	/* cgroup skb programs see the packet from the IP header on */
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.protocol != IPPROTO_TCP)
		return 1;
	if (bpf_skb_load_bytes(skb, ip.ihl * 4, ports, sizeof(ports)))
		return 1;
	if (ports[1] == bpf_htons(23)) {
		add_stat(STAT_INGRESS_DROPPED, 1);
		return 0;
	}
	return 1;
}

/* The format of syscalls:sys_enter_connect: 8 bytes of common fields, the syscall
 * number, then each argument widened to 64 bits. */
struct sys_enter_connect_args {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 fd;
	__u64 uservaddr; /* struct sockaddr __user * */
	__u64 addrlen;
};

SEC("tracepoint/syscalls/sys_enter_connect")
int tp_enter_connect(struct sys_enter_connect_args *ctx)
{
	__u16 family = 0;

	/* user memory: read it with the _user helper, it may fault */
	if (bpf_probe_read_user(&family, sizeof(family), (void *)ctx->uservaddr) == 0 &&
	    (family == AF_INET || family == AF_INET6))
		add_stat(STAT_CONNECT_CALLS, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
