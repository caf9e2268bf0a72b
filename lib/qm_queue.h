/* The queue's names and the two small rituals every queue writer shares: making a
 * directory entry durable (fsync of the directory) and waking qmail-send through
 * lock/trigger. Paths are relative to HOME/queue, which callers chdir to first.
 * Ids are mess/ inode numbers; nothing here trusts a name it did not format or parse
 * strictly itself. */
#ifndef QM_QUEUE_H
#define QM_QUEUE_H

#include <stddef.h>

#include "qm_conf.h"

/* Big enough for "remote/999/18446744073709551615" and any other queue name. */
#define QM_QUEUE_PATH_MAX 48

/* The split subdirectory of a message: id mod conf-split. */
static inline unsigned long qm_queue_split(unsigned long id)
{
  return id % QM_SPLIT;
}

/* "dir/S/N" (split) or "dir/N" (flat) into buf (QM_QUEUE_PATH_MAX bytes), NUL
 * terminated; returns the length without the NUL. dir must be one of the queue's
 * own short names (at most 8 bytes), never input. */
size_t qm_queue_path_split(char *buf, char const *dir, unsigned long id);
size_t qm_queue_path_flat(char *buf, char const *dir, unsigned long id);
/* "dir/S": the directory holding a split name, for qm_queue_fsyncdir. */
size_t qm_queue_path_splitdir(char *buf, char const *dir, unsigned long id);

static inline size_t qm_queue_mess(char *buf, unsigned long id) { return qm_queue_path_split(buf, "mess", id); }
static inline size_t qm_queue_info(char *buf, unsigned long id) { return qm_queue_path_split(buf, "info", id); }
static inline size_t qm_queue_local(char *buf, unsigned long id) { return qm_queue_path_split(buf, "local", id); }
static inline size_t qm_queue_remote(char *buf, unsigned long id) { return qm_queue_path_split(buf, "remote", id); }
static inline size_t qm_queue_intd(char *buf, unsigned long id) { return qm_queue_path_flat(buf, "intd", id); }
static inline size_t qm_queue_todo(char *buf, unsigned long id) { return qm_queue_path_flat(buf, "todo", id); }
static inline size_t qm_queue_bounce(char *buf, unsigned long id) { return qm_queue_path_flat(buf, "bounce", id); }

/* Parses a directory entry name as an id: decimal digits only, no sign, no leading
 * zero (so every id has exactly one name), fitting an unsigned long. 1 ok, 0 not an
 * id (dot files, editor debris, overlong numbers). */
int qm_queue_scanid(char const *name, unsigned long *id);

/* fsync of a directory, so that a link, create or unlink in it survives a crash.
 * 1 ok, 0 with errno set. */
int qm_queue_fsyncdir(char const *path);

/* Wakes qmail-send: opens lock/trigger write-only without blocking, writes one byte,
 * closes. Nobody listening (ENXIO) or a full FIFO is fine: qmail-send scans todo/
 * anyway. The caller must ignore SIGPIPE. 1 pulled or nobody listening, 0 with
 * errno set on any other failure (callers normally ignore it too). */
int qm_queue_trigger(void);

#endif
