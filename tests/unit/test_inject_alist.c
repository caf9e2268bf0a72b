/* inject_alist: address-list values of header fields, rewritten in place and
 * collected, as a table of (value, rewritten value, addresses) including hostile
 * values; then the rollback on failure and the length limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-inject/inject_alist.h"

static inject_rw rw;
static inject_alist al = INJECT_ALIST_ZERO;

static int setup(void **state)
{
  (void)state;
  return inject_rw_init(&rw, "dh.example", "dd.example", "pd.example") == 1 ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  inject_rw_free(&rw);
  inject_alist_free(&al);
  return 0;
}

struct lcase {
  char const *in;
  int err;                  /* 0: rewrites to out with addrs */
  char const *out;
  char const *addrs;        /* envelope addresses joined by '|' */
};

static struct lcase const cases[] = {
  { " bob\n", 0, " bob@dh.example\n", "bob@dh.example" },
  { " a@b.c, d@e.f\n", 0, " a@b.c, d@e.f\n", "a@b.c|d@e.f" },
  { " Joe <joe@x>\n", 0, " Joe <joe@x.dd.example>\n", "joe@x.dd.example" },
  { " \"Smith, Joe\" <joe@x.y>\n", 0, " \"Smith, Joe\" <joe@x.y>\n", "joe@x.y" },
  { " joe@x.y (Joe Smith)\n", 0, " joe@x.y (Joe Smith)\n", "joe@x.y" },
  { " (c1) joe (c2) @ x . y (c3)\n", 0, " (c1) joe@x.y (c2) (c3)\n", "joe@x.y" },
  { " Friends: a, b@c.d;\n", 0, " Friends: a@dh.example, b@c.d;\n", "a@dh.example|b@c.d" },
  { " Friends: a, Bo <b@c.d>;, e@f.g\n", 0, " Friends: a@dh.example, Bo <b@c.d>;, e@f.g\n",
    "a@dh.example|b@c.d|e@f.g" },
  { " undisclosed-recipients: ;\n", 0, " undisclosed-recipients: ;\n", "" },
  { " recipient list not shown: ;\n", 0, " recipient list not shown: ;\n", "" },
  { " g: a@b.c\n", 0, " g: a@b.c\n", "a@b.c" },
  { " \n", 0, " \n", "" },
  { "", 0, "", "" },
  { " (only a comment)\n", 0, " (only a comment)\n", "" },
  { " a@b.c,, ,d@e.f,\n", 0, " a@b.c,, ,d@e.f,\n", "a@b.c|d@e.f" },
  { " <@r1,@r2:e@f.g>\n", 0, " <e@f.g>\n", "e@f.g" },
  { " Joe <@r1.x:joe>\n", 0, " Joe <joe@dh.example>\n", "joe@dh.example" },
  { " <>\n", 0, " <>\n", "" },
  { " <>, a@b.c\n", 0, " <>, a@b.c\n", "|a@b.c" },
  { " <@r1:>\n", 0, " <>\n", "" },
  { " a@b.c, .\n", 0, " a@b.c, <>\n", "a@b.c|" },
  { " a@b.c,\n d@e\n", 0, " a@b.c,\n d@e.dd.example\n", "a@b.c|d@e.dd.example" },
  { " d@\n e.f\n", 0, " d@e.f\n", "d@e.f" },
  { " \"a\\\"b\"@x.y\n", 0, " \"a\\\"b\"@x.y\n", "a\"b@x.y" },
  { " \"a\\b\"@x.y\n", 0, " \"ab\"@x.y\n", "ab@x.y" },
  { " \"a\n b\"@x.y\n", 0, " \"a b\"@x.y\n", "a b@x.y" },
  { " joe@[1.2.3.4]\n", 0, " joe@[1.2.3.4]\n", "joe@[1.2.3.4]" },
  { " joe@[]\n", 0, " joe@[]\n", "joe@[]" },
  { " joe@host+\n", 0, " joe@host.pd.example\n", "joe@host.pd.example" },
  { " joe@x.y.\n", 0, " joe@x.y\n", "joe@x.y" },
  { " J. Smith <js@x.y>\n", 0, " J. Smith <js@x.y>\n", "js@x.y" },
  { " joe@x.y <joe@x.y>\n", 0, " joe@x.y <joe@x.y>\n", "joe@x.y" },
  { " J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.de>\n", 0, " J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.de>\n",
    "j\xc3\xb6rg@b\xc3\xbc" "cher.de" },
  { " joe@x.y (a (b) c)\n", 0, " joe@x.y (a (b) c)\n", "joe@x.y" },
  { " joe@x.y (a \\) b)\n", 0, " joe@x.y (a \\) b)\n", "joe@x.y" },
  { " =?utf-8?q?J=C3=B6rg?= <j@x.y>\n", 0, " =?utf-8?q?J=C3=B6rg?= <j@x.y>\n", "j@x.y" },
  { "\tjoe\t@\tx\n", 0, "\tjoe@x.dd.example\n", "joe@x.dd.example" },
  /* hostile or broken */
  { " \"unclosed\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " (unclosed\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " ((a)\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " joe@[1.2\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " joe@[1[2]\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " \"a\\", INJECT_ALIST_E_LEX, 0, 0 },
  { " joe)\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " joe]\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " joe\\x\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " joe\x01@x\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " joe\r@x\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " \"a\rb\"@x\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " (a\x7f)\n", INJECT_ALIST_E_LEX, 0, 0 },
  { " John Smith\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " @cde\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " <@r:@x>\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " <joe@x\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " joe@x>\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " a: b: c;;\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " a@b.c;\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " <a@b> junk\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " <a,b@c>\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " <@r1 a@b>\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " <a@b <c@d>>\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " Jo;e <a@b>\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " a@b, : c\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " <a:b@c>\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " a.\"b\"c@d\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " g: <a@b>; junk\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
  { " g: a@b.c; e@f.g\n", INJECT_ALIST_E_SYNTAX, 0, 0 },
};

static void join(stralloc *out, stralloc const *addrs, size_t n)
{
  size_t i, k;
  for (i = 0, k = 0; k < n; k++) {
    size_t len = strlen(addrs->s + i);
    if (k) assert_true(stralloc_catb(out, "|", 1));
    assert_true(stralloc_catb(out, addrs->s + i, len));
    i += len + 1;
  }
  assert_int_equal(i, addrs->len);
  assert_true(stralloc_0(out));
}

static void table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct lcase const *c = &cases[i];
    stralloc addrs = STRALLOC_ZERO, joined = STRALLOC_ZERO;
    size_t n = 0;
    int r = inject_alist_rewrite(&al, c->in, strlen(c->in), &rw, &addrs, &n);
    if (c->err) {
      if (r != 0 || al.err != c->err)
        fail_msg("\"%s\": got %d err %d, want 0 err %d", c->in, r, al.err, c->err);
      assert_int_equal(addrs.len, 0);
      assert_int_equal(n, 0);
      stralloc_free(&addrs);
      continue;
    }
    if (r != 1) fail_msg("\"%s\": got %d err %d (%s), want 1", c->in, r, al.err,
                         inject_alist_strerr(al.err));
    if (al.out.len != strlen(c->out) || memcmp(al.out.s, c->out, al.out.len))
      fail_msg("\"%s\": got \"%.*s\", want \"%s\"", c->in, (int)al.out.len, al.out.s, c->out);
    join(&joined, &addrs, n);
    if (strcmp(joined.s, c->addrs))
      fail_msg("\"%s\": addresses got \"%s\", want \"%s\"", c->in, joined.s, c->addrs);
    stralloc_free(&addrs);
    stralloc_free(&joined);
  }
}

static void rollback(void **state)
{
  stralloc addrs = STRALLOC_ZERO;
  size_t n = 0;
  (void)state;
  assert_int_equal(inject_alist_rewrite(&al, " a@b.c", 6, &rw, &addrs, &n), 1);
  assert_int_equal(n, 1);
  assert_int_equal(addrs.len, 6);
  /* the first two addresses are fine, the third is not: nothing of them stays */
  assert_int_equal(inject_alist_rewrite(&al, " d@e.f, g@h.i, John Smith", 25, &rw, &addrs, &n), 0);
  assert_int_equal(al.err, INJECT_ALIST_E_SYNTAX);
  assert_int_equal(n, 1);
  assert_int_equal(addrs.len, 6);
  assert_string_equal(addrs.s, "a@b.c");
  stralloc_free(&addrs);
}

static void lengths(void **state)
{
  stralloc v = STRALLOC_ZERO, addrs = STRALLOC_ZERO;
  size_t n = 0, i;
  (void)state;
  /* an address of INJECT_ADDR_MAX bytes passes, one more does not */
  assert_true(stralloc_catb(&v, " ", 1));
  for (i = 0; i < INJECT_ADDR_MAX - 5; i++) assert_true(stralloc_catb(&v, "a", 1));
  assert_true(stralloc_cats(&v, "@x.yz"));
  assert_int_equal(inject_alist_rewrite(&al, v.s, v.len, &rw, &addrs, &n), 1);
  assert_int_equal(addrs.len, INJECT_ADDR_MAX + 1);
  assert_true(stralloc_cats(&v, "z"));
  assert_int_equal(inject_alist_rewrite(&al, v.s, v.len, &rw, &addrs, &n), 0);
  assert_int_equal(al.err, INJECT_ALIST_E_LONG);
  /* more tokens in one address than an address may have */
  v.len = 0;
  assert_true(stralloc_catb(&v, " a", 2));
  for (i = 0; i < INJECT_ADDR_TOKENS; i++) assert_true(stralloc_catb(&v, ".a", 2));
  assert_int_equal(inject_alist_rewrite(&al, v.s, v.len, &rw, &addrs, &n), 0);
  assert_int_equal(al.err, INJECT_ALIST_E_LONG);
  /* many short addresses are fine: the limit is per address */
  v.len = 0;
  for (i = 0; i < 5000; i++) assert_true(stralloc_cats(&v, "a@b.c,"));
  addrs.len = 0;
  n = 0;
  assert_int_equal(inject_alist_rewrite(&al, v.s, v.len, &rw, &addrs, &n), 1);
  assert_int_equal(n, 5000);
  /* deep comment nesting is only counted */
  v.len = 0;
  assert_true(stralloc_cats(&v, "a@b.c "));
  for (i = 0; i < 20000; i++) assert_true(stralloc_catb(&v, "(", 1));
  for (i = 0; i < 20000; i++) assert_true(stralloc_catb(&v, ")", 1));
  assert_int_equal(inject_alist_rewrite(&al, v.s, v.len, &rw, &addrs, &n), 1);
  stralloc_free(&v);
  stralloc_free(&addrs);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
    cmocka_unit_test(rollback),
    cmocka_unit_test(lengths),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
