#!/bin/bash
# make run's script (mk/run.sh) in a namespace: it installs, writes the default
# configuration, creates the demo user and runs the service tree in the foreground;
# mail sent with swaks (both addresses) and with the suite's sendmail lands in
# ~demo/Maildir/new within a second and the delivery is logged; a second copy refuses
# while the first runs; SIGINT takes everything down; a second run works again.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/ops_lib.sh"
tree_setup
# The script must write the defaults itself, as on a fresh machine.
rm -f "$QM_HOME"/control/me "$QM_HOME"/control/locals "$QM_HOME"/control/rcpthosts \
  "$QM_HOME"/control/defaultdomain
OUT=$TREE_OUT
SUITE=$SUITE_PROGS
start_run() { tree_start; }
stop_run() { tree_stop; }

# delivered N: wait up to 1 s until ~demo/Maildir/new holds N messages
delivered() {
  for _ in $(seq 1 20); do
    [ "$(find /home/demo/Maildir/new -type f 2>/dev/null | wc -l)" -ge "$1" ] && return 0
    sleep 0.05
  done
  return 1
}
send_swaks() { swaks -S --server "$1" --port 2525 --from tester@example.net --to demo@localhost \
  --header "Subject: $2" --body "make run test" --timeout 10; }

if start_run; then pass run_starts; else fail run_starts "no ready line: $(tail -n 5 "$OUT")"; exit 1; fi
host=$(hostname -f 2>/dev/null || hostname)
[ "$(head -n 1 "$QM_HOME/control/me")" = "$host" ] && grep -qx localhost "$QM_HOME/control/locals" &&
  grep -qx "$host" "$QM_HOME/control/rcpthosts" && grep -qx "localhost.$(cat "$QM_HOME/control/defaultdomain")" "$QM_HOME/control/locals" && pass run_default_control ||
  fail run_default_control "me=$(cat "$QM_HOME/control/me") locals=$(tr '\n' ' ' < "$QM_HOME/control/locals")"
grep -q "swaks --server 127.0.0.1 --port 2525 --to demo@localhost" "$OUT" &&
  grep -q "it lands in: /home/demo/Maildir/new/" "$OUT" && pass run_prints_howto ||
  fail run_prints_howto "$(cat "$OUT")"

send_swaks 127.0.0.1 "over IPv4" && delivered 1 && pass run_swaks_ipv4 ||
  fail run_swaks_ipv4 "not in ~demo/Maildir/new within a second: $(tail -n 3 "$QM_HOME/log/qmail-send/current")"
if ip -6 addr show dev lo | grep -q '::1'; then
  send_swaks ::1 "over IPv6" && delivered 2 && pass run_swaks_ipv6 ||
    fail run_swaks_ipv6 "not delivered: $(tail -n 3 "$QM_HOME/log/qmail-smtpd-ip6/current" 2>&1)"
else
  skip run_swaks_ipv6 "no ::1 on loopback"
fi
# the run script's memory and descriptor limits (s6-softlimit in front of tcpserver)
# reach each connection's qmail-smtpd: the session qmail-smtpdd forked for it, which
# takes them from tcpserver's front (the only session open now)
exec 7<>/dev/tcp/127.0.0.1/2525
read -r -t 5 greeting <&7
pid=
for p in $(pgrep -x qmail-smtpd); do
  pp=$(awk '{print $4}' "/proc/$p/stat")
  [ "$(cat "/proc/$pp/comm" 2>/dev/null)" = qmail-smtpdd ] && pid=$p
done
if [ -n "$pid" ] && grep -Eq '^Max address space +64000000 ' "/proc/$pid/limits" &&
   grep -Eq '^Max open files +64 ' "/proc/$pid/limits"; then pass run_smtpd_limits
else fail run_smtpd_limits "qmail-smtpd '$pid': $(grep -E 'address space|open files' "/proc/$pid/limits" 2>&1 | tr -s ' ')"; fi
exec 7>&-
# qmail-send's service runs it under s6-softlimit -m (stack and address space both
# 256 MB); its helper threads (the closer, in qmail-clean too) still start there.
bad=
for pc in $(ours qmail-send qmail-clean | tr ' ' :); do
  p=${pc%%:*}
  grep -Eq '^Max stack size +256000000 ' "/proc/$p/limits" || bad="$bad ${pc#*:}:nolimit"
  [ "$(ls "/proc/$p/task" | wc -l)" -ge 2 ] || bad="$bad ${pc#*:}:1task"
done
[ -n "$(ours qmail-clean)" ] && [ -z "$bad" ] && pass run_send_threads ||
  fail run_send_threads "helper threads missing under the service's limits:${bad:- no qmail-clean}"
n=$(find /home/demo/Maildir/new -type f | wc -l)
if [ -x "$QM_HOME/bin/sendmail" ]; then
  echo test | "$QM_HOME/bin/sendmail" demo@localhost && delivered $((n + 1)) && pass run_sendmail ||
    fail run_sendmail "not delivered: $(sleep 2; tail -n 8 "$QM_HOME/log/qmail-send/current"; ls -la /home/demo/Maildir/new)"
else
  skip run_sendmail "the suite's sendmail is not built in this tree"
fi
# The logs trace the first message's path, with TAI64N stamps: qmail-smtpd's accept
# (qp), qmail-send's info line for that qp, its delivery to demo, success, end.
sl=$QM_HOME/log/qmail-send/current
qp=$(grep -m 1 -oE ' accept qp=[0-9]+ ' "$QM_HOME/log/qmail-smtpd/current" | grep -oE '[0-9]+')
msg=$([ -n "$qp" ] && grep -m 1 -E "^@[0-9a-f]{24} info msg [0-9]+: bytes [0-9]+ from <tester@example.net> qp $qp " "$sl" |
  sed -E 's/.* info msg ([0-9]+):.*/\1/')
d=$([ -n "$msg" ] && grep -m 1 -E "^@[0-9a-f]{24} starting delivery [0-9]+: msg $msg to local demo@localhost\$" "$sl" |
  sed -E 's/.* delivery ([0-9]+):.*/\1/')
[ -n "$d" ] && grep -qE "^@[0-9a-f]{24} delivery $d: success: did_1\+0\+0/" "$sl" &&
  grep -qE "^@[0-9a-f]{24} end msg $msg\$" "$sl" && pass run_log_path ||
  fail run_log_path "qp=$qp msg=$msg delivery=$d: $(tail -n 5 "$sl")"
grep -qE '^@[0-9a-f]{24} tcpserver: ' "$QM_HOME/log/qmail-smtpd/current" && pass run_log_smtpd ||
  fail run_log_smtpd "$(tail -n 3 "$QM_HOME/log/qmail-smtpd/current")"

# A second copy refuses while the first runs, and leaves it working.
QM_RUN_SENDMAIL_LINK=no sh "$QM_SRC/mk/run.sh" "$QM_BUILD" > "$INST.run2.out" 2>&1
rc=$?
[ $rc = 111 ] && grep -q 'already supervised' "$INST.run2.out" && pass run_twice_refused ||
  fail run_twice_refused "exit $rc: $(cat "$INST.run2.out")"
send_swaks 127.0.0.1 "after the refused copy" && delivered $((n + 2 - 1 + $( [ -x "$QM_HOME/bin/sendmail" ] && echo 1 || echo 0))) &&
  pass run_twice_harmless || fail run_twice_harmless "no delivery after the second copy"

if stop_run; then pass run_sigint_exit; else fail run_sigint_exit "exit $?: $(tail -n 3 "$OUT")"; fi
left=$(ours $SUITE)
[ -z "$left" ] && pass run_sigint_all_stopped || fail run_sigint_all_stopped "still running: $left"
grep -q 'status: exiting' "$QM_HOME/log/qmail-send/current" && pass run_sigint_send_clean ||
  fail run_sigint_send_clean "qmail-send did not log its orderly exit"

# Again: the same tree comes up and delivers.
n=$(find /home/demo/Maildir/new -type f | wc -l)
if start_run && send_swaks 127.0.0.1 "second run" && delivered $((n + 1)); then pass run_again; else
  fail run_again "$(tail -n 5 "$OUT")"; fi
stop_run; left=$(ours $SUITE)
[ -z "$left" ] && pass run_again_stopped || fail run_again_stopped "still running: $left"
