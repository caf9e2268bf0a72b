/* Resolving a local part to an account through users/cdb (built by qmail-newu from
 * users/assign), the way qmail-lspawn does before it asks qmail-getpw. Trusts the
 * cdb only as far as its format: a record that does not parse is an error, never a
 * guess. Also names the private exit codes shared by qmail-lspawn, its child and
 * qmail-getpw (qmail's qlx codes). */
#ifndef QM_USERS_H
#define QM_USERS_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/cdb.h>
#include <skalibs/stralloc.h>

#define QM_USERS_LOCAL_MAX 1000     /* longest local part looked up */
#define QM_USERS_RECORD_MAX 8192    /* longest record accepted from the database */

/* Exit codes private to qmail-lspawn, its child and qmail-getpw. */
#define QM_QLX_USAGE 112      /* internal bug in qmail-lspawn */
#define QM_QLX_ROOT 113       /* delivery as root refused */
#define QM_QLX_NFS 115        /* temporary error looking at a home directory */
#define QM_QLX_NOALIAS 116    /* the alias account does not exist */
#define QM_QLX_CDB 117        /* users/cdb unreadable or broken */
#define QM_QLX_SYS 118        /* temporary system failure */
#define QM_QLX_NOMEM 119      /* out of memory */
#define QM_QLX_EXECSOFT 120   /* cannot run qmail-local, temporary */
#define QM_QLX_EXECPW 121     /* cannot run qmail-getpw */
#define QM_QLX_EXECHARD 126   /* cannot run qmail-local, permanent */

/* One resolved account. The strings point into the stralloc the lookup filled. */
typedef struct qm_users_entry_s {
  char const *user;
  char const *home;
  char const *dash;
  char const *ext;
  uid_t uid;
  gid_t gid;
} qm_users_entry;

/* Appends the cdb key for local (len bytes): '!' + lowercase(local), then a NUL for
 * an exact (=) entry, none for a wildcard (+) prefix. 1, or 0 on ENOMEM. */
int qm_users_key(stralloc *sa, char const *local, size_t len, int exact);

/* Parses "user\0uid\0gid\0home\0dash\0ext" with an optional final NUL (the shape
 * both users/cdb and qmail-getpw's output have). s[len] need not be readable.
 * Copies into sa and points e into it. 1 ok; 0 malformed (errno EINVAL) or out of
 * memory (errno ENOMEM). A uid of 0 parses: refusing root is the caller's job. */
int qm_users_parse(qm_users_entry *e, stralloc *sa, char const *s, size_t len);

/* Looks local up in an open users/cdb: the exact entry first, then wildcard
 * prefixes from the whole local part down to the empty one, trying a non-empty
 * prefix only if its last character is one of the database's wildchars; a wildcard
 * hit appends the rest of local (original case) to ext. Returns 1 found, 0 no
 * entry, -1 with errno EINVAL (broken database or record, local part over
 * QM_USERS_LOCAL_MAX) or ENOMEM. */
int qm_users_find(cdb const *db, char const *local, size_t len, stralloc *sa,
                  qm_users_entry *e);

/* The same on a file: -1 with errno ENOENT when the file does not exist (the caller
 * then asks qmail-getpw; any other error must be a temporary failure). */
int qm_users_lookup(char const *path, char const *local, size_t len, stralloc *sa,
                    qm_users_entry *e);

#endif
