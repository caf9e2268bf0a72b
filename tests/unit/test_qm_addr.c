/* RFC 5321 paths and ESMTP parameters: tables of good and hostile inputs, each path
 * fed whole, one byte at a time and in two pieces at every split point; the three
 * must agree with the table and with each other. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "qm_addr.h"

#define N 0u
#define NUL QM_ADDR_NULL_OK
#define ND QM_ADDR_NODOMAIN_OK
#define U8 QM_ADDR_UTF8

struct path_case {
  char const *in;
  size_t inlen;            /* 0: strlen(in) */
  unsigned flags;
  enum qm_addr_err err;    /* QM_ADDR_OK: must parse */
  char const *want;        /* the stored address when it parses */
  size_t used;             /* bytes up to '>' when it parses; 0: inlen */
  int literal;
};

static struct path_case const paths[] = {
  { "<joe@example.org>", 0, N, QM_ADDR_OK, "joe@example.org", 0, 0 },
  { "<joe@example.org> SIZE=10", 0, N, QM_ADDR_OK, "joe@example.org", 17, 0 },
  { "<>", 0, NUL, QM_ADDR_OK, "", 0, 0 },
  { "<>", 0, N, QM_ADDR_ENULL, 0, 0, 0 },
  { "joe@example.org", 0, N, QM_ADDR_ENOBRACKET, 0, 0, 0 },
  { " <joe@example.org>", 0, N, QM_ADDR_ENOBRACKET, 0, 0, 0 },
  { "<joe@example.org", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },          /* incomplete */
  { "<postmaster>", 0, ND, QM_ADDR_OK, "postmaster", 0, 0 },
  { "<postmaster>", 0, N, QM_ADDR_ENODOMAIN, 0, 0, 0 },
  { "<joe@>", 0, N, QM_ADDR_ENODOMAIN, 0, 0, 0 },
  { "<@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  /* source routes are dropped */
  { "<@a.example,@b.example:joe@c.example>", 0, N, QM_ADDR_OK, "joe@c.example", 0, 0 },
  { "<@[192.0.2.1]:joe@c.example>", 0, N, QM_ADDR_OK, "joe@c.example", 0, 0 },
  { "<@a.example:>", 0, NUL, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<@:joe@c.example>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<@a.example,joe@c.example>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<@a.example joe@c.example>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  /* quoted local parts are unquoted */
  { "<\"joe smith\"@example.org>", 0, N, QM_ADDR_OK, "joe smith@example.org", 0, 0 },
  { "<\"a\\\"b\\\\c\"@example.org>", 0, N, QM_ADDR_OK, "a\"b\\c@example.org", 0, 0 },
  { "<\"a@b\"@example.org>", 0, N, QM_ADDR_OK, "a@b@example.org", 0, 0 },
  { "<\"a..b\"@example.org>", 0, N, QM_ADDR_OK, "a..b@example.org", 0, 0 },
  { "<\"\"@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<\"joe\"x@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<joe.\"x\"@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<\"joe@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },        /* never closed */
  { "<\"a\tb\"@example.org>", 0, N, QM_ADDR_ECTRL, 0, 0, 0 },
  { "<\"a\\\tb\"@example.org>", 0, N, QM_ADDR_ECTRL, 0, 0, 0 },
  /* dot-atoms */
  { "<a.b.c@example.org>", 0, N, QM_ADDR_OK, "a.b.c@example.org", 0, 0 },
  { "<!#$%&'*+-/=?^_`{|}~@example.org>", 0, N, QM_ADDR_OK, "!#$%&'*+-/=?^_`{|}~@example.org", 0, 0 },
  { "<.a@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a.@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a..b@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a b@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a(b)@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a<b@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a@b@example.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  /* domains */
  { "<a@EXAMPLE.Org>", 0, N, QM_ADDR_OK, "a@EXAMPLE.Org", 0, 0 },
  { "<a@localhost>", 0, N, QM_ADDR_OK, "a@localhost", 0, 0 },
  { "<a@x-y.example>", 0, N, QM_ADDR_OK, "a@x-y.example", 0, 0 },
  { "<a@-x.example>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a@x-.example>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a@x..example>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a@.example>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a@example.>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a@exa_mple.org>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  /* literals */
  { "<a@[192.0.2.1]>", 0, N, QM_ADDR_OK, "a@[192.0.2.1]", 0, 4 },
  { "<a@[IPv6:2001:db8::1]>", 0, N, QM_ADDR_OK, "a@[IPv6:2001:db8::1]", 0, 6 },
  { "<a@[ipv6:::ffff:192.0.2.1]>", 0, N, QM_ADDR_OK, "a@[ipv6:::ffff:192.0.2.1]", 0, 6 },
  { "<a@[256.0.0.1]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[1.2.3]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[1.2.3.4.5]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[1.2.3.0004]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[IPv6:2001:db8::g]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[2001:db8::1]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[tag:content]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[]>", 0, N, QM_ADDR_ELITERAL, 0, 0, 0 },
  { "<a@[192.0.2.1]x>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "<a@[192.0.2.1>", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  /* controls, NUL, CR, LF anywhere */
  { "<a\0b@example.org>", 17, N, QM_ADDR_ECTRL, 0, 0, 0 },
  { "<ab@exa\rmple.org>", 0, N, QM_ADDR_ECTRL, 0, 0, 0 },
  { "<ab@example.org\n>", 0, N, QM_ADDR_ECTRL, 0, 0, 0 },
  { "<\x7f@example.org>", 0, N, QM_ADDR_ECTRL, 0, 0, 0 },
  { "\0", 1, N, QM_ADDR_ECTRL, 0, 0, 0 },
  { "", 0, N, QM_ADDR_ESYNTAX, 0, 0, 0 },
  /* 8-bit and UTF-8 */
  { "<j\xc3\xb6rg@example.org>", 0, N, QM_ADDR_E8BIT, 0, 0, 0 },
  { "<j\xc3\xb6rg@example.org>", 0, U8, QM_ADDR_OK, "j\xc3\xb6rg@example.org", 0, 0 },
  { "<a@b\xc3\xbc" "cher.example>", 0, U8, QM_ADDR_OK, "a@b\xc3\xbc" "cher.example", 0, 0 },
  { "<\xe2\x82\xac@\xf0\x9f\x98\x80.example>", 0, U8, QM_ADDR_OK, "\xe2\x82\xac@\xf0\x9f\x98\x80.example", 0, 0 },
  { "<\"\xc3\xb6 x\"@example.org>", 0, U8, QM_ADDR_OK, "\xc3\xb6 x@example.org", 0, 0 },
  { "<a@b\xc3\xbc>", 0, N, QM_ADDR_E8BIT, 0, 0, 0 },
  { "<j\xc3@example.org>", 0, U8, QM_ADDR_EUTF8, 0, 0, 0 },          /* cut short */
  { "<j\xc0\xafx@example.org>", 0, U8, QM_ADDR_EUTF8, 0, 0, 0 },     /* overlong '/' */
  { "<j\xed\xa0\x80@example.org>", 0, U8, QM_ADDR_EUTF8, 0, 0, 0 },  /* surrogate */
  { "<j\xf4\x90\x80\x80@example.org>", 0, U8, QM_ADDR_EUTF8, 0, 0, 0 }, /* > U+10FFFF */
  { "<j\xff@example.org>", 0, U8, QM_ADDR_EUTF8, 0, 0, 0 },
  { "<j\x80@example.org>", 0, U8, QM_ADDR_EUTF8, 0, 0, 0 },
  { "<a@[1.2.3.4\xc3\xb6]>", 0, U8, QM_ADDR_ESYNTAX, 0, 0, 0 },
  { "\xc3\xb6", 0, U8, QM_ADDR_ESYNTAX, 0, 0, 0 },
};

static void feed_all(qm_addr *a, unsigned flags, char const *s, size_t len, int *r, size_t *used)
{
  *used = 0;
  *r = qm_addr_parse(a, flags, s, len, used);
}

static void feed_bytes(qm_addr *a, unsigned flags, char const *s, size_t len, int *r, size_t *used)
{
  size_t i;
  qm_addr_init(a, flags);
  *used = 0;
  for (i = 0; i < len; i++) {
    int x = qm_addr_feed(a, s + i, 1);
    if (x < 0) { *r = -1; return; }
    if (x > 0) {
      if (x != 1) fail_msg("byte %zu: feed of one byte used %d", i, x);
      *used = i + 1;
      *r = 1;
      return;
    }
  }
  a->err = QM_ADDR_ESYNTAX;   /* incomplete, as qm_addr_parse says */
  *r = -1;
}

static void feed_split(qm_addr *a, unsigned flags, char const *s, size_t len, size_t cut,
                       int *r, size_t *used)
{
  int x;
  qm_addr_init(a, flags);
  *used = 0;
  x = qm_addr_feed(a, s, cut);
  if (x < 0) { *r = -1; return; }
  if (x > 0) { *used = (size_t)x; *r = 1; return; }
  x = qm_addr_feed(a, s + cut, len - cut);
  if (!x) a->err = QM_ADDR_ESYNTAX;
  if (x <= 0) { *r = -1; return; }
  *used = cut + (size_t)x;
  *r = 1;
}

static void check_one(struct path_case const *c, size_t i, char const *how, qm_addr const *a,
                      int r, size_t used)
{
  size_t inlen = c->inlen ? c->inlen : strlen(c->in);
  size_t wantused = c->used ? c->used : inlen;
  if (c->err == QM_ADDR_OK) {
    if (r != 1)
      fail_msg("case %zu (%s): got error %s, want \"%s\"", i, how, qm_addr_strerror(a->err), c->want);
    if (strcmp(a->addr, c->want) || a->len != strlen(c->want))
      fail_msg("case %zu (%s): got \"%s\", want \"%s\"", i, how, a->addr, c->want);
    if (used != wantused)
      fail_msg("case %zu (%s): used %zu bytes, want %zu", i, how, used, wantused);
    if (a->literal != c->literal)
      fail_msg("case %zu (%s): literal %d, want %d", i, how, a->literal, c->literal);
    if (a->len && a->at < a->len && a->addr[a->at] != '@')
      fail_msg("case %zu (%s): at=%zu is not '@'", i, how, a->at);
  } else {
    if (r != -1) fail_msg("case %zu (%s): parsed as \"%s\", want error %s", i, how, a->addr,
                          qm_addr_strerror(c->err));
    if (a->err != c->err)
      fail_msg("case %zu (%s): got error %s, want %s", i, how, qm_addr_strerror(a->err),
               qm_addr_strerror(c->err));
  }
}

static void path_table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    struct path_case const *c = &paths[i];
    size_t inlen = c->inlen ? c->inlen : strlen(c->in), used, cut;
    qm_addr a;
    int r;
    feed_all(&a, c->flags, c->in, inlen, &r, &used);
    check_one(c, i, "whole", &a, r, used);
    feed_bytes(&a, c->flags, c->in, inlen, &r, &used);
    check_one(c, i, "byte by byte", &a, r, used);
    for (cut = 0; cut <= inlen; cut++) {
      feed_split(&a, c->flags, c->in, inlen, cut, &r, &used);
      check_one(c, i, "split", &a, r, used);
    }
  }
}

/* Builds "<" L "@" D ">" with local part and domain of the given lengths. */
static size_t build(char *buf, size_t locallen, size_t labels, size_t labellen)
{
  size_t n = 0, i, j;
  buf[n++] = '<';
  for (i = 0; i < locallen; i++) buf[n++] = 'l';
  buf[n++] = '@';
  for (i = 0; i < labels; i++) {
    if (i) buf[n++] = '.';
    for (j = 0; j < labellen; j++) buf[n++] = 'd';
  }
  buf[n++] = '>';
  return n;
}

static void limits(void **state)
{
  char buf[4096];
  size_t n, used;
  qm_addr a;
  (void)state;
  n = build(buf, QM_ADDR_LOCAL_MAX, 1, 3);
  assert_int_equal(qm_addr_parse(&a, 0, buf, n, &used), 1);
  n = build(buf, QM_ADDR_LOCAL_MAX + 1, 1, 3);
  assert_int_equal(qm_addr_parse(&a, 0, buf, n, &used), -1);
  assert_int_equal(a.err, QM_ADDR_ELOCALLONG);
  n = build(buf, 3, 1, QM_ADDR_LABEL_MAX);
  assert_int_equal(qm_addr_parse(&a, 0, buf, n, &used), 1);
  n = build(buf, 3, 1, QM_ADDR_LABEL_MAX + 1);
  assert_int_equal(qm_addr_parse(&a, 0, buf, n, &used), -1);
  assert_int_equal(a.err, QM_ADDR_EDOMAINLONG);
  /* 4 labels of 63 and 3 dots = 255: the longest domain */
  n = build(buf, 3, 4, QM_ADDR_LABEL_MAX);
  assert_int_equal(qm_addr_parse(&a, 0, buf, n, &used), 1);
  assert_int_equal(a.len - a.at - 1, QM_ADDR_DOMAIN_MAX);
  n = build(buf, 3, 5, 50);    /* 254 */
  buf[n - 1] = 'x'; buf[n++] = 'y'; buf[n++] = '>';
  assert_int_equal(qm_addr_parse(&a, 0, buf, n, &used), -1);
  assert_int_equal(a.err, QM_ADDR_EDOMAINLONG);
  /* a source route makes the path long: 900 in all passes, 901 does not */
  n = 0;
  buf[n++] = '<';
  buf[n++] = '@';
  while (n < QM_ADDR_PATH_MAX - 7) buf[n++] = 'r';
  memcpy(buf + n, ":a@b.c>", 7);
  n += 7;
  assert_int_equal(n, QM_ADDR_PATH_MAX);
  if (qm_addr_parse(&a, 0, buf, n, &used) != 1)
    fail_msg("900-byte path: got error %s, want ok", qm_addr_strerror(a.err));
  assert_string_equal(a.addr, "a@b.c");
  memmove(buf + 3, buf + 2, n - 2);
  n++;
  assert_int_equal(qm_addr_parse(&a, 0, buf, n, &used), -1);
  assert_int_equal(a.err, QM_ADDR_ETOOLONG);
  /* unbounded input is refused after the limit, whatever its length */
  memset(buf, 'a', sizeof buf);
  buf[0] = '<';
  qm_addr_init(&a, 0);
  assert_int_equal(qm_addr_feed(&a, buf, sizeof buf), -1);
  assert_int_equal(a.err, QM_ADDR_ELOCALLONG);
  qm_addr_init(&a, 0);
  assert_int_equal(qm_addr_feed(&a, "<", 1), 0);
  for (n = 0; n < 2000; n++)
    if (qm_addr_feed(&a, "@r,", 3) < 0) break;
  assert_int_equal(a.err, QM_ADDR_ETOOLONG);
  assert_true(a.wire <= QM_ADDR_PATH_MAX + 1);
}

static void feed_after_done(void **state)
{
  qm_addr a;
  (void)state;
  qm_addr_init(&a, 0);
  assert_int_equal(qm_addr_feed(&a, "<a@b>", 5), 5);
  assert_int_equal(qm_addr_feed(&a, "x", 1), -1);
  assert_int_equal(a.err, QM_ADDR_EDONE);
  assert_string_equal(a.addr, "a@b");
}

struct utf8_case { char const *in; int valid; };

static void utf8_table(void **state)
{
  static struct utf8_case const cases[] = {
    { "", 1 }, { "plain", 1 }, { "\xc3\xa9", 1 }, { "\xe2\x82\xac", 1 },
    { "\xf0\x9f\x98\x80", 1 }, { "\xf4\x8f\xbf\xbf", 1 }, { "\xef\xbf\xbf", 1 },
    { "\xc3", 0 }, { "\xe2\x82", 0 }, { "\xc0\x80", 0 }, { "\xc1\xbf", 0 },
    { "\xe0\x80\xaf", 0 }, { "\xed\xa0\x80", 0 }, { "\xf0\x80\x80\xaf", 0 },
    { "\xf4\x90\x80\x80", 0 }, { "\xf5\x80\x80\x80", 0 }, { "\xff", 0 }, { "\x80", 0 },
    { "\xc3\xa9\xc3", 0 }, { "a\xc3" "a", 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = qm_addr_utf8_valid(cases[i].in, strlen(cases[i].in));
    if (got != cases[i].valid) fail_msg("utf8 case %zu: got %d, want %d", i, got, cases[i].valid);
  }
}

struct param_case {
  char const *in;
  int utf8;
  int want;                /* count or -1 */
  char const *joined;      /* keys and values as "K=V|K|" */
};

static void param_table(void **state)
{
  static struct param_case const cases[] = {
    { "", 0, 0, "" },
    { " ", 0, 0, "" },
    { " SIZE=1000", 0, 1, "SIZE=1000|" },
    { " SIZE=1000 BODY=8BITMIME", 0, 2, "SIZE=1000|BODY=8BITMIME|" },
    { "  SMTPUTF8   BODY=7BIT  ", 0, 2, "SMTPUTF8|BODY=7BIT|" },
    { " X-FOO=a+20b", 0, 1, "X-FOO=a+20b|" },
    { "SIZE=1", 0, -1, 0 },                 /* must start with a space */
    { " SIZE=", 0, -1, 0 },
    { " =1", 0, -1, 0 },
    { " -X=1", 0, -1, 0 },
    { " SIZE==1", 0, -1, 0 },
    { " SIZE=1=2", 0, -1, 0 },
    { " SI_ZE=1", 0, -1, 0 },
    { " SIZE=1\t", 0, -1, 0 },
    { " SIZE=\x01", 0, -1, 0 },
    { " K=\xc3\xa9", 0, -1, 0 },
    { " K=\xc3\xa9", 1, 1, "K=\xc3\xa9|" },
    { " K=\xc3", 1, -1, 0 },
    { " \xc3\xa9=1", 1, -1, 0 },
    { " ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", 0, -1, 0 },   /* keyword of 33 */
    { " ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 0, 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345|" },
    { " A B C D E F G H I J K L M N O P", 0, 16, "A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|P|" },
    { " A B C D E F G H I J K L M N O P Q", 0, -1, 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qm_addr_param p[QM_ADDR_PARAMS_MAX];
    char joined[1024];
    size_t j, n = 0;
    int got = qm_addr_params(p, QM_ADDR_PARAMS_MAX, cases[i].in, strlen(cases[i].in), cases[i].utf8);
    if (got != cases[i].want) fail_msg("param case %zu: got %d, want %d", i, got, cases[i].want);
    if (got < 0) continue;
    for (j = 0; j < (size_t)got; j++) {
      n += (size_t)snprintf(joined + n, sizeof joined - n, "%.*s", (int)p[j].keylen, p[j].key);
      if (p[j].value)
        n += (size_t)snprintf(joined + n, sizeof joined - n, "=%.*s", (int)p[j].valuelen, p[j].value);
      n += (size_t)snprintf(joined + n, sizeof joined - n, "|");
    }
    joined[n] = 0;
    if (strcmp(joined, cases[i].joined))
      fail_msg("param case %zu: got \"%s\", want \"%s\"", i, joined, cases[i].joined);
  }
}

static void param_max(void **state)
{
  qm_addr_param p[2];
  (void)state;
  assert_int_equal(qm_addr_params(p, 2, " A B", 4, 0), 2);
  assert_int_equal(qm_addr_params(p, 2, " A B C", 6, 0), -1);
}

static void xtext_table(void **state)
{
  static struct { char const *in; int want; } const cases[] = {
    { "", 1 }, { "abc", 1 }, { "a+2Bb", 1 }, { "a+2bb", 0 }, { "a+2", 0 }, { "a+", 0 },
    { "a=b", 0 }, { "a b", 0 }, { "\xc3\xa9", 0 }, { "+41+42", 1 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = qm_addr_xtext_valid(cases[i].in, strlen(cases[i].in));
    if (got != cases[i].want) fail_msg("xtext case %zu: got %d, want %d", i, got, cases[i].want);
  }
}

/* Dotted quads as literals hold them: the bytes, and every way to be wrong. */
static void ipv4_table(void **state)
{
  static struct { char const *s; int ok; unsigned char ip[4]; } const t[] = {
    { "1.2.3.4", 1, { 1, 2, 3, 4 } },
    { "255.255.255.255", 1, { 255, 255, 255, 255 } },
    { "0.0.0.0", 1, { 0, 0, 0, 0 } },
    { "010.001.1.09", 1, { 10, 1, 1, 9 } },
    { "256.1.1.1", 0, { 0 } }, { "1.2.3", 0, { 0 } }, { "1.2.3.4.", 0, { 0 } },
    { "1.2.3.4.5", 0, { 0 } }, { "1234.1.1.1", 0, { 0 } }, { "1..2.3", 0, { 0 } },
    { "", 0, { 0 } }, { "a.b.c.d", 0, { 0 } }, { " 1.2.3.4", 0, { 0 } }, { "-1.2.3.4", 0, { 0 } },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    unsigned char ip[4] = { 9, 9, 9, 9 };
    int r = qm_addr_ipv4(t[i].s, strlen(t[i].s), ip);
    if (r != t[i].ok) fail_msg("%s: got %d", t[i].s, r);
    if (r) assert_memory_equal(ip, t[i].ip, 4);
    assert_int_equal(qm_addr_ipv4(t[i].s, strlen(t[i].s), 0), t[i].ok);
  }
  /* a NUL inside ends nothing: the length rules */
  assert_int_equal(qm_addr_ipv4("1.2.3.4\0", 8, 0), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(path_table),
    cmocka_unit_test(limits),
    cmocka_unit_test(feed_after_done),
    cmocka_unit_test(utf8_table),
    cmocka_unit_test(param_table),
    cmocka_unit_test(param_max),
    cmocka_unit_test(xtext_table),
    cmocka_unit_test(ipv4_table),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
