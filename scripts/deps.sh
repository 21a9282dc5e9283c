#!/bin/sh
# Check (or install) the Debian packages parkd needs.
#   scripts/deps.sh check     report what is missing, with the command
#   scripts/deps.sh install   install what is missing (as root, or via sudo)
set -eu
PKGS="build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev
libevent-dev libssl-dev openssl libpq-dev postgresql libconfig-dev
libcmocka-dev libcsv-dev libjansson-dev chromium fonts-wqy-microhei clang
haproxy"

missing() {
	for p in $PKGS; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed"; then
			printf '%s ' "$p"
		fi
	done
}

m=$(missing)
case "${1:-check}" in
check)
	if [ -n "$m" ]; then
		echo "parkd: missing Debian packages: $m" >&2
		echo "install them with: sudo apt-get install -y $m" >&2
		echo "(or run 'make run' / 'make check', which install them)" >&2
		exit 1
	fi ;;
install)
	[ -z "$m" ] && exit 0
	echo "parkd: installing missing Debian packages: $m"
	if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q $m ;;
*)
	echo "usage: $0 check|install" >&2; exit 2 ;;
esac
