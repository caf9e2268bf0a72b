/* libFuzzer harness for the users/assign parser: any bytes, fed whole and then in
 * pieces of 3; both ways must agree, and every record handed out must parse as a
 * users/cdb record with a key of the documented shape. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "../../qmail-local/newu_assign.h"
#include "qm_users.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

struct acc { size_t n; stralloc check; };

static int add(void *ctx, char const *key, size_t klen, char const *val, size_t vlen)
{
  struct acc *a = ctx;
  qm_users_entry e;
  if (!klen || key[0] != '!') abort();
  if (!qm_users_parse(&e, &a->check, val, vlen)) abort();
  a->n++;
  return 1;
}

static int run(uint8_t const *data, size_t size, size_t step, struct acc *a, enum newu_err *err)
{
  newu_parser p;
  size_t i;
  int r = 0;
  newu_init(&p, &add, a);
  for (i = 0; i < size && !r; i += step)
    r = newu_feed(&p, (char const *)data + i, size - i < step ? size - i : step);
  if (!r) r = newu_finish(&p);
  *err = p.err;
  newu_free(&p);
  return r;
}

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  struct acc a = { 0, STRALLOC_ZERO }, b = { 0, STRALLOC_ZERO };
  enum newu_err ea, eb;
  int ra = run(data, size, size ? size : 1, &a, &ea);
  int rb = run(data, size, 3, &b, &eb);
  if (ra != rb || ea != eb || a.n != b.n) abort();
  stralloc_free(&a.check);
  stralloc_free(&b.check);
  return 0;
}
