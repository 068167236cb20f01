/*
 * tcp_delayline: an NFQUEUE delay line and packet recorder for scripts/kernel/probe_tcp_wire.py.
 *
 * Run inside the probe's private network namespace, where an iptables (and ip6tables) rule in the
 * raw table's PREROUTING chain sends every TCP packet to queue QUEUE. Each queued packet is
 * timestamped (CLOCK_MONOTONIC, ns) the moment it is read, held for DELAY_NS and then
 * re-injected (NF_ACCEPT), or dropped (NF_DROP) when a drop rule matches it. On loopback every
 * packet passes PREROUTING once, so each packet is delayed once and the RTT is 2 * DELAY_NS.
 *
 * Usage: tcp_delayline QUEUE DELAY_NS SERVER_PORT RULES LOGFILE CPU PRIO
 *   RULES   "-" or a comma list of rules. DIR is c2s (to SERVER_PORT) or s2c (from it); NTH is
 *           1-based among that direction's packets as they reach the queue (dropped and held
 *           ones counted, the copies this program sends not):
 *             DIR:NTH:COUNT          drop COUNT packets of DIR from the NTH on (as drop:...)
 *             drop:DIR:NTH:COUNT     the same
 *             seq:DIR:SEQ:COUNT      drop the first COUNT transmissions of DIR's data segment
 *                                    (payload > 0) whose sequence number, relative to the ISN of
 *                                    DIR's first SYN, is SEQ (1 = the first data byte)
 *             seqin:DIR:SEQ:COUNT    the same for the data segments that carry byte SEQ
 *                                    (relative seq <= SEQ < relative seq + payload)
 *             hold:DIR:NTH:EXTRA_NS  hold the NTH packet EXTRA_NS longer than DELAY_NS (packets
 *                                    queued after it are released first when their time comes)
 *             dup:DIR:NTH:COPIES     release the NTH packet, then send COPIES copies of it right
 *                                    after through a raw socket with SO_MARK DUP_MARK (0x7e1): the
 *                                    namespace lets marked packets past the NFQUEUE rule, so the
 *                                    copies arrive undelayed, just after the original
 *             rand:DIR:PERMILLE:SEED drop DIR's NTH packet when wire_hash(dir, NTH, SEED) % 1000 <
 *                                    PERMILLE (dir 0 = c2s, 1 = s2c; the hash is below, and the
 *                                    same as wireRandomDrop in packages/net/test/tcp-wire-cases.ts)
 *           A packet is dropped when any drop rule (plain, seq, rand) matches it.
 *   CPU     the CPU every thread is pinned to (-1: none); PRIO the SCHED_FIFO priority of the
 *           releasing thread (the receiving thread gets PRIO + 1, so that it timestamps packets
 *           generated while a verdict is being processed at once); 0: no real-time class.
 * Prints "ready" on stdout once the queue is bound. On SIGTERM/SIGINT it writes LOGFILE, one
 * line per packet "T_NS VERDICT LATE_NS HEX" (VERDICT: A accepted, D dropped, H accepted after a
 * hold rule's extra time, C a copy sent by a dup rule at T_NS; LATE_NS: how long after its
 * release time the verdict was sent, -1 when still held, 0 for copies; HEX = the first CAPLEN
 * bytes of the IP packet), then prints "stats received=N released=N copies=N errors=N" and
 * exits; packets still held are then dropped by the kernel when the netlink socket closes.
 *
 * Two threads: the receiver blocks in recv() on the netlink socket and appends each packet to
 * the log and to the release heap (ordered by release time, then arrival); the releaser takes
 * the heap's head once no packet that has yet to arrive could be due before it (its release
 * time is within DELAY_NS of now: any later arrival is released DELAY_NS or more after it
 * arrives), sleeps with clock_nanosleep(TIMER_ABSTIME) until its release time and issues the
 * verdict. While the head is a held packet further off than that, the releaser waits on the
 * receiver's condition variable (each arrival re-examines the head) until DELAY_NS before it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define CAPLEN 160
#define FULLLEN 0xffff
#define QMAXLEN 65536
#define MAXRULES 32
#define DUP_MARK 0x7e1

enum { V_ACCEPT = 'A', V_DROP = 'D', V_HELD = 'H', V_COPY = 'C' };

struct entry {
	uint64_t t_ns;
	uint64_t release_ns;
	uint64_t verdict_ns; /* when the verdict was about to be sent */
	uint32_t id;
	int verdict; /* NF_ACCEPT / NF_DROP */
	char letter; /* the log's verdict letter */
	char done;
	int copies; /* dup rule: copies to send after the verdict */
	int caplen;
	unsigned char bytes[CAPLEN];
	unsigned char *full; /* the whole packet, for copies */
	int fulllen;
};

enum { R_NTH, R_SEQ, R_HOLD, R_DUP, R_RAND };

struct rule {
	int kind;
	int dir; /* 0 c2s, 1 s2c */
	long nth; /* R_NTH, R_HOLD, R_DUP */
	long count; /* R_NTH: packets dropped from nth on; R_SEQ: transmissions dropped; R_DUP: copies */
	uint32_t seq; /* R_SEQ */
	int covers; /* R_SEQ: match a segment carrying byte seq, not only one starting there */
	long matched; /* R_SEQ: transmissions seen so far */
	uint64_t extra_ns; /* R_HOLD */
	long permille; /* R_RAND */
	uint32_t seed; /* R_RAND */
};

static struct mnl_socket *nl;
static unsigned int portid;
static uint32_t queue_num;
static uint64_t delay_ns;
static uint64_t spin_ns = 400000;
static unsigned server_port;
static struct rule rules[MAXRULES];
static int nrules, ndups;
static long dir_count[2];
static uint32_t dir_isn[2];
static int dir_has_isn[2];
static int raw4 = -1, raw6 = -1;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty;
static struct entry *log_entries;
static size_t log_len, log_cap;
static size_t *heap; /* indices into log_entries still to release */
static size_t heap_len, heap_cap;
static size_t received, released, copies_sent;
static long errors;

static void die(const char *what)
{
	fprintf(stderr, "tcp_delayline: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec at(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ull, .tv_nsec = t % 1000000000ull };
	return ts;
}

static void set_rt(int cpu, int prio)
{
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
			fprintf(stderr, "tcp_delayline: cannot pin to CPU %d\n", cpu);
	}
	if (prio > 0) {
		struct sched_param sp = { .sched_priority = prio };
		if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0)
			fprintf(stderr, "tcp_delayline: cannot set SCHED_FIFO %d\n", prio);
	}
}

/*
 * The random-drop hash (also wireRandomDrop in packages/net/test/tcp-wire-cases.ts): the
 * 32-bit key (2 * NTH + dir) XOR (SEED * 0x9e3779b9), through a xor-shift/multiply finaliser
 * (shifts 16, 13, 16; multipliers 0x85ebca6b, 0xc2b2ae35: the shape of MurmurHash3's
 * 32-bit finaliser), all mod 2^32.
 */
static uint32_t wire_hash(int dir, long nth, uint32_t seed)
{
	uint32_t h = ((uint32_t)nth * 2u + (uint32_t)dir) ^ (seed * 0x9e3779b9u);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The TCP header of an IP packet: its offset, or -1 when the bytes do not reach it. */
static int tcp_offset(const unsigned char *p, int len)
{
	if (len < 1)
		return -1;
	int off = (p[0] >> 4) == 4 ? (p[0] & 15) * 4 : 40; /* IPv6 without extension headers */
	return len >= off + 20 ? off : -1;
}

/* Direction of an IP packet by its TCP ports: 0 towards the server port, 1 from it. */
static int direction(const unsigned char *p, int len)
{
	int off = tcp_offset(p, len);
	if (off < 0)
		return 0;
	unsigned sport = (unsigned)p[off] << 8 | p[off + 1];
	unsigned dport = (unsigned)p[off + 2] << 8 | p[off + 3];
	if (dport == server_port)
		return 0;
	if (sport == server_port)
		return 1;
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What the rules say of a packet (the receiver's ordinal counters advance here). */
static void decide(struct entry *e)
{
	const unsigned char *p = e->bytes;
	int dir = direction(p, e->caplen);
	long n = ++dir_count[dir];
	int off = tcp_offset(p, e->caplen);
	int syn = 0, payload = 0;
	uint32_t seq = 0;
	if (off >= 0) {
		int iplen = (p[0] >> 4) == 4 ? (p[2] << 8 | p[3]) - off : (p[4] << 8 | p[5]) - (off - 40);
		payload = iplen - (p[off + 12] >> 4) * 4;
		seq = be32(p + off + 4);
		syn = p[off + 13] & 2;
	}
	if (syn && !dir_has_isn[dir]) {
		dir_isn[dir] = seq;
		dir_has_isn[dir] = 1;
	}
	int drop = 0;
	uint64_t extra = 0;
	int copies = 0;
	for (int i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];
		if (r->dir != dir)
			continue;
		switch (r->kind) {
		case R_NTH:
			if (n >= r->nth && n < r->nth + r->count)
				drop = 1;
			break;
		case R_SEQ: {
			uint32_t rel = seq - dir_isn[dir];
			int hit = r->covers ? r->seq - rel < (uint32_t)payload : rel == r->seq;
			if (payload > 0 && dir_has_isn[dir] && hit && r->matched++ < r->count)
				drop = 1;
			break;
		}
		case R_HOLD:
			if (n == r->nth)
				extra += r->extra_ns;
			break;
		case R_DUP:
			if (n == r->nth)
				copies += (int)r->count;
			break;
		case R_RAND:
			if (wire_hash(dir, n, r->seed) % 1000u < (uint32_t)r->permille)
				drop = 1;
			break;
		}
	}
	e->verdict = drop ? NF_DROP : NF_ACCEPT;
	e->letter = drop ? V_DROP : extra ? V_HELD : V_ACCEPT;
	e->release_ns = e->t_ns + delay_ns + (drop ? 0 : extra);
	e->copies = drop ? 0 : copies;
}

/* The release heap: by release time, then by arrival (index). Called with the lock held. */
static int before(size_t a, size_t b)
{
	uint64_t ra = log_entries[a].release_ns, rb = log_entries[b].release_ns;
	return ra < rb || (ra == rb && a < b);
}

static void heap_push(size_t idx)
{
	if (heap_len == heap_cap) {
		size_t cap = heap_cap ? heap_cap * 2 : 1024;
		size_t *n = realloc(heap, cap * sizeof *n);
		if (!n)
			die("realloc");
		heap = n;
		heap_cap = cap;
	}
	size_t k = heap_len++;
	heap[k] = idx;
	while (k > 0 && before(heap[k], heap[(k - 1) / 2])) {
		size_t up = (k - 1) / 2, t = heap[up];
		heap[up] = heap[k];
		heap[k] = t;
		k = up;
	}
}

static size_t heap_pop(void)
{
	size_t top = heap[0];
	heap[0] = heap[--heap_len];
	for (size_t k = 0;;) {
		size_t l = 2 * k + 1, r = l + 1, m = k;
		if (l < heap_len && before(heap[l], heap[m]))
			m = l;
		if (r < heap_len && before(heap[r], heap[m]))
			m = r;
		if (m == k)
			break;
		size_t t = heap[m];
		heap[m] = heap[k];
		heap[k] = t;
		k = m;
	}
	return top;
}

static int queue_cb(const struct nlmsghdr *nlh, void *data)
{
	uint64_t t = *(uint64_t *)data;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	const unsigned char *payload = NULL;
	int plen = 0;
	if (attr[NFQA_PAYLOAD]) {
		payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		plen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	pthread_mutex_lock(&lock);
	if (log_len == log_cap) {
		size_t cap = log_cap ? log_cap * 2 : 4096;
		struct entry *n = realloc(log_entries, cap * sizeof *n);
		if (!n) {
			pthread_mutex_unlock(&lock);
			die("realloc");
		}
		log_entries = n;
		log_cap = cap;
	}
	struct entry *e = &log_entries[log_len];
	memset(e, 0, sizeof *e);
	e->t_ns = t;
	e->id = ntohl(ph->packet_id);
	e->caplen = plen < CAPLEN ? plen : CAPLEN;
	if (e->caplen > 0)
		memcpy(e->bytes, payload, e->caplen);
	decide(e);
	if (e->copies > 0) {
		e->full = malloc(plen > 0 ? plen : 1);
		if (!e->full)
			die("malloc");
		memcpy(e->full, payload, plen);
		e->fulllen = plen;
	}
	heap_push(log_len);
	log_len++;
	received++;
	pthread_cond_signal(&nonempty);
	pthread_mutex_unlock(&lock);
	return MNL_CB_OK;
}

struct thread_arg {
	int cpu, prio;
};

static void *receiver(void *p)
{
	struct thread_arg *a = p;
	set_rt(a->cpu, a->prio > 0 ? a->prio + 1 : 0);
	size_t sz = FULLLEN + (MNL_SOCKET_BUFFER_SIZE / 2);
	char *buf = malloc(sz);
	if (!buf)
		die("malloc");
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sz);
		uint64_t t = now_ns();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pthread_mutex_lock(&lock);
			errors++; /* ENOBUFS: messages (and so packets) were lost */
			pthread_mutex_unlock(&lock);
			continue;
		}
		if (mnl_cb_run(buf, n, 0, portid, queue_cb, &t) < 0 && errno != EINTR) {
			pthread_mutex_lock(&lock);
			errors++;
			pthread_mutex_unlock(&lock);
		}
	}
	return NULL;
}

static void send_verdict(uint32_t id, int verdict)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue_num);
	nfq_nlmsg_verdict_put(nlh, id, verdict);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		pthread_mutex_lock(&lock);
		errors++;
		pthread_mutex_unlock(&lock);
	}
}

/* The ones' complement sum of 16-bit big-endian words (RFC 1071), not yet folded. */
static uint32_t sum16(const unsigned char *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Sends a copy of a released packet through a raw socket (the whole IP packet as it was
 * queued; the TCP checksum recomputed, as the queued copy of a locally generated packet may
 * carry only the pseudo-header sum). SO_MARK DUP_MARK takes it past the NFQUEUE rule.
 */
static int send_copy(unsigned char *pkt, int len)
{
	int off = tcp_offset(pkt, len);
	if (off < 0)
		return -1;
	int v4 = (pkt[0] >> 4) == 4;
	int seglen = v4 ? (pkt[2] << 8 | pkt[3]) - off : (pkt[4] << 8 | pkt[5]) - (off - 40);
	if (seglen < 20 || off + seglen > len)
		return -1;
	unsigned char *tcp = pkt + off;
	tcp[16] = tcp[17] = 0;
	uint32_t s = 0;
	if (v4) {
		s = sum16(pkt + 12, 8, s); /* source and destination addresses */
		s += 6 + (uint32_t)seglen;
	} else {
		s = sum16(pkt + 8, 32, s);
		s += (uint32_t)seglen >> 16;
		s += (uint32_t)seglen & 0xffff;
		s += 6;
	}
	uint16_t c = fold(sum16(tcp, (size_t)seglen, s));
	tcp[16] = c >> 8;
	tcp[17] = c & 0xff;
	ssize_t r;
	if (v4) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		memcpy(&sa.sin_addr, pkt + 16, 4);
		r = sendto(raw4, pkt, (size_t)(off + seglen), 0, (struct sockaddr *)&sa, sizeof sa);
	} else {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
		memcpy(&sa.sin6_addr, pkt + 24, 16);
		r = sendto(raw6, pkt, (size_t)(off + seglen), 0, (struct sockaddr *)&sa, sizeof sa);
	}
	return r < 0 ? -1 : 0;
}

static void grow_log(void)
{
	if (log_len == log_cap) {
		size_t cap = log_cap ? log_cap * 2 : 4096;
		struct entry *n = realloc(log_entries, cap * sizeof *n);
		if (!n)
			die("realloc");
		log_entries = n;
		log_cap = cap;
	}
}

static void *releaser(void *p)
{
	struct thread_arg *a = p;
	set_rt(a->cpu, a->prio);
	for (;;) {
		pthread_mutex_lock(&lock);
		while (heap_len == 0)
			pthread_cond_wait(&nonempty, &lock);
		uint64_t rel = log_entries[heap[0]].release_ns;
		uint64_t now = now_ns();
		if (rel > now + delay_ns) {
			/* A held packet: one that has not arrived yet may be due before it. Wait for an
			 * arrival, or until none could be. */
			struct timespec ts = at(rel - delay_ns);
			pthread_cond_timedwait(&nonempty, &lock, &ts);
			pthread_mutex_unlock(&lock);
			continue;
		}
		size_t idx = heap_pop();
		uint32_t id = log_entries[idx].id;
		int verdict = log_entries[idx].verdict;
		int copies = log_entries[idx].copies;
		pthread_mutex_unlock(&lock);
		if (rel > spin_ns + now_ns()) {
			struct timespec ts = at(rel - spin_ns);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
		while (now_ns() < rel)
			;
		uint64_t sent = now_ns();
		send_verdict(id, verdict);
		pthread_mutex_lock(&lock);
		log_entries[idx].verdict_ns = sent;
		log_entries[idx].done = 1;
		released++;
		pthread_mutex_unlock(&lock);
		for (int k = 0; k < copies; k++) {
			pthread_mutex_lock(&lock);
			grow_log();
			struct entry *src = &log_entries[idx], *c = &log_entries[log_len];
			*c = *src;
			c->full = NULL;
			c->copies = 0;
			c->letter = V_COPY;
			c->t_ns = now_ns();
			c->release_ns = c->verdict_ns = c->t_ns;
			c->done = 1;
			log_len++;
			unsigned char buf[FULLLEN];
			int len = src->fulllen;
			memcpy(buf, src->full, (size_t)len);
			pthread_mutex_unlock(&lock);
			int rc = send_copy(buf, len);
			pthread_mutex_lock(&lock);
			if (rc < 0)
				errors++;
			else
				copies_sent++;
			pthread_mutex_unlock(&lock);
		}
	}
	return NULL;
}

static int parse_dir(const char *d)
{
	if (!strcmp(d, "c2s"))
		return 0;
	if (!strcmp(d, "s2c"))
		return 1;
	return -1;
}

static void parse_rules(const char *s)
{
	if (!strcmp(s, "-") || !*s)
		return;
	char *copy = strdup(s), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char kind[8], dir[8];
		unsigned long long a, b;
		struct rule r = { 0 };
		int ok = 0;
		if (sscanf(tok, "%7[^:]:%7[^:]:%llu:%llu", kind, dir, &a, &b) == 4) {
			r.dir = parse_dir(dir);
			ok = r.dir >= 0;
			if (!strcmp(kind, "drop")) {
				r.kind = R_NTH, r.nth = (long)a, r.count = (long)b;
			} else if (!strcmp(kind, "seq") || !strcmp(kind, "seqin")) {
				r.kind = R_SEQ, r.seq = (uint32_t)a, r.count = (long)b;
				r.covers = !strcmp(kind, "seqin");
			} else if (!strcmp(kind, "hold")) {
				r.kind = R_HOLD, r.nth = (long)a, r.extra_ns = b;
			} else if (!strcmp(kind, "dup")) {
				r.kind = R_DUP, r.nth = (long)a, r.count = (long)b;
				ndups++;
			} else if (!strcmp(kind, "rand")) {
				r.kind = R_RAND, r.permille = (long)a, r.seed = (uint32_t)b;
			} else {
				ok = 0;
			}
		} else if (sscanf(tok, "%7[^:]:%llu:%llu", dir, &a, &b) == 3) {
			r.kind = R_NTH, r.dir = parse_dir(dir), r.nth = (long)a, r.count = (long)b;
			ok = r.dir >= 0;
		}
		if (!ok || nrules == MAXRULES) {
			fprintf(stderr, "tcp_delayline: bad rule %s\n", tok);
			exit(2);
		}
		rules[nrules++] = r;
	}
	free(copy);
}

static void config(uint8_t cmd_or_params, int is_cmd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
	if (is_cmd) {
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, cmd_or_params);
	} else {
		/* Whole packets only when a dup rule needs them (the log keeps CAPLEN bytes). */
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, ndups ? FULLLEN : CAPLEN);
		nfq_nlmsg_cfg_put_qmaxlen(nlh, QMAXLEN);
	}
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("config send");
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof rbuf);
	if (n < 0)
		die("config recv");
	if (mnl_cb_run(rbuf, n, 0, portid, NULL, NULL) < 0)
		die("config");
}

static int raw_socket(int family)
{
	int fd = socket(family, SOCK_RAW, IPPROTO_RAW); /* IPPROTO_RAW: the header is ours (IP_HDRINCL) */
	if (fd < 0)
		die("raw socket");
	int mark = DUP_MARK;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0)
		die("SO_MARK");
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: %s QUEUE DELAY_NS SERVER_PORT RULES LOGFILE CPU PRIO\n", argv[0]);
		return 2;
	}
	queue_num = (uint32_t)strtoul(argv[1], NULL, 10);
	delay_ns = strtoull(argv[2], NULL, 10);
	server_port = (unsigned)strtoul(argv[3], NULL, 10);
	parse_rules(argv[4]);
	const char *logfile = argv[5];
	struct thread_arg targ = { .cpu = atoi(argv[6]), .prio = atoi(argv[7]) };
	if (getenv("DELAYLINE_SPIN_NS"))
		spin_ns = strtoull(getenv("DELAYLINE_SPIN_NS"), NULL, 10);
	if (ndups) {
		raw4 = raw_socket(AF_INET);
		raw6 = raw_socket(AF_INET6);
	}

	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		fprintf(stderr, "tcp_delayline: mlockall failed (continuing)\n");

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&nonempty, &ca);

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		die("mnl_socket_open");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("mnl_socket_bind");
	portid = mnl_socket_get_portid(nl);
	int rcvbuf = 32 << 20;
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

	config(NFQNL_CFG_CMD_BIND, 1);
	config(0, 0);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	pthread_t rt, lt;
	if (pthread_create(&rt, NULL, receiver, &targ) || pthread_create(&lt, NULL, releaser, &targ))
		die("pthread_create");
	printf("ready\n");
	fflush(stdout);

	int sig;
	sigwait(&set, &sig);

	pthread_mutex_lock(&lock);
	FILE *f = fopen(logfile, "w");
	if (!f)
		die("fopen log");
	for (size_t i = 0; i < log_len; i++) {
		struct entry *e = &log_entries[i];
		long long late = e->done ? (long long)(e->verdict_ns - e->release_ns) : -1;
		fprintf(f, "%llu %c %lld ", (unsigned long long)e->t_ns, e->letter, late);
		for (int j = 0; j < e->caplen; j++)
			fprintf(f, "%02x", e->bytes[j]);
		fputc('\n', f);
	}
	fclose(f);
	printf("stats received=%zu released=%zu copies=%zu errors=%ld\n", received, released, copies_sent, errors);
	fflush(stdout);
	_exit(0);
}
