# Shared helpers of the end-to-end tests. A test sources this file; the runner has
# already put it in private mount and network namespaces (as root), so an instance
# here is a scratch directory bind-mounted over the compiled-in home, with the real
# programs installed by mk/install.sh, and nothing it does is seen outside.
: "${QM_SRC:?QM_SRC must name the source tree (set by tests/e2e/run)}"
QM_HOME=$(head -n 1 "$QM_SRC/conf-files/conf-home")
QM_BUILD=${QM_BUILD:-$QM_SRC/build}
export QM_HOME QM_BUILD

pass() { echo "PASS $1"; }
fail() { n=$1; shift; echo "FAIL $n: $*"; }
skip() { n=$1; shift; echo "SKIP $n: $*"; }

# check NAME CMD...: PASS when CMD exits 0.
check() {
  n=$1; shift
  if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi
}

need_root() {
  if [ "$(id -u)" != 0 ]; then
    skip "${0##*/}" "needs root for namespaces, users and setuid programs"
    exit 0
  fi
}

# run_as USER CMD...: CMD as USER with that user's groups.
run_as() {
  u=$1; shift
  s6-setuidgid "$u" "$@"
}

# inst_new: a fresh installed instance over QM_HOME, torn down when the test exits.
inst_new() {
  need_root
  INST=$(mktemp -d /tmp/qm-e2e.XXXXXX)
  chmod 0755 "$INST"
  trap 'inst_cleanup' EXIT
  mountpoint -q "$QM_HOME" || mkdir -p "$QM_HOME"
  mount --bind "$INST" "$QM_HOME" || { fail inst_new "unable to bind $INST on $QM_HOME"; exit 1; }
  sh "$QM_SRC/mk/install.sh" "$QM_BUILD" > "$INST.install.log" 2>&1 ||
    { fail inst_new "install failed: $(tail -n 3 "$INST.install.log")"; exit 1; }
  printf 'mail.example.org\n' > "$QM_HOME/control/me"
  printf 'localhost\nmail.example.org\nexample.org\n' > "$QM_HOME/control/locals"
  printf 'localhost\nmail.example.org\nexample.org\n' > "$QM_HOME/control/rcpthosts"
  printf 'example.org\n' > "$QM_HOME/control/defaultdomain"
  ip link set lo up 2>/dev/null || true
  export INST
}

inst_cleanup() {
  for u in ${INST_USERS:-}; do userdel "$u" 2>/dev/null; done
  # Stop whatever the test started inside the instance before the mount goes away.
  [ -n "${INST:-}" ] || return 0
  if [ -n "${INST_PIDS:-}" ]; then kill $INST_PIDS 2>/dev/null; sleep 0.2; kill -9 $INST_PIDS 2>/dev/null; fi
  umount -l "$QM_HOME" 2>/dev/null
  rm -rf "$INST" "$INST.install.log"
}

# queue_count DIR: number of files under queue/DIR (recursively).
queue_count() { find "$QM_HOME/queue/$1" -type f | wc -l; }

# user_new NAME: a test account NAME whose home is $QM_HOME/home-NAME (inside the
# instance, mode 0755, owned by it); made with useradd when missing and removed by
# inst_cleanup if this test made it. Sets U and H.
user_new() {
  U=$1 H=$QM_HOME/home-$1
  if ! getent passwd "$U" > /dev/null; then
    useradd -M -d "$H" -s /bin/sh -c "mail suite test" "$U" ||
      { fail "${0##*/}" "useradd $U failed"; exit 1; }
    INST_USERS="${INST_USERS:-} $U"
  else
    usermod -d "$H" "$U" 2>/dev/null
  fi
  mkdir -p "$H" && chown "$U:" "$H" && chmod 0755 "$H"
}
