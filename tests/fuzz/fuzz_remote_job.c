/* libFuzzer harness for a worker's job: any datagram either fails or reads as a
 * job within every limit which, written again, gives the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../qmail-remote/remote_job.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size);

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t size)
{
  static char again[REMOTE_JOB_MAX];
  char const *argv[REMOTE_JOB_ARGV_MAX];
  char *buf;
  int n, i;
  size_t len;
  if (size > REMOTE_JOB_MAX + 1) return 0;
  buf = malloc(size ? size : 1);   /* exact size: a read past the end is caught */
  if (!buf) return 0;
  memcpy(buf, data, size);
  n = remote_job_parse(argv, buf, size);
  if (n < 0) { free(buf); return 0; }
  if (n < 4 || n > REMOTE_JOB_ARGV_MAX - 1 || argv[n] || strcmp(argv[0], "qmail-remote")) abort();
  if (!argv[1][0] || strlen(argv[1]) > REMOTE_CONN_HOST_MAX) abort();
  for (i = 2; i < n; i++) if (strlen(argv[i]) > SEND_FIELD_MAX || (i > 2 && !argv[i][0])) abort();
  len = remote_job_fmt(again, sizeof again, argv[1], argv[2], argv + 3, (unsigned int)(n - 3));
  if (len != size || memcmp(again, buf, size)) abort();
  free(buf);
  return 0;
}
