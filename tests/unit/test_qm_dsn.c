/* qm_dsn: every header and report field, the status code and routing decisions,
 * and hostile input (remote texts with CR/LF/NUL/8-bit, addresses that are not
 * ASCII, originals that are huge, have no empty line, or forge our boundary).
 * Each notice is also checked for shape: no line over 998, no CR, exactly our
 * four delimiter lines. The original is fed whole and one byte at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "qm_dsn.h"

/* --- a memory sink and source -------------------------------------------------------- */

typedef struct sink_s { char *s; size_t len, cap, failat; int err; } sink;

static int sink_put(void *ctx, char const *s, size_t n)
{
  sink *k = ctx;
  if (k->failat && k->len + n >= k->failat) { errno = k->err; return 0; }
  if (k->len + n + 1 > k->cap) {
    size_t cap = (k->len + n + 1) * 2;
    char *p = realloc(k->s, cap);
    if (!p) return 0;
    k->s = p; k->cap = cap;
  }
  memcpy(k->s + k->len, s, n);
  k->len += n;
  k->s[k->len] = 0;
  return 1;
}

typedef struct source_s { char const *s; size_t len, at, chunk; int failat_set; size_t failat; } source;

static ssize_t source_get(void *ctx, char *s, size_t n)
{
  source *r = ctx;
  size_t k = r->len - r->at;
  if (r->failat_set && r->at >= r->failat) { errno = EIO; return -1; }
  if (k > n) k = n;
  if (r->chunk && k > r->chunk) k = r->chunk;
  memcpy(s, r->s + r->at, k);
  r->at += k;
  return (ssize_t)k;
}

static qm_dsn_rcpt one_rcpt[1] = { {
  .addr = "bob@example.net", .addrlen = 15, .action = QM_DSN_FAILED, .status = 0,
  .remote_mta = "mx.example.net",
  .diag = "Remote host said: 550 5.1.1 <bob@example.net>: User unknown", .diaglen = 60 } };

static void base(qm_dsn *d)
{
  memset(d, 0, sizeof *d);
  d->kind = QM_DSN_FAILURE;
  d->mta = "mail.example.org";
  d->from = "MAILER-DAEMON@mail.example.org";
  d->to = "joe@example.org";
  d->sender = "joe@example.org";
  d->arrival = 1700000000;     /* 14 Nov 2023 22:13:20 UTC */
  d->now = 1700003600;
  d->retry_until = 1700604800;
  d->id = 1048623;
  d->salt = 77;
  d->orig_size = QM_DSN_SIZE_UNKNOWN;
  d->maxbytes = 10000;
  d->rcpt = one_rcpt;
  d->nrcpt = 1;
}

/* Builds the notice; chunk 0 gives the source's bytes as asked. */
static int gen(qm_dsn const *d, char const *orig, size_t olen, size_t chunk, sink *k, source *src)
{
  source local = { 0 };
  source *r = src ? src : &local;
  r->s = orig; r->len = olen; r->at = 0; r->chunk = chunk;
  memset(k, 0, sizeof *k);
  return qm_dsn_write(d, &sink_put, k, orig ? &source_get : 0, r);
}

/* --- reading the output -------------------------------------------------------------- */

/* Start of the first line that begins with prefix at or after from, or 0. */
static char const *line_at(sink const *k, size_t from, char const *prefix)
{
  size_t pl = strlen(prefix), i = from;
  while (i < k->len) {
    if ((i == 0 || k->s[i - 1] == '\n') && k->len - i >= pl && !memcmp(k->s + i, prefix, pl))
      return k->s + i;
    i++;
  }
  return 0;
}

static size_t count_lines(sink const *k, char const *prefix)
{
  size_t n = 0;
  char const *p = line_at(k, 0, prefix);
  while (p) { n++; p = line_at(k, (size_t)(p - k->s) + 1, prefix); }
  return n;
}

/* The line starting with prefix, without its LF, into buf. */
static char const *field(sink const *k, char const *prefix, char *buf, size_t max)
{
  char const *p = line_at(k, 0, prefix), *e;
  size_t n;
  if (!p) return 0;
  e = memchr(p, '\n', k->len - (size_t)(p - k->s));
  n = e ? (size_t)(e - p) : k->len - (size_t)(p - k->s);
  if (n >= max) n = max - 1;
  memcpy(buf, p, n);
  buf[n] = 0;
  return buf;
}

/* Some line is exactly want; else fail naming the first line with its field name. */
static void expect_field(sink const *k, char const *want)
{
  char buf[2048], prefix[64];
  char const *colon = strchr(want, ':'), *p;
  size_t pl = colon ? (size_t)(colon - want) + 1 : strlen(want), wl = strlen(want);
  memcpy(prefix, want, pl);
  prefix[pl] = 0;
  for (p = line_at(k, 0, want); p; p = line_at(k, (size_t)(p - k->s) + 1, want))
    if ((size_t)(p - k->s) + wl == k->len || p[wl] == '\n') return;
  if (!field(k, prefix, buf, sizeof buf)) fail_msg("no line \"%s\" in:\n%s", prefix, k->s);
  fail_msg("field: got \"%s\" want \"%s\"", buf, want);
}

static int contains(sink const *k, char const *s)
{
  size_t n = strlen(s), i;
  for (i = 0; i + n <= k->len; i++) if (!memcmp(k->s + i, s, n)) return 1;
  return 0;
}

/* The notice's shape; fails the test with the reason. */
static void wellformed(sink const *k)
{
  char b[128], delim[140], close_[140];
  char const *p, *q;
  size_t i, col = 0, blen = 0;
  for (i = 0; i < k->len; i++) {
    if (k->s[i] == '\r') fail_msg("CR at offset %zu", i);
    if (k->s[i] == '\n') col = 0;
    else if (++col > 998) fail_msg("line over 998 bytes at offset %zu", i);
  }
  if (k->len && k->s[k->len - 1] != '\n') fail_msg("output does not end with LF");
  p = line_at(k, 0, "\tboundary=\"");
  if (!p) fail_msg("no boundary parameter");
  p += 11;
  q = memchr(p, '"', k->len - (size_t)(p - k->s));
  if (!q || (blen = (size_t)(q - p)) < 1 || blen > 70) fail_msg("bad boundary");
  memcpy(b, p, blen);
  b[blen] = 0;
  snprintf(delim, sizeof delim, "--%s", b);
  snprintf(close_, sizeof close_, "--%s--\n", b);
  if (count_lines(k, delim) != 4) fail_msg("delimiter lines: got %zu want 4", count_lines(k, delim));
  if (count_lines(k, close_) != 1) fail_msg("close delimiter lines: got %zu want 1", count_lines(k, close_));
  if (k->len < strlen(close_) || memcmp(k->s + k->len - strlen(close_), close_, strlen(close_)))
    fail_msg("the notice does not end with the close delimiter");
  /* every other delimiter line is exactly "--b\n" */
  for (p = line_at(k, 0, delim); p; p = line_at(k, (size_t)(p - k->s) + 1, delim))
    if (p[2 + blen] != '\n' && memcmp(p + 2 + blen, "--\n", 3)) fail_msg("delimiter line with a tail");
}

static void freesink(sink *k) { free(k->s); k->s = 0; }

/* --- decisions ---------------------------------------------------------------------- */

static void status_codes(void **state)
{
  static struct { char const *text; int action; char const *want; } const cases[] = {
    { "Sorry, no mailbox here by that name. (#5.1.1)", QM_DSN_FAILED, "5.1.1" },
    { "Sorry, no mailbox here by that name. (#5.1.1)", QM_DSN_DELAYED, "4.0.0" },
    { "Connected to 192.0.2.1 but connection died. (#4.4.2)", QM_DSN_DELAYED, "4.4.2" },
    { "Connected to 192.0.2.1 but connection died. (#4.4.2)\nI'm not going to try again; "
      "this message has been in the queue too long.", QM_DSN_FAILED, "4.4.2" },
    { "Remote host said: 550 5.1.1 <bob@example.net>: User unknown", QM_DSN_FAILED, "5.1.1" },
    { "Remote host said: 550-5.7.1 policy\n550 5.7.1 rejected", QM_DSN_FAILED, "5.7.1" },
    { "Remote host said: 451 4.7.1 greylisted", QM_DSN_DELAYED, "4.7.1" },
    { "Remote host said: 550 4.1.1 mismatched", QM_DSN_FAILED, "5.0.0" },
    { "Remote host said: 5500 5.1.1 four digits", QM_DSN_FAILED, "5.0.0" },
    { "Remote host said: 550 said no", QM_DSN_FAILED, "5.0.0" },
    { "no code at all", QM_DSN_DELAYED, "4.0.0" },
    { "", QM_DSN_FAILED, "5.0.0" },
    { "(#5.1.1", QM_DSN_FAILED, "5.0.0" },
    { "(#5.1.1234)", QM_DSN_FAILED, "5.0.0" },
    { "(#5.1234.1)", QM_DSN_FAILED, "5.0.0" },
    { "(#2.0.0)", QM_DSN_FAILED, "5.0.0" },
    { "(#3.1.1)", QM_DSN_FAILED, "5.0.0" },
    { "(#5..1)", QM_DSN_FAILED, "5.0.0" },
    { "(#5.123.456)", QM_DSN_FAILED, "5.123.456" },
    { "first (#5.2.2) then (#5.1.1)", QM_DSN_FAILED, "5.2.2" },
    { "(#", QM_DSN_FAILED, "5.0.0" },
    { "(#5.1.1)", QM_DSN_FAILED, "5.1.1" },
    /* the shapes qmail-send's bounce/N texts take */
    { "1.2.3.4 does not like recipient.\nRemote host said: 550 5.7.1 relaying denied\n", QM_DSN_FAILED, "5.7.1" },
    { "Remote host said: 552 5.2.2 over quota (#5.2.2)", QM_DSN_FAILED, "5.2.2" },
    { "(#4.4.1)", QM_DSN_FAILED, "4.4.1" },
    { "ZSorry (#4.4.1)\nheader: injected\r\n", QM_DSN_DELAYED, "4.4.1" },
    { "version 1.2.3 of something", QM_DSN_FAILED, "5.0.0" },
    { "#9.1.1 #5.1", QM_DSN_FAILED, "5.0.0" },
    { "(#5.1234.1)", QM_DSN_DELAYED, "4.0.0" },
    { "\xff\x00(#5.3.4)", QM_DSN_FAILED, "5.3.4" },
  };
  char out[QM_DSN_STATUS_MAX];
  size_t i, n, len;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    len = strlen(cases[i].text);
    if (i == sizeof cases / sizeof cases[0] - 1) len = 10;
    n = qm_dsn_status(out, cases[i].text, len, cases[i].action);
    if (strcmp(out, cases[i].want) || n != strlen(out))
      fail_msg("status(\"%s\", %d): got %s want %s", cases[i].text, cases[i].action, out, cases[i].want);
  }
  n = qm_dsn_status(out, 0, 12, QM_DSN_FAILED);
  if (strcmp(out, "5.0.0") || n != 5) fail_msg("status(NULL): got %s want 5.0.0", out);
}

static void routes(void **state)
{
  static struct { char const *s; int want; size_t rlen; } const cases[] = {
    { "", QM_DSN_TO_POSTMASTER, 0 },
    { "#@[]", QM_DSN_DROP, 0 },
    { "joe@example.org", QM_DSN_TO_SENDER, 15 },
    { "list-owner-@example.org-@[]", QM_DSN_TO_SENDER, 23 },
    { "-@[]", QM_DSN_TO_SENDER, 4 },
    { "#@[]x", QM_DSN_TO_SENDER, 5 },
  };
  size_t i, r;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got;
    r = 9999;
    got = qm_dsn_route(cases[i].s, strlen(cases[i].s), &r);
    if (got != cases[i].want) fail_msg("route(\"%s\"): got %d want %d", cases[i].s, got, cases[i].want);
    if (got == QM_DSN_TO_SENDER && r != cases[i].rlen)
      fail_msg("route(\"%s\"): rlen got %zu want %zu", cases[i].s, r, cases[i].rlen);
  }
}

static void delay_due(void **state)
{
  static struct { char const *s; long arrival, now; unsigned long warn; int sent, want; } const cases[] = {
    { "joe@example.org", 1000, 1000 + 14400, 14400, 0, 1 },
    { "joe@example.org", 1000, 1000 + 14399, 14400, 0, 0 },
    { "joe@example.org", 1000, 1000 + 99999, 14400, 1, 0 },
    { "joe@example.org", 1000, 1000 + 99999, 0, 0, 0 },
    { "", 1000, 1000 + 99999, 14400, 0, 0 },
    { "#@[]", 1000, 1000 + 99999, 14400, 0, 0 },
    { "joe@example.org", 5000, 1000, 1, 0, 0 },
    { "joe@example.org", 0, 0x7fffffff, 0xffffffffUL, 0, 0 },
    { "joe@example.org", 0, 0x7fffffff, 1, 0, 1 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = qm_dsn_delay_due(cases[i].s, strlen(cases[i].s), (time_t)cases[i].arrival,
                               (time_t)cases[i].now, cases[i].warn, cases[i].sent);
    if (got != cases[i].want) fail_msg("delay_due case %zu: got %d want %d", i, got, cases[i].want);
  }
}

/* --- refusals ------------------------------------------------------------------------ */

static void invalid(void **state)
{
  qm_dsn d;
  qm_dsn_rcpt r[2];
  sink k;
  int i;
  (void)state;
  for (i = 0; i < 11; i++) {
    base(&d);
    memcpy(r, one_rcpt, sizeof one_rcpt);
    r[1] = r[0];
    d.rcpt = r;
    switch (i) {
      case 0: d.nrcpt = 0; break;                      /* no failed recipient */
      case 1: d.to = 0; break;
      case 2: d.to = ""; break;
      case 3: d.mta = ""; break;
      case 4: d.from = 0; break;
      case 5: d.kind = 0; break;
      case 6: r[0].action = 3; break;
      case 7: r[0].addrlen = 0; break;
      case 8: d.nrcpt = QM_DSN_RCPT_MAX + 1; break;
      case 9: d.rcpt = 0; break;
      case 10: r[1].diag = 0; r[1].diaglen = 4; d.nrcpt = 2; break;
    }
    errno = 0;
    if (gen(&d, "Subject: x\n\nbody\n", 17, 0, &k, 0) != 0 || errno != EINVAL)
      fail_msg("case %d: got errno %d want EINVAL", i, errno);
    if (k.len) fail_msg("case %d: wrote %zu bytes for an invalid description", i, k.len);
    freesink(&k);
  }
}

static void callback_errors(void **state)
{
  qm_dsn d;
  sink k;
  source src;
  static char big[200000];
  (void)state;
  memset(big, 'a', sizeof big);
  memcpy(big, "Subject: x\n\n", 12);
  base(&d);
  d.maxbytes = sizeof big;
  memset(&src, 0, sizeof src);
  src.failat_set = 1; src.failat = 100000;
  errno = 0;
  if (gen(&d, big, sizeof big, 0, &k, &src) != 0 || errno != EIO) fail_msg("read error: got errno %d want EIO", errno);
  freesink(&k);
  src.failat = 0;
  if (gen(&d, big, sizeof big, 0, &k, &src) != 0 || errno != EIO) fail_msg("read error at once: got errno %d", errno);
  freesink(&k);
  /* the sink fails part way: 0 with its errno, and nothing more is written */
  memset(&k, 0, sizeof k);
  {
    source s2 = { big, sizeof big, 0, 0, 0, 0 };
    k.failat = 5000; k.err = EPIPE;
    errno = 0;
    if (qm_dsn_write(&d, &sink_put, &k, &source_get, &s2) != 0 || errno != EPIPE)
      fail_msg("write error: got errno %d want EPIPE", errno);
    if (k.len >= 5000) fail_msg("wrote past the failure: %zu", k.len);
    freesink(&k);
  }
}

/* --- fields ---------------------------------------------------------------------- */

static void failure_fields(void **state)
{
  qm_dsn d;
  sink k;
  char const *orig = "Subject: hello\nFrom: joe@example.org\nMessage-ID: <1@example.org>\n\nbody\n";
  (void)state;
  base(&d);
  if (!gen(&d, orig, strlen(orig), 0, &k, 0)) fail_msg("gen failed: errno %d", errno);
  wellformed(&k);
  expect_field(&k, "Date: 14 Nov 2023 23:13:20 -0000");
  expect_field(&k, "From: Mail Delivery System <MAILER-DAEMON@mail.example.org>");
  expect_field(&k, "To: <joe@example.org>");
  expect_field(&k, "Subject: Delivery Status Notification (Failure)");
  expect_field(&k, "Message-ID: <20231114231320.10002f.4d.bounce@mail.example.org>");
  expect_field(&k, "Auto-Submitted: auto-replied");
  expect_field(&k, "MIME-Version: 1.0");
  expect_field(&k, "Content-Type: multipart/report; report-type=delivery-status;");
  expect_field(&k, "Reporting-MTA: dns; mail.example.org");
  expect_field(&k, "Arrival-Date: 14 Nov 2023 22:13:20 -0000");
  expect_field(&k, "Final-Recipient: rfc822; bob@example.net");
  expect_field(&k, "Action: failed");
  expect_field(&k, "Status: 5.1.1");
  expect_field(&k, "Remote-MTA: dns; mx.example.net");
  expect_field(&k, "Diagnostic-Code: smtp; Remote host said: 550 5.1.1 <bob@example.net>: User");
  expect_field(&k, " unknown");
  expect_field(&k, "Content-Type: message/delivery-status");
  expect_field(&k, "Content-Type: message/rfc822");
  if (count_lines(&k, "Will-Retry-Until:")) fail_msg("Will-Retry-Until in a failure notice");
  if (!contains(&k, "\n\nSubject: hello\nFrom: joe@example.org\nMessage-ID: <1@example.org>\n\nbody\n\n--"))
    fail_msg("the original is not copied whole:\n%s", k.s);
  if (!contains(&k, "permanent")) fail_msg("the readable part does not say the failure is permanent");
  if (!contains(&k, "What you can do")) fail_msg("the readable part gives no advice");
  if (!contains(&k, "<bob@example.net>:\n    Remote host said:")) fail_msg("the readable part lacks the recipient");
  if (contains(&k, "truncated")) fail_msg("says truncated for a small message");
  freesink(&k);
}

static void delay_fields(void **state)
{
  qm_dsn d;
  qm_dsn_rcpt r = { .addr = "bob@example.net", .addrlen = 15, .action = QM_DSN_DELAYED,
                    .diag = "Connected to 192.0.2.1 but greeting failed. (#4.4.2)", .diaglen = 52 };
  sink k;
  char const *orig = "Subject: hello\n\nsecret body\n";
  (void)state;
  base(&d);
  d.kind = QM_DSN_DELAY;
  d.maxbytes = 0;
  d.now = d.arrival + 4 * 3600 + 5 * 60;
  d.rcpt = &r;
  if (!gen(&d, orig, strlen(orig), 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  expect_field(&k, "Subject: Delivery Status Notification (Delay)");
  expect_field(&k, "Action: delayed");
  expect_field(&k, "Status: 4.4.2");
  expect_field(&k, "Will-Retry-Until: 21 Nov 2023 22:13:20 -0000");
  expect_field(&k, "Content-Type: text/rfc822-headers");
  if (count_lines(&k, "Remote-MTA:")) fail_msg("Remote-MTA without one given");
  if (contains(&k, "secret body")) fail_msg("headers-only notice carries the body");
  if (!contains(&k, "\n\nSubject: hello\n\n--")) fail_msg("headers not returned");
  if (!contains(&k, "4 hours 5 minutes")) fail_msg("the delay is not stated");
  if (!contains(&k, "keeps trying until the queue lifetime ends")) fail_msg("no word on retrying");
  if (!contains(&k, "Message-ID: <20231115021820.10002f.4d.delay@")) fail_msg("delay Message-ID");
  freesink(&k);
}

static void double_fields(void **state)
{
  qm_dsn d;
  sink k;
  char const *orig = "From: Mail Delivery System <MAILER-DAEMON@mail.example.org>\n\nbounce\n";
  (void)state;
  base(&d);
  d.kind = QM_DSN_DOUBLE;
  d.to = "postmaster@mail.example.org";
  d.sender = "";
  if (!gen(&d, orig, strlen(orig), 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  expect_field(&k, "To: <postmaster@mail.example.org>");
  expect_field(&k, "Subject: Delivery Status Notification (Failure)");
  if (!contains(&k, ".double@mail.example.org>")) fail_msg("double Message-ID");
  if (!contains(&k, "from <>.")) fail_msg("null sender not shown");
  if (!contains(&k, "postmaster")) fail_msg("double wording");
  freesink(&k);
}

static void status_override(void **state)
{
  static struct { char const *given; int action; char const *diag; char const *want; } const cases[] = {
    { "5.2.2", QM_DSN_FAILED, "(#5.1.1)", "Status: 5.2.2" },
    { "2.0.0", QM_DSN_FAILED, "(#5.1.1)", "Status: 5.1.1" },
    { "5.2.2\nX: y", QM_DSN_FAILED, "(#5.1.1)", "Status: 5.1.1" },
    { "", QM_DSN_FAILED, 0, "Status: 5.0.0" },
    { "5.2.2", QM_DSN_DELAYED, 0, "Status: 4.0.0" },
    { "4.4.7", QM_DSN_FAILED, 0, "Status: 4.4.7" },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qm_dsn d;
    qm_dsn_rcpt r = { .addr = "a@b", .addrlen = 3, .action = cases[i].action, .status = cases[i].given,
                      .diag = cases[i].diag, .diaglen = cases[i].diag ? strlen(cases[i].diag) : 0 };
    sink k;
    base(&d);
    d.rcpt = &r;
    if (!gen(&d, 0, 0, 0, &k, 0)) fail_msg("gen failed");
    wellformed(&k);
    expect_field(&k, cases[i].want);
    freesink(&k);
  }
}

/* --- addresses -------------------------------------------------------------------- */

static void addresses(void **state)
{
  static struct { char const *addr; char const *final; char const *human; } const cases[] = {
    { "bob+tag@example.net", "Final-Recipient: rfc822; bob+tag@example.net", "<bob+tag@example.net>:" },
    { "\"john doe\"@example.net", "Final-Recipient: rfc822; \"john doe\"@example.net", "<\"john doe\"@example.net>:" },
    { "j\xc3\xbcrgen@b\xc3\xbc" "cher.de", "Final-Recipient: utf-8; j\\x{FC}rgen@b\\x{FC}cher.de",
      "<j\xc3\xbcrgen@b\xc3\xbc" "cher.de>:" },
    { "a+\xe2\x82\xac=\\@x", "Final-Recipient: utf-8; a\\x{2B}\\x{20AC}\\x{3D}\\x{5C}@x", "<a+\xe2\x82\xac=\\@x>:" },
    { "\xf0\x9f\x98\x80@x", "Final-Recipient: utf-8; \\x{1F600}@x", "<\xf0\x9f\x98\x80@x>:" },
    { "bad\xff\xc3@x", "Final-Recipient: utf-8; bad\\x{FFFD}\\x{FFFD}@x", "<bad??@x>:" },
    { "\xc0\xaf@x", "Final-Recipient: utf-8; \\x{FFFD}\\x{FFFD}@x", "<??@x>:" },
    { "\xed\xa0\x80@x", "Final-Recipient: utf-8; \\x{FFFD}\\x{FFFD}\\x{FFFD}@x", "<???@x>:" },
    { "evil@x\nBcc: all@x", "Final-Recipient: utf-8; evil@x\\x{0A}Bcc:\\x{20}all@x", "<evil@x?Bcc: all@x>:" },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qm_dsn d;
    qm_dsn_rcpt r = { .addr = cases[i].addr, .addrlen = strlen(cases[i].addr), .action = QM_DSN_FAILED };
    sink k;
    base(&d);
    d.rcpt = &r;
    d.to = cases[i].addr;
    if (!gen(&d, 0, 0, 0, &k, 0)) fail_msg("gen failed");
    wellformed(&k);
    expect_field(&k, cases[i].final);
    if (!line_at(&k, 0, cases[i].human)) fail_msg("case %zu: no readable line %s", i, cases[i].human);
    if (count_lines(&k, "Bcc:")) fail_msg("case %zu: header injected through an address", i);
    freesink(&k);
  }
}

static void long_address(void **state)
{
  static char a[1003];
  qm_dsn d;
  qm_dsn_rcpt r;
  sink k;
  char buf[2048];
  (void)state;
  memset(a, 'x', sizeof a - 1);
  a[500] = '@';
  a[sizeof a - 1] = 0;
  base(&d);
  r = one_rcpt[0];
  r.addr = a; r.addrlen = strlen(a);
  d.rcpt = &r;
  d.to = a;
  d.sender = a;
  if (!gen(&d, 0, 0, 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  if (!field(&k, "Final-Recipient: rfc822; xxx", buf, sizeof buf)) fail_msg("no Final-Recipient");
  if (strlen(buf) > 17 + 8 + QM_DSN_ADDR_MAX) fail_msg("Final-Recipient too long: %zu", strlen(buf));
  freesink(&k);
}

static void hosts(void **state)
{
  qm_dsn d;
  qm_dsn_rcpt r = one_rcpt[0];
  sink k;
  (void)state;
  base(&d);
  d.mta = "mail.example.org\nX-Evil: 1";
  r.remote_mta = "mx\r\n(evil)";
  d.rcpt = &r;
  if (!gen(&d, 0, 0, 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  expect_field(&k, "Reporting-MTA: dns; mail.example.org_X-Evil:_1");
  expect_field(&k, "Remote-MTA: dns; mx___evil_");
  if (count_lines(&k, "X-Evil")) fail_msg("header injected through the MTA name");
  freesink(&k);
  r.remote_mta = "";
  base(&d);
  d.rcpt = &r;
  if (!gen(&d, 0, 0, 0, &k, 0)) fail_msg("gen failed");
  if (count_lines(&k, "Remote-MTA:")) fail_msg("an empty Remote-MTA was written");
  freesink(&k);
}

/* --- hostile report texts --------------------------------------------------------- */

static void hostile_diag(void **state)
{
  static char longword[5000], longtext[20000];
  static struct { char const *diag; size_t len; char const *want_first; } cases[] = {
    { "550 no\r\nFinal-Recipient: rfc822; evil@x\r\n\r\n--x", 0,
      "Diagnostic-Code: smtp; 550 no Final-Recipient: rfc822; evil@x --x" },
    { "nul\0inside\0\0text", 16, "Diagnostic-Code: smtp; nul inside text" },
    { "8bit \xc3\xa9\xff end", 0, "Diagnostic-Code: smtp; 8bit ??? end" },
    { "\t  lead and trail  \n\n", 0, "Diagnostic-Code: smtp; lead and trail" },
    { "first\n/\nsecond", 0, "Diagnostic-Code: smtp; first second" },
    { "\x1b[31mred\x7f", 0, "Diagnostic-Code: smtp; [31mred" },
    { longword, 0, 0 },
    { longtext, 0, 0 },
  };
  size_t i, j;
  (void)state;
  memset(longword, 'w', sizeof longword - 1);
  for (j = 0; j < sizeof longtext - 1; j++) longtext[j] = j % 7 == 6 ? '\n' : (char)('a' + j % 26);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qm_dsn d;
    qm_dsn_rcpt r = one_rcpt[0];
    sink k;
    char const *p;
    size_t total = 0, lines = 0;
    r.diag = cases[i].diag;
    r.diaglen = cases[i].len ? cases[i].len : strlen(cases[i].diag);
    base(&d);
    d.rcpt = &r;
    if (!gen(&d, 0, 0, 0, &k, 0)) fail_msg("gen failed");
    wellformed(&k);
    if (cases[i].want_first) expect_field(&k, cases[i].want_first);
    if (count_lines(&k, "Final-Recipient:") != 1) fail_msg("case %zu: a report field was injected", i);
    /* the field with its continuation lines: printable, capped, folded */
    p = line_at(&k, 0, "Diagnostic-Code: smtp; ");
    if (!p) fail_msg("case %zu: no Diagnostic-Code", i);
    for (;;) {
      char const *e = memchr(p, '\n', k.len - (size_t)(p - k.s));
      size_t n = (size_t)(e - p);
      for (j = 0; j < n; j++)
        if ((unsigned char)p[j] < 0x20 || (unsigned char)p[j] > 0x7e) fail_msg("case %zu: byte %02x", i, (unsigned char)p[j]);
      total += n;
      lines++;
      if (e[1] != ' ') break;
      p = e + 1;
    }
    if (total > QM_DSN_DIAG_MAX + 23 + 2 * lines) fail_msg("case %zu: diagnostic %zu bytes, over the cap", i, total);
    if (i == 7 && lines < 10) fail_msg("long text not folded: %zu lines", lines);
    freesink(&k);
  }
}

/* --- many recipients ------------------------------------------------------------- */

static void many_recipients(void **state)
{
  enum { N = 1000 };
  static qm_dsn_rcpt r[N];
  static char addrs[N][32];
  qm_dsn d;
  sink k;
  char want[64];
  size_t i;
  (void)state;
  for (i = 0; i < N; i++) {
    snprintf(addrs[i], sizeof addrs[i], "user%zu@example.net", i);
    r[i].addr = addrs[i]; r[i].addrlen = strlen(addrs[i]);
    r[i].action = QM_DSN_FAILED;
    r[i].diag = "Sorry, no mailbox here by that name. (#5.1.1)"; r[i].diaglen = 45;
  }
  base(&d);
  d.rcpt = r; d.nrcpt = N;
  if (!gen(&d, "Subject: x\n\ny\n", 14, 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  if (count_lines(&k, "Final-Recipient: rfc822; user") != N) fail_msg("Final-Recipient lines: got %zu want %d", count_lines(&k, "Final-Recipient: rfc822; user"), N);
  if (count_lines(&k, "Status: 5.1.1") != N) fail_msg("Status lines");
  snprintf(want, sizeof want, "Final-Recipient: rfc822; user%d@example.net", N - 1);
  if (!line_at(&k, 0, want)) fail_msg("last recipient missing");
  if (count_lines(&k, "<user") != QM_DSN_HUMAN_LIST_MAX) fail_msg("readable list: got %zu", count_lines(&k, "<user"));
  snprintf(want, sizeof want, "... and %d more recipients", N - QM_DSN_HUMAN_LIST_MAX);
  if (!line_at(&k, 0, want)) fail_msg("no \"%s\"", want);
  freesink(&k);
}

/* --- the original ----------------------------------------------------------------- */

static void huge_original(void **state)
{
  size_t size = 5u << 20, hdr = 16, i, chunks[] = { 0, 1 };
  char *orig = malloc(size);
  (void)state;
  assert_non_null(orig);
  memcpy(orig, "Subject: huge\n\n", 15);
  for (i = 15; i < size; i++) orig[i] = i % 80 == 79 ? '\n' : 'b';
  hdr = 15;
  for (i = 0; i < 2; i++) {
    qm_dsn d;
    sink k;
    source src;
    char want[128];
    char const *p;
    base(&d);
    d.maxbytes = 1000;
    d.orig_size = i ? QM_DSN_SIZE_UNKNOWN : size;
    memset(&src, 0, sizeof src);
    if (!gen(&d, orig, size, chunks[i], &k, &src)) fail_msg("gen failed");
    wellformed(&k);
    if (src.at > hdr + 1000 + 8192) fail_msg("read %zu bytes of a message it cuts at 1000", src.at);
    if (k.len > 8000) fail_msg("notice of %zu bytes for a 1000-byte cut", k.len);
    p = line_at(&k, 0, "Subject: huge");
    if (!p) fail_msg("no copy");
    {
      char const *body = p + 15, *end = line_at(&k, (size_t)(body - k.s), "--=_qm-dsn_");
      size_t n = (size_t)(end - body), nl = 0, j;
      for (j = 0; j < n; j++) nl += body[j] == '\n';
      /* 1000 bytes of body, the LF that ends the cut line, the LF the delimiter takes */
      if (n != 1002 || memcmp(body, orig + 15, 1000)) fail_msg("body copy: got %zu bytes want 1002", n);
      (void)nl;
    }
    if (!i) {
      snprintf(want, sizeof want, "its body was truncated to its first 1000 bytes (of %zu)", size - 15);
      if (!line_at(&k, 0, want)) fail_msg("no truncation notice \"%s\" in\n%s", want, k.s);
    } else if (!line_at(&k, 0, "(at most the first 1000 bytes of its body)")) fail_msg("no cap notice");
    freesink(&k);
  }
  free(orig);
}

static void original_shapes(void **state)
{
  static struct { char const *orig; size_t maxbytes; char const *part; char const *want_copy; } const cases[] = {
    /* no header/body separator, no final LF */
    { "Subject: x\nFrom: y", 100, "message/rfc822", "\nSubject: x\nFrom: y\n\n--" },
    { "Subject: x\nFrom: y\n", 0, "text/rfc822-headers", "\nSubject: x\nFrom: y\n\n--" },
    /* CRLF lines lose their CRs, a bare CR goes too */
    { "Subject: x\r\nA: b\rc\r\n\r\nbody\r\n", 100, "message/rfc822", "\nSubject: x\nA: bc\n\nbody\n\n--" },
    { "Subject: x\r\n\r\nbody", 0, "text/rfc822-headers", "\nSubject: x\n\n--" },
    /* empty header */
    { "\nonly body\n", 100, "message/rfc822", "\n\n\nonly body\n\n--" },
    { "", 100, "message/rfc822", "8bit\n\n\n--" },
    /* body exactly at the cap, and one over */
    { "S: x\n\n12345\n", 6, "message/rfc822", "\nS: x\n\n12345\n\n--" },
    { "S: x\n\n123456\n", 6, "message/rfc822", "\nS: x\n\n123456\n\n--" },
    { "S: x\n\n1234567\n", 6, "message/rfc822", "\nS: x\n\n123456\n\n--" },
    /* 8-bit and NUL in the original pass through */
    { "S: \xc3\xa9\n\nb\0dy\xff\n", 100, "message/rfc822", "\nS: \xc3\xa9\n\nb" },
    /* our boundary forged at a line start is shifted; elsewhere left alone */
    { "S: x\n\n--=_qm-dsn_10002f_6553ff10_4d_1\n--=_qm-dsn_10002f_6553ff10_4d_1--\nx --=_qm-dsn_10002f_6553ff10_4d_1\n", 1000,
      "message/rfc822", "\n\n --=_qm-dsn_10002f_6553ff10_4d_1\n --=_qm-dsn_10002f_6553ff10_4d_1--\nx --=_qm-dsn_10002f_6553ff10_4d_1\n\n--" },
    { "--=_qm-dsn_10002f_6553ff10_4d_1\n\n", 0, "text/rfc822-headers", "\n --=_qm-dsn_10002f_6553ff10_4d_1\n\n--" },
    /* a prefix of the boundary is not a match */
    { "S: x\n\n--=_qm-dsn_10002f\n-\n--\n", 1000, "message/rfc822", "\n\n--=_qm-dsn_10002f\n-\n--\n\n--" },
  };
  size_t i, chunk;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (chunk = 0; chunk < 2; chunk++) {
      qm_dsn d;
      sink k;
      char ct[64];
      size_t olen = strlen(cases[i].orig);
      if (i == 9) olen = 13;    /* the NUL inside is part of the original */
      base(&d);
      d.maxbytes = cases[i].maxbytes;
      if (!gen(&d, cases[i].orig, olen, chunk, &k, 0)) fail_msg("case %zu: gen failed", i);
      wellformed(&k);
      snprintf(ct, sizeof ct, "Content-Type: %s", cases[i].part);
      if (!line_at(&k, 0, ct)) fail_msg("case %zu: no %s part", i, cases[i].part);
      if (!contains(&k, cases[i].want_copy)) fail_msg("case %zu chunk %zu: copy not as wanted in:\n%s", i, chunk, k.s);
      freesink(&k);
    }
  }
}

static void long_lines(void **state)
{
  static char orig[12000];
  qm_dsn d;
  sink k;
  size_t i;
  (void)state;
  memcpy(orig, "X-Long: ", 8);
  for (i = 8; i < 3000; i++) orig[i] = 'h';
  orig[3000] = '\n'; orig[3001] = '\n';
  for (i = 3002; i < sizeof orig; i++) orig[i] = 'b';
  base(&d);
  d.maxbytes = sizeof orig;
  d.orig_size = sizeof orig;
  if (!gen(&d, orig, sizeof orig, 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  if (contains(&k, "truncated")) fail_msg("says truncated for a whole copy");
  freesink(&k);
}

static void huge_header(void **state)
{
  size_t size = QM_DSN_HEADER_MAX * 2, i;
  char *orig = malloc(size);
  qm_dsn d;
  sink k;
  source src;
  (void)state;
  assert_non_null(orig);
  for (i = 0; i < size; i++) orig[i] = i % 50 == 49 ? '\n' : 'h';
  base(&d);
  memset(&src, 0, sizeof src);
  if (!gen(&d, orig, size, 0, &k, &src)) fail_msg("gen failed");
  wellformed(&k);
  if (!line_at(&k, 0, "Content-Type: text/rfc822-headers")) fail_msg("a cut header is not returned alone");
  if (!contains(&k, "the header was longer than")) fail_msg("no word on the cut header");
  if (src.at > QM_DSN_HEADER_MAX + 2) fail_msg("read %zu bytes ahead", src.at);
  if (k.len > QM_DSN_HEADER_MAX + 4000) fail_msg("notice of %zu bytes", k.len);
  freesink(&k);
  /* one header line with no LF at all */
  memset(orig, 'h', size);
  if (!gen(&d, orig, size, 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  freesink(&k);
  free(orig);
}

/* Whole or one byte at a time, the notice is the same. */
static void trickle(void **state)
{
  char const *origs[] = {
    "Subject: a\nB: c\n\nbody\nmore\n",
    "Subject: a\r\n\r\nbody",
    "no separator at all",
    "\n\n\n",
    "S: x\n\n--=_qm-dsn_10002f_6553ff10_4d_1\n",
  };
  size_t i, m;
  size_t maxes[] = { 0, 3, 10000 };
  (void)state;
  for (i = 0; i < sizeof origs / sizeof origs[0]; i++)
    for (m = 0; m < 3; m++) {
      qm_dsn d;
      sink a, b;
      base(&d);
      d.maxbytes = maxes[m];
      if (!gen(&d, origs[i], strlen(origs[i]), 0, &a, 0) || !gen(&d, origs[i], strlen(origs[i]), 1, &b, 0))
        fail_msg("gen failed");
      wellformed(&a);
      if (a.len != b.len || memcmp(a.s, b.s, a.len)) fail_msg("case %zu max %zu: whole and trickled differ", i, maxes[m]);
      freesink(&a); freesink(&b);
    }
}

static void size_limits(void **state)
{
  qm_dsn d;
  sink k;
  char const *orig = "S: x\n\nbody\n";
  (void)state;
  base(&d);
  d.maxbytes = SIZE_MAX;
  d.orig_size = UINT64_MAX - 1;
  if (!gen(&d, orig, strlen(orig), 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  if (!contains(&k, "\n\nbody\n\n--")) fail_msg("body lost with maxbytes SIZE_MAX");
  freesink(&k);
  d.orig_size = 3;    /* smaller than what was read: no underflow */
  if (!gen(&d, orig, strlen(orig), 0, &k, 0)) fail_msg("gen failed");
  wellformed(&k);
  freesink(&k);
  d.arrival = (time_t)INT64_MAX;
  d.now = (time_t)INT64_MIN;
  d.retry_until = (time_t)INT64_MAX;
  d.id = UINT64_MAX; d.salt = UINT64_MAX;
  if (!gen(&d, orig, strlen(orig), 0, &k, 0)) fail_msg("gen failed with extreme times");
  wellformed(&k);
  freesink(&k);
}

static void buffer_api(void **state)
{
  qm_dsn d;
  char obuf[65536], ibuf[64];
  char const *orig = "Subject: via buffers\n\nbody\n";
  sink k;
  int p[2];
  buffer out, in;
  (void)state;
  base(&d);
  assert_int_equal(pipe(p), 0);
  assert_int_equal(write(p[1], orig, strlen(orig)), (ssize_t)strlen(orig));
  close(p[1]);
  buffer_init(&in, &buffer_read, p[0], ibuf, sizeof ibuf);
  buffer_init(&out, &buffer_write, -1, obuf, sizeof obuf);
  if (!qm_dsn_write_buffer(&d, &out, &qm_dsn_get_buffer, &in)) fail_msg("buffer write failed");
  close(p[0]);
  k.s = obuf; k.len = buffer_len(&out);
  if (k.len > sizeof obuf - 1) { fail_msg("output did not fit"); return; }
  obuf[k.len < sizeof obuf ? k.len : sizeof obuf - 1] = 0;
  wellformed(&k);
  if (!contains(&k, "\nSubject: via buffers\n\nbody\n\n--")) fail_msg("copy through buffers");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(status_codes), cmocka_unit_test(routes), cmocka_unit_test(delay_due),
    cmocka_unit_test(invalid), cmocka_unit_test(callback_errors),
    cmocka_unit_test(failure_fields), cmocka_unit_test(delay_fields), cmocka_unit_test(double_fields),
    cmocka_unit_test(status_override), cmocka_unit_test(addresses), cmocka_unit_test(long_address),
    cmocka_unit_test(hosts), cmocka_unit_test(hostile_diag), cmocka_unit_test(many_recipients),
    cmocka_unit_test(huge_original), cmocka_unit_test(original_shapes), cmocka_unit_test(long_lines),
    cmocka_unit_test(huge_header), cmocka_unit_test(trickle), cmocka_unit_test(size_limits),
    cmocka_unit_test(buffer_api),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
