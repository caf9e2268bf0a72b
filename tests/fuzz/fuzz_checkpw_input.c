/* libFuzzer harness for qmail-checkpw's fd 3 input and qmail-newpw's lines: any
 * bytes; what parses must lie inside the input and satisfy the limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-tls/checkpw_input.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  char const *s = (char const *)data, *hash;
  checkpw_input in;
  size_t ulen, hlen;
  if (checkpw_parse(&in, s, size) > 0) {
    if (size > CHECKPW_INPUT_MAX || !checkpw_user_ok(in.user, in.userlen) || in.user[in.userlen]
        || in.pass < s || in.pass + in.passlen >= s + size || in.pass[in.passlen]) abort();
    if (!checkpw_equal(in.user, in.user)) abort();
  }
  if (checkpw_pwline(s, size, &ulen, &hash, &hlen) > 0) {
    if (!checkpw_user_ok(s, ulen) || s[ulen] != ':' || hash != s + ulen + 1 || ulen + 1 + hlen != size
        || !hlen || hlen > CHECKPW_HASH_MAX) abort();
  }
  return 0;
}
