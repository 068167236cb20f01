// SPDX-License-Identifier: GPL-2.0
/* pinned.bpf.c — a map shared between loads by pinning it in bpffs.
 *
 * With pinning set to LIBBPF_PIN_BY_NAME, libbpf looks for <pin root>/<map name>
 * (by default /sys/fs/bpf/connect_totals) when the object is loaded: if it exists and
 * matches the definition, the object reuses it; otherwise libbpf creates the map and pins
 * it there. So counters survive reloading the programs, and other objects (or bpftool)
 * can open the same map by path.
 *
 * Shows:
 *  - __uint(pinning, LIBBPF_PIN_BY_NAME) in a BTF-defined map, next to an unpinned one;
 *  - an LRU_HASH map (entries are evicted when full instead of failing updates);
 *  - bpf_get_current_pid_tgid() and bpf_ktime_get_ns() in cgroup sock_addr programs.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "common.h"

/* [0]: IPv4 connects, [1]: IPv6 connects — pinned, shared across loads */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} connect_totals SEC(".maps");

/* tgid -> time of its last connect (ns since boot); private to each load */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} last_connect SEC(".maps");

static __always_inline int record(__u32 slot)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 now = bpf_ktime_get_ns();
	__u64 *v = bpf_map_lookup_elem(&connect_totals, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
	bpf_map_update_elem(&last_connect, &tgid, &now, BPF_ANY);
	return ALLOW;
}

SEC("cgroup/connect4")
int pinned_count4(struct bpf_sock_addr *ctx)
{
	return record(0);
}

SEC("cgroup/connect6")
int pinned_count6(struct bpf_sock_addr *ctx)
{
	return record(1);
}

char LICENSE[] SEC("license") = "GPL";
