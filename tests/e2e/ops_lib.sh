# Helpers of the operations tests (t_run, t_privsep, t_restart): a whole running
# instance started the way make run starts it (mk/run.sh in the foreground), with
# the demo user's home on a scratch /home seen only inside the test's namespace.
# Source after lib.sh; call tree_setup once, then tree_start / tree_stop.

TREE_OUT= TREE_PID= TREE_HOMES=
SUITE_PROGS="s6-svscan s6-supervise s6-log tcpserver qmail-send qmail-start qmail-lspawn
qmail-clean qmail-dns qmail-smtpd qmail-smtpdd qmail-smtpdc qmail-queue qmail-queued qmail-local qmail-getpw qmail-rspawn qmail-remote"

tree_setup() {
  inst_new
  TREE_HOMES=$(mktemp -d /tmp/qm-ops-home.XXXXXX)
  chmod 0755 "$TREE_HOMES"
  mount --bind "$TREE_HOMES" /home || { fail tree_setup "unable to bind $TREE_HOMES on /home"; exit 1; }
  TREE_OUT=$INST.run.out
  trap 'tree_kill; umount -l /home; rm -rf "$TREE_HOMES"; inst_cleanup' EXIT
}

# tree_start: runs mk/run.sh until it says the suite is up (20 s at most).
tree_start() {
  : > "$TREE_OUT"
  env --default-signal=INT QM_RUN_SENDMAIL_LINK=no sh "$QM_SRC/mk/run.sh" "$QM_BUILD" >> "$TREE_OUT" 2>&1 &
  TREE_PID=$!
  for _ in $(seq 1 200); do grep -q 'the mail suite is running' "$TREE_OUT" && return 0; sleep 0.1; done
  return 1
}

# tree_stop: SIGINT, as Ctrl-C would; returns the script's exit code.
tree_stop() {
  kill -INT "$TREE_PID"
  for _ in $(seq 1 150); do kill -0 "$TREE_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$TREE_PID"; rc=$?
  TREE_PID=
  return $rc
}
tree_kill() { [ -n "$TREE_PID" ] && kill -INT "$TREE_PID" 2>/dev/null && sleep 2; true; }

# ours NAME...: "pid name" of each process in this mount namespace named NAME.
ours() {
  me=$(readlink /proc/self/ns/mnt)
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$me" ] || continue
    c=$(cat "$p/comm" 2>/dev/null) || continue
    for n in "$@"; do [ "$c" = "$n" ] && echo "${p#/proc/} $c"; done
  done
}

# demo_count: messages in ~demo/Maildir/new
demo_count() { find /home/demo/Maildir/new -type f 2>/dev/null | wc -l; }

# send_smtp N: N messages of 512 bytes to demo over SMTP on 2525; smtp-source's exit code
send_smtp() { timeout 30 smtp-source -m "$1" -s 1 -l 512 -f a@example.net -t demo@localhost 127.0.0.1:2525 > /dev/null 2>&1; }
# wait_count N: until ~demo/Maildir/new holds N messages (10 s)
wait_count() { for _ in $(seq 1 100); do [ "$(demo_count)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }

# program_needed PROG MODE: one SMTP message with PROG unrunnable (RC_WITHOUT: its
# exit code, not 0 when only PROG could have served it), then PROG back at MODE and
# one more (RC_WITH: 0 once it has arrived)
program_needed() {
  chmod 0 "$1"
  send_smtp 1; RC_WITHOUT=$?
  chmod "$2" "$1"
  n=$(demo_count)
  send_smtp 1 && wait_count $((n + 1)); RC_WITH=$?
}

# foreign_socket TEST TYPE DIR SOCKET: with the daemon that owns DIR down, nobody
# takes DIR over and listens on SOCKET (tests/e2e/squat.py, TYPE stream or
# seqpacket); a message over SMTP must still arrive, and the squatter must have got
# nothing from the clients that checked whom they talked to. Leaves DIR nobody's.
foreign_socket() {
  chown nobody "$3"; chmod 755 "$3"
  rm -f "$4"
  run_as nobody python3 - "$2" "$4" < "$QM_SRC/tests/e2e/squat.py" > "$INST.squat.out" 2>&1 &
  squat=$!
  for _ in $(seq 1 50); do [ -S "$4" ] && break; sleep 0.1; done
  n=$(demo_count)
  send_smtp 1 && wait_count $((n + 1)); ok=$?
  wait "$squat"
  [ $ok = 0 ] && grep -q 'got 0 bytes and 0 fds' "$INST.squat.out" && pass "$1" ||
    fail "$1" "delivered $(demo_count) of $((n + 1)); squatter: $(cat "$INST.squat.out")"
}
