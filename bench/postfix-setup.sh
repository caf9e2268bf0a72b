#!/bin/bash
# Prepares the Postfix that bench/inject.sh compares the suite with: installs Debian's
# postfix package when it is missing (no questions, no configuration, no service
# started), makes sure no system-wide Postfix runs or listens on port 25, and builds a
# private instance under DIR that only the bench uses. Root only; a bench machine only:
# the package replaces /usr/sbin/sendmail, which no test of the suite may rely on.
#
# The instance: DIR/etc (main.cf, master.cf and Debian's meta files; the bench
# bind-mounts it over /etc/postfix inside its own mount namespace, so the set-gid
# postdrop trusts it without any change to the machine's /etc/postfix), DIR/spool
# (queue_directory), DIR/lib (data_directory), DIR/vmail (the bench user's Maildir),
# DIR/maillog. By default no inet service at all: it sends and receives nothing over
# the network. Two options, for the benches that talk SMTP inside their own network
# namespace: -s ADDR:PORT adds Postfix's smtpd listening on that one address (loopback
# only), -r [IP]:PORT relays all mail for other domains to that relayhost (a sink on
# loopback or in the bench's own network namespace) instead of refusing it.
#
# usage: bench/postfix-setup.sh [-s ADDR:PORT] [-r [IP]:PORT] DIR [BENCHUSER]
set -eu
PROG=postfix-setup
die() { echo "$PROG: fatal: $*" >&2; exit 111; }
usage() { echo "usage: bench/postfix-setup.sh [-s ADDR:PORT] [-r [IP]:PORT] DIR [BENCHUSER]" >&2; exit 100; }
listen='' relay=''
while getopts s:r: opt; do
  case $opt in s) listen=$OPTARG ;; r) relay=$OPTARG ;; *) usage ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
# -s listens on loopback only; the bench never talks to anything outside its namespaces.
case $listen in ''|127.*:[0-9]*) ;; *) die "-s must be 127.x.y.z:PORT" ;; esac
# The relay may also be a documentation address (192.0.2.0/24), for a sink in a
# network namespace of the bench's own.
case $relay in ''|'[127.'*']:'[0-9]*|'[192.0.2.'*']:'[0-9]*) ;;
  *) die "-r must be [127.x.y.z]:PORT or [192.0.2.x]:PORT" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root"
dir=$1
user=${2:-qmbench}
case $dir in /?*) ;; *) die "DIR must be an absolute path other than /" ;; esac

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# --- the package, installed without configuring or starting anything -------------
if ! installed postfix; then
  echo "$PROG: installing Debian's postfix package (no configuration, not started)"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # Keep the package scripts from starting the service; a policy file that the
  # machine already has is left exactly as it is.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postfix \
    > "$dir.apt.log" 2>&1 || rc=$?
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
  if [ "$rc" != 0 ]; then
    # The package list may be stale on a fresh machine: refresh it once and retry.
    apt-get update -qq >> "$dir.apt.log" 2>&1 || true
    [ -n "$own_policy" ] && { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
                              chmod 755 /usr/sbin/policy-rc.d; }
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postfix \
      >> "$dir.apt.log" 2>&1 || rc=$?
    [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
    [ "$rc" = 0 ] || die "apt-get install postfix failed; see $dir.apt.log"
  fi
  rm -f "$dir.apt.log"
fi

# --- no system-wide Postfix stays up ------------------------------------------------
# The machine's own instance (config /etc/postfix) is stopped and kept from starting
# at boot; the private instance runs only inside the bench's mount namespace.
if [ -f /etc/postfix/main.cf ] && postfix status >/dev/null 2>&1; then
  echo "$PROG: stopping the system Postfix instance"
  postfix stop >/dev/null 2>&1 || true
fi
if [ -d /run/systemd/system ]; then
  systemctl disable --now postfix.service >/dev/null 2>&1 || true
else
  systemctl disable postfix.service >/dev/null 2>&1 || true
  update-rc.d postfix disable >/dev/null 2>&1 || true
fi
if command -v ss >/dev/null && ss -Hltn 'sport = :25' | grep -q .; then
  echo "$PROG: warning: something else listens on port 25 (not the bench's Postfix)" >&2
fi

# --- the bench user, who owns the Maildir and runs the injecting commands ----------
if ! getent passwd "$user" >/dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    "$user"
fi
uid=$(id -u "$user")
gid=$(id -g "$user")

# --- the private instance ------------------------------------------------------------
mkdir -p "$dir"
chmod 755 "$dir"
rm -rf "${dir:?}/etc" "${dir:?}/spool" "${dir:?}/lib" "${dir:?}/vmail"
mkdir -p "$dir/etc" "$dir/spool" "$dir/lib" "$dir/vmail"
# Debian's meta files (postfix-files, postfix-script, post-install, dynamicmaps.cf)
# must sit in the config directory that postfix start and postfix check read.
cp -a /etc/postfix/. "$dir/etc/"
rm -f "$dir/etc/main.cf"
chown postfix:postfix "$dir/lib"
chown "$uid:$gid" "$dir/vmail"
: > "$dir/maillog"

# master.cf: Debian's, without the SMTP listener (or with it on the -s address only),
# and nothing chrooted (the chroot would need copies of /etc files that only Debian's
# init script makes).
awk -v listen="$listen" '
  /^[ \t#]/ || NF < 8 { print; next }
  $1 == "smtp" && $2 == "inet" {
    if (listen == "") { print "#" $0; next }
    $1 = listen
  }
  { $5 = "n"; print }
' /etc/postfix/master.cf > "$dir/etc/master.cf"
if [ -n "$listen" ]; then
  inet="inet_interfaces = ${listen%:*}"
else
  inet="inet_interfaces = loopback-only
master_service_disable = inet"
fi
if [ -n "$relay" ]; then
  transports="# Mail for any other domain goes to the loopback sink of the bench, and only there.
relayhost = $relay
default_transport = smtp
relay_transport = smtp
smtp_host_lookup = native
smtp_dns_support_level = disabled"
else
  transports="default_transport = error:the bench instance sends nothing off this machine
relay_transport = error:the bench instance sends nothing off this machine"
fi

cat > "$dir/etc/main.cf" <<EOF
# Private Postfix instance of the suite's bench (bench/postfix-setup.sh).
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/lib
maillog_file = $dir/maillog
myhostname = bench.example.org
mydomain = example.org
myorigin = \$myhostname
mydestination =
$inet
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
readme_directory = no
# Everything for bench.example.org goes to the bench user's Maildir; nothing ever
# leaves the machine.
virtual_mailbox_domains = bench.example.org
virtual_mailbox_base = $dir/vmail
virtual_mailbox_maps = static:$user/Maildir/
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = 1
$transports
EOF

# Create the queue directories with their owners and modes, inside a private mount
# namespace so that only this command sees the instance as /etc/postfix.
unshare -m --propagation private sh -c '
  mount --bind "$1/etc" /etc/postfix && postfix check' sh "$dir" \
  || die "postfix check of the private instance failed"
[ -d "$dir/spool/maildrop" ] || die "postfix check made no $dir/spool/maildrop"
echo "$PROG: private instance ready in $dir (user $user, uid $uid)"
