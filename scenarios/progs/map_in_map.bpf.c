// SPDX-License-Identifier: GPL-2.0
/* map_in_map.bpf.c — per-cgroup port allow-lists as maps inside a map.
 *
 * Each policy is an ARRAY of allowed destination ports; an ARRAY_OF_MAPS holds the
 * policies and a HASH maps a cgroup id to the index of its policy. User space can swap
 * a whole policy atomically by putting another inner map at the same index.
 *
 * Shows:
 *  - BPF_MAP_TYPE_ARRAY_OF_MAPS declared with __array(values, struct inner_ports): the
 *    inner map's definition gives libbpf the template for the outer map's inner_map_fd;
 *  - the outer map initialised in C (.values = { [0] = &web_ports, ... }): the
 *    initialiser becomes relocations in .rel.maps that libbpf turns into map updates
 *    after load;
 *  - BPF_MAP_TYPE_HASH_OF_MAPS with the same inner type, left empty;
 *  - bpf_get_current_cgroup_id() in a cgroup/connect4 program, and a small loop
 *    written so the verifier accepts it (see port_allowed()).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

#define MAX_PORTS 8

struct inner_ports {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32); /* a port in host order; 0: unused slot */
};

struct inner_ports web_ports SEC(".maps");
struct inner_ports db_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_ports);
} policies SEC(".maps") = {
	.values = {
		[0] = &web_ports,
		[1] = &db_ports,
	},
};

/* cgroup id -> inner map, for policies managed by id rather than by index */
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 64);
	__type(key, __u64);
	__array(values, struct inner_ports);
} policies_by_cgroup SEC(".maps");

/* cgroup id -> index in policies */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u32);
} cgroup_policy SEC(".maps");

/* The key is a copy of the counter, and clang -O2 unrolls the loop into eight lookups.
 * With &i itself as the key, clang 14 keeps a rolled loop whose counter lives on the
 * stack, where the verifier does not track its value: every pass looks the same to it
 * and the kernel refuses the program ("infinite loop detected"). */
static __always_inline int port_allowed(void *ports, __u32 port)
{
	for (__u32 i = 0; i < MAX_PORTS; i++) {
		__u32 key = i;
		__u32 *p = bpf_map_lookup_elem(ports, &key);

		if (p && *p == port)
			return 1;
	}
	return 0;
}

SEC("cgroup/connect4")
int connect_allowlist4(struct bpf_sock_addr *ctx)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	__u32 port = bpf_ntohs((__u16)ctx->user_port);
	__u32 *index;
	void *ports;

	/* a policy by cgroup id wins over one by index */
	ports = bpf_map_lookup_elem(&policies_by_cgroup, &cgid);
	if (!ports) {
		index = bpf_map_lookup_elem(&cgroup_policy, &cgid);
		if (!index)
			return ALLOW; /* no policy for this cgroup */
		ports = bpf_map_lookup_elem(&policies, index);
		if (!ports)
			return DENY; /* a policy index with no map in it: fail closed */
	}
	return port_allowed(ports, port) ? ALLOW : DENY;
}

char LICENSE[] SEC("license") = "GPL";
