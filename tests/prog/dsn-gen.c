/* dsn-gen: writes one notice built by qm_dsn to stdout, the original read from
 * stdin, so scripts (the e2e parse test) can look at real output. Test program
 * only, never installed. Usage:
 *   dsn-gen [-k f|d|2] [-m mta] [-F from] [-T to] [-S sender] [-a arrival] [-n now]
 *           [-u retry_until] [-i id] [-s salt] [-b maxbytes] [-z origsize] [-N]
 *           addr action status remote diag ...
 * five arguments per recipient; action F or D; empty status/remote/diag: none.
 * -N: no original at all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/buffer.h>
#include <skalibs/strerr.h>

#include "qm_dsn.h"

#define USAGE "dsn-gen [-k f|d|2] [-m mta] [-F from] [-T to] [-S sender] [-a t] [-n t] [-u t] [-i id] [-s salt] [-b max] [-z size] [-N] rcpt..."

static unsigned long long num(char const *s)
{
  char *end;
  unsigned long long u;
  errno = 0;
  u = strtoull(s, &end, 10);
  if (errno || *end || !*s) strerr_dieusage(100, USAGE);
  return u;
}

int main(int argc, char **argv)
{
  qm_dsn d;
  qm_dsn_rcpt *r;
  size_t i, n;
  int opt, none = 0;
  memset(&d, 0, sizeof d);
  d.kind = QM_DSN_FAILURE;
  d.mta = "mail.example.org";
  d.from = "MAILER-DAEMON@mail.example.org";
  d.to = "joe@example.org";
  d.sender = "joe@example.org";
  d.arrival = 1700000000; d.now = 1700003600; d.retry_until = 1700604800;
  d.id = 1048623; d.salt = 4242;
  d.orig_size = QM_DSN_SIZE_UNKNOWN;
  d.maxbytes = 10000;
  while ((opt = getopt(argc, argv, "k:m:F:T:S:a:n:u:i:s:b:z:N")) != -1) {
    switch (opt) {
      case 'k': d.kind = optarg[0] == 'd' ? QM_DSN_DELAY : optarg[0] == '2' ? QM_DSN_DOUBLE : QM_DSN_FAILURE; break;
      case 'm': d.mta = optarg; break;
      case 'F': d.from = optarg; break;
      case 'T': d.to = optarg; break;
      case 'S': d.sender = optarg; break;
      case 'a': d.arrival = (time_t)num(optarg); break;
      case 'n': d.now = (time_t)num(optarg); break;
      case 'u': d.retry_until = (time_t)num(optarg); break;
      case 'i': d.id = num(optarg); break;
      case 's': d.salt = num(optarg); break;
      case 'b': d.maxbytes = (size_t)num(optarg); break;
      case 'z': d.orig_size = num(optarg); break;
      case 'N': none = 1; break;
      default: strerr_dieusage(100, USAGE);
    }
  }
  argv += optind; argc -= optind;
  if (argc % 5) strerr_dieusage(100, USAGE);
  n = (size_t)argc / 5;
  r = calloc(n ? n : 1, sizeof *r);
  if (!r) strerr_diefu1sys(111, "allocate");
  for (i = 0; i < n; i++) {
    char **a = argv + 5 * i;
    r[i].addr = a[0]; r[i].addrlen = strlen(a[0]);
    r[i].action = a[1][0] == 'D' ? QM_DSN_DELAYED : QM_DSN_FAILED;
    r[i].status = *a[2] ? a[2] : 0;
    r[i].remote_mta = *a[3] ? a[3] : 0;
    r[i].diag = *a[4] ? a[4] : 0; r[i].diaglen = strlen(a[4]);
  }
  d.rcpt = r; d.nrcpt = n;
  if (!qm_dsn_write_buffer(&d, buffer_1, none ? 0 : &qm_dsn_get_buffer, buffer_0))
    strerr_diefu1sys(errno == EINVAL ? 100 : 111, "write the notice");
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout");
  free(r);
  return 0;
}
