#!/bin/bash
# The bureau's HTML report, tested as a person sees it: headless Chromium
# renders it, takes a screenshot, and the rendered DOM must hold every chart,
# the Chinese headings, and the run's numbers (checked against PostgreSQL).
set -euo pipefail
BIN=$1 T=$2
. scripts/lib.sh
export PARKCTL_CONFIG=$T/parkctl-bureau.conf
write_parkctl_conf "$PARKCTL_CONFIG" "$PARKD_ADDR2" "$T/tls" bureau
fail() { echo "report-test: $*" >&2; exit 1; }
PSQL=(as_pg "$(pg_bindir)/psql" -X -At -d "$PARKD_DSN")

# the final run of 2021 (tests/integration/eval_it.c): expert scores, an
# objection answered, and 2020's final run to compare with
run=$("${PSQL[@]}" -c "SELECT id FROM evaluation_runs WHERE status = 'final' \
AND year = 2021")
[ -n "$run" ] || fail "no final run of 2021"
"$BIN/parkctl" eval report "$run" --html "$T/report.html" >/dev/null
"$BIN/parkctl" eval export "$run" --csv "$T/report.csv" >/dev/null

CHROME=(chromium --headless --no-sandbox --disable-gpu --disable-quic
    --no-first-run --disable-background-networking --disable-component-update
    --disable-sync --user-data-dir="$T/chromium")
timeout 120 "${CHROME[@]}" --window-size=1280,2000 \
    --screenshot="$T/report.png" "file://$T/report.html" >/dev/null 2>&1 || true
[ -s "$T/report.png" ] || fail "no screenshot"
[ "$(stat -c %s "$T/report.png")" -gt 20000 ] || fail "blank screenshot"
timeout 120 "${CHROME[@]}" --dump-dom "file://$T/report.html" \
    > "$T/dom.html" 2>/dev/null || true
[ -s "$T/dom.html" ] || fail "chromium rendered nothing"

for h in 年度创业孵化基地绩效评估报告 等级分布 补贴总额与预算 \
    城市目标完成情况 排名与补贴 各园区分项得分 专家评分 公示异议及答复 \
    与上年比较; do
	grep -q "$h" "$T/dom.html" || fail "heading $h missing"
done
for c in chart-grades chart-budget chart-targets; do
	grep -q "<svg id=\"$c\"" "$T/dom.html" || fail "chart $c missing"
done
[ "$(grep -o 'class="bar"' "$T/dom.html" | wc -l)" -ge 15 ] ||
    fail "too few bars"

# the numbers are the run's: total, every park's subsidy, grade counts
total=$("${PSQL[@]}" -c "SELECT total FROM evaluation_runs WHERE id = $run")
grep -q "data-total-fen=\"$total\"" "$T/dom.html" || fail "total differs"
"${PSQL[@]}" -c "SELECT park_code || ' ' || subsidy FROM \
evaluation_results WHERE run_id = $run ORDER BY position" > "$T/want.txt"
sed -n 's/.*<tr data-park="\([^"]*\)" data-subsidy-fen="\([0-9]*\)".*/\1 \2/p' \
    "$T/dom.html" > "$T/got.txt"
diff "$T/want.txt" "$T/got.txt" >/dev/null || fail "subsidies differ"
for g in A B C D; do
	n=$("${PSQL[@]}" -c "SELECT count(*) FROM evaluation_results WHERE \
run_id = $run AND grade = '$g'")
	grep -q "$g $n 个" "$T/dom.html" || fail "grade $g count differs"
done
rows=$("${PSQL[@]}" -c "SELECT count(*) FROM evaluation_results WHERE \
run_id = $run")
# every park by dimension; the expert's scores; the objection and answer;
# last year's score of a park that took part in both
[ "$(grep -c '<tr data-dims=' "$T/dom.html")" -eq "$rows" ] ||
    fail "dimension rows"
grep -q 'ex4</td><td>industry_focus 70.00；service_quality 80.00' \
    "$T/dom.html" || fail "expert scores"
grep -q '专家评分未计入第四季度服务记录' "$T/dom.html" || fail "objection"
grep -q '维持原结果' "$T/dom.html" || fail "answer"
prev=$("${PSQL[@]}" -c "SELECT er.total_cp FROM evaluation_results er JOIN \
evaluation_runs ru ON ru.id = er.run_id WHERE ru.year = 2020 AND ru.status = \
'final' AND er.park_code = 'EV-A'")
prevtxt=$(printf '%d.%02d' $((prev / 100)) $((prev % 100)))
grep -q "<tr data-previous=\"EV-A\"><td>EV-A</td><td class=\"num\">$prevtxt</td>" \
    "$T/dom.html" || fail "previous year"
[ "$(($(wc -l < "$T/report.csv") - 1))" -eq "$rows" ] || fail "csv rows"
echo "report-test: ok ($rows parks, screenshot $(stat -c %s "$T/report.png") bytes)"
