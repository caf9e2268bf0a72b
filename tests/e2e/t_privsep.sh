#!/bin/bash
# Privilege separation of a running instance, checked against DESIGN.md's table:
# with an SMTP session in DATA (qmail-smtpd and qmail-queue alive) and a local
# delivery in flight (qmail-local running a slow program), every process of the
# supervision tree has the real, effective and saved uid and gid and the groups its
# row says; only the supervisors and qmail-lspawn are root; a delivery holds none
# of qmail-lspawn's descriptors; qmail-queue is the only
# setuid or setgid file in the home; no network-facing user can write the queue.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/ops_lib.sh"
tree_setup
tree_start || { fail privsep_start "$(tail -n 5 "$TREE_OUT")"; exit 1; }

echo '|sleep 6' > /home/demo/.qmail-slow && chown demo: /home/demo/.qmail-slow
swaks -S --server 127.0.0.1 --port 2525 --from a@example.net --to demo-slow@localhost ||
  fail privsep_setup "swaks could not send"
# An SMTP client that stops in the middle of DATA for a few seconds.
python3 "$QM_SRC/tests/e2e/data_pause.py" 5 finish > "$INST.client.out" 2>&1 &
CLIENT=$!

uidof() { id -u "$1"; }
gidof() { getent group "$1" | cut -d: -f3; }
QMAILD=$(uidof qmaild) QMAILL=$(uidof qmaill) QMAILQ=$(uidof qmailq) QMAILS=$(uidof qmails)
QMAILP=$(uidof qmailp) QMAILR=$(uidof qmailr) QMAILN=$(uidof qmailn) DEMO=$(uidof demo)
G_QMAIL=$(gidof qmail) G_NOFILES=$(gidof nofiles) G_DEMO=$(id -g demo)

# want COMM: "ruid euid suid gid groups" from the table
want() {
  case $1 in
  s6-svscan|s6-supervise) echo "0 0 0 0 -" ;;
  s6-log) echo "$QMAILL $QMAILL $QMAILL $G_NOFILES $G_NOFILES" ;;
  tcpserver|qmail-smtpd|qmail-smtpdd|qmail-smtpdc) echo "$QMAILD $QMAILD $QMAILD $G_NOFILES $G_NOFILES" ;;
  qmail-queue) echo "$QMAILD $QMAILQ $QMAILQ $G_NOFILES $G_NOFILES" ;;
  # qmail-queued, and the qmail-queue children it forks (not the setuid program)
  qmail-queued) echo "$QMAILQ $QMAILQ $QMAILQ $G_QMAIL $G_QMAIL" ;;
  qmail-send) echo "$QMAILS $QMAILS $QMAILS $G_QMAIL $G_QMAIL" ;;
  qmail-clean) echo "$QMAILQ $QMAILQ $QMAILQ $G_QMAIL $G_QMAIL" ;;
  qmail-lspawn) echo "0 0 0 $G_QMAIL $G_QMAIL" ;;
  qmail-getpw) echo "$QMAILP $QMAILP $QMAILP $G_NOFILES $G_NOFILES" ;;
  qmail-rspawn|qmail-remote) echo "$QMAILR $QMAILR $QMAILR $G_QMAIL $G_QMAIL" ;;
  qmail-dns) echo "$QMAILN $QMAILN $QMAILN $G_NOFILES $G_NOFILES" ;;
  qmail-local) echo "$DEMO $DEMO $DEMO $G_DEMO $G_DEMO" ;;
  *) echo unknown ;;
  esac
}

# Wait until everything the check needs is alive at once.
# qmail-getpw stays from the first passwd lookup on (qmail-lspawn keeps one running).
need="qmail-queue qmail-queued qmail-smtpdd qmail-smtpd qmail-local qmail-getpw qmail-send qmail-clean qmail-lspawn qmail-dns tcpserver s6-log"
for _ in $(seq 1 40); do
  have=$(ours $need | cut -d' ' -f2 | sort -u | tr '\n' ' ')
  missing=
  for n in $need; do case " $have " in *" $n "*) ;; *) missing="$missing $n" ;; esac; done
  [ -z "$missing" ] && break
  sleep 0.1
done
[ -z "$missing" ] && pass privsep_all_alive || fail privsep_all_alive "not seen together:$missing"

scan=$(ours s6-svscan | cut -d' ' -f1)
# intree PID: true when PID descends from s6-svscan; sets UNDER_LOCAL when a
# qmail-local is on the way up (its children run as the recipient too).
intree() {
  p=$1 UNDER_LOCAL=0
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do
    [ "$p" = "$scan" ] && return 0
    p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || return 1
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = qmail-local ] && UNDER_LOCAL=1
  done
  return 1
}
bad= seen=0 rootprocs=
me=$(readlink /proc/self/ns/mnt)
for d in /proc/[0-9]*; do
  pid=${d#/proc/}
  [ "$(readlink "$d/ns/mnt" 2>/dev/null)" = "$me" ] || continue
  [ "$pid" = "$scan" ] || intree "$pid" || continue
  st=$(cat "$d/status" 2>/dev/null) || continue
  comm=$(cat "$d/comm")
  read -r _ ru eu su _ <<< "$(grep '^Uid:' <<< "$st")"
  read -r _ rg eg sg _ <<< "$(grep '^Gid:' <<< "$st")"
  groups=$(grep '^Groups:' <<< "$st" | cut -f2 | xargs)
  cap=$(grep '^CapEff:' <<< "$st" | cut -f2)
  w=$(want "$comm")
  [ "$comm" = qmail-queue ] && [ "$(cat "/proc/$(awk '{print $4}' "$d/stat" 2>/dev/null)/comm" 2>/dev/null)" = qmail-queued ] &&
    w=$(want qmail-queued)
  [ "$w" = unknown ] && [ "$UNDER_LOCAL" = 1 ] && w=$(want qmail-local)
  seen=$((seen + 1))
  [ "$ru" = 0 ] || [ "$eu" = 0 ] || [ "$su" = 0 ] && rootprocs="$rootprocs $comm"
  if [ "$w" = unknown ]; then bad="$bad; $pid $comm is not in the table"; continue; fi
  read -r wru weu wsu wg wgroups <<< "$w"
  got="$ru $eu $su $rg/$eg/$sg [$groups]"
  [ "$ru $eu $su" = "$wru $weu $wsu" ] || bad="$bad; $comm uids $got, want $wru $weu $wsu"
  [ "$rg $eg $sg" = "$wg $wg $wg" ] || bad="$bad; $comm gids $got, want $wg"
  if [ "$wgroups" = - ]; then
    case " $groups " in "  "|" 0 ") ;; *) bad="$bad; $comm groups [$groups], want none or 0" ;; esac
  else
    [ "$groups" = "$wgroups" ] || bad="$bad; $comm groups [$groups], want [$wgroups]"
  fi
  [ "$eu" = 0 ] || [ "$cap" = 0000000000000000 ] || bad="$bad; $comm (uid $eu) has capabilities $cap"
done
[ -z "$bad" ] && [ "$seen" -ge 15 ] && pass privsep_proc_ids || fail privsep_proc_ids "$seen processes:${bad#;}"
extra=$(echo "$rootprocs" | tr ' ' '\n' | grep -vxE 's6-svscan|s6-supervise|qmail-lspawn|' | sort -u | xargs)
[ -z "$extra" ] && case "$rootprocs" in *qmail-lspawn*) true ;; *) false ;; esac &&
  pass privsep_only_lspawn_root || fail privsep_only_lspawn_root "root processes:$rootprocs"

# The delivery in flight holds the message on fd 0 and its report pipe on fds 1
# and 2, nothing else: none of qmail-lspawn's descriptors (its command pipes,
# other deliveries' report pipes, qmail-getpw's pipes), which would reach the
# recipient's process, and keep other deliveries from ending.
lsp=$(ours qmail-lspawn | cut -d' ' -f1 | head -n 1)
lq=
for p in $(ours qmail-local | cut -d' ' -f1); do
  [ "$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)" = "$lsp" ] && lq=$p
done
fds=$( [ -n "$lq" ] && ls "/proc/$lq/fd" | sort -n | xargs)
[ -n "$lq" ] && [ "$fds" = "0 1 2" ] && pass privsep_local_fds ||
  fail privsep_local_fds "qmail-local ${lq:-not found} under qmail-lspawn ${lsp:-not found} has fds [$fds]:$(
    [ -n "$lq" ] && for f in /proc/"$lq"/fd/*; do printf ' %s=%s' "${f##*/}" "$(readlink "$f")"; done)"
# It became the recipient without an exec, so it is not dumpable: the recipient
# cannot read its memory or environment (qmail-lspawn(8)).
[ -n "$lq" ] && ! run_as demo cat "/proc/$lq/environ" > /dev/null 2>&1 &&
  [ "$(stat -c %u "/proc/$lq/mem")" = 0 ] && pass privsep_local_undumpable ||
  fail privsep_local_undumpable "qmail-local ${lq:-not found}: /proc files owned by $(stat -c %u "/proc/$lq/mem" 2>&1)"

wait "$CLIENT"
grep -q '^250 ' "$INST.client.out" && pass privsep_inflight_accepted ||
  fail privsep_inflight_accepted "$(cat "$INST.client.out")"

# qmail-lspawn asks one long-running qmail-getpw for every passwd lookup: the same
# process answers the next deliveries; one killed is replaced at the next lookup and
# no delivery is lost to it.
gp=$(ours qmail-getpw | cut -d' ' -f1 | xargs)
nd=$(find /home/demo/Maildir/new -type f | wc -l)
for i in 1 2 3; do
  swaks -S --server 127.0.0.1 --port 2525 --from a@example.net --to demo@localhost ||
    fail privsep_getpw_setup "swaks could not send"
done
for _ in $(seq 1 50); do [ "$(find /home/demo/Maildir/new -type f | wc -l)" -ge $((nd + 3)) ] && break; sleep 0.1; done
[ -n "$gp" ] && [ "$(ours qmail-getpw | cut -d' ' -f1 | xargs)" = "$gp" ] &&
  [ "$(find /home/demo/Maildir/new -type f | wc -l)" -ge $((nd + 3)) ] &&
  pass privsep_getpw_kept || fail privsep_getpw_kept "qmail-getpw [$gp] then [$(ours qmail-getpw | xargs)]"
kill -9 $gp 2>/dev/null
sleep 0.2
swaks -S --server 127.0.0.1 --port 2525 --from a@example.net --to demo@localhost ||
  fail privsep_getpw_setup "swaks could not send"
for _ in $(seq 1 50); do [ "$(find /home/demo/Maildir/new -type f | wc -l)" -ge $((nd + 4)) ] && break; sleep 0.1; done
gp2=$(ours qmail-getpw | cut -d' ' -f1 | xargs)
[ "$(find /home/demo/Maildir/new -type f | wc -l)" -ge $((nd + 4)) ] && [ -n "$gp2" ] && [ "$gp2" != "$gp" ] &&
  pass privsep_getpw_restarted || fail privsep_getpw_restarted "qmail-getpw [$gp2], $(tail -n 3 "$TREE_OUT" 2>/dev/null)"

# qmail-queue is the one setuid file in the home; the one setgid file is
# qmail-checkpw, setgid shadow and nothing more, so it can read password hashes
# (as Debian's unix_chkpwd does) without any root process.
suid=$(cd "$QM_HOME" && find . -type f -perm -4000 | sort | xargs)
[ "$suid" = ./bin/qmail-queue ] && [ "$(stat -c '%U %a' "$QM_HOME/bin/qmail-queue")" = "qmailq 4711" ] &&
  pass privsep_one_setuid || fail privsep_one_setuid "setuid files: $suid"
sgid=$(cd "$QM_HOME" && find . -type f -perm -2000 | sort | xargs)
if [ -z "$sgid" ] || { [ "$sgid" = ./bin/qmail-checkpw ] &&
   [ "$(stat -c '%U %G %a' "$QM_HOME/bin/qmail-checkpw")" = "root shadow 2755" ]; }; then
  pass privsep_setgid_only_checkpw
else
  fail privsep_setgid_only_checkpw "setgid files: $sgid"
fi

# No user that reads the network can write anything in the queue (the trigger FIFO,
# writable by all to poke qmail-send, carries no data), nor any directory in the home
# except the socket directories of the daemons those users run: qmail-dns's (qmailn)
# and qmail-smtpdd's (qmaild).
find "$QM_HOME/queue" ! -type p > "$INST.qpaths"
find "$QM_HOME" -type d ! -path "$QM_HOME/queue*" > "$INST.dirs"
for u in qmaild qmailr qmailn qmailt; do
  id "$u" > /dev/null 2>&1 || { skip "privsep_$u" "no user $u"; continue; }
  # qmail-remote keeps its table of unreachable hosts in lock/tcpto, as in qmail: it
  # holds addresses and times, never mail.
  w=$(run_as "$u" sh -c 'while read -r f; do [ -w "$f" ] && echo "$f"; done; exit 0' < "$INST.qpaths" |
    { if [ "$u" = qmailr ]; then grep -vx "$QM_HOME/queue/lock/tcpto"; else cat; fi; } | head -n 5 | xargs)
  t=$(for d in pid todo intd mess/0 lock; do run_as "$u" sh -c "echo x > '$QM_HOME/queue/$d/probe.$u'" 2>/dev/null &&
    echo "$d"; done | xargs)
  wd=$(run_as "$u" sh -c 'while read -r f; do [ -w "$f" ] && echo "$f"; done; exit 0' < "$INST.dirs" |
    { case $u in qmailn) grep -vx "$QM_HOME/dns" ;; qmaild) grep -vx "$QM_HOME/smtpd" ;; *) cat ;; esac; } |
    head -n 5 | xargs)
  [ -z "$w$t" ] && pass "privsep_${u}_queue_readonly" || fail "privsep_${u}_queue_readonly" "writable: $w created in: $t"
  [ -z "$wd" ] && pass "privsep_${u}_home_readonly" || fail "privsep_${u}_home_readonly" "writable: $wd"
done
tree_stop > /dev/null
