/* The caller's account name from a line of /etc/passwd. qmail-queue reads that
 * file itself instead of asking the name service: the accounts its Received line
 * names (alias, qmaild, qmails) are local ones that install makes, and without the
 * name service the program links statically (no loader on every message). */
#ifndef QUEUE_PASSWD_H
#define QUEUE_PASSWD_H

#include <stddef.h>

#define QUEUE_PASSWD_LINE_MAX 1024      /* longer lines are skipped */
#define QUEUE_PASSWD_FILE_MAX (16UL << 20)   /* bytes of the file read at most */

/* 1 when line ("name:password:uid:gid:...", without its newline, len bytes) is
 * the account of uid: its name is then copied into name, NUL-terminated (max
 * bytes in all). 0 otherwise: another uid, or not a well-formed line (an empty
 * name, fewer than three fields, a uid that is not plain decimal digits or is
 * 2^32 or more, a name of max bytes or more). */
int queue_passwd_line(char const *line, size_t len, unsigned long uid, char *name, size_t max);

#endif
