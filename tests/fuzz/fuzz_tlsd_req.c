/* libFuzzer harness for qmail-tlsd -D's request parser: any bytes, fed whole and one
 * byte at a time, must get the same verdict, the same reason and the same result;
 * a complete request has a program and null-terminated lists. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-tls/tlsd_req.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static tlsd_req a, b;

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  char const *s = (char const *)data;
  size_t took, i, tb = 0;
  int ra, rb = 0;
  unsigned int k;
  tlsd_req_init(&a);
  ra = tlsd_req_feed(&a, s, size, &took);
  if (took > size) abort();
  tlsd_req_init(&b);
  for (i = 0; i < size && !rb; i++) {
    size_t t;
    rb = tlsd_req_feed(&b, s + i, 1, &t);
    if (t > 1) abort();
    tb += t;
  }
  if (ra != rb || (ra < 0 && a.err != b.err)) abort();
  if (ra > 0) {
    if (tb != took || a.argc < 1 || a.argc != b.argc || a.envc != b.envc) abort();
    if (a.argv[a.argc] || a.envp[a.envc]) abort();
    for (k = 0; k < a.argc; k++) if (strcmp(a.argv[k], b.argv[k])) abort();
    for (k = 0; k < a.envc; k++) if (strcmp(a.envp[k], b.envp[k]) || !strchr(a.envp[k], '=')) abort();
  }
  return 0;
}
