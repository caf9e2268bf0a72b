#!/bin/bash
# qmail-remote's STARTTLS between hosts (tests/e2e/net.sh): host a, a whole
# instance (qmail-dns, qmail-send, qmail-rspawn, qmail-tlsd -C, qmail-remote)
# sending; host b, three receivers on port 25 (tests/e2e/smtp_tls_peer.py): behind
# qmail-tlsd -s with a certificate from a CA made here, alone without STARTTLS, and
# behind qmail-tlsd -s with a self-signed certificate. Covers: a tlsdestinations
# cafile domain encrypted and verified; a right pin verified, a wrong pin deferred;
# a listed domain whose server offers no STARTTLS deferred and nothing sent in
# clear; opportunistic TLS to the self-signed server encrypted but unverified; an
# unlisted domain without STARTTLS delivered in plaintext; the report says which; a
# failed handshake (a fourth receiver answering STARTTLS with garbage) retried in
# plaintext for an unlisted domain, deferred for a listed one; the TLS helper
# started only by sessions that come to STARTTLS. Connection reuse: a plaintext
# session is kept and carries the next message to its domain, a TLS session never is.
. "$QM_SRC/tests/e2e/lib.sh"
. "$QM_SRC/tests/e2e/net.sh"
need_root
for p in nsd tcpserver s6-setuidgid s6-envuidgid openssl python3; do
  command -v $p > /dev/null || { skip remote_tls "$p is not installed"; exit 0; }
done
for p in qmail-dns qmail-rspawn qmail-remote qmail-send qmail-tlsd; do
  [ -x "$QM_BUILD/bin/$p" ] || { skip remote_tls "$p is not built"; exit 0; }
done
net_init
W=$NET_DIR
net_host ns 192.0.2.53
net_host a 192.0.2.10
net_host b 192.0.2.20 192.0.2.21 192.0.2.22 192.0.2.23
net_inst a mail.a.test
net_inst b mx.tls.test
A=$NET_DIR/a
printf 'mail.a.test\na.test\n' > "$A/control/locals"
net_sender "$A" 5
# idle connections wait long enough for the second round below
printf '60\n' > "$A/control/timeoutremoteidle"

# --- certificates: a test CA, the server's certificate from it, a self-signed one -------
K=$W/tls; mkdir -p "$K"; chmod 0755 "$K"
( cd "$K" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=testca \
    -keyout ca.key -out ca.pem &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mx.tls.test \
    -keyout mx.key -out mx.csr &&
  printf 'subjectAltName=DNS:mx.tls.test\n' > mx.ext &&
  openssl x509 -req -in mx.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile mx.ext -out mx.pem &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mx.self.test \
    -keyout self.key -out self.pem ) > "$W/openssl.log" 2>&1 ||
  { fail remote_tls_certs "openssl: $(tail -n 3 "$W/openssl.log")"; exit 1; }
chmod 0644 "$K"/*.pem; chmod 0600 "$K"/*.key
PIN=$(openssl x509 -in "$K/mx.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
[ ${#PIN} = 95 ] || { fail remote_tls_pin "fingerprint '$PIN'"; exit 1; }
WRONG=$(printf '%064d' 0)
{
  printf 'tls.test:cafile:%s\n' "$K/ca.pem"
  printf 'pin.test:sha256:%s\n' "$PIN"
  printf 'badpin.test:sha256:%s\n' "$WRONG"
  printf 'notls.test\n'
  printf 'brokenreq.test\n'
} > "$A/control/tlsdestinations"

# --- the name server ------------------------------------------------------------------
mkdir -p "$W/nsd"
cat > "$W/nsd/test.zone" <<'EOZ'
$ORIGIN test.
$TTL 300
@          IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@          NS    ns
ns         A     192.0.2.53
mail.a     A     192.0.2.10
a          MX    10 mail.a
tls        MX    10 mx.tls
pin        MX    10 mx.tls
badpin     MX    10 mx.tls
mx.tls     A     192.0.2.20
notls      MX    10 mx.notls
plain      MX    10 mx.notls
mx.notls   A     192.0.2.21
opp        MX    10 mx.self
mx.self    A     192.0.2.22
broken     MX    10 mx.broken
brokenreq  MX    10 mx.broken
mx.broken  A     192.0.2.23
EOZ
net_nsd ns a "$W/nsd" || { fail remote_tls_nsd "nsd did not answer: $(tail -n 3 "$W/nsd.out")"; exit 1; }

# --- host b: the three receivers ---------------------------------------------------------
cp "$QM_SRC/tests/e2e/smtp_tls_peer.py" "$W/peer.py"; chmod 0755 "$W/peer.py"
D=$W/dump; mkdir -p "$D"; chmod 0777 "$D"
BT=$W/b.tlsd
net_bg b "$BT" tcpserver -R -H 192.0.2.20 25 "$QM_HOME/bin/qmail-tlsd" -s -c "$K/mx.pem" -k "$K/mx.key" \
  -u qmaild -- "$W/peer.py" "$D/ca"
net_bg b "$BT" s6-envuidgid qmaild tcpserver -U -R -H 192.0.2.21 25 "$W/peer.py" "$D/notls"
net_bg b "$BT" tcpserver -R -H 192.0.2.22 25 "$QM_HOME/bin/qmail-tlsd" -s -c "$K/self.pem" -k "$K/self.key" \
  -u qmaild -- "$W/peer.py" "$D/self"
net_bg b "$BT" env BROKEN_TLS=1 s6-envuidgid qmaild tcpserver -U -R -H 192.0.2.23 25 "$W/peer.py" "$D/broken"
for ip in 20 21 22 23; do net_wait_tcp a 192.0.2.$ip 25; done
rm -f "$D"/*

# --- host a: qmail-dns and the scheduler -----------------------------------------------
net_bg a "$W/a.dns" s6-setuidgid qmailn "$QM_HOME/bin/qmail-dns"
for _ in $(seq 50); do [ -S "$A/dns/socket" ] && break; sleep 0.1; done
[ -S "$A/dns/socket" ] || { fail remote_tls_qmail_dns "no socket: $(tail -n 3 "$W/a.dns")"; exit 1; }
ALOG=$W/a.log; : > "$ALOG"
# qmail-tlsd through a wrapper that notes each start: qmail-remote starts the helper
# only when a session comes to STARTTLS
cat > "$W/tlsd-wrap" <<EOW
#!/bin/sh
echo "\$*" >> "$W/tlsd.starts"
exec "$QM_HOME/bin/qmail-tlsd" "\$@"
EOW
chmod 0755 "$W/tlsd-wrap"; : > "$W/tlsd.starts"; chmod 0666 "$W/tlsd.starts"
net_bg a "$ALOG" env QMAILTLSD="$W/tlsd-wrap" "$QM_HOME/bin/qmail-start" ./Maildir/

inject() { # sender rcpt: on host a, through its qmail-queue
  printf 'Subject: tls test\n\nsecret body for %s\n' "$2" |
  net_run a python3 -c '
import os, sys, subprocess
env = ("F" + sys.argv[1] + "\0T" + sys.argv[3] + "\0\0").encode()
rd, wr = os.pipe()
os.write(wr, env); os.close(wr)
sys.exit(subprocess.run([sys.argv[2]], stdin=sys.stdin, stdout=rd).returncode)' "$1" "$QM_HOME/bin/qmail-queue" "$2"
}
result() { # rcpt: the first result line of its delivery on a
  local d r
  for _ in $(seq 150); do
    d=$(sed -n "s/^starting delivery \([0-9]*\): msg [0-9]* to remote $1\$/\1/p" "$ALOG" | head -n 1)
    if [ -n "$d" ]; then r=$(sed -n "s/^delivery $d: //p" "$ALOG" | head -n 1); [ -n "$r" ] && { echo "$r"; return; }; fi
    sleep 0.1
  done
}
for r in joe@tls.test joe@pin.test joe@badpin.test joe@notls.test joe@opp.test joe@plain.test \
         joe@broken.test joe@brokenreq.test; do
  inject postmaster@a.test "$r"
done

r=$(result joe@tls.test)
case $r in "success: 192.0.2.20_accepted_message._Encrypted:_TLSv1.3_"*",_verified_(ca)./Remote_host_said:_250_ok_queued/")
  pass remote_tls_cafile_verified ;; *) fail remote_tls_cafile_verified "got '$r'" ;; esac
if grep -q '^TLS ok TLSv1.3 .* none -' "$D/ca" && grep -q '^tls RCPT TO:<joe@tls.test>' "$D/ca" &&
   grep -q '^tls secret body for joe@tls.test' "$D/ca" && ! grep -q '^plain .*joe@tls.test' "$D/ca"
then pass remote_tls_cafile_encrypted_on_wire
else fail remote_tls_cafile_encrypted_on_wire "peer saw: $(grep -a 'joe@tls.test\|^TLS' "$D/ca" | tr '\r\n' '  ')"; fi

r=$(result joe@pin.test)
case $r in "success: 192.0.2.20_accepted_message._Encrypted:_TLSv1.3_"*",_verified_(pin)./"*)
  pass remote_tls_pin_verified ;; *) fail remote_tls_pin_verified "got '$r'" ;; esac

r=$(result joe@badpin.test)
case $r in "deferral: Connected_to_192.0.2.20_but_TLS_failed:_certificate_fingerprint_does_not_match."*)
  pass remote_tls_wrong_pin_deferred ;; *) fail remote_tls_wrong_pin_deferred "got '$r'" ;; esac
grep -q 'joe@badpin.test' "$D/ca" && fail remote_tls_wrong_pin_not_sent "the peer got the recipient" ||
  pass remote_tls_wrong_pin_not_sent

r=$(result joe@notls.test)
case $r in "deferral: Connected_to_192.0.2.21_but_it_does_not_offer_STARTTLS,_which_tlsdestinations_requires._(#4.7.5)/")
  pass remote_tls_required_no_starttls_deferred ;; *) fail remote_tls_required_no_starttls_deferred "got '$r'" ;; esac
if grep -q '^plain EHLO' "$D/notls" 2>/dev/null && ! grep -q 'joe@notls.test' "$D/notls"; then
  pass remote_tls_required_not_in_clear
else fail remote_tls_required_not_in_clear "the server saw: $(tr '\r\n' '  ' < "$D/notls" 2>/dev/null)"; fi

r=$(result joe@opp.test)
case $r in "success: 192.0.2.22_accepted_message._Encrypted:_TLSv1."*",_unverified./"*)
  pass remote_tls_opportunistic_selfsigned ;; *) fail remote_tls_opportunistic_selfsigned "got '$r'" ;; esac
grep -q '^tls secret body for joe@opp.test' "$D/self" && pass remote_tls_opportunistic_on_wire ||
  fail remote_tls_opportunistic_on_wire "peer saw: $(tr '\r\n' '  ' < "$D/self" 2>/dev/null)"

r=$(result joe@plain.test)
case $r in "success: 192.0.2.21_accepted_message._Not_encrypted./"*)
  pass remote_tls_unlisted_plaintext ;; *) fail remote_tls_unlisted_plaintext "got '$r'" ;; esac

# a handshake that fails: an unlisted domain gets one more connection in plaintext
# and the message; a tlsdestinations domain is deferred and nothing goes in clear
r=$(result joe@broken.test)
case $r in "success: 192.0.2.23_accepted_message._Not_encrypted./"*)
  pass remote_tls_failed_handshake_plaintext_retry ;; *) fail remote_tls_failed_handshake_plaintext_retry "got '$r'" ;; esac
grep -q '^plain secret body for joe@broken.test' "$D/broken" && pass remote_tls_failed_handshake_sent_in_clear ||
  fail remote_tls_failed_handshake_sent_in_clear "peer saw: $(tr '\r\n' '  ' < "$D/broken" 2>/dev/null)"
r=$(result joe@brokenreq.test)
case $r in "deferral: Connected_to_192.0.2.23_but_TLS_failed:"*"(#4.7.5)/")
  pass remote_tls_required_failed_handshake_deferred ;; *) fail remote_tls_required_failed_handshake_deferred "got '$r'" ;; esac
grep -q 'joe@brokenreq.test' "$D/broken" && fail remote_tls_required_failed_handshake_not_in_clear "the peer got the recipient" ||
  pass remote_tls_required_failed_handshake_not_in_clear

# six sessions came to STARTTLS (tls, pin, badpin, opp, broken, brokenreq), two never
# did (notls, plain): six helpers, the one for tls.test with its cafile
n=$(wc -l < "$W/tlsd.starts")
if [ "$n" = 6 ] && grep -qx -- "-C -A $K/ca.pem" "$W/tlsd.starts" && [ "$(grep -cx -- '-C' "$W/tlsd.starts")" = 5 ]; then
  pass remote_tls_helper_only_for_starttls
else fail remote_tls_helper_only_for_starttls "helper starts: $(tr '\n' '|' < "$W/tlsd.starts")"; fi

# a second message to each: the plaintext session to plain.test was kept and carries
# it; the TLS session to opp.test was not, so a new one (and a new helper) starts
inject postmaster@a.test jim@opp.test
r=$(result jim@opp.test)
case $r in "success: 192.0.2.22_accepted_message._Encrypted:_TLSv1."*",_unverified./"*)
  [ "$(grep -c '^TLS ok' "$D/self")" = 2 ] && [ "$(wc -l < "$W/tlsd.starts")" = 7 ] &&
    pass remote_tls_session_not_reused ||
    fail remote_tls_session_not_reused "TLS sessions: $(grep -c '^TLS ok' "$D/self"), helper starts: $(wc -l < "$W/tlsd.starts")" ;;
  *) fail remote_tls_session_not_reused "got '$r'" ;; esac
inject postmaster@a.test jim@plain.test
r=$(result jim@plain.test)
case $r in "success: 192.0.2.21_accepted_message._Not_encrypted._(connection_reused)/"*)
  [ "$(grep -c '^plain EHLO' "$D/notls")" = 2 ] && pass remote_plain_session_reused ||
    fail remote_plain_session_reused "EHLO lines at 192.0.2.21: $(grep -c '^plain EHLO' "$D/notls")" ;;
  *) fail remote_plain_session_reused "got '$r'" ;; esac
