#!/bin/bash
# bench/smtp: mail accepted over SMTP and delivered into a Maildir, end to end, by the
# whole suite (s6-svscan, tcpserver + qmail-smtpd, qmail-send, qmail-local; started by
# mk/run.sh) and by Postfix (smtpd, cleanup, qmgr, virtual) side by side in one run:
# messages a second with Postfix's smtp-source as the load (1, 10 and 50 parallel
# clients, 2 KB and 100 KB), the latency from the client's final 250 to the file in
# new/ (bench/smtpbench.py's client and inotify watcher), and the PSS of each side's
# processes under that load. Root only; everything runs in a private mount and network
# namespace with only loopback: suite on 127.0.0.1:2525, Postfix on 127.0.0.1:2526.
# A benchmark, not a test: it prints figures and judges nothing. Loops are bounded.
#
# usage: bench/smtp.sh [-n messages] [-r rounds] [-k]
#   -n  messages per measurement at 10 and 50 clients (default 500; a third at 1 client)
#   -r  rounds (default 3)      -k  keep the scratch directory
set -u
PROG=smtp
die() { echo "$PROG: fatal: $*" >&2; exit 111; }
usage() { echo "usage: bench/smtp.sh [-n messages] [-r rounds] [-k]" >&2; exit 100; }

SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_USER=qmbench
SENDER=bench@example.org
SUITE_PORT=2525 PF_PORT=2526
SUITE_RCPT=demo@mail.example.org
PF_RCPT=$BENCH_USER@bench.example.org
SIZES="2048 102400"
CLIENTS="1 10 50"
RUN_TIMEOUT=300          # seconds one measurement may take at most

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
  # shellcheck source=../tests/e2e/ops_lib.sh
  . "$SRC/tests/e2e/ops_lib.sh"
  tree_setup                     # the suite over $QM_HOME, a scratch /home
  PF_NEW=$S/postfix/vmail/$BENCH_USER/Maildir/new
  SUITE_NEW=/home/demo/Maildir/new
  cleanup() {
    [ -n "${PSS_PID:-}" ] && kill "$PSS_PID" 2>/dev/null
    postfix stop > /dev/null 2>&1
    tree_kill; umount -l /home; rm -rf "$TREE_HOMES"; inst_cleanup
  }
  trap cleanup EXIT
  tree_start || die "the suite did not come up: $(tail -n 5 "$TREE_OUT")"
  for d in new cur tmp; do
    install -d -o "$BENCH_USER" -g "$(id -g "$BENCH_USER")" -m 700 "$S/postfix/vmail/$BENCH_USER/Maildir/$d"
  done
  postfix start > /dev/null 2>&1 || die "postfix start failed"
  for _ in $(seq 1 100); do
    ss -Hltn "sport = :$PF_PORT" | grep -q . && ss -Hltn "sport = :$SUITE_PORT" | grep -q . && break
    sleep 0.1
  done

  pf_restart() {
    postfix stop > /dev/null 2>&1
    for _ in $(seq 1 100); do postfix status > /dev/null 2>&1 || break; sleep 0.1; done
    postfix start > /dev/null 2>&1 || die "postfix start failed"
    for _ in $(seq 1 100); do ss -Hltn "sport = :$PF_PORT" | grep -q . && break; sleep 0.1; done
  }
  port() { [ "$1" = suite ] && echo $SUITE_PORT || echo $PF_PORT; }
  rcpt() { [ "$1" = suite ] && echo $SUITE_RCPT || echo $PF_RCPT; }
  newdir() { [ "$1" = suite ] && echo $SUITE_NEW || echo "$PF_NEW"; }
  # The last measurement's files move out of new/ to a directory beside the Maildir
  # rather than being deleted: this root file system is ext4 without a journal,
  # whose allocator skips every inode freed in the last one to six minutes, so a
  # deletion here would make each file the next measurement creates walk past
  # all of them (bench/README "Two costs of this machine"), a cost of the bench's
  # own cleanup that both sides paid and that grew from round to round. Nothing
  # is deleted until the scratch directory goes.
  clear_new() {
    d=$(newdir "$1")
    mkdir -p "$d/../../delivered"
    find "$d" -type f -exec mv -t "$d/../../delivered" {} +
    sync
  }
  now() { date +%s.%N; }

  # Warm both up (first connections, caches, the demo user's Maildir) and check that
  # each delivers at all.
  for sys in suite postfix; do
    clear_new $sys
    timeout 60 smtp-source -m 5 -s 2 -l 512 -f $SENDER -t "$(rcpt $sys)" "127.0.0.1:$(port $sys)" ||
      die "$sys refused the warm-up messages"
    python3 "$PY" waitn "$(newdir $sys)" 5 30 > /dev/null ||
      die "$sys did not deliver the warm-up messages into $(newdir $sys)"
  done

  # tput SYS SIZE CLIENTS COUNT ROUND: smtp-source's load; rate = messages / (time from
  # the first connection to the last file in new/); PSS sampled meanwhile.
  tput() {
    clear_new "$1"
    # Postfix keeps idle smtpd, cleanup and virtual processes for a while after a load;
    # a fresh start makes its PSS that of this load alone, as the suite's is.
    [ "$1" = postfix ] && pf_restart
    python3 "$PY" pss "$1" $$ > "$S/pss.out" &
    PSS_PID=$!
    sleep 0.3
    t0=$(now)
    timeout "$RUN_TIMEOUT" smtp-source -s "$3" -m "$4" -l "$2" -f $SENDER -t "$(rcpt "$1")" \
      -M bench.client "127.0.0.1:$(port "$1")" > "$S/source.out" 2>&1
    rc=$?
    t1=$(now)
    w=$(python3 "$PY" waitn "$(newdir "$1")" "$4" "$RUN_TIMEOUT")
    wrc=$?
    t2=${w% *}
    kill "$PSS_PID"; wait "$PSS_PID"; PSS_PID=
    p=$(cat "$S/pss.out")
    if [ $rc != 0 ] || [ $wrc != 0 ]; then
      echo "$PROG: $1 ${2}B $3 clients round $5: smtp-source exit $rc, delivered ${w#* } of $4:" \
        "$(tail -n 2 "$S/source.out")" >&2
      echo "tput $1 $2 $3 fail fail $5" >> "$RES"
      return
    fi
    rate=$(awk -v n="$4" -v a="$t0" -v b="$t2" 'BEGIN { printf "%.1f", n / (b - a) }')
    acc=$(awk -v n="$4" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
    pmax=$(echo "$p" | sed -n 's/.*max_kb=\([0-9]*\).*/\1/p')
    np=$(echo "$p" | sed -n 's/.*procs_at_max=\([0-9]*\).*/\1/p')
    printf '  round %s  %-7s %6s B %2s client(s): %7.1f msg/s delivered (%7.1f accepted), PSS max %6s kB in %s procs\n' \
      "$5" "$1" "$2" "$3" "$rate" "$acc" "$pmax" "$np"
    echo "tput $1 $2 $3 $rate $acc $5" >> "$RES"
    echo "pss $1 $2 $3 $pmax $np $5" >> "$RES"
  }
  # lat SYS SIZE CLIENTS COUNT ROUND: the latency client at the same concurrency.
  lat() {
    clear_new "$1"
    out=$(timeout "$RUN_TIMEOUT" python3 "$PY" latency 127.0.0.1 "$(port "$1")" "$4" "$3" "$2" \
          $SENDER "$(rcpt "$1")" "$(newdir "$1")" 2>&1)
    p50=$(echo "$out" | sed -n 's/.* p50_ms=\([-0-9.]*\).*/\1/p')
    p99=$(echo "$out" | sed -n 's/.* p99_ms=\([-0-9.]*\).*/\1/p')
    rate=$(echo "$out" | sed -n 's/.* rate=\([0-9.]*\).*/\1/p')
    got=$(echo "$out" | sed -n 's/.* delivered=\([0-9]*\).*/\1/p')
    if [ -z "$p99" ] || [ "$got" != "$4" ]; then
      echo "$PROG: latency $1 ${2}B $3 clients round $5 failed: $out" >&2
      echo "lat $1 $2 $3 fail fail fail $5" >> "$RES"
      return
    fi
    printf '  round %s  %-7s %6s B %2s client(s): latency p50 %7.1f ms p99 %7.1f ms (%6.1f msg/s)\n' \
      "$5" "$1" "$2" "$3" "$p50" "$p99" "$rate"
    echo "lat $1 $2 $3 $p50 $p99 $rate $5" >> "$RES"
  }

  round=1
  while [ "$round" -le "$ROUNDS" ]; do
    # A B A B: who goes first alternates from round to round.
    order="suite postfix"; [ $((round % 2)) = 0 ] && order="postfix suite"
    for size in $SIZES; do
      for c in $CLIENTS; do
        n=$N; [ "$c" = 1 ] && n=$(( (N + 2) / 3 ))
        for sys in $order; do tput "$sys" "$size" "$c" "$n" "$round"; done
        for sys in $order; do lat "$sys" "$size" "$c" "$n" "$round"; done
      done
    done
    round=$((round + 1))
  done
  exit 0
fi

# --- the outer part: build, prepare, then run the inner part -------------------------
# shellcheck source=bench_lib.sh
. "$SRC/bench/bench_lib.sh"
N=500 ROUNDS=3 KEEP=''
bench_opts 3 "$@"
bench_need unshare s6-svscan tcpserver ip ss python3
cd "$SRC" || die "unable to enter $SRC"
bench_build all
bench_scratch
bash bench/postfix-setup.sh -s 127.0.0.1:$PF_PORT "$S/postfix" "$BENCH_USER" ||
  die "Postfix setup failed"
command -v smtp-source > /dev/null || die "smtp-source is missing (the postfix package has it)"
bench_machine
echo "$PROG: $N messages a measurement ($(( (N + 2) / 3 )) at 1 client), $ROUNDS rounds," \
  "sizes $SIZES bytes, clients $CLIENTS"
timeout -k 10 $((RUN_TIMEOUT * ROUNDS * 24 + 600)) \
  unshare -m -n --propagation private "$0" --inner "$S" "$N" "$ROUNDS" ||
  echo "$PROG: the measuring part failed; figures below may be incomplete" >&2

# --- summary: medians and ratios ----------------------------------------------------
# med KIND SYS SIZE CLIENTS FIELD: the median over rounds of FIELD (awk field number)
med() {
  awk -v k="$1" -v s="$2" -v z="$3" -v c="$4" -v f="$5" \
    '$1 == k && $2 == s && $3 == z && $4 == c && $f != "fail" { print $f }' "$S/results" |
    bench_median
}
# rratio SIZE CLIENTS: the median over rounds of suite / Postfix delivered msg/s
rratio() {
  awk -v z="$1" -v c="$2" '$1 == "tput" && $3 == z && $4 == c && $5 != "fail" {
      if ($2 == "suite") a[$7] = $5; else b[$7] = $5 }
    END { for (r in a) if ((r in b) && b[r] > 0) print a[r] / b[r] }' "$S/results" |
    bench_median %.2fx
}
ratio() { bench_ratio "$@"; }
echo
echo "bench/smtp: medians of $ROUNDS rounds; load now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-8s %7s | %9s %9s %7s %7s | %8s %8s %8s %8s | %8s %8s %6s\n' size clients \
  "suite/s" "postfix/s" ratio "by rnd" "s p50ms" "s p99ms" "pf p50ms" "pf p99ms" "s PSS kB" "pf PSS" ratio
for size in $SIZES; do
  for c in $CLIENTS; do
    a=$(med tput suite "$size" "$c" 5) b=$(med tput postfix "$size" "$c" 5)
    pa=$(med pss suite "$size" "$c" 5) pb=$(med pss postfix "$size" "$c" 5)
    printf '  %-8s %7s | %9s %9s %7s %7s | %8s %8s %8s %8s | %8s %8s %6s\n' "$size" "$c" \
      "$a" "$b" "$(ratio "$a" "$b")" "$(rratio "$size" "$c")" \
      "$(med lat suite "$size" "$c" 5)" "$(med lat suite "$size" "$c" 6)" \
      "$(med lat postfix "$size" "$c" 5)" "$(med lat postfix "$size" "$c" 6)" \
      "${pa%.0}" "${pb%.0}" "$(ratio "$pa" "$pb")"
  done
done
echo "  targets: suite >= 1x Postfix at 1 client, >= 1.5x at 10 and 50; suite p99 < 1000 ms" \
  "at 10 clients; suite PSS <= 0.25x Postfix's"
[ -n "$KEEP" ] && echo "$PROG: scratch kept in $S (results in $S/results)"
exit 0
