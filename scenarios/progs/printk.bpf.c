// SPDX-License-Identifier: GPL-2.0
/* printk.bpf.c — printf-style debugging from a hook.
 *
 * Shows:
 *  - bpf_printk() (bpf_trace_printk, helper 6): its format string is a static local that
 *    clang puts in .rodata; libbpf makes that section a read-only array map like any other
 *    global data, but, holding no global a skeleton could reach, not an mmap-able one
 *    (map_flags BPF_F_RDONLY_PROG only);
 *  - cgroup/sock_create on struct bpf_sock: the family, type and protocol of each new
 *    socket, printed to the trace pipe (in bpfsim: the bpf_trace_printk tracepoint and the
 *    scenario timeline).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/sock_create")
int log_sockets(struct bpf_sock *sk)
{
	bpf_printk("socket family=%u type=%u protocol=%u", sk->family, sk->type, sk->protocol);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
