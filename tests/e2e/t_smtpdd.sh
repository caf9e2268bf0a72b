#!/bin/bash
# qmail-smtpdd on a running instance (qmail-smtpdd(8), qmail-smtpdc(8)): SMTP
# sessions are forked by the daemon with the connection's environment (tcprules'
# RELAYCLIENT) and the qmail-smtpd service's limits; while the daemon is down, busy
# or not qmaild, tcpserver's front runs qmail-smtpd itself; a session that crashes
# makes the daemon start afresh. To tell the two ways apart, bin/qmail-smtpd is made
# unrunnable where only the daemon may serve.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/ops_lib.sh"
tree_setup
tree_start || { fail smtpdd_start "$(tail -n 5 "$TREE_OUT")"; exit 1; }
SVC=$QM_HOME/service/qmail-smtpdd
SOCK=$QM_HOME/smtpd/socket
SMTPD=$QM_HOME/bin/qmail-smtpd
LOG=$QM_HOME/log/qmail-smtpd/current

s6-svwait -U -t 10000 "$SVC" && [ -S "$SOCK" ] &&
  [ "$(stat -c '%U %a' "$QM_HOME/smtpd")" = "qmaild 700" ] && pass smtpdd_ready ||
  fail smtpdd_ready "$(ls -la "$QM_HOME/smtpd" 2>&1; tail -n 3 "$QM_HOME/log/qmail-smtpdd/current" 2>&1)"

# rcpt_reply ADDR: the server's reply to RCPT TO:<ADDR>
rcpt_reply() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", 2525)); f = s.makefile("rb")
f.readline()
for c in (b"HELO x\r\n", b"MAIL FROM:<a@example.net>\r\n", b"RCPT TO:<" + sys.argv[1].encode() + b">\r\n"):
    s.sendall(c); r = f.readline()
print(r.decode().strip()); s.sendall(b"QUIT\r\n"); f.readline()
PY
}

# session: the pid of a session qmail-smtpdd forked (waits 5 s for one)
session() {
  for _ in $(seq 1 50); do
    for p in $(ours qmail-smtpd | cut -d' ' -f1); do
      [ "$(cat "/proc/$(awk '{print $4}' "/proc/$p/stat")/comm" 2>/dev/null)" = qmail-smtpdd ] && { echo "$p"; return; }
    done
    sleep 0.1
  done
}

chmod 0 "$SMTPD"
n=$(demo_count)
send_smtp 3 && wait_count $((n + 3)) && pass smtpdd_sessions ||
  fail smtpdd_sessions "$(demo_count) of $((n + 3)); $(tail -n 3 "$LOG")"

# The connection's environment reaches the session: relaying needs RELAYCLIENT,
# which only tcprules' cdb gives (tcpserver reads it at each connection).
before=$(rcpt_reply someone@elsewhere.example)
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$QM_HOME/control/tcp.smtp"
tcprules "$QM_HOME/control/tcp.smtp.cdb" "$QM_HOME/control/tcp.smtp.tmp" < "$QM_HOME/control/tcp.smtp"
after=$(rcpt_reply someone@elsewhere.example)
case "$before|$after" in 5*"|250"*) pass smtpdd_environment ;; *) fail smtpdd_environment "without the rule: $before; with it: $after" ;; esac

# The session runs under the qmail-smtpd service's memory limit (64000000), not
# the daemon's (256000000).
python3 - > "$INST.hold.out" 2>&1 <<'PY' &
import socket, time
s = socket.create_connection(("127.0.0.1", 2525)); f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True); time.sleep(3)
s.sendall(b"QUIT\r\n"); f.readline()
PY
hold=$!
sess=$(session)
lim=$( [ -n "$sess" ] && awk '/^Max address space/ {print $4}' "/proc/$sess/limits")
wait "$hold"
[ "$lim" = 64000000 ] && pass smtpdd_session_limits || fail smtpdd_session_limits "session ${sess:-not found} address space $lim"

# A session that crashes: its front ends with 111 (tcpserver logs the wait status,
# 111 << 8), the daemon starts afresh and
# the next sessions are served by the new one.
old=$(ours qmail-smtpdd | cut -d' ' -f1)
python3 - > "$INST.crash.out" 2>&1 <<'PY' &
import socket, time
s = socket.create_connection(("127.0.0.1", 2525)); f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True); s.settimeout(10)
print("end", repr(s.recv(100)), flush=True)
PY
crashc=$!
sess=$(session)
[ -n "$sess" ] && kill -SEGV "$sess"
wait "$crashc"
s6-svwait -U -t 10000 "$SVC"
new=$(ours qmail-smtpdd | cut -d' ' -f1)
n=$(demo_count)
[ -n "$sess" ] && [ -n "$new" ] && [ "$new" != "$old" ] && grep -q "end [0-9]* status 28416" "$LOG" &&
  send_smtp 1 && wait_count $((n + 1)) && pass smtpdd_crash_restarts ||
  fail smtpdd_crash_restarts "session ${sess:-none}; daemon $old -> $new; $(cat "$INST.crash.out"); $(tail -n 3 "$LOG")"

# Down: qmail-smtpd must run (the connection fails without it, works with it).
s6-svc -wd -d -T 10000 "$SVC"
n=$(demo_count)
send_smtp 1; rc=$?
[ $rc != 0 ] && pass smtpdd_down_needs_qmail_smtpd || fail smtpdd_down_needs_qmail_smtpd "smtp-source exit $rc"
chmod 755 "$SMTPD"
send_smtp 2 && wait_count $((n + 2)) && pass smtpdd_down_fallback || fail smtpdd_down_fallback "$(demo_count) of $((n + 2))"

# Not qmaild: a socket another account put in place gets nothing, and the front
# serves the connection with qmail-smtpd.
foreign_socket smtpdd_foreign_socket_refused seqpacket "$QM_HOME/smtpd" "$SOCK"
chown qmaild "$QM_HOME/smtpd"; chmod 700 "$QM_HOME/smtpd"

# Busy: with one session allowed and held, the next front runs qmail-smtpd itself.
mkdir -p "$SVC/env" && echo 1 > "$SVC/env/SESSIONS"
s6-svc -u "$SVC" && s6-svwait -U -t 10000 "$SVC"
python3 - > "$INST.hold2.out" 2>&1 <<'PY' &
import socket, time
s = socket.create_connection(("127.0.0.1", 2525)); f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True); time.sleep(4)
s.sendall(b"QUIT\r\n"); f.readline()
PY
hold=$!
sleep 1
program_needed "$SMTPD" 755
wait "$hold"
[ $RC_WITHOUT != 0 ] && [ $RC_WITH = 0 ] && grep -q '^220 ' "$INST.hold2.out" && pass smtpdd_busy_fallback ||
  fail smtpdd_busy_fallback "without qmail-smtpd $RC_WITHOUT, with $RC_WITH; held: $(cat "$INST.hold2.out")"
rm -f "$SVC/env/SESSIONS"
