/* The qmail-queue envelope checker: every case fed whole, one byte at a time and in
 * odd slices, which must all agree; hostile inputs and the limits at their edges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-queue/queue_envelope.h"

struct ecase {
  char const *name;
  char const *in;
  size_t len;
  int rc;                       /* 1 done, 0 need more, -1 invalid */
  enum queue_env_error err;
  size_t used;                  /* bytes that are the envelope (rc 1) or good (rc -1) */
  size_t nrcpt;
};

#define S(x) x, sizeof x - 1

static struct ecase const cases[] = {
  { "empty sender, no rcpt", S("F\0\0"), 1, QUEUE_ENV_OK, 3, 0 },
  { "one rcpt", S("Fa@b\0Tc@d\0\0"), 1, QUEUE_ENV_OK, 11, 1 },
  { "two rcpts", S("Fa@b\0Tc@d\0Te@f\0\0"), 1, QUEUE_ENV_OK, 16, 2 },
  { "empty rcpt", S("F\0T\0\0"), 1, QUEUE_ENV_OK, 5, 1 },
  { "trailing bytes ignored", S("Fa\0\0garbage"), 1, QUEUE_ENV_OK, 4, 0 },
  { "8-bit, CR, LF in address", S("F\xff\r\n\0T\x80 x\0\0"), 1, QUEUE_ENV_OK, 11, 1 },
  { "nothing", S(""), 0, QUEUE_ENV_OK, 0, 0 },
  { "sender only, no end", S("Fa@b\0"), 0, QUEUE_ENV_OK, 5, 0 },
  { "open sender", S("Fa@b"), 0, QUEUE_ENV_OK, 4, 0 },
  { "open rcpt", S("Fa\0Tb"), 0, QUEUE_ENV_OK, 5, 0 },
  { "first byte T", S("Ta\0\0"), -1, QUEUE_ENV_EFORMAT, 0, 0 },
  { "first byte NUL", S("\0"), -1, QUEUE_ENV_EFORMAT, 0, 0 },
  { "lower-case f", S("fa\0\0"), -1, QUEUE_ENV_EFORMAT, 0, 0 },
  { "second F", S("Fa\0Fb\0\0"), -1, QUEUE_ENV_EFORMAT, 3, 0 },
  { "record letter X", S("Fa\0Tb\0Xc\0\0"), -1, QUEUE_ENV_EFORMAT, 6, 1 },
  { "LF as letter", S("Fa\0\n"), -1, QUEUE_ENV_EFORMAT, 3, 0 },
};

static int feed_sliced(queue_env *e, char const *s, size_t len, size_t slice, size_t *used)
{
  size_t at = 0;
  int rc = 0;
  *used = 0;
  while (at < len) {
    size_t n = len - at < slice ? len - at : slice, u = 99;
    rc = queue_env_feed(e, s + at, n, &u);
    *used += u;
    if (rc) return rc;
    if (u != n) fail_msg("need-more must use every byte: got %zu want %zu", u, n);
    at += n;
  }
  return rc;
}

static void run_case(struct ecase const *c, size_t slice)
{
  queue_env e;
  size_t used, again = 7;
  int rc;
  queue_env_init(&e);
  rc = feed_sliced(&e, c->in, c->len, slice, &used);
  if (rc != c->rc) fail_msg("%s (slice %zu): rc got %d want %d", c->name, slice, rc, c->rc);
  if (e.error != c->err) fail_msg("%s (slice %zu): error got %d want %d", c->name, slice, (int)e.error, (int)c->err);
  if (used != c->used) fail_msg("%s (slice %zu): used got %zu want %zu", c->name, slice, used, c->used);
  if (rc >= 0 && e.nrcpt != c->nrcpt) fail_msg("%s (slice %zu): nrcpt got %zu want %zu", c->name, slice, e.nrcpt, c->nrcpt);
  if (rc) {   /* finished states are sticky */
    if (queue_env_feed(&e, "T", 1, &again) != rc || again != 0)
      fail_msg("%s: a finished checker accepted more input", c->name);
  }
}

static void table(void **state)
{
  static size_t const slices[] = { 1, 2, 3, 7, 1000 };
  size_t i, j;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (j = 0; j < sizeof slices / sizeof slices[0]; j++) run_case(&cases[i], slices[j]);
}

/* F + address of n bytes + NUL, then T + address of m bytes + NUL, then NUL. */
static char *make(size_t n, size_t m, size_t *len)
{
  char *s = malloc(n + m + 5);
  assert_non_null(s);
  s[0] = 'F';
  memset(s + 1, 'a', n);
  s[1 + n] = 0;
  s[2 + n] = 'T';
  memset(s + 3 + n, 'b', m);
  s[3 + n + m] = 0;
  s[4 + n + m] = 0;
  *len = n + m + 5;
  return s;
}

static void address_limit(void **state)
{
  static size_t const slices[] = { 1, 5, 1003, 100000 };
  size_t j;
  (void)state;
  for (j = 0; j < sizeof slices / sizeof slices[0]; j++) {
    size_t len, used;
    queue_env e;
    char *s;
    int rc;
    /* exactly at the limit, both records */
    s = make(QUEUE_ADDR_MAX, QUEUE_ADDR_MAX, &len);
    queue_env_init(&e);
    rc = feed_sliced(&e, s, len, slices[j], &used);
    if (rc != 1 || used != len) fail_msg("limit-size addresses: got rc %d used %zu want 1 %zu", rc, used, len);
    free(s);
    /* one byte over in the sender */
    s = make(QUEUE_ADDR_MAX + 1, 1, &len);
    queue_env_init(&e);
    rc = feed_sliced(&e, s, len, slices[j], &used);
    if (rc != -1 || e.error != QUEUE_ENV_EADDR) fail_msg("long sender: got rc %d err %d", rc, (int)e.error);
    if (used != 1 + QUEUE_ADDR_MAX) fail_msg("long sender: used got %zu want %d", used, 1 + QUEUE_ADDR_MAX);
    free(s);
    /* one byte over in a recipient */
    s = make(3, QUEUE_ADDR_MAX + 1, &len);
    queue_env_init(&e);
    rc = feed_sliced(&e, s, len, slices[j], &used);
    if (rc != -1 || e.error != QUEUE_ENV_EADDR) fail_msg("long rcpt: got rc %d err %d", rc, (int)e.error);
    free(s);
  }
}

/* Many small records up to the whole-envelope cap: the cap holds exactly. */
static void envelope_cap(void **state)
{
  size_t const rec = 1000;      /* "T" + 998 bytes + NUL */
  size_t len = QUEUE_ENVELOPE_MAX + 2000, at = 0, used = 0, u;
  char *s = malloc(len);
  queue_env e;
  int rc = 0;
  (void)state;
  assert_non_null(s);
  memcpy(s, "F\0", 2);
  at = 2;
  while (at + rec <= len) {
    s[at] = 'T';
    memset(s + at + 1, 'x', rec - 2);
    s[at + rec - 1] = 0;
    at += rec;
  }
  memset(s + at, 0, len - at);
  queue_env_init(&e);
  /* in 64 KiB pieces as qmail-queue reads it */
  for (at = 0; at < len && !rc; at += u) {
    size_t n = len - at < 65536 ? len - at : 65536;
    rc = queue_env_feed(&e, s + at, n, &u);
    used += u;
  }
  if (rc != -1 || e.error != QUEUE_ENV_ETOOBIG) fail_msg("oversize envelope: got rc %d err %d", rc, (int)e.error);
  if (used != QUEUE_ENVELOPE_MAX) fail_msg("oversize envelope: used got %zu want %lu", used, QUEUE_ENVELOPE_MAX);

  /* an envelope whose final NUL is the cap's last byte is accepted */
  {
    size_t body = QUEUE_ENVELOPE_MAX - 3 - 2;   /* F\0 + T<body>\0 + \0 */
    memcpy(s, "F\0T", 3);
    memset(s + 3, 'y', body);
    s[3 + body] = 0;
    s[4 + body] = 0;
    queue_env_init(&e);
    rc = queue_env_feed(&e, s, 5 + body, &u);
    /* the single address is far over QUEUE_ADDR_MAX: that limit answers first */
    if (rc != -1 || e.error != QUEUE_ENV_EADDR) fail_msg("huge address: got rc %d err %d", rc, (int)e.error);
  }
  free(s);
}

/* An exact fit: records that end with the final NUL on the cap's last byte. */
static void envelope_exact_fit(void **state)
{
  size_t const rec = 1000;
  size_t total = QUEUE_ENVELOPE_MAX, at, u, nrec;
  char *s = malloc(total + 1);
  queue_env e;
  int rc;
  (void)state;
  assert_non_null(s);
  /* F + pad so that 2 + pad + k*rec + 1 == total */
  nrec = (total - 3) / rec;
  {
    size_t pad = total - 3 - nrec * rec;
    s[0] = 'F';
    memset(s + 1, 's', pad);
    s[1 + pad] = 0;
    at = 2 + pad;
    if (pad > QUEUE_ADDR_MAX) fail_msg("test set-up: pad %zu too long", pad);
  }
  while (at + rec < total) {
    s[at] = 'T';
    memset(s + at + 1, 'x', rec - 2);
    s[at + rec - 1] = 0;
    at += rec;
  }
  s[at] = 0;
  if (at + 1 != total) fail_msg("test set-up: at %zu", at);
  s[total] = 'T';   /* one byte past the envelope: ignored */
  queue_env_init(&e);
  rc = queue_env_feed(&e, s, total + 1, &u);
  if (rc != 1 || u != total) fail_msg("exact fit: got rc %d used %zu want 1 %zu", rc, u, total);
  if (e.nrcpt != nrec) fail_msg("exact fit: nrcpt got %zu want %zu", e.nrcpt, nrec);
  free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(address_limit),
    cmocka_unit_test(envelope_cap),
    cmocka_unit_test(envelope_exact_fit),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
