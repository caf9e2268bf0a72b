/* inject_addr: qmail's completion rules, the parsing of argument addresses, and the
 * two renderings, as tables; then the token limit and hostile arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-inject/inject_addr.h"

static inject_rw rw, rw_dotless;

static int setup(void **state)
{
  (void)state;
  if (inject_rw_init(&rw, "dh.example", "dd.example", "pd.example") != 1) return -1;
  if (inject_rw_init(&rw_dotless, "dh", "dd.example", "pd") != 1) return -1;
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  inject_rw_free(&rw);
  inject_rw_free(&rw_dotless);
  return 0;
}

struct acase {
  char const *in;
  int result;               /* of inject_addr_fromarg */
  char const *env;          /* after completion, envelope form */
  char const *hdr;          /* after completion, header form */
  int dotless;              /* use rw_dotless */
};

static struct acase const cases[] = {
  { "joe", 1, "joe@dh.example", "joe@dh.example", 0 },
  { "joe", 1, "joe@dh.dd.example", "joe@dh.dd.example", 1 },
  { "joe@host", 1, "joe@host.dd.example", "joe@host.dd.example", 0 },
  { "joe@host.com", 1, "joe@host.com", "joe@host.com", 0 },
  { "joe@host+", 1, "joe@host.pd.example", "joe@host.pd.example", 0 },
  { "joe@host+", 1, "joe@host.pd", "joe@host.pd", 1 },   /* host.pd has a dot now */
  { "joe@+", 1, "joe@pd.dd.example", "joe@pd.dd.example", 1 },
  { "joe@+", 1, "joe@pd.example", "joe@pd.example", 0 },
  { "joe+", 1, "joe+@dh.example", "joe+@dh.example", 0 },
  { "joe@[1.2.3.4]", 1, "joe@[1.2.3.4]", "joe@[1.2.3.4]", 0 },
  { "joe@[]", 1, "joe@[]", "joe@[]", 0 },
  { "joe-@host-@[]", 1, "joe-@host-@[]", "\"joe-@host-\"@[]", 0 },
  { "joe@", 1, "joe@dh.example", "joe@dh.example", 0 },
  { "joe@host.", 1, "joe@host.dd.example", "joe@host.dd.example", 0 },
  { "joe@host.com.", 1, "joe@host.com", "joe@host.com", 0 },
  { "joe@host.com..", 1, "joe@host.com", "joe@host.com", 0 },
  { "joe@host.com.@", 1, "joe@host.com.@dh.example", "\"joe@host.com.\"@dh.example", 0 },
  { "joe.@", 1, "joe.@dh.example", "\"joe.\"@dh.example", 0 },
  { "joe@@", 1, "joe@@dh.example", "\"joe@\"@dh.example", 0 },
  { "joe.", 1, "joe.@dh.example", "\"joe.\"@dh.example", 0 },
  { ".joe@x.y", 1, ".joe@x.y", "\".joe\"@x.y", 0 },
  { "a..b@x.y", 1, "a..b@x.y", "\"a..b\"@x.y", 0 },
  { "", 1, "", "", 0 },
  { "<>", 1, "", "", 0 },
  { "<joe@x.y>", 1, "joe@x.y", "joe@x.y", 0 },
  { "<joe@x.y", 1, "<joe@x.y", "\"<joe\"@x.y", 0 },
  { "joe smith@x.y", 1, "joe smith@x.y", "\"joe smith\"@x.y", 0 },
  { "a\"b\\c@x.y", 1, "a\"b\\c@x.y", "\"a\\\"b\\\\c\"@x.y", 0 },
  { "a@b@c.d", 1, "a@b@c.d", "\"a@b\"@c.d", 0 },
  { "@x.y", 1, "@x.y", "\"\"@x.y", 0 },
  { "j\xc3\xb6rg@b\xc3\xbc" "cher.de", 1, "j\xc3\xb6rg@b\xc3\xbc" "cher.de",
    "j\xc3\xb6rg@b\xc3\xbc" "cher.de", 0 },
  { "joe@x..y", 1, "joe@x..y", "joe@x..y", 0 },
  { "joe@ho st", 0, 0, 0, 0 },
  { "joe@ho(st", 0, 0, 0, 0 },
  { "joe@[1.2]x", 0, 0, 0, 0 },
  { "joe@[1.[2]", 0, 0, 0, 0 },
  { "joe@[1.2", 0, 0, 0, 0 },
  { "joe\x01@x.y", 0, 0, 0, 0 },
  { "joe@x.y\n", 0, 0, 0, 0 },
  { "joe\x7f", 0, 0, 0, 0 },
};

static void table(void **state)
{
  size_t i;
  static inject_addr a;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct acase const *c = &cases[i];
    stralloc env = STRALLOC_ZERO, hdr = STRALLOC_ZERO;
    int r = inject_addr_fromarg(&a, c->in, strlen(c->in));
    if (r != c->result) fail_msg("\"%s\": got %d, want %d", c->in, r, c->result);
    if (r != 1) continue;
    assert_int_equal(inject_addr_complete(&a, c->dotless ? &rw_dotless : &rw), 1);
    assert_true(inject_addr_envelope(&env, &a) && stralloc_0(&env));
    assert_true(inject_addr_header(&hdr, &a) && stralloc_0(&hdr));
    if (strcmp(env.s, c->env)) fail_msg("\"%s\": envelope got \"%s\", want \"%s\"", c->in, env.s, c->env);
    if (strcmp(hdr.s, c->hdr)) fail_msg("\"%s\": header got \"%s\", want \"%s\"", c->in, hdr.s, c->hdr);
    if (inject_addr_envlen(&a) != strlen(c->env))
      fail_msg("\"%s\": envlen got %zu, want %zu", c->in, inject_addr_envlen(&a), strlen(c->env));
    stralloc_free(&env);
    stralloc_free(&hdr);
  }
}

/* Source routes, <@route:> and the literal host come from header tokens. */
static void tokens(void **state)
{
  static inject_addr a;
  stralloc env = STRALLOC_ZERO;
  (void)state;
  a.n = 0;
  assert_true(inject_addr_push(&a, '@', "@", 1));
  assert_true(inject_addr_push(&a, INJECT_T_ATOM, "r1", 2));
  assert_true(inject_addr_push(&a, ',', ",", 1));
  assert_true(inject_addr_push(&a, '@', "@", 1));
  assert_true(inject_addr_push(&a, INJECT_T_ATOM, "r2", 2));
  assert_true(inject_addr_push(&a, ':', ":", 1));
  assert_true(inject_addr_push(&a, INJECT_T_ATOM, "joe", 3));
  assert_int_equal(inject_addr_complete(&a, &rw), 1);
  assert_true(inject_addr_envelope(&env, &a) && stralloc_0(&env));
  assert_string_equal(env.s, "joe@dh.example");
  /* a route and nothing after it is the null address */
  a.n = 0;
  assert_true(inject_addr_push(&a, '@', "@", 1));
  assert_true(inject_addr_push(&a, INJECT_T_ATOM, "r1", 2));
  assert_int_equal(inject_addr_complete(&a, &rw), 1);
  assert_int_equal(a.n, 0);
  a.n = 0;
  assert_true(inject_addr_push(&a, '@', "@", 1));
  assert_true(inject_addr_push(&a, INJECT_T_ATOM, "r1", 2));
  assert_true(inject_addr_push(&a, ':', ":", 1));
  assert_int_equal(inject_addr_complete(&a, &rw), 1);
  assert_int_equal(a.n, 0);
  /* "." and "@" alone complete to nothing */
  a.n = 0;
  assert_true(inject_addr_push(&a, '.', ".", 1));
  assert_int_equal(inject_addr_complete(&a, &rw), 1);
  assert_int_equal(a.n, 0);
  a.n = 0;
  assert_true(inject_addr_push(&a, '@', "@", 1));
  assert_int_equal(inject_addr_complete(&a, &rw), 1);
  assert_int_equal(a.n, 0);
  /* a literal with brackets inside renders escaped in a header */
  a.n = 0;
  env.len = 0;
  assert_true(inject_addr_push(&a, INJECT_T_ATOM, "joe", 3));
  assert_true(inject_addr_push(&a, '@', "@", 1));
  assert_true(inject_addr_push(&a, INJECT_T_LITERAL, "a]b", 3));
  assert_int_equal(inject_addr_complete(&a, &rw), 1);
  assert_true(inject_addr_header(&env, &a) && stralloc_0(&env));
  assert_string_equal(env.s, "joe@[a\\]b]");
  stralloc_free(&env);
}

static void limits(void **state)
{
  static inject_addr a;
  char *s;
  size_t i;
  (void)state;
  /* INJECT_ADDR_MAX bytes are fine, one more is too long; brackets do not count */
  s = malloc(INJECT_ADDR_MAX + 3);
  assert_non_null(s);
  memset(s, 'a', INJECT_ADDR_MAX + 2);
  s[INJECT_ADDR_MAX + 2] = 0;
  assert_int_equal(inject_addr_fromarg(&a, s, INJECT_ADDR_MAX), 1);
  assert_int_equal(inject_addr_fromarg(&a, s, INJECT_ADDR_MAX + 1), -1);
  s[0] = '<';
  s[INJECT_ADDR_MAX + 1] = '>';
  assert_int_equal(inject_addr_fromarg(&a, s, INJECT_ADDR_MAX + 2), 1);
  free(s);
  /* the token array fills up: push refuses, completion reports it */
  a.n = 0;
  for (i = 0; i < INJECT_ADDR_TOKENS; i++) assert_true(inject_addr_push(&a, INJECT_T_ATOM, "a", 1));
  assert_false(inject_addr_push(&a, '.', ".", 1));
  a.n = INJECT_ADDR_TOKENS - 1;
  assert_int_equal(inject_addr_complete(&a, &rw), 0);   /* "@dh.example" is 4 tokens */
  /* an argument of many dots needs more tokens than there are */
  s = malloc(2 * INJECT_ADDR_TOKENS + 1);
  assert_non_null(s);
  for (i = 0; i < 2 * INJECT_ADDR_TOKENS; i++) s[i] = i % 2 ? '.' : 'a';
  s[2 * INJECT_ADDR_TOKENS - 1] = 'a';
  assert_true(2 * INJECT_ADDR_TOKENS > INJECT_ADDR_MAX);
  /* the longest argument is one token per byte and still leaves room to complete */
  assert_int_equal(inject_addr_fromarg(&a, s, INJECT_ADDR_MAX - 1), 1);   /* "a.a...a" */
  assert_int_equal(a.n, INJECT_ADDR_MAX - 1);
  assert_int_equal(inject_addr_complete(&a, &rw), 1);
  free(s);
}

static void rw_values(void **state)
{
  static inject_rw r;
  static struct { char const *h, *d, *p; int want; } const t[] = {
    { "a.b", "c", "d", 1 },
    { "[1.2.3.4]", "c", "d", 1 },
    { "", "", "", 1 },
    { "a(b", "c", "d", 0 },
    { "a,b", "c", "d", 0 },
    { "a", "c@d", "d", 0 },
    { "a", "c", "\"q\"", 0 },
    { "a", "c", "d<", 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    int got = inject_rw_init(&r, t[i].h, t[i].d, t[i].p);
    if (got != t[i].want)
      fail_msg("rw \"%s\" \"%s\" \"%s\": got %d, want %d", t[i].h, t[i].d, t[i].p, got, t[i].want);
    inject_rw_free(&r);
  }
}

static void quote_envelope(void **state)
{
  static struct { char const *in, *want; } const t[] = {
    { "joe@x.y", "joe@x.y" },
    { "joe", "joe" },
    { "", "" },
    { "joe smith@x.y", "\"joe smith\"@x.y" },
    { "a@b@c", "\"a@b\"@c" },
    { "a\"b@c", "\"a\\\"b\"@c" },
    { "joe-@host-@[]", "\"joe-@host-\"@[]" },
    { "@x", "\"\"@x" },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    stralloc out = STRALLOC_ZERO;
    assert_true(inject_quote_envelope(&out, t[i].in, strlen(t[i].in)) && stralloc_0(&out));
    if (strcmp(out.s, t[i].want)) fail_msg("\"%s\": got \"%s\", want \"%s\"", t[i].in, out.s, t[i].want);
    stralloc_free(&out);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(tokens),
    cmocka_unit_test(limits),
    cmocka_unit_test(rw_values),
    cmocka_unit_test(quote_envelope),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
