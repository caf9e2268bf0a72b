#!/bin/bash
# STARTTLS and submission end to end: the installed service run scripts start
# tcpserver + qmail-tlsd + qmail-smtpd (MX with STARTTLS, submission on 587 with
# STARTTLS, smtps with implicit TLS) against the real qmail-queue; a test CA made
# here signs the server certificate; qmail-checkpw checks passwords from a
# users/passwords.cdb built by qmail-newpw. Clients: Python's smtplib (starttls,
# SMTP_SSL, login), swaks --tls, openssl s_client -starttls smtp, raw sockets.
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new
for p in tcpserver openssl python3 s6-envuidgid s6-softlimit; do
  command -v $p > /dev/null || { skip submission "$p is not installed"; exit 0; }
done
for p in qmail-tlsd qmail-smtpd qmail-checkpw qmail-newpw; do
  [ -x "$QM_HOME/bin/$p" ] || { fail submission "$p is not installed"; exit 0; }
done
C=$QM_HOME/control
printf 'example.org\n' > "$C/rcpthosts"
printf 'example.org\n' > "$C/locals"

# --- the services refuse to start without a certificate, quietly ------------------------
for sv in qmail-submission qmail-smtps; do
  out=$(cd "$QM_HOME/service/$sv" && timeout 2 ./run 2>&1)
  case $out in *"$sv: info: not started: no $C/servercert.pem"*) pass "${sv}_needs_cert" ;;
    *) fail "${sv}_needs_cert" "run said: $out" ;; esac
done

# --- a test CA and the server certificate, key in the same root-only file ----------------
K=$INST/ca; mkdir -p "$K"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Test CA" \
  -keyout "$K/ca.key" -out "$K/ca.pem" 2> /dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mail.example.org" \
  -keyout "$K/srv.key" -out "$K/srv.csr" 2> /dev/null &&
printf 'subjectAltName=DNS:mail.example.org,IP:127.0.0.1\n' > "$K/ext" &&
openssl x509 -req -in "$K/srv.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -CAcreateserial -days 2 \
  -extfile "$K/ext" -out "$K/srv.pem" 2> /dev/null || { fail submission "unable to make the test certificates"; exit 0; }
cat "$K/srv.pem" "$K/srv.key" > "$C/servercert.pem"
chown root:root "$C/servercert.pem"; chmod 0600 "$C/servercert.pem"
chmod 0755 "$K"

# --- passwords ----------------------------------------------------------------------------
hash=$(openssl passwd -6 secret)
printf '# test users\njoe:%s\nann@example.org:%s\n' "$hash" "$(openssl passwd -6 annpw)" > "$QM_HOME/users/passwords"
if "$QM_HOME/bin/qmail-newpw" && [ "$(stat -c '%a %U %G' "$QM_HOME/users/passwords.cdb")" = "640 root shadow" ]; then
  pass newpw_builds_private_cdb
else fail newpw_builds_private_cdb "$(ls -l "$QM_HOME/users/" 2>&1)"; fi
cp "$QM_HOME/users/passwords.cdb" "$INST/pw.old"
printf 'joe:%s\nbroken line\n' "$hash" > "$QM_HOME/users/passwords.bad"
cp "$QM_HOME/users/passwords" "$INST/pw.good"; cp "$QM_HOME/users/passwords.bad" "$QM_HOME/users/passwords"
out=$("$QM_HOME/bin/qmail-newpw" 2>&1); rc=$?
if [ $rc = 100 ] && cmp -s "$INST/pw.old" "$QM_HOME/users/passwords.cdb" && [ ! -e "$QM_HOME/users/passwords.cdb.tmp" ]; then
  pass newpw_keeps_old_on_error
else fail newpw_keeps_old_on_error "exit $rc: $out"; fi
printf 'joe:x\njoe:y\n' > "$QM_HOME/users/passwords"
out=$("$QM_HOME/bin/qmail-newpw" 2>&1); rc=$?
case "$rc $out" in "100 "*"listed twice"*) pass newpw_refuses_duplicates ;; *) fail newpw_refuses_duplicates "exit $rc: $out" ;; esac
cp "$INST/pw.good" "$QM_HOME/users/passwords"; rm -f "$QM_HOME/users/passwords.bad"
"$QM_HOME/bin/qmail-newpw" || fail submission "qmail-newpw failed"

# --- qmail-checkpw by itself, as qmaild (setuid for the lookup only) -----------------------
cpw() { # input-printf-format user-to-run-as
  printf "$1" > "$INST/cpw.in"; chmod 644 "$INST/cpw.in"
  run_as "$2" sh -c "exec '$QM_HOME/bin/qmail-checkpw' sh -c 'echo \"\$USER \$AUTHUSER \$HOME \$(id -un)\"' 3< '$INST/cpw.in'"
}
out=$(cpw 'joe\0secret\0<1@x>\0' qmaild); rc=$?
[ "$rc $out" = "0 joe joe / qmaild" ] && pass checkpw_right_password || fail checkpw_right_password "exit $rc: $out"
out=$(cpw 'joe\0wrong\0\0' qmaild); rc=$?
[ $rc = 1 ] && pass checkpw_wrong_password || fail checkpw_wrong_password "exit $rc: $out"
out=$(cpw 'nobody\0secret\0\0' qmaild); rc=$?
[ $rc = 1 ] && pass checkpw_unknown_user || fail checkpw_unknown_user "exit $rc: $out"
out=$(cpw 'joe\0secret' qmaild 2>&1); rc=$?
[ $rc = 2 ] && pass checkpw_malformed_input || fail checkpw_malformed_input "exit $rc: $out"
# -s: system accounts from the shadow file, here a copy bind-mounted in this test's
# own mount namespace with a password for the qmaill account
cp -p /etc/shadow "$INST/shadow" && grep -v '^qmaill:' /etc/shadow > "$INST/shadow" &&
  printf 'qmaill:%s:19000:0:99999:7:::\n' "$(openssl passwd -6 syspw)" >> "$INST/shadow" &&
  chown root:shadow "$INST/shadow" && chmod 0640 "$INST/shadow" && mount --bind "$INST/shadow" /etc/shadow
scpw() { printf "$1" > "$INST/cpw.in"; run_as qmaild sh -c "exec '$QM_HOME/bin/qmail-checkpw' $2 true 3< '$INST/cpw.in'"; }
scpw 'qmaill\0syspw\0\0' -s; r1=$?
scpw 'qmaill\0wrong\0\0' -s; r2=$?
scpw 'qmaill\0syspw\0\0' ''; r3=$?
[ "$r1 $r2 $r3" = "0 1 1" ] && pass checkpw_shadow_with_s || fail checkpw_shadow_with_s "exits $r1 $r2 $r3, want 0 1 1"
umount /etc/shadow 2> /dev/null
if run_as qmaild cat "$QM_HOME/users/passwords.cdb" > /dev/null 2>&1; then fail qmaild_cannot_read_passwords "qmaild read passwords.cdb"
else pass qmaild_cannot_read_passwords; fi

# --- the services --------------------------------------------------------------------------
LOGS=$INST/logs; mkdir -p "$LOGS"
svc() { # service port [env name value]
  sv=$QM_HOME/service/$1
  mkdir -p "$sv/env"; echo 127.0.0.1 > "$sv/env/IP"; echo "$2" > "$sv/env/PORT"
  (cd "$sv" && exec ./run) >> "$LOGS/$1" 2>&1 &
  INST_PIDS="$INST_PIDS $!"
}
svc qmail-smtpd 2525
svc qmail-submission 2587
svc qmail-smtps 2465
# a second MX whose rules require TLS (the tcprules variable)
printf '127.0.0.1:allow,TLSREQUIRED="1"\n' > "$INST/tcp.req"
tcprules "$INST/tcp.req.cdb" "$INST/tcp.req.tmp" < "$INST/tcp.req"
tcpserver -HR -x "$INST/tcp.req.cdb" 127.0.0.1 2526 "$QM_HOME/bin/qmail-tlsd" -s -c "$C/servercert.pem" \
  -k "$C/servercert.pem" -u qmaild -- "$QM_HOME/bin/qmail-smtpd" >> "$LOGS/required" 2>&1 &
INST_PIDS="$INST_PIDS $!"
for port in 2525 2587 2465 2526; do
  for i in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null && break
    sleep 0.1
  done
done

CA=$K/ca.pem QM_HOME=$QM_HOME python3 "$QM_SRC/tests/e2e/submission_e2e.py"

# --- swaks and openssl s_client ------------------------------------------------------------
if command -v swaks > /dev/null; then
  out=$(swaks --server 127.0.0.1:2525 --tls --from a@example.net --to joe@example.org \
    --header 'Subject: swaks' 2>&1)
  if echo "$out" | grep -q 'TLS started with cipher TLSv1.3' && echo "$out" | grep -q '250 2.0.0 ok'; then
    pass swaks_starttls_tls13
  else fail swaks_starttls_tls13 "$(echo "$out" | grep -E 'TLS|^<~? *[45]' | head -5)"; fi
else skip swaks_starttls_tls13 "swaks is not installed"; fi
out=$(printf 'EHLO s.example\r\nQUIT\r\n' | timeout 10 openssl s_client -connect 127.0.0.1:2525 -starttls smtp \
  -CAfile "$K/ca.pem" -verify_hostname mail.example.org -ign_eof 2>&1)
if echo "$out" | grep -q 'New, TLSv1.3' && echo "$out" | grep -q 'Verify return code: 0 (ok)' &&
   echo "$out" | grep -q '^250 SMTPUTF8' && ! echo "$out" | grep -q '250-STARTTLS'; then
  pass s_client_starttls
else fail s_client_starttls "$(echo "$out" | grep -E 'TLSv|Verify|^250|error' | head -6)"; fi

# --- privileges: qmail-smtpd maps no OpenSSL, cannot open the key, does not leak fd 5 -------
exec 7<> /dev/tcp/127.0.0.1/2525
read -r -t 5 greet <&7
sleep 0.3
spid=
for p in $(pgrep -x qmail-smtpd); do
  pp=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
  [ "$(cat "/proc/$pp/comm" 2>/dev/null)" = qmail-tlsd ] && spid=$p
done
if [ -n "$spid" ]; then
  if grep -q 'libssl\|libcrypto' "/proc/$spid/maps"; then fail smtpd_maps_no_openssl "$(grep -o 'lib\(ssl\|crypto\)[^ ]*' "/proc/$spid/maps" | head -1)"
  else pass smtpd_maps_no_openssl; fi
  [ "$(awk '/^Uid:/ {print $2}' "/proc/$spid/status")" = "$(id -u qmaild)" ] && pass smtpd_runs_as_qmaild ||
    fail smtpd_runs_as_qmaild "uid $(awk '/^Uid:/ {print $2}' "/proc/$spid/status")"
  fl=$(awk '/^flags:/ {print $2}' "/proc/$spid/fdinfo/5" 2>/dev/null)
  if [ -n "$fl" ] && [ $(( 0$fl & 02000000 )) != 0 ]; then pass smtpd_tlsctl_cloexec; else fail smtpd_tlsctl_cloexec "fd 5 flags '$fl'"; fi
else
  fail smtpd_maps_no_openssl "no qmail-smtpd under qmail-tlsd found"
fi
if run_as qmaild cat "$C/servercert.pem" > /dev/null 2>&1; then fail smtpd_cannot_open_key "qmaild read the key"
else pass smtpd_cannot_open_key; fi
exec 7>&-

# --- logs -----------------------------------------------------------------------------------
check submission_auth_logged grep -q 'auth fail user=joe' "$LOGS/qmail-submission"
check submission_auth_ok_logged grep -q 'auth ok user=joe' "$LOGS/qmail-submission"
if grep -rq 'secret\|annpw' "$LOGS"; then fail no_password_in_logs "$(grep -r 'secret\|annpw' "$LOGS" | head -2)"
else pass no_password_in_logs; fi
if grep -qiE 'segfault|sanitizer|core dumped' "$LOGS"/*; then fail submission_no_crash "$(grep -iE 'segfault|sanitizer' "$LOGS"/* | head -2)"
else pass submission_no_crash; fi
