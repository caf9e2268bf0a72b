#!/bin/sh
# Installs the Debian packages the suite builds and tests with, when any is missing.
# Needs root only when something is missing; otherwise it says so and does nothing.
set -eu
pkgs="build-essential skalibs-dev libowfat-dev s6 execline ucspi-tcp-ipv6 libcmocka-dev nsd
libssl-dev libcrypt-dev openssl clang libclang-rt-14-dev python3 swaks iproute2 util-linux procps groff-base
passwd man-db musl-tools"
missing=
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
  echo "deps: fatal: missing packages; as root run: apt-get update && $cmd" >&2
  exit 100
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
# nsd is only the DNS tests' peer, started by them inside their own namespaces: if
# the package enabled a system service, stop and disable it (harmless when none).
case $missing in *" nsd"*)
  if command -v systemctl > /dev/null 2>&1; then systemctl disable --now nsd > /dev/null 2>&1 || true; fi
  if command -v update-rc.d > /dev/null 2>&1; then update-rc.d nsd disable > /dev/null 2>&1 || true; fi
  ;;
esac
