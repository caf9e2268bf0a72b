#!/bin/bash
# qmailctl and qmail-showctl on a running instance: status, flush, pause/cont, queue,
# cdb (tcprules, qmail-newmrh), restart, stop, start; queue-check finds a wrong mode,
# a missing split directory and old pid/ debris, changes nothing without -r, refuses
# to repair while qmail-send runs, and repairs with -r.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/ops_lib.sh"
tree_setup
tree_start || { fail qmailctl_start "$(tail -n 5 "$TREE_OUT")"; exit 1; }
Q=$QM_HOME/bin/qmailctl
out=$INST.ctl.out

$Q status > "$out" 2>&1 && grep -q '^qmail-send: up' "$out" && grep -q '^qmail-smtpd/log: up' "$out" &&
  pass qmailctl_status || fail qmailctl_status "$(cat "$out")"
$Q flush > "$out" 2>&1 && pass qmailctl_flush || fail qmailctl_flush "$(cat "$out")"
$Q pause > /dev/null && s6-svstat "$QM_HOME/service/qmail-send" | grep -q paused &&
  $Q cont > /dev/null && ! s6-svstat "$QM_HOME/service/qmail-send" | grep -q paused &&
  pass qmailctl_pause_cont || fail qmailctl_pause_cont "$(s6-svstat "$QM_HOME/service/qmail-send")"
$Q queue > "$out" 2>&1 && grep -q '^messages in queue: 0' "$out" && pass qmailctl_queue ||
  fail qmailctl_queue "$(cat "$out")"
printf 'Example.COM\n' > "$QM_HOME/control/morercpthosts"
printf '127.:allow,RELAYCLIENT=""\n:allow\n' > "$QM_HOME/control/tcp.smtp"
rm -f "$QM_HOME/control/tcp.smtp.cdb"
$Q cdb > "$out" 2>&1 && [ -s "$QM_HOME/control/tcp.smtp.cdb" ] && [ -s "$QM_HOME/control/morercpthosts.cdb" ] &&
  pass qmailctl_cdb || fail qmailctl_cdb "$(cat "$out")"
# morercpthosts.cdb is what qmail-smtpd reads: a domain only listed there is taken.
swaks -S --server 127.0.0.1 --port 2525 --from a@example.net --to nobody@example.com --quit-after RCPT > /dev/null 2>&1 &&
  pass qmailctl_morercpthosts || fail qmailctl_morercpthosts "example.com refused at RCPT"
$QM_HOME/bin/qmail-showctl > "$out" 2>&1 && grep -q '^me: mail.example.org' "$out" &&
  grep -q '^concurrencylocal: (default) 10' "$out" && grep -q '^morercpthosts.cdb: present' "$out" &&
  pass qmailctl_showctl || fail qmailctl_showctl "$(head -n 20 "$out")"
echo 600 > "$QM_HOME/control/delaywarning"
$QM_HOME/bin/qmail-showctl > "$out" 2>&1 && grep -q '^delaywarning: 600 ' "$out" &&
  grep -q '^concurrencyperdomain: (default) 20 ' "$out" && ! grep -q 'delaywarning: not read' "$out" &&
  pass qmailctl_showctl_newer_controls || fail qmailctl_showctl_newer_controls "$(grep -e delaywarning -e concurrencyperdomain "$out")"
rm -f "$QM_HOME/control/delaywarning"
echo x > "$QM_HOME/control/nonsense"
$QM_HOME/bin/qmail-showctl | grep -q '^nonsense: not read' && pass qmailctl_showctl_unknown ||
  fail qmailctl_showctl_unknown "unknown control file not reported"

pid1=$(s6-svstat -o pid "$QM_HOME/service/qmail-send")
$Q restart > "$out" 2>&1 && pid2=$(s6-svstat -o pid "$QM_HOME/service/qmail-send") && [ "$pid1" != "$pid2" ] &&
  [ "$pid2" -gt 0 ] && pass qmailctl_restart || fail qmailctl_restart "$pid1 -> ${pid2:-?}: $(cat "$out")"
$Q queue-check > "$out" 2>&1 && pass qmailctl_check_clean || fail qmailctl_check_clean "$(cat "$out")"
chmod 0755 "$QM_HOME/queue/info/3"; rmdir "$QM_HOME/queue/remote/5"
touch "$QM_HOME/queue/pid/77"; touch -d '2 hours ago' "$QM_HOME/queue/pid/77"
$Q queue-check > "$out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'queue/info/3 is qmails qmail 755, want qmails qmail 700' "$out" &&
  grep -q 'missing directory queue/remote/5' "$out" && grep -q 'debris pid/77' "$out" &&
  [ ! -d "$QM_HOME/queue/remote/5" ] && [ -e "$QM_HOME/queue/pid/77" ] &&
  pass qmailctl_check_finds || fail qmailctl_check_finds "rc=$rc $(cat "$out")"
$Q queue-check -r > "$out" 2>&1; rc=$?
[ $rc = 111 ] && grep -q 'qmail-send is running' "$out" && [ ! -d "$QM_HOME/queue/remote/5" ] &&
  pass qmailctl_check_refuses_running || fail qmailctl_check_refuses_running "rc=$rc $(cat "$out")"
$Q stop > "$out" 2>&1 && s6-svstat "$QM_HOME/service/qmail-send" | grep -q '^down' &&
  s6-svstat "$QM_HOME/service/qmail-smtpd" | grep -q '^down' && pass qmailctl_stop ||
  fail qmailctl_stop "$(cat "$out")"
$Q status > /dev/null 2>&1 && fail qmailctl_status_down "status exits 0 with services down" ||
  pass qmailctl_status_down
$Q queue-check -r > /dev/null 2>&1
$Q queue-check > "$out" 2>&1 && [ "$(stat -c '%U %G %a' "$QM_HOME/queue/remote/5")" = "qmails qmail 700" ] &&
  [ ! -e "$QM_HOME/queue/pid/77" ] && pass qmailctl_check_repairs || fail qmailctl_check_repairs "$(cat "$out")"
$Q start > "$out" 2>&1 && s6-svstat "$QM_HOME/service/qmail-send" | grep -q '^up' && pass qmailctl_start ||
  fail qmailctl_start "$(cat "$out")"
$Q bogus > /dev/null 2>&1; [ $? = 100 ] && pass qmailctl_usage || fail qmailctl_usage "unknown command not exit 100"
tree_stop > /dev/null
# Not supervised: a clear message and 111.
$Q flush > "$out" 2>&1; rc=$?
[ $rc = 111 ] && grep -q 'is not supervised' "$out" && pass qmailctl_unsupervised ||
  fail qmailctl_unsupervised "rc=$rc $(cat "$out")"
