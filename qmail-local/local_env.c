/* Header lines and the program environment. The sender and the recipient are the
 * envelope's: CR and LF in them never reach a header line unescaped, and the
 * environment holds them as plain values for programs that know they are data. */
#include <string.h>

#include <skalibs/stralloc.h>

#include "local_env.h"

static char const *const names[] = {
  "SENDER", "NEWSENDER", "RECIPIENT", "USER", "HOME", "HOST", "HOST2", "HOST3",
  "HOST4", "LOCAL", "EXT", "EXT2", "EXT3", "EXT4", "DEFAULT", "DTLINE", "RPLINE",
  "UFLINE"
};
#define NNAMES (sizeof names / sizeof names[0])

static int atext(unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
  if (c >= 128) return 1;   /* UTF-8 local parts (RFC 6531) need no quotes */
  return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0;
}

static int dot_atom(char const *s, size_t n)
{
  size_t i;
  if (!n || s[0] == '.' || s[n - 1] == '.') return 0;
  for (i = 0; i < n; i++) {
    if (s[i] == '.') { if (s[i + 1] == '.') return 0; continue; }
    if (!atext((unsigned char)s[i])) return 0;
  }
  return 1;
}

int local_quote_addr(stralloc *sa, char const *addr)
{
  size_t len = strlen(addr), at = len, i;
  for (i = len; i-- > 0;) if (addr[i] == '@') { at = i; break; }
  if (dot_atom(addr, at)) return stralloc_catb(sa, addr, len);
  if (!stralloc_catb(sa, "\"", 1)) return 0;
  for (i = 0; i < at; i++) {
    if ((addr[i] == '"' || addr[i] == '\\') && !stralloc_catb(sa, "\\", 1)) return 0;
    if (!stralloc_catb(sa, addr + i, 1)) return 0;
  }
  return stralloc_catb(sa, "\"", 1) && stralloc_catb(sa, addr + at, len - at);
}

/* A header line must stay one line whatever the envelope held. */
static void flatten(stralloc *sa, size_t from, char to)
{
  size_t i;
  for (i = from; i < sa->len; i++)
    if (sa->s[i] == '\n' || sa->s[i] == '\r') sa->s[i] = to;
}

int local_rpline(stralloc *sa, char const *sender)
{
  size_t from;
  if (!stralloc_cats(sa, "Return-Path: <")) return 0;
  from = sa->len;
  if (*sender && !local_quote_addr(sa, sender)) return 0;
  flatten(sa, from, '_');
  return stralloc_cats(sa, ">\n");
}

int local_dtline(stralloc *sa, char const *local, char const *domain)
{
  size_t from;
  if (!stralloc_cats(sa, "Delivered-To: ")) return 0;
  from = sa->len;
  if (!stralloc_cats(sa, local) || !stralloc_catb(sa, "@", 1) || !stralloc_cats(sa, domain))
    return 0;
  flatten(sa, from, '_');
  return stralloc_catb(sa, "\n", 1);
}

static void two(char *p, int v)
{
  p[0] = (char)('0' + v / 10 % 10);
  p[1] = (char)('0' + v % 10);
}

int local_ufline(stralloc *sa, char const *sender, time_t when)
{
  static char const days[] = "SunMonTueWedThuFriSat";
  static char const months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char d[26];   /* "Www Mmm DD hh:mm:ss yyyy\n" */
  struct tm tm;
  size_t from, i;
  long year;
  if (!gmtime_r(&when, &tm)) { when = 0; gmtime_r(&when, &tm); }
  if (!stralloc_cats(sa, "From ")) return 0;
  from = sa->len;
  if (!stralloc_cats(sa, *sender ? sender : "MAILER-DAEMON")) return 0;
  /* an mbox reader splits the From_ line at spaces: keep the sender one word */
  for (i = from; i < sa->len; i++)
    if (sa->s[i] == ' ' || sa->s[i] == '\t' || sa->s[i] == '\n' || sa->s[i] == '\r')
      sa->s[i] = '-';
  memcpy(d, days + 3 * tm.tm_wday, 3);
  d[3] = ' ';
  memcpy(d + 4, months + 3 * tm.tm_mon, 3);
  d[7] = ' ';
  two(d + 8, tm.tm_mday);
  d[10] = ' ';
  two(d + 11, tm.tm_hour);
  d[13] = ':';
  two(d + 14, tm.tm_min);
  d[16] = ':';
  two(d + 17, tm.tm_sec);
  d[19] = ' ';
  year = (long)tm.tm_year + 1900;
  if (year < 0 || year > 9999) year = 1970;
  two(d + 20, (int)(year / 100));
  two(d + 22, (int)(year % 100));
  d[24] = '\n';
  return stralloc_catb(sa, " ", 1) && stralloc_catb(sa, d, 25);
}

size_t local_hostn(char const *domain, size_t len, unsigned int n)
{
  size_t i = len;
  while (n-- > 1) {
    size_t j = i;
    while (j && domain[j - 1] != '.') j--;
    if (j) i = j - 1;
  }
  return i;
}

size_t local_extn(char const *ext, size_t len, unsigned int n)
{
  size_t i = 0;
  while (n-- > 1) {
    while (i < len && ext[i] != '-') i++;
    if (i < len) i++;
  }
  return i;
}

static int put(stralloc *sa, char const *name, char const *v, size_t n)
{
  return stralloc_cats(sa, name) && stralloc_catb(sa, "=", 1)
      && stralloc_catb(sa, v, n) && stralloc_0(sa);
}

static int puts0(stralloc *sa, char const *name, char const *v)
{
  return put(sa, name, v, strlen(v));
}

int local_env_vars(stralloc *sa, local_envin const *in)
{
  static char const *const hostn[] = { "HOST2", "HOST3", "HOST4" };
  static char const *const extn[] = { "EXT2", "EXT3", "EXT4" };
  size_t dlen = strlen(in->domain), elen = strlen(in->ext);
  unsigned int k;
  if (!puts0(sa, "SENDER", in->sender) || !puts0(sa, "NEWSENDER", in->newsender)
      || !puts0(sa, "USER", in->user) || !puts0(sa, "HOME", in->home)
      || !puts0(sa, "LOCAL", in->local) || !puts0(sa, "HOST", in->domain)
      || !puts0(sa, "EXT", in->ext) || !puts0(sa, "DTLINE", in->dtline)
      || !puts0(sa, "RPLINE", in->rpline) || !puts0(sa, "UFLINE", in->ufline))
    return 0;
  if (!stralloc_cats(sa, "RECIPIENT=") || !stralloc_cats(sa, in->local)
      || !stralloc_catb(sa, "@", 1) || !stralloc_cats(sa, in->domain) || !stralloc_0(sa))
    return 0;
  for (k = 2; k <= 4; k++) {
    size_t i = local_extn(in->ext, elen, k);
    if (!put(sa, hostn[k - 2], in->domain, local_hostn(in->domain, dlen, k))
        || !put(sa, extn[k - 2], in->ext + i, elen - i)) return 0;
  }
  if (in->deflt && !puts0(sa, "DEFAULT", in->deflt)) return 0;
  return 1;
}

static int ours(char const *entry)
{
  size_t i, n;
  for (i = 0; i < NNAMES; i++) {
    n = strlen(names[i]);
    if (!strncmp(entry, names[i], n) && entry[n] == '=') return 1;
  }
  return 0;
}

size_t local_env_merge(char const **out, size_t max, char const *const *base,
                       char const *vars, size_t len)
{
  size_t n = 0, pos = 0;
  for (; base && *base; base++) {
    if (ours(*base)) continue;
    if (n + 1 >= max) return (size_t)-1;
    out[n++] = *base;
  }
  while (pos < len) {
    if (n + 1 >= max) return (size_t)-1;
    out[n++] = vars + pos;
    pos += strlen(vars + pos) + 1;
  }
  out[n] = 0;
  return n;
}
