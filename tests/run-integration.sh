#!/bin/bash
# Integration suite: a throwaway PostgreSQL (unprivileged user, free port,
# temp dir), dev certificates, two parkd on one database, driven through
# libparkc by tests/integration/integration.c. Everything is stopped at the
# end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BUILD=${1:-build}
BIN=$PWD/$BUILD
T=$(mktemp -d /tmp/parkd-it.XXXXXX)
chmod 755 "$T"
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	pg_stop "$T/pg"
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

PGPORT=$(free_port)
pg_start "$T/pg" "$PGPORT" -c fsync=off -c synchronous_commit=off
mkcerts "$T/tls" admin bureau opA opB viewer nobody
# A client certificate from a CA parkd does not trust.
mkcerts "$T/rogue" rogue

cp configs/policy/qingdao-2024.conf "$T/policy.conf"
export POLICY=$T/policy.conf PARKD_POLICY=$T/policy.conf
P1=$(free_port)
P2=$((P1 + 1))
while (exec 3<>/dev/tcp/127.0.0.1/$P2) 2>/dev/null; do P2=$((P2 + 1)); done
write_conf "$T/p1.conf" "$P1" "$PGPORT" "$T/tls" 'auth_cache_seconds = 0;' \
    'max_inflight = 8;' 'max_frame_size = 1048576;' 'read_timeout = 2;' \
    'handshake_timeout = 1;'
write_conf "$T/p2.conf" "$P2" "$PGPORT" "$T/tls" 'auth_cache_seconds = 0;'

"$BIN/parkd" -c "$T/p1.conf" --check-config >/dev/null
"$BIN/parkd" -c "$T/p1.conf" --migrate
"$BIN/parkd" -c "$T/p1.conf" --add-principal "$T/tls/admin.crt" --role admin \
    --name admin >/dev/null
"$BIN/parkd" -c "$T/p1.conf" --add-principal "$T/tls/bureau.crt" \
    --role bureau --name 人社局 >/dev/null

start_parkd() {
	"$BIN/parkd" -c "$1" >>"$2" 2>&1 &
	PIDS+=($!)
	LASTPID=$!
	wait_port "$3" 30 || { cat "$2"; exit 1; }
}
start_parkd "$T/p1.conf" "$T/p1.log" "$P1"; PID1=$LASTPID
start_parkd "$T/p2.conf" "$T/p2.log" "$P2"; PID2=$LASTPID

export PARKD_ADDR=127.0.0.1:$P1 PARKD_ADDR2=127.0.0.1:$P2 PARKD_TLS=$T/tls
export PARKD_ROGUE=$T/rogue PARKD_PID=$PID1 PARKD_CONF=$T/p1.conf
export PARKD_DSN="hostaddr=127.0.0.1 port=$PGPORT dbname=parkd user=postgres"
export PARKD_PG_STOP="bash -c '. scripts/lib.sh; pg_ctl_cmd $T/pg -m fast -w stop >/dev/null'"
export PARKD_PG_START="bash -c '. scripts/lib.sh; pg_ctl_cmd $T/pg -l $T/pg/postgres.log -w -o \"-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null'"

rc=0
"$BIN/tests/integration" || rc=$?

# Graceful shutdown: requests in flight are answered, exit status 0.
"$BIN/tests/integration" drain || rc=$?
# (parkd #1 already got its SIGTERM from the drain test.)
kill -TERM "$PID2"
for pid in $PID1 $PID2; do
	st=0
	wait "$pid" || st=$?
	if [ $st -ne 0 ]; then
		echo "parkd pid $pid exited $st after SIGTERM, not 0" >&2
		rc=1
	fi
done
PIDS=()

# Sanitizer reports anywhere in the daemon logs fail the suite.
if grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" \
    "$T/p1.log" "$T/p2.log"; then
	echo "sanitizer report in parkd logs" >&2
	rc=1
fi
grep -q "shutting down" "$T/p1.log" || { echo "no shutdown in log" >&2; rc=1; }
if [ $rc -ne 0 ]; then
	echo "---- p1.log (tail)"; tail -40 "$T/p1.log"
fi
exit $rc
