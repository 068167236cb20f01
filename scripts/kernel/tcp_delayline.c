/*
 * tcp_delayline: an NFQUEUE delay line and packet recorder for scripts/kernel/probe_tcp_wire.py.
 *
 * Run inside the probe's private network namespace, where an iptables (and ip6tables) rule in the
 * raw table's PREROUTING chain sends every TCP packet to queue QUEUE. Each queued packet is
 * timestamped (CLOCK_MONOTONIC, ns) the moment it is read, held for DELAY_NS and then
 * re-injected (NF_ACCEPT), or dropped (NF_DROP) when a drop rule matches it. On loopback every
 * packet passes PREROUTING once, so each packet is delayed once and the RTT is 2 * DELAY_NS.
 *
 * Usage: tcp_delayline QUEUE DELAY_NS SERVER_PORT DROPS LOGFILE CPU PRIO
 *   DROPS   "-" or a comma list of DIR:NTH:COUNT (DIR c2s = to SERVER_PORT, s2c = from it;
 *           NTH 1-based among that direction's packets, dropped ones counted; COUNT packets
 *           from there on are dropped).
 *   CPU     the CPU every thread is pinned to (-1: none); PRIO the SCHED_FIFO priority of the
 *           releasing thread (the receiving thread gets PRIO + 1, so that it timestamps packets
 *           generated while a verdict is being processed at once); 0: no real-time class.
 * Prints "ready" on stdout once the queue is bound. On SIGTERM/SIGINT it writes LOGFILE, one
 * line per packet "T_NS VERDICT(A|D) LATE_NS HEX" (LATE_NS: how long after its release time the
 * verdict was sent, -1 when still held; HEX = the first CAPLEN bytes of the IP packet), then
 * prints "stats received=N released=N errors=N" and exits; packets still held are then dropped
 * by the kernel when the netlink socket closes.
 *
 * Two threads: the receiver blocks in recv() on the netlink socket and appends each packet to a
 * FIFO; the releaser sleeps with clock_nanosleep(TIMER_ABSTIME) until the release time of the
 * FIFO's head and issues its verdict. The delay is the same for every packet, so release times
 * never decrease along the FIFO.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
#define QMAXLEN 65536
#define MAXDROPS 32

struct entry {
	uint64_t t_ns;
	uint64_t release_ns;
	uint64_t verdict_ns; /* when the verdict was about to be sent */
	uint32_t id;
	int verdict;
	int caplen;
	unsigned char bytes[CAPLEN];
};

struct droprule {
	int dir; /* 0 c2s, 1 s2c */
	long nth;
	long count;
};

static struct mnl_socket *nl;
static unsigned int portid;
static uint32_t queue_num;
static uint64_t delay_ns;
static uint64_t spin_ns = 400000;
static unsigned server_port;
static struct droprule drops[MAXDROPS];
static int ndrops;
static long dir_count[2];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty;
static struct entry *log_entries;
static size_t log_len, log_cap;
static size_t released; /* index of the FIFO's head in log_entries */
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

/* Direction of an IP packet by its TCP ports: 0 towards the server port, 1 from it. */
static int direction(const unsigned char *p, int len)
{
	int off;
	if (len < 1)
		return 0;
	if ((p[0] >> 4) == 4) {
		off = (p[0] & 15) * 4;
	} else {
		off = 40; /* IPv6 without extension headers: TCP follows the fixed header */
	}
	if (len < off + 4)
		return 0;
	unsigned sport = (unsigned)p[off] << 8 | p[off + 1];
	unsigned dport = (unsigned)p[off + 2] << 8 | p[off + 3];
	if (dport == server_port)
		return 0;
	if (sport == server_port)
		return 1;
	return 0;
}

static int decide(int dir)
{
	long n = ++dir_count[dir];
	for (int i = 0; i < ndrops; i++)
		if (drops[i].dir == dir && n >= drops[i].nth && n < drops[i].nth + drops[i].count)
			return NF_DROP;
	return NF_ACCEPT;
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
	e->t_ns = t;
	e->release_ns = t + delay_ns;
	e->id = ntohl(ph->packet_id);
	e->caplen = plen < CAPLEN ? plen : CAPLEN;
	if (e->caplen > 0)
		memcpy(e->bytes, payload, e->caplen);
	e->verdict = decide(direction(e->bytes, e->caplen));
	log_len++;
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
	size_t sz = 0xffff + (MNL_SOCKET_BUFFER_SIZE / 2);
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

static void *releaser(void *p)
{
	struct thread_arg *a = p;
	set_rt(a->cpu, a->prio);
	for (;;) {
		pthread_mutex_lock(&lock);
		while (released == log_len)
			pthread_cond_wait(&nonempty, &lock);
		uint64_t rel = log_entries[released].release_ns;
		uint32_t id = log_entries[released].id;
		int verdict = log_entries[released].verdict;
		pthread_mutex_unlock(&lock);
		if (rel > spin_ns + now_ns()) {
			uint64_t wake = rel - spin_ns;
			struct timespec ts = { .tv_sec = wake / 1000000000ull, .tv_nsec = wake % 1000000000ull };
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
		while (now_ns() < rel)
			;
		uint64_t sent = now_ns();
		send_verdict(id, verdict);
		pthread_mutex_lock(&lock);
		log_entries[released].verdict_ns = sent;
		released++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void parse_drops(const char *s)
{
	if (!strcmp(s, "-") || !*s)
		return;
	char *copy = strdup(s), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char dir[8];
		long nth, count;
		if (ndrops == MAXDROPS || sscanf(tok, "%7[^:]:%ld:%ld", dir, &nth, &count) != 3) {
			fprintf(stderr, "tcp_delayline: bad drop rule %s\n", tok);
			exit(2);
		}
		drops[ndrops].dir = !strcmp(dir, "s2c");
		drops[ndrops].nth = nth;
		drops[ndrops].count = count;
		ndrops++;
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
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, CAPLEN);
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

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: %s QUEUE DELAY_NS SERVER_PORT DROPS LOGFILE CPU PRIO\n", argv[0]);
		return 2;
	}
	queue_num = (uint32_t)strtoul(argv[1], NULL, 10);
	delay_ns = strtoull(argv[2], NULL, 10);
	server_port = (unsigned)strtoul(argv[3], NULL, 10);
	parse_drops(argv[4]);
	const char *logfile = argv[5];
	struct thread_arg targ = { .cpu = atoi(argv[6]), .prio = atoi(argv[7]) };
	if (getenv("DELAYLINE_SPIN_NS"))
		spin_ns = strtoull(getenv("DELAYLINE_SPIN_NS"), NULL, 10);

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
		long long late = i < released ? (long long)(e->verdict_ns - e->release_ns) : -1;
		fprintf(f, "%llu %c %lld ", (unsigned long long)e->t_ns, e->verdict == NF_DROP ? 'D' : 'A', late);
		for (int j = 0; j < e->caplen; j++)
			fprintf(f, "%02x", e->bytes[j]);
		fputc('\n', f);
	}
	fclose(f);
	printf("stats received=%zu released=%zu errors=%ld\n", log_len, released, errors);
	fflush(stdout);
	_exit(0);
}
