/* qmail-dns: the suite's DNS helper. Listens on a local stream socket, answers
 * MX, A and AAAA questions from a bounded TTL cache or by asking the configured
 * servers (many questions in flight, identical ones share one lookup), and signals
 * readiness to s6. Trusts neither its clients nor the DNS: both are parsed by
 * bounded units. Runs unprivileged and refuses to run as root; links libowfat and
 * nothing of the suite's skalibs code (GPL-2.0 through libowfat: never OpenSSL). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dns.h>        /* libowfat */
#include <iopause.h>
#include <taia.h>

#include "qm_conf.h"
#include "qdns_cache.h"
#include "qdns_lookup.h"
#include "qdns_proto.h"
#include "qdns_servers.h"

#define PROG "qmail-dns"
#define USAGE "qmail-dns [ -d notif ] [ -s socket ]"
#define DEFAULT_SOCKET QM_HOME "/dns/socket"

#define CLIENTS_MAX 256          /* connections served at once; more wait in listen() */
#define LOOKUPS_MAX 128          /* questions in flight; more requests wait their turn */
#define CLIENT_IDLE 300          /* seconds a connection may sit without a request */
#define INBUF_MAX 512            /* holds one request frame and a little pipelining */
#define CONTROL_MAX 65536        /* bytes read from a control file or resolv.conf */
#define TIMEOUT_DEFAULT 20       /* control/timeoutdns */
#define TIMEOUT_MAX 600
#define CACHE_DEFAULT 1048576    /* control/dnscachesize, bytes */

struct client {
  int fd;                        /* -1: the slot is free */
  char in[INBUF_MAX];
  size_t inlen;
  char *out;                     /* an answer being written */
  size_t outlen, outpos;
  int waiting;                   /* a request is parsed and waits for its answer */
  int eof;                       /* the client sent all it will: answer, then close */
  int lookup;                    /* the lookup it waits for, or -1 */
  struct qdns_req req;
  struct taia idle;              /* closed when this passes with nothing to do */
};

struct lookup {
  int used;
  unsigned char key[QDNS_CACHE_KEY_MAX];
  size_t keylen;
  struct qdns_lookup l;
};

static struct client clients[CLIENTS_MAX];
static struct lookup lookups[LOOKUPS_MAX];
static struct qdns_cache cache;
static char servers[QDNS_SERVERS_BYTES];
static unsigned nservers;
static unsigned timeout = TIMEOUT_DEFAULT;
static unsigned long long nqueries, nrequests, nfailures;

static void say(char const *level, char const *fmt, ...)
{
  char line[600];
  va_list ap;
  int n = snprintf(line, sizeof line, "%s: %s: ", PROG, level);
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s\n", line);
}

static void die(int code, char const *fmt, ...)
{
  char line[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s: fatal: %s\n", PROG, line);
  exit(code);
}

static uint64_t monotonic(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec;
}

/* Reads a whole small file: its length, 0 if it does not exist, dies on errors. */
static size_t slurp(char const *path, char *buf, size_t max)
{
  size_t n = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    die(111, "unable to open %s: %s", path, strerror(errno));
  }
  for (;;) {
    ssize_t r = read(fd, buf + n, max - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      die(111, "unable to read %s: %s", path, strerror(errno));
    }
    if (!r) break;
    n += (size_t)r;
    if (n == max) die(100, "%s is larger than %u bytes", path, (unsigned)max);
  }
  close(fd);
  return n;
}

/* A control number: the first line's digits; def when absent or not a number. */
static unsigned long controlnum(char const *path, unsigned long def, unsigned long max)
{
  char buf[64];
  size_t n = slurp(path, buf, sizeof buf), i = 0;
  unsigned long v = 0;
  while (i < n && buf[i] >= '0' && buf[i] <= '9') {
    if (v > (max - (unsigned long)(buf[i] - '0')) / 10) return max;
    v = v * 10 + (unsigned long)(buf[i] - '0');
    i++;
  }
  if (!i || (i < n && buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r'))
    return def;
  return v;
}

static void readconfig(void)
{
  static char buf[CONTROL_MAX];
  size_t n = slurp("control/dnsservers", buf, sizeof buf);
  unsigned count;
  char const *from = "control/dnsservers";
  if (n) count = qdns_servers_parse(servers, buf, n, 0);
  else {
    from = "/etc/resolv.conf";
    n = slurp("/etc/resolv.conf", buf, sizeof buf);
    count = qdns_servers_parse(servers, buf, n, 1);
  }
  if (!count) {
    /* as resolv.conf(5) says for a missing nameserver line: the local host */
    from = "the default";
    count = qdns_servers_parse(servers, "127.0.0.1\n", 10, 0);
  }
  nservers = count;
  timeout = (unsigned)controlnum("control/timeoutdns", TIMEOUT_DEFAULT, TIMEOUT_MAX);
  if (!timeout) timeout = 1;
  unsigned long cbytes = controlnum("control/dnscachesize", CACHE_DEFAULT, QDNS_CACHE_MAX_BYTES);
  uint64_t seed;
  if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
    die(111, "unable to get random bytes: %s", strerror(errno));
  if (!qdns_cache_init(&cache, cbytes, seed)) die(111, "out of memory");
  say("info", "servers=%u from=%s timeout=%u cachebytes=%zu", count, from, timeout,
      cache.maxbytes);
}

static int listener(char const *path)
{
  struct sockaddr_un sa;
  int fd;
  mode_t old;
  if (strlen(path) >= sizeof sa.sun_path) die(100, "socket path too long: %s", path);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  strcpy(sa.sun_path, path);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die(111, "unable to create socket: %s", strerror(errno));
  if (unlink(path) < 0 && errno != ENOENT)
    die(111, "unable to remove stale %s: %s", path, strerror(errno));
  /* Every local user may ask: they could ask the DNS themselves anyway. */
  old = umask(0);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    die(111, "unable to bind %s: %s", path, strerror(errno));
  umask(old);
  if (listen(fd, 128) < 0) die(111, "unable to listen on %s: %s", path, strerror(errno));
  return fd;
}

static void closeclient(struct client *c)
{
  close(c->fd);
  c->fd = -1;
  free(c->out);
  c->out = 0;
  c->outlen = c->outpos = c->inlen = 0;
  c->waiting = 0;
  c->eof = 0;
  c->lookup = -1;
}

static void respond(struct client *c, char const *frame, size_t len)
{
  c->out = malloc(len);
  if (!c->out) { say("warning", "out of memory: dropping a client"); closeclient(c); return; }
  memcpy(c->out, frame, len);
  c->outlen = len;
  c->outpos = 0;
  c->waiting = 0;
  c->lookup = -1;
}

static void respondvalue(struct client *c, char const *value, size_t vlen, uint32_t ttl)
{
  static char frame[QDNS_FRAME_MAX];
  size_t n = qdns_proto_answer(frame, sizeof frame, value, vlen, ttl);
  if (!n) n = qdns_proto_fail(frame, sizeof frame, 'Z', "answer too large");
  respond(c, frame, n);
}

static void respondfail(struct client *c, char status, char const *text)
{
  char frame[300];
  respond(c, frame, qdns_proto_fail(frame, sizeof frame, status, text));
}

static void respondstats(struct client *c)
{
  char v[512];
  struct rusage ru;
  unsigned inflight = 0, nclients = 0;
  for (int i = 0; i < LOOKUPS_MAX; i++) inflight += lookups[i].used;
  for (int i = 0; i < CLIENTS_MAX; i++) nclients += clients[i].fd >= 0;
  if (getrusage(RUSAGE_SELF, &ru) < 0) ru.ru_maxrss = 0;
  int n = snprintf(v, sizeof v,
    "S hits=%llu misses=%llu entries=%zu bytes=%zu maxbytes=%zu evictions=%llu "
    "expired=%llu requests=%llu queries=%llu failures=%llu inflight=%u clients=%u "
    "maxrss_kb=%ld",
    (unsigned long long)cache.hits, (unsigned long long)cache.misses, cache.entries,
    cache.bytes, cache.maxbytes, (unsigned long long)cache.evictions,
    (unsigned long long)cache.expired, nrequests, nqueries, nfailures, inflight, nclients,
    (long)ru.ru_maxrss);
  respondvalue(c, v, (size_t)n < sizeof v ? (size_t)n : sizeof v - 1, 0);
}

static size_t makekey(unsigned char key[QDNS_CACHE_KEY_MAX], struct qdns_req const *r)
{
  key[0] = (unsigned char)r->type;
  memcpy(key + 1, r->name, r->namelen);
  return 1 + r->namelen;
}

/* Answers from the cache, joins a lookup in flight, starts one, or leaves the
 * request waiting for a free lookup slot. */
static void serve(struct client *c, struct taia const *now)
{
  unsigned char key[QDNS_CACHE_KEY_MAX];
  size_t keylen = makekey(key, &c->req);
  char const *v;
  size_t vlen;
  uint32_t ttl;
  int freeslot = -1;

  if (qdns_cache_get(&cache, key, keylen, monotonic(), &v, &vlen, &ttl)) {
    respondvalue(c, v, vlen, ttl);
    return;
  }
  for (int i = 0; i < LOOKUPS_MAX; i++) {
    if (!lookups[i].used) { if (freeslot < 0) freeslot = i; continue; }
    if (lookups[i].keylen == keylen && !memcmp(lookups[i].key, key, keylen)) {
      c->lookup = i;
      return;
    }
  }
  if (freeslot < 0) return;   /* tried again on the next turn */
  struct lookup *lk = &lookups[freeslot];
  memcpy(lk->key, key, keylen);
  lk->keylen = keylen;
  lk->used = 1;
  c->lookup = freeslot;
  if (!qdns_lookup_start(&lk->l, servers, nservers, qdns_proto_dnstype(c->req.type), c->req.name,
                         timeout, now))
    lk->used = 2;   /* failed at once: finished on this turn like any other */
}

static void logfailure(struct lookup const *lk)
{
  char name[QDNS_NAME_TEXT_MAX + 1];
  static char const *const tname[] = { "?", "MX", "A", "AAAA", "STATS" };
  unsigned t = lk->key[0] < 5 ? lk->key[0] : 0;
  if (!qdns_name_totext(name, lk->key + 1)) strcpy(name, "?");
  say("warning", "type=%s name=%s: %.*s", tname[t], name, (int)lk->l.vlen - 1,
      lk->l.value + 1);
}

static void lookupdone(int i)
{
  struct lookup *lk = &lookups[i];
  nqueries += lk->l.queries;
  if (lk->l.temporary) {
    nfailures++;
    logfailure(lk);
  } else
    qdns_cache_put(&cache, lk->key, lk->keylen, lk->l.value, lk->l.vlen, lk->l.finalttl,
                   monotonic());
  for (int k = 0; k < CLIENTS_MAX; k++) {
    struct client *c = &clients[k];
    if (c->fd < 0 || !c->waiting || c->lookup != i) continue;
    respondvalue(c, lk->l.value, lk->l.vlen, lk->l.finalttl);
  }
  qdns_lookup_free(&lk->l);
  lk->used = 0;
}

/* Takes every complete request out of the client's input, one at a time: the next
 * is read only after the previous answer is written, so answers keep their order. */
static void parse(struct client *c, struct taia const *now)
{
  size_t off, plen, used;
  char const *why;
  int r;
  if (c->waiting || c->outlen) return;
  r = qdns_proto_frame(c->in, c->inlen, QDNS_REQ_MAX, &off, &plen, &used);
  if (r == 0) return;
  if (r < 0) { closeclient(c); return; }
  nrequests++;
  if (qdns_proto_request(&c->req, c->in + off, plen, &why) < 0) respondfail(c, 'D', why);
  else if (c->req.type == QDNS_Q_STATS) respondstats(c);
  else {
    c->waiting = 1;
    c->lookup = -1;
    serve(c, now);
  }
  memmove(c->in, c->in + used, c->inlen - used);
  c->inlen -= used;
  taia_uint(&c->idle, CLIENT_IDLE);
  taia_add(&c->idle, &c->idle, now);
}

static void readclient(struct client *c, struct taia const *now)
{
  ssize_t r = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
  if (r < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    closeclient(c);
    return;
  }
  if (!r) { c->eof = 1; parse(c, now); return; }
  c->inlen += (size_t)r;
  parse(c, now);
}

static void writeclient(struct client *c, struct taia const *now)
{
  ssize_t r = send(c->fd, c->out + c->outpos, c->outlen - c->outpos, MSG_NOSIGNAL);
  if (r < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    closeclient(c);
    return;
  }
  c->outpos += (size_t)r;
  if (c->outpos < c->outlen) return;
  free(c->out);
  c->out = 0;
  c->outlen = c->outpos = 0;
  parse(c, now);   /* a pipelined request may already be here */
}

static void acceptclients(int lfd, struct taia const *now)
{
  for (int i = 0; i < CLIENTS_MAX; i++) {
    if (clients[i].fd >= 0) continue;
    int fd = accept(lfd, 0, 0);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        say("warning", "unable to accept: %s", strerror(errno));
      return;
    }
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
      close(fd);
      continue;
    }
    clients[i].fd = fd;
    clients[i].inlen = 0;
    clients[i].waiting = 0;
    clients[i].eof = 0;
    clients[i].lookup = -1;
    taia_uint(&clients[i].idle, CLIENT_IDLE);
    taia_add(&clients[i].idle, &clients[i].idle, now);
  }
}

static void notify(int fd)
{
  if (fd < 0) return;
  if (write(fd, "\n", 1) != 1) die(111, "unable to write to notification fd %d: %s", fd,
                                   strerror(errno));
  close(fd);
}

int main(int argc, char **argv)
{
  static iopause_fd x[1 + CLIENTS_MAX + LOOKUPS_MAX];
  int xclient[CLIENTS_MAX], xlookup[LOOKUPS_MAX];
  char const *path = DEFAULT_SOCKET;
  int notif = -1, lfd, opt;
  char seed[128];

  while ((opt = getopt(argc, argv, "d:s:")) != -1) {
    switch (opt) {
    case 'd': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || end == optarg || v < 3 || v > 1024) die(100, "usage: %s", USAGE);
      notif = (int)v;
      if (fcntl(notif, F_GETFD) < 0) die(100, "notification fd %d is not open", notif);
      break;
    }
    case 's': path = optarg; break;
    default: die(100, "usage: %s", USAGE);
    }
  }
  if (optind != argc) die(100, "usage: %s", USAGE);
  if (!getuid() || !geteuid()) die(100, "refusing to run as root: run me as %s", QM_USER_QMAILN);
  signal(SIGPIPE, SIG_IGN);
  if (chdir(QM_HOME) < 0) die(111, "unable to switch to %s: %s", QM_HOME, strerror(errno));
  if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
    die(111, "unable to get random bytes: %s", strerror(errno));
  dns_random_init(seed);   /* query ids and source ports */
  readconfig();
  for (int i = 0; i < CLIENTS_MAX; i++) { clients[i].fd = -1; clients[i].lookup = -1; }
  lfd = listener(path);
  say("info", "listening on %s", path);
  notify(notif);

  for (;;) {
    struct taia now, deadline;
    unsigned n = 0, nclients = 0;
    taia_now(&now);
    taia_uint(&deadline, 60);
    taia_add(&deadline, &deadline, &now);

    for (int i = 0; i < CLIENTS_MAX; i++) nclients += clients[i].fd >= 0;
    int xlisten = -1;
    if (nclients < CLIENTS_MAX) {
      xlisten = (int)n;
      x[n].fd = lfd;
      x[n++].events = IOPAUSE_READ;
    }
    for (int i = 0; i < CLIENTS_MAX; i++) {
      struct client *c = &clients[i];
      xclient[i] = -1;
      if (c->fd < 0) continue;
      if (c->outlen) { x[n].fd = c->fd; x[n].events = IOPAUSE_WRITE; }
      else if (!c->waiting && !c->eof) { x[n].fd = c->fd; x[n].events = IOPAUSE_READ; }
      else continue;
      if (taia_less(&c->idle, &deadline)) deadline = c->idle;
      xclient[i] = (int)n++;
    }
    for (int i = 0; i < LOOKUPS_MAX; i++) {
      xlookup[i] = -1;
      if (lookups[i].used != 1) continue;
      xlookup[i] = (int)n;
      qdns_lookup_io(&lookups[i].l, &x[n++], &deadline);
    }
    /* A lookup that failed at once, or a request waiting for a slot, needs a turn
     * without waiting for any descriptor. */
    for (int i = 0; i < LOOKUPS_MAX; i++) if (lookups[i].used == 2) deadline = now;

    iopause(x, n, &deadline, &now);
    taia_now(&now);

    for (int i = 0; i < LOOKUPS_MAX; i++) {
      if (lookups[i].used == 2) { lookupdone(i); continue; }
      if (xlookup[i] < 0) continue;
      if (qdns_lookup_step(&lookups[i].l, &x[xlookup[i]], &now)) lookupdone(i);
    }
    for (int i = 0; i < CLIENTS_MAX; i++) {
      struct client *c = &clients[i];
      if (c->fd < 0) continue;
      if (xclient[i] >= 0) {
        short re = x[xclient[i]].revents;
        if (re & (POLLERR | POLLNVAL)) { closeclient(c); continue; }
        if (c->outlen && (re & POLLOUT)) writeclient(c, &now);
        else if (!c->outlen && !c->waiting && !c->eof && (re & (POLLIN | POLLHUP)))
          readclient(c, &now);
      }
      if (c->fd < 0) continue;
      /* a request waiting for a lookup slot: slots free up only in lookupdone */
      if (c->waiting && c->lookup < 0) serve(c, &now);
      else if (!c->waiting && !c->outlen && (c->eof || taia_less(&c->idle, &now)))
        closeclient(c);
    }
    if (xlisten >= 0 && (x[xlisten].revents & POLLIN)) acceptclients(lfd, &now);
  }
}
