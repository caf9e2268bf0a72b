/* The .qmail file: one delivery instruction per line (dot-qmail(5)). Parses a whole
 * file already in memory into a list of instructions. The file is the user's own
 * text, but it is still bounded and checked: a NUL, an empty first line or an
 * instruction that forward-only forbids refuses the whole file. */
#ifndef LOCAL_DOTQMAIL_H
#define LOCAL_DOTQMAIL_H

#include <stddef.h>

#define LOCAL_DOTQMAIL_MAX (1UL << 20)   /* largest .qmail file read */
#define LOCAL_INSTR_MAX 10000            /* most instructions in one file */

enum local_kind {
  LOCAL_COMMENT,     /* # line, empty line, other + line */
  LOCAL_PROGRAM,     /* |command */
  LOCAL_MAILDIR,     /* ./dir/ or /dir/ */
  LOCAL_MBOX,        /* ./file or /file */
  LOCAL_FORWARD,     /* &address or a bare address */
  LOCAL_FWDONLY      /* +list: the file may only forward */
};

/* Classifies one line (no LF; trailing spaces, tabs and CRs already stripped):
 * the kind, and in *arg / *arglen the part that names the target. */
enum local_kind local_dotqmail_line(char const *s, size_t len, size_t *arg, size_t *arglen);

/* Strips trailing spaces, tabs and CRs: the new length. */
size_t local_dotqmail_trim(char const *s, size_t len);

typedef struct local_instr_s {
  enum local_kind kind;
  size_t off;        /* target = file + off, len bytes */
  size_t len;
} local_instr;

enum local_dq_err {
  LOCAL_DQ_OK,
  LOCAL_DQ_NUL,        /* NUL byte in the file */
  LOCAL_DQ_FIRSTEMPTY, /* the first line is empty: a half-written file */
  LOCAL_DQ_TOOMANY,    /* over LOCAL_INSTR_MAX instructions */
  LOCAL_DQ_TOOBIG,     /* over LOCAL_DOTQMAIL_MAX bytes */
  LOCAL_DQ_FWDONLY,    /* a file or program line in a forward-only file */
  LOCAL_DQ_EMPTYFWD    /* "&" with no address: mail would vanish */
};

typedef struct local_dotqmail_s {
  local_instr *in;     /* caller's array, room for max entries */
  size_t max;
  size_t n;            /* instructions stored (comments are not) */
  int fwdonly;         /* set on entry if the file's execute bit says so; +list sets it */
  size_t files, programs, forwards;
} local_dotqmail;

/* Parses text (len bytes). 1 ok, -1 refused (the reason returned in *err). */
int local_dotqmail_parse(local_dotqmail *q, char const *text, size_t len, enum local_dq_err *err);

char const *local_dotqmail_strerr(enum local_dq_err e);

#endif
