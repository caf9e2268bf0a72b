#!/bin/bash
# qmail-newrcpt end to end: a real account with .qmail files, ~alias files,
# users/assign entries and a virtual domain; the cdb it builds, then RCPT through
# qmail-smtpd under tcpserver as qmaild: 250 for what qmail-local would deliver, 550
# 5.1.1 for the rest, and everything accepted while there is no recipients.cdb.
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new
for p in tcpserver s6-envuidgid python3 useradd; do
  command -v $p > /dev/null || { skip newrcpt "$p is not installed"; exit 0; }
done

user_new qmrcpt
for f in .qmail-foo .qmail-list-default .qmail-shop-default; do echo ./Maildir/ > "$H/$f"; done
ln -s /nonexistent "$H/.qmail-dangling"
mkdir "$H/.qmail-dir"
chown -h $U: "$H"/.qmail*
ahome=$(getent passwd alias | cut -d: -f6)
for f in .qmail-postmaster .qmail-info:desk .qmail-sales-default; do echo ./Maildir/ > "$ahome/$f"; done
uid=$(id -u $U) gid=$(id -g $U)
cat > "$QM_HOME/users/assign" <<EOF
=special:$U:$uid:$gid:$H:-:foo:
=nobox:$U:$uid:$gid:$H:-:none:
+shop:$U:$uid:$gid:$H:-:shop-:
.
EOF
printf 'virt.example:%s\nboss@vuser.example:%s\n' $U $U > "$QM_HOME/control/virtualdomains"
printf 'virt.example\nvuser.example\nremote.example\n' >> "$QM_HOME/control/rcpthosts"

s6-envuidgid qmaild tcpserver -UHR -l mail.example.org -c 20 127.0.0.1 2530 \
  "$QM_HOME/bin/qmail-smtpd" >> "$INST/smtpd.log" 2>&1 &
INST_PIDS="$INST_PIDS $!"
for i in $(seq 50); do
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 2530), 1).close()' 2>/dev/null && break
  sleep 0.1
done

# rcpt NAME "addr code" ...: one session, one RCPT per address, the code checked.
rcpt() {
  name=$1; shift
  printf '%s\n' "$@" | python3 -c '
import smtplib, sys
name = sys.argv[1]
s = smtplib.SMTP("127.0.0.1", 2530, timeout=10)
s.ehlo("client.example")
bad = []
for line in sys.stdin.read().split("\n"):
    if not line:
        continue
    addr, want = line.split()
    s.rset()
    s.mail("sender@client.example")
    code, text = s.rcpt(addr)
    got = "%d" % code
    if want == "550" and code == 550 and not text.startswith(b"5.1.1"):
        got = "550 without 5.1.1: %r" % text
    if got != want:
        bad.append("%s got %s want %s" % (addr, got, want))
s.quit()
print(("FAIL %s: " % name + "; ".join(bad)) if bad else "PASS " + name)
' "$name"
}

rcpt newrcpt_no_cdb_accepts_all "nobody@example.org 250" "$U-bar@example.org 250" "x@virt.example 250"

if "$QM_HOME/bin/qmail-newrcpt" 2> "$INST/newrcpt.err"; then pass newrcpt_builds; else fail newrcpt_builds "$(cat "$INST/newrcpt.err")"; fi
mode=$(stat -c %a "$QM_HOME/users/recipients.cdb" 2>/dev/null)
[ "$mode" = 644 ] && [ ! -e "$QM_HOME/users/recipients.cdb.tmp" ] && pass newrcpt_file_mode ||
  fail newrcpt_file_mode "mode '$mode'"

rcpt newrcpt_accounts "$U@example.org 250" "${U^^}@Example.ORG 250" "$U-foo@example.org 250" \
  "$U-bar@example.org 550" "$U-list-a@example.org 250" "$U-list@example.org 550" \
  "$U-dangling@example.org 550" "$U-dir@example.org 550" "$U@localhost 250" "$U-foo@mail.example.org 250"
rcpt newrcpt_alias "postmaster@example.org 250" "Postmaster@example.org 250" "info.desk@example.org 250" \
  "info-desk@example.org 550" "sales-eu@example.org 250" "sales@example.org 550" \
  "nobody@example.org 550" "root@example.org 550" "<postmaster> 250"
rcpt newrcpt_assign "special@example.org 250" "nobox@example.org 550" "shopx@example.org 250" \
  "shop-1@example.org 250"
rcpt newrcpt_virtual "foo@virt.example 250" "bar@virt.example 550" "list-x@virt.example 250" \
  "boss@vuser.example 550" "anyone@vuser.example 250" "anyone@remote.example 250" \
  "x@unlisted.example 553"

# root gets mail once ~alias says so; the cdb follows after the next run
echo ./Maildir/ > "$ahome/.qmail-root"
"$QM_HOME/bin/qmail-newrcpt" && rcpt newrcpt_rebuilt "root@example.org 250"

# a broken users/assign: exit 111, the old cdb untouched, no temporary file left
sum=$(md5sum < "$QM_HOME/users/recipients.cdb")
printf '=broken\n' > "$QM_HOME/users/assign"
"$QM_HOME/bin/qmail-newrcpt" 2> "$INST/newrcpt.err"; rc=$?
[ $rc = 111 ] && [ "$(md5sum < "$QM_HOME/users/recipients.cdb")" = "$sum" ] &&
  [ ! -e "$QM_HOME/users/recipients.cdb.tmp" ] && grep -q 'users/assign' "$INST/newrcpt.err" &&
  pass newrcpt_keeps_old_on_error || fail newrcpt_keeps_old_on_error "rc $rc: $(cat "$INST/newrcpt.err")"

# the log says why
grep -q 'reject reason=nomailbox' "$INST/smtpd.log" && pass newrcpt_logged || fail newrcpt_logged "$(tail -n 3 "$INST/smtpd.log")"

# control/timeoutsession: a client that stays busy (a NOOP every second, well within
# timeoutsmtpd) is still cut off when the session time is up.
echo 10 > "$QM_HOME/control/timeoutsession"
got=$(python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 2530), 5)
s.settimeout(5)
f = s.makefile("rb")
f.readline()
start = time.time()
last = b""
while time.time() - start < 20:
    try:
        s.sendall(b"NOOP\r\n")
        line = f.readline()
    except OSError:
        break
    if not line:
        break
    last = line
    if line.startswith(b"421"):
        break
    time.sleep(1)
print("%d %s" % (round(time.time() - start), last.decode().strip()))
')
secs=${got%% *}
case $got in
  *"421 4.4.2 session time limit reached"*) [ "$secs" -ge 8 ] && [ "$secs" -le 13 ] && pass smtpd_session_time ||
    fail smtpd_session_time "after $secs s: $got" ;;
  *) fail smtpd_session_time "got '$got'" ;;
esac
grep -q 'drop reason=session-time' "$INST/smtpd.log" && pass smtpd_session_time_logged ||
  fail smtpd_session_time_logged "$(tail -n 2 "$INST/smtpd.log")"
rm -f "$QM_HOME/control/timeoutsession"
