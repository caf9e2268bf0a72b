/* Removing files without waiting for their blocks to be freed. The last close of
 * an unlinked file frees its blocks, and on a file system mounted with discard
 * that close waits for the device to discard them: long enough to stall a
 * program's loop. qm_unlink_later unlinks while holding a descriptor and leaves
 * that close to a thread that does nothing else (qm_closer_start). */
#ifndef QM_CLOSER_H
#define QM_CLOSER_H

#define QM_CLOSER_MAX 64   /* descriptors waiting for the thread; beyond, closed in place */

/* Starts the thread. 1, or 0 when it cannot be (every close then happens in place). */
int qm_closer_start(void);

/* Closes fd (< 0: nothing) in the thread, or here when it is not running or has
 * QM_CLOSER_MAX waiting. */
void qm_close_later(int fd);

/* Unlinks path, holding fd (open on it; -1: opened here if the file is there),
 * whose close then goes to qm_close_later. 1 removed or not there, 0 on failure
 * (errno set; fd closed). */
int qm_unlink_later(char const *path, int fd);

/* Descriptors handed to the thread and not yet closed. */
unsigned int qm_closer_waiting(void);

#endif
