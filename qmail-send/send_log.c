/* Formats qmail-send's log lines. Variable text (addresses, spawner reports) comes
 * from senders on the network, so it is sanitized and cut before it is appended:
 * a log line can never be split, forged or made unbounded by message content. */
#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "send_log.h"

int send_log_safe(stralloc *sa, char const *s, size_t len)
{
  size_t i;
  if (len > SEND_LOG_FIELD_MAX) len = SEND_LOG_FIELD_MAX;
  if (!stralloc_readyplus(sa, len)) return 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n') c = '/';
    else if (c <= ' ' || c > 126 || c == '%') c = '_';
    sa->s[sa->len++] = (char)c;
  }
  return 1;
}

static int cats(stralloc *sa, char const *s)
{
  return stralloc_catb(sa, s, strlen(s));
}

static int catu(stralloc *sa, uint64_t u)
{
  char buf[UINT64_FMT];
  return stralloc_catb(sa, buf, uint64_fmt(buf, u));
}

int send_log_new(stralloc *sa, uint64_t id)
{
  return cats(sa, "new msg ") && catu(sa, id) && cats(sa, "\n");
}

int send_log_end(stralloc *sa, uint64_t id)
{
  return cats(sa, "end msg ") && catu(sa, id) && cats(sa, "\n");
}

int send_log_info(stralloc *sa, uint64_t id, uint64_t bytes, char const *sender, size_t slen,
                  char const *qp, char const *uid)
{
  return cats(sa, "info msg ") && catu(sa, id) && cats(sa, ": bytes ") && catu(sa, bytes)
      && cats(sa, " from <") && send_log_safe(sa, sender, slen)
      && cats(sa, "> qp ") && send_log_safe(sa, qp, strlen(qp))
      && cats(sa, " uid ") && send_log_safe(sa, uid, strlen(uid)) && cats(sa, "\n");
}

int send_log_starting(stralloc *sa, uint64_t d, uint64_t id, int remote, char const *rcpt,
                      size_t rlen)
{
  return cats(sa, "starting delivery ") && catu(sa, d) && cats(sa, ": msg ") && catu(sa, id)
      && cats(sa, remote ? " to remote " : " to local ") && send_log_safe(sa, rcpt, rlen)
      && cats(sa, "\n");
}

int send_log_delivery(stralloc *sa, uint64_t d, char const *report, size_t len)
{
  char const *what;
  if (!cats(sa, "delivery ") || !catu(sa, d)) return 0;
  switch (len ? report[0] : 0) {
    case 'K': what = ": success: "; break;
    case 'Z': what = ": deferral: "; break;
    case 'D': what = ": failure: "; break;
    default: return cats(sa, ": report mangled, will defer\n");
  }
  return cats(sa, what) && send_log_safe(sa, report + 1, len - 1) && cats(sa, "\n");
}

int send_log_status(stralloc *sa, unsigned int l, unsigned int lmax, unsigned int r,
                    unsigned int rmax, int exitasap)
{
  return cats(sa, "status: local ") && catu(sa, l) && cats(sa, "/") && catu(sa, lmax)
      && cats(sa, " remote ") && catu(sa, r) && cats(sa, "/") && catu(sa, rmax)
      && cats(sa, exitasap ? " exitasap\n" : "\n");
}

int send_log_bounce(stralloc *sa, uint64_t id, uint64_t qp)
{
  return cats(sa, "bounce msg ") && catu(sa, id) && cats(sa, " qp ") && catu(sa, qp)
      && cats(sa, "\n");
}

int send_log_line3(stralloc *sa, char const *head, char const *var, size_t vlen,
                   char const *tail)
{
  return cats(sa, head) && send_log_safe(sa, var, vlen) && cats(sa, tail) && cats(sa, "\n");
}
