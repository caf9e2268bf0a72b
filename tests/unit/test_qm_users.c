/* users/cdb records and lookups: field parsing with hostile records, exact beats
 * wildcard, longer wildcard beats shorter, the wildchars gate, case, and the error
 * cases a spawner must tell apart (no file, broken file, broken record). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/cdb.h>
#include <skalibs/cdbmake.h>
#include <skalibs/stralloc.h>

#include "qm_users.h"

#define T(s) s, sizeof s - 1

static void parse_table(void **state)
{
  static struct { char const *s; size_t len; int ok; char const *ext; } const cases[] = {
    { T("joe\0" "1\0" "2\0" "/h\0" "-\0" "x"), 1, "x" },
    { T("joe\0" "1\0" "2\0" "/h\0" "-\0" "x\0"), 1, "x" },
    { T("joe\0" "1\0" "2\0" "/h\0" "\0"), 1, "" },
    { T("joe\0" "1\0" "2\0" "/h\0" "\0" "\0"), 1, "" },
    { T("joe\0" "0\0" "0\0" "/\0" "\0"), 1, "" },
    { T("joe\0" "1\0" "2\0" "/h\0" "-"), 0, 0 },
    { T("joe\0" "1\0" "2\0" "/h\0" "-\0" "x\0" "y"), 0, 0 },
    { T("joe\0" "1\0" "2\0" "/h\0" "-\0" "x\0" "\0"), 0, 0 },
    { T("\0" "1\0" "2\0" "/h\0" "-\0" "x"), 0, 0 },
    { T("joe\0" "\0" "2\0" "/h\0" "-\0" "x"), 0, 0 },
    { T("joe\0" "1x\0" "2\0" "/h\0" "-\0" "x"), 0, 0 },
    { T("joe\0" "1\0" "-2\0" "/h\0" "-\0" "x"), 0, 0 },
    { T("joe\0" "4294967295\0" "2\0" "/h\0" "-\0" "x"), 0, 0 },
    { T("joe\0" "4294967296\0" "2\0" "/h\0" "-\0" "x"), 0, 0 },
    { T("joe\0" "1\0" "2\0" "h\0" "-\0" "x"), 0, 0 },
    { T("joe\0" "1\0" "2\0" "\0" "-\0" "x"), 0, 0 },
    { T(""), 0, 0 },
  };
  stralloc sa = STRALLOC_ZERO;
  qm_users_entry e;
  size_t i;
  char *big;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int r = qm_users_parse(&e, &sa, cases[i].s, cases[i].len);
    if (r != cases[i].ok) fail_msg("record %zu: got %d want %d", i, r, cases[i].ok);
    if (r && strcmp(e.ext, cases[i].ext)) fail_msg("record %zu: got ext %s want %s", i, e.ext, cases[i].ext);
    if (!r && errno != EINVAL) fail_msg("record %zu: errno %d, want EINVAL", i, errno);
  }
  assert_int_equal(qm_users_parse(&e, &sa, T("joe\0" "1001\0" "100\0" "/home/joe\0" "-\0" "Ext")), 1);
  assert_string_equal(e.user, "joe");
  assert_int_equal(e.uid, 1001);
  assert_int_equal(e.gid, 100);
  assert_string_equal(e.home, "/home/joe");
  assert_string_equal(e.dash, "-");
  assert_string_equal(e.ext, "Ext");
  big = calloc(1, QM_USERS_RECORD_MAX + 2);
  memcpy(big, "a\0" "1\0" "1\0" "/\0" "\0", 9);
  memset(big + 9, 'x', QM_USERS_RECORD_MAX - 9 + 1);
  assert_int_equal(qm_users_parse(&e, &sa, big, QM_USERS_RECORD_MAX + 1), 0);
  assert_int_equal(qm_users_parse(&e, &sa, big, QM_USERS_RECORD_MAX), 1);
  free(big);
  stralloc_free(&sa);
}

static void key_shapes(void **state)
{
  stralloc sa = STRALLOC_ZERO;
  (void)state;
  assert_int_equal(qm_users_key(&sa, "Joe-X", 5, 1), 1);
  assert_int_equal(sa.len, 7);
  assert_memory_equal(sa.s, "!joe-x\0", 7);
  sa.len = 0;
  assert_int_equal(qm_users_key(&sa, "Joe-", 4, 0), 1);
  assert_int_equal(sa.len, 5);
  assert_memory_equal(sa.s, "!joe-", 5);
  stralloc_free(&sa);
}

struct rec { char const *key; size_t klen; char const *val; size_t vlen; };

static char *make_cdb(struct rec const *r, size_t n, char *path)
{
  cdbmaker cm = CDBMAKER_ZERO;
  size_t i;
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_true(cdbmake_start(&cm, fd));
  for (i = 0; i < n; i++)
    assert_true(cdbmake_add(&cm, r[i].key, (unsigned int)r[i].klen, r[i].val, (unsigned int)r[i].vlen));
  assert_true(cdbmake_finish(&cm));
  close(fd);
  return path;
}

#define V(user) user "\0" "10\0" "20\0" "/home/" user "\0" "-\0"

static void lookups(void **state)
{
  static struct rec const recs[] = {
    { T("!joe\0"), T("joe\0" "10\0" "20\0" "/home/joe\0" "\0") },
    { T("!joe-"), T(V("joewild")) },
    { T("!joe-list-"), T(V("lists") "list-") },
    { T("!ab"), T(V("ab")) },        /* 'b' is no wildchar: never tried as a prefix */
    { T("!x."), T(V("dots")) },
    { T("!"), T(V("alias")) },
    { T(""), T("-.") },
  };
  static struct { char const *local; int r; char const *user, *ext; } const cases[] = {
    { "joe", 1, "joe", "" },
    { "JoE", 1, "joe", "" },
    { "joe-", 1, "joewild", "" },
    { "joe-Foo", 1, "joewild", "Foo" },
    { "joe-list-", 1, "lists", "list-" },
    { "joe-list-X-y", 1, "lists", "list-X-y" },
    { "joe-lis", 1, "joewild", "lis" },
    { "ab", 1, "alias", "ab" },
    { "abc", 1, "alias", "abc" },
    { "x.Y", 1, "dots", "Y" },
    { "", 1, "alias", "" },
    { "joe\n;rm", 1, "alias", "joe\n;rm" },
  };
  char path[] = "/tmp/test_qm_users.XXXXXX";
  stralloc sa = STRALLOC_ZERO;
  qm_users_entry e;
  cdb db = CDB_ZERO;
  size_t i;
  (void)state;
  make_cdb(recs, sizeof recs / sizeof recs[0], path);
  assert_true(cdb_init(&db, path));
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char const *l = cases[i].local;
    int r = qm_users_find(&db, l, strlen(l), &sa, &e);
    if (r != cases[i].r) fail_msg("%s: got %d want %d", l, r, cases[i].r);
    if (r == 1 && (strcmp(e.user, cases[i].user) || strcmp(e.ext, cases[i].ext)))
      fail_msg("%s: got %s ext %s, want %s ext %s", l, e.user, e.ext, cases[i].user, cases[i].ext);
  }
  /* a whole-file lookup gives the same answer */
  assert_int_equal(qm_users_lookup(path, "joe-Foo", 7, &sa, &e), 1);
  assert_string_equal(e.ext, "Foo");
  cdb_free(&db);
  unlink(path);
  stralloc_free(&sa);
}

static void no_catchall(void **state)
{
  static struct rec const recs[] = {
    { T("!joe\0"), T(V("joe")) },
    { T(""), T("") },
  };
  char path[] = "/tmp/test_qm_users.XXXXXX";
  stralloc sa = STRALLOC_ZERO;
  qm_users_entry e;
  (void)state;
  make_cdb(recs, 2, path);
  assert_int_equal(qm_users_lookup(path, "joe", 3, &sa, &e), 1);
  assert_int_equal(qm_users_lookup(path, "ann", 3, &sa, &e), 0);
  unlink(path);
  stralloc_free(&sa);
}

static void errors(void **state)
{
  static struct rec const nowild[] = { { T("!joe\0"), T(V("joe")) } };
  static struct rec const badrec[] = { { T("!joe\0"), T("joe\0" "ten\0") }, { T(""), T("-") } };
  static struct rec const badwild[] = { { T("!jo"), T("x") }, { T(""), T("o") } };
  char path[] = "/tmp/test_qm_users.XXXXXX";
  stralloc sa = STRALLOC_ZERO;
  qm_users_entry e;
  char *big;
  int fd;
  (void)state;
  errno = 0;
  assert_int_equal(qm_users_lookup("/nonexistent/users/cdb", "joe", 3, &sa, &e), -1);
  assert_int_equal(errno, ENOENT);
  /* the exact entry still answers; anything else needs the wildchars record */
  make_cdb(nowild, 1, path);
  assert_int_equal(qm_users_lookup(path, "joe", 3, &sa, &e), 1);
  assert_int_equal(qm_users_lookup(path, "ann", 3, &sa, &e), -1);
  assert_int_equal(errno, EINVAL);
  unlink(path);
  strcpy(path, "/tmp/test_qm_users.XXXXXX");
  make_cdb(badrec, 2, path);
  assert_int_equal(qm_users_lookup(path, "joe", 3, &sa, &e), -1);
  assert_int_equal(errno, EINVAL);
  unlink(path);
  strcpy(path, "/tmp/test_qm_users.XXXXXX");
  make_cdb(badwild, 2, path);
  assert_int_equal(qm_users_lookup(path, "joe", 3, &sa, &e), -1);
  assert_int_equal(errno, EINVAL);
  unlink(path);
  /* an empty or garbage file is not "no database" */
  strcpy(path, "/tmp/test_qm_users.XXXXXX");
  fd = mkstemp(path);
  close(fd);
  assert_int_equal(qm_users_lookup(path, "joe", 3, &sa, &e), -1);
  assert_true(errno != ENOENT);
  fd = open(path, O_WRONLY);
  assert_int_equal(write(fd, "garbage", 7), 7);
  close(fd);
  assert_int_equal(qm_users_lookup(path, "joe", 3, &sa, &e), -1);
  assert_true(errno != ENOENT);
  unlink(path);
  /* local parts past the limit are refused before any lookup */
  big = malloc(QM_USERS_LOCAL_MAX + 1);
  memset(big, 'a', QM_USERS_LOCAL_MAX + 1);
  strcpy(path, "/tmp/test_qm_users.XXXXXX");
  make_cdb(nowild, 1, path);
  assert_int_equal(qm_users_lookup(path, big, QM_USERS_LOCAL_MAX + 1, &sa, &e), -1);
  assert_int_equal(errno, EINVAL);
  unlink(path);
  free(big);
  stralloc_free(&sa);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_table),
    cmocka_unit_test(key_shapes),
    cmocka_unit_test(lookups),
    cmocka_unit_test(no_catchall),
    cmocka_unit_test(errors),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
