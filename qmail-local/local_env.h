/* What qmail-local tells a delivery about the message: the Return-Path, Delivered-To
 * and mbox From_ lines, and the qmail-command environment (SENDER, RECIPIENT, HOST2,
 * EXT2, DEFAULT, ...). Pure. Every value may hold the sender's bytes: header lines
 * get CR and LF replaced so they stay one line; nothing here is ever quoted for, or
 * handed to, a shell. */
#ifndef LOCAL_ENV_H
#define LOCAL_ENV_H

#include <stddef.h>
#include <time.h>
#include <skalibs/stralloc.h>

/* Appends addr with its local part (before the last '@') quoted as RFC 5321 needs
 * when it is not a dot-atom. 1, or 0 on ENOMEM. */
int local_quote_addr(stralloc *sa, char const *addr);

/* "Return-Path: <sender>\n" (quoted; "<>" for an empty sender). */
int local_rpline(stralloc *sa, char const *sender);
/* "Delivered-To: <local>@<domain>\n". */
int local_dtline(stralloc *sa, char const *local, char const *domain);
/* "From <sender> Www Mmm DD hh:mm:ss yyyy\n" in UTC, for mbox files. */
int local_ufline(stralloc *sa, char const *sender, time_t when);

/* HOST2..HOST4 (n = 2..4): the domain cut before its (n-1)th dot from the right. */
size_t local_hostn(char const *domain, size_t len, unsigned int n);
/* EXT2..EXT4 (n = 2..4): offset of the ext after its (n-1)th '-', or len if none. */
size_t local_extn(char const *ext, size_t len, unsigned int n);

typedef struct local_envin_s {
  char const *sender, *newsender, *user, *home, *local, *domain, *ext;
  char const *deflt;     /* DEFAULT, or 0 when no -default file matched */
  char const *dtline, *rpline, *ufline;
} local_envin;

/* Appends NAME=value\0 for every variable of qmail-command(8). 1, or 0 on ENOMEM. */
int local_env_vars(stralloc *sa, local_envin const *in);

/* The environment for a program: base less any variable of qmail-command(8)'s (so a
 * stale DEFAULT never leaks through), then vars (len bytes of NAME=value\0 entries).
 * out has room for max pointers; returns the count stored before the final null, or
 * (size_t)-1 if it would not fit. */
size_t local_env_merge(char const **out, size_t max, char const *const *base,
                       char const *vars, size_t len);

#endif
