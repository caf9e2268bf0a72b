/* libFuzzer harness for the .qmail parser: any bytes, with and without the
 * forward-only flag; every stored instruction must lie inside the input and hold
 * no LF, and a forward-only file must hold only forwards. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-local/local_dotqmail.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  static local_instr ins[64];
  int flag;
  for (flag = 0; flag < 2; flag++) {
    local_dotqmail q = { ins, 64, 0, flag, 0, 0, 0 };
    enum local_dq_err err;
    size_t i;
    if (local_dotqmail_parse(&q, (char const *)data, size, &err) < 0) continue;
    if (q.files + q.programs + q.forwards != q.n) abort();
    for (i = 0; i < q.n; i++) {
      if (ins[i].off > size || ins[i].len > size - ins[i].off) abort();
      if (memchr(data + ins[i].off, '\n', ins[i].len)) abort();
      if (q.fwdonly && ins[i].kind != LOCAL_FORWARD) abort();
      if (ins[i].kind == LOCAL_FORWARD && !ins[i].len) abort();
    }
  }
  return 0;
}
