/* qmail-qread: lists the queue for an operator: each message with its date, id,
 * size and sender, then each recipient, local or remote, done or pending; messages
 * still in todo/ are listed from their envelope as not yet preprocessed. Runs as
 * root or qmails (info/, local/, remote/ are qmails' alone). Reads queue files
 * only, never changes them, and prints their bytes only after making them safe. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "qm_conf.h"
#include "qm_exit.h"
#include "qm_queue.h"
#include "qread_fmt.h"

#define USAGE "qmail-qread"

char const *PROG = "qmail-qread";

struct qr {
  stralloc out;       /* the lines of one message */
  stralloc file;      /* a queue file read whole */
  int trouble;        /* something could not be read: exit 111 */
};

static void nomem(void)
{
  strerr_dief1x(QM_EXIT_TEMP, "out of memory");
}

static void flush_out(struct qr *q)
{
  if (buffer_put(buffer_1, q->out.s, q->out.len) < 0 || !buffer_flush(buffer_1))
    strerr_diefu1sys(QM_EXIT_TEMP, "write to stdout");
  q->out.len = 0;
}

/* Reads path whole into q->file: 1 read, 0 gone (the message left meanwhile),
 * -1 trouble (warned). */
static int slurp(struct qr *q, char const *path)
{
  struct stat st;
  int ok, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  q->file.len = 0;
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    strerr_warnwu2sys("open ", path);
    q->trouble = 1;
    return -1;
  }
  ok = fstat(fd, &st) == 0;
  if (ok && !S_ISREG(st.st_mode)) { errno = EINVAL; ok = 0; }   /* not a queue file */
  if (ok && (unsigned long long)st.st_size > QREAD_FILE_MAX) { errno = EFBIG; ok = 0; }
  if (!ok) {
    strerr_warnwu2sys("read ", path);
    close(fd);
    q->trouble = 1;
    return -1;
  }
  for (;;) {
    ssize_t r;
    if (!stralloc_readyplus(&q->file, 65536)) nomem();
    r = read(fd, q->file.s + q->file.len, 65536);
    if (r < 0) {
      if (errno == EINTR) continue;
      strerr_warnwu2sys("read ", path);
      close(fd);
      q->trouble = 1;
      return -1;
    }
    if (!r) break;
    q->file.len += (size_t)r;
    if (q->file.len > QREAD_FILE_MAX) {
      errno = EFBIG;
      strerr_warnwu2sys("read ", path);
      close(fd);
      q->trouble = 1;
      return -1;
    }
  }
  close(fd);
  return 1;
}

/* stat of a queue file: 1 found, 0 gone (the message left meanwhile), -1 trouble
 * (warned). */
static int qstat(struct qr *q, char const *path, struct stat *st)
{
  if (stat(path, st) == 0) return 1;
  if (errno == ENOENT) return 0;
  strerr_warnwu2sys("stat ", path);
  q->trouble = 1;
  return -1;
}

/* Size of mess/S/N: 1 found, 0 gone, -1 trouble. */
static int messbytes(struct qr *q, unsigned long id, unsigned long long *bytes)
{
  char path[QM_QUEUE_PATH_MAX];
  struct stat st;
  qm_queue_mess(path, id);
  if (qstat(q, path, &st) <= 0) return 0;
  *bytes = (unsigned long long)st.st_size;
  return 1;
}

/* First record of q->file if it starts with want: the sender. */
static void find_sender(struct qr *q, char want, char const **s, size_t *len)
{
  size_t pos = 0, alen;
  char letter;
  char const *addr;
  *s = "?";
  *len = 1;
  while (qread_record(q->file.s, q->file.len, &pos, &letter, &addr, &alen) > 0)
    if (letter == want) {
      *s = addr;
      *len = alen;
      return;
    }
}

static void list_channel(struct qr *q, char const *kind, unsigned long id)
{
  char path[QM_QUEUE_PATH_MAX];
  size_t pos = 0, alen;
  char letter;
  char const *addr;
  qm_queue_path_split(path, kind, id);
  if (slurp(q, path) <= 0) return;
  while (qread_record(q->file.s, q->file.len, &pos, &letter, &addr, &alen) > 0) {
    if (letter != 'T' && letter != 'D') continue;
    if (!qread_fmt_rcpt(&q->out, letter == 'D', kind, addr, alen)) nomem();
  }
}

static void list_preprocessed(struct qr *q, unsigned long id)
{
  char path[QM_QUEUE_PATH_MAX];
  char const *sender;
  size_t senderlen;
  unsigned long long bytes;
  struct stat st;
  enum qread_state state = QREAD_PREPROCESSED;

  qm_queue_todo(path, id);
  if (!lstat(path, &st)) return;     /* still in todo/: listed from there */
  qm_queue_info(path, id);
  if (qstat(q, path, &st) <= 0) return;
  if (messbytes(q, id, &bytes) <= 0) return;
  qm_queue_bounce(path, id);
  {
    struct stat bst;
    if (!stat(path, &bst)) state = QREAD_BOUNCING;
  }
  qm_queue_info(path, id);
  if (slurp(q, path) <= 0) return;
  find_sender(q, 'F', &sender, &senderlen);
  if (!qread_fmt_msg(&q->out, st.st_mtime, id, bytes, sender, senderlen, state)) nomem();
  list_channel(q, "local", id);
  list_channel(q, "remote", id);
  flush_out(q);
}

static void list_todo(struct qr *q, unsigned long id)
{
  char path[QM_QUEUE_PATH_MAX];
  char const *sender, *addr;
  size_t senderlen, pos = 0, alen;
  unsigned long long bytes;
  struct stat st;
  char letter;
  qm_queue_todo(path, id);
  if (qstat(q, path, &st) <= 0) return;
  if (messbytes(q, id, &bytes) <= 0) return;
  if (slurp(q, path) <= 0) return;
  find_sender(q, 'F', &sender, &senderlen);
  if (!qread_fmt_msg(&q->out, st.st_mtime, id, bytes, sender, senderlen, QREAD_TODO)) nomem();
  while (qread_record(q->file.s, q->file.len, &pos, &letter, &addr, &alen) > 0)
    if (letter == 'T' && !qread_fmt_rcpt(&q->out, 0, "todo", addr, alen)) nomem();
  flush_out(q);
}

static void scan(struct qr *q, char const *dir, void (*each)(struct qr *, unsigned long))
{
  DIR *d = opendir(dir);
  struct dirent *de;
  if (!d) {
    strerr_warnwu2sys("open ", dir);
    q->trouble = 1;
    return;
  }
  for (;;) {
    unsigned long id;
    errno = 0;
    de = readdir(d);
    if (!de) break;
    if (qm_queue_scanid(de->d_name, &id)) each(q, id);
  }
  if (errno) {
    strerr_warnwu2sys("read ", dir);
    q->trouble = 1;
  }
  closedir(d);
}

int main(int argc, char const *const *argv)
{
  struct qr q = { STRALLOC_ZERO, STRALLOC_ZERO, 0 };
  unsigned long s;
  (void)argv;
  if (argc > 1) strerr_dieusage(QM_EXIT_PERM, USAGE);
  if (chdir(QM_HOME) < 0) strerr_diefu2sys(QM_EXIT_TEMP, "chdir to ", QM_HOME);
  if (chdir("queue") < 0) strerr_diefu3sys(QM_EXIT_TEMP, "chdir to ", QM_HOME, "/queue");
  for (s = 0; s < QM_SPLIT; s++) {
    char dir[QM_QUEUE_PATH_MAX];
    qm_queue_path_splitdir(dir, "info", s);
    scan(&q, dir, list_preprocessed);
  }
  scan(&q, "todo", list_todo);
  return q.trouble ? QM_EXIT_TEMP : 0;
}
