#!/bin/bash
# make install: the layout of DESIGN.md with the right owners and modes, default
# control files, and a second run that changes nothing in a queue holding mail.
. "$QM_SRC/tests/e2e/lib.sh"
inst_new

# owner:group mode for a path, as stat prints them
om() { stat -c '%U:%G %a' "$QM_HOME/$1"; }
expect() { # name path want
  got=$(om "$2")
  if [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "$2 is $got, want $3"; fi
}
split=$(head -n 1 "$QM_SRC/conf-files/conf-split")

expect layout_queue queue "qmailq:qmail 750"
expect layout_pid queue/pid "qmailq:qmail 700"
expect layout_intd queue/intd "qmailq:qmail 700"
expect layout_todo queue/todo "qmailq:qmail 750"
expect layout_bounce queue/bounce "qmails:qmail 700"
expect layout_mess queue/mess "qmailq:qmail 750"
expect layout_mess_split "queue/mess/$((split - 1))" "qmailq:qmail 750"
expect layout_info_split queue/info/0 "qmails:qmail 700"
expect layout_local_split queue/local/3 "qmails:qmail 700"
expect layout_remote_split queue/remote/7 "qmails:qmail 700"
expect layout_sendmutex queue/lock/sendmutex "qmails:qmail 600"
expect layout_alias alias "alias:qmail 2755"
if [ -p "$QM_HOME/queue/lock/trigger" ]; then expect layout_trigger queue/lock/trigger "qmails:qmail 622"
else fail layout_trigger "queue/lock/trigger is not a FIFO"; fi
n=$(ls "$QM_HOME/queue/mess" | wc -l)
[ "$n" = "$split" ] && pass layout_split_count || fail layout_split_count "$n mess subdirectories, want $split"
# The programs started per connection or per message carry no dynamic loader
# (static-pie: the C library and skalibs linked in, addresses still randomized).
dyn=
for b in qmail-smtpd qmail-queue qmail-local qmail-remote qmail-inject qmail-tlsc; do
  [ -f "$QM_HOME/bin/$b" ] || continue
  readelf -lW "$QM_HOME/bin/$b" | grep -q 'Requesting program interpreter' && dyn="$dyn $b"
  readelf -hW "$QM_HOME/bin/$b" | grep -q 'Type:.*DYN' || dyn="$dyn $b(not-pie)"
done
[ -z "$dyn" ] && pass layout_static_per_message || fail layout_static_per_message "dynamic:$dyn"
# On ext2/3/4 the queue and each split parent carry the Orlov top-directory hint
# (chattr +T), so the hot queue directories land in block groups of their own.
if [ "$(stat -f -c %T "$QM_HOME/queue")" = ext2/ext3 ] && command -v lsattr > /dev/null; then
  t=0
  for d in queue queue/mess queue/info queue/local queue/remote; do
    lsattr -d "$QM_HOME/$d" 2>/dev/null | cut -d' ' -f1 | grep -q T && t=$((t + 1))
  done
  [ "$t" = 5 ] && pass layout_queue_spread || fail layout_queue_spread "$t of 5 directories have +T"
else
  skip layout_queue_spread "the queue is not on ext2/3/4 here"
fi

for u in alias qmaild qmaill qmailp qmailq qmailr qmails qmailn qmailt; do
  getent passwd "$u" > /dev/null && pass "user_$u" || fail "user_$u" "no user $u"
done
[ "$(id -gn qmailq)" = qmail ] && [ "$(id -gn qmaild)" = nofiles ] && pass users_groups ||
  fail users_groups "qmailq in $(id -gn qmailq), qmaild in $(id -gn qmaild)"

# Exactly one setuid file under the home, and it is qmail-queue (when built).
suid=$(find "$QM_HOME" -perm -4000 -type f | sed "s|$QM_HOME/||" | tr '\n' ' ')
if [ -x "$QM_BUILD/bin/qmail-queue" ]; then
  [ "$suid" = "bin/qmail-queue " ] && pass only_setuid_is_qmail_queue ||
    fail only_setuid_is_qmail_queue "setuid files: $suid"
else
  [ -z "$suid" ] && pass no_setuid_without_queue || fail no_setuid_without_queue "setuid files: $suid"
fi

# A second install over a queue holding mail touches none of it.
echo "message" > "$QM_HOME/queue/mess/5/12345"
chmod 0640 "$QM_HOME/queue/mess/5"
echo "custom" > "$QM_HOME/control/me"
before=$(cd "$QM_HOME" && find queue control -printf '%p %U %G %m %s %T@\n' | sort)
if sh "$QM_SRC/mk/install.sh" "$QM_BUILD" > /dev/null 2>&1; then
  after=$(cd "$QM_HOME" && find queue control -printf '%p %U %G %m %s %T@\n' | sort)
  [ "$before" = "$after" ] && pass reinstall_keeps_queue ||
    fail reinstall_keeps_queue "$(diff <(echo "$before") <(echo "$after") | head -5)"
else
  fail reinstall_keeps_queue "second install failed"
fi

# Without control files, install writes the defaults from the host's name.
rm -f "$QM_HOME"/control/*
host=$(hostname -f 2>/dev/null || hostname)
if sh "$QM_SRC/mk/install.sh" "$QM_BUILD" > /dev/null 2>&1 &&
   [ "$(cat "$QM_HOME/control/me")" = "$host" ] &&
   grep -qx localhost "$QM_HOME/control/locals" && grep -qxF "$host" "$QM_HOME/control/locals" &&
   grep -qxF "$host" "$QM_HOME/control/rcpthosts" && [ -s "$QM_HOME/control/defaultdomain" ]; then
  pass default_controls
else
  fail default_controls "me=$(cat "$QM_HOME/control/me" 2>/dev/null) locals=$(tr '\n' ' ' < "$QM_HOME/control/locals" 2>/dev/null)"
fi
