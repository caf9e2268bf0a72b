#!/bin/bash
# The scheduler in a whole instance: qmail-start wires qmail-send, qmail-clean and
# qmail-lspawn; queued mail is preprocessed (todo/ gone, info/local/remote written),
# logged in qmail's words, delivered to a Maildir when qmail-local is installed,
# qmail-rspawn is started as qmailr (remote mail stays queued without it), SIGTERM exits cleanly, and a
# restart picks the queue up again (SIGALRM retries at once).
. "$QM_SRC/tests/e2e/lib.sh"
inst_new
Q=$QM_HOME/queue
LOG=$INST.sendlog
split=$(head -n 1 "$QM_SRC/conf-files/conf-split")

# queue_msg SENDER RCPT: through qmail-queue when it is built, else by hand exactly
# as qmail-queue leaves a message (mess/S/N, intd/N linked to todo/N). Prints N.
queue_msg() {
  if [ -x "$QM_HOME/bin/qmail-queue" ]; then
    before=$(ls "$Q/todo" "$Q"/info/* 2>/dev/null | sort)
    printf 'Subject: test\n\nhello\n' | python3 -c '
import os, sys, subprocess
s, r = sys.argv[1], sys.argv[2]
env = ("F" + s + "\0T" + r + "\0\0").encode()
rd, wr = os.pipe()
os.write(wr, env); os.close(wr)
p = subprocess.run([sys.argv[3]], stdin=sys.stdin, stdout=rd)
sys.exit(p.returncode)' "$1" "$2" "$QM_HOME/bin/qmail-queue" || return 1
    comm -13 <(echo "$before") <(ls "$Q/todo" "$Q"/info/* 2>/dev/null | sort) | grep -E '^[0-9]+$' | tail -n 1
    return 0
  fi
  tmp=$Q/pid/e2e.$$
  run_as qmailq sh -c "printf 'Received: (qmail 1 invoked by uid 0); 1 Jan 2024 00:00:00 -0000\nSubject: test\n\nhello\n' > $tmp" || return 1
  n=$(stat -c %i "$tmp")
  run_as qmailq ln "$tmp" "$Q/mess/$((n % split))/$n" && rm -f "$tmp"
  run_as qmailq sh -c "printf 'u0\0p1\0F%s\0T%s\0' '$1' '$2' > $Q/intd/$n && ln $Q/intd/$n $Q/todo/$n" || return 1
  echo "$n"
}

start_send() {
  "$QM_HOME/bin/qmail-start" ./Maildir/ >> "$LOG" 2>&1 &
  SEND_PID=$!
  INST_PIDS="$INST_PIDS $SEND_PID"
}

# wait_log PATTERN [SECONDS]: until the log has a line matching PATTERN
wait_log() {
  for _ in $(seq 1 $((${2:-10} * 10))); do grep -qE "$1" "$LOG" && return 0; sleep 0.1; done
  return 1
}

: > "$LOG"
# postmaster goes to ~alias/.qmail-postmaster, as in every qmail installation.
mkdir -p "$QM_HOME/alias/Maildir/new" "$QM_HOME/alias/Maildir/cur" "$QM_HOME/alias/Maildir/tmp"
chown -R alias "$QM_HOME/alias/Maildir"
echo ./Maildir/ > "$QM_HOME/alias/.qmail-postmaster"
id1=$(queue_msg sender@example.net postmaster@example.org)
id2=$(queue_msg '' bob@remote.test)
[ -n "$id1" ] && [ -n "$id2" ] && pass send_queue_setup || { fail send_queue_setup "could not queue"; exit 1; }

start_send
wait_log "^info msg $id2: " && pass send_preprocess_log || fail send_preprocess_log "no info line for $id2"
wait_log "^starting delivery [0-9]+: msg $id1 to local postmaster@example.org$" &&
  pass send_local_start || fail send_local_start "no starting delivery line for $id1"
grep -qE "^new msg $id1$" "$LOG" && grep -qE "^info msg $id1: bytes [0-9]+ from <sender@example.net> qp [0-9]+ uid [0-9]+$" "$LOG" &&
  pass send_log_words || fail send_log_words "new/info lines not in qmail's words"
# qmail-clean removes todo/N and intd/N once preprocessing is durable; a delivery may
# start before it has done so.
for _ in $(seq 1 50); do [ -z "$(ls "$Q/todo" "$Q/intd")" ] && break; sleep 0.1; done
[ -z "$(ls "$Q/todo")" ] && [ -z "$(ls "$Q/intd")" ] && pass send_todo_cleaned ||
  fail send_todo_cleaned "todo: $(ls "$Q/todo") intd: $(ls "$Q/intd")"
[ -f "$Q/remote/$((id2 % split))/$id2" ] && [ "$(stat -c %U:%a "$Q/remote/$((id2 % split))/$id2")" = qmails:600 ] &&
  pass send_remote_queued || fail send_remote_queued "remote/$((id2 % split))/$id2 missing or wrong owner"
# qmail-start runs qmail-rspawn as qmailr, as a child of the process that became
# qmail-send, and qmail-send then has no reason to say it is missing
if [ -x "$QM_HOME/bin/qmail-rspawn" ]; then
  rs=$(ps -o user=,args= --ppid "$SEND_PID" | awk '$2 == "qmail-rspawn" { print $1 }')
  [ "$rs" = qmailr ] && ! grep -q "^alert: no qmail-rspawn" "$LOG" && pass send_rspawn_started ||
    fail send_rspawn_started "qmail-rspawn children of qmail-send: '${rs:-none}'"
else
  grep -q "^alert: no qmail-rspawn" "$LOG" && pass send_no_rspawn_logged || fail send_no_rspawn_logged "no alert line"
fi
if [ -x "$QM_HOME/bin/qmail-local" ] && [ -x "$QM_HOME/bin/qmail-getpw" ]; then
  if wait_log "^delivery [0-9]+: success: " 15; then
    pass send_local_success
    wait_log "^end msg $id1$" && pass send_end_msg || fail send_end_msg "no end msg line"
    n=$(find "$QM_HOME/alias/Maildir/new" -type f 2>/dev/null | wc -l)
    [ "$n" -ge 1 ] && pass send_maildir || fail send_maildir "nothing in alias/Maildir/new"
  else fail send_local_success "$(grep '^delivery' "$LOG" | tail -n 1)"; fi
else
  wait_log "^delivery [0-9]+: deferral: " && pass send_local_deferral || fail send_local_deferral "no deferral line"
  skip send_maildir "qmail-local and qmail-getpw are not built in this tree"
fi

kill -TERM "$SEND_PID"
for _ in $(seq 1 50); do kill -0 "$SEND_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SEND_PID" 2>/dev/null; then fail send_sigterm "still running 5 s after SIGTERM"
else
  wait "$SEND_PID"; rc=$?
  [ "$rc" = 0 ] && tail -n 1 "$LOG" | grep -q '^status: exiting$' && pass send_sigterm ||
    fail send_sigterm "exit $rc, last line: $(tail -n 1 "$LOG")"
fi
sleep 0.3
pgrep -f "$QM_HOME/bin/qmail-(lspawn|clean)" > /dev/null && fail send_partners_exit "partners still running" ||
  pass send_partners_exit

# restart: the remote job is still there; a message queued while we were down is
# picked up at start; SIGALRM makes everything due at once.
id3=$(queue_msg sender@example.net nobody-such@example.org)
mark=$(wc -l < "$LOG")
start_send
wait_log "^new msg $id3$" && pass send_restart_todo || fail send_restart_todo "no new msg for $id3"
[ -f "$Q/remote/$((id2 % split))/$id2" ] && pass send_restart_remote_kept || fail send_restart_remote_kept "remote job lost"
if ! [ -x "$QM_HOME/bin/qmail-local" ]; then
  sleep 0.5
  kill -ALRM "$SEND_PID"
  for _ in $(seq 1 50); do
    tail -n +$((mark + 1)) "$LOG" | grep -qE "^starting delivery [0-9]+: msg $id1 to local" && break; sleep 0.1
  done
  tail -n +$((mark + 1)) "$LOG" | grep -qE "^starting delivery [0-9]+: msg $id1 to local" &&
    pass send_restart_resumes || fail send_restart_resumes "msg $id1 not retried after SIGALRM"
fi
# a bounce: with queuelifetime 0 (read again at SIGHUP) the second pass is the last,
# its deferral becomes a failure that keeps its 4.x.x status (RFC 3464: the last
# attempt's code), and the sender gets one RFC 3464 report. The sender
# is remote, so the report waits in the remote queue where we can read it.
if [ -x "$QM_HOME/bin/qmail-queue" ] && ! [ -x "$QM_HOME/bin/qmail-local" ]; then
  echo 0 > "$QM_HOME/control/queuelifetime"
  kill -HUP "$SEND_PID"
  sleep 0.2
  id4=$(queue_msg bob@remote.test postmaster@example.org)
  wait_log "^starting delivery [0-9]+: msg $id4 to local" || fail send_bounce "msg $id4 never started"
  wait_log "^delivery [0-9]+: deferral: " || true
  sleep 1.1
  kill -ALRM "$SEND_PID"
  if wait_log "^bounce msg $id4 qp [0-9]+$" 10; then
    pass send_bounce_logged
    wait_log "^end msg $id4$" && pass send_bounce_end || fail send_bounce_end "no end msg $id4"
    # messages queued earlier expire too and bounce to their own senders: pick ours
    dsn=$(grep -l "^To: <bob@remote.test>$" "$Q"/mess/*/* 2>/dev/null | head -n 1)
    if [ -n "$dsn" ]; then
      ok=1
      for want in '^Content-Type: multipart/report; report-type=delivery-status;$' \
                  '^Content-Type: message/delivery-status$' '^Reporting-MTA: dns; mail.example.org$' \
                  '^Arrival-Date: ' '^Action: failed$' '^Status: 4\.[0-9]+\.[0-9]+$' '^Diagnostic-Code: ' \
                  '^Final-Recipient: rfc822; postmaster@example.org$' "I'm not going to try again" \
                  '^Content-Type: message/rfc822$' '^Subject: test$'; do
        grep -qE "$want" "$dsn" || { fail send_bounce_dsn "no line matching $want"; ok=0; }
      done
      [ $ok = 1 ] && pass send_bounce_dsn
    else fail send_bounce_dsn "no queued report to bob@remote.test"; fi
  else fail send_bounce_logged "no bounce line for $id4: $(tail -n 3 "$LOG" | tr '\n' '|')"; fi
  rm -f "$QM_HOME/control/queuelifetime"
fi
# a second qmail-send on the same queue must refuse to run
out=$(cd / && setpriv --reuid=qmails --regid=qmail --clear-groups "$QM_HOME/bin/qmail-send" 0>&1 1>/dev/null 5>/dev/null 6</dev/null 2>/dev/null)
echo "$out" | grep -q "alert: cannot start: qmail-send is already running" && pass send_mutex ||
  fail send_mutex "second qmail-send said: $out"
kill -TERM "$SEND_PID"; wait "$SEND_PID" 2>/dev/null
rm -f "$LOG"
