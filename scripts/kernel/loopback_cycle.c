/* The real kernel's loopback TCP cycle, for bench/net: connect + accept + a 100-byte echo +
 * close, on 127.0.0.1, one thread, blocking sockets. Prints JSON:
 * {"cycles": N, "seconds": S, "perCycleNs": X}.
 * Usage: loopback_cycle [CYCLES] [PORT]. The listener uses SO_REUSEADDR on an unusual port;
 * the server side closes first, so TIME_WAIT stays on the listener's port and the client's
 * ephemeral ports are not used up. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "loopback_cycle: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void full_io(int fd, char *buf, size_t n, int writing) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = writing ? write(fd, buf + done, n - done) : read(fd, buf + done, n - done);
    if (r <= 0) die(writing ? "write" : "read");
    done += (size_t)r;
  }
}

int main(int argc, char **argv) {
  long cycles = argc > 1 ? atol(argv[1]) : 20000;
  int port = argc > 2 ? atoi(argv[2]) : 47391;
  int one = 1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket");
  if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("SO_REUSEADDR");
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(lfd, 128) < 0) die("listen");
  char buf[100], back[100];
  memset(buf, 'x', sizeof buf);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < cycles; i++) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0) die("socket");
    if (connect(c, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int s = accept(lfd, NULL, NULL);
    if (s < 0) die("accept");
    full_io(c, buf, sizeof buf, 1);
    full_io(s, back, sizeof back, 0);
    full_io(s, back, sizeof back, 1);
    full_io(c, back, sizeof back, 0);
    close(s);
    close(c);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  close(lfd);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"cycles\": %ld, \"seconds\": %.6f, \"perCycleNs\": %.1f}\n", cycles, secs, secs * 1e9 / (double)cycles);
  return 0;
}
