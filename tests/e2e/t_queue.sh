#!/bin/bash
# qmail-queue as callers use it: the queue files byte for byte (Received line, the
# todo/N envelope, owners and modes) for a user, qmaild, alias and qmails; every
# exit code qmail-queue itself gives, each leaving nothing behind; the trigger; and
# what qmail-qread and qmail-qstat print.
. "$QM_SRC/tests/e2e/lib.sh"
inst_new
w=$(mktemp -d /tmp/qq-e2e.XXXXXX)
chmod 755 "$w"
trap 'rm -rf "$w"; inst_cleanup' EXIT
q=$QM_HOME/queue
qq=$QM_HOME/bin/qmail-queue

expect_eq() { # name got want
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2' want '$3'"; fi
}
# the id of the single message in todo/, or empty
only_id() { ls "$q/todo"; }
debris() { find "$q/pid" "$q/mess" "$q/intd" "$q/todo" -type f | wc -l; }
clear_queue() { find "$q/pid" "$q/mess" "$q/intd" "$q/todo" "$q/info" "$q/local" "$q/remote" "$q/bounce" -type f -delete; }

printf 'Subject: test\n\nhello\n' > "$w/msg"
printf 'Fjoe@example.org\0Tbob@example.net\0Talice@example.org\0\0' > "$w/env"

# --- one injection per kind of caller -------------------------------------------
inject_as() { # name user who-wording
  local name=$1 user=$2 who=$3 uid id rc s mess todo recv p
  uid=$(id -u "$user")
  clear_queue
  run_as "$user" "$qq" < "$w/msg" 1< "$w/env"
  rc=$?
  expect_eq "${name}_exit" "$rc" 0
  id=$(only_id)
  [ -n "$id" ] || { fail "${name}_todo" "no todo entry"; return; }
  s=$((id % $(head -n 1 "$QM_SRC/conf-files/conf-split")))
  mess=$q/mess/$s/$id
  [ -f "$mess" ] || { fail "${name}_mess" "no $mess"; return; }
  # todo/N: u<uid>\0p<pid>\0 then the envelope without its final NUL
  p=$(tr '\0' '\n' < "$q/todo/$id" | sed -n 2p | sed 's/^p//')
  printf "u%s\0p%s\0Fjoe@example.org\0Tbob@example.net\0Talice@example.org\0" "$uid" "$p" > "$w/want.todo"
  cmp -s "$q/todo/$id" "$w/want.todo" && pass "${name}_todo_bytes" ||
    fail "${name}_todo_bytes" "$(od -c "$q/todo/$id" | head -3)"
  # mess: the Received line with that pid, then the message unchanged
  recv=$(head -n 1 "$mess")
  if [[ $recv =~ ^Received:\ \(qmail\ $p\ invoked\ $who\)\;\ ([0-9]{1,2}\ [A-Z][a-z][a-z]\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2})\ -0000$ ]]; then
    d=$(date -u -d "${BASH_REMATCH[1]}" +%s 2>/dev/null || echo 0)
    now=$(date +%s)
    if [ $((now - d)) -ge 0 ] && [ $((now - d)) -lt 120 ]; then pass "${name}_received"
    else fail "${name}_received" "date ${BASH_REMATCH[1]} is not now"; fi
  else
    fail "${name}_received" "first line: $recv"
  fi
  tail -n +2 "$mess" | cmp -s - "$w/msg" && pass "${name}_mess_body" || fail "${name}_mess_body" "body differs"
  # owners, modes, links: intd/N is todo/N until qmail-send has preprocessed it
  expect_eq "${name}_mess_mode" "$(stat -c '%U %a %h' "$mess")" "qmailq 644 1"
  expect_eq "${name}_todo_mode" "$(stat -c '%U %a %h' "$q/todo/$id")" "qmailq 644 2"
  expect_eq "${name}_intd_is_todo" "$(stat -c %i "$q/intd/$id")" "$(stat -c %i "$q/todo/$id")"
  expect_eq "${name}_no_pid_file" "$(ls "$q/pid" | wc -l)" 0
}
inject_as user nobody "by uid $(id -u nobody)"
inject_as network qmaild "from network"
inject_as alias alias "by alias"
inject_as bounce qmails "for bounce"
inject_as root root "by uid 0"

# --- accepted edge envelopes -----------------------------------------------------
clear_queue
printf 'F\0\0' > "$w/envnull"
run_as nobody "$qq" < "$w/msg" 1< "$w/envnull"
rc=$?
expect_eq empty_sender_no_rcpt "$rc" 0
id=$(only_id)
[ -n "$id" ] && expect_eq empty_sender_todo "$(tr '\0' '|' < "$q/todo/$id" | sed 's/^u[0-9]*|p[0-9]*|//')" "F|" ||
  fail empty_sender_todo "no todo entry"
clear_queue
: > "$w/empty"
run_as nobody "$qq" < "$w/empty" 1< "$w/env"
expect_eq empty_message "$?" 0
clear_queue
# a closed fd 2 must not receive anything of ours
run_as nobody "$qq" < "$w/msg" 1< "$w/env" 2>&-
rc=$?
id=$(only_id)
expect_eq closed_stderr_exit "$rc" 0
[ -n "$id" ] && tail -n +2 "$q/mess/$((id % $(head -n 1 "$QM_SRC/conf-files/conf-split")))/$id" | cmp -s - "$w/msg" &&
  pass closed_stderr_message || fail closed_stderr_message "message damaged or missing"
clear_queue
# the caller's environment is not read
env -i QMAILQUEUE=/bin/false TZ=Mars/Olympus HOME=/nonexistent LD_PRELOAD=/nonexistent.so \
  s6-setuidgid nobody "$qq" < "$w/msg" 1< "$w/env" 2>/dev/null
expect_eq hostile_environment "$?" 0
clear_queue
# a 1002-byte address is still fine
{ printf 'Fs@x\0T'; head -c 1002 /dev/zero | tr '\0' a; printf '\0\0'; } > "$w/env1002"
run_as nobody "$qq" < "$w/msg" 1< "$w/env1002"
expect_eq address_1002 "$?" 0

# --- refusals: the code, and nothing left behind ----------------------------------
refuse() { # name want-code [setup-command] : the message and envelope from $w/msg and $1's envelope
  local name=$1 want=$2 env=$3 rc n
  clear_queue
  run_as nobody "$qq" < "$w/msg" 1< "$env"
  rc=$?
  expect_eq "exit_${want}_${name}" "$rc" "$want"
  n=$(debris)
  expect_eq "exit_${want}_${name}_clean" "$n" 0
}
{ printf 'Fs@x\0T'; head -c 1003 /dev/zero | tr '\0' a; printf '\0\0'; } > "$w/env1003"
refuse long_rcpt 11 "$w/env1003"
{ printf 'F'; head -c 1003 /dev/zero | tr '\0' a; printf '\0\0'; } > "$w/envs1003"
refuse long_sender 11 "$w/envs1003"
printf 'Ts@x\0\0' > "$w/envT"; refuse first_not_F 91 "$w/envT"
printf 'Fs@x\0Tr@y\0Xz\0\0' > "$w/envX"; refuse record_not_T 91 "$w/envX"
printf 'Fs@x\0Tr@y\0' > "$w/envtrunc"; refuse no_final_nul 54 "$w/envtrunc"
: > "$w/envempty"; refuse empty_envelope 54 "$w/envempty"
clear_queue
run_as nobody "$qq" < "$w/msg" 1>&-
expect_eq exit_54_closed_fd1 "$?" 54
expect_eq exit_54_closed_fd1_clean "$(debris)" 0
# a directory as the message: a read error
run_as nobody "$qq" < "$w" 1< "$w/env"
expect_eq exit_54_unreadable_message "$?" 54
expect_eq exit_54_unreadable_message_clean "$(debris)" 0

# queue directories missing: 63-66, nothing left behind
missing() { # dir code
  mv "$q/$1" "$q/$1.away"
  run_as nobody "$qq" < "$w/msg" 1< "$w/env"
  rc=$?
  mv "$q/$1.away" "$q/$1"
  expect_eq "exit_$2_no_$1" "$rc" "$2"
  expect_eq "exit_$2_no_$1_clean" "$(debris)" 0
}
clear_queue
# pid/ is only the fallback for a filesystem without unnamed files (O_TMPFILE): the
# message is queued without it. With the split directories gone too, nothing can
# be created: 63.
mv "$q/pid" "$q/pid.away"
run_as nobody "$qq" < "$w/msg" 1< "$w/env"
expect_eq exit_0_no_pid "$?" 0
mv "$q/pid.away" "$q/pid"
expect_eq exit_0_no_pid_queued "$(ls "$q/todo" | wc -l)" 1
clear_queue
mv "$q/pid" "$q/pid.away" && mv "$q/mess" "$q/mess.away" && mkdir "$q/mess" && chown qmailq:qmail "$q/mess"
run_as nobody "$qq" < "$w/msg" 1< "$w/env"
rc=$?
rmdir "$q/mess" && mv "$q/mess.away" "$q/mess" && mv "$q/pid.away" "$q/pid"
expect_eq exit_63_no_pid "$rc" 63
expect_eq exit_63_no_pid_clean "$(debris)" 0
missing intd 65
missing todo 66
# mess/S for every S
mv "$q/mess" "$q/mess.away" && mkdir "$q/mess" && chown qmailq:qmail "$q/mess"
run_as nobody "$qq" < "$w/msg" 1< "$w/env"
rc=$?
rmdir "$q/mess" && mv "$q/mess.away" "$q/mess"
expect_eq exit_64_no_mess_split "$rc" 64
expect_eq exit_64_no_mess_split_clean "$(debris)" 0
# the queue and the home themselves (a copy of the binary outside the home)
mv "$q" "$q.away"
run_as nobody "$qq" < "$w/msg" 1< "$w/env"
rc=$?
mv "$q.away" "$q"
expect_eq exit_62_no_queue "$rc" 62
cp -p "$qq" "$w/qmail-queue" && chown qmailq:qmail "$w/qmail-queue" && chmod 4711 "$w/qmail-queue"
chmod 0700 "$QM_HOME"
run_as nobody "$w/qmail-queue" < "$w/msg" 1< "$w/env"
rc=$?
chmod 0755 "$QM_HOME"
expect_eq exit_61_no_home "$rc" 61

# --- the trigger: qmail-send's FIFO gets a byte -------------------------------------
clear_queue
got=$(python3 - "$q/lock/trigger" "$qq" "$w/msg" "$w/env" <<'PY'
import os, subprocess, sys, select
fifo, qq, msg, env = sys.argv[1:]
fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
with open(msg, 'rb') as m, open(env, 'rb') as e:
    rc = subprocess.call(['s6-setuidgid', 'nobody', qq], stdin=m, stdout=e)
r, _, _ = select.select([fd], [], [], 5)
data = os.read(fd, 16) if r else b''
print(rc, data.hex())
PY
)
expect_eq trigger_pulled "$got" "0 00"

# --- qmail-qstat and qmail-qread ---------------------------------------------------
clear_queue
run_as nobody "$qq" < "$w/msg" 1< "$w/env"
run_as nobody "$qq" < "$w/msg" 1< "$w/env"
expect_eq qstat_todo "$(run_as qmailq "$QM_HOME/bin/qmail-qstat")" \
  "$(printf 'messages in queue: 2\nmessages in queue but not yet preprocessed: 2')"
# qread lists todo messages from their envelope
ids=$(ls "$q/todo" | sort -n)
want=
for id in $ids; do
  size=$(stat -c %s "$q/mess/$((id % 23))/$id")
  touch -d @1704272707 "$q/todo/$id"
  want+="3 Jan 2024 09:05:07 GMT  #$id  $size  <joe@example.org>  not yet preprocessed"$'\n'
  want+=$'\ttodo\tbob@example.net\n\ttodo\talice@example.org\n'
done
got=$(run_as qmails "$QM_HOME/bin/qmail-qread" | sort)
expect_eq qread_todo "$got" "$(printf '%s' "$want" | sort)"
# preprocessed by hand as qmail-send would: info, local, remote, bounce; todo gone
set -- $ids
a=$1 b=$2
for id in $a $b; do
  s=$((id % 23))
  printf 'Fjoe@example.org\0' > "$q/info/$s/$id"
  touch -d @1704272707 "$q/info/$s/$id"
  rm -f "$q/todo/$id" "$q/intd/$id"
done
printf 'Dalice@example.org\0' > "$q/local/$((a % 23))/$a"
printf 'Tbob@example.net\0Tc\x01d@example.net\0' > "$q/remote/$((a % 23))/$a"
printf 'Tbob@example.net\0' > "$q/remote/$((b % 23))/$b"
printf 'failure text\n' > "$q/bounce/$b"
sa=$(stat -c %s "$q/mess/$((a % 23))/$a") sb=$(stat -c %s "$q/mess/$((b % 23))/$b")
want_a="3 Jan 2024 09:05:07 GMT  #$a  $sa  <joe@example.org> "$'\n  done\tlocal\talice@example.org\n\tremote\tbob@example.net\n\tremote\tc_d@example.net'
want_b="3 Jan 2024 09:05:07 GMT  #$b  $sb  <joe@example.org>  bouncing"$'\n\tremote\tbob@example.net'
run_as qmails "$QM_HOME/bin/qmail-qread" > "$w/qread.out"
expect_eq qread_exit "$?" 0
grep -qxF -- "$(head -n 1 <<< "$want_a")" "$w/qread.out" && grep -A3 -F "#$a " "$w/qread.out" > "$w/qa"
expect_eq qread_preprocessed "$(cat "$w/qa" 2>/dev/null)" "$want_a"
grep -A1 -F "#$b " "$w/qread.out" > "$w/qb"
expect_eq qread_bouncing "$(cat "$w/qb")" "$want_b"
expect_eq qstat_preprocessed "$(run_as qmailq "$QM_HOME/bin/qmail-qstat")" \
  "$(printf 'messages in queue: 2\nmessages in queue but not yet preprocessed: 0')"
# an ordinary user may not read the queue
run_as nobody "$QM_HOME/bin/qmail-qread" > /dev/null 2>&1
expect_eq qread_refuses_nobody "$?" 111
