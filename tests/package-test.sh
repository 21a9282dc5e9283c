#!/bin/bash
# make package-test (issue 12; CI runs it after make check): build the Debian
# package from the committed tree with dpkg-buildpackage, install it with apt,
# check what it installed (binaries, unit, man pages, completion, configs),
# start the installed parkd as its own user with the installed configuration
# against a throwaway PostgreSQL, call it with the installed parkctl, and
# purge it: nothing of it may be left. Root only (it installs a package).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
fail() { echo "package-test: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run as root: it installs and purges a package"
dpkg-query -W -f='${Status}' parkd 2>/dev/null | grep -q "install ok" &&
    fail "parkd is already installed on this machine; not touching it"

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends debhelper dpkg-dev fakeroot \
    >/dev/null

T=$(mktemp -d)
chmod 755 "$T"
P=""
cleanup() {
	set +e
	[ -n "$P" ] && kill "$P" 2>/dev/null
	pg_stop "$T/pg"
	apt-get purge -y -q parkd >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

echo "==> dpkg-buildpackage -us -uc -b (the committed tree)"
mkdir "$T/src"
git ls-files -z | tar --null -T - -cf - | tar -C "$T/src" -xf -
(cd "$T/src" && dpkg-buildpackage -us -uc -b > "$T/build.log" 2>&1) ||
    { tail -30 "$T/build.log"; fail "dpkg-buildpackage failed"; }
deb=$(ls "$T"/parkd_*.deb)
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

echo "==> apt install $(basename "$deb")"
apt-get install -y -q "$deb" > "$T/install.log" 2>&1 ||
    { tail -20 "$T/install.log"; fail "apt install failed"; }
for f in /usr/sbin/parkd /usr/bin/parkctl /lib/systemd/system/parkd.service \
    /etc/parkd/parkd.conf /etc/parkd/policy/qingdao-2024.conf \
    /usr/share/parkd/policy/qingdao-2024.conf \
    /usr/share/bash-completion/completions/parkctl \
    /usr/share/man/man8/parkd.8.gz /usr/share/man/man1/parkctl.1.gz \
    /usr/share/man/man5/parkd.conf.5.gz /usr/share/man/man5/parkd-policy.5.gz; do
	[ -e "$f" ] || fail "$f is not installed"
done
id parkd >/dev/null 2>&1 || fail "no parkd user"
grep -q '^User=parkd' /lib/systemd/system/parkd.service || fail "unit user"
grep -q '^ProtectSystem=strict' /lib/systemd/system/parkd.service ||
    fail "unit not hardened"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/parkd.service 2>&1 |
	    grep -v "^$" | grep -iv "not booted\|Failed to connect" | head -5 || true
fi
bash -c '. /usr/share/bash-completion/completions/parkctl;
    COMP_WORDS=(parkctl get-pa); COMP_CWORD=1; _parkctl;
    [ "${COMPREPLY[*]}" = get-park ]' || fail "bash completion"

echo "==> the installed parkd, as user parkd, with /etc/parkd/parkd.conf"
PGPORT=$(free_port)
pg_start "$T/pg" "$PGPORT"
mkcerts /etc/parkd/tls admin
chgrp parkd /etc/parkd/tls/*
chmod 640 /etc/parkd/tls/*.key
PORT=$(free_port)
sed -i -e "s/port=5432/port=$PGPORT/" -e "s/^listen = .*/listen = \"127.0.0.1:$PORT\";/" \
    -e 's/^http_listen = .*/http_listen = "";/' /etc/parkd/parkd.conf
runuser -u parkd -- /usr/sbin/parkd -c /etc/parkd/parkd.conf --check-config \
    > /dev/null || fail "the installed configuration does not check"
runuser -u parkd -- /usr/sbin/parkd -c /etc/parkd/parkd.conf \
    --add-principal /etc/parkd/tls/admin.crt --role admin --name "first admin" \
    > /dev/null
# setpriv execs parkd itself (no process in between): $! is parkd
setpriv --reuid=parkd --regid=parkd --init-groups /usr/sbin/parkd \
    -c /etc/parkd/parkd.conf > "$T/parkd.log" 2>&1 &
P=$!
wait_port "$PORT" 30 || { cat "$T/parkd.log"; fail "parkd did not start"; }
ctl() { /usr/bin/parkctl --server "127.0.0.1:$PORT" --cert /etc/parkd/tls/admin.crt \
    --key /etc/parkd/tls/admin.key --ca /etc/parkd/tls/ca.crt "$@"; }
ctl who-am-i | grep -q "first admin" || fail "who-am-i"
ctl list-policies | grep -q "qingdao-2024" || fail "the installed policy is not active"
kill -TERM "$P"
wait "$P" || fail "parkd did not stop cleanly"
P=""

echo "==> apt purge parkd"
apt-get purge -y -q parkd > /dev/null
for f in /usr/sbin/parkd /usr/bin/parkctl /lib/systemd/system/parkd.service \
    /etc/parkd; do
	[ ! -e "$f" ] || fail "$f is left after purge"
done
! id parkd >/dev/null 2>&1 || fail "the parkd user is left after purge"
echo "package-test: ok"
