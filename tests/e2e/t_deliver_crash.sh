#!/bin/bash
# Crashes under load, with real local delivery into a Maildir: 2,000 messages queued
# as fast as four writers can while a qmail-local, qmail-lspawn and qmail-send are
# killed with SIGKILL in turn; after restarts every Message-ID is delivered (the
# duplicates a kill may cause are counted and reported, as qmail allows them).
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new
. "$QM_SRC/tests/e2e/send_lib.sh"
send_user qmcrasht
printf './Maildir/\n' > "$H/.qmail"; chown $U: "$H/.qmail"
start_send
# --- crash: SIGKILL each partner in turn under a 2,000 message load ----------------------
python3 "$PY" load 2000 crash 4 $U@example.org > "$INST.load.out" 2>&1 &
LOADER=$!
# kids PID NAME: the children of PID whose command is NAME (only our own processes)
kids() { for c in $(pgrep -P "$1"); do [ "$(cat /proc/$c/comm 2>/dev/null)" = "$2" ] && echo "$c"; done; }
kill_local() { # SIGKILL one running qmail-local (a child of qmail-lspawn)
  l=$(kids $SEND_PID qmail-lspawn)
  [ -n "$l" ] || return
  for _ in $(seq 1 500); do
    q=$(pgrep -n -P "$l" -x qmail-local) && kill -KILL "$q" 2>/dev/null && { echo qmail-local; return; }
  done
}
killed=
sleep 1
killed="$killed $(kill_local)"
sleep 0.5
l=$(kids $SEND_PID qmail-lspawn)
[ -n "$l" ] && kill -KILL $l && killed="$killed qmail-lspawn"
# qmail-send sees its spawner gone and exits once nothing runs
for _ in $(seq 1 50); do kill -0 $SEND_PID 2>/dev/null || break; sleep 0.1; done
kill -0 $SEND_PID 2>/dev/null && kill -KILL $SEND_PID
wait $SEND_PID 2>/dev/null
start_send
sleep 1
kill -KILL $SEND_PID && killed="$killed qmail-send"
wait $SEND_PID 2>/dev/null
# the partners of a killed qmail-send see EOF and exit by themselves
sleep 0.5
start_send
wait $LOADER
lo=$(cat "$INST.load.out")
if drain 2000 60; then
  res=$(python3 "$PY" count 2000 crash "$H/Maildir")
  case $res in
    "missing 0 "*) pass "load_crash_nothing_lost (killed:$killed; $res)" ;;
    *) fail load_crash_nothing_lost "$res (killed:$killed; $lo)" ;;
  esac
else
  fail load_crash_nothing_lost "after 60 s: $(delivered) delivered, $(queued) queued (killed:$killed; $lo)"
fi
kill -TERM $SEND_PID; wait $SEND_PID 2>/dev/null
