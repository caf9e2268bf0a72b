/* Recipient classification: envnoathost, percenthack, locals, virtualdomains (exact,
 * user@domain, .suffix, the empty key, empty prepend as exception), case, and VERP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "qm_control.h"
#include "../../qmail-send/send_rcpt.h"

static void mklist(stralloc *sa, send_table *t, char const *text, int split)
{
  sa->len = 0;
  assert_int_equal(qm_control_parselist(sa, text, strlen(text)), 1);
  assert_int_equal(send_table_build(t, sa, split), 1);
}

struct rcpt_case {
  char const *in;
  int chan;
  char const *want;
  size_t prelen;
};

static void classify_table(void **state)
{
  static struct rcpt_case const cases[] = {
    { "joe@mail.example.org", SEND_CHAN_LOCAL, "joe@mail.example.org", 0 },
    { "Joe@MAIL.Example.ORG", SEND_CHAN_LOCAL, "Joe@MAIL.Example.ORG", 0 },
    { "joe", SEND_CHAN_LOCAL, "joe@mail.example.org", 0 },
    { "", SEND_CHAN_LOCAL, "@mail.example.org", 0 },
    { "bob@example.net", SEND_CHAN_REMOTE, "bob@example.net", 0 },
    { "info@nowhere.mil", SEND_CHAN_LOCAL, "joe-foo-info@nowhere.mil", 8 },
    { "info@NoWhere.MIL", SEND_CHAN_LOCAL, "joe-foo-info@NoWhere.MIL", 8 },
    { "x@a.sub.virt.test", SEND_CHAN_LOCAL, "suffix-x@a.sub.virt.test", 7 },
    { "x@virt.test", SEND_CHAN_LOCAL, "dom-x@virt.test", 4 },
    { "boss@virt.test", SEND_CHAN_LOCAL, "user-boss@virt.test", 5 },
    { "x@except.virt.test", SEND_CHAN_REMOTE, "x@except.virt.test", 0 },
    { "x@deeper.except.virt.test", SEND_CHAN_LOCAL, "suffix-x@deeper.except.virt.test", 7 },
    { "u%h.example.net@relay.test", SEND_CHAN_REMOTE, "u@h.example.net", 0 },
    { "a%b%relay.test@relay.test", SEND_CHAN_REMOTE, "a@b", 0 },
    { "a%mail.example.org@relay.test", SEND_CHAN_LOCAL, "a@mail.example.org", 0 },
    { "100%@relay.test", SEND_CHAN_REMOTE, "100@", 0 },
    { "no-pct@relay.test", SEND_CHAN_REMOTE, "no-pct@relay.test", 0 },
    { "u%h@other.test", SEND_CHAN_REMOTE, "u%h@other.test", 0 },
    { "a@b@mail.example.org", SEND_CHAN_LOCAL, "a@b@mail.example.org", 0 },
    { "x@virt.test.", SEND_CHAN_REMOTE, "x@virt.test.", 0 },
    { "x\x80y@virt.test", SEND_CHAN_LOCAL, "dom-x\x80y@virt.test", 4 },
  };
  stralloc l1 = STRALLOC_ZERO, l2 = STRALLOC_ZERO, l3 = STRALLOC_ZERO, out = STRALLOC_ZERO;
  send_table locals = SEND_TABLE_ZERO, vdoms = SEND_TABLE_ZERO, pct = SEND_TABLE_ZERO;
  send_rcpt_ctx ctx;
  size_t i;
  (void)state;
  mklist(&l1, &locals, "mail.example.org\nlocalhost\n", 0);
  mklist(&l2, &vdoms,
         "nowhere.mil:joe-foo\nvirt.test:dom\nvirt.test:second-ignored\n.virt.test:suffix\n"
         "except.virt.test:\nboss@virt.test:user\nno-colon-line\n", 1);
  mklist(&l3, &pct, "relay.test\n", 0);
  ctx.locals = &locals; ctx.vdoms = &vdoms; ctx.percenthack = &pct;
  ctx.envnoathost = "mail.example.org";
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t pre = 99;
    int chan = send_rcpt_classify(&ctx, cases[i].in, strlen(cases[i].in), &out, &pre);
    if (chan != cases[i].chan || out.len != strlen(cases[i].want)
        || memcmp(out.s, cases[i].want, out.len) || pre != cases[i].prelen)
      fail_msg("case %zu %s: got chan %d '%.*s' prelen %zu, want chan %d '%s' prelen %zu", i,
               cases[i].in, chan, (int)out.len, out.s, pre, cases[i].chan, cases[i].want,
               cases[i].prelen);
  }
  send_table_free(&locals); send_table_free(&vdoms); send_table_free(&pct);
  stralloc_free(&l1); stralloc_free(&l2); stralloc_free(&l3); stralloc_free(&out);
}

struct unpre_case { char const *in; size_t cut; };

/* Each rewritten address goes back to what classify was given; anything else,
 * dashes included, stays whole. */
static void unprepend_table(void **state)
{
  static struct unpre_case const cases[] = {
    { "joe-foo-info@nowhere.mil", 8 },
    { "joe-foo-Info-x@NoWhere.MIL", 8 },
    { "dom-x@virt.test", 4 },
    { "dom-a-b@virt.test", 4 },
    { "user-boss@virt.test", 5 },
    { "suffix-x@a.sub.virt.test", 7 },
    { "suffix-x@deeper.except.virt.test", 7 },
    { "x@virt.test", 0 },
    { "dom@virt.test", 0 },
    { "dom-@virt.test", 4 },
    { "-x@virt.test", 0 },
    { "joe-foo-info@mail.example.org", 0 },
    { "other-x@virt.test", 0 },
    { "dom-x@except.virt.test", 0 },
    { "joe-foo-info", 0 },
    { "", 0 },
    { "dom-x\x80y@virt.test", 4 },
    { "dom-x@virt.test\n", 0 },
  };
  stralloc l1 = STRALLOC_ZERO, l2 = STRALLOC_ZERO, l3 = STRALLOC_ZERO;
  send_table locals = SEND_TABLE_ZERO, vdoms = SEND_TABLE_ZERO, pct = SEND_TABLE_ZERO;
  send_rcpt_ctx ctx;
  size_t i;
  (void)state;
  mklist(&l1, &locals, "mail.example.org\n", 0);
  mklist(&l2, &vdoms,
         "nowhere.mil:joe-foo\nvirt.test:dom\n.virt.test:suffix\nexcept.virt.test:\n"
         "boss@virt.test:user\n", 1);
  mklist(&l3, &pct, "relay.test\n", 0);
  ctx.locals = &locals; ctx.vdoms = &vdoms; ctx.percenthack = &pct;
  ctx.envnoathost = "mail.example.org";
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t cut = 99;
    assert_int_equal(send_rcpt_unprepend(&ctx, cases[i].in, strlen(cases[i].in), &cut), 1);
    if (cut != cases[i].cut) fail_msg("case %zu %s: got cut %zu, want %zu", i, cases[i].in, cut, cases[i].cut);
  }
  send_table_free(&locals); send_table_free(&vdoms); send_table_free(&pct);
  stralloc_free(&l1); stralloc_free(&l2); stralloc_free(&l3);
}

static void catchall_and_empty_tables(void **state)
{
  stralloc l = STRALLOC_ZERO, out = STRALLOC_ZERO;
  send_table vdoms = SEND_TABLE_ZERO, empty = SEND_TABLE_ZERO;
  send_rcpt_ctx ctx = { &empty, &vdoms, &empty, 0 };
  size_t pre;
  (void)state;
  mklist(&l, &vdoms, ":all\n", 1);
  assert_int_equal(send_rcpt_classify(&ctx, "z@any.test", 10, &out, &pre), SEND_CHAN_LOCAL);
  assert_int_equal(out.len, 14);
  assert_memory_equal(out.s, "all-z@any.test", 14);
  /* no envnoathost given: qmail's literal */
  assert_int_equal(send_rcpt_classify(&ctx, "z", 1, &out, &pre), SEND_CHAN_LOCAL);
  assert_int_equal(out.len, 17);
  assert_memory_equal(out.s, "all-z@envnoathost", 17);
  ctx.vdoms = &empty;
  assert_int_equal(send_rcpt_classify(&ctx, "z@any.test", 10, &out, &pre), SEND_CHAN_REMOTE);
  assert_int_equal(pre, 0);
  send_table_free(&vdoms);
  stralloc_free(&l); stralloc_free(&out);
}

static void table_many_entries(void **state)
{
  stralloc l = STRALLOC_ZERO;
  send_table t = SEND_TABLE_ZERO;
  send_table_entry const *e;
  char key[32];
  int i;
  (void)state;
  for (i = 2000; i > 0; i--) {
    int n = snprintf(key, sizeof key, "d%d.test:p%d\n", i, i);
    assert_int_equal(stralloc_catb(&l, key, (size_t)n - 1), 1);
    assert_int_equal(stralloc_0(&l), 1);
  }
  assert_int_equal(send_table_build(&t, &l, 1), 1);
  assert_int_equal(t.n, 2000);
  for (i = 1; i <= 2000; i += 37) {
    int n = snprintf(key, sizeof key, "D%d.TEST", i);
    char want[16];
    int w = snprintf(want, sizeof want, "p%d", i);
    e = send_table_find(&t, key, (size_t)n);
    if (!e || e->vallen != (size_t)w || memcmp(e->val, want, (size_t)w))
      fail_msg("key %s: got %s, want %s", key, e ? e->val : "(none)", want);
  }
  assert_null(send_table_find(&t, "d0.test", 7));
  assert_null(send_table_find(&t, "", 0));
  send_table_free(&t);
  stralloc_free(&l);
}

struct verp_case { char const *sender, *rcpt, *want; };

static void verp_table(void **state)
{
  static struct verp_case const cases[] = {
    { "list-owner-@ex.org-@[]", "joe@x.com", "list-owner-joe=x.com@ex.org" },
    { "plain@ex.org", "joe@x.com", "plain@ex.org" },
    { "", "joe@x.com", "" },
    { "-@[]", "joe@x.com", "joe=x.com" },
    { "pre-@h-@[]", "nodomain", "pre-nodomain@h" },
    { "a@b@h-@[]", "c@d@e", "a@bc@d=e@h" },
    { "x-@[]x", "joe@x.com", "x-@[]x" },
  };
  stralloc out = STRALLOC_ZERO;
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(send_verp(&out, cases[i].sender, strlen(cases[i].sender), cases[i].rcpt,
                               strlen(cases[i].rcpt)), 1);
    if (out.len != strlen(cases[i].want) || memcmp(out.s, cases[i].want, out.len))
      fail_msg("case %zu: got '%.*s', want '%s'", i, (int)out.len, out.s, cases[i].want);
  }
  stralloc_free(&out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(classify_table),
    cmocka_unit_test(unprepend_table),
    cmocka_unit_test(catchall_and_empty_tables),
    cmocka_unit_test(table_many_entries),
    cmocka_unit_test(verp_table),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
