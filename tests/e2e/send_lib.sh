# Shared by the scheduler's end-to-end tests (t_deliver*.sh), sourced after lib.sh:
# a real test user with a home inside the instance, and qmail-send started on it.
# send_user NAME: creates (or reuses) NAME with home $H=$QM_HOME/home-NAME and a
# Maildir there; removes the user and the log at exit if this test created it.
send_user() {
  U=$1
  H=$QM_HOME/home-$U
  PY=$QM_SRC/tests/e2e/send_e2e.py
  LOG=$INST.sendlog
  created=
  if ! getent passwd $U > /dev/null; then
    useradd -M -d "$H" -s /bin/sh -c "mail suite scheduler test" $U || { fail "${0##*/}" "useradd $U failed"; exit 1; }
    created=1
  else
    usermod -d "$H" $U 2>/dev/null
  fi
  trap 'inst_cleanup; rm -f "$LOG"; [ -n "$created" ] && userdel $U 2>/dev/null' EXIT
  mkdir -p "$H"; chown $U: "$H"; chmod 0755 "$H"
  run_as $U mkdir -p "$H/Maildir/new" "$H/Maildir/cur" "$H/Maildir/tmp"
  : > "$LOG"
}

# start_send: qmail-start with ./Maildir/ as the default delivery; sets SEND_PID.
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

# For the remote tests: queue_msg SENDER RCPT... puts one small message into the
# queue through qmail-queue; result RCPT is the last result line qmail-send logged
# for RCPT's remote delivery; wait_for CMD... retries CMD for 15 seconds.
queue_msg() { # sender rcpt...
  printf 'Subject: remote test\nMessage-ID: <%s@e2e.test>\n\nhello\n' "$RANDOM$RANDOM" | python3 -c '
import os, sys, subprocess
env = ("F" + sys.argv[1] + "\0" + "".join("T" + r + "\0" for r in sys.argv[3:]) + "\0").encode()
rd, wr = os.pipe()
os.write(wr, env); os.close(wr)
sys.exit(subprocess.run([sys.argv[2]], stdin=sys.stdin, stdout=rd).returncode)' "$1" "$QM_HOME/bin/qmail-queue" "${@:2}"
}
wait_for() { for _ in $(seq 1 150); do "$@" && return 0; sleep 0.1; done; return 1; }
result() { # rcpt -> the last "success: ..." etc. for it
  d=$(sed -n "s/^starting delivery \([0-9]*\): msg [0-9]* to remote $1\$/\1/p" "$LOG" | tail -n 1)
  [ -n "$d" ] && sed -n "s/^delivery $d: //p" "$LOG" | tail -n 1
}
has_result() { [ -n "$(result "$1")" ]; }
