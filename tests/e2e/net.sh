# Several hosts in one end-to-end test. Source after lib.sh. Each host is a network
# namespace with a veth on a bridge in the test's own namespace, documentation
# addresses only (192.0.2.0/24, 2001:db8::/64), and runs its programs in a mount
# namespace of its own where its own instance is bind-mounted over QM_HOME; so
# several installations of the suite talk to each other over real TCP and DNS.
# Everything (processes, namespaces, links, instances) goes away in net_cleanup,
# which net_init sets as the EXIT trap. Names: qmt-<pid>-<host>.
#   net_init                  bridge up, /run/netns private to this test
#   net_host NAME ADDR...     a host; ADDR with ':' is IPv6 (/64), else IPv4 (/24)
#   net_inst NAME ME          an installed instance for NAME (control/me = ME,
#                             locals and rcpthosts = ME only); dir in $NET_DIR/NAME
#   net_run NAME CMD...       CMD on NAME, in the foreground
#   net_bg NAME LOG CMD...    CMD on NAME in the background, output appended to LOG;
#                             its pid in $NET_PID (also killed by net_cleanup)
#   net_sender DIR REMOTE     instance DIR asks 192.0.2.53 for DNS with short
#                             timeouts (dns 2 s, connect 5 s, remote REMOTE s)
#   net_postmaster DIR...     postmaster of each instance DIR delivers to alias's Maildir
#   net_wait_tcp NAME IP PORT waits (5 s at most) until NAME can connect to IP:PORT
NET_TAG=qmt-$$
NET_HOSTS=
NET_PIDS=
NET_N=0
NET_DIR=

net_init() {
  need_root
  command -v ip > /dev/null || { skip "${0##*/}" "ip (iproute2) is not installed"; exit 0; }
  NET_DIR=$(mktemp -d /tmp/qm-net.XXXXXX)
  chmod 0755 "$NET_DIR"
  trap net_cleanup EXIT
  # namespace names live on a tmpfs of this test's mount namespace only
  mkdir -p /run/netns && mount -t tmpfs -o mode=0755 qmt-netns /run/netns ||
    { fail net_init "unable to mount a tmpfs on /run/netns"; exit 1; }
  mountpoint -q "$QM_HOME" || mkdir -p "$QM_HOME"
  ip link set lo up
  ip link add "$NET_TAG-br" type bridge && ip link set "$NET_TAG-br" up ||
    { skip "${0##*/}" "unable to create a bridge"; exit 0; }
}

net_host() {
  local name=$1 ns=$NET_TAG-$1 a
  shift
  NET_N=$((NET_N + 1))
  local v="qv$$h$NET_N" p="qp$$h$NET_N"
  ip netns add "$ns" || { fail net_host "unable to add namespace $ns"; exit 1; }
  NET_HOSTS="$NET_HOSTS $name"
  ip link add "$v" type veth peer name "$p" &&
    ip link set "$v" master "$NET_TAG-br" up &&
    ip link set "$p" netns "$ns" &&
    ip -n "$ns" link set "$p" name eth0 &&
    ip -n "$ns" link set lo up &&
    ip -n "$ns" link set eth0 up || { fail net_host "unable to link $ns"; exit 1; }
  for a in "$@"; do
    case $a in
      *:*) ip -n "$ns" addr add "$a/64" dev eth0 nodad ;;
      *) ip -n "$ns" addr add "$a/24" dev eth0 ;;
    esac || { fail net_host "unable to add $a to $ns"; exit 1; }
  done
}

net_inst() {
  local d=$NET_DIR/$1
  mkdir -p "$d" && chmod 0755 "$d"
  unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && sh "$3/mk/install.sh" "$4"' \
    sh "$d" "$QM_HOME" "$QM_SRC" "$QM_BUILD" > "$d.install.log" 2>&1 ||
    { fail net_inst "install for $1 failed: $(tail -n 3 "$d.install.log")"; exit 1; }
  printf '%s\n' "$2" > "$d/control/me"
  printf '%s\n' "$2" > "$d/control/locals"
  printf '%s\n' "$2" > "$d/control/rcpthosts"
  printf '%s\n' "$2" > "$d/control/defaultdomain"
}

# Replaces the calling (sub)shell by CMD on host NAME: every step execs, so the
# pid of a background ( net_exec ... ) is CMD's own and signals reach it.
net_exec() {
  local ns=$NET_TAG-$1 d=$NET_DIR/$1
  shift
  exec ip netns exec "$ns" unshare -m --propagation private sh -c \
    'if [ -d "$1/control" ]; then mount --bind "$1" "$2" || exit 111; fi; shift 2; exec "$@"' \
    sh "$d" "$QM_HOME" "$@"
}

net_run() { ( net_exec "$@" ); }

net_bg() {
  local h=$1 log=$2
  shift 2
  ( net_exec "$h" "$@" ) >> "$log" 2>&1 &
  NET_PID=$!
  NET_PIDS="$NET_PIDS $NET_PID"
}

# net_nsd NSHOST CLIENTHOST DIR: nsd on NSHOST at 192.0.2.53 serving the zone "test"
# from DIR/test.zone, logging to DIR.out; waits until CLIENTHOST gets an answer from
# it (5 s at most). Sets NSD_PID; returns 1 if nsd never answered.
net_nsd() {
  local ns=$1 client=$2 dir=$3
  cat > "$dir/nsd.conf" <<EOC
server:
  ip-address: 192.0.2.53
  port: 53
  username: ""
  chroot: ""
  zonesdir: "$dir"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  pidfile: "$dir/nsd.pid"
  server-count: 1
  hide-version: yes
remote-control:
  control-enable: no
zone:
  name: test
  zonefile: test.zone
EOC
  net_bg "$ns" "$dir.out" nsd -c "$dir/nsd.conf" -d
  NSD_PID=$NET_PID
  for _ in $(seq 50); do
    net_run "$client" python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
q=bytes.fromhex("123401000001000000000000026e730474657374000001000" + "1")
s.sendto(q, ("192.0.2.53", 53)); s.recv(512)' 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

net_sender() {
  printf '192.0.2.53\n' > "$1/control/dnsservers"
  printf '2\n' > "$1/control/timeoutdns"
  printf '%s\n' "$2" > "$1/control/timeoutremote"
  printf '5\n' > "$1/control/timeoutconnect"
}

net_postmaster() {
  local d
  for d in "$@"; do
    mkdir -p "$d/alias/Maildir/new" "$d/alias/Maildir/cur" "$d/alias/Maildir/tmp"
    chown -R alias "$d/alias/Maildir"
    echo ./Maildir/ > "$d/alias/.qmail-postmaster"
  done
}

net_wait_tcp() {
  local i
  for i in $(seq 50); do
    net_run "$1" python3 -c "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()" \
      "$2" "$3" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

net_cleanup() {
  local h pids
  [ -n "$NET_PIDS" ] && kill $NET_PIDS 2>/dev/null
  sleep 0.3
  for h in $NET_HOSTS; do
    pids=$(ip netns pids "$NET_TAG-$h" 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  done
  for h in $NET_HOSTS; do ip netns del "$NET_TAG-$h" 2>/dev/null; done
  ip link del "$NET_TAG-br" 2>/dev/null
  umount -l /run/netns 2>/dev/null
  [ -n "$NET_DIR" ] && rm -rf "$NET_DIR" "$NET_DIR".*.install.log "$NET_DIR"/*.install.log
  return 0
}
