/* Program delivery: /bin/sh -c <command from the .qmail file> in the home, with the
 * message from its first byte on stdin and the report pipe on stdout and stderr.
 * The command is the mailbox owner's text; the envelope only ever reaches the
 * program through environment variables, never the command line. */
#ifndef LOCAL_PROG_H
#define LOCAL_PROG_H

#include <sys/types.h>

#define LOCAL_SHELL "/bin/sh"

/* What a program's wait status means for the delivery: 0 delivered, 99 delivered
 * and stop reading the file, 100 permanent failure, 111 temporary. Pure. */
int local_prog_status(int wstat);

/* Runs the command with envp, stdin = msgfd rewound. 1 with *wstat filled, or 0
 * with errno set (fork or wait failed). */
int local_prog_run(char const *cmd, char const *const *envp, int msgfd, int *wstat);

#endif
