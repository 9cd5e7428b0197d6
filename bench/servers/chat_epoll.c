// chat_epoll.c: the C ceiling for the chat measures. One thread, epoll, non-blocking sockets.
//
//   chat_epoll HOST PORT   the kit's chat room: a welcome line, joins and leaves announced to the
//                          others, "/name NAME", each line to every other member as "NAME: line",
//                          and a member with more than 256 KiB waiting to be written is dropped.
//
// Prints "listening on HOST:PORT" first, like the kit. Built by bench/bench.ts with `cc -O2`. It
// works on bytes: control bytes (and the two-byte C1 controls) are taken out, but invalid UTF-8 is
// passed on as it is. A line over 64 KiB gets an error line and the connection closes.
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
#define MAX_BEHIND (256 * 1024)
#define READ_SIZE (64 * 1024)

struct member {
  int fd, gone;
  char name[140]; // at most 32 UTF-8 characters, or the address
  char *tail;     // the start of a line whose "\n" has not arrived yet
  size_t tail_len;
  char *out; // bytes the socket could not take yet, written when it says EPOLLOUT
  size_t out_len, out_sent;
  struct member *prev, *next; // the room, in the order of joining
};

static int epfd, online;
static struct member *first, *last, *graveyard[4096]; // gone members, freed after each epoll round
static int buried;
static char in[MAX_LINE + READ_SIZE], text[MAX_LINE + 256];

static void leave(struct member *m, const char *why);

static void post(struct member *m, const char *bytes, size_t len) {
  if (m->gone) return;
  size_t done = 0;
  if (m->out_len == m->out_sent) { // nothing waiting: straight to the socket
    ssize_t n = write(m->fd, bytes, len);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return leave(m, "left");
    done = n > 0 ? (size_t)n : 0;
    if (done == len) return;
  }
  size_t waiting = m->out_len - m->out_sent;
  if (waiting + len - done > MAX_BEHIND) return leave(m, "was disconnected: too far behind");
  if (m->out_sent > 0) { // move what is left of the outbox to its front
    memmove(m->out, m->out + m->out_sent, waiting);
    m->out_len = waiting, m->out_sent = 0;
  }
  m->out = realloc(m->out, waiting + len - done);
  memcpy(m->out + waiting, bytes + done, len - done);
  m->out_len = waiting + len - done;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = m};
  epoll_ctl(epfd, EPOLL_CTL_MOD, m->fd, &ev);
}

static void announce(struct member *from, const char *bytes, size_t len) {
  for (struct member *m = first; m; m = m->next)
    if (m != from) post(m, bytes, len);
}

static void leave(struct member *m, const char *why) {
  if (m->gone) return;
  m->gone = 1;
  close(m->fd); // also takes it out of epoll
  *(m->prev ? &m->prev->next : &first) = m->next;
  *(m->next ? &m->next->prev : &last) = m->prev;
  online--;
  if (buried < 4096) graveyard[buried++] = m; // freed after this epoll round (else: leaked)
  char notice[256]; // its own buffer: this may run in the middle of announcing `text`
  int n = snprintf(notice, sizeof notice, "* %s %s (%d online)\n", m->name, why, online);
  announce(m, notice, (size_t)n);
}

// One complete line without its "\n": control bytes out, then "/name NAME" or "NAME: line".
static void say(struct member *m, const char *line, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)line[i];
    if (c < 32 || c == 127) continue;
    if (c == 0xc2 && i + 1 < len && (unsigned char)line[i + 1] >= 0x80 && (unsigned char)line[i + 1] < 0xa0) {
      i++; // U+0080..U+009F
      continue;
    }
    in[n++] = (char)c; // the line was read into `in` too, always at or after i: safe to copy down
  }
  if (n > 6 && !memcmp(in, "/name", 5) && (in[5] == ' ' || in[5] == '\t')) {
    size_t at = 5, end = n, chars = 0, cut;
    while (at < n && (in[at] == ' ' || in[at] == '\t')) at++;
    while (end > at && (in[end - 1] == ' ' || in[end - 1] == '\t')) end--;
    if (at < end) {
      for (cut = at; cut < end; cut++) // keep 32 characters: count the bytes that start one
        if (((unsigned char)in[cut] & 0xc0) != 0x80 && ++chars > 32) break;
      int k = snprintf(text, sizeof text, "* %s is now %.*s\n", m->name, (int)(cut - at), in + at);
      announce(m, text, (size_t)k);
      snprintf(m->name, sizeof m->name, "%.*s", (int)(cut - at), in + at);
      return;
    }
  }
  int k = snprintf(text, sizeof text, "%s: %.*s\n", m->name, (int)n, in);
  announce(m, text, (size_t)k);
}

static void on_readable(struct member *m) {
  for (;;) {
    size_t tail = m->tail_len; // an unfinished line from earlier reads goes first
    if (tail) memcpy(in, m->tail, tail);
    ssize_t n = read(m->fd, in + tail, READ_SIZE);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      if (n == 0 && tail) say(m, in, tail); // a last piece without "\n" counts too
      return leave(m, "left");
    }
    size_t have = tail + (size_t)n, start = 0;
    char *nl = memchr(in + tail, '\n', (size_t)n);
    if ((nl ? (size_t)(nl - in) : have) > MAX_LINE) {
      static const char error[] = "error: line longer than 65536 bytes, closing\n";
      if (write(m->fd, error, sizeof error - 1) < 0) { /* it is closing anyway */ }
      return leave(m, "left");
    }
    for (; nl; nl = memchr(in + start, '\n', have - start)) {
      size_t end = (size_t)(nl - in);
      say(m, in + start, end - start);
      if (m->gone) return;
      start = end + 1;
    }
    m->tail_len = have - start; // may be empty
    if (m->tail_len) m->tail = realloc(m->tail, m->tail_len), memcpy(m->tail, in + start, m->tail_len);
    if ((size_t)n < READ_SIZE) return; // probably drained: epoll says so if more is waiting
  }
}

static void on_writable(struct member *m) {
  while (m->out_sent < m->out_len) {
    ssize_t n = write(m->fd, m->out + m->out_sent, m->out_len - m->out_sent);
    if (n > 0) m->out_sent += (size_t)n;
    else if (n < 0 && errno == EINTR) continue;
    else if (n < 0 && errno == EAGAIN) return;
    else return leave(m, "left");
  }
  m->out_len = m->out_sent = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = m};
  epoll_ctl(epfd, EPOLL_CTL_MOD, m->fd, &ev);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: chat_epoll HOST PORT\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "chat_epoll: not an IPv4 address: %s\n", argv[1]);
    return 2;
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = sizeof addr;
  if (bind(lfd, (struct sockaddr *)&addr, len) < 0 || listen(lfd, 511) < 0) {
    perror("chat_epoll: listen");
    return 1;
  }
  getsockname(lfd, (struct sockaddr *)&addr, &len);
  printf("listening on %s:%d\n", argv[1], ntohs(addr.sin_port));
  fflush(stdout);
  epfd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, events[256];
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
  for (;;) {
    int ready = epoll_wait(epfd, events, 256, -1);
    for (int i = 0; i < ready; i++) {
      struct member *m = events[i].data.ptr;
      if (m == NULL) { // the listening socket: accept everyone who is waiting
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int fd;
        while ((fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK)) >= 0) {
          m = calloc(1, sizeof *m);
          m->fd = fd;
          char ip[INET_ADDRSTRLEN];
          inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
          snprintf(m->name, sizeof m->name, "%s:%d", ip, ntohs(peer.sin_port));
          *(last ? &last->next : &first) = m; // joins the room at its end
          m->prev = last, last = m, online++;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = m};
          epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev);
          int k = snprintf(text, sizeof text,
                           "welcome to the chat, %s: %d online\n", m->name,
                           online);
          post(m, text, (size_t)k);
          k = snprintf(text, sizeof text, "* %s joined (%d online)\n", m->name, online);
          announce(m, text, (size_t)k);
          plen = sizeof peer;
        }
      } else if (!m->gone) {
        if (events[i].events & EPOLLOUT) on_writable(m);
        if (!m->gone && events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(m);
      }
    }
    for (; buried > 0; buried--) {
      struct member *m = graveyard[buried - 1];
      free(m->tail), free(m->out), free(m);
    }
  }
}
