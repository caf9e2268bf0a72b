/* libFuzzer harness for lib/qm_addr: the first byte picks the flags, the rest is a
 * path and its parameters. Whole and byte-by-byte parsing must agree exactly, the
 * result must respect every limit, and parameter splitting must stay in bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qm_addr.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  static qm_addr whole, bytes;
  qm_addr_param p[QM_ADDR_PARAMS_MAX];
  char const *s = (char const *)data + 1;
  size_t len, used = 0, i, at;
  unsigned flags;
  int r1, r2 = 0, n, k;
  if (!size) return 0;
  flags = data[0] & 7u;
  len = size - 1;
  r1 = qm_addr_parse(&whole, flags, s, len, &used);
  qm_addr_init(&bytes, flags);
  for (i = 0; i < len; i++) {
    r2 = qm_addr_feed(&bytes, s + i, 1);
    if (r2) break;
  }
  if (r2 == 0) { r2 = -1; bytes.err = QM_ADDR_ESYNTAX; }  /* incomplete */
  if ((r1 == 1) != (r2 > 0)) abort();
  if (r1 == 1) {
    if (i + 1 != used) abort();
    if (whole.len != bytes.len || memcmp(whole.addr, bytes.addr, whole.len)) abort();
    if (strlen(whole.addr) != whole.len) abort();
    if (used > QM_ADDR_PATH_MAX) abort();
    at = whole.at;
    if (at > whole.len) abort();
    if (at < whole.len && whole.addr[at] != '@') abort();
    if (!(flags & QM_ADDR_UTF8) && whole.eightbit) abort();
    if (whole.eightbit && !qm_addr_utf8_valid(whole.addr, whole.len)) abort();
    for (i = 0; i < whole.len; i++)
      if ((unsigned char)whole.addr[i] < 32 || whole.addr[i] == 127) abort();
    n = qm_addr_params(p, QM_ADDR_PARAMS_MAX, s + used, len - used, flags & QM_ADDR_UTF8);
    if (n > QM_ADDR_PARAMS_MAX) abort();
    for (k = 0; k < n; k++) {
      if (p[k].key < s + used || p[k].key + p[k].keylen > s + len) abort();
      if (!p[k].keylen || p[k].keylen > QM_ADDR_KEYWORD_MAX) abort();
      if (p[k].value && (p[k].value < p[k].key || p[k].value + p[k].valuelen > s + len)) abort();
    }
  } else if (whole.err != bytes.err) abort();
  return 0;
}
