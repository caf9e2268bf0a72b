/* users/cdb lookup and record parsing. Trusts neither the local part (any bytes up
 * to QM_USERS_LOCAL_MAX) nor the database (records are bounded and checked field by
 * field); never returns an entry with an empty user or a relative home. */
#include <errno.h>
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/cdb.h>
#include <skalibs/stralloc.h>

#include "qm_control.h"
#include "qm_size.h"
#include "qm_users.h"

#define USERS_FIELDS 6

int qm_users_key(stralloc *sa, char const *local, size_t len, int exact)
{
  size_t start;
  if (!stralloc_catb(sa, "!", 1)) return 0;
  start = sa->len;
  if (!stralloc_catb(sa, local, len)) return 0;
  case_lowerb(sa->s + start, len);
  if (exact && !stralloc_catb(sa, "", 1)) return 0;
  return 1;
}

static int parse_id(unsigned long *id, char const *s)
{
  if (!qm_control_parseulong(id, s, strlen(s))) return 0;
  /* (uid_t)-1 means "no change" to setuid: never a real account */
  return *id < 0xffffffffUL;
}

/* The record less its optional terminating NUL. Only a sixth NUL is one: with an
 * empty ext, the record "...\0dash\0" also ends in a NUL that is a separator. */
static size_t unterminated(char const *s, size_t len)
{
  size_t i, nuls = 0;
  for (i = 0; i < len; i++) if (!s[i]) nuls++;
  return nuls == USERS_FIELDS && !s[len - 1] ? len - 1 : len;
}

int qm_users_parse(qm_users_entry *e, stralloc *sa, char const *s, size_t len)
{
  char const *field[USERS_FIELDS];
  unsigned long uid, gid;
  size_t i, n = 0;
  if (len > QM_USERS_RECORD_MAX) goto invalid;
  len = unterminated(s, len);
  sa->len = 0;
  if (!stralloc_catb(sa, s, len) || !stralloc_0(sa)) return 0;
  field[n++] = sa->s;
  for (i = 0; i < len; i++)
    if (!sa->s[i]) {
      if (n == USERS_FIELDS) goto invalid;
      field[n++] = sa->s + i + 1;
    }
  if (n != USERS_FIELDS) goto invalid;
  if (!*field[0] || field[3][0] != '/') goto invalid;
  if (!parse_id(&uid, field[1]) || !parse_id(&gid, field[2])) goto invalid;
  e->user = field[0];
  e->uid = (uid_t)uid;
  e->gid = (gid_t)gid;
  e->home = field[3];
  e->dash = field[4];
  e->ext = field[5];
  return 1;
invalid:
  errno = EINVAL;
  return 0;
}

int qm_users_find(cdb const *db, char const *local, size_t len, stralloc *sa,
                  qm_users_entry *e)
{
  stralloc key = STRALLOC_ZERO;
  stralloc rec = STRALLOC_ZERO;
  cdb_data wild, d;
  size_t i;
  int r = -1;
  if (len > QM_USERS_LOCAL_MAX) { errno = EINVAL; return -1; }
  if (!qm_users_key(&key, local, len, 1)) return -1;
  r = cdb_find(db, &d, key.s, key.len);
  if (r < 0) goto broken;
  if (r) {
    r = qm_users_parse(e, sa, d.s, d.len) ? 1 : -1;
    goto done;
  }
  /* qmail-newu always writes the wildchars record, even empty: its absence means
   * the file is not a users database. */
  if (cdb_find(db, &wild, "", 0) != 1) goto broken;
  key.len--;   /* the wildcard keys carry no NUL */
  for (i = len + 1; i-- > 0;) {
    key.len = 1 + i;
    if (i && byte_chr(wild.s, wild.len, key.s[i]) == wild.len) continue;
    r = cdb_find(db, &d, key.s, key.len);
    if (r < 0) goto broken;
    if (!r) continue;
    /* ext = the stored prefix's ext followed by the rest of the local part */
    if (d.len <= QM_USERS_RECORD_MAX) d.len = (uint32_t)unterminated(d.s, d.len);
    if (d.len > QM_USERS_RECORD_MAX
        || !stralloc_catb(&rec, d.s, d.len) || !stralloc_catb(&rec, local + i, len - i)) {
      if (d.len > QM_USERS_RECORD_MAX) errno = EINVAL;
      r = -1;
      goto done;
    }
    r = qm_users_parse(e, sa, rec.s, rec.len) ? 1 : -1;
    goto done;
  }
  r = 0;
  goto done;
broken:
  errno = EINVAL;
  r = -1;
done:
  stralloc_free(&key);
  stralloc_free(&rec);
  return r;
}

int qm_users_lookup(char const *path, char const *local, size_t len, stralloc *sa,
                    qm_users_entry *e)
{
  cdb db = CDB_ZERO;
  int r;
  if (!cdb_init(&db, path)) return -1;
  r = qm_users_find(&db, local, len, sa, e);
  {
    int saved = errno;
    cdb_free(&db);
    errno = saved;
  }
  return r;
}
