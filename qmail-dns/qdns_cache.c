/* A bounded LRU answer cache with a chained hash table keyed by a secret seed, so
 * that names chosen by a remote party cannot pile into one chain. Every entry is
 * one allocation (header, key and value together); the byte count includes a fixed
 * per-entry overhead, so the bound holds however small the entries are. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qdns_cache.h"

struct qdns_centry {
  struct qdns_centry *chain;      /* next in the hash bucket */
  struct qdns_centry *newer, *older;
  uint64_t expires;
  uint64_t hash;
  size_t keylen, vlen;
  unsigned char data[];           /* key, then value */
};

static uint64_t hashkey(uint64_t seed, unsigned char const *k, size_t n)
{
  /* FNV-1a mixed with the seed, finished with a multiply-xorshift avalanche. */
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 0x100000001b3ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

static size_t cost(struct qdns_centry const *e)
{
  return QDNS_CACHE_ENTRY_COST + e->keylen + e->vlen;
}

int qdns_cache_init(struct qdns_cache *c, size_t maxbytes, uint64_t seed)
{
  size_t want;
  if (maxbytes < QDNS_CACHE_MIN_BYTES) maxbytes = QDNS_CACHE_MIN_BYTES;
  if (maxbytes > QDNS_CACHE_MAX_BYTES) maxbytes = QDNS_CACHE_MAX_BYTES;
  memset(c, 0, sizeof *c);
  /* about one bucket per smallest possible entry, as a power of two */
  want = maxbytes / (QDNS_CACHE_ENTRY_COST + 16);
  c->tablesize = 16;
  while (c->tablesize < want) c->tablesize <<= 1;
  c->table = calloc(c->tablesize, sizeof *c->table);
  if (!c->table) return 0;
  c->maxbytes = maxbytes;
  c->seed = seed;
  return 1;
}

static void unlink_lru(struct qdns_cache *c, struct qdns_centry *e)
{
  if (e->newer) e->newer->older = e->older; else c->head = e->older;
  if (e->older) e->older->newer = e->newer; else c->tail = e->newer;
  e->newer = e->older = 0;
}

static void push_front(struct qdns_cache *c, struct qdns_centry *e)
{
  e->newer = 0;
  e->older = c->head;
  if (c->head) c->head->newer = e; else c->tail = e;
  c->head = e;
}

static void drop(struct qdns_cache *c, struct qdns_centry *e)
{
  struct qdns_centry **pp = &c->table[e->hash & (c->tablesize - 1)];
  while (*pp != e) pp = &(*pp)->chain;
  *pp = e->chain;
  unlink_lru(c, e);
  c->bytes -= cost(e);
  c->entries--;
  free(e);
}

void qdns_cache_free(struct qdns_cache *c)
{
  while (c->tail) drop(c, c->tail);
  free(c->table);
  c->table = 0;
}

static struct qdns_centry *find(struct qdns_cache const *c, uint64_t h,
                                unsigned char const *key, size_t keylen)
{
  struct qdns_centry *e = c->table[h & (c->tablesize - 1)];
  for (; e; e = e->chain)
    if (e->hash == h && e->keylen == keylen && !memcmp(e->data, key, keylen)) return e;
  return 0;
}

int qdns_cache_put(struct qdns_cache *c, unsigned char const *key, size_t keylen,
                   char const *value, size_t vlen, uint32_t ttl, uint64_t now)
{
  uint64_t h;
  struct qdns_centry *e;
  size_t need;
  if (!ttl || !keylen || keylen > QDNS_CACHE_KEY_MAX || vlen > QDNS_CACHE_VALUE_MAX)
    return 0;
  need = QDNS_CACHE_ENTRY_COST + keylen + vlen;   /* small: both are capped above */
  if (need > c->maxbytes) return 0;
  h = hashkey(c->seed, key, keylen);
  e = find(c, h, key, keylen);
  if (e) drop(c, e);
  while (c->bytes + need > c->maxbytes) {
    drop(c, c->tail);
    c->evictions++;
  }
  e = malloc(sizeof *e + keylen + vlen);
  if (!e) { errno = ENOMEM; return 0; }
  e->expires = now + ttl;
  e->hash = h;
  e->keylen = keylen;
  e->vlen = vlen;
  memcpy(e->data, key, keylen);
  if (vlen) memcpy(e->data + keylen, value, vlen);
  e->chain = c->table[h & (c->tablesize - 1)];
  c->table[h & (c->tablesize - 1)] = e;
  push_front(c, e);
  c->bytes += need;
  c->entries++;
  c->inserts++;
  return 1;
}

int qdns_cache_get(struct qdns_cache *c, unsigned char const *key, size_t keylen,
                   uint64_t now, char const **value, size_t *vlen, uint32_t *ttlleft)
{
  uint64_t h;
  struct qdns_centry *e;
  if (!keylen || keylen > QDNS_CACHE_KEY_MAX) { c->misses++; return 0; }
  h = hashkey(c->seed, key, keylen);
  e = find(c, h, key, keylen);
  if (e && e->expires <= now) {
    drop(c, e);
    c->expired++;
    e = 0;
  }
  if (!e) { c->misses++; return 0; }
  unlink_lru(c, e);
  push_front(c, e);
  *value = (char const *)e->data + e->keylen;
  *vlen = e->vlen;
  *ttlleft = (uint32_t)(e->expires - now);
  c->hits++;
  return 1;
}
