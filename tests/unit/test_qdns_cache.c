/* The answer cache: TTL expiry against a clock the test moves, the byte bound and
 * least-recently-used eviction, negative entries, replacement, and refusals of
 * zero TTLs and oversized keys or values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmail-dns/qdns_cache.h"

static struct qdns_cache c;

static int setup(void **state) { (void)state; return qdns_cache_init(&c, 4096, 42) ? 0 : -1; }
static int teardown(void **state) { (void)state; qdns_cache_free(&c); return 0; }

static int get(char const *key, uint64_t now, char const **v, size_t *vl, uint32_t *ttl)
{
  return qdns_cache_get(&c, (unsigned char const *)key, strlen(key), now, v, vl, ttl);
}

static int put(char const *key, char const *v, uint32_t ttl, uint64_t now)
{
  return qdns_cache_put(&c, (unsigned char const *)key, strlen(key), v, strlen(v), ttl, now);
}

static void ttl_expiry(void **state)
{
  char const *v;
  size_t vl;
  uint32_t ttl;
  (void)state;
  assert_int_equal(put("\1mx.example", "K 10:mx.example", 300, 1000), 1);
  assert_int_equal(get("\1mx.example", 1000, &v, &vl, &ttl), 1);
  assert_int_equal(ttl, 300);
  assert_int_equal(vl, 15);
  assert_memory_equal(v, "K 10:mx.example", 15);
  assert_int_equal(get("\1mx.example", 1299, &v, &vl, &ttl), 1);
  assert_int_equal(ttl, 1);
  assert_int_equal(get("\1mx.example", 1300, &v, &vl, &ttl), 0);   /* expired: gone */
  assert_int_equal(c.entries, 0);
  assert_int_equal(c.bytes, 0);
  assert_int_equal(c.expired, 1);
  assert_int_equal(c.hits, 2);
  assert_int_equal(c.misses, 1);
}

static void negative_entries(void **state)
{
  char const *v;
  size_t vl;
  uint32_t ttl;
  (void)state;
  assert_int_equal(put("\2nx.example", "X", 60, 0), 1);
  assert_int_equal(put("\3nodata.example", "E", 30, 0), 1);
  assert_int_equal(get("\2nx.example", 59, &v, &vl, &ttl), 1);
  assert_int_equal(vl, 1);
  assert_int_equal(v[0], 'X');
  assert_int_equal(get("\3nodata.example", 30, &v, &vl, &ttl), 0);
  /* a different type of the same name is a different key */
  assert_int_equal(get("\1nx.example", 0, &v, &vl, &ttl), 0);
}

static void zero_ttl_and_limits(void **state)
{
  unsigned char key[QDNS_CACHE_KEY_MAX + 1];
  static char big[QDNS_CACHE_VALUE_MAX + 1];
  char const *v;
  size_t vl;
  uint32_t ttl;
  (void)state;
  memset(key, 'k', sizeof key);
  assert_int_equal(put("\1a", "K", 0, 0), 0);
  assert_int_equal(get("\1a", 0, &v, &vl, &ttl), 0);
  assert_int_equal(qdns_cache_put(&c, key, sizeof key, "K", 1, 10, 0), 0);
  assert_int_equal(qdns_cache_put(&c, key, 0, "K", 1, 10, 0), 0);
  assert_int_equal(qdns_cache_get(&c, key, sizeof key, 0, &v, &vl, &ttl), 0);
  assert_int_equal(qdns_cache_put(&c, key, sizeof key - 1, "K", 1, 10, 0), 1);
  memset(big, 'K', sizeof big);
  assert_int_equal(qdns_cache_put(&c, key, 4, big, sizeof big, 10, 0), 0);
  /* a value that fits the value limit but not this 4096-byte cache */
  assert_int_equal(qdns_cache_put(&c, key, 4, big, 4096, 10, 0), 0);
  assert_true(c.bytes <= c.maxbytes);
}

static void bound_and_lru(void **state)
{
  char key[32], val[200];
  char const *v;
  size_t vl;
  uint32_t ttl;
  (void)state;
  memset(val, 'v', sizeof val - 1);
  val[sizeof val - 1] = 0;
  for (int i = 0; i < 100; i++) {
    snprintf(key, sizeof key, "\1host%d", i);
    assert_int_equal(put(key, val, 1000, 0), 1);
    assert_true(c.bytes <= c.maxbytes);
    if (i == 5) assert_int_equal(get("\1host0", 0, &v, &vl, &ttl), 1);   /* keep 0 fresh */
    if (i > 5 && i % 4 == 0) assert_int_equal(get("\1host0", 0, &v, &vl, &ttl), 1);
  }
  assert_true(c.evictions > 0);
  assert_true(c.entries < 100);
  assert_int_equal(get("\1host0", 0, &v, &vl, &ttl), 1);     /* recently used: kept */
  assert_int_equal(get("\1host1", 0, &v, &vl, &ttl), 0);     /* oldest: evicted */
  assert_int_equal(get("\1host99", 0, &v, &vl, &ttl), 1);
  /* evictions make room and no more: the cache stays nearly full */
  assert_true(c.bytes + QDNS_CACHE_ENTRY_COST + 7 + 199 > c.maxbytes);
}

static void replace(void **state)
{
  char const *v;
  size_t vl;
  uint32_t ttl;
  (void)state;
  assert_int_equal(put("\1a", "K 1.2.3.4", 10, 0), 1);
  assert_int_equal(put("\1a", "X", 50, 5), 1);
  assert_int_equal(c.entries, 1);
  assert_int_equal(get("\1a", 6, &v, &vl, &ttl), 1);
  assert_int_equal(vl, 1);
  assert_int_equal(ttl, 49);
  assert_int_equal(c.bytes, QDNS_CACHE_ENTRY_COST + 2 + 1);
}

static void init_clamps(void **state)
{
  struct qdns_cache d;
  (void)state;
  assert_int_equal(qdns_cache_init(&d, 0, 1), 1);
  assert_int_equal(d.maxbytes, QDNS_CACHE_MIN_BYTES);
  qdns_cache_free(&d);
  assert_int_equal(qdns_cache_init(&d, (size_t)-1, 1), 1);
  assert_int_equal(d.maxbytes, QDNS_CACHE_MAX_BYTES);
  qdns_cache_free(&d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(ttl_expiry, setup, teardown),
    cmocka_unit_test_setup_teardown(negative_entries, setup, teardown),
    cmocka_unit_test_setup_teardown(zero_ttl_and_limits, setup, teardown),
    cmocka_unit_test_setup_teardown(bound_and_lru, setup, teardown),
    cmocka_unit_test_setup_teardown(replace, setup, teardown),
    cmocka_unit_test(init_clamps),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
