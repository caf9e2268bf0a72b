/* Access decisions for qmail-smtpd: rcpthosts, bad address lists, the recipients
 * cdb. Trusts the operator's lists; the address comes from the network but has been
 * through qm_addr (bounded, no controls). Never grants relaying when a list is missing. */
#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>

#include "qm_addr.h"
#include "qm_control.h"
#include "smtpd_access.h"

#define KEY_MAX (QM_ADDR_PATH_MAX + 2)

int smtpd_rcpthosts(stralloc const *list, int havelist, char const *domain,
                    smtpd_cdbget *cdb, void *ctx)
{
  size_t len = strlen(domain), i;
  if (!havelist || !len) return 0;
  for (i = 0; i < len; i++) {
    if (i && domain[i] != '.') continue;
    if (qm_control_listhas(list, domain + i, len - i)) return 1;
    if (cdb) {
      int r = cdb(ctx, domain + i, len - i);
      if (r) return r;
    }
  }
  return 0;
}

int smtpd_addrlisted(stralloc const *list, char const *addr)
{
  char const *at = strrchr(addr, '@');
  if (qm_control_listhas(list, addr, strlen(addr))) return 1;
  return at && qm_control_listhas(list, at, strlen(at));
}

static size_t lowercat(char *out, size_t n, char const *s, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++) {
    char c = s[i];
    out[n + i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
  }
  return n + len;
}

int smtpd_rcptcheck(char const *addr, smtpd_rcptget *cdb, void *ctx)
{
  char key[KEY_MAX + 1];
  char const *at = strrchr(addr, '@');
  size_t llen, dlen, n, cut;
  int r;
  if (!at || !cdb) return 1;
  llen = (size_t)(at - addr);
  dlen = strlen(at);               /* with its '@' */
  if (llen + dlen + 1 > KEY_MAX) return 0;
  n = lowercat(key, 0, at, dlen);
  r = cdb(ctx, key, n);
  if (r <= 0) return r < 0 ? -1 : 1;   /* not a listed domain: not ours to judge */
  key[0] = '=';
  n = lowercat(key, 1, addr, llen);
  n = lowercat(key, n, at, dlen);
  r = cdb(ctx, key, n);
  if (r) return r < 0 ? -1 : r == 1;
  /* prefixes, longest first: "abc" tries "abc", "ab", "a", "" */
  key[0] = '+';
  for (cut = llen + 1; cut-- > 0;) {
    n = lowercat(key, 1, addr, cut);
    n = lowercat(key, n, at, dlen);
    r = cdb(ctx, key, n);
    if (r) return r < 0 ? -1 : r == 1;
  }
  return 0;
}
