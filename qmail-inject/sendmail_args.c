/* Parsing of sendmail's command line. Trusts nothing in argv but its shape: reads
 * each argument only up to its NUL and never past argc. Decides only; never runs or
 * changes anything. */
#include <string.h>

#include "sendmail_args.h"

/* flags that take a value, all of them accepted and ignored but f r F b */
static char const with_value[] = "frFbBoOpeNRVLhCX";
/* flags without a value that are accepted and ignored (t is handled) */
static char const plain[] = "tivmxnUG";

static char const *base(char const *s)
{
  char const *b = strrchr(s, '/');
  return b ? b + 1 : s;
}

void sendmail_args(sendmail_opts *o, char const *prog, int argc, char const *const *argv)
{
  int i;
  memset(o, 0, sizeof *o);
  o->mode = SM_INJECT;
  if (prog && !strcmp(base(prog), "mailq")) { o->mode = SM_MAILQ; return; }
  if (prog && !strcmp(base(prog), "newaliases")) { o->mode = SM_NEWALIASES; return; }
  for (i = 1; i < argc; i++) {
    char const *a = argv[i];
    size_t j;
    if (!strcmp(a, "--")) { i++; break; }
    if (a[0] != '-' || !a[1]) break;
    for (j = 1; a[j]; j++) {
      char c = a[j];
      char const *v;
      if (c == 'E' || c == 'J') break;            /* old systems' flags: the rest is theirs */
      if (strchr(plain, c)) {
        if (c == 't') o->header = 1;
        continue;
      }
      if (!strchr(with_value, c)) { o->mode = SM_USAGE; return; }
      if (a[j + 1]) v = a + j + 1;
      else if (i + 1 < argc) v = argv[++i];
      else { o->mode = SM_USAGE; return; }
      switch (c) {
      case 'f': case 'r': o->sender = v; break;
      case 'F': o->fullname = v; break;
      case 'b':
        switch (v[0]) {
        case 'm': break;
        case 'p': o->mode = SM_MAILQ; return;
        case 's': o->mode = SM_SMTPD; return;
        case 'i': o->mode = SM_NEWALIASES; return;
        default: o->mode = SM_USAGE; return;
        }
        break;
      }
      break;                                       /* the value ended this argument */
    }
  }
  o->argi = i;
}
