/* inject_body: bodies fed whole and in every chunk size up to 7, in LF mode (bytes
 * unchanged) and CRLF mode (CR before LF removed, other CRs kept). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-inject/inject_body.h"

static int collect(void *ctx, char const *s, size_t len)
{
  return stralloc_catb((stralloc *)ctx, s, len);
}

static int refuse(void *ctx, char const *s, size_t len)
{
  (void)ctx; (void)s; (void)len;
  return 0;
}

struct bcase { int crlf; char const *in; size_t len; char const *want; size_t wlen; };
#define S(s) s, sizeof s - 1

static struct bcase const cases[] = {
  { 0, S("a\r\nb\r\n"), S("a\r\nb\r\n") },
  { 1, S("a\r\nb\r\n"), S("a\nb\n") },
  { 1, S("a\rb\r"), S("a\rb\r") },
  { 1, S("\r\r\n\r"), S("\r\n\r") },
  { 1, S("\r\n\r\n"), S("\n\n") },
  { 1, S("x\0\r\n\0"), S("x\0\n\0") },
  { 1, S(""), S("") },
  { 0, S(""), S("") },
  { 1, S("\n\n"), S("\n\n") },
  { 1, S("\xff\r\xff\r\n"), S("\xff\r\xff\n") },
};

static void table(void **state)
{
  size_t i, chunk;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (chunk = 0; chunk <= 7; chunk++) {
      struct bcase const *c = &cases[i];
      stralloc out = STRALLOC_ZERO;
      inject_body b;
      size_t off = 0;
      inject_body_init(&b, c->crlf);
      while (off < c->len) {
        size_t n = chunk && chunk < c->len - off ? chunk : c->len - off;
        assert_int_equal(inject_body_feed(&b, c->in + off, n, &collect, &out), 1);
        off += n;
      }
      assert_int_equal(inject_body_end(&b, &collect, &out), 1);
      if (out.len != c->wlen || (out.len && memcmp(out.s, c->want, out.len)))
        fail_msg("case %zu chunk %zu: got %zu bytes \"%.*s\", want %zu", i, chunk, out.len,
                 (int)out.len, out.s ? out.s : "", c->wlen);
      stralloc_free(&out);
    }
}

static void failures(void **state)
{
  inject_body b;
  (void)state;
  inject_body_init(&b, 1);
  assert_int_equal(inject_body_feed(&b, "ab", 2, &refuse, 0), 0);
  inject_body_init(&b, 1);
  assert_int_equal(inject_body_feed(&b, "a\r", 2, &refuse, 0), 0);
  inject_body_init(&b, 1);
  assert_int_equal(inject_body_feed(&b, "\r", 1, &refuse, 0), 1);   /* held, nothing put */
  assert_int_equal(inject_body_end(&b, &refuse, 0), 0);
  inject_body_init(&b, 0);
  assert_int_equal(inject_body_feed(&b, "a", 1, &refuse, 0), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(failures),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
