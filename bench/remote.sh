#!/bin/bash
# bench/remote: how fast a full queue is delivered to a remote SMTP server, by the
# suite (qmail-send, qmail-rspawn, qmail-remote, with qmail-dns resolving the sink's
# MX through nsd) and by Postfix (qmgr and smtp to relayhost = the same sink) side by
# side in one run. The server is Postfix's smtp-sink on 192.0.2.25:25 in a network
# namespace of the bench's own (a veth pair away: qmail-remote refuses an MX on a
# loopback address, which is this host); the name server is nsd on 127.0.0.1:53
# serving the zone sink.test (MX -> mx.sink.test -> 192.0.2.25). Concurrency 20
# and 100 (control/concurrencyremote and concurrencyperdomain; Postfix's destination
# concurrency limit), 1 and 10 recipients a message. Also qmail-dns's cache hit
# rate and memory under that load.
# Root only; everything runs in a private mount and network namespace with only
# loopback. A benchmark, not a test: it prints figures and judges nothing.
#
# usage: bench/remote.sh [-n messages] [-r rounds] [-k]
#   -n  messages per measurement with 1 recipient (default 400; a quarter with 10)
#   -r  rounds (default 3)      -k  keep the scratch directory
# CONCS and RCPTS in the environment narrow the grid (defaults "20 100" and "1 10"),
# e.g. CONCS=20 RCPTS=1 for one setting; with -k the scratch keeps that setting's
# qmail-send log (TAI64N stamps of every delivery's start and end).
set -u
PROG=remote
die() { echo "$PROG: fatal: $*" >&2; exit 111; }
usage() { echo "usage: bench/remote.sh [-n messages] [-r rounds] [-k]" >&2; exit 100; }

SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_USER=qmbench
SENDER=bench@example.org
SINK=192.0.2.25          # the sink's host, a namespace of the bench's own
HERE=192.0.2.1           # this side of the veth pair
SINKNS=qmbench-sink
CONCS=${CONCS:-"20 100"}
RCPTS=${RCPTS:-"1 10"}
RUN_TIMEOUT=300          # seconds one fill or drain may take at most

# --- the part that runs inside the private namespaces ------------------------------
if [ "${1:-}" = --inner ]; then
  S=$2 N=$3 ROUNDS=$4
  RES=$S/results
  PY=$SRC/bench/smtpbench.py
  mount --bind "$S/postfix/etc" /etc/postfix || die "unable to bind the Postfix instance"
  ip link set lo up || die "unable to bring up loopback"
  export QM_SRC=$SRC
  # shellcheck source=../tests/e2e/lib.sh
  . "$SRC/tests/e2e/lib.sh"
  inst_new
  NSD_PID='' SINK_PID='' SCAN_PID='' PSS_PID=''
  SCAN=$INST/scan
  cleanup() {
    [ -n "$PSS_PID" ] && kill "$PSS_PID" 2>/dev/null
    cp "$QM_HOME/log/qmail-send/current" "$S/qmail-send.log" 2>/dev/null
    postfix stop > /dev/null 2>&1
    if [ -n "$SCAN_PID" ]; then
      s6-svscanctl -t "$SCAN" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$SCAN_PID" 2>/dev/null || break; sleep 0.2; done
    fi
    [ -n "$NSD_PID" ] && kill "$NSD_PID" 2>/dev/null
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
    ip link del qmb-a 2>/dev/null
    ip netns del "$SINKNS" 2>/dev/null
    inst_cleanup
  }
  trap cleanup EXIT

  # The name server: sink.test's MX is mx.sink.test, at the sink's address.
  mkdir -p "$S/nsd"
  cat > "$S/nsd/sink.test.zone" <<EOZ
\$ORIGIN sink.test.
\$TTL 3600
@   IN SOA ns.sink.test. hostmaster.sink.test. 1 3600 600 86400 3600
@   NS  ns
ns  A   127.0.0.1
@   MX  10 mx
mx  A   $SINK
EOZ
  cat > "$S/nsd/nsd.conf" <<EOC
server:
  ip-address: 127.0.0.1
  port: 53
  username: ""
  chroot: ""
  zonesdir: "$S/nsd"
  database: ""
  zonelistfile: "$S/nsd/zone.list"
  xfrdfile: "$S/nsd/xfrd.state"
  pidfile: "$S/nsd/nsd.pid"
  logfile: "$S/nsd/nsd.log"
  server-count: 1
  hide-version: yes
remote-control:
  control-enable: no
zone:
  name: sink.test
  zonefile: sink.test.zone
EOC
  nsd -c "$S/nsd/nsd.conf" -d > "$S/nsd/nsd.out" 2>&1 &
  NSD_PID=$!

  # The sink's host: a network namespace of this bench's own, joined to this one by a
  # veth pair with documentation addresses. qmail-remote rightly refuses an MX on a
  # loopback address (it is this host), so the sink cannot sit on 127.0.0.x.
  mkdir -p /run/netns && mount -t tmpfs -o mode=0755 qmbench-netns /run/netns ||
    die "unable to mount a tmpfs on /run/netns"
  ip netns add "$SINKNS" && ip link add qmb-a type veth peer name qmb-b &&
    ip link set qmb-b netns "$SINKNS" && ip addr add "$HERE/24" dev qmb-a && ip link set qmb-a up &&
    ip -n "$SINKNS" addr add "$SINK/24" dev qmb-b && ip -n "$SINKNS" link set qmb-b up &&
    ip -n "$SINKNS" link set lo up || die "unable to make the sink's namespace"
  # The sink: accepts everything, counts transactions on stdout.
  ip netns exec "$SINKNS" smtp-sink -c -u "$BENCH_USER" -m 512 "$SINK:25" 1024 > "$S/sink.out" 2>&1 &
  SINK_PID=$!

  # The suite: qmail-dns and qmail-send supervised by s6 from the installed service
  # directories; qmail-send is down until a measurement starts it.
  printf '127.0.0.1\n' > "$QM_HOME/control/dnsservers"
  mkdir -p "$SCAN"
  cp -a "$QM_HOME/service/qmail-dns" "$QM_HOME/service/qmail-send" "$SCAN/"
  touch "$SCAN/qmail-send/down"
  s6-svscan "$SCAN" > "$S/svscan.log" 2>&1 &
  SCAN_PID=$!
  for _ in $(seq 1 50); do s6-svok "$SCAN/qmail-dns" 2>/dev/null && break; sleep 0.1; done
  s6-svwait -U -t 10000 "$SCAN/qmail-dns" || die "qmail-dns did not come up"
  ok=
  for _ in $(seq 1 50); do
    "$QM_HOME/bin/qmail-dnsq" -t 5 MX sink.test 2>/dev/null | grep -q '^10 mx.sink.test' && { ok=1; break; }
    sleep 0.1
  done
  [ -n "$ok" ] || die "qmail-dns does not resolve sink.test through nsd: $(tail -n 3 "$S/nsd/nsd.out")"
  for _ in $(seq 1 50); do ip netns exec "$SINKNS" ss -Hltn "sport = :25" | grep -q "$SINK" && break; sleep 0.1; done
  ip netns exec "$SINKNS" ss -Hltn "sport = :25" | grep -q "$SINK" ||
    die "smtp-sink does not listen: $(cat "$S/sink.out")"

  # Postfix, with the smtp transport held back while a measurement fills its queue.
  postconf -e defer_transports=smtp || die "postconf failed"
  postfix start > /dev/null 2>&1 || die "postfix start failed"
  PF_SPOOL=$S/postfix/spool

  sinkcount() { tr '\r' '\n' < "$S/sink.out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1; }
  # connections the sink accepted (its namespace's TCP passive opens): smtp-sink's
  # own session counter moves only when a session ends, and kept ones end later
  sinksess() {
    ip netns exec "$SINKNS" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i; h = 1 }
      else print $c }' /proc/net/snmp
  }
  rcpts() { i=1; while [ $i -le "$1" ]; do printf ' rcpt%d@sink.test' $i; i=$((i + 1)); done; }
  suite_left() { find "$QM_HOME/queue/mess" -type f | wc -l; }
  pf_left() { find "$PF_SPOOL/maildrop" "$PF_SPOOL/incoming" "$PF_SPOOL/active" "$PF_SPOOL/deferred" \
                "$PF_SPOOL/hold" -type f | wc -l; }
  pf_deferred() { find "$PF_SPOOL/deferred" -type f | wc -l; }
  # until CMD WANT SECONDS: polls CMD's output until it equals WANT
  until_is() {
    t=0
    while [ "$($1)" != "$2" ]; do
      [ $t -ge $(($3 * 50)) ] && return 1
      sleep 0.02; t=$((t + 1))
    done
  }
  stat_field() { echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
  now() { date +%s.%N; }

  # suite CONC RCPTS COUNT ROUND
  suite_run() {
    printf '%s\n' "$1" > "$QM_HOME/control/concurrencyremote"
    printf '%s\n' "$1" > "$QM_HOME/control/concurrencyperdomain"
    { printf 'F%s\0' "$SENDER"
      for r in $(rcpts "$2"); do printf 'T%s\0' "$r"; done
      printf '\0'; } > "$S/env"
    chmod 644 "$S/env"
    timeout "$RUN_TIMEOUT" s6-setuidgid "$BENCH_USER" "$S/bin/injectrate" -n "$3" -p 4 -m "$S/msg" \
      -e "$S/env" "$QM_HOME/bin/qmail-queue" > "$S/fill.out" 2>&1 ||
      { echo "$PROG: suite fill failed: $(cat "$S/fill.out")" >&2; echo "rem suite $1 $2 fail fail $4" >> "$RES"; return; }
    sync
    before=$("$QM_HOME/bin/qmail-dnsq" stats) sink0=$(sinkcount) sess0=$(sinksess)
    python3 "$PY" pss qmail-dns $$ > "$S/pss.out" &
    PSS_PID=$!
    sleep 0.3
    t0=$(now)
    s6-svc -u "$SCAN/qmail-send"
    until_is suite_left 0 "$RUN_TIMEOUT"; rc=$?
    t1=$(now)
    kill "$PSS_PID"; wait "$PSS_PID"; PSS_PID=
    after=$("$QM_HOME/bin/qmail-dnsq" stats) sink1=$(sinkcount) sess1=$(sinksess)
    s6-svc -d "$SCAN/qmail-send"
    s6-svwait -D -t 30000 "$SCAN/qmail-send" || echo "$PROG: qmail-send did not stop" >&2
    report suite "$1" "$2" "$3" "$4" $rc "$t0" "$t1" $((sink1 - sink0)) $((sess1 - sess0))
    h=$(( $(stat_field "$after" hits) - $(stat_field "$before" hits) ))
    m=$(( $(stat_field "$after" misses) - $(stat_field "$before" misses) ))
    rss=$(stat_field "$after" maxrss_kb)
    pss=$(sed -n 's/.*max_kb=\([0-9]*\).*/\1/p' "$S/pss.out")
    echo "dns $1 $2 $h $m $rss $pss $4" >> "$RES"
    printf '  round %s           qmail-dns: %d hits %d misses, maxrss %s kB, PSS max %s kB\n' \
      "$4" "$h" "$m" "$rss" "$pss"
    # Delivered messages leave nothing behind; anything left is a failure, cleared.
    find "$QM_HOME/queue" -path "$QM_HOME/queue/lock" -prune -o -type f -exec rm -f {} +
  }
  # postfix CONC RCPTS COUNT ROUND
  pf_run() {
    postconf -e "default_destination_concurrency_limit=$1" "smtp_destination_concurrency_limit=$1" \
      "default_process_limit=$(($1 + 50))" defer_transports=smtp
    postfix reload > /dev/null 2>&1
    # shellcheck disable=SC2046
    timeout "$RUN_TIMEOUT" s6-setuidgid "$BENCH_USER" "$S/bin/injectrate" -n "$3" -p 4 -m "$S/msg" \
      /usr/sbin/sendmail -i -f $SENDER $(rcpts "$2") > "$S/fill.out" 2>&1 ||
      { echo "$PROG: postfix fill failed: $(cat "$S/fill.out")" >&2; echo "rem postfix $1 $2 fail fail $4" >> "$RES"; return; }
    # Every message through pickup and cleanup and deferred by qmgr: the queue is
    # full and committed, as the suite's is when qmail-send starts.
    until_is pf_deferred "$3" "$RUN_TIMEOUT" || echo "$PROG: postfix deferred only $(pf_deferred) of $3" >&2
    until_is pf_left "$3" 30
    postconf -e defer_transports=
    postfix reload > /dev/null 2>&1
    sleep 1
    sync
    sink0=$(sinkcount) sess0=$(sinksess)
    t0=$(now)
    postqueue -f
    until_is pf_left 0 "$RUN_TIMEOUT"; rc=$?
    t1=$(now)
    sink1=$(sinkcount) sess1=$(sinksess)
    report postfix "$1" "$2" "$3" "$4" $rc "$t0" "$t1" $((sink1 - sink0)) $((sess1 - sess0))
    [ $rc = 0 ] || postsuper -d ALL > /dev/null 2>&1
  }
  # report SYS CONC RCPTS COUNT ROUND RC T0 T1 SINKTRANSACTIONS SINKSESSIONS
  report() {
    if [ "$6" != 0 ]; then
      echo "$PROG: $1 concurrency $2, $3 rcpt(s), round $5: not all delivered in ${RUN_TIMEOUT}s" >&2
      echo "rem $1 $2 $3 fail fail $5" >> "$RES"
      return
    fi
    rate=$(awk -v n="$4" -v a="$7" -v b="$8" 'BEGIN { printf "%.1f", n / (b - a) }')
    rr=$(awk -v n="$4" -v k="$3" -v a="$7" -v b="$8" 'BEGIN { printf "%.1f", n * k / (b - a) }')
    printf '  round %s  %-7s conc %3s %2s rcpt(s): %7.1f msg/s %8.1f rcpt/s (%s transactions, %s connections at the sink)\n' \
      "$5" "$1" "$2" "$3" "$rate" "$rr" "$9" "${10}"
    echo "rem $1 $2 $3 $rate $rr $5 $9" >> "$RES"
  }

  round=1
  while [ "$round" -le "$ROUNDS" ]; do
    order="suite postfix"; [ $((round % 2)) = 0 ] && order="postfix suite"
    for conc in $CONCS; do
      for k in $RCPTS; do
        n=$N; [ "$k" = 10 ] && n=$(( (N + 3) / 4 ))
        for sys in $order; do
          if [ "$sys" = suite ]; then suite_run "$conc" "$k" "$n" "$round"
          else pf_run "$conc" "$k" "$n" "$round"; fi
        done
      done
    done
    round=$((round + 1))
  done
  "$QM_HOME/bin/qmail-dnsq" stats > "$S/dnsstats" 2>&1
  exit 0
fi

# --- the outer part: build, prepare, then run the inner part -------------------------
# shellcheck source=bench_lib.sh
. "$SRC/bench/bench_lib.sh"
N=400 ROUNDS=3 KEEP=''
bench_opts 4 "$@"
bench_need unshare s6-svscan s6-setuidgid nsd ip ss python3
cd "$SRC" || die "unable to enter $SRC"
bench_build all bench-build
bench_scratch
mkdir -p "$S/bin"
cp build/bench/injectrate "$S/bin/"
bash bench/postfix-setup.sh -r "[$SINK]:25" "$S/postfix" "$BENCH_USER" || die "Postfix setup failed"
command -v smtp-sink > /dev/null || die "smtp-sink is missing (the postfix package has it)"
# The message: about 2 KB of headers and text, the same bytes for both sides.
bench_message 'rcpt1@sink.test' "remote bench" remote
bench_machine
echo "$PROG: $N messages a measurement ($(( (N + 3) / 4 )) with 10 recipients), $ROUNDS rounds," \
  "concurrency $CONCS, $(wc -c < "$S/msg") bytes"
timeout -k 10 $((RUN_TIMEOUT * ROUNDS * 16 + 600)) \
  unshare -m -n --propagation private "$0" --inner "$S" "$N" "$ROUNDS" ||
  echo "$PROG: the measuring part failed; figures below may be incomplete" >&2

# --- summary: medians and ratios ----------------------------------------------------
med() { # SYS CONC RCPTS FIELD
  awk -v s="$1" -v c="$2" -v k="$3" -v f="$4" \
    '$1 == "rem" && $2 == s && $3 == c && $4 == k && $f != "fail" { print $f }' "$S/results" |
    bench_median
}
rratio() { # CONC RCPTS: median over rounds of suite / Postfix
  awk -v c="$1" -v k="$2" '$1 == "rem" && $3 == c && $4 == k && $5 != "fail" {
      if ($2 == "suite") a[$7] = $5; else b[$7] = $5 }
    END { for (r in a) if ((r in b) && b[r] > 0) print a[r] / b[r] }' "$S/results" |
    bench_median %.2fx
}
ratio() { bench_ratio "$@"; }
echo
echo "bench/remote: medians of $ROUNDS rounds; load now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-5s %5s | %9s %9s %9s %7s %7s\n' conc rcpts "suite/s" "postfix/s" "suite r/s" ratio "by rnd"
for c in $CONCS; do
  for k in $RCPTS; do
    a=$(med suite "$c" "$k" 5) b=$(med postfix "$c" "$k" 5)
    printf '  %-5s %5s | %9s %9s %9s %7s %7s\n' "$c" "$k" "$a" "$b" "$(med suite "$c" "$k" 6)" \
      "$(ratio "$a" "$b")" "$(rratio "$c" "$k")"
  done
done
h=$(awk '$1 == "dns" { h += $4; m += $5 } END { if (h + m) printf "%.1f%% (%d hits, %d misses)", 100 * h / (h + m), h, m }' "$S/results")
echo "  qmail-dns over all suite runs: hit rate $h; maxrss $(awk '$1 == "dns" { print $6 }' "$S/results" | sort -g | tail -n 1) kB," \
  "PSS max $(awk '$1 == "dns" { print $7 }' "$S/results" | sort -g | tail -n 1) kB"
[ -n "$KEEP" ] && echo "$PROG: scratch kept in $S (results in $S/results)"
exit 0
