/* qmail-qread's output lines and the record files it reads, as pure functions:
 * the message line "<date> GMT  #<id>  <bytes>  <<sender>> " with its suffixes,
 * recipient lines "[  done]\t<kind>\t<addr>", and a walker over NUL-terminated
 * records (info, local, remote, todo files). Queue files are trusted only to be
 * bytes: every record is bounded by its buffer and every byte printed is made safe. */
#ifndef QREAD_FMT_H
#define QREAD_FMT_H

#include <stddef.h>
#include <time.h>
#include <skalibs/stralloc.h>

/* A queue file bigger than this is not read whole (the envelope cap is 16 MiB). */
#define QREAD_FILE_MAX (64UL << 20)

enum qread_state { QREAD_PREPROCESSED, QREAD_BOUNCING, QREAD_TODO };

/* Appends the message line, newline included. 1 ok, 0 out of memory. */
int qread_fmt_msg(stralloc *sa, time_t when, unsigned long id, unsigned long long bytes,
                  char const *sender, size_t senderlen, enum qread_state state);
/* Appends one recipient line; kind is "local", "remote" or "todo". */
int qread_fmt_rcpt(stralloc *sa, int done, char const *kind, char const *addr, size_t len);

/* Walks records: on 1, *letter is the record's first byte and addr/alen the rest up
 * to its NUL, and *pos moves past it. 0 at the end, -1 for a last record without
 * its NUL (a file being written or damaged: the caller stops there). */
int qread_record(char const *s, size_t len, size_t *pos, char *letter, char const **addr, size_t *alen);

#endif
