/* checkpw_input: the checkpassword input on fd 3 (whole, and cut short at every
 * byte), users/passwords lines, and the length-only-timed comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../qmail-tls/checkpw_input.h"

struct icase { char const *in; size_t len; int want; char const *user, *pass, *stamp; };
#define I(s, w, u, p, t) { s, sizeof s - 1, w, u, p, t }

static struct icase const inputs[] = {
  I("joe\0secret\0<1@x>\0", 1, "joe", "secret", "<1@x>"),
  I("joe\0secret\0\0", 1, "joe", "secret", ""),
  I("joe\0\0\0", 1, "joe", "", ""),                     /* empty password: parsed, refused later */
  I("joe\0p\xc3\xa4ss word\0\0extra", 1, "joe", "p\xc3\xa4ss word", ""),
  I("joe@example.org\0x\0\0", 1, "joe@example.org", "x", ""),
  I("joe\0secret\0", -1, 0, 0, 0),                      /* no third NUL */
  I("joe\0secret", -1, 0, 0, 0),
  I("joe", -1, 0, 0, 0),
  I("", -1, 0, 0, 0),
  I("\0secret\0\0", -1, 0, 0, 0),                       /* empty user */
  I("jo e\0secret\0\0", -1, 0, 0, 0),
  I("jo:e\0secret\0\0", -1, 0, 0, 0),
  I("jo\ne\0secret\0\0", -1, 0, 0, 0),
  I("j\xc3\xb6\0secret\0\0", -1, 0, 0, 0),
};

static void input_table(void **state)
{
  size_t i, cut;
  (void)state;
  for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    checkpw_input in;
    int r = checkpw_parse(&in, inputs[i].in, inputs[i].len);
    if (r != inputs[i].want) fail_msg("case %zu: got %d, want %d", i, r, inputs[i].want);
    if (r > 0 && (strcmp(in.user, inputs[i].user) || in.userlen != strlen(inputs[i].user)
                  || in.passlen != strlen(inputs[i].pass) || memcmp(in.pass, inputs[i].pass, in.passlen)
                  || strcmp(in.stamp, inputs[i].stamp)))
      fail_msg("case %zu: got user '%s' pass '%.*s' stamp '%s'", i, in.user, (int)in.passlen, in.pass, in.stamp);
    /* a short read is never taken for a whole input */
    for (cut = 0; r > 0 && cut < inputs[i].len; cut++) {
      size_t nuls = 0, k;
      for (k = 0; k < cut; k++) nuls += !inputs[i].in[k];
      if (checkpw_parse(&in, inputs[i].in, cut) != (nuls >= 3 ? 1 : -1))
        fail_msg("case %zu cut at %zu: wrong answer", i, cut);
    }
  }
}

static void input_limits(void **state)
{
  static char buf[CHECKPW_INPUT_MAX + 8];
  checkpw_input in;
  (void)state;
  memset(buf, 'p', sizeof buf);
  memcpy(buf, "joe", 4);
  buf[CHECKPW_INPUT_MAX - 2] = 0;
  buf[CHECKPW_INPUT_MAX - 1] = 0;
  assert_int_equal(checkpw_parse(&in, buf, CHECKPW_INPUT_MAX), 1);
  assert_int_equal(in.passlen, CHECKPW_INPUT_MAX - 6);
  assert_int_equal(checkpw_parse(&in, buf, CHECKPW_INPUT_MAX + 1), -1);
  assert_int_equal(checkpw_parse(&in, buf, SIZE_MAX), -1);
  memset(buf, 'u', CHECKPW_USER_MAX + 1);
  memcpy(buf + CHECKPW_USER_MAX, "\0p\0\0", 4);
  assert_int_equal(checkpw_parse(&in, buf, CHECKPW_USER_MAX + 4), 1);
  buf[CHECKPW_USER_MAX] = 'u';
  memcpy(buf + CHECKPW_USER_MAX + 1, "\0p\0\0", 4);
  assert_int_equal(checkpw_parse(&in, buf, CHECKPW_USER_MAX + 5), -1);
}

struct lcase { char const *line; int want; char const *user, *hash; };

static struct lcase const lines[] = {
  { "joe:$y$j9T$abc$def", 1, "joe", "$y$j9T$abc$def" },
  { "joe@example.org:$6$salt$hash", 1, "joe@example.org", "$6$salt$hash" },
  { "ann:!locked", 1, "ann", "!locked" },
  { "joe:a:b", 1, "joe", "a:b" },     /* the hash runs to the end of the line */
  { "", 0, 0, 0 },
  { "   ", 0, 0, 0 },
  { "# comment", 0, 0, 0 },
  { "  # comment", 0, 0, 0 },
  { "joe", -1, 0, 0 },
  { "joe:", -1, 0, 0 },
  { ":hash", -1, 0, 0 },
  { " joe:hash", -1, 0, 0 },
  { "joe:hash ", -1, 0, 0 },
  { "joe:ha\tsh", -1, 0, 0 },
  { "joe:hash\r", -1, 0, 0 },
  { "j\xc3\xb6:hash", -1, 0, 0 },
  { "joe:h\xc3\xa4sh", -1, 0, 0 },
};

static void line_table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    size_t ulen = 0, hlen = 0;
    char const *hash = 0;
    int r = checkpw_pwline(lines[i].line, strlen(lines[i].line), &ulen, &hash, &hlen);
    if (r != lines[i].want) fail_msg("line %zu '%s': got %d, want %d", i, lines[i].line, r, lines[i].want);
    if (r > 0 && (ulen != strlen(lines[i].user) || memcmp(lines[i].line, lines[i].user, ulen)
                  || hlen != strlen(lines[i].hash) || memcmp(hash, lines[i].hash, hlen)))
      fail_msg("line %zu: got user '%.*s' hash '%.*s'", i, (int)ulen, lines[i].line, (int)hlen, hash);
  }
}

static void line_limits(void **state)
{
  static char buf[CHECKPW_USER_MAX + CHECKPW_HASH_MAX + 8];
  size_t ulen, hlen;
  char const *hash;
  (void)state;
  memset(buf, 'u', CHECKPW_USER_MAX);
  buf[CHECKPW_USER_MAX] = ':';
  memset(buf + CHECKPW_USER_MAX + 1, 'h', CHECKPW_HASH_MAX + 1);
  assert_int_equal(checkpw_pwline(buf, CHECKPW_USER_MAX + 1 + CHECKPW_HASH_MAX, &ulen, &hash, &hlen), 1);
  assert_int_equal(checkpw_pwline(buf, CHECKPW_USER_MAX + 2 + CHECKPW_HASH_MAX, &ulen, &hash, &hlen), -1);
  memmove(buf + 1, buf, CHECKPW_USER_MAX + 2);
  assert_int_equal(checkpw_pwline(buf, CHECKPW_USER_MAX + 3, &ulen, &hash, &hlen), -1);
}

static void equal(void **state)
{
  (void)state;
  assert_int_equal(checkpw_equal("$6$a$b", "$6$a$b"), 1);
  assert_int_equal(checkpw_equal("", ""), 1);
  assert_int_equal(checkpw_equal("$6$a$b", "$6$a$c"), 0);
  assert_int_equal(checkpw_equal("$6$a$b", "$6$a$bc"), 0);
  assert_int_equal(checkpw_equal("$6$a$bc", "$6$a$b"), 0);
  assert_int_equal(checkpw_equal("", "x"), 0);
  assert_int_equal(checkpw_equal("x", "X"), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(input_table),
    cmocka_unit_test(input_limits),
    cmocka_unit_test(line_table),
    cmocka_unit_test(line_limits),
    cmocka_unit_test(equal),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
