/* libFuzzer harness for the SMTP reply parser (and the EHLO parser on its text):
 * whole and sliced feeding agree, the kept text stays within its cap and holds only
 * printable ASCII and '\n', and consumption never passes the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-remote/remote_reply.h"
#include "../../qmail-remote/remote_ehlo.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

static remote_reply a, b;

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  size_t ua = 0, ub = 0, at = 0, slice, i;
  int ra, rb = 0;
  char enh[16];
  remote_ehlo e;
  if (!size) return 0;
  slice = (size_t)(data[0] % 13) + 1;
  data++;
  size--;
  remote_reply_init(&a);
  ra = remote_reply_feed(&a, (char const *)data, size, &ua);
  remote_reply_init(&b);
  while (at < size) {
    size_t n = size - at < slice ? size - at : slice, u = 0;
    rb = remote_reply_feed(&b, (char const *)data + at, n, &u);
    ub += u;
    if (rb) break;
    at += n;
  }
  if (ra != rb || ua != ub || ua > size) abort();
  if (ra == -1 && a.error != b.error) abort();
  if (ra == 1) {
    if (a.code != b.code || a.textlen != b.textlen || memcmp(a.text, b.text, a.textlen)) abort();
    if (a.code < 100 || a.code > 599 || a.textlen > REMOTE_REPLY_TEXT_MAX + 3) abort();
    for (i = 0; i < a.textlen; i++)
      if (a.text[i] != '\n' && (a.text[i] < 32 || a.text[i] > 126)) abort();
    if (a.text[a.textlen]) abort();
    if (remote_reply_enhanced(&a, enh) && strlen(enh) > 9) abort();
    remote_ehlo_parse(&e, a.text, a.textlen);
  }
  return 0;
}
