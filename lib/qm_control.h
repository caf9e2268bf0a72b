/* Control files with qmail's rules: a value is the first line with trailing spaces,
 * tabs and CR stripped; a list is every line so stripped, less empty lines and lines
 * starting with '#' or holding a NUL byte; a number that does not parse keeps its default. Paths are
 * relative to the cwd, which every program sets to the home first. Files larger
 * than QM_CONTROL_MAX are refused (EFBIG) rather than read without bound. */
#ifndef QM_CONTROL_H
#define QM_CONTROL_H

#include <stddef.h>
#include <skalibs/stralloc.h>

#define QM_CONTROL_MAX (64UL << 20)

/* Pure parsing, for callers that already hold the bytes. */
size_t qm_control_firstline(char const *s, size_t len);   /* length of the value */
int qm_control_parselist(stralloc *out, char const *s, size_t len);
    /* appends each entry followed by '\0'; 1, or 0 on ENOMEM */
int qm_control_parseulong(unsigned long *n, char const *s, size_t len);
    /* 1 if s is a decimal number that fits, else 0 and *n untouched */

/* Files. Each returns 1 read, 0 the file does not exist (out untouched, or holding
 * the default where one is given), -1 error with errno set. */
int qm_control_readline(stralloc *out, char const *path);
    /* out = the value, NUL-terminated (out->len excludes the NUL) */
int qm_control_readline_def(stralloc *out, char const *path, char const *def);
int qm_control_readulong(unsigned long *n, char const *path, unsigned long def);
int qm_control_readlist(stralloc *out, char const *path);

/* Is name (len bytes) an entry of a parsed list? Case-insensitive, as for domains. */
int qm_control_listhas(stralloc const *list, char const *name, size_t len);

/* Looks key up in a cdb file: 1 found (value copied to out if out is not null),
 * 0 not found or no such file, -1 error. */
int qm_control_cdbget(stralloc *out, char const *path, char const *key, size_t len);

#endif
