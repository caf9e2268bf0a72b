/* libFuzzer harness for qm_header: the first byte picks the flags and a chunk size;
 * the rest is fed whole and in chunks, and both runs must agree on every field, the
 * end and the body, with every field well formed and within the limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "qm_header.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

struct out { stralloc all; };

static int take(void *ctx, qm_header_field const *f)
{
  struct out *o = ctx;
  if (!f->len || f->s[f->len - 1] != '\n' || f->len > QM_HEADER_FIELD_MAX + 1) abort();
  if (!f->mboxline) {
    if (!qm_header_name_ok(f->s, f->namelen)) abort();
    if (f->value <= f->namelen || f->value > f->len || f->s[f->value - 1] != ':') abort();
  } else if (f->len < 5 || memcmp(f->s, "From ", 5)) abort();
  if (!stralloc_catb(&o->all, "|", 1) || !stralloc_catb(&o->all, f->s, f->len)) abort();
  return 1;
}

static int run(struct out *o, char const *s, size_t len, unsigned flags, size_t chunk)
{
  qm_header h;
  size_t off = 0, used;
  int r = 0;
  qm_header_init(&h, flags, &take, o);
  while (off < len) {
    size_t n = chunk < len - off ? chunk : len - off;
    r = qm_header_feed(&h, s + off, n, &used);
    if (r < 0) break;
    if (used > n) abort();
    if (r > 0) {
      if (!stralloc_catb(&o->all, "#", 1) || !stralloc_catb(&o->all, h.rest ? h.rest : "", h.restlen)
          || !stralloc_catb(&o->all, s + off + used, len - off - used)) abort();
      break;
    }
    off += n;
  }
  if (r == 0) {
    r = qm_header_end(&h);
    if (r > 0 && (!stralloc_catb(&o->all, "#", 1)
                  || !stralloc_catb(&o->all, h.rest ? h.rest : "", h.restlen))) abort();
  }
  if (r < 0 && !stralloc_catb(&o->all, "!", 1)) abort();
  if (!stralloc_catb(&o->all, h.blank ? "b" : "n", 1)) abort();
  if (r < 0) r = -1 - h.err;
  qm_header_free(&h);
  return r;
}

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  struct out a = { STRALLOC_ZERO }, b = { STRALLOC_ZERO };
  unsigned flags;
  size_t chunk;
  int ra, rb;
  if (!size) return 0;
  flags = data[0] & 3;
  chunk = (data[0] >> 2) + 1;
  ra = run(&a, (char const *)data + 1, size - 1, flags, size);
  rb = run(&b, (char const *)data + 1, size - 1, flags, chunk);
  if (ra != rb || a.all.len != b.all.len || (a.all.len && memcmp(a.all.s, b.all.s, a.all.len)))
    abort();
  stralloc_free(&a.all);
  stralloc_free(&b.all);
  return 0;
}
