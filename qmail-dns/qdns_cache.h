/* The answer cache: maps (type, name) to a finished answer (a status letter and its
 * items as protocol text) until the answer's TTL runs out. Bounded in bytes: an
 * insert that would pass the bound evicts the least recently used entries first.
 * Keys and values come from packets and clients, so the hash is keyed with a
 * secret seed. Time is passed in (seconds on a monotonic clock): no clock inside. */
#ifndef QDNS_CACHE_H
#define QDNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define QDNS_CACHE_KEY_MAX 256          /* one type byte and a wire name */
#define QDNS_CACHE_VALUE_MAX 16384      /* longer answers are not cached */
#define QDNS_CACHE_ENTRY_COST 96        /* bytes counted per entry beyond key and value */
#define QDNS_CACHE_MIN_BYTES 4096
#define QDNS_CACHE_MAX_BYTES (1UL << 30)

struct qdns_centry;

struct qdns_cache {
  struct qdns_centry **table;
  size_t tablesize;            /* a power of two */
  struct qdns_centry *head;    /* most recently used */
  struct qdns_centry *tail;    /* least recently used, evicted first */
  size_t bytes, maxbytes, entries;
  uint64_t seed;
  uint64_t hits, misses, inserts, evictions, expired;
};

/* Sets up an empty cache of at most maxbytes (clamped to the limits above).
 * 1, or 0 on ENOMEM. */
int qdns_cache_init(struct qdns_cache *c, size_t maxbytes, uint64_t seed);
void qdns_cache_free(struct qdns_cache *c);

/* Stores value under key until now + ttl, replacing an older entry. A zero TTL or
 * an oversized key or value stores nothing. 1 stored, 0 not stored (or ENOMEM). */
int qdns_cache_put(struct qdns_cache *c, unsigned char const *key, size_t keylen,
                   char const *value, size_t vlen, uint32_t ttl, uint64_t now);

/* Finds a live entry: 1 with *value, *vlen and *ttlleft set (valid until the next
 * put), 0 absent or expired (an expired entry is dropped). Counts hits and misses. */
int qdns_cache_get(struct qdns_cache *c, unsigned char const *key, size_t keylen,
                   uint64_t now, char const **value, size_t *vlen, uint32_t *ttlleft);

#endif
