#!/bin/bash
# bench-eval: parkd's evaluation run over a national-scale data set (20,000
# parks, 1,000,000 firms, 4,000,000 quarterly reports) beside one SQL query
# that measures the same raw indicators (the query parkd itself runs), on
# the same PostgreSQL in the same run, and beside the floor: one statement
# that reads every row the evaluation reads once (a sum of one column of
# each input table: the year's and the previous year's firm reports,
# tenancies, firms, certifications, activities, park reports). The data set
# is generated once and kept under ./var/bench-eval. Three rounds, medians,
# then "ratio eval_vs_sql R" (parkd's run / its query) and
# "ratio eval_vs_scan R" (parkd's run / the one pass).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BUILD=${BUILD:-build}
PARKS=${PARKS:-20000}
FIRMS=${FIRMS:-1000000}
ROUNDS=${ROUNDS:-3}
YEAR=2025
D=$PWD/var/bench-eval
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" || true
	pg_stop "$D/pg"
}
trap cleanup EXIT
mkdir -p "$D"
[ "$(id -u)" -eq 0 ] && chmod 755 "$PWD/var" "$D"

PGPORT=$(free_port)
if [ -f "$D/pg/ready-v4-$PARKS-$FIRMS" ]; then
	echo "using the data set kept in var/bench-eval"
	pg_ctl_cmd "$D/pg" -l "$D/pg/postgres.log" -w -t 120 -o "-p $PGPORT \
-k $D/pg -c listen_addresses=127.0.0.1 -c shared_buffers=1GB \
-c work_mem=64MB" start >/dev/null
else
	rm -rf "$D/pg"
	pg_start "$D/pg" "$PGPORT" -c shared_buffers=1GB -c work_mem=64MB
fi
mkcerts "$D/tls" bureau
PORT=$(free_port)
write_conf "$D/parkd.conf" "$PORT" "$PGPORT" "$D/tls" 'log_level = "warn";' \
    'statement_timeout_ms = 3600000;' 'query_timeout_ms = 3600000;'
"$BUILD/parkd" -c "$D/parkd.conf" --add-principal "$D/tls/bureau.crt" \
    --role bureau --name bench >/dev/null 2>&1
PSQL=(as_pg "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1
    -p "$PGPORT" -U postgres -d parkd)

if [ ! -f "$D/pg/ready-v4-$PARKS-$FIRMS" ]; then
	echo "generating $PARKS parks, $FIRMS firms, $((FIRMS * 4)) reports (once)"
	"${PSQL[@]}" <<SQL
INSERT INTO parks (code, name, district, operator_name, operator_credit_code,
    operator_legal_person, staff_count, total_area, leading_industries,
    status, admitted_on)
SELECT 'N' || lpad(i::text, 6, '0'), '园区' || i, '区' || (i % 300),
    '运营' || i, '91512081MA62K0260E', i % 50 <> 0, 8 + i % 30,
    (2000 + i % 9000) * 100, '{I65,C39}', 'admitted', '2023-06-01'
FROM generate_series(1, $PARKS) i;
INSERT INTO firms (credit_code, name, industry_code, registered_on,
    tech_based, srdi)
SELECT 'F' || lpad(i::text, 17, '0'), '企业' || i, 'I651', '2023-01-01',
    i % 7 <> 0, i % 23 = 0
FROM generate_series(1, $FIRMS) i;
INSERT INTO tenancies (firm_id, park_id, entry_date, area)
SELECT f.id, 1 + f.id % $PARKS, date '2024-01-01' + (f.id % 700)::int, 10000
FROM firms f;
INSERT INTO firm_reports (firm_id, year, quarter, revenue, jobs,
    graduate_jobs, rnd_spend, ip_granted)
SELECT f.id, $YEAR, q, (f.id * 7919 + q * 104729) % 50000000, 1 + f.id % 40,
    f.id % 11, (f.id * 31) % 5000000, f.id % 3
FROM firms f, generate_series(1, 4) q;
INSERT INTO certifications (firm_id, kind, number, valid_from, valid_to)
SELECT id, 'high_tech', 'GR' || id, '2024-06-01', '2027-05-31'
FROM firms WHERE id % 20 = 0;
INSERT INTO activities (park_id, kind, date, title, participants)
SELECT p.id, CASE WHEN a % 3 = 0 AND NOT (p.id % 9 = 0 AND a = 6)
    THEN 'roadshow' ELSE 'salon' END,
    date '$YEAR-01-05' + (a * 30), '活动' || a, 20 + a
FROM parks p, generate_series(0, 11) a;
INSERT INTO park_reports (park_id, year, quarter, staff,
    services_delivered, interns_hosted)
SELECT p.id, $YEAR, q, p.staff_count, 100 + p.id % 300, p.id % 40
FROM parks p, generate_series(1, 4) q;
VACUUM ANALYZE;
SQL
	touch "$D/pg/ready-v4-$PARKS-$FIRMS"
fi

"$BUILD/parkd" -c "$D/parkd.conf" >>"$D/parkd.log" 2>&1 &
PID=$!
wait_port "$PORT" 60
write_parkctl_conf "$D/parkctl.conf" "127.0.0.1:$PORT" "$D/tls" bureau
export PARKCTL_CONFIG=$D/parkctl.conf
{
	# as parkd runs it (svc/eval/create.c): no JIT, no parallel workers,
	# no hash joins, custom plans (its park filter $6 = 0 folds away)
	printf "SET jit = off; SET max_parallel_workers_per_gather = 0; "
	printf "SET enable_hashjoin = off; SET plan_cache_mode = force_custom_plan;\n"
	printf 'PREPARE raw(int, date, date, text, text, bigint) AS\n'
	"$BUILD/parkd" --print-eval-query
	printf ';\nEXECUTE raw(%d, '"'"'%d-01-01'"'"', '"'"'%d-12-31'"'"', ' \
	    "$YEAR" "$YEAR" "$YEAR"
	printf "'incubation_base', 'D', 0);\n"
} > "$D/query.sql"
chmod 644 "$D/query.sql"

cat > "$D/scan.sql" <<SQL
SELECT (SELECT sum(revenue) FROM firm_reports
        WHERE year BETWEEN $((YEAR - 1)) AND $YEAR),
    (SELECT sum(area) FROM tenancies),
    (SELECT sum(srdi::int) FROM firms),
    (SELECT sum(valid_to - valid_from) FROM certifications),
    (SELECT sum(participants) FROM activities),
    (SELECT sum(services_delivered) FROM park_reports);
SQL
chmod 644 "$D/scan.sql"

: > "$D/scan.ms"
: > "$D/sql.ms"
: > "$D/eval.ms"
for r in $(seq "$ROUNDS"); do
	t0=$(now)
	"${PSQL[@]}" -o /dev/null -f "$D/scan.sql"
	t1=$(now)
	echo $(( (t1 - t0) / 1000000 )) >> "$D/scan.ms"
	t0=$(now)
	"${PSQL[@]}" -o /dev/null -f "$D/query.sql"
	t1=$(now)
	echo $(( (t1 - t0) / 1000000 )) >> "$D/sql.ms"
	t0=$(now)
	"$BUILD/parkctl" --json create-evaluation-run --year "$YEAR" \
	    > "$D/run.json"
	t1=$(now)
	echo $(( (t1 - t0) / 1000000 )) >> "$D/eval.ms"
	run=$(sed -n 's/^  "id": \([0-9]*\),/\1/p' "$D/run.json" | head -1)
	parks=$(sed -n 's/^  "parks": \([0-9]*\),/\1/p' "$D/run.json")
	[ "$parks" -eq "$PARKS" ] || { echo "run scored $parks parks" >&2; exit 1; }
	"$BUILD/parkctl" delete-evaluation-run --run-id "$run" >/dev/null
	echo "round $r: scan $(tail -1 "$D/scan.ms") ms, query" \
	    "$(tail -1 "$D/sql.ms") ms, parkd run" \
	    "$(tail -1 "$D/eval.ms") ms ($parks parks)"
done
scan=$(median < "$D/scan.ms")
sql=$(median < "$D/sql.ms")
ev=$(median < "$D/eval.ms")
echo "parks $PARKS, firms $FIRMS, reports $((FIRMS * 4)), rounds $ROUNDS (medians)"
echo "scan_ms $scan"
echo "sql_query_ms $sql"
echo "parkd_run_ms $ev"
echo "ratio eval_vs_sql $(echo "$ev $sql" | awk '{ printf "%.3f", $1 / $2 }')"
echo "ratio eval_vs_scan $(echo "$ev $scan" | awk '{ printf "%.3f", $1 / $2 }')"
