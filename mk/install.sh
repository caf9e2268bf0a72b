#!/bin/sh
# make install: creates the suite's users and groups when missing, then lays out the
# compiled-in home from mk/hier with the programs from the build directory. Safe to
# run again: programs are replaced atomically, existing queue directories and files
# are never touched, control files that exist are left as they are.
set -eu
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
home=$(head -n 1 "$src/conf-files/conf-home")
split=$(head -n 1 "$src/conf-files/conf-split")
die() { echo "install: fatal: $*" >&2; exit 111; }
[ "$(id -u)" = 0 ] || die "must run as root"

user() { sed -n "$1p" "$src/conf-files/conf-users"; }
group() { sed -n "$1p" "$src/conf-files/conf-groups"; }
G_QMAIL=$(group 1) G_NOFILES=$(group 2)
U_ALIAS=$(user 1) U_QMAILD=$(user 2) U_QMAILL=$(user 3) U_ROOT=$(user 4)
U_QMAILP=$(user 5) U_QMAILQ=$(user 6) U_QMAILR=$(user 7) U_QMAILS=$(user 8)
U_QMAILN=$(user 9) U_QMAILT=$(user 10)

# useradd and groupadd take a lock on /etc/passwd; another install may hold it.
retry() { n=0; until "$@"; do n=$((n + 1)); [ $n -lt 20 ] || return 1; sleep 0.5; done; }
nologin=/usr/sbin/nologin
[ -x $nologin ] || nologin=/bin/false
for g in "$G_QMAIL" "$G_NOFILES"; do
  getent group "$g" > /dev/null || retry groupadd -r "$g" || getent group "$g" > /dev/null ||
    die "unable to create group $g"
done
mkuser() { # name group home
  getent passwd "$1" > /dev/null && return 0
  retry useradd -r -g "$2" -d "$3" -M -s "$nologin" -c "mail suite" "$1" ||
    getent passwd "$1" > /dev/null || die "unable to create user $1"
}
mkuser "$U_ALIAS" "$G_NOFILES" "$home/alias"
for u in "$U_QMAILD" "$U_QMAILL" "$U_QMAILP" "$U_QMAILN" "$U_QMAILT"; do
  mkuser "$u" "$G_NOFILES" "$home"
done
for u in "$U_QMAILQ" "$U_QMAILR" "$U_QMAILS"; do mkuser "$u" "$G_QMAIL" "$home"; done

role() {
  case $1 in
  @alias) echo "$U_ALIAS" ;; @qmaild) echo "$U_QMAILD" ;; @qmaill) echo "$U_QMAILL" ;;
  @root) echo "$U_ROOT" ;; @qmailp) echo "$U_QMAILP" ;; @qmailq) echo "$U_QMAILQ" ;;
  @qmailr) echo "$U_QMAILR" ;; @qmails) echo "$U_QMAILS" ;; @qmailn) echo "$U_QMAILN" ;;
  @qmailt) echo "$U_QMAILT" ;; @qmail) echo "$G_QMAIL" ;; @nofiles) echo "$G_NOFILES" ;;
  # the system's group for reading password hashes (Debian's unix_chkpwd is setgid to it)
  @shadow) echo shadow ;;
  *) die "mk/hier: unknown role $1" ;;
  esac
}

mkdir -p "$home"
# spread DIR: on ext2/3/4, marks DIR as the top of unrelated hierarchies (chattr +T),
# so that the directories made in it later are put in block groups of their own
# rather than beside it. Elsewhere, or without chattr, it does nothing.
spread() {
  chattr +T "$1" 2>/dev/null || true
}
placefile() { # from to owner group mode
  tmp="$2.install.$$"
  cp "$1" "$tmp" && chown "$3:$4" "$tmp" && chmod "$5" "$tmp" && mv -f "$tmp" "$2" ||
    { rm -f "$tmp"; die "unable to install $2"; }
}
grep -v '^#' "$src/mk/hier" | while read -r type path owner group mode source; do
  [ -n "$type" ] || continue
  o=$(role "$owner") g=$(role "$group") p="$home/$path"
  case $type in
  d) mkdir -p "$p" && chown "$o:$g" "$p" && chmod "$mode" "$p" || die "unable to set up $p" ;;
  q) [ -d "$p" ] || { mkdir "$p" && chown "$o:$g" "$p" && chmod "$mode" "$p" && spread "$p"; } ||
       die "unable to create $p" ;;
  s) if [ ! -d "$p" ]; then
       mkdir "$p.new.$$" && spread "$p.new.$$" && i=0 &&
       while [ $i -lt "$split" ]; do
         mkdir "$p.new.$$/$i" && chown "$o:$g" "$p.new.$$/$i" && chmod "$mode" "$p.new.$$/$i" ||
           die "unable to create $p/$i"
         i=$((i + 1))
       done
       chown "$o:$g" "$p.new.$$" && chmod "$mode" "$p.new.$$" && mv "$p.new.$$" "$p" ||
         die "unable to create $p"
     fi ;;
  e) [ -e "$p" ] || { : > "$p" && chown "$o:$g" "$p" && chmod "$mode" "$p"; } ||
       die "unable to create $p" ;;
  p) [ -p "$p" ] || { mkfifo -m "$mode" "$p" && chown "$o:$g" "$p" && chmod "$mode" "$p"; } ||
       die "unable to create $p" ;;
  x) [ -f "$build/bin/$source" ] || die "$build/bin/$source is not built"
     placefile "$build/bin/$source" "$p" "$o" "$g" "$mode" ;;
  l) placefile "$src/$source" "$p" "$o" "$g" "$mode" ;;
  t) sed -e "s|@HOME@|$home|g" -e "s|@ALIAS@|$U_ALIAS|g" -e "s|@QMAILD@|$U_QMAILD|g" \
         -e "s|@QMAILL@|$U_QMAILL|g" -e "s|@QMAILP@|$U_QMAILP|g" -e "s|@QMAILQ@|$U_QMAILQ|g" \
         -e "s|@QMAILR@|$U_QMAILR|g" -e "s|@QMAILS@|$U_QMAILS|g" -e "s|@QMAILN@|$U_QMAILN|g" \
         -e "s|@QMAILT@|$U_QMAILT|g" -e "s|@GQMAIL@|$G_QMAIL|g" -e "s|@GNOFILES@|$G_NOFILES|g" \
         -e "s|@SPLIT@|$split|g" "$src/$source" > "$p.tmpl.$$" ||
       die "unable to expand $source"
     placefile "$p.tmpl.$$" "$p" "$o" "$g" "$mode"; rm -f "$p.tmpl.$$" ;;
  *) die "mk/hier: unknown type $type" ;;
  esac
done

# Man pages: every program directory keeps its own.
for m in "$src"/*/*.[158]; do
  [ -f "$m" ] || continue
  sec=${m##*.}
  placefile "$m" "$home/man/man$sec/${m##*/}" "$U_ROOT" "$G_QMAIL" 0644
done

# Default control files, only where none exists: the host's name for me, locals and
# rcpthosts; its domain for defaultdomain.
me=$(hostname -f 2>/dev/null || hostname)
[ -n "$me" ] || me=localhost
ctl() { [ -e "$home/control/$1" ] || { printf '%s\n' "$2" > "$home/control/$1" &&
  chmod 0644 "$home/control/$1"; } || die "unable to write control/$1"; }
ctl me "$me"
ctl locals "$(printf 'localhost\n%s' "$me")"
ctl rcpthosts "$(printf 'localhost\n%s' "$me")"
case $me in *.*) ctl defaultdomain "${me#*.}" ;; *) ctl defaultdomain "$me" ;; esac
echo "install: $home is ready"
