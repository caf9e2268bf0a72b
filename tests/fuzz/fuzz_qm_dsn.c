/* libFuzzer harness for qm_dsn: random originals, report texts and addresses.
 * Layout: byte 0 options (kind, action, headers only, body cap, read slice), bytes
 * 1-2 the report text's length, the text, one byte the address length, the
 * address, and the rest is the original. The notice must be well formed: no line
 * over 998, no CR, our four delimiter lines and no other line starting with the
 * boundary, the close delimiter last, one Final-Recipient. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qm_dsn.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

typedef struct sink_s { char *s; size_t len, cap; } sink;

static int put(void *ctx, char const *s, size_t n)
{
  sink *k = ctx;
  if (k->len + n > k->cap) {
    size_t cap = (k->len + n) * 2;
    char *p = realloc(k->s, cap);
    if (!p) abort();
    k->s = p; k->cap = cap;
  }
  memcpy(k->s + k->len, s, n);
  k->len += n;
  return 1;
}

typedef struct src_s { uint8_t const *s; size_t len, at, slice; } src;

static ssize_t get(void *ctx, char *s, size_t n)
{
  src *r = ctx;
  size_t k = r->len - r->at;
  if (k > n) k = n;
  if (k > r->slice) k = r->slice;
  memcpy(s, r->s + r->at, k);
  r->at += k;
  return (ssize_t)k;
}

static size_t lines_with(sink const *k, char const *p, size_t pl, int exact_tail)
{
  size_t i, n = 0;
  for (i = 0; i + pl <= k->len; i++) {
    if (i && k->s[i - 1] != '\n') continue;
    if (memcmp(k->s + i, p, pl)) continue;
    if (exact_tail && i + pl < k->len && k->s[i + pl] != '\n') continue;
    n++;
  }
  return n;
}

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  qm_dsn d;
  qm_dsn_rcpt r;
  sink k = { 0, 0, 0 };
  src in;
  size_t dl, al, i, col = 0;
  char delim[96], close_[100];
  uint8_t opt;
  if (size < 4) return 0;
  opt = data[0];
  dl = (size_t)data[1] << 8 | data[2];
  data += 3; size -= 3;
  if (dl > size) dl = size;
  memset(&r, 0, sizeof r);
  r.diag = (char const *)data; r.diaglen = dl;
  r.action = opt & 1 ? QM_DSN_DELAYED : QM_DSN_FAILED;
  data += dl; size -= dl;
  if (!size) return 0;
  al = data[0];
  data++; size--;
  if (al > size) al = size;
  r.addr = al ? (char const *)data : "x@y";
  r.addrlen = al ? al : 3;
  r.remote_mta = opt & 2 ? "mx.example.net" : 0;
  data += al; size -= al;
  memset(&d, 0, sizeof d);
  d.kind = opt & 1 ? QM_DSN_DELAY : opt & 4 ? QM_DSN_DOUBLE : QM_DSN_FAILURE;
  d.mta = "mail.example.org";
  d.from = "MAILER-DAEMON@mail.example.org";
  d.to = "joe@example.org";
  d.sender = "joe@example.org";
  d.arrival = 1700000000; d.now = 1700003600; d.retry_until = 1700604800;
  d.id = 1048623; d.salt = 77;
  d.orig_size = opt & 8 ? size : QM_DSN_SIZE_UNKNOWN;
  d.maxbytes = opt & 16 ? 0 : (size_t)(opt >> 5) * 50;
  d.rcpt = &r; d.nrcpt = 1;
  in.s = data; in.len = size; in.at = 0; in.slice = (size_t)(opt >> 5) + 1;
  if (!qm_dsn_write(&d, &put, &k, &get, &in)) abort();
  for (i = 0; i < k.len; i++) {
    if (k.s[i] == '\r') abort();
    if (k.s[i] == '\n') col = 0;
    else if (++col > QM_DSN_LINE_MAX) abort();
  }
  memcpy(delim, "--=_qm-dsn_10002f_6553ff10_4d_", 30);
  delim[30] = (char)('0' + d.kind);
  if (lines_with(&k, delim, 31, 0) != 4 || lines_with(&k, delim, 31, 1) != 3) abort();
  memcpy(close_, delim, 31);
  memcpy(close_ + 31, "--\n", 3);
  if (k.len < 34 || memcmp(k.s + k.len - 34, close_, 34)) abort();
  {
    /* the report part alone: from the second delimiter to the third */
    sink part = k;
    size_t seen = 0, from = 0, to = k.len;
    for (i = 0; i + 31 <= k.len; i++) {
      if ((i && k.s[i - 1] != '\n') || memcmp(k.s + i, delim, 31)) continue;
      seen++;
      if (seen == 2) from = i;
      if (seen == 3) { to = i; break; }
    }
    part.s = k.s + from; part.len = to - from;
    if (lines_with(&part, "Final-Recipient: ", 17, 0) != 1) abort();
  }
  free(k.s);
  return 0;
}
