/* tlsd_req: qmail-tlsd -D's request parser, every case fed whole and byte by byte;
 * hostile requests (overlong, NUL, missing fields, bad framing, too many entries)
 * are refused with the right reason; what the writer makes parses back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-tls/tlsd_req.h"

struct tcase { char const *in; size_t len; int want; int err; unsigned int argc, envc; };
#define T(s, w, e, a, v) { s, sizeof s - 1, w, e, a, v }
#define V "v1:1,"

static struct tcase const cases[] = {
  T(V "a4:prog,.0:,", 1, 0, 1, 0),
  T(V "a4:prog,a2:-x,a0:,e5:A=b c,e3:B==,r14:as 64000000 - ,.0:,", -1, TLSD_REQ_ELIMIT, 0, 0),
  T(V "a4:prog,a2:-x,a0:,e5:A=b c,e3:B==,r13:as 64000000 -,.0:,", 1, 0, 3, 2),
  T(V "e2:A=,a1:p,r8:nofile -,.0:,", -1, TLSD_REQ_ELIMIT, 0, 0),   /* needs both values */
  T(V "e2:A=,a1:p,r10:nofile - -,.0:,", 1, 0, 1, 1),
  T(V "a1:p,.0:,trailing", 1, 0, 1, 0),     /* the caller refuses what follows */
  T(V "a4:prog", 0, 0, 0, 0),               /* incomplete */
  T(V "a4:prog,", 0, 0, 0, 0),
  T("", 0, 0, 0, 0),
  T("v1:2,a1:p,.0:,", -1, TLSD_REQ_EVERSION, 0, 0),
  T("a1:p,.0:,", -1, TLSD_REQ_EVERSION, 0, 0),
  T(V "v1:1,a1:p,.0:,", -1, TLSD_REQ_EVERSION, 0, 0),
  T(V ".0:,", -1, TLSD_REQ_ENOPROG, 0, 0),
  T(V "a0:,.0:,", -1, TLSD_REQ_EARGS, 0, 0),           /* empty program name */
  T(V "a1:p,.1:x,", -1, TLSD_REQ_EEND, 0, 0),
  T(V "x1:p,", -1, TLSD_REQ_ETAG, 0, 0),
  T(V "A1:p,", -1, TLSD_REQ_ETAG, 0, 0),
  T(V "a:p,", -1, TLSD_REQ_ELEN, 0, 0),
  T(V "a01:p,", -1, TLSD_REQ_ELEN, 0, 0),               /* leading zero */
  T(V "a00:,", -1, TLSD_REQ_ELEN, 0, 0),
  T(V "a-1:p,", -1, TLSD_REQ_ELEN, 0, 0),
  T(V "a 1:p,", -1, TLSD_REQ_ELEN, 0, 0),
  T(V "a32769:", -1, TLSD_REQ_ELEN, 0, 0),              /* over the field limit */
  T(V "a999999:", -1, TLSD_REQ_ELEN, 0, 0),             /* too many digits */
  T(V "a18446744073709551617:", -1, TLSD_REQ_ELEN, 0, 0),
  T(V "a1:pp", -1, TLSD_REQ_EFRAME, 0, 0),
  T(V "a1:p;", -1, TLSD_REQ_EFRAME, 0, 0),
  T(V "a3:p\0q,", -1, TLSD_REQ_ENUL, 0, 0),
  T(V "a1:p,e3:A\0B,", -1, TLSD_REQ_ENUL, 0, 0),
  T(V "a1:p,e3:ABC,", -1, TLSD_REQ_EENV, 0, 0),          /* no '=' */
  T(V "a1:p,e2:=A,", -1, TLSD_REQ_EENV, 0, 0),           /* empty name */
  T(V "a1:p,r6:as 1 2,r6:as 1 2,", -1, TLSD_REQ_ELIMIT, 0, 0),  /* twice */
  T(V "a1:p,r9:bogus 1 2,", -1, TLSD_REQ_ELIMIT, 0, 0),
  T(V "a1:p,r6:as 2 1,", -1, TLSD_REQ_ELIMIT, 0, 0),     /* soft over hard */
  T(V "a1:p,r6:as - 1,", -1, TLSD_REQ_ELIMIT, 0, 0),
  T(V "a1:p,r7:as 01 2,", -1, TLSD_REQ_ELIMIT, 0, 0),
  T(V "a1:p,r6:as x 2,", -1, TLSD_REQ_ELIMIT, 0, 0),
  T(V "a1:p,r25:as 99999999999999999999 -,", -1, TLSD_REQ_ELIMIT, 0, 0),
  T(V "a1:p,r5:as 1 ,", -1, TLSD_REQ_ELIMIT, 0, 0),
  T(V "a1:p,r2:as,", -1, TLSD_REQ_ELIMIT, 0, 0),
};

/* Feeds the case in chunks of step bytes (0: whole); returns the parser's verdict. */
static int feed(tlsd_req *q, char const *s, size_t len, size_t step)
{
  size_t i = 0;
  tlsd_req_init(q);
  if (!len) {
    size_t took;
    return tlsd_req_feed(q, s, 0, &took);
  }
  while (i < len) {
    size_t n = step && step < len - i ? step : len - i, took;
    int r = tlsd_req_feed(q, s + i, n, &took);
    if (r) return r;
    if (took != n) fail_msg("took %zu of %zu without a verdict", took, n);
    i += n;
  }
  return 0;
}

static void table(void **state)
{
  static tlsd_req q;
  size_t i, steps[] = { 0, 1, 3 }, k;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (k = 0; k < sizeof steps / sizeof steps[0]; k++) {
      int r = feed(&q, cases[i].in, cases[i].len, steps[k]);
      if (r != cases[i].want || (r < 0 && q.err != cases[i].err))
        fail_msg("case %zu step %zu: got %d (%s), want %d (%s)", i, steps[k], r, tlsd_req_strerror(q.err),
                 cases[i].want, tlsd_req_strerror(cases[i].err));
      if (r > 0 && (q.argc != cases[i].argc || q.envc != cases[i].envc))
        fail_msg("case %zu step %zu: got argc %u envc %u, want %u %u", i, steps[k], q.argc, q.envc,
                 cases[i].argc, cases[i].envc);
    }
  }
}

/* The values come out as they went in, NUL-terminated, lists ending in null. */
static void values(void **state)
{
  static tlsd_req q;
  static char const s[] = V "a4:prog,a0:,e9:TCPIP=1.2,e3:X==,r13:nofile 64 128,r7:as - - ,.0:,";
  size_t took;
  (void)state;
  tlsd_req_init(&q);
  /* "as - - " has a trailing blank: the max value "- " is malformed */
  assert_int_equal(tlsd_req_feed(&q, s, sizeof s - 1, &took), -1);
  assert_int_equal(q.err, TLSD_REQ_ELIMIT);
  {
    static char const g[] = V "a4:prog,a0:,e9:TCPIP=1.2,e3:X==,r13:nofile 64 128,r6:as - -,.0:,X";
    tlsd_req_init(&q);
    assert_int_equal(tlsd_req_feed(&q, g, sizeof g - 1, &took), 1);
    assert_int_equal(took, sizeof g - 2);
    assert_string_equal(q.argv[0], "prog");
    assert_string_equal(q.argv[1], "");
    assert_null(q.argv[2]);
    assert_string_equal(q.envp[0], "TCPIP=1.2");
    assert_string_equal(q.envp[1], "X==");
    assert_null(q.envp[2]);
    assert_int_equal(q.limset[6], 1);          /* nofile */
    assert_int_equal(q.lim[6].rlim_cur, 64);
    assert_int_equal(q.lim[6].rlim_max, 128);
    assert_int_equal(q.limset[0], 1);          /* as */
    assert_true(q.lim[0].rlim_cur == RLIM_INFINITY && q.lim[0].rlim_max == RLIM_INFINITY);
    assert_int_equal(q.limset[1], 0);
    /* a finished or dead parser keeps its verdict */
    assert_int_equal(tlsd_req_feed(&q, "a1:p,", 5, &took), 1);
  }
}

/* What the writer makes, the parser takes: the largest request that fits. */
static void roundtrip(void **state)
{
  static tlsd_req q;
  static char wire[TLSD_REQ_MAX + 1];
  static char big[TLSD_REQ_FIELD_MAX];
  char lim[64];
  size_t pos = 0, took, n;
  unsigned int i;
  struct rlimit r = { 1000, RLIM_INFINITY };
  (void)state;
  memset(big, 'x', sizeof big);
  big[0] = 'B'; big[1] = '=';
  assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'v', TLSD_REQ_VERSION, 1));
  assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'a', "qmail-smtpd", 11));
  for (i = 0; i < TLSD_REQ_NLIMITS; i++) {
    n = tlsd_req_fmtlimit(lim, i, &r);
    assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'r', lim, n));
  }
  assert_false(tlsd_req_put(wire, sizeof wire, &pos, 'e', big, sizeof big + 1));  /* over the field limit */
  for (i = 0; i < 3; i++) assert_true(tlsd_req_put(wire, TLSD_REQ_MAX, &pos, 'e', big, sizeof big));
  /* a fourth would not fit in TLSD_REQ_MAX */
  assert_false(tlsd_req_put(wire, TLSD_REQ_MAX, &pos, 'e', big, sizeof big));
  assert_true(tlsd_req_put(wire, TLSD_REQ_MAX, &pos, '.', "", 0));
  tlsd_req_init(&q);
  assert_int_equal(tlsd_req_feed(&q, wire, pos, &took), 1);
  assert_int_equal(took, pos);
  assert_int_equal(q.envc, 3);
  assert_int_equal(q.lim[2].rlim_cur, 1000);
  assert_true(q.lim[2].rlim_max == RLIM_INFINITY);
  assert_memory_equal(q.envp[2], big, sizeof big);
  /* one byte over TLSD_REQ_MAX is refused even when every field is well formed */
  pos = 0;
  assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'v', TLSD_REQ_VERSION, 1));
  for (i = 0; i < 3; i++) assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'e', big, sizeof big));
  n = TLSD_REQ_MAX - pos - 1 - 5 - 1 - 1 + 1;   /* a field that ends one byte past the limit */
  assert_true(n <= TLSD_REQ_FIELD_MAX);
  memset(big, 'y', n);
  assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'a', big, n));
  assert_int_equal(pos, TLSD_REQ_MAX + 1);
  tlsd_req_init(&q);
  assert_int_equal(tlsd_req_feed(&q, wire, pos, &took), -1);
  assert_int_equal(q.err, TLSD_REQ_ETOOBIG);
}

/* Counts: the 65th argument and the 1025th environment entry are refused. */
static void counts(void **state)
{
  static tlsd_req q;
  static char wire[TLSD_REQ_MAX];
  size_t pos = 0, took;
  unsigned int i;
  (void)state;
  assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'v', TLSD_REQ_VERSION, 1));
  for (i = 0; i < TLSD_REQ_ARGS_MAX; i++) assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'a', "p", 1));
  tlsd_req_init(&q);
  assert_int_equal(tlsd_req_feed(&q, wire, pos, &took), 0);
  assert_int_equal(tlsd_req_feed(&q, "a1:p,", 5, &took), -1);
  assert_int_equal(q.err, TLSD_REQ_EARGS);
  pos = 0;
  assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'v', TLSD_REQ_VERSION, 1));
  for (i = 0; i < TLSD_REQ_ENV_MAX; i++) assert_true(tlsd_req_put(wire, sizeof wire, &pos, 'e', "A=", 2));
  tlsd_req_init(&q);
  assert_int_equal(tlsd_req_feed(&q, wire, pos, &took), 0);
  assert_int_equal(q.envc, TLSD_REQ_ENV_MAX);
  assert_int_equal(tlsd_req_feed(&q, "e2:A=,", 6, &took), -1);
  assert_int_equal(q.err, TLSD_REQ_EENV);
}

/* Random bytes after a valid prefix: never a crash, never a read past the input. */
static void noise(void **state)
{
  static tlsd_req q;
  unsigned char buf[512];
  unsigned int seed = 12345, i, k;
  (void)state;
  for (i = 0; i < 5000; i++) {
    size_t n = 5 + (size_t)(rand_r(&seed) % (sizeof buf - 5)), took, j = 0;
    int r = 0;
    memcpy(buf, V, 5);
    for (k = 5; k < n; k++) buf[k] = (unsigned char)"ae.r:,0123456789=x \0"[rand_r(&seed) % 20];
    tlsd_req_init(&q);
    while (j < n && !r) {
      r = tlsd_req_feed(&q, (char const *)buf + j, 1, &took);
      assert_true(took <= 1);
      j++;
    }
    if (r > 0) { assert_true(q.argc >= 1); assert_null(q.argv[q.argc]); assert_null(q.envp[q.envc]); }
    if (r < 0) assert_int_not_equal(q.err, TLSD_REQ_OK);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(values),
    cmocka_unit_test(roundtrip),
    cmocka_unit_test(counts),
    cmocka_unit_test(noise),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
