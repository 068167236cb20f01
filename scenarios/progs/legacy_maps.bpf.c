// SPDX-License-Identifier: GPL-2.0
/* legacy_maps.bpf.c — maps defined the old way, in a "maps" section.
 *
 * Before BTF-defined maps, a map was a struct bpf_map_def placed in SEC("maps"); the
 * loader read the section as an array of these structs (their size being the section
 * size divided by the number of symbols in it) and knew nothing of key and value types.
 * libbpf 1.0 dropped support for this format (and its headers no longer declare
 * struct bpf_map_def), so current libbpf refuses to open this object; older loaders and
 * iproute2's accept it. It is here so a loader can be tested on it.
 *
 * Shows:
 *  - SEC("maps") with struct bpf_map_def, declared locally;
 *  - the same map used from two programs (two relocations against one map symbol).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

/* The layout samples/bpf and iproute2 used: five unsigned ints. */
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

/* destination port (host order) -> connects */
struct bpf_map_def SEC("maps") connect_ports = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

/* [0]: sockets created, [1]: connects seen */
struct bpf_map_def SEC("maps") totals = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

static __always_inline void add_total(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&totals, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("cgroup/connect4")
int legacy_count_connect4(struct bpf_sock_addr *ctx)
{
	__u32 port = bpf_ntohs((__u16)ctx->user_port);
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&connect_ports, &port);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&connect_ports, &port, &one, BPF_ANY);
	add_total(1);
	return 1;
}

SEC("cgroup/sock_create")
int legacy_count_sock(struct bpf_sock *sk)
{
	add_total(0);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
