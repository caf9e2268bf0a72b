/* sendmail_args: command lines as scripts, cron, mailers and git write them, with
 * what each must turn into; unknown flags and missing values are usage errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../qmail-inject/sendmail_args.h"

#define MAXARGS 8

struct scase {
  char const *prog;
  char const *argv[MAXARGS];    /* after argv[0], ended by 0 */
  int mode;
  int header;
  char const *sender;
  char const *fullname;
  char const *first;            /* first recipient argument, or 0 */
};

static struct scase const cases[] = {
  { "sendmail", { "bob", 0 }, SM_INJECT, 0, 0, 0, "bob" },
  { "/usr/sbin/sendmail", { "-t", 0 }, SM_INJECT, 1, 0, 0, 0 },
  { "sendmail", { "-t", "-i", 0 }, SM_INJECT, 1, 0, 0, 0 },
  { "sendmail", { "-ti", 0 }, SM_INJECT, 1, 0, 0, 0 },
  { "sendmail", { "-oi", "-t", 0 }, SM_INJECT, 1, 0, 0, 0 },
  { "sendmail", { "-oem", "-odi", "-odb", "-oQ/tmp", "bob", 0 }, SM_INJECT, 0, 0, 0, "bob" },
  { "sendmail", { "-f", "a@b.c", "bob", 0 }, SM_INJECT, 0, "a@b.c", 0, "bob" },
  { "sendmail", { "-fa@b.c", "bob", 0 }, SM_INJECT, 0, "a@b.c", 0, "bob" },
  { "sendmail", { "-r", "a@b.c", "bob", 0 }, SM_INJECT, 0, "a@b.c", 0, "bob" },
  { "sendmail", { "-f", "", "bob", 0 }, SM_INJECT, 0, "", 0, "bob" },
  { "sendmail", { "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root", 0 }, SM_INJECT, 0, 0,
    "CronDaemon", "root" },
  { "sendmail", { "-F", "Joe Smith", "-f", "j@x.y", "-t", 0 }, SM_INJECT, 1, "j@x.y", "Joe Smith", 0 },
  { "sendmail", { "-bm", "bob", 0 }, SM_INJECT, 0, 0, 0, "bob" },
  { "sendmail", { "-bp", 0 }, SM_MAILQ, 0, 0, 0, 0 },
  { "sendmail", { "-bs", 0 }, SM_SMTPD, 0, 0, 0, 0 },
  { "sendmail", { "-b", "s", 0 }, SM_SMTPD, 0, 0, 0, 0 },
  { "sendmail", { "-bi", 0 }, SM_NEWALIASES, 0, 0, 0, 0 },
  { "sendmail", { "-bx", 0 }, SM_USAGE, 0, 0, 0, 0 },
  { "mailq", { 0 }, SM_MAILQ, 0, 0, 0, 0 },
  { "/usr/bin/mailq", { "-v", 0 }, SM_MAILQ, 0, 0, 0, 0 },
  { "newaliases", { 0 }, SM_NEWALIASES, 0, 0, 0, 0 },
  { "sendmail", { "-v", "-m", "-x", "-U", "-G", "bob", 0 }, SM_INJECT, 0, 0, 0, "bob" },
  { "sendmail", { "-N", "never", "-R", "hdrs", "-V", "id", "bob", 0 }, SM_INJECT, 0, 0, 0, "bob" },
  { "sendmail", { "-p", "smtp:x", "-e", "x", "-h", "5", "bob", 0 }, SM_INJECT, 0, 0, 0, "bob" },
  { "sendmail", { "-Ejunk", "-J", "bob", 0 }, SM_INJECT, 0, 0, 0, "bob" },
  { "sendmail", { "--", "-t", 0 }, SM_INJECT, 0, 0, 0, "-t" },
  { "sendmail", { "-", "bob", 0 }, SM_INJECT, 0, 0, 0, "-" },
  { "sendmail", { "bob", "-t", 0 }, SM_INJECT, 0, 0, 0, "bob" },
  { "sendmail", { "-q", 0 }, SM_USAGE, 0, 0, 0, 0 },
  { "sendmail", { "-f", 0 }, SM_USAGE, 0, 0, 0, 0 },
  { "sendmail", { "-tf", 0 }, SM_USAGE, 0, 0, 0, 0 },
  { "sendmail", { "-o", 0 }, SM_USAGE, 0, 0, 0, 0 },
  { "sendmail", { "-\xff", 0 }, SM_USAGE, 0, 0, 0, 0 },
  { 0, { "bob", 0 }, SM_INJECT, 0, 0, 0, "bob" },
};

static int streq(char const *a, char const *b)
{
  return a == b || (a && b && !strcmp(a, b));
}

static void table(void **state)
{
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct scase const *c = &cases[i];
    char const *argv[MAXARGS + 1];
    int argc = 1, j;
    sendmail_opts o;
    argv[0] = c->prog ? c->prog : "sendmail";
    for (j = 0; c->argv[j]; j++) argv[argc++] = c->argv[j];
    argv[argc] = 0;
    sendmail_args(&o, c->prog, argc, argv);
    if (o.mode != c->mode) fail_msg("case %zu: mode got %d, want %d", i, o.mode, c->mode);
    if (o.mode != SM_INJECT) continue;
    if (o.header != c->header) fail_msg("case %zu: -t got %d, want %d", i, o.header, c->header);
    if (!streq(o.sender, c->sender))
      fail_msg("case %zu: sender got %s, want %s", i, o.sender ? o.sender : "(none)",
               c->sender ? c->sender : "(none)");
    if (!streq(o.fullname, c->fullname))
      fail_msg("case %zu: name got %s, want %s", i, o.fullname ? o.fullname : "(none)",
               c->fullname ? c->fullname : "(none)");
    if (!streq(o.argi < argc ? argv[o.argi] : 0, c->first))
      fail_msg("case %zu: first recipient got %s, want %s", i,
               o.argi < argc ? argv[o.argi] : "(none)", c->first ? c->first : "(none)");
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
