/* The conversation between qmail-lspawn and a long-running `qmail-getpw -s`: each
 * request is a netstring holding one local part; each reply a netstring whose first
 * byte is 0 (found: the rest is qmail-getpw's usual "user\0uid\0gid\0home\0dash\0ext\0")
 * or the qmail-lspawn exit code of a temporary failure (QM_QLX_*, nothing after it).
 * Both sides write with skalibs' netstring_appendb and read with qm_getpw_get, which
 * bounds every length before using it (skalibs' reader takes any length). */
#ifndef QM_GETPW_H
#define QM_GETPW_H

#include <stddef.h>
#include <sys/types.h>

#define QM_GETPW_REQUEST_MAX 4096                 /* a local part, in bytes */
#define QM_GETPW_REPLY_MAX (1 + 8192 + 2)         /* code, a record of QM_USERS_RECORD_MAX */

/* Looks for one complete netstring at the start of buf (len bytes) whose payload is
 * at most max bytes. Returns the bytes it takes (the payload is buf[*off..*off+*plen)),
 * 0 when more bytes are needed, or -1 when it is malformed or longer than max. */
ssize_t qm_getpw_get(char const *buf, size_t len, size_t max, size_t *off, size_t *plen);

#endif
