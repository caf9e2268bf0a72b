/* libFuzzer harness for the idle connection's description line: any input either
 * fails or reads as a line whose fields are in range and which, formatted again
 * and read back, gives the same connection. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-remote/remote_conn.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  remote_conninfo a, b;
  char line[REMOTE_CONN_LINE_MAX];
  size_t n;
  int rc = remote_conn_parse(&a, (char const *)data, size);
  if (rc != 1 && rc != -1) abort();
  if (rc < 0) return 0;
  if (size >= REMOTE_CONN_LINE_MAX || !a.uses || a.caps & ~REMOTE_CONN_CAPS_MASK) abort();
  if (strnlen(a.ipstr, sizeof a.ipstr) == sizeof a.ipstr) abort();
  n = remote_conn_fmt(line, &a);
  if (!n || n > REMOTE_CONN_LINE_MAX || line[n - 1] != '\n' || memchr(line, '\n', n - 1)) abort();
  if (remote_conn_parse(&b, line, n - 1) != 1) abort();
  if (memcmp(a.ip, b.ip, 16) || strcmp(a.ipstr, b.ipstr) || a.caps != b.caps || a.sizemax != b.sizemax
    || a.uses != b.uses) abort();
  return 0;
}
