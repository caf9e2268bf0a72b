#!/bin/bash
# The scheduler under load, with real local delivery into a Maildir: 10,000 messages
# queued through qmail-queue as fast as four writers can all arrive, each exactly
# once; the time from the first injection to the last delivery is printed. Once
# the queue is empty qmail-send holds no more descriptors than before the load:
# every queue file it removed was closed too (the last closes go through a thread
# of their own), and so does qmail-clean.
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new
. "$QM_SRC/tests/e2e/send_lib.sh"
send_user qmloadt
printf './Maildir/\n' > "$H/.qmail"; chown $U: "$H/.qmail"
start_send
sendfds() { ls "/proc/$SEND_PID/fd" 2>/dev/null | wc -l; }
cleanfds() { ls "/proc/$(pgrep -x -P "$SEND_PID" qmail-clean)/fd" 2>/dev/null | wc -l; }
sleep 1
fds0=$(sendfds) cfds0=$(cleanfds)
t0=$(date +%s.%N)
out=$(python3 "$PY" load 10000 fast 4 $U@example.org) || fail load_queue "$out"
if drain 10000 90; then
  t1=$(date +%s.%N)
  secs=$(echo "$t1 - $t0" | bc)
  res=$(python3 "$PY" count 10000 fast "$H/Maildir")
  [ "$res" = "missing 0 dup 0" ] && pass "load_10000_delivered ($out; all delivered after $secs s)" ||
    fail load_10000_delivered "$res"
else
  fail load_10000_delivered "after 90 s: $(delivered) delivered, $(queued) queued; $out"
fi

sleep 1
[ "$(sendfds)" = "$fds0" ] && [ "$(cleanfds)" = "$cfds0" ] && [ "$cfds0" -gt 0 ] && pass load_no_fd_left ||
  fail load_no_fd_left "qmail-send held $fds0 descriptors before the load, $(sendfds) after; qmail-clean $cfds0 and $(cleanfds)"

kill -TERM $SEND_PID; wait $SEND_PID 2>/dev/null
