#!/bin/bash
# Connection reuse in a whole instance (qmail-send, qmail-rspawn, qmail-remote)
# against counting SMTP peers (smtp_count_peer.py) on loopback: several messages
# to one domain over one connection; the idle limit ends an idle connection with
# QUIT; the transaction limit starts a new one; a peer that closes its idle
# connection (with a 421, without a word, or with a reset) costs a fresh connection, never a
# deferral; two domains on one server never share a connection; qmail-rspawn ends
# its idle connections when it stops. Then qmail-rspawn against fake workers
# whose word about their connection is garbage, two messages, a descriptor, no
# newline, too long, out of range, or that exit after it: none of them is given
# a second job, every message is still delivered, and qmail-rspawn's descriptors
# are back where they started.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/send_lib.sh"
need_root
inst_new
for p in qmail-rspawn qmail-remote qmail-start qmail-send qmail-queue qmail-local qmail-getpw; do
  [ -x "$QM_HOME/bin/$p" ] || { skip remote_reuse "$p is not built"; exit 0; }
done
send_user qmreuse
w=$(mktemp -d /tmp/qru-e2e.XXXXXX)
chmod 755 "$w"
trap 'rm -rf "$w"; inst_cleanup; rm -f "$LOG"; [ -n "$created" ] && userdel $U 2>/dev/null' EXIT
ip addr add 127.0.0.2/8 dev lo 2>/dev/null
printf '%s\n' reuse.test:[127.0.0.2]:2525 close.test:[127.0.0.2]:2526 quiet.test:[127.0.0.2]:2528 \
  one.test:[127.0.0.2]:2527 two.test:[127.0.0.2]:2527 reset.test:[127.0.0.2]:2530 \
  burst.test:[127.0.0.2]:2531 slow.test:[127.0.0.2]:2532 fresh.test:[127.0.0.2]:2533 > "$QM_HOME/control/smtproutes"
printf '20\n' > "$QM_HOME/control/timeoutremote"
printf '1\n' > "$QM_HOME/control/concurrencyperdomain"
printf '2\n' > "$QM_HOME/control/timeoutremoteidle"
printf '3\n' > "$QM_HOME/control/remotetransactions"

# deliver RCPT: queues one message and waits for its result
deliver() { queue_msg $U@example.org "$1"; wait_for has_result "$1"; }
ev() { awk -v e="$2" '$3 == e' "$1" | wc -l; }                  # log event: count
conns() { ev "$1" conn; }
# this instance's qmail-rspawn: qmail-start's child (other instances may run on the host)
find_rspawn() { RSPAWN=$(pgrep -P "$SEND_PID" -u qmailr -x qmail-rspawn); [ -n "$RSPAWN" ]; }
rspawn_fds() { ls "/proc/$RSPAWN/fd" 2>/dev/null | wc -l; }
no_rspawn() { ! kill -0 "$RSPAWN" 2>/dev/null; }

for p in "2525 normal" "2526 close421" "2527 normal" "2528 close" "2529 normal" "2530 reset" "2531 normal" "2532 slow" "2533 normal"; do
  set -- $p
  python3 "$QM_SRC/tests/e2e/smtp_count_peer.py" 127.0.0.2 $1 "$w/log.$1" $2 > "$w/ready.$1" &
  INST_PIDS="$INST_PIDS $!"
done
for p in 2525 2526 2527 2528 2529 2530 2531 2532 2533; do for _ in $(seq 50); do [ -s "$w/ready.$p" ] && break; sleep 0.1; done; done

start_send
wait_for find_rspawn
sleep 1
fds0=$(rspawn_fds)

# three messages, one after the other: one connection, one EHLO, three transactions
for r in a b c; do deliver $r@reuse.test; done
succ=0; for r in a b c; do case "$(result $r@reuse.test)" in success:*) succ=$((succ + 1)) ;; esac; done
if [ $succ = 3 ] && [ "$(conns "$w/log.2525")" = 1 ] && [ "$(ev "$w/log.2525" ehlo)" = 1 ] &&
   [ "$(ev "$w/log.2525" done)" = 3 ]; then pass reuse_one_connection
else fail reuse_one_connection "$succ successes; peer: $(tr '\n' '|' < "$w/log.2525")"; fi
case "$(result b@reuse.test) $(result c@reuse.test)" in
  *_accepted_message._Not_encrypted._\(connection_reused\)/*\ *_accepted_message._Not_encrypted._\(connection_reused\)/*)
    case "$(result a@reuse.test)" in *connection_reused*) fail reuse_logged "the first said reused" ;; *) pass reuse_logged ;; esac ;;
  *) fail reuse_logged "got '$(result b@reuse.test)' '$(result c@reuse.test)'" ;;
esac

# the third transaction was the limit (remotetransactions 3): that connection ended
# with QUIT at once; the next message opens a new one, which idles out after 2 s
wait_for test "$(ev "$w/log.2525" quit)" = 1
[ "$(ev "$w/log.2525" quit)" = 1 ] && pass reuse_transaction_limit_quit ||
  fail reuse_transaction_limit_quit "peer: $(tr '\n' '|' < "$w/log.2525")"
deliver d@reuse.test
t_done=$(awk '$3 == "done" { t = $1 } END { print t }' "$w/log.2525")
wait_for test "$(ev "$w/log.2525" quit)" = 2
t_quit=$(awk '$3 == "quit" { t = $1 } END { print t }' "$w/log.2525")
if [ "$(conns "$w/log.2525")" = 2 ] && [ "$(ev "$w/log.2525" quit)" = 2 ] &&
   python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); sys.exit(0 if 1.8 <= d <= 4.5 else 1)' "$t_done" "$t_quit"
then pass reuse_idle_quit
else fail reuse_idle_quit "done at $t_done, quit at $t_quit; peer: $(tr '\n' '|' < "$w/log.2525")"; fi

# seven more at once: one delivery at a time, at most three transactions a connection
for r in e f g h i j k; do queue_msg $U@example.org $r@reuse.test; done
all7() { for r in e f g h i j k; do has_result $r@reuse.test || return 1; done; }
wait_for all7
per=$(awk '$3 == "done" { n[$2]++ } END { for (c in n) if (c > 2) print n[c] }' "$w/log.2525" | sort | tr '\n' ' ')
[ "$per" = "1 3 3 " ] && [ "$(conns "$w/log.2525")" = 5 ] && pass reuse_transaction_limit ||
  fail reuse_transaction_limit "transactions a connection: $per; peer: $(conns "$w/log.2525") connections"

# a peer that says 421 and closes, closes without a word, or resets, while the
# connection is idle: the next message goes over a fresh connection, no deferral
for d in close.test:2526 quiet.test:2528 reset.test:2530; do
  dom=${d%:*} port=${d#*:}
  deliver x@$dom
  wait_for grep -q ' closed$' "$w/log.$port"
  # (close.test: the peer said 421 and waits; the next delivery tries the connection
  # first, which the peer notes as "late")
  sleep 0.2
  deliver y@$dom
  name=reuse_stale_fallback_${dom%.test}
  case "$(result x@$dom) $(result y@$dom)" in
    success:*\ success:*)
      if grep -q "^delivery [0-9]*: deferral" "$LOG"; then fail $name "a deferral: $(grep '^delivery [0-9]*: deferral' "$LOG")"
      elif [ "$(conns "$w/log.$port")" = 2 ] && [ "$(ev "$w/log.$port" done)" = 2 ] &&
           { [ $port != 2526 ] || [ "$(ev "$w/log.$port" late)" = 1 ]; }; then pass $name
      else fail $name "peer: $(tr '\n' '|' < "$w/log.$port")"; fi ;;
    *) fail $name "got '$(result x@$dom)' '$(result y@$dom)'" ;;
  esac
done

# two domains on one server: a connection to one is never used for the other
deliver a@one.test; deliver b@two.test; deliver c@one.test
mixed=$(awk '$3 == "rcpt" { split($4, a, "@"); d[$2] = d[$2] " " a[2] } END { for (c in d) print c ":" d[c] }' "$w/log.2527" | sort)
if [ "$(conns "$w/log.2527")" = 2 ] && [ "$(printf '%s\n' "$mixed" | grep -c 'one.test>.*two.test>\|two.test>.*one.test>')" = 0 ] &&
   [ "$(ev "$w/log.2527" done)" = 3 ]; then pass reuse_never_across_domains
else fail reuse_never_across_domains "connections and recipients: $(printf '%s|' "$mixed")"; fi

# all idle connections gone after the idle limit, and with them their descriptors
sleep 2.5
[ "$(rspawn_fds)" = "$fds0" ] && pass reuse_idle_fds_closed ||
  fail reuse_idle_fds_closed "qmail-rspawn had $fds0 descriptors at start, $(rspawn_fds) now"

# a worker reads its control files again when its copy is a second old: a domain
# newly listed in tlsdestinations never uses the worker's plaintext connection
deliver p@fresh.test
printf 'fresh.test\n' > "$QM_HOME/control/tlsdestinations"
sleep 1.2
deliver q@fresh.test
case "$(result p@fresh.test) | $(result q@fresh.test)" in
  success:*\ \|\ deferral:*4.7.5*)
    if [ "$(ev "$w/log.2533" mail)" = 1 ] && [ "$(ev "$w/log.2533" quit)" -ge 1 ]; then pass reuse_control_reread
    else fail reuse_control_reread "peer: $(tr '\n' '|' < "$w/log.2533")"; fi ;;
  *) fail reuse_control_reread "got '$(result p@fresh.test)' and '$(result q@fresh.test)'" ;;
esac
: > "$QM_HOME/control/tlsdestinations"

# qmail-rspawn stopping ends what it keeps: QUIT for the idle one.test connection at
# once, long before its idle time is over
deliver d@one.test
conn_d=$(awk '$3 == "done" { c = $2 } END { print c }' "$w/log.2527")
t_d=$(awk '$3 == "done" { t = $1 } END { print t }' "$w/log.2527")
kill -TERM $SEND_PID; wait $SEND_PID 2>/dev/null
quit_d() { awk -v c="$conn_d" '$2 == c && $3 == "quit" { print $1 }' "$w/log.2527"; }
wait_for test -n "$(quit_d)"
if [ -n "$(quit_d)" ] && python3 -c 'import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < 1.5 else 1)' "$t_d" "$(quit_d)"
then pass reuse_quit_at_exit
else fail reuse_quit_at_exit "done at $t_d, quit at '$(quit_d)'; peer: $(tr '\n' '|' < "$w/log.2527")"; fi

# --- bursts: jobs for a host wait for its workers rather than start one each --------------
# Queued while qmail-send is down, 40 messages to one host arrive at qmail-rspawn at
# once (concurrencyperdomain 20): at most 5 new workers connect at a time, later jobs
# go to the first worker that offers itself; every message arrives once. Eight to a
# server slow to greet: 5 connect at once, and the jobs behind them wait a second
# at most before starting workers of their own.
wait_for no_rspawn && pass reuse_rspawn_exits || fail reuse_rspawn_exits "qmail-rspawn still runs: $(ls -l /proc/$RSPAWN/fd)"
printf '20\n' > "$QM_HOME/control/concurrencyperdomain"
printf '100\n' > "$QM_HOME/control/remotetransactions"
for i in $(seq 40); do queue_msg $U@example.org b$i@burst.test; done
for i in $(seq 8); do queue_msg $U@example.org s$i@slow.test; done
start_send
wait_for find_rspawn
all48() { for i in $(seq 40); do has_result b$i@burst.test || return 1; done
          for i in $(seq 8); do has_result s$i@slow.test || return 1; done; }
wait_for all48
succ=0; for i in $(seq 40); do case "$(result b$i@burst.test)" in success:*) succ=$((succ + 1)) ;; esac; done
twice=$(awk '$3 == "rcpt" { print $4 }' "$w/log.2531" | sort | uniq -d | wc -l)
# the most connections at one moment between their opening and their first
# transaction's end: what qmail-rspawn counts as workers still starting
starting=$(awk '$3 == "conn" { print $1, 1 } $3 == "done" && !seen[$2]++ { print $1, -1 }' "$w/log.2531" |
  sort -n -k1,1 -k2,2 | awk '{ n += $2; if (n > m) m = n } END { print m + 0 }')
if [ $succ = 40 ] && [ "$(ev "$w/log.2531" done)" = 40 ] && [ "$twice" = 0 ] && [ "$starting" -le 5 ] &&
   [ "$(conns "$w/log.2531")" -lt 20 ]
then pass reuse_burst_few_connections
else fail reuse_burst_few_connections "$succ successes, $(ev "$w/log.2531" done) at the peer over $(conns "$w/log.2531") connections, up to $starting starting at once, $twice twice"; fi
times=$(awk '$3 == "conn" { print $1 }' "$w/log.2532" | sort -n)
first=$(echo "$times" | sed -n 1p) fifth=$(echo "$times" | sed -n 5p) sixth=$(echo "$times" | sed -n 6p)
succ=0; for i in $(seq 8); do case "$(result s$i@slow.test)" in success:*) succ=$((succ + 1)) ;; esac; done
if [ $succ = 8 ] && [ -n "$sixth" ] &&
   python3 -c 'import sys; a, e, s = map(float, sys.argv[1:]); sys.exit(0 if e - a < 0.5 and 0.8 <= s - a <= 1.9 else 1)' "$first" "$fifth" "$sixth"
then pass reuse_burst_wait_bounded
else fail reuse_burst_wait_bounded "$succ successes; connections at $(echo $times)"; fi
kill -TERM $SEND_PID; wait $SEND_PID 2>/dev/null
wait_for no_rspawn
printf '1\n' > "$QM_HOME/control/concurrencyperdomain"
printf '3\n' > "$QM_HOME/control/remotetransactions"

# --- a hostile worker: what it says of its connection is checked -----------------------
# A fake qmail-remote: as a worker (QMAIL_WORKER=6) it offers itself after each job
# in the way its host's name says, then serves whatever job comes. qmail-rspawn must
# give the second message to the same worker only when the offer was one valid line.
cat > "$w/fake" <<EOF
#!/usr/bin/env python3
import array, os, socket, sys
def log(what):
    with open("$w/fake.log", "a") as f: f.write("%s %s %d\n" % (host, what, os.getpid()))
def report():
    os.write(1, b"r\0K127.0.0.2 accepted message.\n\0")
host = sys.argv[1]
log("start")
if os.environ.get("QMAIL_WORKER") != "6":
    report(); sys.exit(0)
chan = socket.socket(fileno=6)
good = b"ip=127.0.0.2 caps=5 size=0 uses=1\n"
keep = []
def offer(name):
    if name == "good": chan.send(good)
    if name == "garbage": chan.send(b"hello there\n")
    if name == "twomsgs": chan.send(good); chan.send(good)
    if name == "withfd": keep.extend(socket.socketpair()); chan.sendmsg([good], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [keep[-1].fileno()]).tobytes())])
    if name == "nolf": chan.send(good[:-1])
    if name == "long": chan.send(b"ip=127.0.0.2 caps=5 size=0 uses=1" + b" " * 200 + b"\n")
    if name == "uses0": chan.send(b"ip=127.0.0.2 caps=5 size=0 uses=0\n")
    if name == "exits": chan.send(good); report(); os._exit(0)
name = host.split(".")[0]
while True:
    offer(name)
    report()
    os.close(1)
    msg, fds, flags, addr = socket.recv_fds(chan, 70000, 4)
    if not msg: sys.exit(0)
    os.dup2(fds[0], 0); os.dup2(fds[1], 1)
    for f in fds:
        if f > 1: os.close(f)   # fd 1 was free: a job's descriptor may have come there
    host = msg.split(b"\0")[0].decode()
    log("job")
EOF
chmod 755 "$w/fake"
: > "$w/fake.log"; chmod 666 "$w/fake.log"
QMAILREMOTE=$w/fake start_send
wait_for find_rspawn
sleep 1
fds1=$(rspawn_fds)
hosts="good garbage twomsgs withfd nolf long uses0 exits"
for h in $hosts; do deliver 1@$h.test; deliver 2@$h.test; done
# the second delivery: "job" by the first worker for good, a new worker ("start") otherwise
second() { awk -v h="$1.test" '$1 == h { n++; if (n == 2) print $2 }' "$w/fake.log"; }
samepid() { awk -v h="$1.test" '$1 == h { p[++n] = $3 } END { exit !(p[1] == p[2]) }' "$w/fake.log"; }
bad=
for h in $hosts; do
  case $h:$(second $h) in
    good:job) samepid good || bad="$bad good:another-worker" ;;
    good:*) bad="$bad good:'$(second good)'" ;;
    *:start) ;;
    *) bad="$bad $h:'$(second $h)'" ;;
  esac
done
all_ok=1; for h in $hosts; do for r in 1 2; do case "$(result $r@$h.test)" in success:*) ;; *) all_ok= ;; esac; done; done
runs=$(for h in $hosts; do grep -c "^$h\.test " "$w/fake.log"; done | awk '{ n += $1 } END { print n }')
[ -z "$bad" ] && [ -n "$all_ok" ] && [ "$runs" = 16 ] && pass reuse_hostile_worker_refused ||
  fail reuse_hostile_worker_refused "${bad:-$runs runs, all delivered: ${all_ok:-no}} $(for h in $hosts; do printf "%s " "$(result 1@$h.test)" "$(result 2@$h.test)"; done)"
# every worker kept was let go after the idle limit, and every refused one at once:
# qmail-rspawn holds what it held before any delivery, and no fake worker is left
sleep 2.5
[ "$(rspawn_fds)" = "$fds1" ] && pass reuse_no_fd_leak ||
  fail reuse_no_fd_leak "qmail-rspawn had $fds1 descriptors at start, $(rspawn_fds) now"
left=$(pgrep -f "$w/fake" | wc -l)
[ "$left" = 0 ] && pass reuse_workers_end || fail reuse_workers_end "$left fake workers still run"
