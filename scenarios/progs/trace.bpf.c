// SPDX-License-Identifier: GPL-2.0
/* trace.bpf.c — tracing programs with CO-RE reads and build-id stack traces.
 *
 * Shows:
 *  - raw_tracepoint/sys_enter: ctx is struct bpf_raw_tracepoint_args, args[0] the
 *    struct pt_regs * of the syscall, args[1] its number;
 *  - raw_tp/inet_sock_set_state (the short section prefix): args are the tracepoint's
 *    TP_PROTO, here (const struct sock *sk, int oldstate, int newstate);
 *  - CO-RE: struct pt_regs and struct sock are declared locally, with only the fields
 *    used, under preserve_access_index; BPF_CORE_READ() then emits field-offset
 *    relocations in .BTF.ext that libbpf resolves against the running kernel's BTF;
 *  - a STACK_TRACE map with BPF_F_STACK_BUILD_ID (values are struct bpf_stack_build_id
 *    arrays) filled by bpf_get_stackid(ctx, &map, BPF_F_USER_STACK);
 *  - a cgroup/connect4 program reading struct bpf_sock_addr through a local CO-RE
 *    "flavor" (bpf_sock_addr___core): the relocations are on ctx loads themselves.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "common.h"

/* x86-64 registers at syscall entry; only the fields read. */
struct pt_regs {
	unsigned long di;      /* first argument */
	unsigned long si;      /* second argument */
	unsigned long orig_ax; /* the syscall number */
} __attribute__((preserve_access_index));

struct sock_common {
	unsigned short skc_family;
	__u16 skc_dport; /* network order */
	__u16 skc_num;   /* host order */
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

/* The UAPI context, as a CO-RE flavor: "___core" is dropped when matching kernel BTF. */
struct bpf_sock_addr___core {
	__u32 user_family;
	__u32 user_ip4;
	__u32 user_port;
} __attribute__((preserve_access_index));

#define STACK_DEPTH 16
#define NR_CONNECT 42 /* x86-64 */
#define NR_BIND 49

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_STACK_BUILD_ID);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, STACK_DEPTH * sizeof(struct bpf_stack_build_id));
} user_stacks SEC(".maps");

/* (syscall number, stack id) -> times seen */
struct call_key {
	__u64 nr;
	__s64 stack_id; /* negative: bpf_get_stackid() failed, e.g. -EFAULT */
	__u64 first_arg;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct call_key);
	__type(value, __u64);
} calls SEC(".maps");

/* (old state << 8 | new state) -> times seen, and the last local port per transition */
struct state_count {
	__u64 count;
	__u32 last_port;
	__u32 last_family;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct state_count);
} transitions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} connects_to_443 SEC(".maps");

static __always_inline void bump(struct call_key *key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&calls, key);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&calls, key, &one, BPF_NOEXIST);
}

SEC("raw_tracepoint/sys_enter")
int trace_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	struct call_key key = {};

	/* orig_ax holds the number too; args[1] is the tracepoint's own copy of it */
	key.nr = BPF_CORE_READ(regs, orig_ax);
	if (key.nr != NR_CONNECT && key.nr != NR_BIND)
		return 0;
	key.first_arg = BPF_CORE_READ(regs, di); /* the socket fd */
	if (BPF_CORE_READ(regs, si) == 0)         /* NULL sockaddr: not interesting */
		return 0;
	key.stack_id = bpf_get_stackid(ctx, &user_stacks, BPF_F_USER_STACK);
	bump(&key);
	return 0;
}

SEC("raw_tp/inet_sock_set_state")
int trace_tcp_state(struct bpf_raw_tracepoint_args *ctx)
{
	const struct sock *sk = (const struct sock *)ctx->args[0];
	__u32 key = (__u32)ctx->args[1] << 8 | (__u32)ctx->args[2];
	struct state_count init = {}, *sc;

	sc = bpf_map_lookup_elem(&transitions, &key);
	if (!sc) {
		bpf_map_update_elem(&transitions, &key, &init, BPF_NOEXIST);
		sc = bpf_map_lookup_elem(&transitions, &key);
		if (!sc)
			return 0;
	}
	__sync_fetch_and_add(&sc->count, 1);
	sc->last_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	sc->last_family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return 0;
}

/* Counts connects to port 443; the ctx field offsets come from CO-RE relocations. */
SEC("cgroup/connect4")
int count_https4(struct bpf_sock_addr___core *ctx)
{
	__u32 zero = 0;
	__u64 *v;

	if (ctx->user_family != AF_INET || ctx->user_port != bpf_htons(443))
		return 1;
	v = bpf_map_lookup_elem(&connects_to_443, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
