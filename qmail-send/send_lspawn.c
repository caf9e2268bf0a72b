/* Reply building for qmail-lspawn. The child's output is written by the recipient's
 * programs: it is bounded and cut here, never trusted to be well formed. */
#include <string.h>

#include <skalibs/stralloc.h>

#include "qm_users.h"
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
    case QM_QLX_USAGE: *why = "Internal qmail-lspawn bug. (#4.3.0)\n"; return 'Z';
    case QM_QLX_ROOT: *why = "Not allowed to deliver to the root account. (#4.3.0)\n"; return 'Z';
    case QM_QLX_NFS: *why = "Temporary failure looking up a home directory (NFS?). (#4.3.0)\n"; return 'Z';
    case QM_QLX_NOALIAS: *why = "The alias account does not exist. (#4.3.0)\n"; return 'Z';
    case QM_QLX_CDB: *why = "Unable to read users/cdb. (#4.3.0)\n"; return 'Z';
    case QM_QLX_SYS: *why = "Temporary failure in the user lookup. (#4.3.0)\n"; return 'Z';
    case QM_QLX_NOMEM: *why = "Out of memory. (#4.3.0)\n"; return 'Z';
    case QM_QLX_EXECSOFT: *why = "Unable to run qmail-local. (#4.3.0)\n"; return 'Z';
    case QM_QLX_EXECPW: *why = "Unable to run qmail-getpw. (#4.3.0)\n"; return 'Z';
    case QM_QLX_EXECHARD: *why = "Unable to run qmail-local. (#5.3.0)\n"; return 'D';
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
