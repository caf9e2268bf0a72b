#!/bin/bash
# The scheduler under load, with real local delivery into a Maildir: 10,000 messages
# queued through qmail-queue as fast as four writers can all arrive, each exactly
# once; the time from the first injection to the last delivery is printed.
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new
PY=$QM_SRC/tests/e2e/send_e2e.py
LOG=$INST.sendlog
U=qmloadt
H=$QM_HOME/home-$U
created=
if ! getent passwd $U > /dev/null; then
  useradd -M -d "$H" -s /bin/sh -c "mail suite load test" $U || { fail t_deliver_load "useradd $U failed"; exit 1; }
  created=1
else
  usermod -d "$H" $U
fi
cleanup() { inst_cleanup; rm -f "$LOG"; [ -n "$created" ] && userdel $U 2>/dev/null; }
trap cleanup EXIT
mkdir -p "$H"; chown $U: "$H"; chmod 0755 "$H"
run_as $U mkdir -p "$H/Maildir/new" "$H/Maildir/cur" "$H/Maildir/tmp"
printf './Maildir/\n' > "$H/.qmail"; chown $U: "$H/.qmail"

start_send() {
  "$QM_HOME/bin/qmail-start" ./Maildir/ >> "$LOG" 2>&1 &
  SEND_PID=$!
  INST_PIDS="$INST_PIDS $SEND_PID"
}
queued() { find "$QM_HOME/queue/info" "$QM_HOME/queue/todo" -type f | wc -l; }
delivered() { ls "$H/Maildir/new" | wc -l; }
# drain WANT SECONDS: until WANT files are in the Maildir and the queue is empty
drain() {
  for i in $(seq 1 $(($2 * 10))); do
    [ "$(delivered)" -ge "$1" ] && [ "$(queued)" = 0 ] && return 0
    # a killed qmail-local is a deferral, retried on the schedule: make it due now
    [ $((i % 20)) = 0 ] && kill -ALRM $SEND_PID 2>/dev/null
    sleep 0.1
  done
  return 1
}

: > "$LOG"
start_send
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

kill -TERM $SEND_PID; wait $SEND_PID 2>/dev/null
