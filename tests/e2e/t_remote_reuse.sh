#!/bin/bash
# Connection reuse in a whole instance (qmail-send, qmail-rspawn, qmail-remote)
# against counting SMTP peers (smtp_count_peer.py) on loopback: several messages
# to one domain over one connection; the idle limit ends an idle connection with
# QUIT; the transaction limit starts a new one; a peer that closes its idle
# connection (with a 421, without a word, or with a reset) costs a fresh connection, never a
# deferral; two domains on one server never share a connection; qmail-rspawn ends
# its idle connections when it stops. Then qmail-rspawn against a fake
# qmail-remote that hands back garbage, two descriptors, two messages, a wrong
# address, a socket that is not TCP or has unread bytes: nothing of that is ever
# passed on, and qmail-rspawn's descriptors are back where they started.
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
  one.test:[127.0.0.2]:2527 two.test:[127.0.0.2]:2527 reset.test:[127.0.0.2]:2530 > "$QM_HOME/control/smtproutes"
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

for p in "2525 normal" "2526 close421" "2527 normal" "2528 close" "2529 normal" "2530 reset"; do
  set -- $p
  python3 "$QM_SRC/tests/e2e/smtp_count_peer.py" 127.0.0.2 $1 "$w/log.$1" $2 > "$w/ready.$1" &
  INST_PIDS="$INST_PIDS $!"
done
for p in 2525 2526 2527 2528 2529 2530; do for _ in $(seq 50); do [ -s "$w/ready.$p" ] && break; sleep 0.1; done; done

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

# --- a hostile qmail-remote: what it hands back is checked, never passed on -----------
cat > "$w/fake" <<EOF
#!/usr/bin/env python3
import array, os, socket, sys, time
host = sys.argv[1]
reuse = os.environ.get("QMAIL_CONNREUSE")
with open("$w/fake.log", "a") as f: f.write("%s reuse=%s\n" % (host, reuse or "-"))
if reuse: os.close(7)
keep = []   # the sockets must outlive sendmsg
def tcp(greet=True):
    c = socket.create_connection(("127.0.0.2", 2529))
    keep.append(c)
    while greet and not c.recv(100).endswith(b"\r\n"): pass
    return c
good = b"ip=127.0.0.2 caps=5 size=0 uses=1\n"
if os.environ.get("QMAIL_CONNBACK") == "6":
    back = socket.socket(fileno=6)
    def give(line, fds):
        back.sendmsg([line], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())])
    name = host.split(".")[0]
    if name == "good": give(good, [tcp().fileno()])
    if name == "garbage": give(b"hello there\n", [tcp().fileno()])
    if name == "twofds": give(good, [tcp().fileno(), tcp().fileno()])
    if name == "twomsgs": give(good, [tcp().fileno()]); give(good, [tcp().fileno()])
    if name == "wrongip": give(b"ip=192.0.2.9 caps=5 size=0 uses=1\n", [tcp().fileno()])
    if name == "nolf": give(good[:-1], [tcp().fileno()])
    if name == "unix": keep.extend(socket.socketpair()); give(good, [keep[-1].fileno()])
    if name == "pending": c = tcp(False); time.sleep(0.3); give(good, [c.fileno()])   # the greeting unread
    if name == "nofd": back.send(good)
sys.stdout.buffer.write(b"r\0K127.0.0.2 accepted message.\n\0")
EOF
chmod 755 "$w/fake"
: > "$w/fake.log"; chmod 666 "$w/fake.log"
wait_for no_rspawn && pass reuse_rspawn_exits || fail reuse_rspawn_exits "qmail-rspawn still runs: $(ls -l /proc/$RSPAWN/fd)"
QMAILREMOTE=$w/fake start_send
wait_for find_rspawn
sleep 1
fds1=$(rspawn_fds)
hosts="good garbage twofds twomsgs wrongip nolf unix pending nofd"
for h in $hosts; do deliver 1@$h.test; deliver 2@$h.test; done
second() { sed -n "s/^$1\.test reuse=//p" "$w/fake.log" | sed -n 2p; }
bad=
for h in $hosts; do
  case $h:$(second $h) in
    good:ip=127.0.0.2\ caps=5\ size=0\ uses=1) ;;
    good:*) bad="$bad good:'$(second good)'" ;;
    *:-) ;;
    *) bad="$bad $h:'$(second $h)'" ;;
  esac
done
[ -z "$bad" ] && [ "$(wc -l < "$w/fake.log")" = 18 ] && pass reuse_hostile_child_refused ||
  fail reuse_hostile_child_refused "${bad:-$(wc -l < "$w/fake.log") runs}"
# every descriptor handed back was kept and ended, or closed at once: after the idle
# limit qmail-rspawn holds what it held before any delivery
sleep 2.5
[ "$(rspawn_fds)" = "$fds1" ] && pass reuse_no_fd_leak ||
  fail reuse_no_fd_leak "qmail-rspawn had $fds1 descriptors at start, $(rspawn_fds) now"
