/* Sender ownership for submission (smtpd_sender.h). Compares bytes only: no
 * allocation, no lookup; the sender has already been parsed and bounded by the
 * session. Must never grant an address no rule names. */
#include <string.h>
#include <strings.h>

#include "qm_control.h"
#include "smtpd_sender.h"

/* Does the extra line "user:spec" grant sender (local part llen bytes)? */
static int extra_grants(char const *line, char const *user, size_t ulen, char const *sender,
                        size_t llen)
{
  char const *spec;
  if (strncmp(line, user, ulen) || line[ulen] != ':') return 0;
  spec = line + ulen + 1;
  if (spec[0] == '@') return spec[1] && !strcasecmp(spec + 1, sender + llen + 1);
  return spec[0] && !strcasecmp(spec, sender);
}

int smtpd_sender_owned(char const *user, char const *sender, char brk,
                       stralloc const *locals, stralloc const *extra)
{
  char const *at = strrchr(sender, '@');
  size_t ulen = strlen(user), llen, i;
  if (!*sender || !at || !ulen || !at[1]) return 0;
  llen = (size_t)(at - sender);
  for (i = 0; extra && i < extra->len; i += strlen(extra->s + i) + 1)
    if (extra_grants(extra->s + i, user, ulen, sender, llen)) return 1;
  if (strchr(user, '@')) return !strcasecmp(user, sender);
  /* local parts compare exactly: the mailbox is the user's only under its own name */
  if (llen < ulen || memcmp(sender, user, ulen)) return 0;
  if (llen != ulen && sender[ulen] != brk) return 0;
  return locals && qm_control_listhas(locals, at + 1, strlen(at + 1)) == 1;
}
