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

# The shipped policy, for the demo's chain: the year's approved declarations
# are scored, two qualitative indicators are scored by experts (the services
# dimension reweighted to keep 15 points), and the notice has no fixed
# length (it ends when the bureau makes the run final).
demo_policy() {
	sed -e 's/^name = "qingdao-2024";/name = "qingdao-2024-demo";/' \
	    -e 's/use_declarations = false;/use_declarations = true;/' \
	    -e 's/notice_working_days = 5;/notice_working_days = 0;/' \
	    -e 's/{ key = "services"; name = "创业服务人次"; weight = 5; floor = 50; target = 400; }/{ key = "services"; name = "创业服务人次"; weight = 1; floor = 50; target = 400; },\
            { key = "service_quality"; name = "服务质量（专家评审）"; weight = 2; expert = true; },\
            { key = "industry_focus"; name = "产业聚焦（专家评审）"; weight = 2; expert = true; }/' \
	    configs/policy/qingdao-2024.conf > "$1"
	for want in 'qingdao-2024-demo' 'use_declarations = true' \
	    'notice_working_days = 0' 'key = "industry_focus"'; do
		grep -q "$want" "$1" || { echo "demo policy: '$want' not set" >&2; return 1; }
	done
}

stop_all
pg_remove "$VAR/pg"
rm -rf "$VAR/parkctl.d" "$VAR/reviewers.txt" "$VAR/evidence"
mkdir -p "$VAR"
[ "$(id -u)" -eq 0 ] && chmod 755 "$VAR"
PGPORT=$(free_port)
echo "==> PostgreSQL on 127.0.0.1:$PGPORT (data in var/pg)"
pg_start "$VAR/pg" "$PGPORT"

echo "==> dev certificates in var/tls"
mkcerts "$VAR/tls" admin bureau viewer

echo "==> the demo's policy (var/policy-demo.conf: the shipped one, scoring"
echo "    approved declarations and two expert indicators, notice without a fixed length)"
demo_policy "$VAR/policy-demo.conf"
export POLICY=$VAR/policy-demo.conf

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
VAR=$VAR BUILD=$BUILD YEAR=$YEAR scripts/demo-chain.sh
echo
echo "parkd is running (pid $(cat "$VAR/parkd.pid"), 127.0.0.1:$PORT)."
HTTP=$(sed -n 's/^http_listen = "\(.*\)";/\1/p' "$VAR/parkd.conf")
echo "Health and metrics: http://$HTTP/healthz  http://$HTTP/metrics"
echo "Try:   PARKCTL_CONFIG=$VAR/parkctl.conf $BUILD/parkctl get-park --code QD-LS-004"
echo "Stop:  make stop"
