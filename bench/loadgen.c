// loadgen.c: the benchmark's load generator. One thread, epoll, non-blocking sockets, IPv4 only.
// Built by bench/bench.ts with `cc -O2`; prints one JSON object on stdout and exits.
//
//   loadgen bulk     --port P [--bytes N] [--line L] [--timeout S]
//       one connection streams N bytes of L-byte lines through the echo and reads them back
//   loadgen pingpong --port P [--conns C] [--size B] [--warmup S] [--duration S]
//       C connections, each with one B-byte line in flight; messages/s and latency
//   loadgen connrate --port P [--conc K] [--size B] [--duration S] [--max N]
//       K clients at a time: connect, read the welcome line, send one line, read it back, close
//   loadgen idle     --port P [--conns N] [--pid PID] [--hold S] [--batch B] [--timeout S]
//       hold N connections open (each has read its welcome line), sample the server's RSS
//   loadgen udp      --port P [--clients K] [--size B] [--warmup S] [--duration S]
//       K UDP clients, each with one B-byte datagram in flight; datagrams/s and latency
//   loadgen chat     --port P [--members M] [--senders S] [--rate R] [--inflight K] [--size B]
//                    [--warmup S] [--duration S] [--timeout S]
//       M chat members read everything; S of them send B-byte lines at R lines/s in all, or with
//       R = 0 as fast as the room takes them (at most K lines of each sender in flight); lines
//       delivered per second and the latency from sending a line to the last member having it
//
// With --pid PID (the server) and --server-cpu N (the CPU it is pinned to), the output also says
// what share of a core the server and the generator used, and what other processes took of CPU N.
//
// Every TCP server is expected to send one welcome line ending in "\n" first. Every echoed byte is
// checked against what was sent (every relayed chat line too): a server that corrupts, loses or
// reorders data fails the run.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host = "127.0.0.1";
static int port = 0;
static struct sockaddr_in server;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fail(const char *what) {
  printf("{\"error\": \"%s: %s\"}\n", what, strerror(errno));
  exit(1);
}

static void fail_msg(const char *what) {
  printf("{\"error\": \"%s\"}\n", what);
  exit(1);
}

// CPU time used by this process: shows whether the generator itself was near its limit.
static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
         ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e-6;
}

// CPU time used so far by the server under test (all its threads), from /proc; -1 if unknown.
static int server_pid = 0;
static double server_cpu_seconds(void) {
  if (server_pid <= 0) return -1;
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  char *p = strrchr(text, ')'); // the command name may hold spaces; fields follow the last ")"
  unsigned long utime = 0, stime = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

// CPU time spent so far on one CPU by processes, and taken by the VM's host ("steal"), from
// /proc/stat, in seconds; -1 if unknown.
static int server_cpu_number = 0;
static double cpu_busy_seconds(int cpu) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return -1;
  char line[512], name[16];
  snprintf(name, sizeof name, "cpu%d ", cpu);
  double busy = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
    if (strncmp(line, name, strlen(name)) == 0 &&
        sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait,
               &irq, &softirq, &steal) == 8) {
      (void)irq, (void)softirq; // interrupt work is mostly our own traffic: not counted as others'
      busy = (double)(user + nice + system + steal) / (double)sysconf(_SC_CLK_TCK);
      break;
    }
  }
  fclose(f);
  return busy;
}

// The share of one core each side used over `seconds` ("gen_cpu", "server_cpu"), and the share of
// the server's CPU and of ours that other processes took meanwhile ("others_cpu", "others_gen_cpu"):
// the machine is shared.
static char cpu_json[200];
static double gen_cpu0, server_cpu0, busy0, gen_busy0;
static int gen_cpu_number;
static void cpu_start(void) {
  gen_cpu_number = sched_getcpu(); // the harness pins us to one CPU
  gen_cpu0 = cpu_seconds();
  server_cpu0 = server_cpu_seconds();
  busy0 = cpu_busy_seconds(server_cpu_number);
  gen_busy0 = cpu_busy_seconds(gen_cpu_number);
}
static double share(double x) { // /proc counts in ticks of 10 ms: short windows are rough
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
static const char *cpu_end(double seconds) {
  double gen = (cpu_seconds() - gen_cpu0) / seconds;
  double server = server_cpu0 < 0 ? -1 : (server_cpu_seconds() - server_cpu0) / seconds;
  double busy = busy0 < 0 ? -1 : (cpu_busy_seconds(server_cpu_number) - busy0) / seconds;
  double gen_busy = gen_busy0 < 0 ? -1 : (cpu_busy_seconds(gen_cpu_number) - gen_busy0) / seconds;
  double others = server < 0 || busy < 0 ? 0 : share(busy - server);
  double gen_others = gen_busy < 0 ? 0 : share(gen_busy - gen);
  snprintf(cpu_json, sizeof cpu_json,
           "\"gen_cpu\": %.3f, \"server_cpu\": %.3f, \"others_cpu\": %.3f, \"others_gen_cpu\": %.3f", gen, server,
           others, gen_others);
  return cpu_json;
}

// A latency histogram: 32 buckets per power of two of nanoseconds (about 3% resolution).
#define HIST_SIZE 2048
static uint64_t hist[HIST_SIZE];
static uint64_t hist_count;

static void record(double seconds) {
  uint64_t v = (uint64_t)(seconds * 1e9);
  int index;
  if (v < 32) {
    index = (int)v;
  } else {
    int e = 63 - __builtin_clzll(v);
    index = (e - 4) * 32 + (int)((v >> (e - 5)) & 31);
  }
  if (index >= HIST_SIZE) index = HIST_SIZE - 1;
  hist[index]++;
  hist_count++;
}

static double percentile_us(double p) {
  if (hist_count == 0) return 0;
  uint64_t wanted = (uint64_t)(p * (double)hist_count);
  if (wanted >= hist_count) wanted = hist_count - 1;
  uint64_t seen = 0;
  for (int i = 0; i < HIST_SIZE; i++) {
    seen += hist[i];
    if (seen > wanted) {
      if (i < 32) return i / 1000.0;
      int e = i / 32 + 4, sub = i % 32;
      double low = (double)((uint64_t)(32 + sub) << (e - 5));
      double width = (double)(1ULL << (e - 5));
      return (low + width / 2) / 1000.0; // middle of the bucket
    }
  }
  return 0;
}

static void nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A blocking connect that also reads the welcome line; returns the socket, non-blocking.
static int connect_and_greet(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0) fail("connect");
  char c;
  for (;;) { // byte by byte: nothing but the welcome line may arrive before we send
    ssize_t n = read(fd, &c, 1);
    if (n == 1 && c == '\n') break;
    if (n == 0) fail_msg("server closed before its welcome line");
    if (n < 0 && errno != EINTR) fail("read welcome");
  }
  nonblocking(fd);
  nodelay(fd);
  return fd;
}

// Bytes for line-based measures: `size - 1` letters then "\n".
static void fill_line(char *line, size_t size, unsigned seed) {
  for (size_t i = 0; i + 1 < size; i++) line[i] = (char)('a' + (seed + i) % 26);
  line[size - 1] = '\n';
}

// ---- bulk -----------------------------------------------------------------------------------

static int bulk(long long total, int line, double timeout) {
  size_t period = (size_t)line * (256 * 1024 / (size_t)line); // whole lines, about 256 KiB
  char *pattern = malloc(period);
  for (size_t at = 0; at < period; at += (size_t)line) fill_line(pattern + at, (size_t)line, (unsigned)(at / line));
  if (total % line) total -= total % line; // whole lines only, so everything comes back
  static char in[256 * 1024];
  int fd = connect_and_greet();
  int epfd = epoll_create1(0);
  struct epoll_event first = {.events = EPOLLIN};
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &first);
  long long sent = 0, received = 0;
  cpu_start();
  double start = now(), deadline = start + timeout;
  int timed_out = 0;
  while (received < total) {
    int progress = 0;
    while (sent < total) {
      size_t at = (size_t)(sent % (long long)period);
      size_t len = period - at;
      if ((long long)len > total - sent) len = (size_t)(total - sent);
      ssize_t n = write(fd, pattern + at, len);
      if (n > 0) {
        sent += n;
        progress = 1;
        if ((size_t)n < len) break;
      } else if (n < 0 && errno == EAGAIN) {
        break;
      } else if (n < 0 && errno != EINTR) {
        fail("write");
      }
    }
    for (;;) {
      ssize_t n = read(fd, in, sizeof in);
      if (n > 0) { // check it: the echo must be exactly what we sent, in order
        size_t off = 0;
        while (off < (size_t)n) {
          size_t at = (size_t)((received + (long long)off) % (long long)period);
          size_t len = period - at;
          if (len > (size_t)n - off) len = (size_t)n - off;
          if (memcmp(in + off, pattern + at, len) != 0) fail_msg("bulk: echoed bytes differ from those sent");
          off += len;
        }
        received += n;
        progress = 1;
        if (n < (ssize_t)sizeof in) break;
      } else if (n == 0) {
        fail_msg("bulk: server closed early");
      } else if (errno == EAGAIN) {
        break;
      } else if (errno != EINTR) {
        fail("read");
      }
    }
    if (received >= total) break;
    if (now() > deadline) {
      timed_out = 1;
      break;
    }
    if (!progress) { // wait until the socket is readable or (while sending) writable
      struct epoll_event ev = {.events = EPOLLIN | (sent < total ? EPOLLOUT : 0)}, got;
      epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
      epoll_wait(epfd, &got, 1, 100);
    }
  }
  double seconds = now() - start;
  const char *cpu = cpu_end(seconds);
  close(fd);
  printf("{\"bytes\": %lld, \"seconds\": %.6f, \"mb_per_s\": %.2f, \"line\": %d, \"timed_out\": %s, %s}\n", received,
         seconds, (double)received / seconds / 1e6, line, timed_out ? "true" : "false", cpu);
  return 0;
}

// ---- ping-pong --------------------------------------------------------------------------------

struct pp {
  int fd;
  size_t got;
  double sent_at;
  int waiting;
};

static int pingpong(int conns, int size, double warmup, double duration) {
  char *line = malloc((size_t)size), *in = malloc((size_t)size);
  fill_line(line, (size_t)size, 0);
  struct pp *c = calloc((size_t)conns, sizeof *c);
  int epfd = epoll_create1(0);
  for (int i = 0; i < conns; i++) {
    c[i].fd = connect_and_greet();
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c[i].fd, &ev);
  }
  double start = now(), measure_from = start + warmup, end = measure_from + duration;
  int measuring = 0, measured = 0;
  const char *cpu = "";
  long long count = 0;
  for (int i = 0; i < conns; i++) {
    c[i].sent_at = now();
    if (write(c[i].fd, line, (size_t)size) != size) fail("write");
    c[i].waiting = 1;
  }
  int outstanding = conns;
  struct epoll_event events[256];
  double drain_until = end + 2.0;
  while (outstanding > 0) {
    double t = now();
    if (!measuring && t >= measure_from) {
      measuring = 1;
      cpu_start();
    }
    if (!measured && t >= end) {
      measured = 1;
      cpu = cpu_end(t - measure_from);
    }
    if (t > drain_until) fail_msg("pingpong: replies stopped coming");
    int ready = epoll_wait(epfd, events, 256, 100);
    if (ready < 0 && errno != EINTR) fail("epoll_wait");
    for (int k = 0; k < ready; k++) {
      struct pp *p = &c[events[k].data.u32];
      for (;;) {
        ssize_t n = read(p->fd, in + p->got, (size_t)size - p->got);
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_msg("pingpong: server closed or reset a connection");
        if (!p->waiting) fail_msg("pingpong: bytes arrived that were not sent");
        if (memcmp(in + p->got, line + p->got, (size_t)n) != 0) fail_msg("pingpong: echo differs");
        p->got += (size_t)n;
        if (p->got < (size_t)size) continue;
        double done = now();
        p->got = 0;
        p->waiting = 0;
        if (done >= measure_from && done < end) {
          record(done - p->sent_at);
          count++;
        }
        if (done < end) {
          p->sent_at = done;
          if (write(p->fd, line, (size_t)size) != size) fail("write");
          p->waiting = 1;
        } else {
          outstanding--;
        }
        break;
      }
    }
  }
  if (!measured) cpu = cpu_end(now() - measure_from);
  for (int i = 0; i < conns; i++) close(c[i].fd);
  printf("{\"conns\": %d, \"size\": %d, \"messages\": %lld, \"seconds\": %.3f, \"msgs_per_s\": %.1f, "
         "\"p50_us\": %.2f, \"p99_us\": %.2f, %s}\n",
         conns, size, count, duration, (double)count / duration, percentile_us(0.5), percentile_us(0.99), cpu);
  return 0;
}

// ---- connection rate ------------------------------------------------------------------------

enum { GREETING, ECHOING };
struct cr {
  int fd;
  int state;
  size_t got;
  double started;
};

// Start a non-blocking connect. We wait only for EPOLLIN: the welcome line arriving says the
// connection is up, and a failed connect shows as an error on the first read (fewer system calls
// per connection for the generator than for any server).
static int start_connect(struct cr *c, int epfd, uint32_t id) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0) fail("socket");
  c->started = now();
  c->state = GREETING;
  c->got = 0;
  int r = connect(c->fd, (struct sockaddr *)&server, sizeof server);
  if (r < 0 && errno != EINPROGRESS) {
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
  epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
  return 0;
}

static int connrate(int conc, int size, double duration, long long max) {
  char *line = malloc((size_t)size), in[4096];
  fill_line(line, (size_t)size, 7);
  struct cr *c = calloc((size_t)conc, sizeof *c);
  int epfd = epoll_create1(0);
  cpu_start();
  double start = now(), end = start + duration;
  long long started = 0, done = 0, errors = 0;
  int active = 0;
  for (int i = 0; i < conc; i++) {
    c[i].fd = -1;
    if (started < max) {
      started++;
      if (start_connect(&c[i], epfd, (uint32_t)i) == 0) active++;
      else errors++;
    }
  }
  struct epoll_event events[256];
  while (active > 0) {
    if (now() > end + 5.0) fail_msg("connrate: connections stopped finishing");
    if (errors > 1000) fail_msg("connrate: more than 1000 failed connections");
    int ready = epoll_wait(epfd, events, 256, 100);
    for (int k = 0; k < ready; k++) {
      uint32_t id = events[k].data.u32;
      struct cr *p = &c[id];
      if (p->fd < 0) continue;
      int finished = 0, failed = 0;
      while (!failed && !finished) {
        ssize_t n = read(p->fd, in, p->state == GREETING ? sizeof in : (size_t)size - p->got);
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          failed = 1;
          break;
        }
        if (p->state == GREETING) {
          if (in[n - 1] != '\n') continue; // the welcome line is not over yet
          p->state = ECHOING;
          if (write(p->fd, line, (size_t)size) != size) failed = 1;
        } else {
          if (memcmp(in, line + p->got, (size_t)n) != 0) fail_msg("connrate: echo differs");
          p->got += (size_t)n;
          if (p->got == (size_t)size) finished = 1;
        }
      }
      if (finished || failed) {
        close(p->fd);
        p->fd = -1;
        active--;
        if (finished) {
          double t = now();
          done++;
          record(t - p->started);
        } else {
          errors++;
        }
        if (now() < end && started < max) {
          started++;
          if (start_connect(p, epfd, id) == 0) active++;
          else errors++;
        }
      }
    }
  }
  double seconds = now() - start;
  printf("{\"conc\": %d, \"connections\": %lld, \"errors\": %lld, \"seconds\": %.3f, \"per_s\": %.1f, "
         "\"p50_us\": %.2f, \"p99_us\": %.2f, %s}\n",
         conc, done, errors, seconds, (double)done / seconds, percentile_us(0.5), percentile_us(0.99),
         cpu_end(seconds));
  return 0;
}

// ---- idle connections ---------------------------------------------------------------------

static long rss_kb(int pid) {
  if (pid <= 0) return -1;
  char path[64], text[4096];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(text, sizeof text, f)) {
    if (sscanf(text, "VmRSS: %ld kB", &kb) == 1) break;
  }
  fclose(f);
  return kb;
}

static int idle(int conns, int pid, double hold, int batch, double timeout) {
  struct rlimit lim;
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max; // 10,000 connections need more than the usual 1,024 descriptors
  setrlimit(RLIMIT_NOFILE, &lim);
  if ((long long)lim.rlim_cur < (long long)conns + 64) fail_msg("idle: ulimit -n is too low for that many connections");
  long base = rss_kb(pid);
  struct cr *c = calloc((size_t)conns, sizeof *c);
  int epfd = epoll_create1(0);
  char in[4096];
  int next = 0, held = 0, pending = 0;
  long long errors = 0;
  double start = now(), deadline = start + timeout;
  struct epoll_event events[256];
  while (held < conns) {
    if (now() > deadline) break;
    while (pending < batch && next < conns) {
      if (start_connect(&c[next], epfd, (uint32_t)next) == 0) pending++;
      else errors++, c[next].fd = -1;
      next++;
    }
    if (errors > 100) fail_msg("idle: more than 100 connections failed");
    int ready = epoll_wait(epfd, events, 256, 100);
    for (int k = 0; k < ready; k++) {
      uint32_t id = events[k].data.u32;
      struct cr *p = &c[id];
      if (p->fd < 0 || p->state == ECHOING) continue;
      int failed = 0;
      if (!failed) {
        ssize_t n = read(p->fd, in, sizeof in);
        if (n == 0 || (n < 0 && errno != EAGAIN)) failed = 1;
        else if (n > 0 && in[n - 1] == '\n') {
          p->state = ECHOING; // held: greeted, now idle
          epoll_ctl(epfd, EPOLL_CTL_DEL, p->fd, NULL);
          pending--;
          held++;
        }
      }
      if (failed) {
        close(p->fd);
        p->fd = -1;
        pending--;
        errors++;
      }
    }
  }
  double connect_s = now() - start;
  // Let the server settle, then sample its memory a few times and keep the largest.
  long samples[5] = {0}, rss = 0;
  struct timespec pause = {.tv_sec = 0, .tv_nsec = (long)(hold / 6 * 1e9)};
  nanosleep(&pause, NULL);
  nanosleep(&pause, NULL);
  for (int i = 0; i < 4; i++) {
    nanosleep(&pause, NULL);
    samples[i] = rss_kb(pid);
    if (samples[i] > rss) rss = samples[i];
  }
  for (int i = 0; i < conns; i++)
    if (c[i].fd >= 0) close(c[i].fd);
  printf("{\"conns\": %d, \"held\": %d, \"errors\": %lld, \"connect_s\": %.3f, \"rss_base_kb\": %ld, "
         "\"rss_kb\": %ld, \"rss_samples_kb\": [%ld, %ld, %ld, %ld], \"bytes_per_conn\": %.0f}\n",
         conns, held, errors, connect_s, base, rss, samples[0], samples[1], samples[2], samples[3],
         held > 0 ? (double)(rss - base) * 1024 / held : 0);
  return held == conns ? 0 : 1;
}

// ---- UDP ping-pong ------------------------------------------------------------------------

static int udp(int clients, int size, double warmup, double duration) {
  char *msg = malloc((size_t)size), in[65536];
  int epfd = epoll_create1(0);
  struct pp *c = calloc((size_t)clients, sizeof *c);
  for (int i = 0; i < clients; i++) {
    c[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (connect(c[i].fd, (struct sockaddr *)&server, sizeof server) < 0) fail("udp connect");
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c[i].fd, &ev);
  }
  fill_line(msg, (size_t)size, 3);
  double start = now(), measure_from = start + warmup, end = measure_from + duration;
  int measuring = 0, measured = 0;
  const char *cpu = "";
  long long count = 0, lost = 0;
  for (int i = 0; i < clients; i++) {
    c[i].sent_at = now();
    send(c[i].fd, msg, (size_t)size, 0);
  }
  struct epoll_event events[256];
  int active = clients;
  while (active > 0) {
    double t = now();
    if (!measuring && t >= measure_from) {
      measuring = 1;
      cpu_start();
    }
    if (!measured && t >= end) {
      measured = 1;
      cpu = cpu_end(t - measure_from);
    }
    if (t > end + 2.0) break;
    int ready = epoll_wait(epfd, events, 256, 10);
    for (int k = 0; k < ready; k++) {
      struct pp *p = &c[events[k].data.u32];
      for (;;) {
        ssize_t n = recv(p->fd, in, sizeof in, 0);
        if (n < 0) break; // EAGAIN, or ECONNREFUSED from an earlier datagram: the resend handles it
        if (n != size || memcmp(in, msg, (size_t)size) != 0) fail_msg("udp: echo differs");
        if (p->waiting) continue; // a late reply to a datagram we already gave up on
        double done = now();
        if (done >= measure_from && done < end) {
          record(done - p->sent_at);
          count++;
        }
        if (done < end) {
          p->sent_at = done;
          send(p->fd, msg, (size_t)size, 0);
        } else {
          p->waiting = 1;
          active--;
        }
      }
    }
    // A datagram can be lost: after 200 ms without a reply, send again and count the loss.
    t = now();
    for (int i = 0; i < clients; i++) {
      if (!c[i].waiting && t - c[i].sent_at > 0.2) {
        lost++;
        if (t >= end) {
          c[i].waiting = 1;
          active--;
        } else {
          c[i].sent_at = t;
          send(c[i].fd, msg, (size_t)size, 0);
        }
      }
    }
    if (lost > 1000) fail_msg("udp: more than 1000 datagrams lost");
  }
  if (!measured) cpu = cpu_end(now() - measure_from);
  printf("{\"clients\": %d, \"size\": %d, \"datagrams\": %lld, \"lost\": %lld, \"seconds\": %.3f, "
         "\"per_s\": %.1f, \"p50_us\": %.2f, \"p99_us\": %.2f, %s}\n",
         clients, size, count, lost, duration, (double)count / duration, percentile_us(0.5), percentile_us(0.99), cpu);
  return 0;
}

// ---- chat fan-out -------------------------------------------------------------------------
//
// M members join the room and read everything; the first S of them also send B-byte lines, at a
// total of R lines/s (spread evenly over the senders) or, with R = 0, as fast as the room takes them
// with at most K lines of each sender in flight. Each line carries its sender, its number and the
// time it was sent: "#SENDER SEQ NANOSECONDS xxx...\n". Every member must receive every other
// member's lines, each sender's in order, after the sender's name ("ADDRESS: "): a line lost,
// reordered, changed or sent back to its sender fails the run. Notices ("* ...") are skipped; the
// members keep their addresses as names. A line is delivered when the last member has it.

struct member {
  int fd, greeted;
  int online; // the room's size in the last welcome or notice it read ("(N online)")
  char name[32]; // our address as the server sees it: the name it gives us
  size_t name_len;
  char carry[256]; // an unfinished line from the last read
  size_t carry_len;
  uint32_t *next_seq; // per sender: the number of the line expected next
  // as a sender:
  char *out; // a line the socket did not take all of yet
  size_t out_len, out_sent;
  uint64_t sent, done; // lines sent; lines the last member has (they complete in order)
  int watching_out;    // waiting for EPOLLOUT
  double due; // when the next line is due (fixed rate)
};

static struct member *mem;
static int members, senders, inflight, line_size;
static uint16_t *remaining; // per sender and line in flight: members that still have to get it
static double chat_measure_from, chat_end;
static long long deliveries_in_window, lines_in_window;

static void chat_fail(int r, const char *what, const char *line, size_t len) {
  char shown[121]; // the start of the line, safe inside a JSON string
  size_t n = len > 120 ? 120 : len;
  for (size_t i = 0; i < n; i++) shown[i] = line[i] < 32 || line[i] == '"' || line[i] == '\\' ? '?' : line[i];
  printf("{\"error\": \"chat: member %d: %s: '%.*s'\"}\n", r, what, (int)n, shown);
  exit(1);
}

// One complete line (without "\n") that member r received.
static void chat_line(int r, const char *line, size_t len) {
  struct member *m = &mem[r];
  if (!m->greeted) {
    if (len < 21 || memcmp(line, "welcome to the chat, ", 21) != 0) chat_fail(r, "no welcome line", line, len);
    const char *colon = memmem(line + 21, len - 21, ": ", 2); // "welcome to the chat, ADDR: N online; ..."
    if (colon) m->online = atoi(colon + 2);
    m->greeted = 1;
    return;
  }
  if (len >= 2 && line[0] == '*' && line[1] == ' ') { // a notice: joins and leaves, "... (N online)"
    // Notices may tell of several joins at once; the room's size says whether anyone left.
    const char *open = NULL;
    for (const char *p = line; (p = memchr(p, '(', (size_t)(line + len - p))) != NULL; p++) open = p;
    int online = open && memmem(open, (size_t)(line + len - open), " online)", 8) ? atoi(open + 1) : -1;
    if (memmem(line, len, " disconnected", 13) || (online >= 0 && online < m->online))
      chat_fail(r, "a member left the room", line, len);
    if (online >= 0) m->online = online;
    return;
  }
  const char *hash = memmem(line, len, ": #", 3);
  if (!hash) chat_fail(r, "not a line of ours", line, len);
  char *p;
  unsigned long s = strtoul(hash + 3, &p, 10);
  if ((int)s >= senders || *p != ' ') chat_fail(r, "bad sender", line, len);
  unsigned long long seq = strtoull(p + 1, &p, 10);
  if (*p != ' ') chat_fail(r, "bad line number", line, len);
  unsigned long long ns = strtoull(p + 1, &p, 10);
  if (*p != ' ') chat_fail(r, "bad time", line, len);
  struct member *from = &mem[s];
  if ((int)s == r) chat_fail(r, "got its own line back", line, len);
  if ((size_t)(hash - line) != from->name_len || memcmp(line, from->name, from->name_len) != 0)
    chat_fail(r, "wrong name before the line", line, len);
  if ((size_t)(line + len - hash) != (size_t)line_size + 1) chat_fail(r, "line changed", line, len);
  if (seq != m->next_seq[s]) chat_fail(r, seq > m->next_seq[s] ? "a line is missing or late" : "a line came twice or late", line, len);
  m->next_seq[s]++;
  double t = now();
  if (t >= chat_measure_from && t < chat_end) deliveries_in_window++;
  uint16_t *left = &remaining[(size_t)s * (size_t)inflight + seq % (size_t)inflight];
  if (--*left == 0) { // the last member has it: delivered
    if (seq != from->done) chat_fail(r, "lines completed out of order", line, len);
    from->done++;
    double sent = (double)ns * 1e-9;
    if (sent >= chat_measure_from && sent < chat_end) {
      record(t - sent);
      lines_in_window++;
    }
  }
}

static char chat_in[65536 + 256];
static void chat_read(int r) {
  struct member *m = &mem[r];
  for (;;) {
    memcpy(chat_in, m->carry, m->carry_len);
    ssize_t n = read(m->fd, chat_in + m->carry_len, sizeof chat_in - 256);
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) chat_fail(r, "the server closed the connection", "", 0);
    // ACK at once: members never answer, so Linux would delay each ACK up to 40 ms, and a server
    // with Nagle's algorithm on (the default everywhere) then holds the next line until it comes.
    setsockopt(m->fd, IPPROTO_TCP, TCP_QUICKACK, &(int){1}, sizeof(int));
    size_t have = m->carry_len + (size_t)n, start = 0;
    for (char *nl; (nl = memchr(chat_in + start, '\n', have - start)); start = (size_t)(nl - chat_in) + 1)
      chat_line(r, chat_in + start, (size_t)(nl - chat_in) - start);
    if (have - start >= sizeof m->carry) chat_fail(r, "a line too long", chat_in + start, have - start);
    memcpy(m->carry, chat_in + start, have - start);
    m->carry_len = have - start;
    if ((size_t)n < sizeof chat_in - 256) return;
  }
}

// Write what is left of a sender's lines; returns 1 when all of it is written, else waits for
// EPOLLOUT.
static void chat_watch_out(int s, int epfd, int on) {
  if (mem[s].watching_out == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)s};
  epoll_ctl(epfd, EPOLL_CTL_MOD, mem[s].fd, &ev);
  mem[s].watching_out = on;
}
static int chat_flush(int s, int epfd) {
  struct member *m = &mem[s];
  while (m->out_sent < m->out_len) {
    ssize_t n = write(m->fd, m->out + m->out_sent, m->out_len - m->out_sent);
    if (n > 0) m->out_sent += (size_t)n;
    else if (n < 0 && errno == EINTR) continue;
    else if (n < 0 && errno == EAGAIN) return chat_watch_out(s, epfd, 1), 0;
    else fail("chat: write");
  }
  m->out_len = m->out_sent = 0;
  chat_watch_out(s, epfd, 0);
  return 1;
}

// Send sender s's next lines that are due (as many as the in-flight bound allows when rate = 0),
// as one write.
static void chat_send(int s, int epfd, double per_sender, double stop_at) {
  struct member *m = &mem[s];
  if (m->out_len && !chat_flush(s, epfd)) return;
  size_t at = 0;
  double t = now();
  while (m->sent - m->done < (uint64_t)inflight && t < stop_at && (per_sender == 0 || m->due <= t) && at < 16384) {
    char *line = m->out + at;
    int k = snprintf(line, (size_t)line_size, "#%d %llu %llu ", s, (unsigned long long)m->sent,
                     (unsigned long long)(t * 1e9));
    if (k >= line_size - 1) fail_msg("chat: --size too small for the line's header");
    memset(line + k, 'x', (size_t)(line_size - 1 - k));
    line[line_size - 1] = '\n';
    remaining[(size_t)s * (size_t)inflight + m->sent % (size_t)inflight] = (uint16_t)(members - 1);
    m->sent++;
    at += (size_t)line_size;
    if (per_sender > 0) m->due += 1.0 / per_sender;
  }
  m->out_len = at;
  m->out_sent = 0;
  if (at) chat_flush(s, epfd);
}

static int chat(int nmembers, int nsenders, double rate, int bound, int size, double warmup, double duration,
                double timeout) {
  members = nmembers, senders = nsenders, inflight = bound, line_size = size;
  if (senders < 1 || senders > members || members < 2 || members > 60000 || inflight < 1)
    fail_msg("chat: need 2 <= --members <= 60000, 1 <= --senders <= members, --inflight >= 1");
  if (size < 48 || size > 200) fail_msg("chat: --size must be from 48 to 200");
  struct rlimit lim;
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  mem = calloc((size_t)members, sizeof *mem);
  remaining = calloc((size_t)senders * (size_t)inflight, sizeof *remaining);
  int epfd = epoll_create1(0);
  struct epoll_event events[256];
  double t0 = now(), deadline = t0 + timeout;
  // Join one member at a time, each after the one before has its welcome line: the room then has
  // the same order everywhere. Everyone reads all the while.
  for (int i = 0; i < members; i++) {
    struct member *m = &mem[i];
    m->next_seq = calloc((size_t)senders, sizeof *m->next_seq);
    if (i < senders) m->out = malloc(16384 + (size_t)size);
    m->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (m->fd < 0) fail("socket");
    if (connect(m->fd, (struct sockaddr *)&server, sizeof server) < 0) fail("connect");
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    getsockname(m->fd, (struct sockaddr *)&me, &len);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &me.sin_addr, ip, sizeof ip);
    m->name_len = (size_t)snprintf(m->name, sizeof m->name, "%s:%d", ip, ntohs(me.sin_port));
    nonblocking(m->fd);
    nodelay(m->fd);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(epfd, EPOLL_CTL_ADD, m->fd, &ev);
    while (!m->greeted) {
      if (now() > deadline) fail_msg("chat: members stopped getting their welcome line");
      int ready = epoll_wait(epfd, events, 256, 100);
      for (int k = 0; k < ready; k++) chat_read((int)events[k].data.u32);
    }
  }
  // Wait until every member has heard that all M are in: "(M online)" in its welcome or a notice.
  for (;;) {
    int told = 0;
    for (int i = 0; i < members; i++) told += mem[i].online == members;
    if (told == members) break;
    if (now() > deadline) fail_msg("chat: join notices stopped coming");
    int ready = epoll_wait(epfd, events, 256, 100);
    for (int k = 0; k < ready; k++) chat_read((int)events[k].data.u32);
  }
  double joined_s = now() - t0;
  double start = now();
  chat_measure_from = start + warmup, chat_end = chat_measure_from + duration;
  double per_sender = rate / senders;
  for (int s = 0; s < senders; s++) mem[s].due = start + (double)s / (rate > 0 ? rate : 1);
  int measuring = 0, measured = 0;
  const char *cpu = "";
  double drain_until = chat_end + (timeout < 10 ? timeout : 10);
  for (;;) {
    double t = now();
    if (!measuring && t >= chat_measure_from) measuring = 1, cpu_start();
    if (!measured && t >= chat_end) measured = 1, cpu = cpu_end(t - chat_measure_from);
    int all_done = t >= chat_end;
    for (int s = 0; s < senders; s++) {
      chat_send(s, epfd, per_sender, chat_end);
      if (mem[s].done < mem[s].sent || mem[s].out_len) all_done = 0;
    }
    if (all_done) break;
    if (t > drain_until) {
      long long missing = 0;
      for (int s = 0; s < senders; s++) missing += (long long)(mem[s].sent - mem[s].done);
      printf("{\"error\": \"chat: %lld lines never reached every member\"}\n", missing);
      exit(1);
    }
    int wait_ms = 100;
    if (per_sender > 0 && t < chat_end) {
      double next = chat_end;
      for (int s = 0; s < senders; s++)
        if (mem[s].due < next) next = mem[s].due;
      wait_ms = next <= t ? 0 : (int)((next - t) * 1000) + 1;
      if (wait_ms > 100) wait_ms = 100;
    }
    int ready = epoll_wait(epfd, events, 256, wait_ms);
    if (ready < 0 && errno != EINTR) fail("epoll_wait");
    for (int k = 0; k < ready; k++) {
      int id = (int)events[k].data.u32;
      if (events[k].events & EPOLLOUT) chat_send(id, epfd, per_sender, chat_end);
      if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) chat_read(id);
    }
  }
  if (!measured) cpu = cpu_end(now() - chat_measure_from);
  // Every member has every line of every other sender, checked as they came; count them once more.
  for (int r = 0; r < members; r++)
    for (int s = 0; s < senders; s++)
      if (s != r && mem[r].next_seq[s] != mem[s].sent) fail_msg("chat: a member is missing lines");
  unsigned long long total = 0;
  for (int s = 0; s < senders; s++) total += mem[s].sent;
  for (int i = 0; i < members; i++) close(mem[i].fd);
  printf("{\"members\": %d, \"senders\": %d, \"rate\": %.1f, \"inflight\": %d, \"size\": %d, \"joined_s\": %.3f, "
         "\"lines_sent\": %llu, \"seconds\": %.3f, \"lines_per_s\": %.1f, \"deliveries_per_s\": %.1f, "
         "\"p50_us\": %.2f, \"p99_us\": %.2f, %s}\n",
         members, senders, rate, inflight, size, joined_s, total, duration, (double)lines_in_window / duration,
         (double)deliveries_in_window / duration, percentile_us(0.5), percentile_us(0.99), cpu);
  return 0;
}

// ---- main ---------------------------------------------------------------------------------

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: loadgen bulk|pingpong|connrate|idle|udp|chat --port P [options]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *mode = argv[1];
  long long bytes = 1LL << 30, max = 100000;
  int line = 100, conns = 1, size = 64, pid = 0, batch = 256;
  double warmup = 0.2, duration = 1.0, timeout = 30, hold = 1.0, rate = 0;
  int senders = 1, inflight = 256;
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) host = v;
    else if (!strcmp(k, "--port")) port = atoi(v);
    else if (!strcmp(k, "--bytes")) bytes = atoll(v);
    else if (!strcmp(k, "--line")) line = atoi(v);
    else if (!strcmp(k, "--conns") || !strcmp(k, "--conc") || !strcmp(k, "--clients")) conns = atoi(v);
    else if (!strcmp(k, "--size")) size = atoi(v);
    else if (!strcmp(k, "--warmup")) warmup = atof(v);
    else if (!strcmp(k, "--duration")) duration = atof(v);
    else if (!strcmp(k, "--timeout")) timeout = atof(v);
    else if (!strcmp(k, "--max")) max = atoll(v);
    else if (!strcmp(k, "--pid")) pid = server_pid = atoi(v);
    else if (!strcmp(k, "--server-cpu")) server_cpu_number = atoi(v);
    else if (!strcmp(k, "--hold")) hold = atof(v);
    else if (!strcmp(k, "--batch")) batch = atoi(v);
    else if (!strcmp(k, "--members")) conns = atoi(v);
    else if (!strcmp(k, "--senders")) senders = atoi(v);
    else if (!strcmp(k, "--rate")) rate = atof(v);
    else if (!strcmp(k, "--inflight")) inflight = atoi(v);
    else {
      fprintf(stderr, "loadgen: unknown option %s\n", k);
      return 2;
    }
  }
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &server.sin_addr) != 1 || port <= 0) {
    fprintf(stderr, "loadgen: need --host (IPv4) and --port\n");
    return 2;
  }
  if (line < 2 || size < 2 || conns < 1) {
    fprintf(stderr, "loadgen: --line and --size are at least 2, --conns at least 1\n");
    return 2;
  }
  if (!strcmp(mode, "bulk")) return bulk(bytes, line, timeout);
  if (!strcmp(mode, "pingpong")) return pingpong(conns, size, warmup, duration);
  if (!strcmp(mode, "connrate")) return connrate(conns, size, duration, max);
  if (!strcmp(mode, "idle")) return idle(conns, pid, hold, batch, timeout);
  if (!strcmp(mode, "udp")) return udp(conns, size, warmup, duration);
  if (!strcmp(mode, "chat")) return chat(conns, senders, rate, inflight, size, warmup, duration, timeout);
  fprintf(stderr, "loadgen: unknown mode %s\n", mode);
  return 2;
}
