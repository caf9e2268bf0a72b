#!/bin/bash
# Local delivery end to end: the installed qmail-local run as a real user into a
# Maildir, an mbox, programs (every environment variable checked, exits 0/99/100/111),
# forwards through a recording QMAILQUEUE, extensions and -default files, the loop
# checks, the unsafe-permission refusals and hostile addresses; qmail-getpw's
# answers; qmail-newu building users/cdb and keeping it on bad input.
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new

user_new qmltest
as_user() { run_as $U "$@"; }
as_user mkdir -p "$H/Maildir/new" "$H/Maildir/cur" "$H/Maildir/tmp"

MSG=$INST/msg
cat > "$MSG" <<'EOF'
Received: from somewhere
Subject: test
From: a@example.net

Body line
From the start of a line
>From already quoted
EOF
chmod 644 "$MSG"

# deliver EXT [SENDER] [DOMAIN] [MSGFILE]: qmail-local as the test user for
# qmltest-EXT (or qmltest itself when EXT is empty); sets OUT and RC.
deliver() {
  local ext=$1 sender=${2-sender@example.net} domain=${3-example.org} msg=${4-$MSG}
  local local=$U dash=
  [ -n "$ext" ] && { local=$U-$ext; dash=-; }
  OUT=$(as_user "$QM_HOME/bin/qmail-local" -- $U "$H" "$local" "$dash" "$ext" "$domain" \
        "$sender" ./Mailbox < "$msg" 2>&1)
  RC=$?
}
qm() { printf '%s\n' "$@" > "$H/$QMF"; chown $U: "$H/$QMF"; chmod 0644 "$H/$QMF"; }
put() { QMF=$1; shift; qm "$@"; }
expect_rc() { # name want
  if [ "$RC" = "$2" ]; then pass "$1"; else fail "$1" "exit $RC, want $2; report: $OUT"; fi
}

# --- Maildir -------------------------------------------------------------------------
put .qmail ./Maildir/
deliver ""
f=$(ls "$H/Maildir/new" | head -n 1)
if [ "$RC" = 0 ] && [ -n "$f" ] && [ "$(ls "$H/Maildir/new" | wc -l)" = 1 ] &&
   [ -z "$(ls "$H/Maildir/tmp")" ] &&
   [ "$(head -n 2 "$H/Maildir/new/$f")" = "$(printf 'Return-Path: <sender@example.net>\nDelivered-To: qmltest@example.org')" ] &&
   tail -n +3 "$H/Maildir/new/$f" | cmp -s - "$MSG" && [ "$OUT" = "did 1+0+0" ]; then
  pass local_maildir
else
  fail local_maildir "rc $RC, files: $(ls "$H/Maildir/new" "$H/Maildir/tmp"), report: $OUT"
fi
case $f in
  [0-9]*.M[0-9]*P[0-9]*Q1.*) pass local_maildir_name ;;
  *) fail local_maildir_name "unexpected name $f" ;;
esac
[ "$(stat -c %U "$H/Maildir/new/$f")" = $U ] && pass local_maildir_owner ||
  fail local_maildir_owner "owned by $(stat -c %U "$H/Maildir/new/$f")"
for i in 1 2 3 4 5; do deliver ""; done
[ "$(ls "$H/Maildir/new" | wc -l)" = 6 ] && pass local_maildir_unique ||
  fail local_maildir_unique "$(ls "$H/Maildir/new" | wc -l) files after 6 deliveries"

put .qmail-nomd ./NoMaildir/
deliver nomd
[ "$RC" = 111 ] && [[ $OUT == "Unable to create ./NoMaildir/tmp/"*"No such file or directory. (#4.2.1)" ]] &&
  pass local_maildir_missing || fail local_maildir_missing "rc $RC: $OUT"

# --- mbox ----------------------------------------------------------------------------
put .qmail-box ./mbox
deliver box
want=$(printf '%s\n' 'Return-Path: <sender@example.net>' 'Delivered-To: qmltest-box@example.org' \
  'Received: from somewhere' 'Subject: test' 'From: a@example.net' '' 'Body line' \
  '>From the start of a line' '>>From already quoted' '')
if [ "$RC" = 0 ] && head -n 1 "$H/mbox" | grep -Eq '^From sender@example.net [A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9:]{8} [0-9]{4}$' &&
   [ "$(tail -n +2 "$H/mbox")" = "$want" ] && [ "$(tail -c 2 "$H/mbox" | od -An -c | tr -d ' ')" = '\n\n' ] &&
   [ "$(stat -c %a "$H/mbox")" = 600 ]; then
  pass local_mbox
else
  fail local_mbox "rc $RC report $OUT; mbox: $(head -c 600 "$H/mbox")"
fi
deliver box
[ "$(grep -c '^From sender@example.net ' "$H/mbox")" = 2 ] && pass local_mbox_append ||
  fail local_mbox_append "$(grep -c '^From ' "$H/mbox") From_ lines"
# a held lock: the delivery waits, then succeeds once the holder lets go
rm -f "$INST/locked"
python3 - "$H/mbox" "$INST/locked" <<'EOF' &
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(1.5)
EOF
lockpid=$!
for i in $(seq 100); do [ -e "$INST/locked" ] && break; sleep 0.05; done
t0=$(date +%s%N)
deliver box
t1=$(date +%s%N)
wait $lockpid
if [ "$RC" = 0 ] && [ $(( (t1 - t0) / 1000000 )) -ge 700 ] && [ "$(grep -c '^From sender@example.net ' "$H/mbox")" = 3 ]; then
  pass local_mbox_lock
else
  fail local_mbox_lock "rc $RC after $(( (t1 - t0) / 1000000 )) ms: $OUT"
fi

# --- programs and their environment ---------------------------------------------------
put .qmail-prog-default '|env > envout; cat > stdin-copy'
deliver prog-Foo.Bar-x-y '' mail.example.org
declare -A env_want=(
  [SENDER]='' [NEWSENDER]='' [RECIPIENT]=qmltest-prog-Foo.Bar-x-y@mail.example.org [USER]=$U
  [HOME]=$H [HOST]=mail.example.org [HOST2]=mail.example [HOST3]=mail [HOST4]=mail
  [LOCAL]=qmltest-prog-Foo.Bar-x-y [EXT]=prog-Foo.Bar-x-y [EXT2]=Foo.Bar-x-y [EXT3]=x-y
  [EXT4]=y [DEFAULT]=Foo.Bar-x-y
  [DTLINE]='Delivered-To: qmltest-prog-Foo.Bar-x-y@mail.example.org' [RPLINE]='Return-Path: <>'
)
bad=
[ "$RC" = 0 ] || bad="rc $RC: $OUT"
for v in "${!env_want[@]}"; do
  got=$(grep -m 1 "^$v=" "$H/envout" | cut -d= -f2-)
  grep -q "^$v=" "$H/envout" || { bad="$bad $v unset;"; continue; }
  [ "$got" = "${env_want[$v]}" ] || bad="$bad $v='$got' want '${env_want[$v]}';"
done
grep -Eq '^UFLINE=From MAILER-DAEMON [A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9:]{8} [0-9]{4}$' "$H/envout" ||
  bad="$bad UFLINE='$(grep '^UFLINE=' "$H/envout")';"
[ -z "$bad" ] && pass local_program_env || fail local_program_env "$bad"
cmp -s "$H/stdin-copy" "$MSG" && pass local_program_stdin ||
  fail local_program_stdin "program stdin differs from the message"
[ "$OUT" = "did 0+0+1" ] && pass local_program_report || fail local_program_report "$OUT"

# the inherited environment: a stale DEFAULT never leaks into an exact-file delivery
put .qmail-exact '|env > envout2'
OUT=$(DEFAULT=stale run_as $U "$QM_HOME/bin/qmail-local" -- $U "$H" $U-exact - exact example.org s@x ./Mailbox < "$MSG" 2>&1)
RC=$?
if [ "$RC" = 0 ] && ! grep -q '^DEFAULT=' "$H/envout2" && grep -q '^SENDER=s@x$' "$H/envout2"; then
  pass local_program_env_exact
else
  fail local_program_env_exact "rc $RC, DEFAULT: $(grep '^DEFAULT' "$H/envout2")"
fi

put .qmail-p100 '|echo permanent trouble; exit 100' ./Maildir/
deliver p100
[ "$RC" = 100 ] && [[ $OUT == *"permanent trouble"* ]] && pass local_program_exit100 ||
  fail local_program_exit100 "rc $RC: $OUT"
put .qmail-p111 '|echo try later >&2; exit 111'
deliver p111
[ "$RC" = 111 ] && [[ $OUT == *"try later"* ]] && pass local_program_exit111 ||
  fail local_program_exit111 "rc $RC: $OUT"
put .qmail-p64 '|exit 64'
deliver p64; expect_rc local_program_exit64 100
put .qmail-p1 '|exit 1'
deliver p1; expect_rc local_program_exit1 111
put .qmail-psig '|kill -9 $$'
deliver psig
[ "$RC" = 111 ] && [[ $OUT == *signal* ]] && pass local_program_signal || fail local_program_signal "rc $RC: $OUT"
n0=$(ls "$H/Maildir/new" | wc -l)
put .qmail-p99 '|exit 99' ./Maildir/
deliver p99
[ "$RC" = 0 ] && [ "$(ls "$H/Maildir/new" | wc -l)" = "$n0" ] && [ "$OUT" = "did 0+0+1" ] &&
  pass local_program_exit99 || fail local_program_exit99 "rc $RC: $OUT"
# a failure stops the file: nothing after it is done
put .qmail-stop '|exit 111' ./Maildir/
deliver stop
[ "$RC" = 111 ] && [ "$(ls "$H/Maildir/new" | wc -l)" = "$n0" ] && pass local_failure_stops ||
  fail local_failure_stops "rc $RC, $(ls "$H/Maildir/new" | wc -l) files"

# --- forwards through a recording QMAILQUEUE ---------------------------------------------
REC=$INST/rec
mkdir -p "$REC" && chown $U: "$REC"
cat > "$INST/fake-qq" <<EOF
#!/bin/sh
cat > $REC/msg
cat <&1 > $REC/env
exit \${FAKE_QQ_EXIT:-0}
EOF
chmod 755 "$INST/fake-qq"
fwd() { OUT=$(QMAILQUEUE=$INST/fake-qq FAKE_QQ_EXIT=${2:-0} run_as $U "$QM_HOME/bin/qmail-local" -- \
  $U "$H" $U-$1 - $1 example.org sender@example.net ./Mailbox < "$MSG" 2>&1); RC=$?; }
put .qmail-fwd '&one@example.com' 'two@example.com' '# not this'
fwd fwd
if [ "$RC" = 0 ] && [ "$(od -An -c "$REC/env" | tr -d ' \n')" = "$(printf 'Fsender@example.net\0Tone@example.com\0Ttwo@example.com\0\0' | od -An -c | tr -d ' \n')" ] &&
   [ "$(head -n 1 "$REC/msg")" = "Delivered-To: qmltest-fwd@example.org" ] &&
   tail -n +2 "$REC/msg" | cmp -s - "$MSG" && [[ $OUT == "did 0+2+0"$'\n'"qp "[0-9]* ]]; then
  pass local_forward
else
  fail local_forward "rc $RC report '$OUT' env $(od -c "$REC/env" | head -n 3)"
fi
put .qmail-fwd-owner ./Maildir/
fwd fwd
tr '\0' '\n' < "$REC/env" | grep -qx 'Fqmltest-fwd-owner@example.org' && pass local_forward_owner ||
  fail local_forward_owner "envelope: $(tr '\0' ' ' < "$REC/env")"
put .qmail-fwd-owner-default ./Maildir/
fwd fwd
tr '\0' '\n' < "$REC/env" | grep -qx 'Fqmltest-fwd-owner-@example.org-@\[\]' && pass local_forward_verp ||
  fail local_forward_verp "envelope: $(tr '\0' ' ' < "$REC/env")"
fwd fwd 31; expect_rc local_forward_refused 100
fwd fwd 53; expect_rc local_forward_deferred 111
put .qmail-fo '|echo hi' 'x@example.com'
chmod u+x "$H/.qmail-fo"
rm -f "$REC/env"
fwd fo
[ "$RC" = 111 ] && [ ! -e "$REC/env" ] && pass local_forward_only || fail local_forward_only "rc $RC: $OUT"

# --- extensions and -default ---------------------------------------------------------------
put .qmail-a-b-c '|echo exact > which'
put .qmail-a-default '|echo "a-default $DEFAULT" > which'
deliver a-b-c; [ "$(cat "$H/which")" = exact ] && pass local_ext_exact || fail local_ext_exact "$(cat "$H/which") $OUT"
deliver a-B-d; [ "$(cat "$H/which")" = "a-default B-d" ] && pass local_ext_default ||
  fail local_ext_default "$(cat "$H/which") $OUT"
deliver A-B-C; [ "$(cat "$H/which")" = exact ] && pass local_ext_case || fail local_ext_case "$(cat "$H/which")"
deliver zzz
[ "$RC" = 100 ] && [[ $OUT == *"no mailbox here by that name"* ]] && pass local_ext_nomailbox ||
  fail local_ext_nomailbox "rc $RC: $OUT"
put .qmail-dot:ted '|echo dotted > which'
deliver dot.ted; [ "$(cat "$H/which")" = dotted ] && pass local_ext_dot || fail local_ext_dot "$OUT"
rm -f "$H/.qmail"
put .qmail-empty ''
: > "$H/.qmail-empty"
OUT=$(as_user "$QM_HOME/bin/qmail-local" -- $U "$H" $U-empty - empty example.org s@x ./dflt-mbox < "$MSG" 2>&1); RC=$?
[ "$RC" = 0 ] && [ -s "$H/dflt-mbox" ] && pass local_empty_uses_default || fail local_empty_uses_default "rc $RC: $OUT"
OUT=$(as_user "$QM_HOME/bin/qmail-local" -- $U "$H" $U "" "" example.org s@x ./dflt-mbox2 < "$MSG" 2>&1); RC=$?
[ "$RC" = 0 ] && [ -s "$H/dflt-mbox2" ] && pass local_no_qmail_uses_default || fail local_no_qmail_uses_default "rc $RC: $OUT"
OUT=$(as_user "$QM_HOME/bin/qmail-local" -n -- $U "$H" $U-fwd - fwd example.org s@x ./Mailbox < "$MSG" 2>&1); RC=$?
[ "$RC" = 0 ] && [ "$OUT" = "$(printf 'forward one@example.com\nforward two@example.com\ndid 0+2+0')" ] &&
  pass local_dryrun || fail local_dryrun "rc $RC: $OUT"

# --- loops ---------------------------------------------------------------------------------
put .qmail ./Maildir/
{ printf 'Delivered-To: qmltest@example.org\n'; cat "$MSG"; } > "$INST/loop"; chmod 644 "$INST/loop"
deliver "" sender@example.net example.org "$INST/loop"
[ "$RC" = 100 ] && [[ $OUT == *"#5.4.6"* ]] && pass local_loop_deliveredto || fail local_loop_deliveredto "rc $RC: $OUT"
{ printf 'Delivered-To: qmltest@example.org\n'; cat "$MSG"; } > "$INST/noloop"; chmod 644 "$INST/noloop"
deliver "" sender@example.net example.com "$INST/noloop"; expect_rc local_loop_other_domain 0
{ for i in $(seq 100); do echo "Received: hop $i"; done; cat "$MSG"; } > "$INST/hops"; chmod 644 "$INST/hops"
deliver "" sender@example.net example.org "$INST/hops"
[ "$RC" = 100 ] && [[ $OUT == *"#5.4.6"* ]] && pass local_loop_hops || fail local_loop_hops "rc $RC: $OUT"
# the message has one Received line of its own: 98 more make 99 hops
{ for i in $(seq 98); do echo "Received: hop $i"; done; cat "$MSG"; } > "$INST/hops99"; chmod 644 "$INST/hops99"
deliver "" sender@example.net example.org "$INST/hops99"; expect_rc local_loop_99hops 0

# --- unsafe permissions, root --------------------------------------------------------------
for m in g+w o+w +t; do
  chmod $m "$H"
  deliver ""
  [ "$RC" = 111 ] && [[ $OUT == *"home directory is writable"* ]] && pass "local_unsafe_home_$m" ||
    fail "local_unsafe_home_$m" "rc $RC: $OUT"
  chmod 0755 "$H"
done
for m in g+w o+w; do
  chmod $m "$H/.qmail"
  deliver ""
  [ "$RC" = 111 ] && [[ $OUT == *"writable"* ]] && pass "local_unsafe_qmail_$m" ||
    fail "local_unsafe_qmail_$m" "rc $RC: $OUT"
  chmod 0644 "$H/.qmail"
done
OUT=$("$QM_HOME/bin/qmail-local" -- $U "$H" $U "" "" example.org s@x ./Mailbox < "$MSG" 2>&1); RC=$?
[ "$RC" = 111 ] && [[ $OUT == *root* ]] && pass local_refuses_root || fail local_refuses_root "rc $RC: $OUT"

# --- hostile addresses ---------------------------------------------------------------------
put .qmail-default '|printf "%s" "$EXT" > ext-seen'
deliver ';touch pwned;'
[ "$RC" = 0 ] && [ ! -e "$H/pwned" ] && [ "$(cat "$H/ext-seen")" = ';touch pwned;' ] &&
  pass local_hostile_shell || fail local_hostile_shell "rc $RC: $OUT"
deliver '$(touch pwned)`touch pwned`'
[ "$RC" = 0 ] && [ ! -e "$H/pwned" ] && [ "$(cat "$H/ext-seen")" = '$(touch pwned)`touch pwned`' ] &&
  pass local_hostile_subst || fail local_hostile_subst "rc $RC: $OUT"
for bad in '../../../etc/passwd' 'a/b' $'a\nb' $'a\rb' $'a\tb'; do
  deliver "$bad"
  [ "$RC" = 100 ] && pass "local_hostile_ext_$(printf '%q' "$bad" | tr -c 'A-Za-z0-9' _)" ||
    fail "local_hostile_ext_$(printf '%q' "$bad" | tr -c 'A-Za-z0-9' _)" "rc $RC: $OUT"
done
# a sender with a newline cannot add a header line
deliver "" $'evil@x\nBcc: victim@example.com'
f=$(ls -t "$H/Maildir/new" | head -n 1)
[ "$RC" = 0 ] && ! grep -q '^Bcc:' "$H/Maildir/new/$f" && pass local_hostile_sender || fail local_hostile_sender "rc $RC"

# --- qmail-getpw ------------------------------------------------------------------------------
getpw() { run_as "$(sed -n 5p "$QM_SRC/conf-files/conf-users")" "$QM_HOME/bin/qmail-getpw" "$1" | tr '\0' '|'; }
alias_user=$(sed -n 1p "$QM_SRC/conf-files/conf-users")
ahome=$(getent passwd "$alias_user" | cut -d: -f6)
uid=$(id -u $U) gid=$(id -g $U)
[ "$(getpw qmltest)" = "$U|$uid|$gid|$H|||" ] && pass getpw_user || fail getpw_user "$(getpw qmltest)"
[ "$(getpw QMLTEST-Foo-bar)" = "$U|$uid|$gid|$H|-|Foo-bar|" ] && pass getpw_ext || fail getpw_ext "$(getpw QMLTEST-Foo-bar)"
for a in root postmaster nosuchuser-x; do
  [ "$(getpw $a | cut -d'|' -f1,4,5,6)" = "$alias_user|$ahome|-|$a" ] && pass "getpw_alias_$a" ||
    fail "getpw_alias_$a" "$(getpw $a)"
done
run_as "$(sed -n 5p "$QM_SRC/conf-files/conf-users")" "$QM_HOME/bin/qmail-getpw" > /dev/null 2>&1
[ $? = 100 ] && pass getpw_usage || fail getpw_usage "no argument did not exit 100"
# -s: the long-running form qmail-lspawn keeps. Several questions on one input give
# netstrings with the same answers the one-shot form prints (first byte 0), and a
# change to the passwd database shows in the very next answer (nothing is cached).
getpws() { printf '%s' "$1" | run_as "$(sed -n 5p "$QM_SRC/conf-files/conf-users")" "$QM_HOME/bin/qmail-getpw" -s; }
one=$(getpw qmltest)
want="$(( ${#one} + 1 )):|$one,"
got=$(getpws '7:qmltest,7:qmltest,' | tr '\0' '|')
[ "$got" = "$want$want" ] && pass getpw_serve_answers || fail getpw_serve_answers "$got, want $want$want"
one=$(getpw QMLTEST-Foo-bar)
got=$(getpws '15:QMLTEST-Foo-bar,' | tr '\0' '|')
[ "$got" = "$(( ${#one} + 1 )):|$one," ] && [ "$one" = "$U|$uid|$gid|$H|-|Foo-bar|" ] &&
  pass getpw_serve_ext || fail getpw_serve_ext "$got"
out=$(getpws '04:abcd,'; echo "rc=$?")
[ "${out##*rc=}" = 100 ] && pass getpw_serve_malformed || fail getpw_serve_malformed "$out"
out=$(getpws '5000:'; echo "rc=$?")
[ "${out##*rc=}" = 100 ] && pass getpw_serve_overlong || fail getpw_serve_overlong "$out"
# one qmail-getpw -s across a passwd change: the second answer sees the new account
NEWU=qmlgp$$
fifo=$INST.getpw.fifo; mkfifo "$fifo"; chmod 0666 "$fifo"
( run_as "$(sed -n 5p "$QM_SRC/conf-files/conf-users")" "$QM_HOME/bin/qmail-getpw" -s < "$fifo" > "$INST.getpw.out" ) &
exec 7> "$fifo"
printf '%s:%s,' ${#NEWU} "$NEWU" >&7; sleep 0.3
mkdir -p "$INST.home.$NEWU"
useradd -M -d "$INST.home.$NEWU" -s /usr/sbin/nologin "$NEWU" && INST_USERS="${INST_USERS:-} $NEWU"
chown "$NEWU" "$INST.home.$NEWU"
printf '%s:%s,' ${#NEWU} "$NEWU" >&7; exec 7>&-; wait
tr '\0' '|' < "$INST.getpw.out" | grep -q "^[0-9]*:|$alias_user|.*|$NEWU|,[0-9]*:|$NEWU|$(id -u "$NEWU")|" &&
  pass getpw_serve_not_cached || fail getpw_serve_not_cached "$(tr '\0' '|' < "$INST.getpw.out")"

# --- alias deliveries -------------------------------------------------------------------------
auid=$(id -u "$alias_user")
mkdir -p "$ahome/Maildir/new" "$ahome/Maildir/cur" "$ahome/Maildir/tmp"
printf './Maildir/\n' > "$ahome/.qmail-root"
chown -R "$alias_user" "$ahome/Maildir" "$ahome/.qmail-root"
chmod 0644 "$ahome/.qmail-root"
OUT=$(run_as "$alias_user" "$QM_HOME/bin/qmail-local" -- "$alias_user" "$ahome" root - root example.org s@x ./Mailbox < "$MSG" 2>&1); RC=$?
[ "$RC" = 0 ] && [ "$(ls "$ahome/Maildir/new" | wc -l)" = 1 ] && pass local_alias_root || fail local_alias_root "rc $RC: $OUT"
OUT=$(run_as "$alias_user" "$QM_HOME/bin/qmail-local" -- "$alias_user" "$ahome" nobody-here - nobody-here example.org s@x ./Mailbox < "$MSG" 2>&1); RC=$?
[ "$RC" = 100 ] && pass local_alias_unknown_bounces || fail local_alias_unknown_bounces "rc $RC: $OUT"

# --- qmail-newu and users/cdb -------------------------------------------------------------------
# A small cdb reader (the format is public: 256 hash slots, then records).
cdbget() {
  python3 - "$1" "$2" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
key = sys.argv[2].encode().replace(b"\\0", b"\0")
h = 5381
for c in key: h = ((h << 5) + h ^ c) & 0xffffffff
pos, slots = struct.unpack("<II", data[(h & 255) * 8:(h & 255) * 8 + 8])
for i in range(slots):
    s = pos + ((h >> 8) + i) % slots * 8
    hh, rp = struct.unpack("<II", data[s:s + 8])
    if rp == 0: break
    if hh != h: continue
    kl, dl = struct.unpack("<II", data[rp:rp + 8])
    if data[rp + 8:rp + 8 + kl] == key:
        sys.stdout.write(data[rp + 8 + kl:rp + 8 + kl + dl].replace(b"\0", b"|").decode()); sys.exit(0)
sys.exit(1)
EOF
}
cat > "$QM_HOME/users/assign" <<EOF
=virt:$U:$uid:$gid:$H:-:virt:
+list-:$U:$uid:$gid:$H:-:list-:
+:$alias_user:$auid:$(id -g "$alias_user"):$ahome:-::
.
EOF
"$QM_HOME/bin/qmail-newu"; RC=$?
if [ "$RC" = 0 ] && [ "$(cdbget "$QM_HOME/users/cdb" '!virt\0')" = "$U|$uid|$gid|$H|-|virt" ] &&
   [ "$(cdbget "$QM_HOME/users/cdb" '!list-')" = "$U|$uid|$gid|$H|-|list-" ] &&
   [ "$(cdbget "$QM_HOME/users/cdb" '')" = "-" ] && [ ! -e "$QM_HOME/users/cdb.tmp" ]; then
  pass newu_builds
else
  fail newu_builds "rc $RC; virt=$(cdbget "$QM_HOME/users/cdb" '!virt\0')"
fi
# a virtual user, delivered the way qmail-lspawn would from that record
put .qmail-virt ./Maildir/
n0=$(ls "$H/Maildir/new" | wc -l)
OUT=$(as_user "$QM_HOME/bin/qmail-local" -- $U "$H" virt - virt example.org s@x ./Mailbox < "$MSG" 2>&1); RC=$?
[ "$RC" = 0 ] && [ "$(ls "$H/Maildir/new" | wc -l)" = $((n0 + 1)) ] && pass local_virtual_user ||
  fail local_virtual_user "rc $RC: $OUT"
cp "$QM_HOME/users/cdb" "$INST/cdb.good"
printf '=broken:%s:notanumber:1:/h:::\n.\n' $U > "$QM_HOME/users/assign"
"$QM_HOME/bin/qmail-newu" 2> "$INST/newu.err"; RC=$?
[ "$RC" = 111 ] && cmp -s "$QM_HOME/users/cdb" "$INST/cdb.good" && grep -q 'line 1' "$INST/newu.err" &&
  pass newu_bad_keeps_old || fail newu_bad_keeps_old "rc $RC: $(cat "$INST/newu.err")"
printf '=x:%s:1:1:/h:::\n' $U > "$QM_HOME/users/assign"
"$QM_HOME/bin/qmail-newu" 2> /dev/null; RC=$?
[ "$RC" = 111 ] && cmp -s "$QM_HOME/users/cdb" "$INST/cdb.good" && pass newu_no_dot_keeps_old ||
  fail newu_no_dot_keeps_old "rc $RC"
exit 0
