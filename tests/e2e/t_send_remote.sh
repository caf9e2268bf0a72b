#!/bin/bash
# qmail-send's remote scheduling in a whole instance: a message's recipients at one
# domain go to the peer in one SMTP transaction with a result each (a 5xx bounces
# just that one, with the remote diagnostic in the DSN; a 4xx is retried), and with
# control/concurrencyperdomain 1 a slow domain neither gets two deliveries at once
# nor holds back mail for another domain.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/send_lib.sh"
need_root
inst_new
for p in qmail-rspawn qmail-remote qmail-start qmail-send qmail-queue qmail-local qmail-getpw; do
  [ -x "$QM_HOME/bin/$p" ] || { skip send_remote "$p is not built"; exit 0; }
done
send_user qmsendr
w=$(mktemp -d /tmp/qsr-e2e.XXXXXX)
trap 'rm -rf "$w"; inst_cleanup; rm -f "$LOG"; [ -n "$created" ] && userdel $U 2>/dev/null' EXIT
ip addr add 127.0.0.2/8 dev lo 2>/dev/null
ip addr add 127.0.0.3/8 dev lo 2>/dev/null
printf 'peer.test:[127.0.0.2]:2525\nfast.test:[127.0.0.2]:2526\nslow.test:[127.0.0.3]:2525\nbusy.test:[127.0.0.3]:2526\n' > "$QM_HOME/control/smtproutes"
printf '20\n' > "$QM_HOME/control/timeoutremote"
printf '1\n' > "$QM_HOME/control/concurrencyperdomain"

bounce_file() { grep -l '^Action: failed' "$H"/Maildir/new/* 2>/dev/null | head -n 1; }
has_bounce() { [ -n "$(bounce_file)" ]; }

# the scripted peer answers two sessions: the first transaction and the retry
python3 "$QM_SRC/tests/e2e/smtp_peer.py" 127.0.0.2 2525 pipe "$w/got" 2 > "$w/ready" &
INST_PIDS="$!"
# a slow peer for slow.test (holds each transaction 4 s, records the most at once) and
# a quick one for fast.test
cat > "$w/hold_peer.py" <<'PY'
# holds each transaction (the reply to its final dot) for a while and records the
# most transactions at once and how many were done: a reused connection carries
# several transactions, one after the other
import socket, sys, threading, time
host, port, out, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(8)
lock = threading.Lock(); state = {"now": 0, "max": 0, "done": 0}
def note():
    open(out, "w").write("max %d done %d\n" % (state["max"], state["done"]))
def serve(c):
    f = c.makefile("rwb")
    f.write(b"220 slow.test\r\n"); f.flush()
    for l in f:
        v = l[:4].upper()
        if v == b"MAIL":
            with lock:
                state["now"] += 1; state["max"] = max(state["max"], state["now"]); note()
            f.write(b"250 ok\r\n")
        elif v == b"DATA":
            f.write(b"354 go\r\n"); f.flush()
            for d in f:
                if d == b".\r\n": break
            time.sleep(hold)
            with lock:
                state["now"] -= 1; state["done"] += 1; note()
            f.write(b"250 ok\r\n")
        elif v == b"QUIT":
            f.write(b"221 bye\r\n"); f.flush(); break
        else: f.write(b"250 slow.test\r\n")
        f.flush()
    c.close()
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$w/hold_peer.py" 127.0.0.3 2525 "$w/slow" 4 > "$w/ready.slow" &
INST_PIDS="$INST_PIDS $!"
# busy.test: transactions of 0.3 s each
python3 "$w/hold_peer.py" 127.0.0.3 2526 "$w/busy" 0.3 > "$w/ready.busy" &
INST_PIDS="$INST_PIDS $!"
python3 "$QM_SRC/tests/e2e/smtp_peer.py" 127.0.0.2 2526 pipe "$w/got.fast" 1 > "$w/ready.fast" &
INST_PIDS="$INST_PIDS $!"
for _ in $(seq 50); do [ -s "$w/ready" ] && [ -s "$w/ready.slow" ] && [ -s "$w/ready.fast" ] && [ -s "$w/ready.busy" ] && break; sleep 0.1; done

queue_msg $U@example.org good@peer.test bad@peer.test tmp@peer.test
start_send
wait_for has_result tmp@peer.test
[ "$(grep -c '^MAIL FROM:' "$w/got" 2>/dev/null)" = 1 ] && [ "$(grep -c '^RCPT TO:' "$w/got")" = 3 ] &&
  pass send_remote_one_transaction ||
  fail send_remote_one_transaction "$(grep -c '^MAIL FROM:' "$w/got" 2>/dev/null) MAIL, $(grep -c '^RCPT TO:' "$w/got" 2>/dev/null) RCPT"
case "$(result good@peer.test)" in success:*) pass send_remote_rcpt_success ;;
  *) fail send_remote_rcpt_success "got '$(result good@peer.test)'" ;; esac
case "$(result bad@peer.test)" in failure:*550_5.1.1_no_such_user*) pass send_remote_rcpt_failure ;;
  *) fail send_remote_rcpt_failure "got '$(result bad@peer.test)'" ;; esac
case "$(result tmp@peer.test)" in deferral:*451_try_later*) pass send_remote_rcpt_deferral ;;
  *) fail send_remote_rcpt_deferral "got '$(result tmp@peer.test)'" ;; esac
if wait_for has_bounce; then
  f=$(bounce_file)
  # the diagnostic is folded after "Remote host said:"
  out=$(python3 "$PY" dsn "$f" failed bad@peer.test 5.) &&
    sed -n '/^Diagnostic-Code: smtp; 127.0.0.2 does not like recipient/,/^$/p' "$f" | grep -q '550 5.1.1 no such user' &&
    [ "$(grep -c '^Final-Recipient:' "$f")" = 1 ] && pass send_remote_bounce_one ||
    fail send_remote_bounce_one "${out:-diagnostic missing or other recipients listed}"
else fail send_remote_bounce_one "no bounce for bad@peer.test"; fi
# the 4xx recipient, and only it, is tried again
kill -ALRM $SEND_PID
wait_for grep -q '^MAIL FROM:.*' "$w/got" && wait_for test "$(grep -c '^RCPT TO:' "$w/got")" = 4
[ "$(grep '^RCPT TO:' "$w/got" | tail -n 1)" = $'RCPT TO:<tmp@peer.test>\r' ] && pass send_remote_retry_4xx ||
  fail send_remote_retry_4xx "RCPT lines: $(grep -c '^RCPT TO:' "$w/got")"

# concurrencyperdomain 1: two messages for slow.test, then one for fast.test
queue_msg $U@example.org a@slow.test
queue_msg $U@example.org b@slow.test
queue_msg $U@example.org c@fast.test
t0=$(date +%s.%N)
if wait_for has_result c@fast.test; then
  t1=$(date +%s.%N)
  case "$(result c@fast.test)" in
    success:*) python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < 3.5 else 1)" "$t0" "$t1" &&
      pass send_remote_slow_domain_no_block || fail send_remote_slow_domain_no_block "fast.test waited for slow.test" ;;
    *) fail send_remote_slow_domain_no_block "got '$(result c@fast.test)'" ;;
  esac
else fail send_remote_slow_domain_no_block "nothing for c@fast.test"; fi
both_slow() { has_result a@slow.test && has_result b@slow.test; }
for _ in 1 2 3; do wait_for both_slow && break; done
case "$(result a@slow.test) $(result b@slow.test)" in
  success:*\ success:*) grep -q '^max 1 ' "$w/slow" && pass send_remote_perdomain_limit ||
    fail send_remote_perdomain_limit "slow peer: $(cat "$w/slow")" ;;
  *) fail send_remote_perdomain_limit "a: '$(result a@slow.test)' b: '$(result b@slow.test)'" ;;
esac

# a message held back by the limit starts as soon as its domain's delivery ends, not
# on a clock: eight messages for busy.test, one transaction at a time, 0.3 s each
for n in 1 2 3 4 5 6 7 8; do queue_msg $U@example.org m$n@busy.test; done
t0=$(date +%s.%N)
all_busy() { for n in 1 2 3 4 5 6 7 8; do has_result m$n@busy.test || return 1; done; }
if wait_for all_busy; then
  t1=$(date +%s.%N)
  if [ "$(grep -c '^delivery [0-9]*: success' "$LOG")" -ge 8 ] && grep -q "^max 1 done 8" "$w/busy" &&
     python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < 5 else 1)" "$t0" "$t1"; then
    pass send_remote_perdomain_wake
  else fail send_remote_perdomain_wake "busy peer: $(cat "$w/busy"); $(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1") s for eight 0.3 s transactions"; fi
else fail send_remote_perdomain_wake "not all eight delivered; busy peer: $(cat "$w/busy" 2>/dev/null)"; fi
