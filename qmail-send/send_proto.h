/* The byte protocols between qmail-send and its partners (QMAIL-INTERFACES 4.4,
 * 4.5): spawner commands and replies, qmail-clean commands and replies. Encoders
 * for the writing side, incremental decoders for the reading side that accept any
 * split of the input (short reads) and hold at most the limits below. */
#ifndef SEND_PROTO_H
#define SEND_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>

#define SEND_PATH_MAX 100        /* "S/N" relative to queue/mess */
#define SEND_FIELD_MAX 4096      /* sender or recipient in a spawner command */
#define SEND_REPORT_MAX 10000    /* reply text kept; the rest is read and dropped */
#define SEND_CLEAN_MAX 100       /* a qmail-clean command, NUL included */

/* --- spawner command: <slot><S>/<N>\0<sender>\0<recipient>\0 ------------------- */
/* A command for several recipients (the remote channel only) says how many in its
 * path, <S>/<N>:<k>, and carries k recipients, each ending in NUL; the spawner
 * answers it with k replies on the same slot, in recipient order. */
#define SEND_RCPTS_MAX 100       /* recipients in one command */
#define SEND_RCPTS_BYTES 65536   /* their bytes in one command, NULs included */

typedef struct send_cmd_s {
  unsigned int state;            /* 0 slot, 1 path, 2 sender, 3 recipients, 4 done */
  unsigned char slot;
  unsigned int want;             /* recipients announced by the path */
  unsigned int nrcpt;            /* recipients complete */
  size_t pathlen, senderlen;
  size_t rcptlen;                /* bytes in rcpt, complete recipients' NULs included */
  size_t curlen;                 /* length of the recipient being read */
  char path[SEND_PATH_MAX + 1];
  char sender[SEND_FIELD_MAX + 1];
  char rcpt[SEND_RCPTS_BYTES];   /* the recipients, each NUL-terminated once complete;
                                    rcpt itself is the first one as a C string */
} send_cmd;

void send_cmd_init(send_cmd *c);
/* Consumes bytes from s (n of them) and sets *used. 1: a command is complete (the
 * rest of s is left for the next one; call send_cmd_init first); 0: all consumed,
 * need more; -1: a field is over its limit or the recipient count is invalid (the
 * stream cannot be trusted further). */
int send_cmd_feed(send_cmd *c, char const *s, size_t n, size_t *used);
/* Appends a command for message id (directory id % split). Returns 1, or 0 with
 * errno EINVAL (a NUL in a field, a field over its limit, split 0) or ENOMEM. */
int send_cmd_encode(stralloc *sa, unsigned char slot, uint64_t id, unsigned int split,
                    char const *sender, size_t slen, char const *rcpt, size_t rlen);
/* The same for n recipients (1..SEND_RCPTS_MAX, their bytes with NULs at most
 * SEND_RCPTS_BYTES); n == 1 gives exactly send_cmd_encode's bytes. */
int send_cmd_encode_list(stralloc *sa, unsigned char slot, uint64_t id, unsigned int split,
                         char const *sender, size_t slen, char const *const *rcpt,
                         size_t const *rlen, unsigned int n);
/* The i-th recipient (0 <= i < nrcpt) of a complete command. */
char const *send_cmd_rcpt(send_cmd const *c, unsigned int i);
/* The spawner's checks of a complete command, except the slot (the spawner's own
 * table): 0 if fine, else a reply text (letter first) for every recipient. */
char const *send_cmd_check(send_cmd const *c);

/* --- spawner reply: <slot><K|Z|D><text>\0 --------------------------------------- */
typedef struct send_reply_s {
  unsigned int state;            /* 0 slot, 1 text, 2 done */
  unsigned char slot;
  size_t len;                    /* bytes kept in text (letter included) */
  int truncated;                 /* the spawner sent more than SEND_REPORT_MAX */
  char text[SEND_REPORT_MAX + 1];
} send_reply;

void send_reply_init(send_reply *r);
/* As send_cmd_feed; never fails: an overlong text is cut, as qmail does. */
int send_reply_feed(send_reply *r, char const *s, size_t n, size_t *used);
/* The outcome letter K, Z or D, or 0 for a mangled report (empty or another letter). */
char send_reply_letter(send_reply const *r);
/* Appends a reply; the text ends at its first NUL. Returns 1, or 0 on ENOMEM. */
int send_reply_encode(stralloc *sa, unsigned char slot, char letter, char const *text, size_t len);

/* --- qmail-clean: todo/<N>\0 or foop/<N>\0, reply + ! or x ----------------------- */
enum { SEND_CLEAN_BAD = 0, SEND_CLEAN_TODO = 1, SEND_CLEAN_FOOP = 2 };

typedef struct send_clean_s {
  size_t len;
  int overlong;
  char buf[SEND_CLEAN_MAX];
} send_clean;

void send_clean_init(send_clean *c);
/* As send_cmd_feed; never fails: an overlong command is read to its NUL and then
 * parsed as SEND_CLEAN_BAD, so the stream stays in step. */
int send_clean_feed(send_clean *c, char const *s, size_t n, size_t *used);
/* Parses a complete command: SEND_CLEAN_TODO or SEND_CLEAN_FOOP with *id set, or
 * SEND_CLEAN_BAD. */
int send_clean_parse(send_clean const *c, uint64_t *id);
int send_clean_encode(stralloc *sa, int kind, uint64_t id);

#endif
