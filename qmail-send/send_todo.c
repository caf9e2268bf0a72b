/* Envelope records of todo/N. Every value is bounded before it is stored; the
 * parser keeps no pointer into the caller's bytes and never allocates. */
#include "send_todo.h"

void send_todo_init(send_todo *t)
{
  t->state = 0;
  t->seen_f = 0;
  t->type = 0;
  t->len = 0;
  t->val[0] = 0;
}

static int valid_record(send_todo *t)
{
  size_t i;
  switch (t->type) {
    case 'u': case 'p':
      if (!t->len || t->len > SEND_TODO_NUM_MAX) return 0;
      for (i = 0; i < t->len; i++) if (t->val[i] < '0' || t->val[i] > '9') return 0;
      return 1;
    case 'F':
      if (t->seen_f) return 0;
      t->seen_f = 1;
      return 1;
    default:
      return 1;
  }
}

int send_todo_feed(send_todo *t, char const *s, size_t n, size_t *used)
{
  size_t i = 0;
  while (i < n) {
    char c = s[i++];
    if (t->state == 2) { *used = i; return -1; }
    if (t->state == 0) {
      switch (c) {
        case 'u': case 'p': case 'F': break;
        case 'T': if (!t->seen_f) { *used = i; return -1; } break;
        case 0: t->state = 2; continue;
        default: *used = i; return -1;
      }
      t->type = c;
      t->len = 0;
      t->state = 1;
      continue;
    }
    if (!c) {
      t->val[t->len] = 0;
      t->state = 0;
      *used = i;
      return valid_record(t) ? 1 : -1;
    }
    if (t->len >= SEND_TODO_FIELD_MAX) { *used = i; return -1; }
    t->val[t->len++] = c;
  }
  *used = i;
  return 0;
}

int send_todo_finish(send_todo const *t)
{
  return t->seen_f && t->state != 1 ? 1 : -1;
}
