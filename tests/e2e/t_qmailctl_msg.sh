#!/bin/bash
# qmailctl bounce and remove on a running suite: a message deferred by a program
# that exits 111 is bounced on request, the RFC 3464 report reaches the sender's
# Maildir and the message leaves the queue; remove is refused while qmail-send runs
# (111) and, with it stopped, removes exactly the named messages (one preprocessed,
# one still in todo/) while another queued message stays and is delivered after the
# start; hostile and unknown ids are refused with 100 and change nothing.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/ops_lib.sh"
tree_setup
tree_start || { fail qmailctl_msg_start "$(tail -n 5 "$TREE_OUT")"; exit 1; }
Q=$QM_HOME/bin/qmailctl
q=$QM_HOME/queue
split=$(head -n 1 "$QM_SRC/conf-files/conf-split")
out=$INST.msg.out
SLOG=$QM_HOME/log/qmail-send/current

# ~demo/.qmail-stuck: a program that always defers
printf '|exit 111\n' > /home/demo/.qmail-stuck
chown demo: /home/demo/.qmail-stuck && chmod 0644 /home/demo/.qmail-stuck

# smtp_send RCPT SUBJECT: one message from demo@localhost over SMTP; prints its id
# (the info/ file that appears for it).
smtp_send() {
  before=$(find "$q/info" -type f -printf '%f\n' | sort)
  swaks -S --server 127.0.0.1 --port 2525 --from demo@localhost --to "$1" \
    --header "Subject: $2" --body "body of $2" > /dev/null 2>&1 || return 1
  for _ in $(seq 1 100); do
    new=$(find "$q/info" -type f -printf '%f\n' | sort | comm -13 <(echo "$before") -)
    [ -n "$new" ] && { echo "$new" | head -n 1; return 0; }
    sleep 0.1
  done
  return 1
}
# files_of ID: every queue file of the message, one a line
files_of() {
  s=$(($1 % split))
  for f in todo/$1 intd/$1 bounce/$1 mess/$s/$1 info/$s/$1 local/$s/$1 remote/$s/$1; do
    [ -e "$q/$f" ] && echo "$f"
  done
}
wait_gone() { for _ in $(seq 1 "$(($2 * 10))"); do [ ! -e "$q/mess/$(($1 % split))/$1" ] && return 0; sleep 0.1; done; return 1; }
# wait_deferred ID: the log shows a deferral of the latest delivery of message ID.
# Ids are inode numbers and come back once a message has left the queue, and
# delivery numbers start again with each qmail-send, so only lines after the last
# start of a delivery of ID count.
wait_deferred() {
  for _ in $(seq 1 100); do
    awk -v id="$1" '
      $0 ~ ("starting delivery [0-9]+: msg " id " to local ") {
        d = $0; sub(/.*starting delivery /, "", d); sub(/:.*/, "", d); found = 0; next }
      d != "" && index($0, "delivery " d ": deferral") { found = 1 }
      END { exit !found }' "$SLOG" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# --- bounce ---------------------------------------------------------------------
id1=$(smtp_send demo-stuck@localhost stuck-one)
[ -n "$id1" ] && wait_deferred "$id1" && pass qmailctl_msg_deferred ||
  { fail qmailctl_msg_deferred "no deferred message: $(tail -n 5 "$SLOG" 2>/dev/null)"; exit 1; }
[ "$(demo_count)" = 0 ] || fail qmailctl_msg_deferred "demo already has mail"
$Q bounce "$id1" > "$out" 2>&1; rc=$?
[ $rc = 0 ] && pass qmailctl_bounce_runs || fail qmailctl_bounce_runs "rc=$rc $(cat "$out")"
wait_gone "$id1" 20 && [ -z "$(files_of "$id1")" ] && pass qmailctl_bounce_leaves_queue ||
  fail qmailctl_bounce_leaves_queue "still queued: $(files_of "$id1" | xargs)"
for _ in $(seq 1 100); do [ "$(demo_count)" -ge 1 ] && break; sleep 0.1; done
dsn=$(grep -l '^Content-Type: message/delivery-status' /home/demo/Maildir/new/* 2>/dev/null | head -n 1)
if [ -n "$dsn" ]; then
  ok=1
  for want in '^Final-Recipient: rfc822; demo-stuck@localhost' '^Action: failed' '^Status: 4\.' \
              "I'm not going to try again" '^Subject: stuck-one' '^To: <?demo@localhost'; do
    grep -qE "$want" "$dsn" || { ok=0; fail qmailctl_bounce_dsn "no line matching $want"; }
  done
  [ $ok = 1 ] && pass qmailctl_bounce_dsn
else fail qmailctl_bounce_dsn "no delivery report in ~demo/Maildir/new: $(ls /home/demo/Maildir/new)"; fi
s6-svstat -o up "$QM_HOME/service/qmail-send" | grep -q true && pass qmailctl_bounce_send_up ||
  fail qmailctl_bounce_send_up "qmail-send is not up after bounce"

# --- ids that are not queued messages ----------------------------------------------
id2=$(smtp_send demo-stuck@localhost stuck-two)
[ -n "$id2" ] && wait_deferred "$id2" || fail qmailctl_msg_second "no second deferred message"
# todo/N goes once preprocessing is durable, a moment after the first deferral
for _ in $(seq 1 50); do [ -e "$q/todo/$id2" ] || break; sleep 0.1; done
before=$(find "$q" -type f | sort)
for bad in '../1' '12a' '' "0$id2" "$id2/" '-1' '1 2' "$(printf '1\n2')" 123456789012345678901; do
  for c in bounce remove; do
    $Q $c "$bad" > "$out" 2>&1; rc=$?
    [ $rc = 100 ] && grep -q 'not a message id' "$out" ||
      fail qmailctl_msg_hostile_ids "$c '$bad': rc=$rc $(cat "$out")"
  done
done
$Q bounce 4000000000 > "$out" 2>&1; rc=$?
[ $rc = 100 ] && grep -q 'message 4000000000 is not in the queue' "$out" && pass qmailctl_msg_unknown_id ||
  fail qmailctl_msg_unknown_id "rc=$rc $(cat "$out")"
# a good id with a bad one: nothing is done
$Q remove "$id2" 12a > /dev/null 2>&1; rc1=$?
$Q bounce "$id2" 999999999 > /dev/null 2>&1; rc2=$?
[ $rc1 = 100 ] && [ $rc2 = 100 ] && pass qmailctl_msg_all_or_nothing ||
  fail qmailctl_msg_all_or_nothing "rc $rc1 $rc2"
[ "$(find "$q" -type f | sort)" = "$before" ] && pass qmailctl_msg_hostile_ids ||
  fail qmailctl_msg_hostile_ids "the queue changed: $(diff <(echo "$before") <(find "$q" -type f | sort) | xargs)"

# --- remove -----------------------------------------------------------------------
$Q remove "$id2" > "$out" 2>&1; rc=$?
[ $rc = 111 ] && grep -q 'qmail-send is running' "$out" && [ -n "$(files_of "$id2")" ] &&
  [ -f "$q/mess/$((id2 % split))/$id2" ] && pass qmailctl_remove_refuses_running ||
  fail qmailctl_remove_refuses_running "rc=$rc $(cat "$out")"

# a message for demo that waits, queued while everything is stopped, must survive
$Q stop > "$out" 2>&1 || fail qmailctl_msg_stop "$(cat "$out")"
queue_direct() {
  printf 'Subject: %s\n\nbody\n' "$2" |
    "$QM_HOME/bin/qmail-queue" 1< <(printf 'Fdemo@localhost\0T%s\0\0' "$1")
}
queue_direct demo@localhost keep-me && queue_direct demo@localhost drop-me ||
  fail qmailctl_msg_queue "qmail-queue failed"
keep= drop=
for t in "$q"/todo/*; do
  n=${t##*/}
  if grep -q '^Subject: keep-me' "$q/mess/$((n % split))/$n"; then keep=$n; else drop=$n; fi
done
[ -n "$keep" ] && [ -n "$drop" ] || fail qmailctl_msg_queue "todo: $(ls "$q/todo")"
# not preprocessed and no qmail-send to do it: bounce cannot move the birth yet
$Q bounce "$keep" > "$out" 2>&1; rc=$?
[ $rc = 111 ] && grep -q "message $keep is not preprocessed yet" "$out" && pass qmailctl_bounce_refuses_todo ||
  fail qmailctl_bounce_refuses_todo "rc=$rc $(cat "$out")"
keepfiles=$(files_of "$keep"; stat -c '%i %s %Y' "$q/mess/$((keep % split))/$keep")
flock "$q/lock/sendmutex" sleep 3 &
sleep 0.3
$Q remove "$id2" > "$out" 2>&1; rc=$?
[ $rc = 111 ] && pass qmailctl_remove_refuses_locked || fail qmailctl_remove_refuses_locked "rc=$rc $(cat "$out")"
wait $!
$Q remove "$id2" "$drop" > "$out" 2>&1; rc=$?
[ $rc = 0 ] && [ -z "$(files_of "$id2")" ] && [ -z "$(files_of "$drop")" ] &&
  grep -q "msg $id2: removed without a notice: .*info/$((id2 % split))/$id2" "$out" &&
  grep -q "msg $drop: removed without a notice: todo/$drop .*mess/$((drop % split))/$drop" "$out" &&
  pass qmailctl_remove || fail qmailctl_remove "rc=$rc $(cat "$out") left: $(files_of "$id2" | xargs) $(files_of "$drop" | xargs)"
[ "$(files_of "$keep"; stat -c '%i %s %Y' "$q/mess/$((keep % split))/$keep")" = "$keepfiles" ] &&
  pass qmailctl_remove_exact || fail qmailctl_remove_exact "message $keep changed"
$Q queue-check > "$out" 2>&1 && pass qmailctl_remove_leaves_clean_queue ||
  fail qmailctl_remove_leaves_clean_queue "$(cat "$out")"
$Q remove "$id2" > "$out" 2>&1; rc=$?
[ $rc = 100 ] && pass qmailctl_remove_twice || fail qmailctl_remove_twice "rc=$rc $(cat "$out")"

n0=$(demo_count)
$Q start > "$out" 2>&1 || fail qmailctl_msg_restart "$(cat "$out")"
for _ in $(seq 1 150); do [ "$(demo_count)" -gt "$n0" ] && [ ! -e "$q/mess/$((keep % split))/$keep" ] && break; sleep 0.1; done
[ "$(demo_count)" = $((n0 + 1)) ] && grep -ql '^Subject: keep-me' /home/demo/Maildir/new/* &&
  ! grep -ql '^Subject: drop-me' /home/demo/Maildir/new/* && pass qmailctl_remove_other_delivered ||
  fail qmailctl_remove_other_delivered "demo has $(demo_count) messages, had $n0"
# the removed message was never bounced: the only report is the one for id1
[ "$(grep -l '^Content-Type: message/delivery-status' /home/demo/Maildir/new/* | wc -l)" = 1 ] &&
  pass qmailctl_remove_no_notice || fail qmailctl_remove_no_notice "a report for a removed message"
tree_stop > /dev/null
