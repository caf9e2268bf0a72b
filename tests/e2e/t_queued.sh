#!/bin/bash
# qmail-queued on a running instance (qmail-queued(8)): messages over SMTP and from
# sendmail are queued by its children, with the client's uid in the Received line;
# while it is down, busy or not the queue's owner, clients run bin/qmail-queue
# themselves; a client that breaks the protocol gets an exit code and queues
# nothing; a restart leaves the messages in flight to finish. To tell the two ways
# apart, bin/qmail-queue is made unrunnable where only the daemon may queue.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/ops_lib.sh"
tree_setup
tree_start || { fail queued_start "$(tail -n 5 "$TREE_OUT")"; exit 1; }
SVC=$QM_HOME/service/qmail-queued
SOCK=$QM_HOME/queued/socket
QQ=$QM_HOME/bin/qmail-queue

s6-svwait -U -t 10000 "$SVC" && [ -S "$SOCK" ] &&
  [ "$(stat -c %U "$QM_HOME/queued")" = qmailq ] && [ "$(stat -c %a "$QM_HOME/queued")" = 755 ] &&
  pass queued_ready || fail queued_ready "$(ls -la "$QM_HOME/queued" 2>&1; tail -n 3 "$QM_HOME/log/qmail-queued/current" 2>&1)"

# queue_empty: nothing in mess/, intd/ or todo/ within 5 s (qmail-clean removes a
# delivered message's files just after its delivery)
queue_empty() {
  for _ in $(seq 1 50); do
    [ "$(queue_count mess)" = 0 ] && [ "$(queue_count intd)" = 0 ] && [ "$(queue_count todo)" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}

# Only the daemon can queue while qmail-queue cannot run.
chmod 0 "$QQ"
n=$(demo_count)
send_smtp 3 && wait_count $((n + 3)) && pass queued_smtp ||
  fail queued_smtp "$(demo_count) of $((n + 3)); $(tail -n 3 "$QM_HOME/log/qmail-smtpd/current")"

nobody_uid=$(id -u nobody)
n=$(demo_count)
printf 'Subject: from a script\n\nhello\n' | run_as nobody "$QM_HOME/bin/sendmail" -f x@example.net demo@mail.example.org
f=
wait_count $((n + 1)) && f=$(ls -t /home/demo/Maildir/new | head -n 1)
[ -n "$f" ] && grep -q "^Received: (qmail [0-9]* invoked by uid $nobody_uid)" "/home/demo/Maildir/new/$f" &&
  pass queued_uid || fail queued_uid "$( [ -n "$f" ] && grep -m 2 '^Received' "/home/demo/Maildir/new/$f")"

# A client that sends no descriptors gets exit code 54 (read error) and nothing
# else happens; one with a broken envelope gets its child's pid, then 91.
out=$(python3 - "$SOCK" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
s.sendall(b"x"); s.settimeout(10)
print("nofds", list(s.recv(16)))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
m, e = os.pipe(), os.pipe()
socket.send_fds(s, [b"q"], [m[0], e[0]]); os.close(m[0]); os.close(e[0])
os.write(m[1], b"Subject: x\n\nbody\n"); os.close(m[1])
os.write(e[1], b"Fa@b\0Xnot a record\0\0"); os.close(e[1])
s.settimeout(10); got = b""
while True:
    b = s.recv(64)
    if not b: break
    got += b
line, _, rest = got.partition(b"\n")
print("badenv", line[:1].decode(), line[1:].isdigit(), list(rest))
PY
)
case $out in *"nofds [54]"*) pass queued_no_fds ;; *) fail queued_no_fds "$out" ;; esac
case $out in *"badenv P True [91]"*) pass queued_bad_envelope ;; *) fail queued_bad_envelope "$out" ;; esac
queue_empty && pass queued_bad_clients_leave_nothing ||
  fail queued_bad_clients_leave_nothing "mess $(queue_count mess) intd $(queue_count intd) todo $(queue_count todo)"
n=$(demo_count)
send_smtp 1 && wait_count $((n + 1)) && pass queued_serves_after_bad_clients ||
  fail queued_serves_after_bad_clients "$(demo_count) of $((n + 1))"

# An SMTP session in DATA while the daemon restarts: its child finishes the work
# and the message arrives once.
n=$(demo_count)
python3 "$QM_SRC/tests/e2e/data_pause.py" 3 finish > "$INST.inflight.out" 2>&1 &
client=$!
sleep 1
s6-svc -r "$SVC" && s6-svwait -U -t 10000 "$SVC"
wait "$client"
grep -q '^250 ' "$INST.inflight.out" && wait_count $((n + 1)) && sleep 1 && [ "$(demo_count)" = $((n + 1)) ] &&
  pass queued_restart_inflight || fail queued_restart_inflight "$(cat "$INST.inflight.out"); $(demo_count) of $((n + 1))"

# A child that crashes makes the daemon start afresh (a new layout for the next
# children); its client hears 81 and the next messages are queued by the new one.
old=$(ours qmail-queued | cut -d' ' -f1)
python3 - "$SOCK" > "$INST.crash.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
m, e = os.pipe(), os.pipe()
socket.send_fds(s, [b"q"], [m[0], e[0]]); os.close(m[0]); os.close(e[0])
s.settimeout(10); print("hello", s.recv(32).decode().strip(), flush=True)
try:
    print("end", list(s.recv(16)), flush=True)
except Exception as x:
    print("end:", repr(x), flush=True)
PY
crashc=$!
for _ in $(seq 1 50); do grep -q '^hello P' "$INST.crash.out" && break; sleep 0.1; done
kill -SEGV "$(sed -n 's/^hello P//p' "$INST.crash.out")"
wait "$crashc"
s6-svwait -U -t 10000 "$SVC"
new=$(ours qmail-queued | cut -d' ' -f1)
n=$(demo_count)
grep -q '^end \[81\]' "$INST.crash.out" && [ -n "$new" ] && [ "$new" != "$old" ] &&
  send_smtp 1 && wait_count $((n + 1)) && queue_empty && pass queued_crash_restarts ||
  fail queued_crash_restarts "$(cat "$INST.crash.out"); daemon $old -> $new; $(tail -n 2 "$QM_HOME/log/qmail-queued/current")"

# A client that drops in the middle of DATA: its child removes what it wrote.
python3 "$QM_SRC/tests/e2e/data_pause.py" 0.5 drop
sleep 1
queue_empty && pass queued_dropped_leaves_nothing ||
  fail queued_dropped_leaves_nothing "mess $(queue_count mess) intd $(queue_count intd) todo $(queue_count todo)"

# Down: the same message needs bin/qmail-queue (451 without it, queued with it).
s6-svc -wd -d -T 10000 "$SVC"
send_smtp 1; rc=$?
[ $rc != 0 ] && pass queued_down_needs_qmail_queue || fail queued_down_needs_qmail_queue "smtp-source exit $rc"
chmod 4711 "$QQ"
n=$(demo_count)
send_smtp 2 && wait_count $((n + 2)) && pass queued_down_fallback ||
  fail queued_down_fallback "$(demo_count) of $((n + 2))"

# Not the queue's owner: a socket some other account put in place gets nothing
# (the client checks before it sends) and the message is queued the usual way.
foreign_socket queued_foreign_socket_refused stream "$QM_HOME/queued" "$SOCK"
chown qmailq "$QM_HOME/queued"

# Busy: with one child allowed and one client holding it, the next client runs
# qmail-queue itself; the held one, closing its pipes early, queues nothing.
mkdir -p "$SVC/env" && echo 1 > "$SVC/env/CHILDREN"
s6-svc -u "$SVC" && s6-svwait -U -t 10000 "$SVC"
python3 - "$SOCK" > "$INST.hold.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
m, e = os.pipe(), os.pipe()
socket.send_fds(s, [b"q"], [m[0], e[0]]); os.close(m[0]); os.close(e[0])
s.settimeout(10); print("hello", s.recv(32), flush=True)
os.write(m[1], b"Subject: held\n\n"); time.sleep(4)
os.close(m[1]); os.close(e[1])
try:
    print("end", list(s.recv(16)), flush=True)
except Exception as x:
    print("end:", repr(x), flush=True)
PY
hold=$!
sleep 1
program_needed "$QQ" 4711
wait "$hold"
[ $RC_WITHOUT != 0 ] && [ $RC_WITH = 0 ] && grep -q "^end \[54\]" "$INST.hold.out" && queue_empty &&
  pass queued_busy_fallback ||
  fail queued_busy_fallback "without qmail-queue $RC_WITHOUT, with $RC_WITH; $(cat "$INST.hold.out"); mess $(queue_count mess)"
rm -f "$SVC/env/CHILDREN"
