#!/bin/bash
# Restarts lose nothing: 2,000 messages over SMTP from 4 loopback clients, one
# message a connection, while qmailctl restart takes every service down and up in
# the middle. Every message that got a 250 must reach ~demo/Maildir/new exactly
# once; a client may see 4xx replies or a refused connection (or one reset before
# the greeting) and try again, but never a 5xx nor a session closed without a reply.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/ops_lib.sh"
tree_setup
tree_start || { fail restart_start "$(tail -n 5 "$TREE_OUT")"; exit 1; }
TOTAL=${RESTART_TOTAL:-2000}
# The load: prints "accepted N", "tempfail N", "refused N", "silent N", "perm N" and
# writes the accepted tokens to a file; it signals via a file when half is done.
python3 - "$TOTAL" "$INST.accepted" "$INST.half" > "$INST.load.out" 2>&1 <<'PY' &
import socket, sys, threading, time, os
total, accfile, half = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
stats = {"accepted": 0, "tempfail": 0, "refused": 0, "silent": 0, "perm": 0}
accepted = []
def count(k):
    with lock: stats[k] += 1
def reply(f):
    while True:
        l = f.readline()
        if not l: return None
        if len(l) < 4 or l[3:4] != b"-": return l
def one(tok):
    try:
        s = socket.create_connection(("127.0.0.1", 2525), timeout=30)
    except OSError:
        count("refused"); return False
    f = s.makefile("rb")
    try:
        # A connection still in the backlog of a stopping tcpserver is reset before
        # any greeting: the client knows nothing was taken, as with a refusal.
        try:
            r = reply(f)
        except (ConnectionResetError, BrokenPipeError):
            r = None
        if r is None: count("refused"); return False
        if r[:1] == b"4": count("tempfail"); return False
        for c in (b"HELO load\r\n", b"MAIL FROM:<load@example.net>\r\n", b"RCPT TO:<demo@localhost>\r\n", b"DATA\r\n"):
            s.sendall(c); r = reply(f)
            if r is None: count("silent"); return False
            if r[:1] == b"4": count("tempfail"); return False
            if r[:1] == b"5": count("perm"); return False
        s.sendall(b"Subject: " + tok.encode() + b"\r\n\r\nload " + tok.encode() + b"\r\n.\r\n")
        r = reply(f)
        if r is None: count("silent"); return False
        if r[:3] == b"250":
            with lock: stats["accepted"] += 1; accepted.append(tok)
            try: s.sendall(b"QUIT\r\n")
            except OSError: pass
            return True
        count("tempfail" if r[:1] == b"4" else "perm"); return False
    except (ConnectionResetError, BrokenPipeError):
        count("silent"); return False
    finally:
        s.close()
def worker(w, n):
    for i in range(n):
        tok = "tok-%d-%d" % (w, i)
        for attempt in range(200):
            if one(tok): break
            time.sleep(0.05)
        with lock:
            if stats["accepted"] >= total // 2 and not os.path.exists(half): open(half, "w").close()
ts = [threading.Thread(target=worker, args=(w, total // 4)) for w in range(4)]
for t in ts: t.start()
for t in ts: t.join()
with open(accfile, "w") as f: f.write("\n".join(accepted) + "\n")
for k, v in stats.items(): print(k, v)
PY
LOAD=$!
for _ in $(seq 1 600); do [ -e "$INST.half" ] && break; kill -0 $LOAD 2>/dev/null || break; sleep 0.1; done
if [ -e "$INST.half" ]; then
  "$QM_HOME/bin/qmailctl" restart > "$INST.restart.out" 2>&1 && pass restart_during_load ||
    fail restart_during_load "$(cat "$INST.restart.out")"
else
  fail restart_during_load "the load never reached half: $(cat "$INST.load.out")"
fi
wait $LOAD
acc=$(awk '$1 == "accepted" {print $2}' "$INST.load.out")
silent=$(awk '$1 == "silent" {print $2}' "$INST.load.out")
perm=$(awk '$1 == "perm" {print $2}' "$INST.load.out")
[ "$acc" = "$TOTAL" ] && pass restart_all_accepted_eventually ||
  fail restart_all_accepted_eventually "$(tr '\n' ' ' < "$INST.load.out")"
[ "$silent" = 0 ] && [ "$perm" = 0 ] && pass restart_no_silent_drop ||
  fail restart_no_silent_drop "$(tr '\n' ' ' < "$INST.load.out")"
echo "restart load: $(tr '\n' ' ' < "$INST.load.out")"
# Every accepted token lands, once.
want=$(grep -c . "$INST.accepted")
for _ in $(seq 1 900); do
  [ "$(demo_count)" -ge "$want" ] && break; sleep 0.1
done
find /home/demo/Maildir/new -type f -print0 | xargs -0 grep -h '^Subject: tok-' | sed 's/^Subject: //' | sort > "$INST.got"
sort "$INST.accepted" | grep . > "$INST.want"
lost=$(comm -23 "$INST.want" "$INST.got" | wc -l)
dups=$(uniq -d "$INST.got" | wc -l)
[ "$lost" = 0 ] && [ "$want" -gt 0 ] && pass "restart_none_lost ($want delivered)" ||
  fail restart_none_lost "$lost of $want accepted messages not delivered; queue: $("$QM_HOME/bin/qmail-qstat" | tr '\n' ' ')"
[ "$dups" = 0 ] && pass restart_no_duplicates || fail restart_no_duplicates "$dups delivered twice"
tree_stop > /dev/null
