#!/bin/bash
# make run: a throwaway PostgreSQL under ./var, dev certificates, parkd, the
# demo city loaded through parkctl, and a summary. `make stop` ends it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
VAR=$PWD/var
BUILD=${BUILD:-build}

stop_all() {
	if [ -f "$VAR/parkd.pid" ] && kill -0 "$(cat "$VAR/parkd.pid")" 2>/dev/null; then
		kill -TERM "$(cat "$VAR/parkd.pid")"
		for _ in $(seq 50); do
			kill -0 "$(cat "$VAR/parkd.pid")" 2>/dev/null || break
			sleep 0.1
		done
	fi
	rm -f "$VAR/parkd.pid"
	pg_stop "$VAR/pg"
}

if [ "${1:-}" = stop ]; then
	stop_all
	echo "parkd and its PostgreSQL are stopped."
	exit 0
fi

stop_all
rm -rf "$VAR/pg"
mkdir -p "$VAR"
[ "$(id -u)" -eq 0 ] && chmod 755 "$VAR"
PGPORT=$(free_port)
echo "==> PostgreSQL on 127.0.0.1:$PGPORT (data in var/pg)"
pg_start "$VAR/pg" "$PGPORT"

echo "==> dev certificates in var/tls"
mkcerts "$VAR/tls" admin bureau viewer

PORT=7443
(exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && PORT=$(free_port)
write_conf "$VAR/parkd.conf" "$PORT" "$PGPORT" "$VAR/tls"
write_parkctl_conf "$VAR/parkctl.conf" "127.0.0.1:$PORT" "$VAR/tls" bureau
export PARKCTL_CONFIG=$VAR/parkctl.conf

echo "==> principals (parkd --add-principal)"
"$BUILD/parkd" -c "$VAR/parkd.conf" --add-principal "$VAR/tls/admin.crt" \
    --role admin --name "demo admin"
"$BUILD/parkd" -c "$VAR/parkd.conf" --add-principal "$VAR/tls/bureau.crt" \
    --role bureau --name "青岛市人社局 (demo)"
"$BUILD/parkd" -c "$VAR/parkd.conf" --add-principal "$VAR/tls/viewer.crt" \
    --role viewer --name "dashboard (demo)"

echo "==> starting parkd on 127.0.0.1:$PORT (log in var/parkd.log)"
"$BUILD/parkd" -c "$VAR/parkd.conf" >>"$VAR/parkd.log" 2>&1 &
echo $! > "$VAR/parkd.pid"
wait_port "$PORT" 30 || { tail -20 "$VAR/parkd.log"; exit 1; }

echo "==> loading the demo city (parkctl demo-data)"
"$BUILD/parkctl" demo-data
echo
echo "==> parks and firms by district (parkctl summary)"
"$BUILD/parkctl" summary
echo
echo "==> the parks of 崂山区 (parkctl list-parks --district 崂山区)"
"$BUILD/parkctl" list-parks --district 崂山区
echo
echo "==> what the rules propose today (parkctl run-sweep)"
"$BUILD/parkctl" run-sweep > "$VAR/sweep.txt"
head -25 "$VAR/sweep.txt"
echo "... proposals by kind:"
awk '$1 ~ /^(graduate|clear|park|certificate)$/ { n[$1]++ } END { for (k in n) printf "  %-12s %d\n", k, n[k] }' \
    "$VAR/sweep.txt" | sort
echo "(full list in var/sweep.txt; decisions are separate calls: exit-firm, warn-park, exit-park)"
echo
YEAR=$(($(date +%Y) - 1))
echo "==> the $YEAR evaluation (parkctl eval run --year $YEAR)"
"$BUILD/parkctl" eval run --year "$YEAR" --top 20 | tee "$VAR/eval.txt"
RUN=$(sed -n 's/^evaluation run \([0-9]*\) .*/\1/p' "$VAR/eval.txt")
"$BUILD/parkctl" eval report "$RUN" --html "$VAR/report-$YEAR.html"
"$BUILD/parkctl" eval export "$RUN" --csv "$VAR/eval-$YEAR.csv"
echo "One park explained: $BUILD/parkctl eval show $RUN --park <code>"
echo "Publish it (warns the 不合格 parks): $BUILD/parkctl eval publish $RUN"
echo "The bureau's report: $VAR/report-$YEAR.html"
echo
echo "parkd is running (pid $(cat "$VAR/parkd.pid"), 127.0.0.1:$PORT)."
HTTP=$(sed -n 's/^http_listen = "\(.*\)";/\1/p' "$VAR/parkd.conf")
echo "Health and metrics: http://$HTTP/healthz  http://$HTTP/metrics"
echo "Try:   PARKCTL_CONFIG=$VAR/parkctl.conf $BUILD/parkctl get-park --code QD-LS-004"
echo "Stop:  make stop"
