#!/bin/bash
# Remote delivery between hosts (tests/e2e/net.sh): a name server host running nsd
# with tests/e2e/dns/test.zone; host a, a whole instance (qmail-dns, qmail-send,
# qmail-rspawn, qmail-remote) sending; host b, a whole instance receiving
# (tcpserver + qmail-smtpd, qmail-send, qmail-local into a Maildir); host c, the
# scripted peer (smtp_peer.py) for what b cannot be told to do. Covers: a to b with
# both Received lines, primary MX refusing -> secondary, no MX -> A, AAAA only over
# IPv6, null MX and NXDOMAIN bounced to the sender, the name server down ->
# deferred and delivered after it returns (SIGALRM), 5xx and 4xx for one recipient
# each while the other is accepted.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/net.sh"
need_root
for p in nsd tcpserver s6-setuidgid s6-envuidgid python3; do
  command -v $p > /dev/null || { skip remote_net "$p is not installed"; exit 0; }
done
for p in qmail-dns qmail-rspawn qmail-remote qmail-smtpd qmail-send qmail-local; do
  [ -x "$QM_BUILD/bin/$p" ] || { skip remote_net "$p is not built"; exit 0; }
done
net_init
W=$NET_DIR
net_host ns 192.0.2.53 2001:db8::53
net_host a 192.0.2.10 2001:db8::10
net_host b 192.0.2.20
net_host c 192.0.2.30 192.0.2.31 2001:db8::30
net_inst a mail.a.test
net_inst b mx1.b.test
A=$NET_DIR/a B=$NET_DIR/b
printf 'mail.a.test\na.test\n' > "$A/control/locals"
printf 'mx1.b.test\nb.test\nlate.test\n' > "$B/control/locals"
printf 'b.test\nlate.test\n' > "$B/control/rcpthosts"
net_sender "$A" 5
net_postmaster "$A" "$B"

# the name server
mkdir -p "$W/nsd"
cp "$QM_SRC/tests/e2e/dns/test.zone" "$W/nsd/"
start_nsd() { net_nsd ns a "$W/nsd"; }
start_nsd || { fail remote_net_nsd "nsd did not answer: $(tail -n 3 "$W/nsd.out")"; exit 1; }

# host a: qmail-dns and the scheduler
net_bg a "$W/a.dns" s6-setuidgid qmailn "$QM_HOME/bin/qmail-dns"
for _ in $(seq 50); do [ -S "$A/dns/socket" ] && break; sleep 0.1; done
[ -S "$A/dns/socket" ] || { fail remote_net_qmail_dns "no socket: $(tail -n 3 "$W/a.dns")"; exit 1; }
ALOG=$W/a.log BLOG=$W/b.log
: > "$ALOG"; : > "$BLOG"
net_bg a "$ALOG" "$QM_HOME/bin/qmail-start" ./Maildir/
ASEND=$NET_PID
# host b: the SMTP receiver and its scheduler
net_bg b "$W/b.smtpd" s6-envuidgid qmaild tcpserver -UHR -l mx1.b.test -c 20 -- 192.0.2.20 25 "$QM_HOME/bin/qmail-smtpd"
net_bg b "$BLOG" "$QM_HOME/bin/qmail-start" ./Maildir/

inject() { # sender rcpt... on host a, through its qmail-queue
  printf 'Subject: net test\nMessage-Id: <%s@mail.a.test>\n\nhello across hosts\n' "$2" |
  net_run a python3 -c '
import os, sys, subprocess
env = ("F" + sys.argv[1] + "\0" + "".join("T" + r + "\0" for r in sys.argv[3:]) + "\0").encode()
rd, wr = os.pipe()
os.write(wr, env); os.close(wr)
sys.exit(subprocess.run([sys.argv[2]], stdin=sys.stdin, stdout=rd).returncode)' "$1" "$QM_HOME/bin/qmail-queue" "${@:2}"
}
# result RCPT [SECONDS]: waits for the last result line of RCPT's delivery on a
result() {
  local d r i
  for i in $(seq 1 $((${2:-10} * 10))); do
    d=$(sed -n "s/^starting delivery \([0-9]*\): msg [0-9]* to remote $1\$/\1/p" "$ALOG" | tail -n 1)
    if [ -n "$d" ]; then r=$(sed -n "s/^delivery $d: //p" "$ALOG" | tail -n 1); [ -n "$r" ] && { echo "$r"; return; }; fi
    sleep 0.1
  done
}
peer() { # scenario address sessions: the scripted peer on c, port 25
  rm -f "$W/ready" "$W/got"
  net_bg c "$W/ready" python3 "$QM_SRC/tests/e2e/smtp_peer.py" "$2" 25 "$1" "$W/got" "$3"
  PEER=$NET_PID
  for _ in $(seq 50); do [ -s "$W/ready" ] && return; sleep 0.1; done
}
wait_peer() { for _ in $(seq 50); do kill -0 $PEER 2>/dev/null || return 0; sleep 0.1; done; kill $PEER 2>/dev/null; }

# 1. a to b, the whole chain
inject postmaster@a.test postmaster@b.test
r=$(result postmaster@b.test 15)
case $r in success:*) pass net_a_to_b_success ;; *) fail net_a_to_b_success "a's result: '$r'" ;; esac
m=
for _ in $(seq 100); do m=$(ls "$B/alias/Maildir/new"/* 2>/dev/null | head -n 1); [ -n "$m" ] && break; sleep 0.1; done
if [ -n "$m" ]; then
  pass net_b_maildir
  # newest first: b's qmail-queue, b's qmail-smtpd, a's qmail-queue
  sed -n '/^Received:/,/^[^ R]/p' "$m" | grep -E '^(Received:|  )' > "$W/received"
  if [ "$(wc -l < "$W/received")" = 4 ] &&
     sed -n 1p "$W/received" | grep -qE '^Received: \(qmail [0-9]+ invoked from network\); ' &&
     sed -n 2p "$W/received" | grep -qE '^Received: from unknown \(HELO mail\.a\.test\) \(192\.0\.2\.10\)$' &&
     sed -n 3p "$W/received" | grep -qE '^  by mx1\.b\.test with E?SMTP; ' &&
     sed -n 4p "$W/received" | grep -qE '^Received: \(qmail [0-9]+ invoked by uid [0-9]+\); '
  then pass net_received_lines
  else fail net_received_lines "$(tr '\n' '|' < "$W/received")"; fi
  grep -q '^hello across hosts$' "$m" && pass net_body || fail net_body "body lost"
else fail net_b_maildir "nothing in b's alias/Maildir/new; b log: $(tail -n 3 "$BLOG" | tr '\n' '|')"; fi

# 2. primary MX refuses connections (nothing listens on 192.0.2.31): the secondary
peer pipe 192.0.2.30 1
inject postmaster@a.test joe@down.test
r=$(result joe@down.test)
wait_peer
case $r in "success: 192.0.2.30_accepted_message."*) pass net_secondary_mx ;; *) fail net_secondary_mx "got '$r'" ;; esac

# 3. no MX: the A record
peer pipe 192.0.2.30 1
inject postmaster@a.test joe@nomx.test
r=$(result joe@nomx.test)
wait_peer
case $r in "success: 192.0.2.30_accepted_message."*) pass net_no_mx_a ;; *) fail net_no_mx_a "got '$r'" ;; esac

# 4. AAAA only: over IPv6
peer pipe 2001:db8::30 1
inject postmaster@a.test joe@v6.test
r=$(result joe@v6.test)
wait_peer
case $r in "success: 2001:db8::30_accepted_message."*) pass net_aaaa_only ;; *) fail net_aaaa_only "got '$r'" ;; esac

# 5. null MX and NXDOMAIN: permanent, bounced to the sender on a
inject postmaster@a.test joe@null.test
inject postmaster@a.test joe@nosuch.test
r=$(result joe@null.test)
case $r in "failure: Sorry,_this_domain_does_not_accept_mail_(null_MX)._(#5.1.10)/") pass net_null_mx ;; *) fail net_null_mx "got '$r'" ;; esac
r=$(result joe@nosuch.test)
case $r in "failure: Sorry,_I_couldn't_find_any_host_named_nosuch.test._(#5.1.2)/") pass net_nxdomain ;; *) fail net_nxdomain "got '$r'" ;; esac
n=0
for _ in $(seq 100); do
  n=$(grep -lE 'joe@(null|nosuch)\.test' "$A/alias/Maildir/new"/* 2>/dev/null | wc -l)
  [ "$n" -ge 2 ] && break; sleep 0.1
done
[ "$n" -ge 2 ] && pass net_bounces_delivered || fail net_bounces_delivered "$n bounces in a's alias/Maildir/new"

# 6. the name server down: deferred; back up and SIGALRM: delivered
kill $NSD_PID; wait $NSD_PID 2>/dev/null
inject postmaster@a.test postmaster@late.test
r=$(result postmaster@late.test 15)
case $r in "deferral: Sorry,_I_couldn't_find_any_host_by_that_name._(#4.1.2)/") pass net_dns_down_deferred ;;
  *) fail net_dns_down_deferred "got '$r'" ;; esac
before=$(ls "$B/alias/Maildir/new" | wc -l)
start_nsd || fail net_nsd_restart "nsd did not come back"
mark=$(wc -l < "$ALOG")
kill -ALRM $ASEND
ok=
for _ in $(seq 100); do
  tail -n +$((mark + 1)) "$ALOG" | grep -qE '^delivery [0-9]+: success: 192\.0\.2\.20_accepted' && { ok=1; break; }
  sleep 0.1
done
# b delivers it to its alias a moment after its 250 (a's success line)
for _ in $(seq 50); do [ "$(ls "$B/alias/Maildir/new" | wc -l)" -gt "$before" ] && break; sleep 0.1; done
[ -n "$ok" ] && [ "$(ls "$B/alias/Maildir/new" | wc -l)" -gt "$before" ] && pass net_dns_back_delivered ||
  fail net_dns_back_delivered "$(tail -n +$((mark + 1)) "$ALOG" | grep '^delivery' | tr '\n' '|')"

# 7. one of two recipients refused, 5xx and then 4xx
peer pipe 192.0.2.30 4
inject postmaster@a.test good@rc.test bad@rc.test
inject postmaster@a.test fine@rc.test tmp@rc.test
for x in good bad fine tmp; do eval "r_$x=\$(result $x@rc.test)"; done
wait_peer
case $r_good in "success: 192.0.2.30_accepted_message."*) pass net_rcpt_ok_beside_5xx ;; *) fail net_rcpt_ok_beside_5xx "got '$r_good'" ;; esac
case $r_bad in "failure: 192.0.2.30_does_not_like_recipient./Remote_host_said:_550_5.1.1_no_such_user/"*) pass net_rcpt_5xx_failure ;;
  *) fail net_rcpt_5xx_failure "got '$r_bad'" ;; esac
case $r_fine in "success: 192.0.2.30_accepted_message."*) pass net_rcpt_ok_beside_4xx ;; *) fail net_rcpt_ok_beside_4xx "got '$r_fine'" ;; esac
case $r_tmp in "deferral: 192.0.2.30_does_not_like_recipient./Remote_host_said:_451_try_later/"*) pass net_rcpt_4xx_deferral ;;
  *) fail net_rcpt_4xx_deferral "got '$r_tmp'" ;; esac
