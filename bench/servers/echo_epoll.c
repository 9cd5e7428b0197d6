// echo_epoll.c: the C ceiling for the benchmark. One thread, epoll, non-blocking sockets.
//
//   echo_epoll tcp HOST PORT   the same echo as server.ts: a welcome line, then every complete line
//                              (bytes up to "\n") back byte for byte; an unfinished line waits for its
//                              "\n"; a line over 64 KiB gets an error line and the connection closes.
//   echo_epoll udp HOST PORT   every datagram back to its sender, unchanged.
//
// Prints "listening on HOST:PORT" first, like the kit. Built by bench/bench.ts with `cc -O2`.
// Memory per idle connection is a small struct: line tails and unsent bytes get a buffer only while
// they exist, and every read goes through one shared buffer.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LINE (64 * 1024)
#define READ_SIZE (64 * 1024)
static const char WELCOME[] = "welcome: every line you send comes back to you\n";
static char ERROR_LINE[100];

struct conn {
  int fd;
  char *tail; // the start of a line whose "\n" has not arrived yet
  size_t tail_len;
  char *out; // bytes the socket could not take yet: we stop reading until they are sent
  size_t out_len, out_sent;
  int closing; // close once out is sent
  int refused; // sent the error line: read and discard up to 1 MiB, then close
  size_t discarded;
};

static int epfd;
static char shared[MAX_LINE + READ_SIZE]; // every read lands here, after the connection's tail

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void drop(struct conn *c) {
  close(c->fd); // also takes it out of epoll
  free(c->tail);
  free(c->out);
  free(c);
}

static void watch(struct conn *c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

// Write all of bytes, or keep what the socket cannot take now and wait for EPOLLOUT.
// Returns 0 when all was written, 1 when some is kept, -1 when the connection is gone.
static int send_or_keep(struct conn *c, const char *bytes, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(c->fd, bytes + done, len - done);
    if (n > 0) {
      done += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      c->out = malloc(len - done);
      memcpy(c->out, bytes + done, len - done);
      c->out_len = len - done;
      c->out_sent = 0;
      watch(c, EPOLLOUT);
      return 1;
    } else {
      return -1;
    }
  }
  return 0;
}

static void set_tail(struct conn *c, const char *bytes, size_t len) {
  if (len == 0) {
    free(c->tail);
    c->tail = NULL;
  } else {
    c->tail = realloc(c->tail, len);
    memmove(c->tail, bytes, len);
  }
  c->tail_len = len;
}

static void on_readable(struct conn *c) {
  for (;;) {
    size_t tail = c->tail_len; // an unfinished line from earlier reads goes first
    if (tail) memcpy(shared, c->tail, tail);
    ssize_t n = read(c->fd, shared + tail, READ_SIZE);
    if (n < 0 && (errno == EINTR)) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0 || c->refused) {
      if (n <= 0) return drop(c);
      c->discarded += (size_t)n;
      if (c->discarded >= 1024 * 1024) return drop(c);
      continue;
    }
    if (n == 0) { // end of stream: a last piece without "\n" goes back too, then close
      set_tail(c, NULL, 0);
      c->closing = 1;
      if (send_or_keep(c, shared, tail) != 1) drop(c);
      return;
    }
    size_t have = tail + (size_t)n;
    char *first = memchr(shared + tail, '\n', (size_t)n);
    if ((first ? (size_t)(first - shared) : have) > MAX_LINE) {
      c->refused = 1;
      set_tail(c, NULL, 0);
      int kept = send_or_keep(c, ERROR_LINE, strlen(ERROR_LINE));
      if (kept < 0) return drop(c);
      shutdown(c->fd, SHUT_WR);
      if (kept) return;
      continue;
    }
    char *last = memrchr(shared + tail, '\n', (size_t)n);
    size_t out = last ? (size_t)(last - shared) + 1 : 0;
    set_tail(c, shared + out, have - out); // may be empty
    if (out) {
      int kept = send_or_keep(c, shared, out);
      if (kept < 0) return drop(c);
      if (kept) return;
    }
    if ((size_t)n < READ_SIZE) return; // probably drained: epoll says so if more is waiting
  }
}

static void on_writable(struct conn *c) {
  while (c->out_sent < c->out_len) {
    ssize_t n = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
    if (n > 0) c->out_sent += (size_t)n;
    else if (n < 0 && errno == EINTR) continue;
    else if (n < 0 && errno == EAGAIN) return;
    else return drop(c);
  }
  free(c->out);
  c->out = NULL;
  c->out_len = c->out_sent = 0;
  if (c->closing) return drop(c);
  watch(c, EPOLLIN);
  on_readable(c);
}

static int make_socket(int type, const char *host, int port) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "echo_epoll: not an IPv4 address: %s\n", host);
    exit(2);
  }
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  socklen_t len = sizeof addr;
  getsockname(fd, (struct sockaddr *)&addr, &len);
  printf("listening on %s:%d\n", host, ntohs(addr.sin_port));
  fflush(stdout);
  return fd;
}

static void serve_udp(const char *host, int port) {
  int fd = make_socket(SOCK_DGRAM, host, port);
  static char buf[65536];
  for (;;) {
    struct sockaddr_storage from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n < 0) continue;
    sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
  }
}

static void serve_tcp(const char *host, int port) {
  snprintf(ERROR_LINE, sizeof ERROR_LINE, "error: line longer than %d bytes, closing\n", MAX_LINE);
  int lfd = make_socket(SOCK_STREAM, host, port);
  if (listen(lfd, 511) < 0) die("listen");
  fcntl(lfd, F_SETFL, O_NONBLOCK); // accept until "would block", then back to epoll
  epfd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event events[256];
  for (;;) {
    int ready = epoll_wait(epfd, events, 256, -1);
    for (int i = 0; i < ready; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) { // the listening socket: accept everyone who is waiting
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          c = calloc(1, sizeof *c);
          c->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev);
          if (send_or_keep(c, WELCOME, sizeof WELCOME - 1) < 0) drop(c);
        }
      } else if (c->out) {
        on_writable(c);
      } else {
        on_readable(c);
      }
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: echo_epoll tcp|udp HOST PORT\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  if (strcmp(argv[1], "udp") == 0) serve_udp(argv[2], atoi(argv[3]));
  else serve_tcp(argv[2], atoi(argv[3]));
  return 0;
}
