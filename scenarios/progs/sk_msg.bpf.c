// SPDX-License-Identifier: GPL-2.0
/* sk_msg.bpf.c — a loopback shortcut and a message policy with SOCKHASH and SK_MSG.
 *
 * A sockops program puts every established IPv4 TCP socket into a SOCKHASH keyed by its
 * 4-tuple. An sk_msg program attached to that map (BPF_SK_MSG_VERDICT) then runs for
 * each sendmsg()/sendfile() on those sockets, before any TCP segment is built: it can
 * pass the data, drop it, hold it until more arrives, or hand it straight to the peer
 * socket's receive queue (BPF_F_INGRESS), skipping the whole TCP/IP path.
 *
 * Shows:
 *  - a BTF-defined SOCKHASH (key: struct, value: __u32 — the socket, as an fd from user
 *    space) and a SOCKMAP (key and value __u32), declared with key_size/value_size;
 *  - sockops: bpf_sock_hash_update() on ACTIVE/PASSIVE_ESTABLISHED callbacks;
 *  - sk_msg: bpf_msg_pull_data() to make bytes readable between data and data_end,
 *    bpf_msg_cork_bytes(), bpf_msg_apply_bytes(), bpf_msg_redirect_hash() and
 *    bpf_msg_redirect_map().
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

/* The 4-tuple, ports in host byte order. */
struct sock_key {
	__u32 local_ip4;
	__u32 remote_ip4;
	__u32 local_port;
	__u32 remote_port;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(struct sock_key));
	__uint(value_size, sizeof(__u32));
} sock_hash SEC(".maps");

/* slot 0: the socket every message of msg_to_slot0's sockets goes out on */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} sock_slots SEC(".maps");

/* A 4-byte tag at the start of a message, as it reads in a little-endian word. */
#define TAG(a, b, c, d) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)

/* remote_port in sock_ops and sk_msg_md is the network-order port in the upper 16 bits
 * of a little-endian word, so bpf_ntohl() makes it a host-order number. */
SEC("sockops")
int sockops_insert(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};

	if (skops->family != AF_INET)
		return 1;

	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:  /* connect() completed */
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB: /* accept() side completed */
		key.local_ip4 = skops->local_ip4;
		key.remote_ip4 = skops->remote_ip4;
		key.local_port = skops->local_port;
		key.remote_port = bpf_ntohl(skops->remote_port);
		bpf_sock_hash_update(skops, &sock_hash, &key, BPF_NOEXIST);
		break;
	}
	return 1;
}

SEC("sk_msg")
int msg_shortcut(struct sk_msg_md *msg)
{
	struct sock_key peer = {};
	void *data, *data_end;
	__u32 tag;

	/* Only the first scatterlist element is directly readable; make sure the first
	 * 4 bytes are in it. Messages shorter than that just pass. */
	if (msg->size < 4 || bpf_msg_pull_data(msg, 0, 4, 0))
		return SK_PASS;
	data = msg->data;
	data_end = msg->data_end;
	if (data + 4 > data_end)
		return SK_PASS;
	tag = *(__u32 *)data;

	if (tag == TAG('D', 'R', 'O', 'P'))
		return SK_DROP; /* sendmsg() fails with EACCES */
	if (tag == TAG('C', 'O', 'R', 'K')) {
		/* hold the data until 64 bytes are queued, then run again on all of them */
		bpf_msg_cork_bytes(msg, 64);
		return SK_PASS;
	}

	/* This verdict covers the next 4 KiB; the program will not run again before. */
	bpf_msg_apply_bytes(msg, 4096);

	/* The peer socket on this host has the mirror-image 4-tuple. */
	peer.local_ip4 = msg->remote_ip4;
	peer.remote_ip4 = msg->local_ip4;
	peer.local_port = bpf_ntohl(msg->remote_port);
	peer.remote_port = msg->local_port;
	/* SK_PASS when the peer is in the map, otherwise SK_DROP */
	return bpf_msg_redirect_hash(msg, &sock_hash, &peer, BPF_F_INGRESS);
}

/* Every message goes out through the socket in slot 0 (egress: no BPF_F_INGRESS). */
SEC("sk_msg")
int msg_to_slot0(struct sk_msg_md *msg)
{
	return bpf_msg_redirect_map(msg, &sock_slots, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
