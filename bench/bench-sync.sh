#!/bin/bash
# bench-sync: rows per second of a firm-report push through parkd (parkctl
# sync over TLS, one transaction), beside psql's \copy of the same rows into
# the same table, in the same run on the same PostgreSQL. Then the same push
# again onto a table that holds every one of its rows already (an operator
# resending a year: every row an update), beside psql's own upsert of them
# (\copy into a temporary table, then one INSERT ... ON CONFLICT DO UPDATE),
# each starting from the same freshly copied table. Three rounds, medians,
# then "ratio sync_vs_copy R" and "ratio resync_vs_upsert R".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. bench/lib.sh
BUILD=${BUILD:-build}
FIRMS=${FIRMS:-50000}
QUARTERS=${QUARTERS:-20}
ROUNDS=${ROUNDS:-3}
# ROLE=operator pushes as the park's operator (row-level security checks
# every row's scope); the default, the bureau, is city-wide.
ROLE=${ROLE:-bureau}
ROWS=$((FIRMS * QUARTERS))
bench_start

echo "generating $ROWS rows ($FIRMS firms x $QUARTERS quarters)"
"$BUILD/bench/gen_sync" "$T" "$FIRMS" "$QUARTERS"
chmod 644 "$T"/*.copy "$T"/*.csv
"${PSQL[@]}" <<SQL
INSERT INTO parks (id, code, name, district, operator_name,
    operator_credit_code, operator_legal_person, staff_count, total_area,
    leading_industries, status, admitted_on)
VALUES (1, 'BENCH', '基准测试孵化基地', '崂山区', '基准运营公司',
    '91512081MA62K0260E', true, 20, 1000000000, '{I65}', 'admitted',
    '2020-06-01');
\\copy firms (id, credit_code, name, industry_code, registered_on) FROM '$T/firms.copy' CSV
\\copy tenancies (firm_id, park_id, entry_date, area) FROM '$T/tenancies.copy' CSV
SELECT setval('parks_id_seq', 1), setval('firms_id_seq', $FIRMS);
ANALYZE;
SQL
if [ "$ROLE" = operator ]; then
	"$BUILD/parkd" -c "$T/parkd.conf" --add-principal "$T/tls/bureau.crt" \
	    --role operator --park BENCH --name bench >/dev/null
else
	"$BUILD/parkd" -c "$T/parkd.conf" --add-principal "$T/tls/bureau.crt" \
	    --role bureau --name bench >/dev/null
fi

"$BUILD/parkd" -c "$T/parkd.conf" >>"$T/parkd.log" 2>&1 &
PIDS=$!
wait_port "$PORT" 30
write_parkctl_conf "$T/parkctl.conf" "127.0.0.1:$PORT" "$T/tls" bureau
export PARKCTL_CONFIG=$T/parkctl.conf

: > "$T/copy.rates"
: > "$T/sync.rates"
: > "$T/upsert.rates"
: > "$T/resync.rates"
COLS="firm_id, year, quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted"
# reload: the table as a first push leaves it, every row stored, untimed
reload() {
	"${PSQL[@]}" -c "TRUNCATE firm_reports" \
	    -c "\\copy firm_reports ($COLS) FROM '$T/reports.copy' CSV" \
	    -c "VACUUM ANALYZE firm_reports" -c "CHECKPOINT"
}
# rate T0 T1: rows per second
rate() {
	echo "$ROWS $1 $2" | awk '{ printf "%d\n", $1 / (($3 - $2) / 1e9) }'
}
for r in $(seq "$ROUNDS"); do
	"${PSQL[@]}" -c "TRUNCATE firm_reports; CHECKPOINT"
	t0=$(now)
	"${PSQL[@]}" -c "\\copy firm_reports (firm_id, year, quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted) FROM '$T/reports.copy' CSV"
	t1=$(now)
	n=$("${PSQL[@]}" -At -c "SELECT count(*) FROM firm_reports")
	[ "$n" -eq "$ROWS" ] || { echo "copy loaded $n rows" >&2; exit 1; }
	echo "$ROWS $t0 $t1" | awk '{ printf "%d\n", $1 / (($3 - $2) / 1e9) }' \
	    >> "$T/copy.rates"

	"${PSQL[@]}" -c "TRUNCATE firm_reports; CHECKPOINT"
	t0=$(now)
	"$BUILD/parkctl" --idempotency-key "bench-$r-$$" sync \
	    "$T/reports.csv" --kind firm_reports --park-code BENCH \
	    --refused "$T/refused.csv" ${CHUNK:+--chunk "$CHUNK"} 2>/dev/null
	t1=$(now)
	n=$("${PSQL[@]}" -At -c "SELECT count(*) FROM firm_reports")
	[ "$n" -eq "$ROWS" ] || { echo "parkd loaded $n rows" >&2; exit 1; }
	echo "$ROWS $t0 $t1" | awk '{ printf "%d\n", $1 / (($3 - $2) / 1e9) }' \
	    >> "$T/sync.rates"
	echo "round $r: copy $(tail -1 "$T/copy.rates") rows/s, parkd sync" \
	    "$(tail -1 "$T/sync.rates") rows/s"

	reload
	t0=$(now)
	"${PSQL[@]}" -c "CREATE TEMP TABLE s ($COLS) AS SELECT $COLS FROM
	    firm_reports LIMIT 0" \
	    -c "\\copy s ($COLS) FROM '$T/reports.copy' CSV" \
	    -c "INSERT INTO firm_reports ($COLS) SELECT $COLS FROM s
	    ON CONFLICT (firm_id, year, quarter) DO UPDATE SET
	    revenue = EXCLUDED.revenue, jobs = EXCLUDED.jobs,
	    graduate_jobs = EXCLUDED.graduate_jobs,
	    rnd_spend = EXCLUDED.rnd_spend, ip_granted = EXCLUDED.ip_granted,
	    version = firm_reports.version + 1, updated_at = now()"
	t1=$(now)
	n=$("${PSQL[@]}" -At -c "SELECT count(*) FROM firm_reports
	    WHERE version = 2")
	[ "$n" -eq "$ROWS" ] || { echo "upsert updated $n rows" >&2; exit 1; }
	rate "$t0" "$t1" >> "$T/upsert.rates"
	reload
	t0=$(now)
	"$BUILD/parkctl" --idempotency-key "bench-again-$r-$$" sync \
	    "$T/reports.csv" --kind firm_reports --park-code BENCH \
	    --refused "$T/refused.csv" ${CHUNK:+--chunk "$CHUNK"} 2>/dev/null
	t1=$(now)
	n=$("${PSQL[@]}" -At -c "SELECT count(*) FROM firm_reports
	    WHERE version = 2")
	[ "$n" -eq "$ROWS" ] || { echo "parkd updated $n rows" >&2; exit 1; }
	rate "$t0" "$t1" >> "$T/resync.rates"
	echo "round $r: upsert $(tail -1 "$T/upsert.rates") rows/s, parkd" \
	    "re-push $(tail -1 "$T/resync.rates") rows/s"
done
copy=$(median < "$T/copy.rates")
sync=$(median < "$T/sync.rates")
echo "rows $ROWS, rounds $ROUNDS (medians)"
echo "copy_rows_per_s $copy"
echo "sync_rows_per_s $sync"
upsert=$(median < "$T/upsert.rates")
resync=$(median < "$T/resync.rates")
echo "upsert_rows_per_s $upsert"
echo "resync_rows_per_s $resync"
echo "ratio sync_vs_copy $(echo "$sync $copy" | awk '{ printf "%.3f", $1 / $2 }')"
echo "ratio resync_vs_upsert $(echo "$resync $upsert" |
    awk '{ printf "%.3f", $1 / $2 }')"
