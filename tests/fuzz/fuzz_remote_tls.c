/* libFuzzer harness for tlsdestinations: the input is the file (lines at LF), the
 * host is its first line. A match has a policy, a NUL-ended absolute cafile or none,
 * and every request line built from it is one LF-ended line within the limit. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-remote/remote_tls.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  char host[300], req[REMOTE_TLS_REQ_MAX];
  char *list;
  uint8_t const *nl = memchr(data, '\n', size);
  size_t hl = nl ? (size_t)(nl - data) : size, i, n;
  remote_tlsdest d;
  int rc;
  if (hl >= sizeof host) return 0;
  memcpy(host, data, hl);
  host[hl] = 0;
  if (strlen(host) != hl) return 0;
  list = malloc(size - hl + 1);
  if (!list) return 0;
  n = nl ? size - hl - 1 : 0;
  for (i = 0; i < n; i++) list[i] = data[hl + 1 + i] == '\n' ? 0 : (char)data[hl + 1 + i];
  rc = remote_tlsdest_find(&d, list, n, host);
  if (rc < -1 || rc > 1) abort();
  if (rc != 1 && d.policy != REMOTE_TLS_OPPORTUNISTIC) abort();
  if (rc == 1) {
    size_t cl = strnlen(d.cafile, sizeof d.cafile);
    if (cl == sizeof d.cafile || (cl && d.cafile[0] != '/')) abort();
    if (d.cafile[0] && d.policy != REMOTE_TLS_CA) abort();
  }
  n = remote_tls_request(req, host, &d);
  if (n && (n > REMOTE_TLS_REQ_MAX || req[n - 1] != '\n' || memchr(req, '\n', n - 1))) abort();
  free(list);
  return 0;
}
