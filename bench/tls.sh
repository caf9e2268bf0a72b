#!/bin/bash
# bench/tls: SMTP over STARTTLS, the suite (qmail-tlsd -D + tcpserver + qmail-tlsc +
# qmail-smtpd, from the installed service/qmail-smtpd/run) against Postfix's smtpd with TLS, same
# certificate and key, both running in one private mount and network namespace on
# loopback. tlsrate opens N sessions over W concurrent workers and times two things:
# handshakes a second (connect, EHLO, STARTTLS, handshake, EHLO, QUIT) and messages a
# second (the same with one 2 KB message in between). Sides alternate A B A B over
# the rounds; prints medians, ratios, the client's own CPU and the server side's CPU
# per session (process accounting, immune to other load). Root only; uses the
# private Postfix instance of bench/postfix-setup.sh and adds its TLS listener here.
# Nothing leaves the machine; every loop is bounded. A benchmark, not a test.
#
# usage: bench/tls.sh [-n sessions] [-w workers] [-r rounds] [-K ec|rsa] [-k]
#   -n  sessions per measurement (2000)   -w  concurrent client workers (10)
#   -r  rounds (3)   -K  key type: ECDSA P-256 (ec, default) or RSA 2048 (rsa)
#   -k  keep the scratch directory
set -u
PROG=tls
die() { echo "$PROG: fatal: $*" >&2; exit 111; }
usage() { echo "usage: bench/tls.sh [-n sessions] [-w workers] [-r rounds] [-K ec|rsa] [-k]" >&2; exit 100; }

SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_USER=qmbench
SENDER=bench@example.org
SUITE_RCPT=$BENCH_USER@mail.example.org
PF_RCPT=$BENCH_USER@bench.example.org
SUITE_PORT=2525
PF_PORT=2526
HOSTNAME_TLS=mail.example.org   # the certificate's name, checked by the client
RUN_TIMEOUT=600                 # seconds one measurement may take at most
DRAIN_TIMEOUT=600               # seconds the deliveries may take after a message run

# --- the part that runs inside the private namespaces ------------------------------
if [ "${1:-}" = --inner ]; then
  S=$2 N=$3 W=$4 ROUNDS=$5
  RES=$S/results
  mount --bind "$S/postfix/etc" /etc/postfix || die "unable to bind the Postfix instance"
  ip link set lo up || die "unable to bring up loopback"
  export QM_SRC=$SRC
  # shellcheck source=../tests/e2e/lib.sh
  . "$SRC/tests/e2e/lib.sh"
  inst_new
  SEND_PID='' SMTPD_PID=''
  stop_all() {
    [ -n "$SMTPD_PID" ] && kill -TERM "$SMTPD_PID" 2>/dev/null && wait "$SMTPD_PID" 2>/dev/null
    [ -n "$SEND_PID" ] && kill -TERM "$SEND_PID" 2>/dev/null && wait "$SEND_PID" 2>/dev/null
    postfix stop >/dev/null 2>&1
    inst_cleanup
  }
  trap stop_all EXIT

  C=$QM_HOME/control
  printf 'mail.example.org\n' > "$C/rcpthosts"
  printf 'mail.example.org\n' > "$C/locals"
  cp "$S/tls/srv.pem" "$C/servercert.pem"
  cp "$S/tls/srv.key" "$C/serverkey.pem"
  chown root:root "$C/servercert.pem" "$C/serverkey.pem"
  chmod 0600 "$C/servercert.pem" "$C/serverkey.pem"
  # deliveries go to the bench user's Maildir through users/cdb, as in bench/local
  uid=$(id -u $BENCH_USER) gid=$(id -g $BENCH_USER)
  mkdir -p "$S/qhome/Maildir/new" "$S/qhome/Maildir/cur" "$S/qhome/Maildir/tmp"
  chown -R "$uid:$gid" "$S/qhome"
  printf '=%s:%s:%s:%s:%s:::\n.\n' $BENCH_USER $BENCH_USER "$uid" "$gid" "$S/qhome" \
    > "$QM_HOME/users/assign"
  "$QM_HOME/bin/qmail-newu" || die "qmail-newu failed"
  "$QM_HOME/bin/qmail-start" ./Maildir/ > "$S/sendlog" 2>&1 &
  SEND_PID=$!
  sv=$QM_HOME/service/qmail-smtpd
  mkdir -p "$sv/env"; echo 127.0.0.1 > "$sv/env/IP"; echo $SUITE_PORT > "$sv/env/PORT"
  (cd "$sv" && exec ./run) > "$S/smtpdlog" 2>&1 &
  SMTPD_PID=$!
  postfix start >/dev/null 2>&1 || die "postfix start failed"
  for port in $SUITE_PORT $PF_PORT; do
    t=0
    until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null; do
      t=$((t + 1)); [ $t -lt 100 ] || die "nothing listens on 127.0.0.1:$port"
      sleep 0.1
    done
  done

  port() { case $1 in suite) echo $SUITE_PORT ;; postfix) echo $PF_PORT ;; esac; }
  rcpt() { case $1 in suite) echo "$SUITE_RCPT" ;; postfix) echo "$PF_RCPT" ;; esac; }
  newdir() { case $1 in suite) echo "$S/qhome/Maildir/new" ;; postfix) echo "$S/postfix/vmail/$BENCH_USER/Maildir/new" ;; esac; }
  count() { find "$(newdir "$1")" -type f 2>/dev/null | wc -l; }
  queued() {
    case $1 in
    suite) find "$QM_HOME/queue/mess" -type f | wc -l ;;
    postfix) find "$S/postfix/spool/maildrop" "$S/postfix/spool/incoming" "$S/postfix/spool/active" \
               "$S/postfix/spool/deferred" -type f | wc -l ;;
    esac
  }
  busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6; exit }' /proc/stat; }
  # svcpu SYSTEM: CPU clock ticks a side's server processes have used so far, their
  # own and every reaped child's (utime, stime, cutime, cstime of /proc/PID/stat).
  # Suite: the service's first process (qmail-tlsd -D, or tcpserver without it), its
  # tcpserver, qmail-send and its children (qmail-lspawn with the qmail-locals it
  # reaped, qmail-clean, qmail-rspawn). Postfix: master and its live children (smtpd,
  # cleanup, qmgr, virtual ...; an exited one is in master's cutime). Other work on
  # the machine does not count, so this figure holds when the rates move with it.
  ticks() { for p in "$@"; do awk '{ s += $14 + $15 + $16 + $17 } END { print s + 0 }' "/proc/$p/stat" 2>/dev/null; done |
    awk '{ s += $1 } END { print s + 0 }'; }
  svcpu() {
    case $1 in
    suite)
      t=$(pgrep -P "$SMTPD_PID" -x tcpserver | head -n 1)
      ticks "$SMTPD_PID" $t "$SEND_PID" $(pgrep -P "$SEND_PID") ;;
    postfix)
      m=$(head -n 1 "$S/postfix/spool/pid/master.pid" 2>/dev/null | tr -d ' ')
      [ -n "$m" ] && ticks "$m" $(pgrep -P "$m") ;;
    esac
  }

  # measure SYSTEM MODE(hs|msg) ROUND
  measure() {
    find "$(newdir "$1")" -type f -delete 2>/dev/null; sync
    margs=
    [ "$2" = msg ] && margs="-m $S/msg -f $SENDER -t $(rcpt "$1")"
    b0=$(busy)
    c0=$(svcpu "$1")
    # shellcheck disable=SC2086
    out=$(timeout "$RUN_TIMEOUT" "$S/bin/tlsrate" -n "$N" -w "$W" -p "$(port "$1")" \
          -C "$S/tls/ca.pem" -H $HOSTNAME_TLS $margs 2>&1)
    rc=$?
    b1=$(busy)
    # the machine's CPU use during the run, in cores (of nproc)
    cores=$(echo "$b0 $b1" | awk -v n="$(nproc)" '{ b = $3 - $1; i = $4 - $2; printf "%.2f", (b + i > 0) ? n * b / (b + i) : 0 }')
    info=$(echo "$out" | sed -n 's/^info //p' | head -n 1)
    rate=$(echo "$out" | sed -n 's/.* rate=\([0-9.]*\)$/\1/p')
    ccpu=$(echo "$out" | sed -n 's/.* client_cpu_pct=\([0-9.]*\) .*/\1/p')
    ok=1
    [ $rc = 0 ] && [ -n "$rate" ] || ok=
    if [ "$2" = msg ] && [ -n "$ok" ]; then
      # every accepted message must arrive; the next run starts with empty queues
      t=0; while [ "$(count "$1")" -lt "$N" ] && [ $t -lt $((DRAIN_TIMEOUT * 10)) ]; do sleep 0.1; t=$((t + 1)); done
      [ "$(count "$1")" = "$N" ] || ok=
      t=0; while [ "$(queued "$1")" != 0 ] && [ $t -lt 600 ]; do sleep 0.1; t=$((t + 1)); done
    fi
    # server CPU per session in ms, deliveries included (taken after the drain above)
    sleep 0.5   # the last sessions end and are reaped
    c1=$(svcpu "$1")
    sms=$(echo "$c0 $c1 $N" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($2 - $1) * 1000 / hz / $3 }')
    if [ -z "$ok" ]; then
      echo "$PROG: $1 $2 round $3 failed (exit $rc, delivered $(count "$1")): $(echo "$out" | tail -n 3)" >&2
      echo "$1 $2 fail $3" >> "$RES"
      return
    fi
    printf '  round %s  %-8s %-4s %8.1f /s   client CPU %5.1f%% of a core   machine busy %s of %s cores   server CPU %s ms/session   %s\n' \
      "$3" "$1" "$2" "$rate" "$ccpu" "$cores" "$(nproc)" "$sms" "$info"
    echo "$1 $2 $rate $3 $ccpu $cores $sms" >> "$RES"
  }

  r=1
  while [ $r -le "$ROUNDS" ]; do
    order="suite postfix"
    [ $((r % 2)) = 0 ] && order="postfix suite"
    for mode in hs msg; do
      for sys in $order; do measure "$sys" "$mode" "$r"; done
    done
    r=$((r + 1))
  done
  exit 0
fi

# --- the outer part: build, prepare, run the inner part, summarise ------------------
N=2000 W=10 ROUNDS=3 KEY=ec KEEP=''
while getopts n:w:r:K:k opt; do
  case $opt in
  n) N=$OPTARG ;; w) W=$OPTARG ;; r) ROUNDS=$OPTARG ;; K) KEY=$OPTARG ;; k) KEEP=1 ;;
  *) usage ;;
  esac
done
case $N$W$ROUNDS in *[!0-9]*|'') usage ;; esac
case $KEY in ec|rsa) ;; *) usage ;; esac
[ "$N" -ge 10 ] && [ "$N" -le 100000 ] || die "-n must be 10..100000"
[ "$W" -ge 1 ] && [ "$W" -le 64 ] || die "-w must be 1..64"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 21 ] || die "-r must be 1..21"
[ "$(id -u)" = 0 ] || die "must run as root (namespaces, users, the key)"
# shellcheck source=bench_lib.sh
. "$SRC/bench/bench_lib.sh"
bench_need unshare tcpserver s6-softlimit s6-envuidgid ip openssl python3

cd "$SRC" || die "unable to enter $SRC"
bench_build all bench-build
bench_scratch
mkdir -p "$S/bin" "$S/tls"
cp build/bench/tlsrate "$S/bin/"
bash bench/postfix-setup.sh "$S/postfix" "$BENCH_USER" || die "Postfix setup failed"

# --- a test CA and one server certificate for both sides -----------------------------
case $KEY in
ec) kargs="-newkey ec -pkeyopt ec_paramgen_curve:P-256" KDESC="ECDSA P-256" ;;
rsa) kargs="-newkey rsa:2048" KDESC="RSA 2048" ;;
esac
T=$S/tls
# shellcheck disable=SC2086
openssl req -x509 $kargs -nodes -days 2 -subj "/CN=Bench CA" -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null &&
openssl req $kargs -nodes -subj "/CN=$HOSTNAME_TLS" -keyout "$T/srv.key" -out "$T/srv.csr" 2>/dev/null &&
printf 'subjectAltName=DNS:%s,DNS:bench.example.org\n' "$HOSTNAME_TLS" > "$T/ext" &&
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
  -extfile "$T/ext" -out "$T/srv.pem" 2>/dev/null || die "unable to make the certificates"
chmod 600 "$T/srv.key" "$T/ca.key"

# --- Postfix's TLS listener on loopback ----------------------------------------------------
# postfix-setup.sh builds an instance with no inet service; this bench adds one smtpd
# on 127.0.0.1:$PF_PORT (any inet line already there is turned off) and TLS with the
# same certificate and key as the suite. Later settings in main.cf win.
P=$S/postfix/etc
awk '/^[ \t#]/ || NF < 8 { print; next } $2 == "inet" { print "#" $0; next } { print }' \
  "$P/master.cf" > "$P/master.cf.new" && mv "$P/master.cf.new" "$P/master.cf"
printf '127.0.0.1:%s inet n - n - - smtpd\n' $PF_PORT >> "$P/master.cf"
cat >> "$P/main.cf" <<EOF
# bench/tls: the TLS listener
master_service_disable =
smtpd_tls_cert_file = $T/srv.pem
smtpd_tls_key_file = $T/srv.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 0
EOF

# The message: about 2 KB of headers and text, the same bytes for both sides.
bench_message "$SUITE_RCPT" "TLS bench" tls

echo "$PROG: $(nproc) cores, $(uname -r), $(openssl version), Postfix $(dpkg-query -W -f='${Version}' postfix)"
echo "$PROG: uptime:$(uptime | sed 's/.*up/ up/')"
echo "$PROG: $N sessions a run over $W workers, $ROUNDS round(s), $KDESC certificate, message $(wc -c < "$S/msg") bytes"
timeout -k 10 $((RUN_TIMEOUT * ROUNDS * 4 + DRAIN_TIMEOUT * ROUNDS * 2 + 600)) \
  unshare -m -n --propagation private "$0" --inner "$S" "$N" "$W" "$ROUNDS" ||
  echo "$PROG: the measuring part failed; figures below may be incomplete" >&2

median() { # SYSTEM MODE FIELD [FORMAT]
  awk -v s="$1" -v m="$2" -v f="$3" '$1 == s && $2 == m && $3 != "fail" { print $f }' "$S/results" |
    bench_median "${4:-%.1f}"
}
# the median of the suite / Postfix ratios taken round by round
rratio() {
  awk -v m="$1" '$2 == m && $3 != "fail" { v[$4 " " $1] = $3; r[$4] = 1 }
    END { for (k in r) if ((k " suite") in v && (k " postfix") in v) print v[k " suite"] / v[k " postfix"] }' "$S/results" |
    bench_median %.2fx
}
echo
echo "bench/tls: medians of $ROUNDS round(s), $N sessions over $W workers, $KDESC; load now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-10s %-22s %10s %16s %14s %18s\n' "" test "per second" "client CPU %core" "machine cores" "server CPU ms/sess"
for mode in hs msg; do
  case $mode in hs) label="handshakes (no mail)" ;; msg) label="messages (2 KB each)" ;; esac
  for sys in suite postfix; do
    printf '  %-10s %-22s %10s %16s %14s %18s\n' $sys "$label" "$(median $sys $mode 3)" \
      "$(median $sys $mode 5)" "$(median $sys $mode 6)" "$(median $sys $mode 7 %.2f)"
  done
  echo "  suite / postfix, $label: $(bench_ratio "$(median suite $mode 3)" "$(median postfix $mode 3)") (round by round $(rratio $mode))"
done
[ -n "$KEEP" ] && echo "$PROG: scratch kept in $S"
exit 0
