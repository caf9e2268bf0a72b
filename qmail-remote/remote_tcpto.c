/* tcpto record codec and decisions. The file is written only by qmailr's programs
 * but read as untrusted bytes anyway: a count out of range is clamped, a short
 * file reads as zeroes. Never touches more than REMOTE_TCPTO_SIZE bytes. */
#include <string.h>
#include <skalibs/fmtscan.h>
#include <skalibs/types.h>

#include "remote_tcpto.h"

void remote_tcpto_get(remote_tcpto_rec *r, unsigned char const *file, size_t len, unsigned int i)
{
  unsigned char b[REMOTE_TCPTO_RECLEN];
  size_t off = (size_t)i * REMOTE_TCPTO_RECLEN, k;
  memset(b, 0, sizeof b);
  if (off < len) memcpy(b, file + off, len - off < sizeof b ? len - off : sizeof b);
  memcpy(r->ip, b, 16);
  r->count = b[16] > REMOTE_TCPTO_COUNT_MAX ? REMOTE_TCPTO_COUNT_MAX : b[16];
  r->last = 0;
  for (k = 24; k < 32; k++) r->last = (r->last << 8) | b[k];
}

void remote_tcpto_put(unsigned char *file, unsigned int i, remote_tcpto_rec const *r)
{
  unsigned char *b = file + (size_t)i * REMOTE_TCPTO_RECLEN;
  uint64_t t = r->last;
  int k;
  memset(b, 0, REMOTE_TCPTO_RECLEN);
  memcpy(b, r->ip, 16);
  b[16] = (unsigned char)(r->count > REMOTE_TCPTO_COUNT_MAX ? REMOTE_TCPTO_COUNT_MAX : r->count);
  for (k = 31; k >= 24; k--) { b[k] = (unsigned char)(t & 0xff); t >>= 8; }
}

int remote_tcpto_skip(unsigned char const *file, size_t len, unsigned char const *ip,
  uint64_t now, unsigned long pid)
{
  unsigned int i;
  uint64_t wait = (uint64_t)(60 + pid % 32) * 64;
  for (i = 0; i < REMOTE_TCPTO_RECORDS; i++) {
    remote_tcpto_rec r;
    remote_tcpto_get(&r, file, len, i);
    if (r.count < 2 || memcmp(r.ip, ip, 16)) continue;
    /* a clock that went back counts as recent */
    return now < r.last || now - r.last < wait;
  }
  return 0;
}

void remote_tcpto_timedout(unsigned char *file, unsigned char const *ip, uint64_t now)
{
  unsigned int i, best = 0, firstfree = REMOTE_TCPTO_RECORDS;
  uint64_t bestkey = UINT64_MAX;
  remote_tcpto_rec r;
  for (i = 0; i < REMOTE_TCPTO_RECORDS; i++) {
    remote_tcpto_get(&r, file, REMOTE_TCPTO_SIZE, i);
    if (r.count && !memcmp(r.ip, ip, 16)) {
      if (now >= r.last && now - r.last < REMOTE_TCPTO_REPEAT) return;
      if (r.count < REMOTE_TCPTO_COUNT_MAX) r.count++;
      r.last = now;
      remote_tcpto_put(file, i, &r);
      return;
    }
    if (!r.count) { if (firstfree == REMOTE_TCPTO_RECORDS) firstfree = i; continue; }
    /* the record least worth keeping: old and with few timeouts */
    if (r.last + (uint64_t)r.count * 1024 < bestkey) {
      bestkey = r.last + (uint64_t)r.count * 1024;
      best = i;
    }
  }
  if (firstfree < REMOTE_TCPTO_RECORDS) best = firstfree;
  memcpy(r.ip, ip, 16);
  r.count = 1;
  r.last = now;
  remote_tcpto_put(file, best, &r);
}

int remote_tcpto_ok(unsigned char *file, unsigned char const *ip)
{
  unsigned int i;
  int changed = 0;
  for (i = 0; i < REMOTE_TCPTO_RECORDS; i++) {
    remote_tcpto_rec r;
    remote_tcpto_get(&r, file, REMOTE_TCPTO_SIZE, i);
    if (!r.count || memcmp(r.ip, ip, 16)) continue;
    r.count = 0;
    remote_tcpto_put(file, i, &r);
    changed = 1;
  }
  return changed;
}

int remote_tcpto_list(stralloc *sa, unsigned char const *file, size_t len, uint64_t now)
{
  static unsigned char const v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  unsigned int i;
  for (i = 0; i < REMOTE_TCPTO_RECORDS; i++) {
    remote_tcpto_rec r;
    char ip[IP6_FMT], num[UINT64_FMT];
    size_t n;
    remote_tcpto_get(&r, file, len, i);
    if (!r.count) continue;
    n = memcmp(r.ip, v4, 12) ? ip6_fmt(ip, (char const *)r.ip) : ip4_fmt(ip, (char const *)r.ip + 12);
    if (!stralloc_catb(sa, ip, n) || !stralloc_cats(sa, " timed out ")) return 0;
    n = uint64_fmt(num, now > r.last ? now - r.last : 0);
    if (!stralloc_catb(sa, num, n) || !stralloc_cats(sa, " seconds ago; # recent timeouts: ")) return 0;
    n = uint64_fmt(num, r.count);
    if (!stralloc_catb(sa, num, n) || !stralloc_catb(sa, "\n", 1)) return 0;
  }
  return 1;
}
