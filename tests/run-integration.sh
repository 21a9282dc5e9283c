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
cleanup() {
	for p in $(cat "$T"/p*.pid 2>/dev/null); do
		kill -9 "$p" 2>/dev/null || true
	done
	pg_stop "$T/pg"
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

PGPORT=$(free_port)
pg_start "$T/pg" "$PGPORT" -c fsync=off -c synchronous_commit=off
mkcerts "$T/tls" admin bureau opA opB viewer nobody scA scB scGone gone \
    evA evB dcA dcB rvPD rvJZ ex1 ex2 ex3 ex4
# A client certificate from a CA parkd does not trust.
mkcerts "$T/rogue" rogue

cp configs/policy/qingdao-2024.conf "$T/policy.conf"
export POLICY=$T/policy.conf PARKD_POLICY=$T/policy.conf
P1=$(free_port)
P2=$((P1 + 1))
while port_used "$P2" || (exec 3<>/dev/tcp/127.0.0.1/$P2) 2>/dev/null; do
	P2=$((P2 + 1))
done
write_conf "$T/p1.conf" "$P1" "$PGPORT" "$T/tls" 'auth_cache_seconds = 0;' \
    'max_inflight = 8;' 'max_frame_size = 1048576;' 'read_timeout = 2;' \
    'handshake_timeout = 1;' 'evidence_max_kb = 64;' \
    'declaration_evidence_max_mb = 1;'
# parkd #2 plans its pipelined reads once per connection (the suite's reads
# through it check the answers of generic plans; #1 keeps the default)
write_conf "$T/p2.conf" "$P2" "$PGPORT" "$T/tls" 'auth_cache_seconds = 0;' \
    'max_decode_memory_mb = 16;' 'max_connections = 200;' \
    'max_per_address = 100;' 'query_timeout_ms = 3000;' \
    'evidence_max_kb = 64;' 'declaration_evidence_max_mb = 1;' \
    'read_plan_cache_mode = "force_generic_plan";'

"$BIN/parkd" -c "$T/p1.conf" --check-config >/dev/null
"$BIN/parkd" -c "$T/p1.conf" --migrate
"$BIN/parkd" -c "$T/p1.conf" --add-principal "$T/tls/admin.crt" --role admin \
    --name admin >/dev/null
"$BIN/parkd" -c "$T/p1.conf" --add-principal "$T/tls/bureau.crt" \
    --role bureau --name 人社局 >/dev/null

# start.sh N: start parkd #N in the background; its pid goes to pN.pid and
# its exit status, when it ends, to pN.log as "exit=STATUS". The tests call
# it again to restart #1 after killing it with SIGKILL.
cat > "$T/start.sh" <<START
#!/bin/bash
cd "$PWD"
. scripts/lib.sh
n=\$1
port=\$(sed -n 's/^listen = "127.0.0.1:\\([0-9]*\\)";/\\1/p' "$T/p\$n.conf")
"$T/run.sh" "\$n" &
wait_port "\$port" 30
START
cat > "$T/run.sh" <<RUN
#!/bin/bash
"$BIN/parkd" -c "$T/p\$1.conf" >>"$T/p\$1.log" 2>&1 &
echo \$! > "$T/p\$1.pid"
wait \$!
echo "exit=\$?" >>"$T/p\$1.log"
RUN
chmod +x "$T/start.sh" "$T/run.sh"
"$T/start.sh" 1 </dev/null >/dev/null 2>&1 || { cat "$T/p1.log"; exit 1; }
"$T/start.sh" 2 </dev/null >/dev/null 2>&1 || { cat "$T/p2.log"; exit 1; }

export PARKD_ADDR=127.0.0.1:$P1 PARKD_ADDR2=127.0.0.1:$P2 PARKD_TLS=$T/tls
export PARKD_ROGUE=$T/rogue PARKD_PIDFILE=$T/p1.pid PARKD_CONF=$T/p1.conf
export PARKD_LOG=$T/p1.log
export PARKD_RESTART="$T/start.sh 1 </dev/null >/dev/null 2>&1"
export PARKD_DSN="hostaddr=127.0.0.1 port=$PGPORT dbname=parkd user=postgres"
# parkd's own role: row-level security applies to it
export PARKD_APP_DSN="hostaddr=127.0.0.1 port=$PGPORT dbname=parkd user=parkd"
export PARKD_PG_STOP="bash -c '. scripts/lib.sh; pg_ctl_cmd $T/pg -m fast -w stop >/dev/null'"
# SIGSTOP / SIGCONT of the postmaster and every backend: a hung database.
export PARKD_PG_FREEZE="bash -c '. scripts/lib.sh; pg_signal $T/pg STOP'"
export PARKD_PG_THAW="bash -c '. scripts/lib.sh; pg_signal $T/pg CONT'"
export PARKD_HTTP2=127.0.0.1:$(sed -n 's/^http_listen = "127.0.0.1:\([0-9]*\)";/\1/p' "$T/p2.conf")
export PARKD_PG_START="bash -c '. scripts/lib.sh; pg_ctl_cmd $T/pg -l $T/pg/postgres.log -w -o \"-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null'"

rc=0
# bounded: a test stuck behind a lock must not hang the suite
timeout 900 "$BIN/tests/integration" || rc=$?

# /healthz and /metrics of parkd #2 over plain HTTP on loopback.
HP=$(sed -n 's/^http_listen = "127.0.0.1:\([0-9]*\)";/\1/p' "$T/p2.conf")
http_get() {
	exec 3<>"/dev/tcp/127.0.0.1/$HP"
	printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3
	cat <&3
	exec 3<&-
}
# (PostgreSQL was restarted by the last test: the probe reconnects first)
for _ in $(seq 100); do
	h=$(http_get /healthz)
	echo "$h" | head -1 | grep -q " 200 " && break
	sleep 0.1
done
echo "$h" | head -1 | grep -q " 200 " && echo "$h" | grep -q '^ok' ||
    { echo "healthz: $h" >&2; rc=1; }
m=$(http_get /metrics)
echo "$m" | grep -q 'parkd_requests_total{method="GetPark",code="OK"} [1-9]' &&
    echo "$m" | grep -q 'parkd_db_connections{state="healthy"} [1-9]' ||
    { echo "metrics: $m" >&2; rc=1; }
echo "http: /healthz and /metrics ok"

# A client that offers only TLS 1.2 (parkd wants 1.3): the log says why,
# not "no client certificate presented" (it had one).
echo | openssl s_client -connect "127.0.0.1:$P1" -tls1_2 -cert "$T/tls/bureau.crt" \
    -key "$T/tls/bureau.key" >/dev/null 2>&1 || true
sleep 0.3
last=$(grep 'reason="handshake failed' "$T/p1.log" | tail -1)
if ! echo "$last" | grep -q "unsupported protocol"; then
	echo "TLS 1.2 refusal logged as: $last" >&2
	rc=1
fi
echo "tls: $last"

# parkctl end to end: CSV files with a BOM and Chinese text, good and bad
# rows, the refused-rows file, a replay, and export.
if ! tests/parkctl-sync.sh "$BIN" "$T"; then
	echo "parkctl sync test failed" >&2
	rc=1
fi

# parkctl's units for people, dates in order, upload and list output.
if ! tests/parkctl-cli.sh "$BIN" "$T"; then
	echo "parkctl cli test failed" >&2
	rc=1
fi

# The evaluation report as a person sees it (headless Chromium).
if ! tests/report-test.sh "$BIN" "$T"; then
	echo "report test failed" >&2
	rc=1
fi

# Two parkd behind HAProxy (TCP mode; health from each one's /healthz): a
# client's connections spread over both (tests/integration/lb_it.c).
H1=$(sed -n 's/^http_listen = "127.0.0.1:\([0-9]*\)";/\1/p' "$T/p1.conf")
LBP=$(free_port)
cat > "$T/haproxy.cfg" <<HAP
global
	maxconn 256
defaults
	mode tcp
	timeout connect 2s
	timeout client 60s
	timeout server 60s
frontend parkd
	bind 127.0.0.1:$LBP
	default_backend parkds
backend parkds
	balance roundrobin
	option httpchk GET /healthz
	server p1 127.0.0.1:$P1 check port $H1 inter 1s
	server p2 127.0.0.1:$P2 check port $HP inter 1s
HAP
haproxy -f "$T/haproxy.cfg" -db > "$T/haproxy.log" 2>&1 &
echo $! > "$T/px.pid"
wait_port "$LBP" 10
sleep 1.5	# both servers seen up by their first checks
if ! PARKD_LB=127.0.0.1:$LBP "$BIN/tests/integration" lb; then
	echo "load-balancer test failed" >&2
	cat "$T/haproxy.log" >&2
	rc=1
fi
kill "$(cat "$T/px.pid")" 2>/dev/null || true

# A hot standby of the suite's PostgreSQL (pg_basebackup, streaming) and a
# third parkd reading from it (tests/integration/replica_it.c).
SPORT=$(free_port)
mkdir -p "$T/standby"
chown postgres: "$T/standby" 2>/dev/null || true
as_pg "$(pg_bindir)/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -U postgres \
    -D "$T/standby/data" -R -X stream -c fast
pg_ctl_cmd "$T/standby" -l "$T/standby/postgres.log" -w -t 60 \
    -o "-p $SPORT -k $T/standby -c listen_addresses=127.0.0.1" start \
    >/dev/null
cat > "$T/stop-standby.sh" <<STOP
#!/bin/bash
cd "$PWD"
. scripts/lib.sh
pg_ctl_cmd "$T/standby" -m immediate -w stop >/dev/null
STOP
chmod +x "$T/stop-standby.sh"
P3=$(free_port)
write_conf "$T/p3.conf" "$P3" "$PGPORT" "$T/tls" \
    "read_replicas = [ \"hostaddr=127.0.0.1 port=$SPORT dbname=parkd user=parkd\" ];" \
    'replica_max_lag_ms = 1000;'
"$T/start.sh" 3 </dev/null >/dev/null 2>&1 || { cat "$T/p3.log"; exit 1; }
H3=$(sed -n 's/^http_listen = "127.0.0.1:\([0-9]*\)";/\1/p' "$T/p3.conf")
if ! PARKD_ADDR3=127.0.0.1:$P3 PARKD_HTTP3=127.0.0.1:$H3 \
    PARKD_STANDBY_DSN="hostaddr=127.0.0.1 port=$SPORT dbname=parkd user=postgres" \
    PARKD_STANDBY_STOP="$T/stop-standby.sh" \
    "$BIN/tests/integration" replica; then
	echo "read replica test failed" >&2
	tail -20 "$T/p3.log" >&2
	rc=1
fi
kill -TERM "$(cat "$T/p3.pid")" 2>/dev/null || true
pg_stop "$T/standby"

# Graceful shutdown: requests in flight are answered, exit status 0.
"$BIN/tests/integration" drain || rc=$?
# (parkd #1 got its SIGTERM from the drain test.)
kill -TERM "$(cat "$T/p2.pid")"
for n in 1 2; do
	for _ in $(seq 300); do
		kill -0 "$(cat "$T/p$n.pid")" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.2
	last=$(grep '^exit=' "$T/p$n.log" | tail -1)
	if [ "$last" != "exit=0" ]; then
		echo "parkd #$n ended with '$last' after SIGTERM, not exit=0" >&2
		rc=1
	fi
done

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
