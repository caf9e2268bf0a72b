/* Loop checks: my Delivered-To line, the hop count, the end of the header; every
 * case fed whole and one byte at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../qmail-local/local_header.h"

static char const dt[] = "Delivered-To: joe@example.org\n";

static enum local_hdr_verdict scan(char const *s, size_t len, size_t step)
{
  local_hdr h;
  size_t i;
  local_hdr_init(&h, dt, sizeof dt - 1);
  for (i = 0; i < len; i += step) {
    size_t n = len - i < step ? len - i : step;
    if (local_hdr_feed(&h, s + i, n)) break;
  }
  return h.verdict;
}

#define T(s) s, sizeof s - 1

static void table(void **state)
{
  static struct { char const *msg; size_t len; enum local_hdr_verdict want; } const cases[] = {
    { T("Subject: x\n\nbody\n"), LOCAL_HDR_OK },
    { T("Delivered-To: joe@example.org\nSubject: x\n\n"), LOCAL_HDR_MYLINE },
    { T("Subject: x\nDelivered-To: joe@example.org\n\n"), LOCAL_HDR_MYLINE },
    { T("Delivered-To: joe@example.org"), LOCAL_HDR_OK },            /* no LF: not the line */
    { T("delivered-to: joe@example.org\n\n"), LOCAL_HDR_OK },        /* byte for byte */
    { T("Delivered-To: joe@example.org \n\n"), LOCAL_HDR_OK },
    { T("Delivered-To: joe@example.orgX\n\n"), LOCAL_HDR_OK },
    { T("Delivered-To: jo@example.org\n\n"), LOCAL_HDR_OK },
    { T("X: y\n\nDelivered-To: joe@example.org\n"), LOCAL_HDR_OK },  /* in the body */
    { T(" Delivered-To: joe@example.org\n\n"), LOCAL_HDR_OK },
    { T("X: \0\nDelivered-To: joe@example.org\n"), LOCAL_HDR_MYLINE },
    { T(""), LOCAL_HDR_OK },
    { T("\n"), LOCAL_HDR_OK },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    enum local_hdr_verdict whole = scan(cases[i].msg, cases[i].len, cases[i].len ? cases[i].len : 1);
    enum local_hdr_verdict bytes = scan(cases[i].msg, cases[i].len, 1);
    if (whole != cases[i].want || bytes != cases[i].want)
      fail_msg("case %zu: got %d whole, %d byte by byte; want %d", i, (int)whole, (int)bytes,
               (int)cases[i].want);
  }
}

/* n header lines of the given text, an empty line, a body. */
static char *hops(char const *line, size_t n, size_t *len)
{
  size_t ll = strlen(line), i;
  char *s = malloc(n * ll + 8);
  assert_non_null(s);
  for (i = 0; i < n; i++) memcpy(s + i * ll, line, ll);
  memcpy(s + n * ll, "\nbody\n", 6);
  *len = n * ll + 6;
  return s;
}

static void hop_count(void **state)
{
  static struct { char const *line; size_t n; enum local_hdr_verdict want; } const cases[] = {
    { "Received: from x\n", LOCAL_MAXHOPS - 1, LOCAL_HDR_OK },
    { "Received: from x\n", LOCAL_MAXHOPS, LOCAL_HDR_HOPS },
    { "RECEIVED: from x\n", LOCAL_MAXHOPS, LOCAL_HDR_HOPS },
    { "Received-SPF: pass\n", LOCAL_MAXHOPS, LOCAL_HDR_HOPS },
    { "Delivered-To: a@b\n", LOCAL_MAXHOPS, LOCAL_HDR_HOPS },
    { "Delivered-To: a@b\n", LOCAL_MAXHOPS - 1, LOCAL_HDR_OK },
    { "Receive: x\n", LOCAL_MAXHOPS * 2, LOCAL_HDR_OK },
    { "Received\n", LOCAL_MAXHOPS, LOCAL_HDR_HOPS },
    { " Received: folded\n", LOCAL_MAXHOPS * 2, LOCAL_HDR_OK },
    { "X-Received: x\n", LOCAL_MAXHOPS * 2, LOCAL_HDR_OK },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len;
    char *s = hops(cases[i].line, cases[i].n, &len);
    enum local_hdr_verdict whole = scan(s, len, len), bytes = scan(s, len, 1),
                           odd = scan(s, len, 7);
    if (whole != cases[i].want || bytes != cases[i].want || odd != cases[i].want)
      fail_msg("hops %zu (%zu x %s): got %d/%d/%d, want %d", i, cases[i].n, cases[i].line,
               (int)whole, (int)bytes, (int)odd, (int)cases[i].want);
    free(s);
  }
  {
    /* mixed: 50 Received and 50 Delivered make 100 hops */
    size_t len1, len2;
    char *a = hops("Received: x\n", 50, &len1), *b = hops("Delivered-To: y\n", 50, &len2);
    char *m = malloc(len1 + len2);
    memcpy(m, a, len1 - 6);
    memcpy(m + len1 - 6, b, len2);
    assert_int_equal(scan(m, len1 - 6 + len2, 1), LOCAL_HDR_HOPS);
    free(a); free(b); free(m);
  }
}

static void long_lines(void **state)
{
  size_t len = 1 << 20;
  char *s = malloc(len + 40);
  (void)state;
  assert_non_null(s);
  memset(s, 'D', len);
  s[len] = '\n';
  memcpy(s + len + 1, dt, sizeof dt - 1);
  assert_int_equal(scan(s, len + sizeof dt, 4096), LOCAL_HDR_MYLINE);
  free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(hop_count),
    cmocka_unit_test(long_lines),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
