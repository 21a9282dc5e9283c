#!/bin/bash
# bench-serve: parkd's serving rate beside PostgreSQL's own, in one run on
# one throwaway PostgreSQL. For a read mix (GetPark, GetFirm, ListTenancies
# of one park, GetEvaluationResult in turn) and a write mix (PutFirmReport),
# at 1, 16 and 64 connections: bench/loadgen over persistent mutual-TLS
# connections, and two ceilings with the same client counts: pgbench -M
# prepared running exactly parkd's statements (taken from
# daemon/store/sql/), and bench/tlsecho, parkd's own transport (daemon/core,
# its configuration) answering at once with no work (read mix only). The
# ceiling's p99 is a statement's, from a second pgbench run that logs each
# one. ROUNDS rounds of SECONDS seconds, medians; a table, an SVG plot
# (var/bench-serve.svg), then "ratio read16_vs_pgbench R" and "ratio
# write16_vs_pgbench R", and each mix's p99 at 16 beside pgbench's, and
# the read rate at 16 beside the two ceilings in series (pgbench's and the
# TLS echo's: what a server adding nothing to either would reach).
# Requests and statements are counted alike: one read request is one
# statement. PROFILE="cmd" runs "cmd PARKD_PID" beside each parkd
# measurement, its output in var/profile.MIX.CONNS.ROUND (e.g.
# PROFILE="timeout 3 strace -c -f -p").
# A/B: B_BUILD=DIR (another build's parkd) and/or B_CONF="key=value; ..."
# (lines without spaces) start a second parkd, B, on the same database;
# each round measures B beside A (B first in even rounds), and the run ends
# with B's rate over A's, round by round and their median: this machine
# drifts 10-20 % within minutes, so a change is judged against the code
# without it in the same minute, not against yesterday's table.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. bench/lib.sh
BUILD=${BUILD:-build}
FIRMS=${FIRMS:-2000}
ROUNDS=${ROUNDS:-3}
SECONDS_EACH=${SECONDS_EACH:-5}
CONNS=${CONNS:-"1 16 64"}
DEPTH=${DEPTH:-1}
MIXES=${MIXES:-"read write"}
bench_start 'max_connections = 12000;' 'max_per_address = 12000;' \
    'idle_timeout = 3600;' \
    'max_inflight = 64;' ${PARKD_CONF:-}
FIRM=91350100M000100Y43
"${PSQL[@]}" <<SQL
INSERT INTO parks (code, name, district, operator_name, operator_credit_code,
    operator_legal_person, staff_count, total_area, leading_industries,
    status, admitted_on)
VALUES ('BENCH', '基准测试孵化基地', '崂山区', '基准运营公司',
    '91512081MA62K0260E', true, 20, 1000000000, '{I65}', 'admitted',
    '2020-06-01');
INSERT INTO firms (credit_code, name, industry_code, registered_on)
SELECT CASE WHEN i = 1 THEN '$FIRM' ELSE '9' || lpad(i::text, 17, '0') END,
    '基准企业' || i, 'I651', '2020-01-01'
FROM generate_series(1, $FIRMS) i;
INSERT INTO tenancies (firm_id, park_id, entry_date, area)
SELECT f.id, p.id, '2021-01-01', 1000 FROM firms f, parks p;
INSERT INTO firm_reports (firm_id, year, quarter, revenue, jobs)
SELECT f.id, y, q, 100000, 10
FROM firms f, generate_series(2024, 2025) y, generate_series(1, 4) q;
ANALYZE;
SQL
"$BUILD/parkd" -c "$T/parkd.conf" --add-principal "$T/tls/bureau.crt" \
    --role bureau --name bench >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$BUILD/parkd" -c "$T/parkd.conf" >>"$T/parkd.log" 2>&1 &
PARKD_PID=$!
PIDS="$PIDS $!"
wait_port "$PORT" 30
BPORT=
if [ -n "${B_BUILD:-}${B_CONF:-}" ]; then
	BPORT=$(free_port)
	cp "$T/parkd.conf" "$T/parkd-b.conf"
	# shellcheck disable=SC2086 # B_CONF is lines without spaces
	conf_lines "$T/parkd-b.conf" "listen = \"127.0.0.1:$BPORT\";" \
	    "http_listen = \"127.0.0.1:$(free_port)\";" ${B_CONF:-}
	"${B_BUILD:-$BUILD}/parkd" -c "$T/parkd-b.conf" >>"$T/parkd-b.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$BPORT" 30
fi
write_parkctl_conf "$T/parkctl.conf" "127.0.0.1:$PORT" "$T/tls" bureau
PARKCTL_CONFIG=$T/parkctl.conf "$BUILD/parkctl" eval run --year 2025 \
    >/dev/null
RUN=$("${PSQL[@]}" -At -c "SELECT max(id) FROM evaluation_runs")

# stmt NAME: statement NAME exactly as parkd prepares it.
stmt() {
	"$BUILD/parkd" --print-sql "$1"
}
# pgbench_script NAME...: the statements, $N as :s<i>_N. pgbench takes any
# ":word" for a variable, also inside a string: the timestamps' format
# separates minutes and seconds with "-" there (the same to_char work).
pgbench_script() {
	i=0
	for s in "$@"; do
		i=$((i + 1))
		stmt "$s" | sed -E -e 's/:MI:SS/-MI-SS/g' -e 's/:report:/-report-/g' \
		    -e "s/\\\$([0-9]+)/:s${i}_\\1/g"
	done
}
# The read mix: statement i's parameters are :si_N. pgbench takes no empty
# variable: parkd's '' parameters are literals there (which lets
# PostgreSQL fold "$2 = ''": if anything, the ceiling gains). For the
# ceiling's latency each statement is a script of its own (read1..4.sql),
# which pgbench picks at random in equal shares: a transaction is then a
# statement, and its logged latency a statement's, as loadgen's is a
# request's. Its rate is measured on all four in one script (read.sql),
# without the log: the split and the log cost pgbench 3-10 % of it.
i=0
for s in park_get_by_code firm_get_by_code tenancy_park_page_20 \
    eval_result_get; do
	i=$((i + 1))
	pgbench_script "$s" | sed -E -e "s/:s1_/:s${i}_/g" \
	    -e "s/:s3_([23])([^0-9]|$)/''\2/g" > "$T/read$i.sql"
done
cat "$T"/read[1-4].sql > "$T/read.sql"
# the write mix spreads over 5 years x 4 quarters of one firm, as loadgen's
{ echo '\set s1_7 random(2021, 2025)'; echo '\set s1_8 random(1, 4)'
  pgbench_script facts_report_put |
    sed -E "s/:s1_4([^0-9]|$)/''\1/g"; } > "$T/write.sql"
chmod 644 "$T"/*.sql
mkdir -m 777 "$T/pglog"
READ_VARS=(-D s1_1=BENCH -D s2_1="$FIRM" -D s2_2=0
    -D s3_1=BENCH -D s3_4=0 -D s3_5=0
    -D s4_1="$RUN" -D s4_2=BENCH -D s4_3=f)
WRITE_VARS=(-D s1_1=0 -D s1_2=bench -D s1_3=PutFirmReport
    -D s1_5="$FIRM" -D s1_6=0 -D s1_9=100000
    -D s1_10=10 -D s1_11=0 -D s1_12=0 -D s1_13=0)

# The ceiling's sessions are set as parkd's: its read connections start no
# parallel workers and plan with read_plan_cache_mode (auto unless
# PARKD_CONF says), its others keep PostgreSQL's defaults.
# PGBENCH_READ_PLAN=auto measures against a ceiling that re-plans instead.
READ_PLAN=auto
case "${PARKD_CONF:-}" in
*read_plan_cache_mode*)
	READ_PLAN=$(echo "$PARKD_CONF" |
	    sed -E 's/.*read_plan_cache_mode = "([a-z_]+)".*/\1/') ;;
esac
READ_PLAN=${PGBENCH_READ_PLAN:-$READ_PLAN}

# pgbench_run MIX CONNS [ARG...]: pgbench on MIX's statements, its output
# in $T/pgbench.out.
pgbench_run() {
	local mix=$1 c=$2 vars opts=
	shift 2
	if [ "$mix" = read ]; then vars=("${READ_VARS[@]}")
		opts="-c max_parallel_workers_per_gather=0"
		opts="$opts -c plan_cache_mode=$READ_PLAN"
	else vars=("${WRITE_VARS[@]}"); fi
	if ! as_pg env PGOPTIONS="$opts" "$(pg_bindir)/pgbench" -n -M prepared \
	    -h 127.0.0.1 -p "$PGPORT" -U parkd -c "$c" -j 2 \
	    -T "$SECONDS_EACH" "$@" "${vars[@]}" parkd > "$T/pgbench.out" 2>&1
	then
		cat "$T/pgbench.out" >&2
		exit 1
	fi
}
# pgbench_rate MIX CONNS: statements per second.
pgbench_rate() {
	local per=1
	[ "$1" = read ] && per=4
	pgbench_run "$1" "$2" -f "$T/$1.sql"
	awk -v per="$per" '/^tps = / { printf "%d\n", $3 * per }' \
	    "$T/pgbench.out"
}
# pgbench_p99 MIX CONNS: the p99 of a statement's latency (us), from
# pgbench's log of every transaction (client, number, latency, ...).
pgbench_p99() {
	local f scripts=(-f "$T/write.sql")
	[ "$1" = read ] && { scripts=(); for f in 1 2 3 4; do
		scripts+=(-f "$T/read$f.sql"); done; }
	rm -f "$T"/pglog/*
	pgbench_run "$1" "$2" -l --log-prefix="$T/pglog/tx" "${scripts[@]}"
	cat "$T"/pglog/* | awk '{ print $3 }' | sort -n | awk '
	{ v[NR] = $1 }
	END { i = int(NR * 0.99); if (i < 1) i = 1; print v[i] + 0 }'
}
# parkd_rate MIX CONNS [PORT]: "rps p50 p99" of loadgen.
parkd_rate() {
	"$BUILD/bench/loadgen" -a "127.0.0.1:${3:-$PORT}" -t "$T/tls" -n bureau \
	    -c "$2" -d "$DEPTH" -s "$SECONDS_EACH" -m "$1" -p BENCH -f "$FIRM" \
	    -r "$RUN" | awk '{ print $10, $12, $14 }'
}

# b_rate MIX CONNS: B's rate into $T/b.MIX.CONNS (nothing without a B).
b_rate() {
	[ -n "$BPORT" ] || return 0
	set -- "$1" "$2" $(parkd_rate "$1" "$2" "$BPORT")
	echo "$3" >> "$T/b.$1.$2"
}

EPORT=$(free_port)
"$BUILD/bench/tlsecho" "$EPORT" "$T/parkd.conf" 400 &
PIDS="$! $PIDS"
wait_port "$EPORT" 10

echo "firms $FIRMS, run $RUN, $ROUNDS rounds of $SECONDS_EACH s, depth $DEPTH," \
    "pgbench's reads plan_cache_mode=$READ_PLAN"
for mix in $MIXES; do
	for c in $CONNS; do
		: > "$T/p.$mix.$c"; : > "$T/g.$mix.$c"; : > "$T/l.$mix.$c"
		: > "$T/gl.$mix.$c"
		: > "$T/e.$mix.$c"
		: > "$T/b.$mix.$c"
		for r in $(seq "$ROUNDS"); do
			[ $((r % 2)) = 1 ] || b_rate "$mix" "$c"
			# PROFILE="cmd": run "cmd PID" beside each parkd
			# measurement (e.g. PROFILE="timeout 3 strace -c -p")
			if [ -n "${PROFILE:-}" ]; then
				{ sleep 1; $PROFILE "$PARKD_PID" \
				    > "var/profile.$mix.$c.$r" 2>&1; } &
				PROF=$!
			fi
			set -- $(parkd_rate "$mix" "$c")
			[ -z "${PROFILE:-}" ] || wait "$PROF" || true
			echo "$1" >> "$T/p.$mix.$c"
			echo "$3" >> "$T/l.$mix.$c"
			[ $((r % 2)) = 0 ] || b_rate "$mix" "$c"
			if [ -n "${PROFILE:-}" ]; then
				{ sleep 1; $PROFILE "$PARKD_PID" \
				    > "var/profile.pgbench.$mix.$c.$r" 2>&1; } &
				PROF=$!
			fi
			pgbench_rate "$mix" "$c" >> "$T/g.$mix.$c"
			pgbench_p99 "$mix" "$c" >> "$T/gl.$mix.$c"
			[ -z "${PROFILE:-}" ] || wait "$PROF" || true
			if [ "$mix" = read ]; then
				set -- $(parkd_rate read "$c" "$EPORT")
				echo "$1" >> "$T/e.$mix.$c"
			else
				echo - >> "$T/e.$mix.$c"
			fi
		done
	done
done

printf '\n%-6s %6s %12s %10s %12s %10s %11s %7s\n' mix conns parkd_rps \
    p99_us pgbench_sps p99_us tls_echo ratio
: > "$T/plot"
for mix in $MIXES; do
	for c in $CONNS; do
		p=$(median < "$T/p.$mix.$c")
		l=$(median < "$T/l.$mix.$c")
		g=$(median < "$T/g.$mix.$c")
		gl=$(median < "$T/gl.$mix.$c")
		e=$(median < "$T/e.$mix.$c")
		ratio=$(echo "$p $g" | awk '{ printf "%.3f", $2 ? $1 / $2 : 0 }')
		printf '%-6s %6s %12s %10s %12s %10s %11s %7s\n' "$mix" "$c" \
		    "$p" "$l" "$g" "$gl" "$e" "$ratio"
		echo "$mix $c $p $l $g" >> "$T/plot"
		if [ -n "$BPORT" ]; then
			paste "$T/p.$mix.$c" "$T/b.$mix.$c" |
			    awk '{ printf "%.3f\n", $1 ? $2 / $1 : 0 }' > "$T/ab.r"
			echo "ab $mix$c: B/A by round" $(cat "$T/ab.r") \
			    "median $(median < "$T/ab.r")" >> "$T/ab"
		fi
		[ "$c" = 16 ] && { echo "ratio ${mix}16_vs_pgbench $ratio"
		    echo "p99 ${mix}16 parkd $l us, pgbench $gl us"; } \
		    >> "$T/ratios"
		# A server in front of PostgreSQL pays both its transport and
		# the statement: the two ceilings in series (1 / (1/pgbench +
		# 1/tls_echo)), each round's, are the rate a server that added
		# nothing to them would reach on this machine.
		if [ "$mix" = read ] && [ "$c" = 16 ]; then
			paste "$T/g.$mix.$c" "$T/e.$mix.$c" | awk '$1 > 0 && $2 > 0 {
			    printf "%d\n", 1 / (1 / $1 + 1 / $2) }' > "$T/series"
			s=$(median < "$T/series")
			[ -z "$s" ] || echo "$s $p" | awk '{ printf "series read16:" \
			    " pgbench and tls_echo in series %d req/s, parkd %.3f" \
			    " of it\n", $1, $2 / $1 }' >> "$T/ratios"
		fi
	done
done

# Idle connections: IDLE mutual-TLS connections held open (one WhoAmI each)
# in CYCLES rounds. parkd's RSS before, while open and after each close
# (what each costs, and whether memory comes back), and the 16-connection
# read rate while the first round is open (the median of ROUNDS rounds)
# against the median of ROUNDS rounds just before it opens and ROUNDS just
# after it closes.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$PARKD_PID/status"; }
if [ "${IDLE:-10000}" -gt 0 ]; then
	IDLE=${IDLE:-10000}
	sleep 2
	rss0=$(rss_kb)
	: > "$T/rss.after"
	# the rate to compare with: ROUNDS rounds just before the first
	# round of connections opens and ROUNDS just after it closes (this
	# machine's own rate drifts within a minute)
	: > "$T/p.ref"
	: > "$T/p.open"
	read_rounds() {	# read_rounds FILE: ROUNDS read16 rates into FILE
		local f=$1 r
		for r in $(seq "$ROUNDS"); do
			set -- $(parkd_rate read 16)
			echo "$1" >> "$f"
		done
	}
	read_rounds "$T/p.ref"
	for cyc in $(seq "${CYCLES:-4}"); do
		mkfifo "$T/idle.out"
		"$BUILD/bench/idleconns" -a "127.0.0.1:$PORT" -t "$T/tls" \
		    -n bureau -c "$IDLE" > "$T/idle.out" &
		IPID=$!
		read -r _ opened secs < "$T/idle.out"
		if [ "$cyc" = 1 ]; then
			rss_open=$(rss_kb)
			read_rounds "$T/p.open"
		fi
		kill -USR1 "$IPID"
		wait "$IPID"
		rm -f "$T/idle.out"
		sleep 2		# parkd returns memory at its next janitor pass
		rss_kb >> "$T/rss.after"
		echo "idle cycle $cyc: $opened connections opened in ${secs} s" \
		    "rss after close $(tail -1 "$T/rss.after") KB"
		[ "$cyc" = 1 ] && read_rounds "$T/p.ref"
	done
	idle_rate=$(median < "$T/p.open")
	read16=$(median < "$T/p.ref")
	awk -v n="$opened" -v r0="$rss0" -v ro="$rss_open" -v ir="$idle_rate" \
	    -v base="$read16" '
	NR == 1 { first = $1 } { last = $1 }
	END {
		printf "idle %d conns: %.1f KB each (rss %d KB before, %d KB " \
		    "open)\n", n, (ro - r0) / n, r0, ro
		if (base > 0)
			printf "read16 while open: %d req/s, %.1f%% below %d\n",
			    ir, 100 * (base - ir) / base, base
		printf "rss after %d cycles: %d KB, first %d KB (%+.1f%%)\n",
		    NR, last, first, 100 * (last - first) / first
		printf "ratio idle_kb_per_conn %.1f\n", (ro - r0) / n \
		    > "/dev/stderr"
	}' "$T/rss.after" 2>> "$T/ratios"
fi

# throughput (parkd solid, pgbench dashed) and p99 against connections
mkdir -p var
awk -v conns="$CONNS" '
BEGIN { n = split(conns, cs, " "); W = 640; H = 360; L = 60; B = 40 }
{ p[$1, $2] = $3; l[$1, $2] = $4; g[$1, $2] = $5
  if ($3 > max) max = $3; if ($5 > max) max = $5
  if ($4 > lmax) lmax = $4 }
function x(i) { return L + (i - 1) * (W - L - 20) / (n > 1 ? n - 1 : 1) }
function y(v, m) { return H - B - v * (H - B - 20) / (m ? m : 1) }
function line(mix, arr, m, color, dash,    i, s) {
	s = ""
	for (i = 1; i <= n; i++)
		s = s sprintf("%.1f,%.1f ", x(i), y(arr[mix, cs[i]], m))
	printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" %s " \
	    "points=\"%s\"/>\n", color, dash, s
}
END {
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" " \
	    "height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
	printf "<text x=\"%d\" y=\"14\">requests (statements) per second; " \
	    "max %d; p99 on its own scale (grey)</text>\n", L, max
	for (i = 1; i <= n; i++)
		printf "<text x=\"%.1f\" y=\"%d\">%s</text>\n", x(i) - 6, H - 20,
		    cs[i]
	printf "<text x=\"%d\" y=\"%d\">connections</text>\n", W / 2, H - 4
	line("read", p, max, "#3b7dd8", ""); line("read", g, max, "#3b7dd8",
	    "stroke-dasharray=\"6 4\"")
	line("write", p, max, "#d8873b", ""); line("write", g, max, "#d8873b",
	    "stroke-dasharray=\"6 4\"")
	line("read", l, lmax, "#999999", "stroke-dasharray=\"2 3\"")
	line("write", l, lmax, "#bbbbbb", "stroke-dasharray=\"2 3\"")
	printf "<text x=\"%d\" y=\"32\" fill=\"#3b7dd8\">read</text>" \
	    "<text x=\"%d\" y=\"32\" fill=\"#d8873b\">write</text>" \
	    "<text x=\"%d\" y=\"32\">solid parkd, dashed pgbench</text>\n",
	    L, L + 40, L + 90
	print "</svg>"
}' "$T/plot" > var/bench-serve.svg
echo
echo "plot: var/bench-serve.svg"
[ -z "$BPORT" ] || cat "$T/ab"
cat "$T/ratios"
