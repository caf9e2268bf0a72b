/* The main loop shared by qmail-lspawn and qmail-rspawn: reads spawner commands
 * (QMAIL-INTERFACES 4.4) on fd 0, runs one child per command in its slot, and
 * writes the replies on fd 1 once the child's report pipe has ended and it has
 * exited. Trusts commands only after send_cmd_check and the caller's check;
 * never lets a child's output reach qmail-send except through the caller's report. */
#ifndef SEND_SPAWNER_H
#define SEND_SPAWNER_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "send_proto.h"

typedef struct send_spawner_s {
  /* Extra checks before anything is opened: 0 to go on, else the reply text for
   * every recipient of the command (letter first). May edit the command. */
  char const *(*check)(send_cmd *c);
  /* In the child: fd 0 is the message, fd 1 (and fd 2 unless keeperr) the report
   * pipe. Never returns. */
  void (*child)(send_cmd const *c);
  /* Appends one reply text per recipient of the command (letter first, each
   * ending in NUL) for a finished child: signaled != 0 means code is a signal.
   * Returns 1, or 0 on ENOMEM. */
  int (*report)(stralloc *texts, unsigned int nrcpt, int signaled, int code,
                char const *output, size_t len);
  uid_t owner;        /* the message file must belong to this user */
  size_t keep;        /* child output bytes kept for report (the rest is read and dropped) */
  int childfail;      /* exit code of a child that could not set up its descriptors */
  int keeperr;        /* nonzero: the child's fd 2 stays the spawner's (the log), not the pipe */
} send_spawner;

/* Optional work of the caller's around each child and between events (qmail-rspawn
 * hands commands to its long-lived qmail-remote workers with them; qmail-lspawn
 * looks up the account in prep). Any may be 0. */
typedef struct send_spawner_hooks_s {
  /* In the parent, right before slot s forks for command c: what the child will
   * need (sp->child then runs in the new process). */
  void (*prep)(unsigned int s, send_cmd const *c);
  /* In the parent, right after that fork: pid, or -1 when it failed (then there
   * is no child and no ended call). */
  void (*forked)(unsigned int s, pid_t pid);
  /* In the parent, once slot s's child has exited (wstat as waitpid gives it)
   * and its replies are written. */
  void (*ended)(unsigned int s, int wstat);
  /* Before each wait: the caller's timed work, done at STAMP (the clock as of
   * the last wake); it may bring *deadline closer for the next. */
  void (*tick)(tain *deadline);
  /* In the parent, in place of prep and the fork: the caller may run command c
   * in a process of its own, already there or started now (msg: the message,
   * opened read-only; report: the write end of the slot's report pipe; both stay
   * the spawner's, the caller passes or dups them). Returns that process's pid,
   * a child of this one; -1 when the command is to run later (the caller then
   * keeps copies of both descriptors and names the process with
   * send_spawner_handed); 0 for prep and the fork as usual. The slot ends when
   * the report pipe has ended and the process has exited, or says by waiting
   * that it will not. */
  pid_t (*hand)(unsigned int s, send_cmd const *c, int msg, int report);
  /* For a handed slot whose report has ended and whose process is still there:
   * 1 when the process waits for more work (the slot then ends as though it had
   * exited 0), 0 to wait for its exit. */
  int (*waiting)(unsigned int s);
} send_spawner_hooks;

/* For slot s, whose hand returned -1: the process that now runs its command,
 * or 0 when none could be started (the slot then ends as a child that could not
 * set up, once the caller has closed its copy of the report pipe). */
void send_spawner_handed(unsigned int s, pid_t pid);

/* Writes the slot limit, then serves commands until fd 0 ends and every child
 * has been answered. Returns the exit code (0); dies on a broken command stream
 * or when fd 1 cannot be written. */
int send_spawner_run(send_spawner const *sp);
/* The same with hooks (0: none). */
int send_spawner_run_hooks(send_spawner const *sp, send_spawner_hooks const *hooks);

#endif
