/* Header lines and the qmail-command environment: quoting, CR/LF in the envelope,
 * the From_ date, HOSTn and EXTn, and the merge with an inherited environment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-local/local_env.h"

static void rpline_table(void **state)
{
  static struct { char const *sender, *want; } const cases[] = {
    { "joe@example.org", "Return-Path: <joe@example.org>\n" },
    { "", "Return-Path: <>\n" },
    { "a.b+c@x", "Return-Path: <a.b+c@x>\n" },
    { "a b@x", "Return-Path: <\"a b\"@x>\n" },
    { "a\"b@x", "Return-Path: <\"a\\\"b\"@x>\n" },
    { "a\\b@x", "Return-Path: <\"a\\\\b\"@x>\n" },
    { ".a@x", "Return-Path: <\".a\"@x>\n" },
    { "a.@x", "Return-Path: <\"a.\"@x>\n" },
    { "a..b@x", "Return-Path: <\"a..b\"@x>\n" },
    { "a@b@x", "Return-Path: <\"a@b\"@x>\n" },
    { "#@[]", "Return-Path: <#@[]>\n" },
    { "nodomain", "Return-Path: <nodomain>\n" },
    { "evil\nBcc: x@y@z", "Return-Path: <\"evil_Bcc: x@y\"@z>\n" },
    { "cr\rx@y", "Return-Path: <\"cr_x\"@y>\n" },
    { "\xc3\xa9t\xc3\xa9@x", "Return-Path: <\xc3\xa9t\xc3\xa9@x>\n" },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sa.len = 0;
    assert_int_equal(local_rpline(&sa, cases[i].sender), 1);
    if (sa.len != strlen(cases[i].want) || memcmp(sa.s, cases[i].want, sa.len))
      fail_msg("rpline %zu: got %.*s want %s", i, (int)sa.len, sa.s, cases[i].want);
  }
  stralloc_free(&sa);
}

static void dtline_table(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  (void)state;
  assert_int_equal(local_dtline(&sa, "joe-foo", "example.org"), 1);
  assert_int_equal(sa.len, strlen("Delivered-To: joe-foo@example.org\n"));
  assert_memory_equal(sa.s, "Delivered-To: joe-foo@example.org\n", sa.len);
  sa.len = 0;
  assert_int_equal(local_dtline(&sa, "a\nb\rc", "d\ne"), 1);
  assert_memory_equal(sa.s, "Delivered-To: a_b_c@d_e\n", sa.len);
  stralloc_free(&sa);
}

static void ufline_table(void **state)
{
  static struct { char const *sender; time_t t; char const *want; } const cases[] = {
    { "joe@x", 0, "From joe@x Thu Jan 01 00:00:00 1970\n" },
    { "", 1704272707, "From MAILER-DAEMON Wed Jan 03 09:05:07 2024\n" },
    { "a b\tc\nd\re@x", 951782400, "From a-b-c-d-e@x Tue Feb 29 00:00:00 2000\n" },
    { "z@z", 2147483647, "From z@z Tue Jan 19 03:14:07 2038\n" },
  };
  stralloc sa = STRALLOC_ZERO;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sa.len = 0;
    assert_int_equal(local_ufline(&sa, cases[i].sender, cases[i].t), 1);
    if (sa.len != strlen(cases[i].want) || memcmp(sa.s, cases[i].want, sa.len))
      fail_msg("ufline %zu: got %.*s want %s", i, (int)sa.len, sa.s, cases[i].want);
  }
  stralloc_free(&sa);
}

static void hostn_extn(void **state)
{
  static struct { char const *host; char const *h2, *h3, *h4; } const hosts[] = {
    { "mail.example.org", "mail.example", "mail", "mail" },
    { "a.b.c.d.e", "a.b.c.d", "a.b.c", "a.b" },
    { "localhost", "localhost", "localhost", "localhost" },
    { "", "", "", "" },
    { ".", "", "", "" },
  };
  static struct { char const *ext; char const *e2, *e3, *e4; } const exts[] = {
    { "a-b-c-d", "b-c-d", "c-d", "d" },
    { "foo", "", "", "" },
    { "", "", "", "" },
    { "-x", "x", "", "" },
    { "a--b", "-b", "b", "" },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
    char const *h = hosts[i].host;
    size_t n = strlen(h);
    char const *w[3] = { hosts[i].h2, hosts[i].h3, hosts[i].h4 };
    unsigned int k;
    for (k = 2; k <= 4; k++) {
      size_t got = local_hostn(h, n, k);
      if (got != strlen(w[k - 2]) || memcmp(h, w[k - 2], got))
        fail_msg("HOST%u of %s: got %.*s want %s", k, h, (int)got, h, w[k - 2]);
    }
  }
  for (i = 0; i < sizeof exts / sizeof exts[0]; i++) {
    char const *e = exts[i].ext;
    size_t n = strlen(e);
    char const *w[3] = { exts[i].e2, exts[i].e3, exts[i].e4 };
    unsigned int k;
    for (k = 2; k <= 4; k++) {
      size_t got = local_extn(e, n, k);
      if (strcmp(e + got, w[k - 2]))
        fail_msg("EXT%u of %s: got %s want %s", k, e, e + got, w[k - 2]);
    }
  }
}

static char const *find(char const *const *env, char const *name)
{
  size_t n = strlen(name);
  for (; *env; env++)
    if (!strncmp(*env, name, n) && (*env)[n] == '=') return *env + n + 1;
  return 0;
}

static void environment(void **state)
{
  static char const *const base[] = {
    "PATH=/bin", "DEFAULT=stale", "SENDER=stale", "SENDERX=kept", "HOME=/old", 0
  };
  local_envin in = {
    "s@x.org", "list-owner@e.org", "joe", "/home/joe", "joe-list-x", "mail.e.org",
    "list-x", "x", "Delivered-To: joe-list-x@mail.e.org\n", "Return-Path: <s@x.org>\n",
    "From s@x.org Thu Jan 01 00:00:00 1970\n"
  };
  static struct { char const *name, *want; } const want[] = {
    { "SENDER", "s@x.org" }, { "NEWSENDER", "list-owner@e.org" },
    { "RECIPIENT", "joe-list-x@mail.e.org" }, { "USER", "joe" }, { "HOME", "/home/joe" },
    { "HOST", "mail.e.org" }, { "HOST2", "mail.e" }, { "HOST3", "mail" }, { "HOST4", "mail" },
    { "LOCAL", "joe-list-x" }, { "EXT", "list-x" }, { "EXT2", "x" }, { "EXT3", "" },
    { "EXT4", "" }, { "DEFAULT", "x" }, { "DTLINE", "Delivered-To: joe-list-x@mail.e.org\n" },
    { "RPLINE", "Return-Path: <s@x.org>\n" }, { "UFLINE", "From s@x.org Thu Jan 01 00:00:00 1970\n" },
    { "PATH", "/bin" }, { "SENDERX", "kept" },
  };
  stralloc sa = STRALLOC_ZERO;
  char const *out[40];
  size_t n, i, count = 0;
  (void)state;
  assert_int_equal(local_env_vars(&sa, &in), 1);
  n = local_env_merge(out, 40, base, sa.s, sa.len);
  assert_true(n != (size_t)-1);
  assert_null(out[n]);
  for (i = 0; i < sizeof want / sizeof want[0]; i++) {
    char const *v = find(out, want[i].name);
    if (!v || strcmp(v, want[i].want))
      fail_msg("%s: got %s want %s", want[i].name, v ? v : "(unset)", want[i].want);
  }
  for (i = 0; i < n; i++) if (!strncmp(out[i], "SENDER=", 7) || !strncmp(out[i], "DEFAULT=", 8)) count++;
  assert_int_equal(count, 2);   /* ours only, the stale ones gone */
  assert_int_equal(n, sizeof want / sizeof want[0]);
  /* no -default file: DEFAULT must be unset, not inherited */
  in.deflt = 0;
  sa.len = 0;
  assert_int_equal(local_env_vars(&sa, &in), 1);
  n = local_env_merge(out, 40, base, sa.s, sa.len);
  assert_null(find(out, "DEFAULT"));
  /* too small an array is refused, not overrun */
  assert_true(local_env_merge(out, 5, base, sa.s, sa.len) == (size_t)-1);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(rpline_table),
    cmocka_unit_test(dtline_table),
    cmocka_unit_test(ufline_table),
    cmocka_unit_test(hostn_extn),
    cmocka_unit_test(environment),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
