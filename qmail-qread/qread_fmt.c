/* qmail-qread's formatting and record walking (see qread_fmt.h). Pure; anything from
 * a queue file is printed only after bytes outside printable ASCII became '_'. */
#include <string.h>

#include <skalibs/types.h>

#include "qread_fmt.h"

static char const months[12][4] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static int put_ull(stralloc *sa, unsigned long long u)
{
  char tmp[UINT64_FMT];
  return stralloc_catb(sa, tmp, uint64_fmt(tmp, (uint64_t)u));
}

static int put2(stralloc *sa, int v)
{
  char t[2];
  if (v < 0 || v > 99) v = 0;
  t[0] = (char)('0' + v / 10);
  t[1] = (char)('0' + v % 10);
  return stralloc_catb(sa, t, 2);
}

static int put_safe(stralloc *sa, char const *s, size_t len)
{
  size_t i;
  if (!stralloc_readyplus(sa, len)) return 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    sa->s[sa->len++] = (c < 32 || c > 126) ? '_' : (char)c;
  }
  return 1;
}

int qread_fmt_msg(stralloc *sa, time_t when, unsigned long id, unsigned long long bytes,
                  char const *sender, size_t senderlen, enum qread_state state)
{
  struct tm tm;
  if (!gmtime_r(&when, &tm)) memset(&tm, 0, sizeof tm);
  if (!put_ull(sa, (unsigned long long)(tm.tm_mday > 0 ? tm.tm_mday : 1))) return 0;
  if (!stralloc_catb(sa, " ", 1)) return 0;
  if (!stralloc_cats(sa, months[tm.tm_mon >= 0 && tm.tm_mon < 12 ? tm.tm_mon : 0])) return 0;
  if (!stralloc_catb(sa, " ", 1)) return 0;
  if (!put_ull(sa, (unsigned long long)((long long)tm.tm_year + 1900 > 0 ? (long long)tm.tm_year + 1900 : 0))) return 0;
  if (!stralloc_catb(sa, " ", 1)) return 0;
  if (!put2(sa, tm.tm_hour) || !stralloc_catb(sa, ":", 1)) return 0;
  if (!put2(sa, tm.tm_min) || !stralloc_catb(sa, ":", 1)) return 0;
  if (!put2(sa, tm.tm_sec)) return 0;
  if (!stralloc_cats(sa, " GMT  #") || !put_ull(sa, id)) return 0;
  if (!stralloc_cats(sa, "  ") || !put_ull(sa, bytes)) return 0;
  if (!stralloc_cats(sa, "  <") || !put_safe(sa, sender, senderlen) || !stralloc_cats(sa, "> ")) return 0;
  if (state == QREAD_BOUNCING && !stralloc_cats(sa, " bouncing")) return 0;
  if (state == QREAD_TODO && !stralloc_cats(sa, " not yet preprocessed")) return 0;
  return stralloc_catb(sa, "\n", 1);
}

int qread_fmt_rcpt(stralloc *sa, int done, char const *kind, char const *addr, size_t len)
{
  if (done && !stralloc_cats(sa, "  done")) return 0;
  if (!stralloc_catb(sa, "\t", 1) || !stralloc_cats(sa, kind) || !stralloc_catb(sa, "\t", 1)) return 0;
  if (!put_safe(sa, addr, len)) return 0;
  return stralloc_catb(sa, "\n", 1);
}

int qread_record(char const *s, size_t len, size_t *pos, char *letter, char const **addr, size_t *alen)
{
  char const *z;
  size_t at = *pos;
  if (at >= len) return 0;
  z = memchr(s + at, 0, len - at);
  if (!z) return -1;
  if (z == s + at) {          /* an empty record: no letter */
    *letter = 0;
    *addr = s + at;
    *alen = 0;
  } else {
    *letter = s[at];
    *addr = s + at + 1;
    *alen = (size_t)(z - (s + at)) - 1;
  }
  *pos = (size_t)(z - s) + 1;
  return 1;
}
