/* The command line of the sendmail front end: Sendmail's flags that scripts use,
 * mapped to what qmail-inject, qmail-qread or qmail-smtpd should do, and the ones
 * that mean nothing here recognised and ignored. */
#ifndef SENDMAIL_ARGS_H
#define SENDMAIL_ARGS_H

enum { SM_INJECT, SM_MAILQ, SM_SMTPD, SM_NEWALIASES, SM_USAGE };

typedef struct sendmail_opts_s {
  int mode;
  int header;             /* -t: recipients from the header too */
  char const *sender;     /* -f or -r */
  char const *fullname;   /* -F */
  int argi;               /* index of the first recipient in argv */
} sendmail_opts;

/* prog is the name the program was run under (a path is allowed). */
void sendmail_args(sendmail_opts *o, char const *prog, int argc, char const *const *argv);

#endif
