/* Reply building and user-answer parsing for qmail-lspawn. The child's output is
 * written by the recipient's programs and the user answer by qmail-getpw; both are
 * bounded and checked here, never trusted to be well formed. */
#include <string.h>
#include <sys/types.h>

#include <skalibs/stralloc.h>

#include "send_lspawn.h"

static int cats(stralloc *sa, char const *s)
{
  return stralloc_catb(sa, s, strlen(s));
}

/* The letter for an exit code, and a fixed explanation for the private codes. */
static char exit_letter(int code, char const **why)
{
  *why = 0;
  switch (code) {
    case 0: return 'K';
    case 111: case 71: case 74: case 75: return 'Z';
    case LSPAWN_EXIT_BUG: *why = "Internal qmail-lspawn bug. (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_ROOT: *why = "Not allowed to deliver to the root account. (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_NFS: *why = "Temporary failure looking up a home directory (NFS?). (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_NOALIAS: *why = "The alias account does not exist. (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_CDB: *why = "Unable to read users/cdb. (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_TEMP: *why = "Temporary failure in the user lookup. (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_NOMEM: *why = "Out of memory. (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_EXECLOCAL: *why = "Unable to run qmail-local. (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_EXECGETPW: *why = "Unable to run qmail-getpw. (#4.3.0)\n"; return 'Z';
    case LSPAWN_EXIT_PERMLOCAL: *why = "Unable to run qmail-local. (#5.3.0)\n"; return 'D';
    default: return 'D';
  }
}

int send_lspawn_report(stralloc *out, int signaled, int code, char const *output, size_t len)
{
  char const *why, *nul;
  char letter;
  int cut = 0;
  out->len = 0;
  if (signaled) return cats(out, "Zqmail-local crashed.\n");
  letter = exit_letter(code, &why);
  nul = memchr(output, 0, len);
  if (nul) len = (size_t)(nul - output);
  if (len > SEND_LSPAWN_OUT_MAX) { len = SEND_LSPAWN_OUT_MAX; cut = 1; }
  if (!stralloc_catb(out, &letter, 1) || !stralloc_catb(out, output, len)) return 0;
  if (cut && !cats(out, "\nError report too long, sorry.\n")) return 0;
  if (why && !cats(out, why)) return 0;
  return 1;
}

static int scanid(char const *s, unsigned long long max, unsigned long long *v)
{
  unsigned long long n = 0;
  if (!*s) return 0;
  for (; *s; s++) {
    unsigned int d = (unsigned char)*s - '0';
    if (d > 9 || n > (max - d) / 10) return 0;
    n = n * 10 + d;
  }
  *v = n;
  return 1;
}

int send_lspawn_pwparse(send_pw *pw, char const *s, size_t len)
{
  char const *f[6];
  size_t i, k = 1;
  unsigned long long v;
  if (len > SEND_LSPAWN_PW_MAX || s[len]) return -1;
  if (len && !s[len - 1]) len--;     /* qmail-getpw ends the last field with a NUL too */
  f[0] = s;
  for (i = 0; i < len; i++)
    if (!s[i]) {
      if (k == 6) return -1;
      f[k++] = s + i + 1;
    }
  if (k != 6) return -1;
  if (!*f[0] || f[3][0] != '/') return -1;
  /* (uid_t)-1 means "no change" to setuid: never a real account */
  if (!scanid(f[1], (unsigned long long)(uid_t)-1 - 1, &v)) return -1;
  pw->uid = (uid_t)v;
  if (!scanid(f[2], (unsigned long long)(gid_t)-1 - 1, &v)) return -1;
  pw->gid = (gid_t)v;
  pw->user = f[0];
  pw->home = f[3];
  pw->dash = f[4];
  pw->ext = f[5];
  return 1;
}
