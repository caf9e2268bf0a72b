/* libFuzzer harness for qmail-inject's address-list parser: any value either fails
 * cleanly (nothing collected) or gives addresses within the limits, and rewriting
 * the rewritten value must succeed and change nothing more (completion is a fixed
 * point). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-inject/inject_alist.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static inject_rw rw;
static int ready;

static void check_list(stralloc const *addrs, size_t n)
{
  size_t i = 0, k;
  for (k = 0; k < n; k++) {
    size_t len;
    if (i >= addrs->len) abort();
    len = strlen(addrs->s + i);
    if (len > INJECT_ADDR_MAX) abort();
    i += len + 1;
  }
  if (i != addrs->len) abort();
}

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  inject_alist a = INJECT_ALIST_ZERO, b = INJECT_ALIST_ZERO;
  stralloc addrs = STRALLOC_ZERO, again = STRALLOC_ZERO;
  size_t n = 0, m = 0;
  int r;
  if (!ready) {
    if (inject_rw_init(&rw, "dh.example", "dd.example", "pd.example") != 1) abort();
    ready = 1;
  }
  r = inject_alist_rewrite(&a, (char const *)data, size, &rw, &addrs, &n);
  if (r < 0) abort();
  if (!r) {
    if (addrs.len || n || !a.err) abort();
  } else {
    check_list(&addrs, n);
    if (inject_alist_rewrite(&b, a.out.s, a.out.len, &rw, &again, &m) != 1) abort();
    if (m != n || again.len != addrs.len || (addrs.len && memcmp(again.s, addrs.s, addrs.len)))
      abort();
    if (b.out.len != a.out.len || (a.out.len && memcmp(b.out.s, a.out.s, a.out.len))) abort();
  }
  inject_alist_free(&a);
  inject_alist_free(&b);
  stralloc_free(&addrs);
  stralloc_free(&again);
  return 0;
}
