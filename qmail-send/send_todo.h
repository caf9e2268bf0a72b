/* The envelope that qmail-queue leaves in todo/N: u<uid>\0 p<pid>\0 F<sender>\0
 * then T<recipient>\0 per recipient (an extra closing \0 is tolerated). Incremental
 * record parser; the queue is written by qmail-queue but a damaged or hostile file
 * must neither crash qmail-send nor be half understood. */
#ifndef SEND_TODO_H
#define SEND_TODO_H

#include <stddef.h>

#define SEND_TODO_FIELD_MAX 4096   /* qmail-queue refuses addresses over 1002 bytes */
#define SEND_TODO_NUM_MAX 20       /* u and p values: decimal numbers */

typedef struct send_todo_s {
  unsigned int state;   /* 0 type byte, 1 value, 2 after the closing NUL */
  int seen_f;
  char type;            /* of the last record: 'u', 'p', 'F' or 'T' */
  size_t len;
  char val[SEND_TODO_FIELD_MAX + 1];   /* NUL-terminated once a record is complete */
} send_todo;

void send_todo_init(send_todo *t);
/* 1: a record is complete in t->type, t->val, t->len (the rest of s is left);
 * 0: all n bytes used, need more; -1: invalid (unknown type, overlong value, a
 * u/p value that is not a number, T before F, a second F, bytes after the end). */
int send_todo_feed(send_todo *t, char const *s, size_t n, size_t *used);
/* At end of file: 1 if the envelope is whole (F seen, no record cut), else -1. */
int send_todo_finish(send_todo const *t);

#endif
