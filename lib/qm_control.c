/* Control files: reading and the pure parsing behind it. Trusts nothing about the
 * contents (any bytes, any length up to QM_CONTROL_MAX); never reads past that. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/cdb.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "qm_control.h"

static int is_trailing_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

size_t qm_control_firstline(char const *s, size_t len)
{
  size_t n = 0;
  while (n < len && s[n] != '\n') n++;
  while (n && is_trailing_space(s[n - 1])) n--;
  return n;
}

int qm_control_parselist(stralloc *out, char const *s, size_t len)
{
  size_t i = 0;
  while (i < len) {
    size_t start = i, n;
    while (i < len && s[i] != '\n') i++;
    n = qm_control_firstline(s + start, i - start);
    if (i < len) i++;
    if (!n || s[start] == '#') continue;
    if (memchr(s + start, 0, n)) continue;  /* entries are NUL-terminated: no NUL inside */
    if (!stralloc_catb(out, s + start, n) || !stralloc_0(out)) return 0;
  }
  return 1;
}

int qm_control_parseulong(unsigned long *n, char const *s, size_t len)
{
  unsigned long v = 0;
  size_t i;
  if (!len) return 0;
  for (i = 0; i < len; i++) {
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return 0;
    if (v > (~0UL - d) / 10) return 0;
    v = v * 10 + d;
  }
  *n = v;
  return 1;
}

/* Reads a whole control file into sa (appending): 1, 0 missing, -1 error. */
static int read_capped(stralloc *sa, char const *path)
{
  struct stat st;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int r;
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  if (fstat(fd, &st) < 0) goto err;
  if (!S_ISREG(st.st_mode)) { errno = EINVAL; goto err; }
  if ((unsigned long long)st.st_size > QM_CONTROL_MAX) { errno = EFBIG; goto err; }
  for (;;) {
    ssize_t got;
    if (!stralloc_readyplus(sa, 4096)) goto err;
    got = read(fd, sa->s + sa->len, 4096);
    if (got < 0) { if (errno == EINTR) continue; goto err; }
    if (!got) break;
    sa->len += (size_t)got;
    if (sa->len > QM_CONTROL_MAX) { errno = EFBIG; goto err; }
  }
  close(fd);
  return 1;
err:
  r = errno;
  close(fd);
  errno = r;
  return -1;
}

int qm_control_readline(stralloc *out, char const *path)
{
  stralloc raw = STRALLOC_ZERO;
  int r = read_capped(&raw, path);
  if (r <= 0) { stralloc_free(&raw); return r; }
  out->len = 0;
  if (!stralloc_catb(out, raw.s, qm_control_firstline(raw.s, raw.len)) || !stralloc_0(out)) {
    stralloc_free(&raw);
    return -1;
  }
  out->len--;
  stralloc_free(&raw);
  return 1;
}

int qm_control_readline_def(stralloc *out, char const *path, char const *def)
{
  int r = qm_control_readline(out, path);
  if (r || !def) return r;
  out->len = 0;
  if (!stralloc_cats(out, def) || !stralloc_0(out)) return -1;
  out->len--;
  return 0;
}

int qm_control_readulong(unsigned long *n, char const *path, unsigned long def)
{
  stralloc sa = STRALLOC_ZERO;
  int r = qm_control_readline(&sa, path);
  *n = def;
  if (r > 0 && !qm_control_parseulong(n, sa.s, sa.len)) *n = def;
  stralloc_free(&sa);
  return r;
}

int qm_control_readlist(stralloc *out, char const *path)
{
  stralloc raw = STRALLOC_ZERO;
  int r = read_capped(&raw, path);
  out->len = 0;
  if (r > 0 && !qm_control_parselist(out, raw.s, raw.len)) r = -1;
  stralloc_free(&raw);
  return r;
}

int qm_control_listhas(stralloc const *list, char const *name, size_t len)
{
  size_t i = 0;
  while (i < list->len) {
    size_t n = strlen(list->s + i);
    if (n == len && !strncasecmp(list->s + i, name, len)) return 1;
    i += n + 1;
  }
  return 0;
}

int qm_control_cdbget(stralloc *out, char const *path, char const *key, size_t len)
{
  cdb c = CDB_ZERO;
  cdb_data data;
  int r;
  if (len > 0xffffffffUL) { errno = EOVERFLOW; return -1; }
  if (!cdb_init(&c, path)) return errno == ENOENT ? 0 : -1;
  r = cdb_find(&c, &data, key, (uint32_t)len);
  if (r > 0 && out) {
    out->len = 0;
    if (!stralloc_catb(out, data.s, data.len)) r = -1;
  }
  cdb_free(&c);
  return r;
}
