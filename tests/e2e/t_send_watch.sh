#!/bin/bash
# qmail-send watches todo/ with inotify: a message whose trigger pull never arrived
# is still delivered at once; when the watch lost events (a queue of 8 events,
# qmail-send stopped while 30 messages arrive) a whole reading of todo/ finds them
# all; without inotify (no instance left for qmail-send's user) lock/trigger is
# read again and mail still flows. While the watch runs nobody reads the trigger,
# so qmail-queue's pull is a cheap ENXIO.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/ops_lib.sh"
need_root
inst_new
. "$QM_SRC/tests/e2e/send_lib.sh"
send_user qmwatcht
printf './Maildir/\n' > "$H/.qmail"; chown $U: "$H/.qmail"
Q=$QM_HOME/queue
QUEUED=/proc/sys/fs/inotify/max_queued_events
INSTANCES=/proc/sys/fs/inotify/max_user_instances
old_queued=$(cat $QUEUED) old_instances=$(cat $INSTANCES)
trap 'echo "$old_queued" > $QUEUED; echo "$old_instances" > $INSTANCES; inst_cleanup; rm -f "$LOG"; userdel $U 2>/dev/null' EXIT

# trigger_read: 0 when lock/trigger has a reader (opening it for writing works)
trigger_read() {
  python3 -c 'import os, sys
try: os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)); sys.exit(0)
except OSError: sys.exit(1)' "$Q/lock/trigger"
}
send_pid() { ours qmail-send | cut -d' ' -f1; }
# up: qmail-send runs and holds its watch or the trigger
up() { p=$(send_pid); [ -n "$p" ] && ls -l "/proc/$p/fd" 2>/dev/null | grep -q -e inotify -e lock/trigger; }
stop_send() {
  kill "$SEND_PID" 2>/dev/null
  for _ in $(seq 1 100); do [ -z "$(send_pid)" ] && break; sleep 0.1; done
  wait "$SEND_PID" 2>/dev/null
  : > "$LOG"
}
at_least() { [ "$(delivered)" -ge "$1" ]; }

start_send
wait_for up || fail send_watch_start "qmail-send did not start: $(tail -n 3 "$LOG")"
if trigger_read; then fail send_watch_trigger_idle "lock/trigger has a reader while todo/ is watched"
else pass send_watch_trigger_idle; fi

# a message whose trigger pull finds no FIFO
mv "$Q/lock/trigger" "$Q/lock/trigger.away"
queue_msg sender@example.org $U@example.org || fail send_watch_no_trigger "qmail-queue failed"
mv "$Q/lock/trigger.away" "$Q/lock/trigger"
for _ in $(seq 1 20); do at_least 1 && break; sleep 0.1; done
at_least 1 && pass send_watch_no_trigger ||
  fail send_watch_no_trigger "not delivered within 2 s without a trigger: $(tail -n 3 "$LOG")"

# lost events: a watch whose queue holds 8 events, 30 messages while it cannot read
stop_send
echo 8 > $QUEUED
start_send
wait_for up || fail send_watch_overflow "qmail-send did not restart: $(tail -n 3 "$LOG")"
echo "$old_queued" > $QUEUED
p=$(send_pid)
kill -STOP "$p"
n0=$(delivered)
for i in $(seq 1 30); do queue_msg sender@example.org $U@example.org || break; done
kill -CONT "$p"
for _ in $(seq 1 50); do at_least $((n0 + 30)) && break; sleep 0.1; done
at_least $((n0 + 30)) && pass send_watch_overflow ||
  fail send_watch_overflow "$(( $(delivered) - n0 )) of 30 delivered within 5 s after the overflow"

# no inotify instance to be had: the trigger is read again
stop_send
echo 0 > $INSTANCES
start_send
wait_for up
echo "$old_instances" > $INSTANCES
n0=$(delivered)
if trigger_read; then
  queue_msg sender@example.org $U@example.org
  for _ in $(seq 1 20); do at_least $((n0 + 1)) && break; sleep 0.1; done
  at_least $((n0 + 1)) && pass send_watch_fallback ||
    fail send_watch_fallback "not delivered within 2 s through the trigger: $(tail -n 3 "$LOG")"
else
  fail send_watch_fallback "without a watch, lock/trigger has no reader"
fi
stop_send
