#!/bin/bash
# The scheduler and local delivery together, in a real instance with a real user:
# mail queued through qmail-queue reaches a Maildir, an mbox, a program (every
# environment variable), a forward, extension and -default files, a users/assign
# virtual user, a virtualdomains domain and the alias account; exit 111 is retried
# after SIGALRM and exit 100 bounces at the end of its pass (while a co-recipient is
# still deferred) as an RFC 3464 report that Python's email package parses; one delay
# notice; queue-lifetime expiry; a double bounce reaches doublebounceto.
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new
. "$QM_SRC/tests/e2e/send_lib.sh"
send_user qmsendt
uid=$(id -u $U); gid=$(id -g $U)

mkmd() { run_as $U mkdir -p "$H/$1/new" "$H/$1/cur" "$H/$1/tmp"; }
dotq() { f=$1; shift; printf '%s\n' "$@" > "$H/.qmail$f"; chown $U: "$H/.qmail$f"; chmod 0644 "$H/.qmail$f"; }
inject() { MSGID="<$1@e2e.test>" python3 "$PY" inject "$2" "${@:3}"; }
# files_with DIR MSGID: the delivered files in Maildir DIR carrying that Message-ID
files_with() { grep -l -F "Message-ID: <$2@e2e.test>" "$1"/new/* 2>/dev/null; }
# wait_for CMD...: up to 15 s for CMD to succeed
wait_for() { for _ in $(seq 1 150); do "$@" && return 0; sleep 0.1; done; return 1; }
has() { [ -n "$(files_with "$1" "$2")" ]; }
logcount() { grep -cE "$1" "$LOG"; }

for d in Maildir-list Maildir-v Maildir-vd Maildir-bnc Maildir-dbl; do mkmd $d; done
dotq "" ./Maildir/
dotq -mbox ./Mailbox
dotq -prog '|env > envout'
dotq -fwd '&'$U'-mbox@example.org'
dotq -list-default ./Maildir-list/
dotq -v ./Maildir-v/
dotq -vd-default ./Maildir-vd/
dotq -bnc ./Maildir-bnc/
dotq -dbl ./Maildir-dbl/
dotq -fail '|echo no such thing here; exit 100'
dotq -vd-bad '|echo virtual failure; exit 100'
dotq -later '|echo busy; exit 111'
# exit 111 until the flag file exists; the test creates it before the SIGALRM
dotq -flaky '|if [ -e flag ]; then cat > flaky-out; else echo not yet; exit 111; fi'
mkdir -p "$QM_HOME/alias/Maildir/new" "$QM_HOME/alias/Maildir/cur" "$QM_HOME/alias/Maildir/tmp"
chown -R alias "$QM_HOME/alias/Maildir"
echo ./Maildir/ > "$QM_HOME/alias/.qmail-postmaster"
printf '=vuser:%s:%s:%s:%s:-:v:\n.\n' $U "$uid" "$gid" "$H" > "$QM_HOME/users/assign"
"$QM_HOME/bin/qmail-newu" || fail deliver_newu "qmail-newu failed"
echo virt.test:$U-vd > "$QM_HOME/control/virtualdomains"
echo $U-dbl > "$QM_HOME/control/doublebounceto"
echo 5 > "$QM_HOME/control/delaywarning"

start_send

B=bnc-sender
inject md $U-$B@example.org $U@example.org
inject mbox $U-$B@example.org $U-mbox@example.org
inject prog $U-$B@example.org $U-prog@mail.example.org
inject fwd $U-$B@example.org $U-fwd@example.org
inject list $U-$B@example.org $U-list-Some.One@example.org
inject virtuser $U-$B@example.org vuser@example.org
inject vdom $U-$B@example.org joe@virt.test
inject alias $U-$B@example.org postmaster@example.org
inject flaky $U-$B@example.org $U-flaky@example.org
# one recipient fails for good, the other stays deferred: the bounce must not wait
inject split $U-bnc@example.org $U-fail@example.org $U-later@example.org
inject unknown $U-bnc@example.org nosuchuser@example.org
inject vfail $U-bnc@example.org bad@virt.test
inject dbl '' $U-fail@example.org

wait_for has "$H/Maildir" md && pass deliver_maildir || fail deliver_maildir "nothing in Maildir"
wait_for grep -q 'Message-ID: <mbox@e2e.test>' "$H/Mailbox" && head -n 1 "$H/Mailbox" | grep -q '^From ' &&
  pass deliver_mbox || fail deliver_mbox "no mbox delivery"
wait_for test -s "$H/envout"
declare -A want=(
  [SENDER]=$U-$B@example.org [NEWSENDER]=$U-$B@example.org [RECIPIENT]=$U-prog@mail.example.org
  [USER]=$U [HOME]=$H [HOST]=mail.example.org [HOST2]=mail.example [HOST3]=mail [HOST4]=mail
  [LOCAL]=$U-prog [EXT]=prog [EXT2]= [EXT3]= [EXT4]=
  [DTLINE]="Delivered-To: $U-prog@mail.example.org" [RPLINE]="Return-Path: <$U-$B@example.org>"
)
bad=
for v in "${!want[@]}"; do
  grep -q "^$v=" "$H/envout" || { bad="$bad $v unset;"; continue; }
  got=$(grep -m 1 "^$v=" "$H/envout" | cut -d= -f2-)
  [ "$got" = "${want[$v]}" ] || bad="$bad $v='$got' want '${want[$v]}';"
done
grep -Eq "^UFLINE=From $U-$B@example.org " "$H/envout" || bad="$bad UFLINE;"
grep -q '^DEFAULT=' "$H/envout" && bad="$bad DEFAULT set;"
[ -z "$bad" ] && pass deliver_program_env || fail deliver_program_env "$bad"
wait_for grep -q 'Message-ID: <fwd@e2e.test>' "$H/Mailbox" && pass deliver_forward ||
  fail deliver_forward "forwarded copy not in the mbox"
wait_for has "$H/Maildir-list" list && pass deliver_default_ext || fail deliver_default_ext "nothing in Maildir-list"
wait_for has "$H/Maildir-v" virtuser && pass deliver_users_assign || fail deliver_users_assign "nothing in Maildir-v"
if wait_for has "$H/Maildir-vd" vdom; then
  f=$(files_with "$H/Maildir-vd" vdom)
  grep -q "^Delivered-To: $U-vd-joe@virt.test" "$f" && pass deliver_virtualdomain ||
    fail deliver_virtualdomain "$(grep ^Delivered-To "$f")"
else fail deliver_virtualdomain "nothing in Maildir-vd"; fi
wait_for has "$QM_HOME/alias/Maildir" alias && pass deliver_alias || fail deliver_alias "nothing in ~alias/Maildir"

# the split message: its bounce covers the failed recipient, while the other stays queued
if wait_for has "$H/Maildir-bnc" split; then
  f=$(files_with "$H/Maildir-bnc" split)
  out=$(python3 "$PY" dsn "$f" failed $U-fail@example.org 5.) && pass deliver_bounce_dsn ||
    fail deliver_bounce_dsn "$out"
  grep -q "^Final-Recipient: rfc822; $U-later@example.org" "$f" && fail deliver_bounce_pass "deferred recipient listed" ||
    pass deliver_bounce_pass
  n=$(find "$QM_HOME/queue/local" -type f | wc -l)
  [ "$n" -ge 1 ] && pass deliver_bounce_before_end || fail deliver_bounce_before_end "local queue empty"
else fail deliver_bounce_dsn "no bounce for the split message: $(grep -E 'bounce|failure' "$LOG" | tail -n 3)"; fi
if wait_for has "$H/Maildir-bnc" unknown; then
  out=$(python3 "$PY" dsn "$(files_with "$H/Maildir-bnc" unknown)" failed nosuchuser@example.org 5.1.1) &&
    pass deliver_unknown_user_dsn || fail deliver_unknown_user_dsn "$out"
else fail deliver_unknown_user_dsn "no bounce for the unknown user"; fi
# a virtualdomains recipient is reported as the sender wrote it
if wait_for has "$H/Maildir-bnc" vfail; then
  out=$(python3 "$PY" dsn "$(files_with "$H/Maildir-bnc" vfail)" failed bad@virt.test 5.) &&
    pass deliver_bounce_unprepend || fail deliver_bounce_unprepend "$out"
else fail deliver_bounce_unprepend "no bounce for bad@virt.test"; fi
if wait_for has "$H/Maildir-dbl" dbl; then
  f=$(files_with "$H/Maildir-dbl" dbl)
  grep -q '^Return-Path: <>$' "$f" && pass deliver_double_bounce || fail deliver_double_bounce "$(head -n 1 "$f")"
else fail deliver_double_bounce "no double bounce at doublebounceto: $(grep -E 'bounce' "$LOG" | tail -n 3)"; fi

# exit 111: deferred; after SIGALRM (with the program now willing) delivered
wait_for grep -qE 'deferral: not.yet' "$LOG" && pass deliver_deferral || fail deliver_deferral "no deferral logged"
touch "$H/flag"; chown $U: "$H/flag"
sleep 1
kill -ALRM $SEND_PID
wait_for grep -q 'Message-ID: <flaky@e2e.test>' "$H/flaky-out" && pass deliver_retry_after_alrm ||
  fail deliver_retry_after_alrm "not delivered after SIGALRM"

# delay notice: delaywarning is 5 s; the later recipient is still deferred
sleep 4
kill -ALRM $SEND_PID
wait_for grep -q "^delay notice msg" "$LOG"
sleep 1; kill -ALRM $SEND_PID; sleep 1; kill -ALRM $SEND_PID; sleep 1
nd=$(logcount '^delay notice msg')
dn=$(grep -l 'Action: delayed' "$H"/Maildir-bnc/new/* 2>/dev/null | wc -l)
[ "$nd" = 1 ] && [ "$dn" = 1 ] && pass deliver_delay_notice_once || fail deliver_delay_notice_once "$nd logged, $dn received"
f=$(grep -l 'Action: delayed' "$H"/Maildir-bnc/new/* 2>/dev/null | head -n 1)
[ -n "$f" ] && out=$(python3 "$PY" dsn "$f" delayed $U-later@example.org 4.) && pass deliver_delay_dsn ||
  fail deliver_delay_dsn "${out:-no notice}"
# the double-bounce sender never gets delay notices (it had none to get: it failed at once)

# queue lifetime: read again at SIGHUP; the next pass is the last one
echo 1 > "$QM_HOME/control/queuelifetime"
kill -HUP $SEND_PID
sleep 1.2
kill -ALRM $SEND_PID
# the report text is wrapped by the notice writer: look for the recipient's group
expired() { grep -l "^Action: failed" "$H"/Maildir-bnc/new/* 2>/dev/null | xargs -r grep -l "^Final-Recipient: rfc822; $U-later@example.org" | head -n 1; }
has_expired() { [ -n "$(expired)" ]; }
if wait_for has_expired; then
  f=$(expired)
  # an expired deferral keeps its temporary 4.x.x status
  out=$(python3 "$PY" dsn "$f" failed $U-later@example.org 4.) && pass deliver_lifetime_bounce ||
    fail deliver_lifetime_bounce "$out"
else fail deliver_lifetime_bounce "no expiry bounce: $(tail -n 3 "$LOG")"; fi
wait_for test -z "$(find "$QM_HOME/queue/local" "$QM_HOME/queue/info" -type f)" && pass deliver_queue_empty ||
  fail deliver_queue_empty "left: $(find "$QM_HOME/queue/local" "$QM_HOME/queue/info" -type f | head -n 3)"
# The split message's failed recipient was marked done in memory, before its local/
# file existed; the file written later carries the mark, so the retries of the
# deferred co-recipient never bounce it again.
nf=$(grep -l "^Final-Recipient: rfc822; $U-fail@example.org" "$H"/Maildir-bnc/new/* 2>/dev/null |
  xargs -r grep -l '^Action: failed' | wc -l)
[ "$nf" = 1 ] && pass deliver_done_mark_kept || fail deliver_done_mark_kept "$nf bounces for $U-fail"

# A message delivered within qmail-send's fsync delay never gets info/ or local/
# files: they stay in memory and todo/N covers a crash. Counted with inotify over
# every info/ and local/ directory while 20 messages go through one by one (with a
# writing fallback for slow ones, so fewer than one file a message is the bound).
python3 - "$QM_HOME/queue" > "$INST.creates" <<'PY' &
import ctypes, os, select, struct, sys, time
libc = ctypes.CDLL("libc.so.6", use_errno=True)
fd = libc.inotify_init1(os.O_CLOEXEC)
for top in ("info", "local"):
    for d in os.listdir(os.path.join(sys.argv[1], top)):
        libc.inotify_add_watch(fd, os.path.join(sys.argv[1], top, d).encode(), 0x100)
open(sys.argv[1] + "/../creates.ready", "w").close()
n, end = 0, time.monotonic() + 30
while time.monotonic() < end and not os.path.exists(sys.argv[1] + "/../creates.stop"):
    if select.select([fd], [], [], 0.2)[0]:
        buf = os.read(fd, 65536); off = 0
        while off + 16 <= len(buf):
            ln = struct.unpack_from("iIII", buf, off)[3]; off += 16 + ln; n += 1
print(n)
PY
W=$!
wait_for test -e "$QM_HOME/creates.ready"
before=$(ls "$H/Maildir/new" | wc -l)
for i in $(seq 1 20); do
  inject "fast$i" $U-$B@example.org $U@example.org
  wait_for test "$(ls "$H/Maildir/new" | wc -l)" -ge $((before + i))
done
touch "$QM_HOME/creates.stop"; wait $W
after=$(ls "$H/Maildir/new" | wc -l)
nc=$(cat "$INST.creates")
[ "$after" = $((before + 20)) ] && [ -n "$nc" ] && [ "$nc" -lt 20 ] && pass deliver_fast_no_queue_files ||
  fail deliver_fast_no_queue_files "$((after - before)) delivered, $nc files created in info/ and local/"
grep -E '^(warning|alert)' "$LOG" | grep -v 'no qmail-rspawn' > "$INST.warn"
[ -s "$INST.warn" ] && fail deliver_no_warnings "$(head -n 3 "$INST.warn")" || pass deliver_no_warnings
kill -TERM $SEND_PID; wait $SEND_PID 2>/dev/null
