#include <string.h>
#include <sys/inotify.h>

#include "qm_queue.h"
#include "send_inotify.h"

#define NAME_MAX_ID 24   /* a 64-bit id has at most 20 digits */

size_t send_inotify_ids(char const *buf, size_t len, uint64_t *ids, size_t max, int *flags)
{
  size_t off = 0, n = 0;
  *flags = 0;
  while (off < len) {
    struct inotify_event ev;
    char name[NAME_MAX_ID + 1];
    size_t namelen;
    unsigned long id;
    if (len - off < sizeof ev) { *flags |= SEND_INOTIFY_RESCAN; break; }
    memcpy(&ev, buf + off, sizeof ev);   /* buf need not be aligned */
    off += sizeof ev;
    if (ev.len > len - off) { *flags |= SEND_INOTIFY_RESCAN; break; }
    if (ev.mask & IN_Q_OVERFLOW) *flags |= SEND_INOTIFY_RESCAN;
    if (ev.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT))
      *flags |= SEND_INOTIFY_GONE | SEND_INOTIFY_RESCAN;
    namelen = ev.len ? strnlen(buf + off, ev.len) : 0;
    if ((ev.mask & (IN_CREATE | IN_MOVED_TO)) && !(ev.mask & IN_ISDIR) && namelen && namelen <= NAME_MAX_ID) {
      memcpy(name, buf + off, namelen);
      name[namelen] = 0;
      if (qm_queue_scanid(name, &id)) {
        if (n < max) ids[n++] = id;
        else *flags |= SEND_INOTIFY_RESCAN;
      }
    }
    off += ev.len;
  }
  return n;
}
