#!/bin/bash
# qmail-smtpd end to end: tcpserver on loopback (IPv4, IPv6 when there is ::1, and a
# second port whose tcprules set RELAYCLIENT), the real program as qmaild under a
# memory limit, driven by smtplib, swaks and raw sockets (tests/e2e/smtpd_e2e.py).
# Messages go to the installed qmail-queue; the test reads its queue files.
. "$QM_SRC/tests/e2e/lib.sh"
inst_new
for p in tcpserver tcprules s6-envuidgid s6-softlimit python3; do
  command -v $p > /dev/null || { skip smtpd "$p is not installed"; exit 0; }
done
for p in qmail-smtpd qmail-queue; do
  [ -x "$QM_HOME/bin/$p" ] || { fail smtpd "$p is not installed"; exit 0; }
done

printf 'localhost\nmail.example.org\nexample.org\n' > "$QM_HOME/control/rcpthosts"
printf '2000000\n' > "$QM_HOME/control/databytes"
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' > "$INST/tcp.relay"
tcprules "$INST/tcp.relay.cdb" "$INST/tcp.relay.tmp" < "$INST/tcp.relay" || { fail smtpd "tcprules failed"; exit 0; }

start() { # port address [rules]
  rules=
  [ -n "${3:-}" ] && rules="-x $3"
  s6-envuidgid qmaild tcpserver -UHR -l mail.example.org -c 400 -b 256 $rules -- "$2" "$1" \
    s6-softlimit -m 64000000 -o 64 "$QM_HOME/bin/qmail-smtpd" >> "$INST/smtpd.log" 2>&1 &
  INST_PIDS="$INST_PIDS $!"
}
# An address of this host that no client connects to: own only through the
# interface list (box@[it] must become box@me).
EXTRAIP=
ip addr add 192.0.2.77/32 dev lo 2>/dev/null && EXTRAIP=192.0.2.77
start 2525 127.0.0.1
start 2526 127.0.0.1 "$INST/tcp.relay.cdb"
# A queue program that only answers with the exit code in $INST/exitcode: the
# qmail-queue exit table as the client sees it.
cat > "$INST/exitqq" <<EOS
#!/bin/sh
cat > /dev/null
cat <&1 > /dev/null
exit \$(cat "$INST/exitcode" 2>/dev/null || echo 0)
EOS
chmod 755 "$INST/exitqq"
QMAILQUEUE=$INST/exitqq start 2528 127.0.0.1
V6PORT=
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1/'; then start 2527 ::1; V6PORT=2527; fi
for i in $(seq 50); do
  python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", 2526), 1).close()' 2>/dev/null && break
  sleep 0.1
done

EXTRAIP=$EXTRAIP HOME_DIR=$QM_HOME EXITFILE=$INST/exitcode QQPORT=2528 PORT=2525 RELAYPORT=2526 V6PORT=$V6PORT SWAKS=$(command -v swaks) \
  BIG=${SMTPD_BIG:-4294967296} python3 "$QM_SRC/tests/e2e/smtpd_e2e.py"

# The installed service run script: tcpserver as configured in env/, qmaild, a
# session that answers.
sv=$QM_HOME/service/qmail-smtpd
mkdir -p "$sv/env" && echo 127.0.0.1 > "$sv/env/IP" && echo 2529 > "$sv/env/PORT"
(cd "$sv" && exec ./run) > "$INST/service.log" 2>&1 &
INST_PIDS="$INST_PIDS $!"
got=
for i in $(seq 50); do
  got=$(python3 -c 'import socket; s=socket.create_connection(("127.0.0.1", 2529), 1); print(s.recv(200).decode().strip())' 2>/dev/null) && break
  sleep 0.1
done
case $got in
  "220 mail.example.org ESMTP") pass smtpd_service_run ;;
  *) fail smtpd_service_run "got '$got'; $(tail -n 3 "$INST/service.log")" ;;
esac

# Every accepted message was logged; nothing crashed.
if grep -q 'accept qp=' "$INST/smtpd.log" && ! grep -qiE 'segfault|sanitizer|core dumped' "$INST/smtpd.log"; then
  pass smtpd_log_lines
else
  fail smtpd_log_lines "log: $(tail -n 5 "$INST/smtpd.log")"
fi
