#!/bin/bash
# qmail-queue's crash promise on the real setuid binary: killed (SIGKILL, under
# ptrace) on entry to each of its filesystem-changing calls in turn, it leaves
# nothing in todo/ before the commit link and a whole message after it; the complete
# run's trace shows every fsync the power-loss promise needs before the commit. Also
# a full disk (a small tmpfs): exit 53 and nothing left behind.
. "$QM_SRC/tests/e2e/lib.sh"
inst_new
h=$QM_BUILD/testbin/qq-crash
[ -x "$h" ] || { fail crash_harness "$h is not built"; exit 0; }
nobody=$(id -u nobody) nogroup=$(id -g nobody)
w=$(mktemp -d /tmp/qq-crash.XXXXXX)
trap 'rm -rf "$w"; inst_cleanup' EXIT

# a message over two 64 KiB buffers, an envelope with three recipients
python3 -c 'import sys; sys.stdout.write("Subject: crash\n\n" + "".join("line %d of the body\n" % i for i in range(8000)))' > "$w/msg"
printf 'Fsender@example.org\0Ta@example.org\0Tb@example.net\0Tc@example.com\0\0' > "$w/env"

crash() { # name expected-exit envelope [harness options]
  n=$1 x=$2 e=$3; shift 3
  out=$("$h" -u "$nobody" -g "$nogroup" -x "$x" "$@" "$QM_HOME/bin/qmail-queue" "$QM_HOME/queue" "$w/msg" "$e" 2>&1)
  rc=$?
  case $rc in
  0) pass "$n"; echo "$n: $out" ;;
  77) skip "$n" "$out" ;;
  *) fail "$n" "$out" ;;
  esac
}
crash crash_every_step 0 "$w/env"
# SIGTERM at every step: the handler must leave nothing at all before the commit
# and must not touch the message after it
crash crash_sigterm_every_step 0 "$w/env" -s 15
crash crash_sigalrm_every_step 0 "$w/env" -s 14 -e 52

# Without /proc, qmail-queue cannot name its unnamed files and falls back to pid/:
# the same promise, step by step, on that path (its trace must show pid/).
noproc() { unshare -m sh -c 'mount -t tmpfs none /proc && exec "$@"' noproc "$@"; }
out=$(noproc "$h" -v -u "$nobody" -g "$nogroup" -x 0 "$QM_HOME/bin/qmail-queue" "$QM_HOME/queue" "$w/msg" "$w/env" 2>&1)
rc=$?
case $rc in
0) if echo "$out" | grep -q ' pid/'; then pass crash_no_proc_every_step
   else fail crash_no_proc_every_step "the trace never touched pid/"; fi ;;
77) skip crash_no_proc_every_step "$(echo "$out" | tail -n 1)" ;;
*) fail crash_no_proc_every_step "$(echo "$out" | grep -v '^  #' | tail -n 3)" ;;
esac
out=$(noproc "$h" -u "$nobody" -g "$nogroup" -x 0 -s 15 "$QM_HOME/bin/qmail-queue" "$QM_HOME/queue" "$w/msg" "$w/env" 2>&1)
case $? in 0) pass crash_no_proc_sigterm ;; 77) skip crash_no_proc_sigterm "$out" ;; *) fail crash_no_proc_sigterm "$out" ;; esac

# the failing paths clean up after themselves, and kills on the way leave no todo/
printf 'Fs@x\0Xbad\0\0' > "$w/env91"
crash crash_bad_envelope 91 "$w/env91"
printf 'Fs@x\0Tr@y\0' > "$w/env54"
crash crash_truncated_envelope 54 "$w/env54"
{ printf 'Fs@x\0T'; head -c 1003 /dev/zero | tr '\0' a; printf '\0\0'; } > "$w/env11"
crash crash_long_address 11 "$w/env11"

# --- disk full: the queue on a 1 MiB tmpfs ---
q=$QM_HOME/queue
mkdir "$w/small"
if mount -t tmpfs -o size=1m,mode=0750 tmpfs "$w/small"; then
  cp -a "$q/." "$w/small/" && mount --bind "$w/small" "$q" || fail disk_full_setup "cannot place the queue on tmpfs"
  leftovers() { find "$q/pid" "$q/mess" "$q/intd" "$q/todo" -type f | wc -l; }
  head -c 2000000 /dev/zero | tr '\0' x > "$w/big"
  run_as nobody "$QM_HOME/bin/qmail-queue" < "$w/big" 1< "$w/env"
  rc=$?
  [ "$rc" = 53 ] && pass disk_full_message_exit || fail disk_full_message_exit "exit $rc, want 53"
  n=$(leftovers)
  [ "$n" = 0 ] && pass disk_full_message_clean || fail disk_full_message_clean "$n files left"
  # the message fits, the envelope does not: fill the disk, then free one page
  head -c 4096 /dev/zero > "$q/lock/fill2"
  head -c 2000000 /dev/zero > "$q/lock/fill1" 2>/dev/null
  rm -f "$q/lock/fill2"
  head -c 3000 /dev/zero | tr '\0' y > "$w/small3k"
  run_as nobody "$QM_HOME/bin/qmail-queue" < "$w/small3k" 1< "$w/env"
  rc=$?
  [ "$rc" = 53 ] && pass disk_full_envelope_exit || fail disk_full_envelope_exit "exit $rc, want 53"
  n=$(leftovers)
  [ "$n" = 0 ] && pass disk_full_envelope_clean || fail disk_full_envelope_clean "$n files left"
  rm -f "$q/lock/fill1"
  run_as nobody "$QM_HOME/bin/qmail-queue" < "$w/small3k" 1< "$w/env"
  rc=$?
  [ "$rc" = 0 ] && pass disk_full_recovers || fail disk_full_recovers "exit $rc after space came back"
  umount "$q"; umount "$w/small"
else
  skip disk_full "cannot mount a tmpfs"
fi
