/* What inotify says about todo/: the ids of entries that appeared. qmail-send
 * watches todo/ so that a new message costs it one event instead of a reading of
 * the whole directory (whose size on ext4 is that of its largest backlog ever).
 * Pure: the caller reads the descriptor. The events come from the kernel, but the
 * walk is bounded as for any other input. */
#ifndef SEND_INOTIFY_H
#define SEND_INOTIFY_H

#include <stddef.h>
#include <stdint.h>

#define SEND_INOTIFY_MASK 0x00000180U   /* IN_CREATE | IN_MOVED_TO */

#define SEND_INOTIFY_RESCAN 1   /* events were lost or cannot be trusted: read todo/ */
#define SEND_INOTIFY_GONE 2     /* the watch ended (todo/ removed, moved, unmounted) */

/* Walks len bytes of inotify event records in buf and stores in ids (up to max)
 * the ids named by IN_CREATE or IN_MOVED_TO events; other names and events are
 * skipped. Returns the count; *flags gets SEND_INOTIFY_RESCAN for an overflow, a
 * record running past len or more ids than max, and SEND_INOTIFY_GONE (with
 * RESCAN) when the watch ended. */
size_t send_inotify_ids(char const *buf, size_t len, uint64_t *ids, size_t max, int *flags);

#endif
