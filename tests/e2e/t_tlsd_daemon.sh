#!/bin/bash
# qmail-tlsd -D, the daemon in front of tcpserver: the installed service/qmail-smtpd/run
# with a certificate (qmail-tlsd -D -> s6-softlimit -> tcpserver -> qmail-tlsc ->
# a forked session running qmail-smtpd), driven by swaks --tls and raw sockets; the
# tcprules environment, the accounts and dumpability of each process seen in /proc;
# a peer that sends garbage or hangs up mid-handshake; a changed certificate; a
# daemon that is gone; and hostile requests on the daemon's socket
# (tests/e2e/tlsd_front.py in place of tcpserver).
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new
for p in tcpserver tcprules openssl python3 swaks s6-softlimit; do
  command -v $p > /dev/null || { skip tlsd_daemon "$p is not installed"; exit 0; }
done
for p in qmail-tlsd qmail-tlsc qmail-smtpd; do
  [ -x "$QM_HOME/bin/$p" ] || { fail tlsd_daemon "$p is not installed"; exit 0; }
done
C=$QM_HOME/control
printf 'example.org\n' > "$C/rcpthosts"
printf 'example.org\n' > "$C/locals"

# --- a test CA and two server certificates ---------------------------------------------
K=$INST/ca; mkdir -p "$K"
mkcert() { # name
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$K/$1.key" -out "$K/$1.csr" 2> /dev/null &&
  printf 'subjectAltName=DNS:%s\n' "$1" > "$K/$1.ext" &&
  openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -CAcreateserial -days 2 \
    -extfile "$K/$1.ext" -out "$K/$1.pem" 2> /dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Test CA" \
  -keyout "$K/ca.key" -out "$K/ca.pem" 2> /dev/null && mkcert mail.example.org && mkcert new.example.org ||
  { fail tlsd_daemon "unable to make the test certificates"; exit 0; }
cp "$K/mail.example.org.pem" "$C/servercert.pem"; cp "$K/mail.example.org.key" "$C/serverkey.pem"
chown root:root "$C/servercert.pem" "$C/serverkey.pem"; chmod 0600 "$C/servercert.pem" "$C/serverkey.pem"
chmod 0755 "$K"

# RELAYCLIENT and a marker variable for 127.0.0.1 only; 127.0.0.2 gets neither
printf '127.0.0.1:allow,RELAYCLIENT="",TLSD_TEST="from rules"\n:allow\n' > "$C/tcp.smtp"
tcprules "$C/tcp.smtp.cdb" "$C/tcp.smtp.tmp" < "$C/tcp.smtp"

# --- the service, as s6 would start it ------------------------------------------------------
LOG=$INST/smtpd.log
sv=$QM_HOME/service/qmail-smtpd
mkdir -p "$sv/env"; echo 0.0.0.0 > "$sv/env/IP"; echo 2525 > "$sv/env/PORT"
(cd "$sv" && exec ./run) >> "$LOG" 2>&1 &
SVPID=$!
INST_PIDS="$INST_PIDS $SVPID"
up() { python3 -c "import socket; socket.create_connection(('127.0.0.1', 2525), 1).close()" 2> /dev/null; }
for i in $(seq 50); do up && break; sleep 0.1; done
comm() { cat "/proc/$1/comm" 2> /dev/null; }
ppid() { awk '/^PPid:/ {print $2}' "/proc/$1/status" 2> /dev/null; }
uids() { awk '/^Uid:/ {print $2" "$3" "$4" "$5}' "/proc/$1/status" 2> /dev/null; }
[ "$(comm $SVPID)" = qmail-tlsd ] && [ "$(uids $SVPID)" = "0 0 0 0" ] && pass tlsd_daemon_is_the_service ||
  fail tlsd_daemon_is_the_service "service pid $SVPID is '$(comm $SVPID)' uids $(uids $SVPID)"

# --- swaks over STARTTLS: TLS 1.3 through the daemon, relaying as the rules say -----------
out=$(swaks --server 127.0.0.1:2525 --tls --tls-verify --tls-ca-path "$K/ca.pem" --tls-sni mail.example.org \
  --from a@example.net --to someone@elsewhere.example --header 'Subject: daemon' 2>&1)
if echo "$out" | grep -q 'TLS started with cipher TLSv1.3' && echo "$out" | grep -q '250 2.0.0 ok'; then
  pass tlsd_daemon_swaks_tls13_relays
else fail tlsd_daemon_swaks_tls13_relays "$(echo "$out" | grep -E 'TLS|^<~? *[45]|^\*\*\*' | head -5)"; fi
out=$(swaks --server 127.0.0.1:2525 --local-interface 127.0.0.2 --tls --from a@example.net \
  --to someone@elsewhere.example --quit-after RCPT 2>&1)
if echo "$out" | grep -q 'TLS started with cipher TLSv1.3' && echo "$out" | grep -q ' 553 '; then
  pass tlsd_daemon_no_relay_without_rules
else fail tlsd_daemon_no_relay_without_rules "$(echo "$out" | grep -E 'TLS|^<~? *[2-5]|^\*\*\*' | tail -4)"; fi
check tlsd_daemon_session_logged grep -Eq 'qmail-tlsd: info: pid=[0-9]+ tls=starttls sni=mail.example.org ok TLSv1.3 ' "$LOG"
check tlsd_daemon_exit_status_reaches_tcpserver grep -Eq 'tcpserver: end [0-9]+ status 0' "$LOG"

# --- /proc: the processes of two open sessions -----------------------------------------------
exec 7<> /dev/tcp/127.0.0.1/2525
exec 8<> /dev/tcp/127.0.0.1/2525
read -r -t 5 g7 <&7; read -r -t 5 g8 <&8
sleep 0.3
smtpds=
for p in $(pgrep -x qmail-smtpd); do
  s=$(ppid "$p")
  [ "$(comm "$s")" = qmail-tlsd ] && [ "$(ppid "$s")" = "$SVPID" ] && smtpds="$smtpds $p"
done
set -- $smtpds
if [ $# = 2 ]; then
  s1=$(ppid "$1") s2=$(ppid "$2")
  [ "$s1" != "$s2" ] && [ "$s1" != "$SVPID" ] && pass tlsd_daemon_one_process_per_session ||
    fail tlsd_daemon_one_process_per_session "sessions $s1 $s2, daemon $SVPID"
  q=$(id -u qmaild) t=$(id -u qmailt)
  [ "$(uids "$1")" = "$q $q $q $q" ] && [ "$(uids "$2")" = "$q $q $q $q" ] && pass tlsd_daemon_smtpd_is_qmaild ||
    fail tlsd_daemon_smtpd_is_qmaild "uids $(uids "$1") / $(uids "$2")"
  [ "$(uids "$s1")" = "$t $t $t $t" ] && pass tlsd_daemon_session_is_qmailt ||
    fail tlsd_daemon_session_is_qmailt "uids $(uids "$s1"), want $t"
  # a non-dumpable process's /proc files belong to root whatever its uid
  [ "$(stat -c %u "/proc/$s1/maps")" = 0 ] && pass tlsd_daemon_session_not_dumpable ||
    fail tlsd_daemon_session_not_dumpable "maps owned by $(stat -c %u "/proc/$s1/maps")"
  if grep -q 'libssl\|libcrypto' "/proc/$1/maps"; then fail tlsd_daemon_smtpd_no_openssl "qmail-smtpd maps OpenSSL"
  else pass tlsd_daemon_smtpd_no_openssl; fi
  env1=$(tr '\0' '\n' < "/proc/$1/environ")
  if echo "$env1" | grep -qx 'RELAYCLIENT=' && echo "$env1" | grep -qx 'TLSD_TEST=from rules' &&
     echo "$env1" | grep -qx 'TCPREMOTEIP=127.0.0.1' && echo "$env1" | grep -qx 'QMAIL_TLSCTL=5' &&
     echo "$env1" | grep -qx 'QMAIL_TLSMODE=starttls' && ! echo "$env1" | grep -q '^QMAIL_TLSD='; then
    pass tlsd_daemon_smtpd_environment
  else fail tlsd_daemon_smtpd_environment "$(echo "$env1" | grep -E 'RELAY|TLSD|TCPREMOTEIP|QMAIL' | tr '\n' ' ')"; fi
  # s6-softlimit -m 64000000 -o 64 in the run script: the same limits as before
  if grep -Eq '^Max address space +64000000 ' "/proc/$1/limits" && grep -Eq '^Max open files +64 ' "/proc/$1/limits"; then
    pass tlsd_daemon_smtpd_limits
  else fail tlsd_daemon_smtpd_limits "$(grep -E 'address space|open files' "/proc/$1/limits" | tr -s ' ')"; fi
  # the session holds no descriptor of another connection or of the daemon's socket
  n=$(ls -l "/proc/$s1/fd" 2> /dev/null | grep -c 'socket:')
  [ "$n" -le 5 ] && pass tlsd_daemon_session_fds || fail tlsd_daemon_session_fds "$n sockets: $(ls -l /proc/$s1/fd | tr '\n' ' ')"
else
  fail tlsd_daemon_one_process_per_session "want 2 qmail-smtpd under sessions of $SVPID, found '$smtpds'"
fi
exec 7>&- 8>&-

# --- peers that misbehave: garbage for a ClientHello, a hang-up mid-handshake ------------------
python3 - <<'PY' > /dev/null 2>&1
import socket, ssl
for how in ('garbage', 'hangup'):
    s = socket.create_connection(('127.0.0.1', 2525), 5)
    f = s.makefile('rb'); f.readline()
    s.sendall(b'EHLO x\r\n')
    while not f.readline().startswith(b'250 '): pass
    s.sendall(b'STARTTLS\r\n'); f.readline()
    if how == 'garbage':
        s.sendall(b'\x16\x03\x01\x00\x05hello' + bytes(range(256)) * 4)
        try: s.recv(100)
        except OSError: pass
    else:
        ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        o = ssl.MemoryBIO(); i = ssl.MemoryBIO()
        t = ctx.wrap_bio(i, o, server_hostname='mail.example.org')
        try: t.do_handshake()
        except ssl.SSLWantReadError: pass
        s.sendall(o.read()[:60])       # half a ClientHello, then gone
    s.close()
PY
sleep 0.5
out=$(swaks --server 127.0.0.1:2525 --tls --from a@example.net --to joe@example.org --quit-after RCPT 2>&1)
if [ "$(comm $SVPID)" = qmail-tlsd ] && echo "$out" | grep -q 'TLS started with cipher TLSv1.3'; then
  pass tlsd_daemon_survives_bad_peers
else fail tlsd_daemon_survives_bad_peers "daemon '$(comm $SVPID)', swaks: $(echo "$out" | grep -E 'TLS|^\*\*\*' | head -3)"; fi
check tlsd_daemon_bad_handshake_logged grep -q 'qmail-tlsd: warning: pid=[0-9]* handshake failed' "$LOG"

# --- a new certificate is used by the next connection, without a restart -----------------------
cp "$K/new.example.org.pem" "$C/servercert.pem"; cp "$K/new.example.org.key" "$C/serverkey.pem"
sleep 1.1
o1=$(echo QUIT | timeout 10 openssl s_client -connect 127.0.0.1:2525 -starttls smtp 2>&1)
o2=$(echo QUIT | timeout 10 openssl s_client -connect 127.0.0.1:2525 -starttls smtp 2>&1)
if echo "$o2" | grep -q 'subject=CN = new.example.org' && [ "$(comm $SVPID)" = qmail-tlsd ] &&
   grep -q 'qmail-tlsd: info: loaded certificates and keys again' "$LOG"; then pass tlsd_daemon_reloads_certificate
else fail tlsd_daemon_reloads_certificate "first: $(echo "$o1" | grep subject=), second: $(echo "$o2" | grep subject=)"; fi
# a broken one is refused and the one in use stays
printf 'not a key\n' > "$C/serverkey.pem"
sleep 1.1
o1=$(echo QUIT | timeout 10 openssl s_client -connect 127.0.0.1:2525 -starttls smtp 2>&1)
if echo "$o1" | grep -q 'subject=CN = new.example.org' && grep -q 'qmail-tlsd: warning: keeping the certificates and keys in use: unable to load key' "$LOG"; then
  pass tlsd_daemon_keeps_certificate_on_bad_key
else fail tlsd_daemon_keeps_certificate_on_bad_key "s_client: $(echo "$o1" | grep -E 'subject=|error' | head -2)"; fi

# --- the daemon goes: its tcpserver goes with it ------------------------------------------------
kill -TERM $SVPID
for i in $(seq 50); do [ -e "/proc/$SVPID" ] || break; sleep 0.1; done
if [ ! -e "/proc/$SVPID" ] && ! up && ! pgrep -x tcpserver > /dev/null; then pass tlsd_daemon_term_stops_listener
else fail tlsd_daemon_term_stops_listener "daemon $(comm $SVPID), tcpserver $(pgrep -x tcpserver)"; fi
# SIGKILL, which it cannot pass on: the listener gets SIGTERM from the kernel instead
(cd "$sv" && exec ./run) >> "$LOG" 2>&1 &
SVPID=$!
INST_PIDS="$INST_PIDS $SVPID"
for i in $(seq 50); do up && break; sleep 0.1; done
kill -KILL $SVPID
for i in $(seq 50); do pgrep -x tcpserver > /dev/null || break; sleep 0.1; done
if ! pgrep -x tcpserver > /dev/null && ! up; then pass tlsd_daemon_kill_stops_listener
else fail tlsd_daemon_kill_stops_listener "tcpserver $(pgrep -x tcpserver) still there"; fi

# --- a front without a daemon fails clearly ------------------------------------------------------
out=$(env -u QMAIL_TLSD "$QM_HOME/bin/qmail-tlsc" -- /bin/true < /dev/null 2>&1); rc=$?
case "$rc $out" in "111 qmail-tlsc: fatal: no request socket in QMAIL_TLSD"*) pass tlsc_without_daemon ;;
  *) fail tlsc_without_daemon "exit $rc: $out" ;; esac
# a descriptor that is not the daemon's socket (here a TCP connection) is never written to
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 2599)); s.listen(1); c, _ = s.accept(); c.settimeout(2)
try: print(len(c.recv(100)))
except OSError: print(0)' > "$INST/peer.out" 2>&1 &
sleep 0.3
out=$(QMAIL_TLSD=7 "$QM_HOME/bin/qmail-tlsc" -- /bin/true 7<> /dev/tcp/127.0.0.1/2599 < /dev/null 2>&1); rc=$?
wait $!
case "$rc $out $(cat "$INST/peer.out")" in "111 qmail-tlsc: fatal: no request socket in QMAIL_TLSD"*" 0") pass tlsc_wrong_descriptor ;;
  *) fail tlsc_wrong_descriptor "exit $rc: $out; the peer got $(cat "$INST/peer.out") bytes" ;; esac
# the daemon died after the front was started: the request socket has no reader
cp "$K/mail.example.org.pem" "$C/servercert.pem"; cp "$K/mail.example.org.key" "$C/serverkey.pem"
out=$(timeout 20 "$QM_HOME/bin/qmail-tlsd" -s -D -c "$C/servercert.pem" -k "$C/serverkey.pem" -u qmaild -- \
  sh -c 'trap "" TERM; kill -KILL $PPID; sleep 0.3; exec "$0" -- /bin/true' "$QM_HOME/bin/qmail-tlsc" \
  < /dev/null 2>&1); rc=$?
sleep 0.5
case "$out" in *"qmail-tlsc: fatal: unable to reach qmail-tlsd: Connection refused"*) pass tlsc_daemon_gone ;;
  *) fail tlsc_daemon_gone "exit $rc: $out" ;; esac

# --- hostile requests on the daemon's socket: refused with a reason, the daemon lives on ---------
cp "$QM_SRC/tests/e2e/tlsd_front.py" "$INST/"; chmod 0755 "$INST/tlsd_front.py"
FL=$INST/front.log
TLSD_FRONT_SILENT=1 timeout 60 "$QM_HOME/bin/qmail-tlsd" -s -D -c "$C/servercert.pem" -k "$C/serverkey.pem" -u qmaild -- \
  python3 "$INST/tlsd_front.py" "$FL" < /dev/null >> "$INST/front.err" 2>&1; rc=$?
want='garbage fail unknown field
nul fail NUL byte in a field
overlong fail bad field length
nofds fail no connection descriptors
badgram sent
silent fail timeout reading the request
good go
good exit 7
done'
got=$(grep -v '^$' "$FL" 2> /dev/null)
[ "$got" = "$want" ] && [ $rc = 0 ] && pass tlsd_daemon_refuses_bad_requests ||
  fail tlsd_daemon_refuses_bad_requests "exit $rc, answers: $(echo "$got" | tr '\n' '|')"
if grep -q 'qmail-tlsd: warning: pid=[0-9]* refused a request: NUL byte in a field' "$FL" "$INST/front.err" &&
   grep -q 'qmail-tlsd: warning: ignored a malformed request datagram' "$INST/front.err"; then
  pass tlsd_daemon_bad_requests_logged
else fail tlsd_daemon_bad_requests_logged "$(cat "$INST/front.err" | head -5)"; fi

if grep -qiE 'segfault|sanitizer|core dumped' "$LOG" "$INST/front.err"; then fail tlsd_daemon_no_crash "$(grep -iE 'segfault|sanitizer' "$LOG" | head -2)"
else pass tlsd_daemon_no_crash; fi
