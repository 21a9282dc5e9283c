#!/bin/bash
# The README's first command from anywhere (issue 12): the project cloned into
# a 0700 directory (as root, the postgres user cannot enter it) starts its
# demo — PostgreSQL, certificates, parkd, the demo city and last year's
# evaluation chain — and stops it. BIN: the built
# binaries (not rebuilt in the clone).
set -euo pipefail
BIN=$(readlink -f "${1:-build}")
D=$(mktemp -d)
chmod 700 "$D"
fail() { echo "clone-test: $*" >&2; tail -20 "$D/run.log" >&2 || true; exit 1; }
cleanup() {
	(cd "$D/parkd" 2>/dev/null && scripts/run-demo.sh stop >/dev/null 2>&1) || true
	rm -rf "$D"
}
trap cleanup EXIT
git clone -q "$PWD" "$D/parkd"
cd "$D/parkd"
BUILD=$BIN scripts/run-demo.sh > "$D/run.log" 2>&1 || fail "the demo did not start"
grep -q "^final since" "$D/run.log" || fail "no final run"
[ -s var/report-$(($(date +%Y) - 1)).html ] || fail "no report"
if [ "$(id -u)" -eq 0 ]; then
	[ -L var/pg ] || fail "as root, var/pg should link to a reachable directory"
	grep -q "note: the postgres user cannot reach" "$D/run.log" ||
	    fail "the user was not told where PostgreSQL's files are"
	real=$(readlink -f var/pg)
fi
scripts/run-demo.sh stop > /dev/null
if [ -n "${real:-}" ]; then
	rm -rf var/pg "$real"	# what make stop leaves for the next make run
	[ ! -e "$real" ] || fail "$real left behind"
fi
echo "clone-test: ok (demo from a 0700 clone$( [ "$(id -u)" -eq 0 ] && echo ", PostgreSQL in $real"))"
