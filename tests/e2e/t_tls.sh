#!/bin/bash
# qmail-tlsd end to end, without qmail-smtpd: tcpserver runs the installed helper as
# root in front of a small fake SMTP program (tests/e2e/tls_serve.py) that logs every
# byte it reads; Python's ssl module and openssl s_client are the clients, a test CA
# made here signs the certificates. Client mode serves tests/e2e/tls_client.py, which
# hands its connection over the control descriptor as qmail-remote would.
. "$QM_SRC/tests/e2e/lib.sh"
inst_new
for p in tcpserver openssl python3; do
  command -v $p > /dev/null || { skip tls "$p is not installed"; exit 0; }
done
TLSD=$QM_HOME/bin/qmail-tlsd
[ -x "$TLSD" ] || { fail tls "qmail-tlsd is not installed"; exit 0; }

# --- a test CA, two server certificates, a second CA nobody trusts --------------------
K=$INST/tls; mkdir -p "$K"; cd "$K" || exit 1
mkca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=$1" -keyout "$1.key" -out "$1.pem" 2> /dev/null; }
mkcert() { # name ca
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=Test Org/CN=$1" \
    -keyout "$1.key" -out "$1.csr" 2> /dev/null &&
  printf 'subjectAltName=DNS:%s\n' "$1" > "$1.ext" &&
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2> /dev/null; }
mkca testca && mkca otherca && mkcert mail.example.org testca && mkcert smtp.example.net testca ||
  { fail tls "unable to make the test certificates"; exit 0; }
chmod 0600 ./*.key; chown root:root ./*.key
chmod 0755 "$K"

# the served programs must be readable by qmaild, wherever the source tree is
cp "$QM_SRC/tests/e2e/tls_serve.py" "$QM_SRC/tests/e2e/tls_client.py" "$INST/"
chmod 0755 "$INST/tls_serve.py" "$INST/tls_client.py"
ST=$INST/state; mkdir -p "$ST"; chown qmaild "$ST"
LOG=$INST/tlsd.log

serve() { # port extra-options...
  port=$1; shift
  tcpserver -R -H 127.0.0.1 "$port" "$TLSD" -s "$@" -c "$K/mail.example.org.pem" -k "$K/mail.example.org.key" \
    -c "$K/smtp.example.net.pem" -k "$K/smtp.example.net.key" -u qmaild -- \
    "$INST/tls_serve.py" "$ST" "$K/mail.example.org.key" >> "$LOG" 2>&1 &
  INST_PIDS="$INST_PIDS $!"
}
serve 2525
serve 2465 -i
serve 2526 -R
for i in $(seq 50); do
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 2526), 1).close()' 2>/dev/null && break
  sleep 0.1
done
fresh() { rm -f "$ST"/*; }
has() { grep -q -- "$2" "$ST/$1" 2>/dev/null; }

# --- STARTTLS with pipelined plaintext: TLS 1.3, the RSET never reaches the program -----
fresh
out=$(CA=$K/testca.pem python3 - <<'PY' 2>&1
import os, socket, ssl
s = socket.create_connection(('127.0.0.1', 2525), 5)
f = s.makefile('rb')
print('greet', f.readline().decode().strip())
s.sendall(b'EHLO before\r\n'); f.readline(); f.readline()
s.sendall(b'STARTTLS\r\nRSET\r\n')
print('starttls', f.readline().decode().strip())
ctx = ssl.create_default_context(cafile=os.environ['CA'])
t = ctx.wrap_socket(s, server_hostname='mail.example.org')
print('version', t.version())
print('cert', dict(x[0] for x in t.getpeercert()['subject'])['commonName'])
tf = t.makefile('rb')
t.sendall(b'EHLO after\r\n'); print('ehlo', tf.readline().decode().strip(), tf.readline().decode().strip())
t.sendall(b'QUIT\r\n'); print('quit', tf.readline().decode().strip())
PY
)
sleep 0.2
case $out in *"version TLSv1.3"*) pass tls_starttls_tls13 ;; *) fail tls_starttls_tls13 "client said: $out" ;; esac
case $out in *"cert mail.example.org"*"ehlo 250-fake 250 STARTTLS"*"quit 221 bye"*) pass tls_relay_after_handshake ;;
  *) fail tls_relay_after_handshake "client said: $out" ;; esac
if has cmds 'STARTTLS' && has cmds 'EHLO AFTER' && ! grep -qi rset "$ST/raw" "$ST/cmds"; then pass tls_injected_plaintext_dropped
else fail tls_injected_plaintext_dropped "program read: $(tr '\r\n' '  ' < "$ST/raw")"; fi
check tls_discard_logged grep -q 'discarded 6 bytes of plaintext sent before the handshake' "$LOG"
if grep -Eq '^ok TLSv1.3 TLS_[A-Z0-9_]+ none -$' "$ST/report"; then pass tls_report_to_program
else fail tls_report_to_program "report: $(cat "$ST/report")"; fi
check tls_logged grep -Eq 'qmail-tlsd: info: pid=[0-9]+ tls=starttls sni=mail.example.org ok TLSv1.3 ' "$LOG"

# --- the program refuses STARTTLS: "plain" lets the held input go on at once ----------------
fresh; touch "$ST/refuse"
out=$(python3 - <<'PY' 2>&1
import socket, time
s = socket.create_connection(('127.0.0.1', 2525), 5)
f = s.makefile('rb'); f.readline()
t0 = time.time()
s.sendall(b'STARTTLS\r\nNOOP\r\nQUIT\r\n')
r = [f.readline().decode().strip() for _ in range(3)]
print(r, 'fast' if time.time() - t0 < 1.5 else 'slow')
PY
)
case $out in *"454 not now"*"250 ok"*"221 bye"*fast) pass tls_refused_releases_hold ;;
  *) fail tls_refused_releases_hold "client said: $out" ;; esac
# --- a STARTTLS line in a message body: nobody decides, the hold times out ------------------
fresh
out=$(python3 - <<'PY' 2>&1
import socket, time
s = socket.create_connection(('127.0.0.1', 2525), 10)
f = s.makefile('rb'); f.readline()
s.sendall(b'DATA\r\nSTARTTLS\r\nmore body\r\n.\r\nQUIT\r\n')
print([f.readline().decode().strip() for _ in range(3)])
PY
)
case $out in *"354 go on"*"250 accepted"*"221 bye"*) pass tls_hold_released_without_decision ;;
  *) fail tls_hold_released_without_decision "client said: $out" ;; esac
grep -q '^MORE BODY$' "$ST/cmds" && pass tls_body_line_kept || fail tls_body_line_kept "program read: $(tr '\r\n' '  ' < "$ST/raw")"

# --- protocol versions --------------------------------------------------------------------
o11=$(echo QUIT | timeout 10 openssl s_client -connect 127.0.0.1:2525 -starttls smtp -tls1_1 \
  -cipher 'DEFAULT@SECLEVEL=0' 2>&1)
o12=$(echo QUIT | timeout 10 openssl s_client -connect 127.0.0.1:2525 -starttls smtp -tls1_2 \
  -CAfile "$K/testca.pem" 2>&1)
if echo "$o11" | grep -qiE 'alert protocol version|unsupported protocol|wrong version' &&
   grep -q 'unsupported protocol' "$LOG"; then
  pass tls_tls11_refused
else fail tls_tls11_refused "s_client: $(echo "$o11" | grep -iE 'error|alert|Protocol' | head -3)"; fi
if echo "$o12" | grep -q 'Protocol *: TLSv1.2' && echo "$o12" | grep -q 'Cipher *: ECDHE-'; then pass tls_tls12_ecdhe
else fail tls_tls12_ecdhe "s_client: $(echo "$o12" | grep -iE 'error|Protocol|Cipher' | head -3)"; fi
echo "$o12" | grep -q 'Verify return code: 0 (ok)' && pass tls_chain_verifies || fail tls_chain_verifies "s_client did not verify"

# --- SNI picks the certificate -------------------------------------------------------------
sni=$(echo QUIT | timeout 10 openssl s_client -connect 127.0.0.1:2525 -starttls smtp -servername smtp.example.net 2>&1)
def=$(echo QUIT | timeout 10 openssl s_client -connect 127.0.0.1:2525 -starttls smtp -noservername 2>&1)
if echo "$sni" | grep -q 'subject=O = Test Org, CN = smtp.example.net' &&
   echo "$def" | grep -q 'subject=O = Test Org, CN = mail.example.org'; then pass tls_sni
else fail tls_sni "with SNI: $(echo "$sni" | grep subject=), without: $(echo "$def" | grep subject=)"; fi
check tls_sni_logged grep -q 'sni=smtp.example.net ok ' "$LOG"

# --- no session tickets ----------------------------------------------------------------------
tk=$(python3 - <<'PY' 2>&1
import socket, ssl
s = socket.create_connection(('127.0.0.1', 2525), 5)
f = s.makefile('rb'); f.readline()
s.sendall(b'STARTTLS\r\n'); f.readline()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname='mail.example.org')
tf = t.makefile('rb')
t.sendall(b'NOOP\r\n'); tf.readline()   # TLS 1.3 tickets come after the handshake
print(t.version(), 'ticket' if t.session.has_ticket else 'noticket')
PY
)
case $tk in "TLSv1.3 noticket") pass tls_no_tickets ;; *) fail tls_no_tickets "client said: $tk" ;; esac

# --- implicit TLS, and a client certificate logged -----------------------------------------
fresh
out=$(CA=$K/testca.pem python3 - <<'PY' 2>&1
import os, socket, ssl
ctx = ssl.create_default_context(cafile=os.environ['CA'])
t = ctx.wrap_socket(socket.create_connection(('127.0.0.1', 2465), 5), server_hostname='mail.example.org')
f = t.makefile('rb')
print(t.version(), f.readline().decode().strip())
t.sendall(b'QUIT\r\n'); print(f.readline().decode().strip())
PY
)
sleep 0.2
case $out in "TLSv1.3 220 fake ready"*"221 bye"*) pass tls_implicit ;; *) fail tls_implicit "client said: $out" ;; esac
if grep -Eq '^ok TLSv1.3 ' "$ST/report"; then pass tls_implicit_report; else fail tls_implicit_report "report: $(cat "$ST/report" 2>&1)"; fi
fresh
out=$(echo QUIT | timeout 10 openssl s_client -connect 127.0.0.1:2526 -starttls smtp -cert "$K/smtp.example.net.pem" \
  -key "$K/smtp.example.net.key" 2>&1)
sleep 0.2
if grep -q '^ok TLSv1.3 [^ ]* peer CN=smtp.example.net,O=Test Org$' "$ST/report" 2>/dev/null; then pass tls_peer_subject
else fail tls_peer_subject "report: $(cat "$ST/report" 2>&1)"; fi

# --- privileges: helper as qmailt and not dumpable, program without libssl or the key --------
fresh
exec 7<> /dev/tcp/127.0.0.1/2525
read -r -t 5 greet <&7
printf 'STARTTLS\r\n' >&7   # the helper must have dropped root before any handshake
printf 'WAIT\r\n' >&7
sleep 0.5
cpid=$(head -n 1 "$ST/pid" 2>/dev/null)
hpid=$(awk '/^PPid:/ {print $2}' "/proc/$cpid/status" 2>/dev/null)
if [ -n "$hpid" ]; then
  huid=$(awk '/^Uid:/ {print $2" "$3" "$4" "$5}' "/proc/$hpid/status")
  t=$(id -u qmailt)
  [ "$huid" = "$t $t $t $t" ] && pass tls_helper_is_qmailt || fail tls_helper_is_qmailt "uids $huid, want $t"
  # a non-dumpable process's /proc files belong to root whatever its uid
  [ "$(stat -c %u "/proc/$hpid/maps")" = 0 ] && pass tls_helper_not_dumpable || fail tls_helper_not_dumpable "maps owned by $(stat -c %u "/proc/$hpid/maps")"
  grep -q libssl "/proc/$hpid/maps" && pass tls_helper_links_libssl || fail tls_helper_links_libssl "no libssl in the helper's map"
  cuid=$(awk '/^Uid:/ {print $2}' "/proc/$cpid/status")
  [ "$cuid" = "$(id -u qmaild)" ] && pass tls_program_is_qmaild || fail tls_program_is_qmaild "uid $cuid"
  grep -q 'libssl\|libcrypto' "/proc/$cpid/maps" && fail tls_program_no_libssl "the program maps $(grep -o 'lib\(ssl\|crypto\)[^ ]*' "/proc/$cpid/maps" | head -1)" || pass tls_program_no_libssl
else
  fail tls_helper_is_qmailt "no served program found (pid '$cpid')"
fi
grep -q '^refused 13$' "$ST/key" && pass tls_program_cannot_read_key || fail tls_program_cannot_read_key "key: $(cat "$ST/key" 2>&1)"
exec 7>&-

# --- client mode ---------------------------------------------------------------------------
client() { # name verify [helper options]
  n=$1 v=$2; shift 2
  timeout 20 "$TLSD" -C "$@" -u qmaild -- "$INST/tls_client.py" 2525 "$n" "$v" 2>> "$INST/client.log"
}
pin=$(openssl x509 -in "$K/mail.example.org.pem" -outform der | sha256sum | cut -d' ' -f1)
bad=$(openssl x509 -in "$K/smtp.example.net.pem" -outform der | sha256sum | cut -d' ' -f1)
o=$(client mail.example.org ca -A "$K/testca.pem")
case $o in "ok TLSv1.3 "*" ca CN=mail.example.org,O=Test Org"*"250 STARTTLS"*"221 bye"*) pass tls_client_ca ;; *) fail tls_client_ca "got: $o" ;; esac
o=$(client wrong.example.org ca -A "$K/testca.pem")
case $o in "fail "*) pass tls_client_wrong_name ;; *) fail tls_client_wrong_name "got: $o" ;; esac
o=$(client mail.example.org ca -A "$K/otherca.pem")
case $o in "fail "*) pass tls_client_wrong_ca ;; *) fail tls_client_wrong_ca "got: $o" ;; esac
o=$(client mail.example.org ca)
case $o in "fail "*) pass tls_client_system_store_refuses_test_ca ;; *) fail tls_client_system_store_refuses_test_ca "got: $o" ;; esac
o=$(client mail.example.org "sha256:$pin")
case $o in "ok TLSv1.3 "*" pin "*"250 STARTTLS"*) pass tls_client_pin ;; *) fail tls_client_pin "got: $o" ;; esac
o=$(client mail.example.org "sha256:$bad")
case $o in "fail "*"fingerprint"*) pass tls_client_wrong_pin ;; *) fail tls_client_wrong_pin "got: $o" ;; esac
o=$(client - none)
case $o in "ok TLSv1.3 "*" none "*"250 STARTTLS"*) pass tls_client_none ;; *) fail tls_client_none "got: $o" ;; esac
check tls_client_logged grep -q 'tls=client sni=mail.example.org ok TLSv1.3 ' "$INST/client.log"
# -C without a program needs its caller's control socket on fd 5
o=$("$TLSD" -C 5<&- 2>&1); rc=$?
[ $rc = 111 ] && case $o in *"control socket on fd 5"*) true ;; *) false ;; esac &&
  pass tls_client_noprog_needs_fd5 || fail tls_client_noprog_needs_fd5 "exit $rc: $o"
o=$("$TLSD" -C 5</dev/null 2>&1); rc=$?
[ $rc = 111 ] && pass tls_client_noprog_fd5_not_socket || fail tls_client_noprog_fd5_not_socket "exit $rc: $o"
o=$("$TLSD" -C -u qmaild 2>&1); rc=$?
[ $rc = 100 ] && pass tls_client_noprog_no_user || fail tls_client_noprog_no_user "exit $rc: $o"
