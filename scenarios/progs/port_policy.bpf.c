// SPDX-License-Identifier: GPL-2.0
/* port_policy.bpf.c — servers of a cgroup may listen only on a range of ports.
 *
 * The seed's third story. post_bind runs after the kernel has bound the socket (so the
 * port is known even when the caller asked for 0); returning 0 undoes the bind and the
 * caller's bind() fails with EPERM, leaving the port free.
 *
 * Shows:
 *  - cgroup/post_bind4 and cgroup/post_bind6 on struct bpf_sock (src_port is host order);
 *  - `const volatile` policy globals in .rodata;
 *  - a BTF-defined map in SEC(".maps") (an ARRAY of per-family refusal counters);
 *  - a plain global in .bss (zero-initialised), updated atomically.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "common.h"

/* The allowed range, inclusive. User space sets these before load. */
const volatile __u16 port_min = 8000;
const volatile __u16 port_max = 8999;

/* refusals[0]: IPv4, refusals[1]: IPv6 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} refusals SEC(".maps");

/* every refusal, both families; lives in .bss */
__u64 refused_total;

static __always_inline int check_port(struct bpf_sock *sk, __u32 slot)
{
	__u32 port = sk->src_port;
	__u64 *count;

	if (port >= port_min && port <= port_max)
		return ALLOW;

	count = bpf_map_lookup_elem(&refusals, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	__sync_fetch_and_add(&refused_total, 1);
	return DENY;
}

SEC("cgroup/post_bind4")
int port_range4(struct bpf_sock *sk)
{
	return check_port(sk, 0);
}

SEC("cgroup/post_bind6")
int port_range6(struct bpf_sock *sk)
{
	return check_port(sk, 1);
}

char LICENSE[] SEC("license") = "GPL";
