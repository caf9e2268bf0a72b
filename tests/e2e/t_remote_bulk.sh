#!/bin/bash
# A bulk run between hosts (tests/e2e/net.sh): host a queues 2,000 messages for
# bulk.test, whose two MX records have equal preference and point at two addresses
# of host b (a whole receiving instance). Half-way through, a's qmail-dns is killed
# and started again. Checks: every message arrives exactly once (Message-Ids
# counted on b), a's queue ends empty with no bounce and no permanent failure, and
# both equal MXes carried mail.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/net.sh"
need_root
for p in nsd tcpserver s6-setuidgid s6-envuidgid python3; do
  command -v $p > /dev/null || { skip remote_bulk "$p is not installed"; exit 0; }
done
for p in qmail-dns qmail-rspawn qmail-remote qmail-smtpd qmail-send qmail-local qmail-queue; do
  [ -x "$QM_BUILD/bin/$p" ] || { skip remote_bulk "$p is not built"; exit 0; }
done
TOTAL=2000
net_init
W=$NET_DIR
net_host ns 192.0.2.53
net_host a 192.0.2.10
net_host b 192.0.2.20 192.0.2.21
net_inst a mail.a.test
net_inst b mx1.b.test
A=$NET_DIR/a B=$NET_DIR/b
printf 'mail.a.test\na.test\n' > "$A/control/locals"
printf 'mx1.b.test\nbulk.test\n' > "$B/control/locals"
printf 'bulk.test\n' > "$B/control/rcpthosts"
net_sender "$A" 10
net_postmaster "$A" "$B"

mkdir -p "$W/nsd"
cp "$QM_SRC/tests/e2e/dns/test.zone" "$W/nsd/"
net_nsd ns a "$W/nsd" || { fail remote_bulk_nsd "nsd did not answer: $(tail -n 3 "$W/nsd.out")"; exit 1; }

start_dns() {
  net_bg a "$W/a.dns" s6-setuidgid qmailn "$QM_HOME/bin/qmail-dns"
  DNS_PID=$NET_PID
  for _ in $(seq 50); do [ -S "$A/dns/socket" ] && return 0; sleep 0.1; done
  return 1
}
start_dns || { fail remote_bulk_qmail_dns "no socket: $(tail -n 3 "$W/a.dns")"; exit 1; }
ALOG=$W/a.log BLOG=$W/b.log
: > "$ALOG"; : > "$BLOG"
net_bg a "$ALOG" "$QM_HOME/bin/qmail-start" ./Maildir/
ASEND=$NET_PID
# b listens on both of its addresses; tcpserver -v logs the local address of each
net_bg b "$W/b.smtpd" s6-envuidgid qmaild tcpserver -vUHR -l mx1.b.test -c 40 -- 0.0.0.0 25 "$QM_HOME/bin/qmail-smtpd"
net_bg b "$BLOG" "$QM_HOME/bin/qmail-start" ./Maildir/
net_wait_tcp a 192.0.2.20 25; net_wait_tcp a 192.0.2.21 25

arrived() { find "$B/alias/Maildir/new" -type f | wc -l; }
# a's qmail-queue, once per message, each with its own Message-Id
net_bg a "$W/inject.log" python3 -c '
import os, subprocess, sys
qq, total = sys.argv[1], int(sys.argv[2])
env = b"Fpostmaster@a.test\0Tpostmaster@bulk.test\0\0"
for i in range(total):
    msg = ("Subject: bulk %d\nMessage-Id: <bulk-%d@mail.a.test>\n\nbulk body %d\n" % (i, i, i)).encode()
    # qmail-queue: the message on fd 0, the envelope on fd 1
    r, w = os.pipe()
    os.write(w, env); os.close(w)
    rc = subprocess.run([qq], input=msg, stdout=r).returncode
    os.close(r)
    if rc != 0:
        print("qmail-queue exit %d for message %d" % (rc, i), flush=True); sys.exit(1)
print("queued %d" % total, flush=True)
' "$QM_HOME/bin/qmail-queue" "$TOTAL"
INJ=$NET_PID

# half-way: qmail-dns goes away and comes back
for _ in $(seq 600); do [ "$(arrived)" -ge $((TOTAL / 2)) ] && break; sleep 0.1; done
at_kill=$(arrived)
kill "$DNS_PID"; wait "$DNS_PID" 2>/dev/null
sleep 0.5
if start_dns; then
  # it must have happened with mail still to go, or it tested nothing
  [ "$at_kill" -lt $TOTAL ] && pass remote_bulk_dns_restart_midrun ||
    fail remote_bulk_dns_restart_midrun "all $at_kill had arrived before qmail-dns was killed"
else fail remote_bulk_dns_restart_midrun "qmail-dns did not come back: $(tail -n 3 "$W/a.dns")"; fi
wait $INJ
grep -q "^queued $TOTAL\$" "$W/inject.log" && pass remote_bulk_queued ||
  fail remote_bulk_queued "$(tail -n 2 "$W/inject.log")"
# deliveries deferred while qmail-dns was down are retried now rather than on the schedule
kill -ALRM $ASEND
for i in $(seq 1200); do
  [ "$(arrived)" -ge $TOTAL ] && [ -z "$(find "$A/queue/mess" -type f)" ] && break
  [ $((i % 100)) = 0 ] && kill -ALRM $ASEND
  sleep 0.1
done
sleep 0.5

n=$(arrived)
ids=$(cat "$B/alias/Maildir/new"/* | sed -n 's/^Message-Id: <\(bulk-[0-9]*\)@mail\.a\.test>$/\1/p' | sort)
uniq=$(echo "$ids" | sort -u | grep -c .)
if [ "$n" = $TOTAL ] && [ "$uniq" = $TOTAL ]; then pass remote_bulk_all_once
else fail remote_bulk_all_once "$n files, $uniq distinct Message-Ids of $TOTAL; dups: $(echo "$ids" | uniq -d | head -n 3 | tr '\n' ' ')"; fi
left=$(find "$A/queue/mess" -type f | wc -l)
fails=$(grep -c '^delivery [0-9]*: failure' "$ALOG")
bounces=$(find "$A/alias/Maildir/new" -type f | wc -l)
[ "$left" = 0 ] && [ "$fails" = 0 ] && [ "$bounces" = 0 ] && pass remote_bulk_queue_empty ||
  fail remote_bulk_queue_empty "$left messages left on a, $fails permanent failures, $bounces bounces"
n20=$(grep -c '^delivery [0-9]*: success: 192\.0\.2\.20_' "$ALOG")
n21=$(grep -c '^delivery [0-9]*: success: 192\.0\.2\.21_' "$ALOG")
[ "$n20" -gt 0 ] && [ "$n21" -gt 0 ] && [ $((n20 + n21)) = $TOTAL ] && pass remote_bulk_equal_mx_both_used ||
  fail remote_bulk_equal_mx_both_used "192.0.2.20: $n20, 192.0.2.21: $n21 of $TOTAL"
