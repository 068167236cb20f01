/* common.h — small definitions shared by the example programs in this directory.
 *
 * The BPF target has no libc, so the few socket constants the programs need are
 * spelled out here instead of pulling in <sys/socket.h> (which drags in glibc's
 * per-architecture headers). Values are Linux's, from include/linux/socket.h.
 */
#ifndef BPFSIM_PROGS_COMMON_H
#define BPFSIM_PROGS_COMMON_H

#define AF_INET 2
#define AF_INET6 10

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3

/* errno values a program may compare a helper's result with */
#define EINVAL 22

/* cgroup/sock_addr and cgroup/sock verdicts: 1 lets the call go on, 0 fails it (EPERM) */
#define ALLOW 1
#define DENY 0

#endif
