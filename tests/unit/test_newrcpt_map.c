/* qmail-newrcpt's delivery model against tables of addresses, and the keys it writes
 * read back through qmail-smtpd's own lookup (smtpd_rcptcheck): the two must give
 * the same verdict for every address, in the local and in a virtual domain. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-smtpd/newrcpt_map.h"
#include "../../qmail-smtpd/smtpd_access.h"

typedef struct home_s { char const *path; char const *files[8]; int unknown; } home;

static home const homes[] = {
  { "/h/joe", { ".qmail-foo", ".qmail-list-default", ".qmail", ".qmailfoo", 0 }, 0 },
  { "/h/ann", { ".qmail-shop-default", 0 }, 0 },
  { "/h/bob", { ".qmail-default", 0 }, 0 },
  { "/h/mary-ann", { ".qmail-z", 0 }, 0 },
  { "/h/alias", { ".qmail-postmaster", ".qmail-root", ".qmail-info:desk", ".qmail-sales-default",
                  ".qmail-UPPER", ".qmail-a:b:c:d:e:f", 0 }, 0 },
  { "/h/lost", { 0 }, 1 },
};

static struct { char const *name, *home; } const accounts[] = {
  { "joe", "/h/joe" }, { "ann", "/h/ann" }, { "bob", "/h/bob" }, { "mary-ann", "/h/mary-ann" },
  { "lost", "/h/lost" }, { "Caps", "/h/bob" },
};

/* users/assign lines as qmail-newu hands them over: key, then the six fields */
static struct { char const *key; size_t klen; char const *val; size_t vlen; } const assigns[] = {
#define A(k, v) { k, sizeof k - 1, v, sizeof v - 1 }
  A("!special\0", "joe\0" "1001\0" "1001\0" "/h/joe\0" "-\0" "foo"),
  A("!nobox\0", "joe\0" "1001\0" "1001\0" "/h/joe\0" "-\0" "none"),
  A("!shop", "ann\0" "1002\0" "1002\0" "/h/ann\0" "-\0" "shop-"),
  A("!zz", "root\0" "0\0" "0\0" "/h/bob\0" "-\0" ""),
  A("!pfx-", "bob\0" "1003\0" "1003\0" "/h/bob\0" "\0" ""),
  A("!Special\0", "ann\0" "1002\0" "1002\0" "/h/ann\0" "-\0" "none"),
};
static struct { char const *key; size_t klen; char const *val; size_t vlen; } const catchall =
  A("!", "alias\0" "1100\0" "1100\0" "/h/alias\0" "-\0" "");
#undef A

static void load(nrc *m, int withcatchall)
{
  size_t i, j, k;
  nrc_init(m, '-', "alias");
  for (i = 0; i < sizeof accounts / sizeof accounts[0]; i++)
    assert_int_equal(nrc_add_account(m, accounts[i].name, accounts[i].home), 1);
  assert_int_equal(nrc_set_alias(m, "/h/alias"), 1);
  for (i = 0; i < sizeof assigns / sizeof assigns[0]; i++)
    assert_int_equal(nrc_add_assign(m, assigns[i].key, assigns[i].klen, assigns[i].val, assigns[i].vlen), 1);
  if (withcatchall)
    assert_int_equal(nrc_add_assign(m, catchall.key, catchall.klen, catchall.val, catchall.vlen), 1);
  assert_int_equal(nrc_prepare(m), 1);
  for (i = 0; i < m->nhome; i++) {
    for (j = 0; j < sizeof homes / sizeof homes[0]; j++) {
      if (strcmp(homes[j].path, m->home[i].path)) continue;
      if (homes[j].unknown) nrc_home_unknown(m, i);
      for (k = 0; homes[j].files[k]; k++) assert_int_equal(nrc_home_addfile(m, i, homes[j].files[k]), 1);
    }
  }
  assert_int_equal(nrc_build(m), 1);
}

/* The written keys, kept in memory for smtpd_rcptcheck. */
typedef struct keys_s { char **k; int *v; size_t n, a; } keys;

static int keep(void *ctx, char const *key, size_t klen, int exists)
{
  keys *ks = ctx;
  size_t i;
  for (i = 0; i < ks->n; i++)
    if (strlen(ks->k[i]) == klen && !memcmp(ks->k[i], key, klen)) return 1;   /* first wins, as in a cdb */
  if (ks->n == ks->a) {
    ks->a = ks->a ? 2 * ks->a : 64;
    ks->k = realloc(ks->k, ks->a * sizeof *ks->k);
    ks->v = realloc(ks->v, ks->a * sizeof *ks->v);
    assert_non_null(ks->k);
    assert_non_null(ks->v);
  }
  ks->k[ks->n] = malloc(klen + 1);
  assert_non_null(ks->k[ks->n]);
  memcpy(ks->k[ks->n], key, klen);
  ks->k[ks->n][klen] = 0;
  ks->v[ks->n++] = exists;
  return 1;
}

static int lookup(void *ctx, char const *key, size_t len)
{
  keys const *ks = ctx;
  size_t i;
  for (i = 0; i < ks->n; i++)
    if (strlen(ks->k[i]) == len && !memcmp(ks->k[i], key, len)) return ks->v[i] ? 1 : 2;
  return 0;
}

static void keys_free(keys *ks)
{
  size_t i;
  for (i = 0; i < ks->n; i++) free(ks->k[i]);
  free(ks->k);
  free(ks->v);
}

typedef struct want_s { char const *local; int want; } want;

static void agree(nrc *m, char const *domain, char const *prepend, want const *w, size_t n)
{
  keys ks = { 0, 0, 0, 0 };
  char addr[1200];
  size_t i;
  assert_int_equal(nrc_emit(m, domain, prepend, &keep, &ks), 1);
  for (i = 0; i < n; i++) {
    int got;
    if (!prepend) {
      got = nrc_decide(m, w[i].local, strlen(w[i].local));
      if (got != w[i].want) fail_msg("decide %s: got %d, want %d", w[i].local, got, w[i].want);
    }
    assert_true(strlen(w[i].local) + strlen(domain) + 2 < sizeof addr);
    strcpy(addr, w[i].local);
    strcat(addr, "@");
    strcat(addr, domain);
    got = smtpd_rcptcheck(addr, &lookup, &ks);
    if (got != w[i].want) fail_msg("rcptcheck %s: got %d, want %d", addr, got, w[i].want);
  }
  keys_free(&ks);
}

static want const local_table[] = {
  { "joe", 1 }, { "JOE", 1 }, { "joe-foo", 1 }, { "joe-FOO", 1 }, { "joe-bar", 0 },
  { "joe-list-x", 1 }, { "joe-list-", 1 }, { "joe-list", 0 }, { "joe-", 0 }, { "joe-foo-x", 0 },
  { "joefoo", 0 }, { "ann", 1 }, { "ann-x", 0 }, { "ann-shop-1", 1 }, { "bob", 1 }, { "bob-x", 1 },
  { "bob-x-y", 1 }, { "mary-ann", 1 }, { "mary-ann-z", 1 }, { "mary-ann-q", 0 }, { "mary", 0 },
  { "postmaster", 1 }, { "PostMaster", 1 }, { "root", 1 }, { "info.desk", 1 }, { "info:desk", 1 },
  { "info-desk", 0 }, { "info", 0 }, { "sales-x", 1 }, { "sales-", 1 }, { "sales", 0 },
  { "salesx", 0 }, { "nobody", 0 }, { "upper", 0 }, { "UPPER", 0 }, { "a.b.c.d.e", 0 },
  { "a.b.c.d.e.f", 1 }, { "a:b.c:d.e.f", 1 }, { "special", 1 }, { "SPECIAL", 1 }, { "nobox", 0 },
  { "shop", 1 }, { "shopx", 1 }, { "shop-1", 1 }, { "sho", 0 }, { "zz", 1 }, { "zzz", 1 },
  { "pfx-a", 1 }, { "pfx-", 1 }, { "pfx", 0 }, { "lost", 1 }, { "lost-x", 1 }, { "caps", 0 },
  { "Caps-x", 0 }, { "joe-bob", 0 }, { "\x80\xff", 0 },
  { "a-very-long-local-part-that-is-sixty-four-bytes-long-abcdefghijk", 0 },
};

static void local_domain(void **state)
{
  nrc m;
  (void)state;
  load(&m, 0);
  agree(&m, "example.org", 0, local_table, sizeof local_table / sizeof local_table[0]);
  nrc_free(&m);
}

/* virtual domain with prepend joe: u@virt.example is delivered as joe-u */
static void virtual_domain(void **state)
{
  static want const t[] = {
    { "foo", 1 }, { "FOO", 1 }, { "bar", 0 }, { "list-x", 1 }, { "list", 0 }, { "list-", 1 },
    { "postmaster", 0 }, { "x", 0 },
  };
  static want const all[] = { { "anything", 1 }, { "x-y", 1 }, { "postmaster", 1 } };
  static want const shop[] = { { "1", 1 }, { "anything", 1 } };
  nrc m;
  (void)state;
  load(&m, 0);
  agree(&m, "virt.example", "joe", t, sizeof t / sizeof t[0]);
  agree(&m, "bob.example", "Bob", all, sizeof all / sizeof all[0]);
  agree(&m, "shop.example", "shop", shop, sizeof shop / sizeof shop[0]);
  nrc_free(&m);
}

/* a users/assign catch-all beats every passwd account, as in qmail-lspawn */
static void assign_catchall(void **state)
{
  static want const t[] = {
    { "joe", 0 }, { "joe-foo", 0 }, { "bob-x", 0 }, { "postmaster", 1 }, { "sales-1", 1 },
    { "special", 1 }, { "nobox", 0 }, { "shopx", 1 }, { "pfx-1", 1 }, { "nobody", 0 },
  };
  nrc m;
  (void)state;
  load(&m, 1);
  agree(&m, "example.org", 0, t, sizeof t / sizeof t[0]);
  nrc_free(&m);
}

/* no alias account: qmail-lspawn defers what would go to it, so it is accepted */
static void no_alias(void **state)
{
  static want const t[] = { { "nobody", 1 }, { "joe", 1 }, { "joe-bar", 0 }, { "postmaster", 1 } };
  nrc m;
  (void)state;
  nrc_init(&m, '-', "alias");
  assert_int_equal(nrc_add_account(&m, "joe", "/h/joe"), 1);
  assert_int_equal(nrc_prepare(&m), 1);
  assert_int_equal(nrc_build(&m), 1);
  agree(&m, "example.org", 0, t, sizeof t / sizeof t[0]);
  nrc_free(&m);
}

static void hostile(void **state)
{
  static char const nulkey[] = "!a\0b\0";
  static char const val[] = "joe\0" "1\0" "1\0" "/h/joe\0" "-\0" "";
  static char const badval[] = "joe\0" "x\0" "1\0" "/h/joe\0" "-\0" "";
  static char const relval[] = "joe\0" "1\0" "1\0" "h/joe\0" "-\0" "";
  char big[NRC_LOCAL_MAX + 2];
  nrc m;
  (void)state;
  nrc_init(&m, '-', "alias");
  errno = 0;
  assert_int_equal(nrc_add_assign(&m, nulkey, sizeof nulkey - 1, val, sizeof val - 1), 0);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(nrc_add_assign(&m, "x\0", 2, val, sizeof val - 1), 0);
  assert_int_equal(nrc_add_assign(&m, "", 0, val, sizeof val - 1), 0);
  assert_int_equal(nrc_add_assign(&m, "!a\0", 3, badval, sizeof badval - 1), 0);
  assert_int_equal(nrc_add_assign(&m, "!a\0", 3, relval, sizeof relval - 1), 0);
  memset(big, 'a', sizeof big);
  big[0] = '!';
  assert_int_equal(nrc_add_assign(&m, big, sizeof big, val, sizeof val - 1), 0);
  assert_int_equal(nrc_prepare(&m), 1);
  assert_int_equal(nrc_build(&m), 1);
  /* beyond the modelled length: not judged */
  assert_int_equal(nrc_decide(&m, big, sizeof big), 1);
  assert_int_equal(nrc_decide(&m, "", 0), 1);
  {
    char dom[NRC_DOMAIN_MAX + 2];
    keys ks = { 0, 0, 0, 0 };
    memset(dom, 'd', sizeof dom - 1);
    dom[sizeof dom - 1] = 0;
    assert_int_equal(nrc_emit(&m, dom, 0, &keep, &ks), 0);
    keys_free(&ks);
  }
  nrc_free(&m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(local_domain),
    cmocka_unit_test(virtual_domain),
    cmocka_unit_test(assign_catchall),
    cmocka_unit_test(no_alias),
    cmocka_unit_test(hostile),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
