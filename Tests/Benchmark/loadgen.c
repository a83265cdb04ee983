/* loadgen: holds N concurrent SSE subscribers on loopback and measures what an SSE fan-out
 * server delivers. One thread, epoll, non-blocking connects; libc only.
 *
 *   gcc -O2 -o loadgen loadgen.c
 *   loadgen --port P --clients N --hold SECONDS [--ramp-rate R] [--pid SERVER_PID]
 *           [--path /events] [--interval-ms I] [--probes K] [--ramp-timeout S] [--drain-ms D]
 *           [--connect-log FILE]
 *
 * Phases: ramp (connect N clients at R per second, in 10 ms batches; ends when every client has
 * its response head or has failed) -> hold (HOLD seconds; server CPU/RSS and our own CPU are
 * measured over exactly this window) -> drain (at most D ms: lets the last tick of the hold
 * reach every client) -> probes (K one-at-a-time connections after all clients are closed:
 * connect -> headers and connect -> first event on an otherwise idle server).
 *
 * Ticks counted: the ids first seen after the hold started and by the time it ended
 * ([id_lo, id_hi]); for those, per id only count / first / last arrival are kept.
 * Prints a human-readable block and one `RESULT key=value ...` line. See README.md. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <time.h>
#include <signal.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/resource.h>

/* ---------- clocks ---------- */
static uint64_t mono_ns(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}
static int64_t real_us(void) {
  struct timespec t; clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* ---------- log-linear histogram of microseconds (< 0.8% bucket error) ---------- */
#define HSUB_BITS 8
#define HSUB (1u << HSUB_BITS)
#define HBUCKETS (HSUB + (64 - HSUB_BITS) * (HSUB / 2))
typedef struct { uint64_t n, max; uint32_t *b; } hist;
static void hinit(hist *h) { h->n = 0; h->max = 0; h->b = calloc(HBUCKETS, sizeof *h->b); }
static unsigned hidx(uint64_t v) {
  if (v < HSUB) return (unsigned)v;
  unsigned e = 63 - (unsigned)__builtin_clzll(v), shift = e - (HSUB_BITS - 1);
  return HSUB + (shift - 1) * (HSUB / 2) + (unsigned)((v >> shift) - HSUB / 2);
}
static uint64_t hmid(unsigned i) {
  if (i < HSUB) return i;
  unsigned k = i - HSUB, shift = k / (HSUB / 2) + 1;
  uint64_t m = k % (HSUB / 2) + HSUB / 2;
  return (m << shift) + ((1ull << shift) >> 1);
}
static void hadd(hist *h, uint64_t v) { h->b[hidx(v)]++; h->n++; if (v > h->max) h->max = v; }
/* nearest-rank percentile, microseconds; -1 when empty */
static double hpct(const hist *h, double p) {
  if (!h->n) return -1;
  uint64_t rank = (uint64_t)(p * (double)h->n + 0.999999999); if (rank < 1) rank = 1;
  uint64_t acc = 0;
  for (unsigned i = 0; i < HBUCKETS; i++) {
    acc += h->b[i];
    if (acc >= rank) { uint64_t v = hmid(i); return (double)(v > h->max ? h->max : v); }
  }
  return (double)h->max;
}

/* ---------- options ---------- */
static int o_port, o_clients, o_probes;
static double o_hold = 15, o_rate = 5000, o_ramp_timeout = 30;
static int o_pid, o_interval_ms = 1000, o_drain_ms = -1;
static const char *o_path = "/events", *o_connect_log;

/* ---------- clients ---------- */
enum { C_IDLE, C_CONNECTING, C_HEAD, C_STREAM, C_CLOSED };
enum { EV_MESSAGE, EV_METRICS, EV_ERROR, EV_OTHER };
#define MAX_LINE (256 * 1024)
typedef struct {
  int fd;
  uint8_t state, head_started, skip_lf, has_data, evtype, id_valid, has_prev, ts_found;
  uint8_t ct_ok, chunked, done, probe, was_connected, lost;
  uint8_t ch_state, ch_digits, ch_head_lf;      /* HTTP/1.1 chunked decoder (see dechunk) */
  uint32_t ch_left;                             /* chunk size being read, or data bytes left in it */
  int status;
  uint32_t carry_len, carry_cap; char *carry;   /* a partial line left over from the last read */
  uint64_t t_start;                             /* CLOCK_MONOTONIC ns at connect() */
  uint64_t cur_id, prev_id;                     /* last-event-id buffer; id of the last metrics event */
  int64_t ev_ts_ms;                             /* the event's own timestamp, ms since the epoch */
  uint32_t recv_win, events;
  uint32_t hdr_us, ev_us;                       /* connect -> headers / first event, +1 (0: never) */
} client;

static client *C;
static int ep;
static char *rbuf; static size_t rbuf_size = 512 * 1024;

/* ---------- run state ---------- */
enum { P_RAMP, P_HOLD, P_DRAIN, P_PROBE, P_DONE };
static int phase = P_RAMP;
static uint64_t now_mono; static int64_t now_real;
static int launched, resolved, connected, failed, dropped_ramp, dropped_hold, alive;
static int f_connect, f_status, f_eof, f_proto, f_timeout, f_socket, status_503;
static uint64_t total_events, other_events, comments, noid_events, dups, gaps_win, lag_negative, window_overflow;
static uint64_t gmax_id; static int gmax_valid;
static uint64_t id_lo, id_hi; static int id_lo_set, id_hi_set;
static int drain_pending;
static hist h_hdr, h_ev, h_lag, h_phdr, h_pev;
static long retry_ms = -1;
typedef struct { uint32_t count; uint64_t first, last; } slot;
static slot *slots; static uint64_t nslots;
/* probes */
static int probe_k, probe_ok, probe_failed; static uint64_t probe_deadline, probe_next;

/* Abortive close (RST): leaves no TIME_WAIT socket behind. Thousands of those would linger for
 * 60 s and inflate the next run's server-side work (procstreamd counts every TCP socket on the
 * host each tick), so each point starts from the same clean socket table. */
static void close_client(client *c) {
  if (c->fd >= 0) {
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c->fd);
  }
  c->fd = -1; free(c->carry); c->carry = NULL; c->carry_len = c->carry_cap = 0;
  c->state = C_CLOSED;
}

static void fail_client(client *c, int *reason) {
  int was_pending = c->state == C_CONNECTING || c->state == C_HEAD;
  close_client(c);
  if (c->probe) { probe_failed++; return; }
  (*reason)++;
  if (was_pending) { failed++; resolved++; }
}

/* a connection that had its 200 head ended (EOF, reset, protocol error) */
static void lose_client(client *c, int eof_reason_proto) {
  if (c->state == C_CONNECTING || c->state == C_HEAD) { fail_client(c, eof_reason_proto ? &f_proto : &f_eof); return; }
  if (c->state != C_STREAM) return;
  int was_done = c->done;
  if (eof_reason_proto) f_proto++;
  close_client(c);
  if (c->probe) { probe_failed++; return; }
  c->lost = 1; alive--;
  if (phase == P_RAMP) dropped_ramp++; else if (phase == P_HOLD || phase == P_DRAIN) dropped_hold++;
  if (phase == P_DRAIN && !was_done) drain_pending--;
}

/* ---------- timestamps ---------- */
static char ts_cache[40]; static size_t ts_cache_len; static int64_t ts_cache_ms = -1;
static int64_t parse_rfc3339_ms(const char *p, size_t n) {
  if (n < 20 || n >= sizeof ts_cache) return -1;
  if (n == ts_cache_len && memcmp(p, ts_cache, n) == 0) return ts_cache_ms;
  struct tm tm; memset(&tm, 0, sizeof tm);
  int Y, M, D, h, m, s, used = 0;
  char tmp[40]; memcpy(tmp, p, n); tmp[n] = 0;
  if (sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &s, &used) != 6) return -1;
  tm.tm_year = Y - 1900; tm.tm_mon = M - 1; tm.tm_mday = D; tm.tm_hour = h; tm.tm_min = m; tm.tm_sec = s;
  int64_t ms = 0; const char *q = tmp + used;
  if (*q == '.') { int digits = 0; q++; while (*q >= '0' && *q <= '9') { if (digits < 3) { ms = ms * 10 + (*q - '0'); digits++; } q++; }
                   while (digits++ < 3) ms *= 10; }
  if (*q != 'Z' && *q != 'z') return -1;   /* UTC only, as both servers send */
  time_t t = timegm(&tm); if (t == (time_t)-1) return -1;
  memcpy(ts_cache, p, n); ts_cache_len = n; ts_cache_ms = (int64_t)t * 1000 + ms;
  return ts_cache_ms;
}
static void scan_data_for_ts(client *c, const char *v, size_t n) {
  static const char K1[] = "\"timestamp\":\"", K2[] = "\"ts_ms\":";
  const char *p = memmem(v, n, K1, sizeof K1 - 1);
  if (p) {
    p += sizeof K1 - 1; const char *e = memchr(p, '"', n - (size_t)(p - v));
    if (e) { int64_t ms = parse_rfc3339_ms(p, (size_t)(e - p)); if (ms >= 0) { c->ev_ts_ms = ms; c->ts_found = 1; return; } }
  }
  p = memmem(v, n, K2, sizeof K2 - 1);
  if (p) {
    p += sizeof K2 - 1; int64_t ms = 0; int any = 0;
    while (p < v + n && *p >= '0' && *p <= '9') { ms = ms * 10 + (*p++ - '0'); any = 1; }
    if (any) { c->ev_ts_ms = ms; c->ts_found = 1; }
  }
}

/* ---------- event accounting ---------- */
static void on_metrics_event(client *c) {
  c->events++;
  if (c->probe) {
    hadd(&h_pev, (now_mono - c->t_start) / 1000); probe_ok++;
    close_client(c); return;
  }
  total_events++;
  if (c->events == 1) { uint64_t us = (now_mono - c->t_start) / 1000; hadd(&h_ev, us); c->ev_us = (uint32_t)(us + 1); }
  if (!c->id_valid) { noid_events++; return; }
  uint64_t id = c->cur_id, prev = c->prev_id; int had_prev = c->has_prev;
  if (had_prev && id <= prev) { dups++; return; }
  int counting = (phase == P_HOLD || phase == P_DRAIN);
  if (counting && !id_lo_set) { id_lo = id; id_lo_set = 1; }
  if (counting && had_prev && id > prev + 1) {       /* missing ids inside the window */
    uint64_t lo = prev + 1 > id_lo ? prev + 1 : id_lo, hi = id - 1;
    if (phase == P_DRAIN && hi > id_hi) hi = id_hi;
    if (hi >= lo) gaps_win += hi - lo + 1;
  }
  c->prev_id = id; c->has_prev = 1;
  if (phase <= P_HOLD && (!gmax_valid || id > gmax_id)) { gmax_id = id; gmax_valid = 1; }
  if (!counting || id < id_lo || (phase == P_DRAIN && id > id_hi)) {
    if (phase == P_DRAIN && !c->done && id >= id_hi) { c->done = 1; drain_pending--; }
    return;
  }
  c->recv_win++;
  uint64_t k = id - id_lo;
  if (k < nslots) {
    slot *s = &slots[k];
    if (!s->count) s->first = now_mono;
    s->last = now_mono; s->count++;
  } else window_overflow++;
  if (c->ts_found) {
    int64_t lag = now_real - c->ev_ts_ms * 1000;
    if (lag < 0) { lag_negative++; lag = 0; }
    hadd(&h_lag, (uint64_t)lag);
  }
  if (phase == P_DRAIN && !c->done && id >= id_hi) { c->done = 1; drain_pending--; }
}

static void dispatch(client *c) {
  if (c->has_data) {
    if (c->evtype == EV_METRICS) on_metrics_event(c);
    else other_events++;
  }
  if (c->state == C_CLOSED) return;
  c->has_data = 0; c->evtype = EV_MESSAGE; c->ts_found = 0; c->ev_ts_ms = -1;
}

static int field_is(const char *f, size_t n, const char *name) { size_t l = strlen(name); return n == l && memcmp(f, name, l) == 0; }

/* one SSE line (terminator removed) */
static void sse_line(client *c, const char *p, size_t n) {
  if (n == 0) { dispatch(c); return; }
  if (p[0] == ':') { comments++; return; }
  const char *colon = memchr(p, ':', n);
  size_t fn = colon ? (size_t)(colon - p) : n;
  const char *v = colon ? colon + 1 : p + n; size_t vn = colon ? n - fn - 1 : 0;
  if (vn && *v == ' ') { v++; vn--; }
  if (field_is(p, fn, "data")) {
    c->has_data = 1;
    if (!c->ts_found) scan_data_for_ts(c, v, vn);
  } else if (field_is(p, fn, "event")) {
    c->evtype = field_is(v, vn, "metrics") ? EV_METRICS : field_is(v, vn, "error") ? EV_ERROR :
                vn == 0 ? EV_MESSAGE : EV_OTHER;
  } else if (field_is(p, fn, "id")) {
    if (memchr(v, 0, vn)) return;
    uint64_t id = 0; size_t i = 0;
    for (; i < vn && v[i] >= '0' && v[i] <= '9'; i++) id = id * 10 + (uint64_t)(v[i] - '0');
    c->cur_id = id; c->id_valid = vn > 0 && i == vn;
  } else if (field_is(p, fn, "retry")) {
    long r = 0; size_t i = 0;
    for (; i < vn && v[i] >= '0' && v[i] <= '9'; i++) r = r * 10 + (v[i] - '0');
    if (vn && i == vn) retry_ms = r;
  }
}

static int ci_prefix(const char *p, size_t n, const char *pre) { size_t l = strlen(pre); return n >= l && strncasecmp(p, pre, l) == 0; }

/* one line of the response head */
static void head_line(client *c, const char *p, size_t n) {
  if (!c->head_started) {
    c->head_started = 1;
    if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') { fail_client(c, &f_proto); return; }
    c->status = atoi(p + 9);
    if (c->status != 200) { if (c->status == 503 && !c->probe) status_503++; fail_client(c, &f_status); return; }
    return;
  }
  if (n == 0) {                                             /* end of head */
    if (!c->ct_ok) { fail_client(c, &f_proto); return; }
    c->state = C_STREAM;
    if (c->probe) return;
    c->was_connected = 1; connected++; resolved++; alive++;
    return;
  }
  if (ci_prefix(p, n, "content-type:")) {
    const char *v = p + 13; size_t vn = n - 13;
    while (vn && (*v == ' ' || *v == '\t')) { v++; vn--; }
    c->ct_ok = ci_prefix(v, vn, "text/event-stream");
  } else if (ci_prefix(p, n, "transfer-encoding:")) {
    c->chunked = memmem(p, n, "chunked", 7) != NULL;
  }
}

/* HTTP/1.1 chunked transfer coding (RFC 9112 7.1), decoded in place: the data bytes of the n
 * bytes at p are moved to its front and their count returned; -1 on a framing error. The state
 * lives in the client, so a chunk may be split across reads anywhere. The last chunk (size 0)
 * ends the stream: what follows it is ignored. */
enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_END };
static int hexval(char ch) {
  return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}
static long dechunk(client *c, char *p, size_t n) {
  size_t r = 0, w = 0;
  while (r < n) {
    char ch;
    switch (c->ch_state) {
    case CH_SIZE:
      ch = p[r++];
      if (hexval(ch) >= 0) {
        if (c->ch_left > (UINT32_MAX >> 4)) return -1;
        c->ch_left = c->ch_left * 16 + (uint32_t)hexval(ch); c->ch_digits = 1;
      } else if (c->ch_digits && (ch == '\r' || ch == ';')) c->ch_state = ch == ';' ? CH_EXT : CH_SIZE_LF;
      else return -1;
      break;
    case CH_EXT: if (p[r++] == '\r') c->ch_state = CH_SIZE_LF; break;
    case CH_SIZE_LF:
      if (p[r++] != '\n') return -1;
      c->ch_digits = 0; c->ch_state = c->ch_left ? CH_DATA : CH_END;
      break;
    case CH_DATA: {
      size_t k = n - r < c->ch_left ? n - r : c->ch_left;
      memmove(p + w, p + r, k); w += k; r += k; c->ch_left -= (uint32_t)k;
      if (!c->ch_left) c->ch_state = CH_DATA_CR;
      break; }
    case CH_DATA_CR: if (p[r++] != '\r') return -1; c->ch_state = CH_DATA_LF; break;
    case CH_DATA_LF: if (p[r++] != '\n') return -1; c->ch_state = CH_SIZE; break;
    default: r = n; break;                                     /* CH_END */
    }
  }
  return (long)w;
}

/* splits buf into lines (CRLF, LF or CR, as the SSE grammar allows); keeps a partial line. In
 * the head state buf is raw; once the head has ended, the body bytes after it are de-chunked
 * here (later reads are de-chunked by on_readable before they get here). */
static void process(client *c, char *buf, size_t len) {
  size_t i = 0, start = 0;
  if (c->skip_lf) { c->skip_lf = 0; if (len && buf[0] == '\n') i = start = 1; }
  while (i < len) {
    char ch = buf[i];
    if (ch != '\n' && ch != '\r') { i++; continue; }
    int in_head = c->state == C_HEAD;
    if (in_head) head_line(c, buf + start, i - start); else sse_line(c, buf + start, i - start);
    if (c->state == C_CLOSED) return;
    i++;
    if (ch == '\r') { if (i < len) { if (buf[i] == '\n') i++; } else c->skip_lf = 1; }
    start = i;
    if (in_head && c->state == C_STREAM && c->chunked) {
      if (c->skip_lf) { c->skip_lf = 0; c->ch_head_lf = 1; return; }   /* the head's CRLF is split by the read */
      long m = dechunk(c, buf + i, len - i);
      if (m < 0) { lose_client(c, 1); return; }
      len = i + (size_t)m;
    }
  }
  size_t rest = len - start;
  if (rest > MAX_LINE) { lose_client(c, 1); return; }
  if (rest) {
    if (rest > c->carry_cap) { c->carry_cap = (uint32_t)(rest < 512 ? 512 : rest * 2); c->carry = realloc(c->carry, c->carry_cap); }
    memmove(c->carry, buf + start, rest);
  }
  c->carry_len = (uint32_t)rest;
  if (!rest && c->carry_cap > 4096) { free(c->carry); c->carry = NULL; c->carry_cap = 0; }
}

static void on_readable(client *c) {
  size_t have = c->carry_len;
  if (have) memcpy(rbuf, c->carry, have);
  ssize_t n = recv(c->fd, rbuf + have, rbuf_size - have, 0);
  if (n < 0) { if (errno == EAGAIN || errno == EINTR) return; lose_client(c, 0); return; }
  if (n == 0) { lose_client(c, 0); return; }
  now_mono = mono_ns(); now_real = real_us();
  if (c->state == C_HEAD && !c->head_started && c->carry_len == 0 && !c->skip_lf) {
    uint64_t us = (now_mono - c->t_start) / 1000;
    if (c->probe) hadd(&h_phdr, us);
    else { hadd(&h_hdr, us); c->hdr_us = (uint32_t)(us + 1); }
  }
  if (c->state == C_STREAM && c->chunked) {
    char *p = rbuf + have; size_t k = (size_t)n;
    if (c->ch_head_lf) { c->ch_head_lf = 0; if (*p == '\n') { p++; k--; } }   /* the rest of the head's last CRLF */
    long m = dechunk(c, p, k);
    if (m < 0) { lose_client(c, 1); return; }
    if (p != rbuf + have) memmove(rbuf + have, p, (size_t)m);
    n = m;
  }
  process(c, rbuf, have + (size_t)n);
}

static char request[1024]; static size_t request_len;

static void send_request(client *c) {
  ssize_t n = send(c->fd, request, request_len, MSG_NOSIGNAL);
  if (n != (ssize_t)request_len) { fail_client(c, &f_connect); return; }
  c->state = C_HEAD;
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(c - C) };
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) fail_client(c, &f_socket);
}

static struct sockaddr_in target;

static void start_client(client *c) {
  memset(c, 0, sizeof *c); c->fd = -1; c->ev_ts_ms = -1;
  c->probe = (c - C) == o_clients;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  c->t_start = mono_ns();
  if (fd < 0) { c->state = C_CONNECTING; fail_client(c, &f_socket); return; }
  c->fd = fd; c->state = C_CONNECTING;
  int r = connect(fd, (struct sockaddr *)&target, sizeof target);
  if (r < 0 && errno != EINPROGRESS) { fail_client(c, &f_connect); return; }
  struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u64 = (uint64_t)(c - C) };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { fail_client(c, &f_socket); return; }
  if (r == 0) send_request(c);
}

static void on_event(client *c, uint32_t events) {
  if (c->state == C_CONNECTING) {
    int err = 0; socklen_t l = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err || (events & (EPOLLERR | EPOLLHUP))) { fail_client(c, &f_connect); return; }
    if (events & EPOLLOUT) send_request(c);
    return;
  }
  if (c->state == C_HEAD || c->state == C_STREAM) on_readable(c);
}

/* ---------- /proc sampling of the server ---------- */
static int read_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC); if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1); close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  return (int)n;
}
static long long proc_cpu_ticks(int pid) {
  char path[64], buf[4096]; snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (read_file(path, buf, sizeof buf) < 0) return -1;
  char *p = strrchr(buf, ')'); if (!p) return -1;
  unsigned long ut, st;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (long long)ut + (long long)st;
}
static long proc_status_kb(int pid, const char *key) {
  char path[64], buf[8192]; snprintf(path, sizeof path, "/proc/%d/status", pid);
  if (read_file(path, buf, sizeof buf) < 0) return -1;
  char *p = strstr(buf, key); return p ? atol(p + strlen(key)) : -1;
}
static double self_cpu_s(void) {
  struct rusage r; getrusage(RUSAGE_SELF, &r);
  return (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + (double)r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static int cmp_u64(const void *a, const void *b) { uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; return x < y ? -1 : x > y; }

static void usage(void) {
  fprintf(stderr, "usage: loadgen --port P --clients N --hold SECONDS [--ramp-rate R] [--pid PID] [--path /events]\n"
                  "               [--interval-ms I] [--probes K] [--ramp-timeout S] [--drain-ms D] [--connect-log FILE]\n");
  exit(2);
}

/* "na" for missing values */
static void fmt_ms(char *out, size_t n, double us) { if (us < 0) snprintf(out, n, "na"); else snprintf(out, n, "%.2f", us / 1000.0); }

int main(int argc, char **argv) {
  static const struct option opts[] = {
    {"port", 1, 0, 'p'}, {"clients", 1, 0, 'n'}, {"hold", 1, 0, 'h'}, {"ramp-rate", 1, 0, 'r'},
    {"pid", 1, 0, 'P'}, {"path", 1, 0, 'u'}, {"interval-ms", 1, 0, 'i'}, {"probes", 1, 0, 'k'},
    {"ramp-timeout", 1, 0, 't'}, {"drain-ms", 1, 0, 'd'}, {"connect-log", 1, 0, 'c'}, {0, 0, 0, 0}};
  int o;
  while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (o) {
      case 'p': o_port = atoi(optarg); break;
      case 'n': o_clients = atoi(optarg); break;
      case 'h': o_hold = atof(optarg); break;
      case 'r': o_rate = atof(optarg); break;
      case 'P': o_pid = atoi(optarg); break;
      case 'u': o_path = optarg; break;
      case 'i': o_interval_ms = atoi(optarg); break;
      case 'k': o_probes = atoi(optarg); break;
      case 't': o_ramp_timeout = atof(optarg); break;
      case 'd': o_drain_ms = atoi(optarg); break;
      case 'c': o_connect_log = optarg; break;
      default: usage();
    }
  }
  if (o_port <= 0 || o_port > 65535 || o_clients < 0 || o_hold <= 0 || o_rate <= 0 || o_interval_ms <= 0 || o_probes < 0) usage();
  if (o_drain_ms < 0) { o_drain_ms = 2 * o_interval_ms; if (o_drain_ms < 1000) o_drain_ms = 1000; if (o_drain_ms > 3000) o_drain_ms = 3000; }
  int probe_timeout_ms = o_interval_ms + 3000;
  signal(SIGPIPE, SIG_IGN);
  /* hard bound on the whole run, whatever happens */
  alarm((unsigned)(o_ramp_timeout + o_hold + o_drain_ms / 1000.0 + o_probes * (probe_timeout_ms + 200) / 1000.0 + 10));

  struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); getrlimit(RLIMIT_NOFILE, &rl); }
  if ((rlim_t)o_clients + 16 > rl.rlim_cur)
    fprintf(stderr, "loadgen: warning: %d clients but the fd limit is %llu\n", o_clients, (unsigned long long)rl.rlim_cur);

  target.sin_family = AF_INET; target.sin_port = htons((uint16_t)o_port);
  inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);
  request_len = (size_t)snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", o_path);
  C = calloc((size_t)o_clients + 1, sizeof *C);
  for (int i = 0; i <= o_clients; i++) C[i].fd = -1;
  rbuf = malloc(rbuf_size + MAX_LINE);
  rbuf_size += MAX_LINE;
  hinit(&h_hdr); hinit(&h_ev); hinit(&h_lag); hinit(&h_phdr); hinit(&h_pev);
  nslots = (uint64_t)((o_hold * 1000 + o_drain_ms) / o_interval_ms) * 2 + 64;
  slots = calloc(nslots, sizeof *slots);
  ep = epoll_create1(EPOLL_CLOEXEC);

  long clk = sysconf(_SC_CLK_TCK);
  uint64_t t0 = mono_ns(), ramp_deadline = t0 + (uint64_t)(o_ramp_timeout * 1e9), next_batch = t0;
  uint64_t hold_start = 0, hold_end = 0, drain_end = 0, next_sample = 0;
  long long cpu0 = -1, cpu1 = -1; long rss0 = -1, rss_max = -1, rss1 = -1, hwm = -1;
  double self0 = 0, self1 = 0; int connected_at_hold = 0, alive_at_hold = 0;
  struct epoll_event evs[1024];
  uint64_t ramp_ns = 0;

  for (;;) {
    uint64_t now = mono_ns();
    /* ---- phase transitions and timers ---- */
    if (phase == P_RAMP) {
      if (launched < o_clients && now >= next_batch) {
        double el = (double)(now - t0) / 1e9;
        long allowed = (long)(o_rate * el) + (long)(o_rate / 100) + 1;
        if (allowed > o_clients) allowed = o_clients;
        while (launched < allowed) start_client(&C[launched++]);
        next_batch = now + 10000000ull;
        now = mono_ns();
      }
      if (launched == o_clients && resolved == o_clients) {
        ramp_ns = now - t0;
        phase = P_HOLD; hold_start = now; hold_end = now + (uint64_t)(o_hold * 1e9);
        if (gmax_valid) { id_lo = gmax_id + 1; id_lo_set = 1; }
        connected_at_hold = connected; alive_at_hold = alive;
        if (o_pid) { cpu0 = proc_cpu_ticks(o_pid); rss0 = rss_max = proc_status_kb(o_pid, "VmRSS:"); }
        self0 = self_cpu_s(); next_sample = now + 1000000000ull;
      } else if (now >= ramp_deadline) {
        for (int i = 0; i < launched; i++)
          if (C[i].state == C_CONNECTING || C[i].state == C_HEAD) fail_client(&C[i], &f_timeout);
        while (launched < o_clients) { C[launched].state = C_CONNECTING; fail_client(&C[launched++], &f_timeout); }
        continue;
      }
    }
    if (phase == P_HOLD) {
      if (o_pid && now >= next_sample) {
        long r = proc_status_kb(o_pid, "VmRSS:"); if (r > rss_max) rss_max = r;
        next_sample += 1000000000ull;
      }
      if (now >= hold_end) {
        if (o_pid) {
          cpu1 = proc_cpu_ticks(o_pid); rss1 = proc_status_kb(o_pid, "VmRSS:"); hwm = proc_status_kb(o_pid, "VmHWM:");
          if (rss1 > rss_max) rss_max = rss1;
        }
        self1 = self_cpu_s();
        hold_end = now;
        phase = P_DRAIN; drain_end = now + (uint64_t)o_drain_ms * 1000000ull;
        if (gmax_valid && id_lo_set && gmax_id >= id_lo) { id_hi = gmax_id; id_hi_set = 1; }
        drain_pending = 0;
        for (int i = 0; i < o_clients; i++) {
          client *c = &C[i];
          if (c->state != C_STREAM) continue;
          if (!id_hi_set || (c->has_prev && c->prev_id >= id_hi)) c->done = 1; else drain_pending++;
        }
      }
    }
    if (phase == P_DRAIN && (drain_pending <= 0 || now >= drain_end)) {
      drain_end = now;
      for (int i = 0; i < o_clients; i++) if (C[i].state != C_CLOSED && C[i].fd >= 0) close_client(&C[i]);
      phase = o_probes ? P_PROBE : P_DONE;
      probe_next = now;
    }
    if (phase == P_PROBE) {
      client *pc = &C[o_clients];
      if (pc->fd >= 0 && now >= probe_deadline) { fail_client(pc, &f_timeout); probe_next = now + 100000000ull; }
      if (pc->fd < 0 && probe_next == ~0ull) probe_next = now + 100000000ull;   /* the last probe just ended */
      if (pc->fd < 0 && now >= probe_next) {
        if (probe_k >= o_probes) phase = P_DONE;
        else {
          probe_k++; start_client(pc);
          probe_deadline = now + (uint64_t)probe_timeout_ms * 1000000ull;
          probe_next = pc->fd < 0 ? now + 100000000ull : ~0ull;
        }
      }
    }
    if (phase == P_DONE) break;

    /* ---- wait ---- */
    uint64_t wake = ~0ull;
    if (phase == P_RAMP) { wake = ramp_deadline; if (launched < o_clients && next_batch < wake) wake = next_batch; }
    else if (phase == P_HOLD) { wake = hold_end; if (o_pid && next_sample < wake) wake = next_sample; }
    else if (phase == P_DRAIN) wake = drain_end;
    else if (phase == P_PROBE) {
      if (C[o_clients].fd >= 0) wake = probe_deadline;
      else wake = probe_next == ~0ull ? now + 100000000ull : probe_next;
    }
    now = mono_ns();
    int timeout = wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);
    int n = epoll_wait(ep, evs, 1024, timeout);
    if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); break; }
    now_mono = mono_ns(); now_real = real_us();
    for (int i = 0; i < n; i++) {
      client *c = &C[evs[i].data.u64];
      if (c->fd < 0) continue;
      on_event(c, evs[i].events);
    }
  }

  /* ---- results ---- */
  for (int i = 0; i <= o_clients; i++) if (C[i].fd >= 0) close_client(&C[i]);
  close(ep);
  uint64_t ticks = id_hi_set ? id_hi - id_lo + 1 : 0;
  uint64_t expected = ticks * (uint64_t)alive_at_hold, received = 0, missed = 0;
  for (int i = 0; i < o_clients; i++) {
    client *c = &C[i];
    received += c->recv_win;
    /* missed: window ids not received by the clients that stayed connected to the end */
    if (c->was_connected && !c->lost && c->recv_win < ticks) missed += ticks - c->recv_win;
  }
  uint64_t *sp = calloc(ticks ? ticks : 1, sizeof *sp), nsp = 0, incomplete = 0;
  for (uint64_t k = 0; k < ticks && k < nslots; k++) {
    if (!slots[k].count) continue;
    sp[nsp++] = (slots[k].last - slots[k].first) / 1000;
    if (slots[k].count < (uint32_t)alive) incomplete++;
  }
  qsort(sp, nsp, sizeof *sp, cmp_u64);
  double sp50 = -1, sp99 = -1, spmax = -1;
  if (nsp) {
    uint64_t r50 = (uint64_t)(0.50 * (double)nsp + 0.999999), r99 = (uint64_t)(0.99 * (double)nsp + 0.999999);
    sp50 = (double)sp[r50 - 1]; sp99 = (double)sp[r99 - 1]; spmax = (double)sp[nsp - 1];
  }
  double hold_s = hold_end > hold_start ? (double)(hold_end - hold_start) / 1e9 : 0;
  double srv_cpu = (cpu0 >= 0 && cpu1 >= 0 && hold_s > 0) ? (double)(cpu1 - cpu0) / (double)clk / hold_s * 100.0 : -1;
  double lg_cpu = hold_s > 0 ? (self1 - self0) / hold_s * 100.0 : -1;
  struct rusage ru; getrusage(RUSAGE_SELF, &ru);
  double total_s = (double)(mono_ns() - t0) / 1e9;

  char s50[32], s99[32], smax[32], l50[32], l99[32], lmax[32], h50[32], h99[32], hmax[32], e50[32], e99[32], emax[32];
  char ph50[32], ph99[32], pe50[32], pe99[32], pemax[32];
  fmt_ms(s50, 32, sp50); fmt_ms(s99, 32, sp99); fmt_ms(smax, 32, spmax);
  fmt_ms(l50, 32, hpct(&h_lag, .50)); fmt_ms(l99, 32, hpct(&h_lag, .99)); fmt_ms(lmax, 32, h_lag.n ? (double)h_lag.max : -1);
  fmt_ms(h50, 32, hpct(&h_hdr, .50)); fmt_ms(h99, 32, hpct(&h_hdr, .99)); fmt_ms(hmax, 32, h_hdr.n ? (double)h_hdr.max : -1);
  fmt_ms(e50, 32, hpct(&h_ev, .50)); fmt_ms(e99, 32, hpct(&h_ev, .99)); fmt_ms(emax, 32, h_ev.n ? (double)h_ev.max : -1);
  fmt_ms(ph50, 32, hpct(&h_phdr, .50)); fmt_ms(ph99, 32, hpct(&h_phdr, .99));
  fmt_ms(pe50, 32, hpct(&h_pev, .50)); fmt_ms(pe99, 32, hpct(&h_pev, .99)); fmt_ms(pemax, 32, h_pev.n ? (double)h_pev.max : -1);
#define MB(kb) ((kb) < 0 ? -1.0 : (double)(kb) / 1024.0)

  printf("loadgen: 127.0.0.1:%d%s  clients %d  ramp %.2f s (rate %.0f/s)  hold %.2f s  drain %.2f s  total %.2f s\n",
         o_port, o_path, o_clients, (double)ramp_ns / 1e9, o_rate, hold_s, (double)(drain_end - hold_end) / 1e9, total_s);
  printf("  subscribers   connected %d  failed %d (connect %d, socket %d, status %d [503: %d], eof %d, protocol %d, timeout %d)\n",
         connected, failed, f_connect, f_socket, f_status, status_503, f_eof, f_proto, f_timeout);
  printf("                dropped during hold %d  (during ramp %d)  alive at end %d\n", dropped_hold, dropped_ramp, alive);
  printf("  events        ticks in hold %" PRIu64 " (ids %" PRIu64 "..%" PRIu64 ")  expected %" PRIu64 "  received %" PRIu64 "  missed %" PRIu64 "  (gaps %" PRIu64 ", dup/out-of-order %" PRIu64 ")\n",
         ticks, id_lo_set ? id_lo : 0, id_hi_set ? id_hi : 0, expected, received, missed, gaps_win, dups);
  printf("                metrics events in total %" PRIu64 ", other events %" PRIu64 ", comments %" PRIu64 ", without id %" PRIu64 ", retry %ld ms\n",
         total_events, other_events, comments, noid_events, retry_ms);
  printf("  fan-out spread per tick (ms)   p50 %s  p99 %s  max %s  (%" PRIu64 " ticks, %" PRIu64 " not reaching every client)\n", s50, s99, smax, nsp, incomplete);
  printf("  lag vs event timestamp (ms)    p50 %s  p99 %s  max %s  (%" PRIu64 " arrivals, %" PRIu64 " before their timestamp, counted as 0)\n",
         l50, l99, lmax, h_lag.n, lag_negative);
  printf("  connect -> headers (ms)        p50 %s  p99 %s  max %s  (%" PRIu64 ")\n", h50, h99, hmax, h_hdr.n);
  printf("  connect -> first event (ms)    p50 %s  p99 %s  max %s  (%" PRIu64 ")\n", e50, e99, emax, h_ev.n);
  if (o_probes)
    printf("  probes, one client at a time   headers p50 %s p99 %s  first event p50 %s p99 %s max %s  (%d ok, %d failed)\n",
           ph50, ph99, pe50, pe99, pemax, probe_ok, probe_failed);
  if (o_pid)
    printf("  server pid %d  CPU %.2f%% of one core over the hold  RSS start %.1f  max %.1f  end %.1f MB  (VmHWM %.1f MB)\n",
           o_pid, srv_cpu, MB(rss0), MB(rss_max), MB(rss1), MB(hwm));
  printf("  loadgen       CPU %.2f%% of one core over the hold, max RSS %.1f MB\n", lg_cpu, (double)ru.ru_maxrss / 1024.0);
  if (window_overflow) printf("  warning: %" PRIu64 " arrivals beyond the id window (is --interval-ms right?)\n", window_overflow);

  printf("RESULT port=%d clients=%d connected=%d failed=%d dropped=%d dropped_ramp=%d alive_end=%d ticks=%" PRIu64
         " expected=%" PRIu64 " received=%" PRIu64 " missed=%" PRIu64 " gaps=%" PRIu64 " dups=%" PRIu64 " incomplete_ticks=%" PRIu64
         " spread_p50=%s spread_p99=%s spread_max=%s lag_p50=%s lag_p99=%s lag_max=%s hdr_p50=%s hdr_p99=%s hdr_max=%s"
         " ev_p50=%s ev_p99=%s ev_max=%s probes_ok=%d probes_failed=%d probe_hdr_p50=%s probe_hdr_p99=%s probe_ev_p50=%s probe_ev_p99=%s probe_ev_max=%s"
         " srv_cpu=%.2f srv_rss_start=%.2f srv_rss_max=%.2f srv_rss_end=%.2f srv_hwm=%.2f lg_cpu=%.2f lg_rss=%.1f"
         " ramp_s=%.2f hold_s=%.2f status_503=%d\n",
         o_port, o_clients, connected, failed, dropped_hold, dropped_ramp, alive, ticks, expected, received, missed, gaps_win, dups, incomplete,
         s50, s99, smax, l50, l99, lmax, h50, h99, hmax, e50, e99, emax, probe_ok, probe_failed, ph50, ph99, pe50, pe99, pemax,
         srv_cpu, MB(rss0), MB(rss_max), MB(rss1), MB(hwm), lg_cpu, (double)ru.ru_maxrss / 1024.0,
         (double)ramp_ns / 1e9, hold_s, status_503);
  (void)connected_at_hold;
  if (o_connect_log) {   /* one line per client: connect start (ms after the run began), ms to headers, ms to first event */
    FILE *f = fopen(o_connect_log, "w");
    if (f) {
      fprintf(f, "# start_ms headers_ms first_event_ms (-1: never)\n");
      for (int i = 0; i < o_clients; i++) {
        client *c = &C[i];
        fprintf(f, "%.3f %.3f %.3f\n", c->t_start ? (double)(c->t_start - t0) / 1e6 : -1.0,
                c->hdr_us ? (c->hdr_us - 1) / 1000.0 : -1.0, c->ev_us ? (c->ev_us - 1) / 1000.0 : -1.0);
      }
      fclose(f);
    } else perror(o_connect_log);
  }
  free(sp); free(slots); free(C); free(rbuf);
  return 0;
}
