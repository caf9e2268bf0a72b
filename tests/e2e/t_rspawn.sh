#!/bin/bash
# qmail-rspawn in a whole instance on one host: qmail-start runs it as qmailr,
# qmail-send hands it remote jobs, it runs qmail-remote (routed by smtproutes to a
# scripted peer on loopback) and maps the reports: one message's three recipients
# at one domain in one transaction, accepted, 5xx and 4xx for one each, qmail-dns
# absent (deferred with a clear text), a qmail-remote that crashes or cannot run. qmail-tcpto and qmail-tcpok on a written record.
. "$QM_SRC/tests/e2e/lib.sh"
inst_new
for p in qmail-rspawn qmail-remote qmail-start qmail-send qmail-queue qmail-tcpto qmail-tcpok; do
  [ -x "$QM_HOME/bin/$p" ] || { skip rspawn "$p is not built"; exit 0; }
done
Q=$QM_HOME/queue
LOG=$INST.sendlog
w=$(mktemp -d /tmp/qrs-e2e.XXXXXX)
chmod 755 "$w"   # qmailr runs the fake qmail-remote from here
trap 'rm -rf "$w" "$LOG"; inst_cleanup' EXIT
ip addr add 127.0.0.2/8 dev lo 2>/dev/null
printf 'peer.test:[127.0.0.2]:2525\n' > "$QM_HOME/control/smtproutes"
printf '5\n' > "$QM_HOME/control/timeoutremote"
: > "$LOG"

queue_msg() { # sender rcpt...: through qmail-queue; prints nothing
  printf 'Subject: rspawn\n\nhello\n' | python3 -c '
import os, sys, subprocess
env = ("F" + sys.argv[1] + "\0" + "".join("T" + r + "\0" for r in sys.argv[3:]) + "\0").encode()
rd, wr = os.pipe()
os.write(wr, env); os.close(wr)
sys.exit(subprocess.run([sys.argv[2]], stdin=sys.stdin, stdout=rd).returncode)' "$1" "$QM_HOME/bin/qmail-queue" "${@:2}"
}
wait_log() { # pattern [seconds]
  for _ in $(seq 1 $((${2:-10} * 10))); do grep -qE "$1" "$LOG" && return 0; sleep 0.1; done
  return 1
}
# the delivery number and result line for a recipient
result() { # rcpt -> "success: ..." etc.
  d=$(sed -n "s/^starting delivery \([0-9]*\): msg [0-9]* to remote $1\$/\1/p" "$LOG" | tail -n 1)
  [ -n "$d" ] && sed -n "s/^delivery $d: //p" "$LOG" | tail -n 1
}

rm -f "$w/ready"
python3 "$QM_SRC/tests/e2e/smtp_peer.py" 127.0.0.2 2525 pipe "$w/got" 3 > "$w/ready" &
PEER=$!
INST_PIDS="$PEER"
for _ in $(seq 50); do [ -s "$w/ready" ] && break; sleep 0.1; done

# a fake qmail-remote that dies of a signal, and a path that cannot be run
printf '#!/bin/sh\nkill -SEGV $$\n' > "$w/crash"; chmod 755 "$w/crash"

queue_msg joe@example.org good@peer.test bad@peer.test tmp@peer.test
queue_msg joe@example.org someone@nodns.test
"$QM_HOME/bin/qmail-start" ./Maildir/ >> "$LOG" 2>&1 &
INST_PIDS="$INST_PIDS $!"
SEND=$!
for r in good bad tmp; do wait_log "^starting delivery [0-9]+: msg [0-9]+ to remote $r@peer.test$" || true; done
for _ in $(seq 100); do [ "$(grep -cE '^delivery [0-9]+: ' "$LOG")" -ge 4 ] && break; sleep 0.1; done

pgrep -u qmailr -x qmail-rspawn > /dev/null && pass rspawn_runs_as_qmailr ||
  fail rspawn_runs_as_qmailr "$(ps -o user=,comm= -C qmail-rspawn)"
case "$(result good@peer.test)" in
  "success: 127.0.0.2_accepted_message._Not_encrypted./Remote_host_said:_250_ok_queued_as_42/") pass rspawn_success ;;
  *) fail rspawn_success "got '$(result good@peer.test)'" ;;
esac
case "$(result bad@peer.test)" in
  "failure: 127.0.0.2_does_not_like_recipient./Remote_host_said:_550_5.1.1_no_such_user/") pass rspawn_5xx_failure ;;
  *) fail rspawn_5xx_failure "got '$(result bad@peer.test)'" ;;
esac
case "$(result tmp@peer.test)" in
  "deferral: 127.0.0.2_does_not_like_recipient./Remote_host_said:_451_try_later/"*) pass rspawn_4xx_deferral ;;
  *) fail rspawn_4xx_deferral "got '$(result tmp@peer.test)'" ;;
esac
case "$(result someone@nodns.test)" in
  "deferral: Unable_to_ask_qmail-dns_at_/var/qmail/dns/socket:_No_such_file_or_directory._(#4.4.3)/") pass rspawn_no_qmail_dns ;;
  *) fail rspawn_no_qmail_dns "got '$(result someone@nodns.test)'" ;;
esac
# the three recipients at peer.test went in one transaction
[ "$(grep -c '^RCPT TO:' "$w/got" 2>/dev/null)" = 3 ] && [ "$(grep -c '^MAIL FROM:' "$w/got")" = 1 ] &&
  pass rspawn_one_transaction ||
  fail rspawn_one_transaction "$(grep -c '^MAIL FROM:' "$w/got" 2>/dev/null) MAIL, $(grep -c '^RCPT TO:' "$w/got" 2>/dev/null) RCPT lines"

# qmail-remote that crashes, or is no program at all: deferred, never delivered
kill -TERM $SEND; wait $SEND 2>/dev/null
broken() { # name rcpt-local want [QMAILTLSD]: one delivery with QMAILREMOTE=$w/name
  queue_msg joe@example.org "$2@peer.test"
  QMAILTLSD=${4-$QM_HOME/bin/qmail-tlsd} QMAILREMOTE=$w/$1 "$QM_HOME/bin/qmail-start" ./Maildir/ >> "$LOG" 2>&1 &
  SEND=$!; INST_PIDS="$INST_PIDS $SEND"
  for _ in $(seq 100); do [ -n "$(result "$2@peer.test")" ] && break; sleep 0.1; done
  [ "$(result "$2@peer.test")" = "$3" ] && pass "rspawn_${2}_deferred" ||
    fail "rspawn_${2}_deferred" "got '$(result "$2@peer.test")'"
  kill -TERM $SEND; wait $SEND 2>/dev/null
}
# rspawn sees the signal whether or not qmail-tlsd is there to be started: the helper
# is qmail-remote's child, started only at STARTTLS
broken crash crash "deferral: qmail-remote_crashed./" ""
broken crash crashtls "deferral: qmail-remote_crashed./"
broken nonexistent noexec "deferral: Unable_to_run_qmail-remote./"

# qmail-tcpto lists a record written as qmail-remote writes it; qmail-tcpok clears it
python3 -c '
import struct, sys, time
rec = bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 9]) + bytes([3]) + bytes(7) + struct.pack(">Q", int(time.time()) - 30)
open(sys.argv[1], "wb").write(rec + bytes(2048 - len(rec)))' "$Q/lock/tcpto"
out=$("$QM_HOME/bin/qmail-tcpto")
[[ "$out" =~ ^192\.0\.2\.9\ timed\ out\ (29|30|31|32)\ seconds\ ago\;\ #\ recent\ timeouts:\ 3$ ]] && pass tcpto_lists ||
  fail tcpto_lists "got '$out'"
run_as qmailr "$QM_HOME/bin/qmail-tcpok" && [ -z "$("$QM_HOME/bin/qmail-tcpto")" ] && pass tcpok_clears ||
  fail tcpok_clears "still: $("$QM_HOME/bin/qmail-tcpto")"
run_as qmaild "$QM_HOME/bin/qmail-tcpok" 2> "$w/err" && fail tcpok_refuses_others "qmaild could clear it" ||
  { grep -q '^qmail-tcpok: fatal: unable to open /var/qmail/queue/lock/tcpto: ' "$w/err" && pass tcpok_refuses_others ||
    fail tcpok_refuses_others "$(cat "$w/err")"; }
