#!/bin/bash
# bench/local: end-to-end local delivery, from injection to a file in a Maildir's
# new/, through the suite (qmail-inject -> qmail-queue -> qmail-send -> qmail-lspawn
# -> qmail-local) and through Postfix (sendmail -> postdrop -> pickup -> cleanup ->
# qmgr -> virtual), both running for the whole run, side by side with 1 and 4
# injecting streams. Prints messages a second (N over the time from the first
# injection to the last arrival) and the latency from each injector's exit to its
# message's arrival in new/ (p50, p99). Root only; builds the suite, installs it into
# a scratch home inside its own mount and network namespace, and uses the private
# Postfix instance of bench/postfix-setup.sh. Nothing leaves the machine; every loop
# is bounded. A benchmark, not a test: it prints figures and judges nothing.
#
# usage: bench/local.sh [-n messages] [-r rounds] [-k]
#   -n  messages per measurement (default 10000)   -r  rounds (default 1)
#   -k  keep the scratch directory
set -u
PROG=local
die() { echo "$PROG: fatal: $*" >&2; exit 111; }
usage() { echo "usage: bench/local.sh [-n messages] [-r rounds] [-k]" >&2; exit 100; }

SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_USER=qmbench
SENDER=bench@example.org
SUITE_RCPT=$BENCH_USER@mail.example.org
PF_RCPT=$BENCH_USER@bench.example.org
RUN_TIMEOUT=900          # seconds one injection run may take at most
DRAIN_TIMEOUT=600        # seconds the deliveries may take after the last injection

# --- the part that runs inside the private namespaces ------------------------------
if [ "${1:-}" = --inner ]; then
  S=$2 N=$3 ROUNDS=$4
  RES=$S/results
  mount --bind "$S/postfix/etc" /etc/postfix || die "unable to bind the Postfix instance"
  ip link set lo up || die "unable to bring up loopback"
  export QM_SRC=$SRC
  # shellcheck source=../tests/e2e/lib.sh
  . "$SRC/tests/e2e/lib.sh"
  inst_new
  SEND_PID=
  stop_all() {
    [ -n "$SEND_PID" ] && kill -TERM "$SEND_PID" 2>/dev/null && wait "$SEND_PID" 2>/dev/null
    postfix stop >/dev/null 2>&1
    inst_cleanup
  }
  trap stop_all EXIT

  # The suite delivers to the bench user through users/cdb (as an installation with
  # users/assign does): home $S/qhome, ./Maildir/ as the default delivery.
  uid=$(id -u $BENCH_USER) gid=$(id -g $BENCH_USER)
  mkdir -p "$S/qhome/Maildir/new" "$S/qhome/Maildir/cur" "$S/qhome/Maildir/tmp"
  chown -R "$uid:$gid" "$S/qhome"
  printf '=%s:%s:%s:%s:%s:::\n.\n' $BENCH_USER $BENCH_USER "$uid" "$gid" "$S/qhome" \
    > "$QM_HOME/users/assign"
  "$QM_HOME/bin/qmail-newu" || die "qmail-newu failed"
  "$QM_HOME/bin/qmail-start" ./Maildir/ > "$S/sendlog" 2>&1 &
  SEND_PID=$!
  postfix start >/dev/null 2>&1 || die "postfix start failed"
  sleep 1

  newdir() { case $1 in suite) echo "$S/qhome/Maildir/new" ;; postfix) echo "$S/postfix/vmail/$BENCH_USER/Maildir/new" ;; esac; }
  cmd() {
    case $1 in
    suite) echo "$QM_HOME/bin/qmail-inject -f $SENDER $SUITE_RCPT" ;;
    postfix) echo "/usr/sbin/sendmail -i -f $SENDER $PF_RCPT" ;;
    esac
  }
  count() { find "$(newdir "$1")" -type f 2>/dev/null | wc -l; }
  queued() {
    case $1 in
    suite) find "$QM_HOME/queue/mess" -type f | wc -l ;;
    postfix) find "$S/postfix/spool/maildrop" "$S/postfix/spool/incoming" "$S/postfix/spool/active" \
               "$S/postfix/spool/deferred" -type f | wc -l ;;
    esac
  }
  clear_sys() { find "$(newdir "$1")" -type f -delete 2>/dev/null; sync; }

  # measure SYSTEM STREAMS ROUND
  measure() {
    clear_sys "$1"
    rm -rf "$S/exits"; mkdir "$S/exits"; chown "$uid" "$S/exits"
    # shellcheck disable=SC2046
    out=$(timeout "$RUN_TIMEOUT" s6-setuidgid "$BENCH_USER" "$S/bin/localrate" -n "$N" -p "$2" \
          -m "$S/msg" -o "$S/exits" $(cmd "$1") 2>&1)
    rc=$?
    start=$(echo "$out" | sed -n 's/.* start=\([0-9.]*\) .*/\1/p')
    irate=$(echo "$out" | sed -n 's/.* rate=\([0-9.]*\)$/\1/p')
    t=0 backlog=0
    # the queue's backlog when injection ended: what delivery had not caught up with
    backlog=$((N - $(count "$1")))
    while [ "$(count "$1")" -lt "$N" ] && [ $t -lt $((DRAIN_TIMEOUT * 10)) ]; do sleep 0.1; t=$((t + 1)); done
    if [ $rc != 0 ] || [ -z "$start" ] || [ "$(count "$1")" != "$N" ]; then
      echo "$PROG: $1 streams=$2 round $3 failed (exit $rc, $(count "$1") of $N delivered): $out" >&2
      echo "$1 $2 fail $3" >> "$RES"
      return
    fi
    # wait for the queue to be empty too, so the next run starts alike
    t=0; while [ "$(queued "$1")" != 0 ] && [ $t -lt 600 ]; do sleep 0.1; t=$((t + 1)); done
    line=$(python3 - "$S/exits" "$(newdir "$1")" "$start" "$N" <<'PY'
import os, sys
exits_dir, new, start, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
exits = {}
for f in os.listdir(exits_dir):
    with open(os.path.join(exits_dir, f)) as fh:
        for line in fh:
            k, v = line.split()
            exits[k] = float(v)
arr = {}
for f in os.listdir(new):
    p = os.path.join(new, f)
    st = os.stat(p)   # ctime: the link or rename into new/
    with open(p, "rb") as fh:
        head = fh.read(8192)
    for line in head.split(b"\n"):
        if line.startswith(b"X-Bench-Seq: "):
            arr[line[13:].strip().decode()] = st.st_ctime_ns / 1e9
            break
lat = sorted(max(0.0, arr[k] - exits[k]) for k in exits if k in arr)
if len(lat) != n or len(arr) != n:
    print("bad %d %d" % (len(lat), len(arr))); sys.exit(0)
def q(v, p): return v[min(len(v) - 1, int(p * len(v)))]
# drift: median latency of the last tenth of the injections against the first tenth
order = sorted(exits, key=lambda k: exits[k])
tenth = max(1, n // 10)
first = sorted(arr[k] - exits[k] for k in order[:tenth])
last = sorted(arr[k] - exits[k] for k in order[-tenth:])
end = max(arr.values())
print("%.1f %.1f %.1f %.1f %.1f" % (n / (end - start), q(lat, 0.5) * 1000, q(lat, 0.99) * 1000,
                                     q(first, 0.5) * 1000, q(last, 0.5) * 1000))
PY
)
    case $line in
    bad*|'') echo "$PROG: $1 streams=$2 round $3: unmatched messages ($line)" >&2; echo "$1 $2 fail $3" >> "$RES"; return ;;
    esac
    set -- "$1" "$2" "$3" $line
    printf '  round %s  %-8s %s stream(s): inject %7.1f/s  end-to-end %7.1f msg/s  latency p50 %7.1f ms  p99 %8.1f ms  (first tenth p50 %.1f, last tenth %.1f; backlog %s at injection end)\n' \
      "$3" "$1" "$2" "$irate" "$4" "$5" "$6" "$7" "$8" "$backlog"
    echo "$1 $2 $4 $3 $5 $6 $irate $7 $8 $backlog" >> "$RES"
  }

  r=1
  while [ $r -le "$ROUNDS" ]; do
    order="suite postfix"
    [ $((r % 2)) = 0 ] && order="postfix suite"
    for streams in 1 4; do
      for sys in $order; do measure "$sys" "$streams" "$r"; done
    done
    r=$((r + 1))
  done
  exit 0
fi

# --- the outer part: build, prepare, run the inner part, summarise ------------------
N=10000 ROUNDS=1 KEEP=''
while getopts n:r:k opt; do
  case $opt in
  n) N=$OPTARG ;; r) ROUNDS=$OPTARG ;; k) KEEP=1 ;;
  *) usage ;;
  esac
done
case $N$ROUNDS in *[!0-9]*) usage ;; esac
[ "$N" -ge 10 ] && [ "$N" -le 100000 ] || die "-n must be 10..100000"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 21 ] || die "-r must be 1..21"
[ "$(id -u)" = 0 ] || die "must run as root (namespaces, users, a set-uid queue)"
# shellcheck source=bench_lib.sh
. "$SRC/bench/bench_lib.sh"
bench_need unshare s6-setuidgid ip python3

cd "$SRC" || die "unable to enter $SRC"
bench_build all bench-build
bench_scratch
mkdir -p "$S/bin"
cp build/bench/localrate "$S/bin/"
bash bench/postfix-setup.sh "$S/postfix" "$BENCH_USER" || die "Postfix setup failed"

# The message: about 2 KB of headers and text, the same bytes for both sides
# (localrate puts one X-Bench-Seq line in front of it).
bench_message "$SUITE_RCPT" "local delivery bench" local

bench_machine
echo "$PROG: $N messages of $(wc -c < "$S/msg") bytes a run, $ROUNDS round(s)"
timeout -k 10 $(((RUN_TIMEOUT + DRAIN_TIMEOUT) * ROUNDS * 4 + 600)) \
  unshare -m -n --propagation private "$0" --inner "$S" "$N" "$ROUNDS" ||
  echo "$PROG: the measuring part failed; figures below may be incomplete" >&2

median() { # SYSTEM STREAMS FIELD
  awk -v s="$1" -v p="$2" -v f="$3" '$1 == s && $2 == p && $3 != "fail" { print $f }' "$S/results" |
    bench_median
}
echo
echo "bench/local: medians of $ROUNDS round(s), $N messages each, load now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-10s %8s %10s %12s %10s %10s %9s\n' "" streams "inject/s" "end-to-end/s" "p50 ms" "p99 ms" "backlog"
for sys in suite postfix; do
  for p in 1 4; do
    printf '  %-10s %8s %10s %12s %10s %10s %9s\n' $sys $p "$(median $sys $p 7)" "$(median $sys $p 3)" \
      "$(median $sys $p 5)" "$(median $sys $p 6)" "$(median $sys $p 10)"
  done
done
for p in 1 4; do
  echo "  suite / postfix end-to-end, $p stream(s): $(bench_ratio "$(median suite $p 3)" "$(median postfix $p 3)")"
done
[ -n "$KEEP" ] && echo "$PROG: scratch kept in $S"
exit 0
