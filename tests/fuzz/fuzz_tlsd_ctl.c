/* libFuzzer harness for qmail-tlsd's control requests, report lines and STARTTLS
 * scanner: any bytes; a request that parses must have a valid name, a report made
 * from the input must parse back, the scanner must agree whole and byte by byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qm_tlsctl.h"
#include "../../qmail-tls/tlsd_plain.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  char const *s = (char const *)data;
  char line[QM_TLSCTL_MAX], peer[1024];
  qm_tlsreq q;
  qm_tlsreport r;
  tlsd_plain a, b;
  size_t i, n, whole, k = size < sizeof peer - 1 ? size : sizeof peer - 1;
  int ha, hb = 0;
  long l = qm_tlsctl_line(s, size);
  if (l > QM_TLSCTL_MAX) abort();
  if (qm_tlsctl_parse(&q, s, size) > 0 && q.name[0] && !qm_tlsctl_name_ok(q.name, strlen(q.name))) abort();
  qm_tlsctl_parse_report(&r, s, size);
  memcpy(peer, s, k); peer[k] = 0;
  n = qm_tlsctl_report(line, peer, peer, peer, peer);
  if (n > QM_TLSCTL_MAX || line[n - 1] != '\n' || memchr(line, '\n', n - 1)) abort();
  if (qm_tlsctl_parse_report(&r, line, n - 1) != 1) abort();
  tlsd_plain_init(&a); tlsd_plain_init(&b);
  whole = tlsd_plain_scan(&a, s, size, &ha);
  for (i = 0; i < size && !hb; i++) tlsd_plain_scan(&b, s + i, 1, &hb);
  if (ha != hb || (ha && whole != i)) abort();
  return 0;
}
