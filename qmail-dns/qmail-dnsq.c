/* qmail-dnsq: asks qmail-dns one question, or for its counters, and prints the
 * answer one record a line, for operators and tests. Trusts the answer only after
 * qm_dnsclient has parsed it; prints nothing the parser did not check. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/fmtscan.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "qm_dnsclient.h"
#include "qm_exit.h"

#define USAGE "qmail-dnsq [ -s socket ] [ -t seconds ] MX|A|AAAA name | stats"
#define TIMEOUT_DEFAULT 60
#define TIMEOUT_MAX 3600

char const *PROG = "qmail-dnsq";

static void out(char const *s)
{
  if (buffer_puts(buffer_1, s) < 0) strerr_diefusys(QM_EXIT_TEMP, "write to stdout");
}

static int typeof_word(char const *w, enum qm_dns_type *t)
{
  char up[8];
  size_t n = strlen(w);
  if (n >= sizeof up) return 0;
  for (size_t i = 0; i <= n; i++) up[i] = (char)toupper((unsigned char)w[i]);
  if (!strcmp(up, "MX")) *t = QM_DNS_MX;
  else if (!strcmp(up, "A")) *t = QM_DNS_A;
  else if (!strcmp(up, "AAAA")) *t = QM_DNS_AAAA;
  else return 0;
  return 1;
}

int main(int argc, char const *const *argv)
{
  static qm_dnsclient c;
  static struct qm_dns_answer a;
  subgetopt l = SUBGETOPT_ZERO;
  char const *path = QM_DNS_SOCKET;
  unsigned int secs = TIMEOUT_DEFAULT;
  enum qm_dns_type type = QM_DNS_MX;
  tain deadline;
  char num[UINT64_FMT];
  int opt;

  while ((opt = subgetopt_r(argc, argv, "s:t:", &l)) != -1) {
    switch (opt) {
    case 's': path = l.arg; break;
    case 't':
      if (!uint0_scan(l.arg, &secs) || !secs || secs > TIMEOUT_MAX)
        strerr_dieusage(QM_EXIT_PERM, USAGE);
      break;
    default: strerr_dieusage(QM_EXIT_PERM, USAGE);
    }
  }
  argc -= l.ind;
  argv += l.ind;
  int stats = argc == 1 && !strcmp(argv[0], "stats");
  if (!stats && (argc != 2 || !typeof_word(argv[0], &type)))
    strerr_dieusage(QM_EXIT_PERM, USAGE);

  tain_now_g();
  tain_addsec_g(&deadline, (int)secs);
  if (!qm_dnsclient_open(&c, path, &deadline))
    strerr_diefusys(QM_EXIT_TEMP, "connect to ", path);
  if (stats) {
    char line[1024];
    if (!qm_dnsclient_stats(&c, line, sizeof line, &deadline))
      strerr_diefusys(QM_EXIT_TEMP, "get the counters from ", path);
    out(line);
    out("\n");
    if (!buffer_flush(buffer_1)) strerr_diefusys(QM_EXIT_TEMP, "write to stdout");
    return QM_EXIT_OK;
  }
  if (!qm_dnsclient_ask(&c, &a, type, argv[1], &deadline)) {
    if (errno == EINVAL) strerr_dief(QM_EXIT_PERM, "not a name that can be asked: ", argv[1]);
    strerr_diefusys(QM_EXIT_TEMP, "get an answer from ", path);
  }
  qm_dnsclient_close(&c);

  char status[2] = { a.status, 0 };
  out(status);
  if (a.status == 'Z' || a.status == 'D') {
    out(" ");
    out(a.text);
  } else {
    num[ulong_fmt(num, a.ttl)] = 0;
    out(" ttl=");
    out(num);
  }
  out("\n");
  for (unsigned i = 0; i < a.n; i++) {
    char ip[IP6_FMT];
    if (type == QM_DNS_MX) {
      num[uint_fmt(num, a.mx[i].pref)] = 0;
      out(num);
      out(" ");
      out(a.mx[i].host);
    } else if (type == QM_DNS_A) {
      ip[ip4_fmt(ip, a.ip[i])] = 0;
      out(ip);
    } else {
      ip[ip6_fmt(ip, a.ip[i])] = 0;
      out(ip);
    }
    out("\n");
  }
  if (!buffer_flush(buffer_1)) strerr_diefusys(QM_EXIT_TEMP, "write to stdout");
  switch (a.status) {
  case 'K': return QM_EXIT_OK;
  case 'Z': return QM_EXIT_TEMP;
  default: return QM_EXIT_PERM;
  }
}
