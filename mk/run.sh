#!/bin/sh
# make run: a working mail system on this host in one command, for trying the suite.
# Installs the home (mk/install.sh), keeps any configuration that already exists and
# otherwise writes the built-in one (me = the host name; locals and rcpthosts =
# localhost and the host name; SMTP on 127.0.0.1:2525 and [::1]:2525; a demo user
# with a Maildir), then runs s6-svscan on the service tree until SIGINT or SIGTERM
# (Ctrl-C), when it takes the whole tree down and waits for it. Safe to run again.
# QM_RUN_SENDMAIL_LINK=no leaves /usr/sbin/sendmail alone (the tests use it).
set -eu
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
home=$(head -n 1 "$src/conf-files/conf-home")
alias=$(sed -n 1p "$src/conf-files/conf-users")
qmaill=$(sed -n 3p "$src/conf-files/conf-users")
nofiles=$(sed -n 2p "$src/conf-files/conf-groups")
qmail=$(sed -n 1p "$src/conf-files/conf-groups")
port=2525
demo=demo
die() { echo "run: fatal: $*" >&2; exit 111; }
say() { echo "run: $*"; }
[ "$(id -u)" = 0 ] || die "must run as root (it installs into $home and starts the services)"
for p in s6-svscan s6-svscanctl s6-svok s6-svwait tcpserver tcprules; do
  command -v $p > /dev/null 2>&1 || die "$p is missing; run make deps"
done

if s6-svok "$home/service/qmail-send" 2> /dev/null; then
  die "the services in $home/service are already supervised; stop that s6-svscan first"
fi

# The built-in configuration, on a fresh home only (no control/me yet). qmail-inject
# adds defaultdomain to a dotless host, so sendmail's user@localhost arrives as
# user@localhost.<defaultdomain>: that name is local too.
ctl=$home/control
if [ ! -e "$ctl/me" ]; then
  host=$(hostname -f 2> /dev/null || hostname)
  [ -n "$host" ] || host=localhost
  case $host in *.*) dd=${host#*.} ;; *) dd=$host ;; esac
  mkdir -p "$ctl" || die "unable to create $ctl"
  printf 'localhost\nlocalhost.%s\n%s\n' "$dd" "$host" | awk '!seen[$0]++' > "$ctl/locals" &&
    cp "$ctl/locals" "$ctl/rcpthosts" && echo "$dd" > "$ctl/defaultdomain" &&
    echo "$host" > "$ctl/me.tmp" && mv "$ctl/me.tmp" "$ctl/me" || die "unable to write $ctl"
  chmod 0644 "$ctl/locals" "$ctl/rcpthosts" "$ctl/defaultdomain" "$ctl/me"
fi

sh "$src/mk/install.sh" "$build" || die "install failed"
svc=$home/service

# smtpd_service NAME IP: a further SMTP service directory made from the installed
# qmail-smtpd one, listening on IP and the demo port, unless NAME already has env/.
smtpd_service() {
  d=$svc/$1
  [ -d "$d/env" ] && return 0
  mkdir -p "$d/log" "$d/env" "$home/log/$1" || die "unable to create $d"
  if [ "$1" != qmail-smtpd ]; then
    cp "$svc/qmail-smtpd/run" "$d/run.tmp" && mv "$d/run.tmp" "$d/run" &&
      cp "$svc/qmail-smtpd/log/run" "$d/log/run.tmp" && mv "$d/log/run.tmp" "$d/log/run" ||
      die "unable to copy the qmail-smtpd service to $d"
  fi
  chown "$qmaill:$nofiles" "$home/log/$1" && chmod 0750 "$home/log/$1" || die "unable to set up $home/log/$1"
  echo "$2" > "$d/env/IP" && echo "$port" > "$d/env/PORT" || die "unable to write $d/env"
}
smtpd_service qmail-smtpd 127.0.0.1
smtpd_service qmail-smtpd-ip6 ::1
chown "root:$qmail" "$svc"/qmail-smtpd-ip6 "$svc"/qmail-smtpd-ip6/log

# Everyone may connect; relaying stays off (no RELAYCLIENT), so only mail for locals
# and rcpthosts is taken.
if [ ! -e "$ctl/tcp.smtp" ]; then
  printf '# tcprules: address prefix, then allow or deny, then VAR="value" settings\n:allow\n' \
    > "$ctl/tcp.smtp" || die "unable to write $ctl/tcp.smtp"
fi
[ -e "$ctl/tcp.smtp.cdb" ] || tcprules "$ctl/tcp.smtp.cdb" "$ctl/tcp.smtp.tmp" < "$ctl/tcp.smtp" ||
  die "unable to build $ctl/tcp.smtp.cdb"

# The demo user: a Maildir in its home; delivery uses the default ./Maildir/.
if ! getent passwd "$demo" > /dev/null; then
  useradd -m -s /bin/sh -c "mail suite demo" "$demo" || die "unable to create user $demo"
fi
dhome=$(getent passwd "$demo" | cut -d: -f6)
[ -n "$dhome" ] && [ "$dhome" != / ] || die "user $demo has no usable home directory"
[ -d "$dhome" ] || { mkdir -p "$dhome" && chown "$demo:" "$dhome" && chmod 0750 "$dhome"; } ||
  die "unable to create $dhome"
for d in Maildir Maildir/new Maildir/cur Maildir/tmp; do
  [ -d "$dhome/$d" ] || { mkdir "$dhome/$d" && chown "$demo:" "$dhome/$d" && chmod 0700 "$dhome/$d"; } ||
    die "unable to create $dhome/$d"
done
# postmaster, root and MAILER-DAEMON go to ~alias's Maildir, as in every qmail set-up.
ahome=$home/alias
for d in Maildir Maildir/new Maildir/cur Maildir/tmp; do
  [ -d "$ahome/$d" ] || { mkdir "$ahome/$d" && chown "$alias:" "$ahome/$d" && chmod 0700 "$ahome/$d"; } ||
    die "unable to create $ahome/$d"
done
for a in postmaster root mailer-daemon; do
  [ -e "$ahome/.qmail-$a" ] || { echo ./Maildir/ > "$ahome/.qmail-$a" && chmod 0644 "$ahome/.qmail-$a"; } ||
    die "unable to write $ahome/.qmail-$a"
done

# The usual sendmail path, only where nothing is there yet.
if [ "${QM_RUN_SENDMAIL_LINK:-yes}" != no ] && [ -x "$home/bin/sendmail" ]; then
  for l in /usr/sbin/sendmail /usr/lib/sendmail; do
    [ -e "$l" ] || [ -L "$l" ] || ln -s "$home/bin/sendmail" "$l" || true
  done
fi

# s6-svscan in its own session: a Ctrl-C on the terminal reaches only this script,
# which then has s6-svscan stop every service (SIGTERM, so qmail-send finishes its
# deliveries) and waits until the whole tree is gone.
setsid s6-svscan "$svc" < /dev/null &
scan=$!
stopping=0
stop() {
  [ "$stopping" = 1 ] && return 0
  stopping=1
  say "stopping"
  s6-svscanctl -t "$svc" 2> /dev/null || kill -TERM "$scan" 2> /dev/null || true
}
trap stop INT TERM HUP

# Up means: every supervisor started, and both SMTP addresses listen.
n=0
until [ $n -ge 100 ] || [ "$stopping" = 1 ]; do
  if s6-svok "$svc/qmail-send" 2> /dev/null && s6-svok "$svc/qmail-smtpd" 2> /dev/null &&
    ss -Hltn "sport = :$port" 2> /dev/null | grep -q .; then break; fi
  n=$((n + 1)); sleep 0.1
done
ip4=$(head -n 1 "$svc/qmail-smtpd/env/IP") p4=$(head -n 1 "$svc/qmail-smtpd/env/PORT")
ip6=$(head -n 1 "$svc/qmail-smtpd-ip6/env/IP") p6=$(head -n 1 "$svc/qmail-smtpd-ip6/env/PORT")
if [ "$stopping" = 0 ]; then
  if [ -x "$home/bin/sendmail" ]; then sm="echo test | $home/bin/sendmail $demo@localhost"
  else sm="(the suite's sendmail is not built in this tree; use swaks)"; fi
  cat <<MSG
run: the mail suite is running on $(head -n 1 "$home/control/me"); Ctrl-C stops it.
  SMTP:        $ip4 port $p4 and [$ip6] port $p6
  send a test: $sm
               swaks --server $ip4 --port $p4 --to $demo@localhost
  it lands in: $dhome/Maildir/new/
  logs:        $home/log/qmail-send/current (deliveries), $home/log/qmail-smtpd/current,
               $home/log/qmail-smtpd-ip6/current, $home/log/qmail-dns/current
  queue:       $home/bin/qmail-qstat, $home/bin/qmail-qread
MSG
fi

rc=0
while kill -0 "$scan" 2> /dev/null; do
  wait "$scan" && rc=0 || rc=$?
done
# A signal that interrupted wait leaves rc above 128; s6-svscan's own status is 0.
[ "$stopping" = 1 ] && rc=0
say "stopped"
exit $rc
