#!/bin/bash
# parkctl as a person uses it (issue 12), against the running test parkd:
# yuan and m2 in and out (and the wire's units with --raw), a park's dates in
# order, what an upload and the policy list print, JSON ending in a newline,
# the bash completion script.
set -euo pipefail
BIN=$1 T=$2
. scripts/lib.sh
export PARKCTL_CONFIG=$T/parkctl-cli.conf
write_parkctl_conf "$PARKCTL_CONFIG" "$PARKD_ADDR" "$T/tls" bureau
ADMIN=$T/parkctl-cli-admin.conf
write_parkctl_conf "$ADMIN" "$PARKD_ADDR" "$T/tls" admin
PSQL=(as_pg "$(pg_bindir)/psql" -X -At -d "$PARKD_DSN")
fail() { echo "parkctl-cli: $*" >&2; exit 1; }
ctl() { "$BIN/parkctl" "$@"; }
park() {
	ctl create-park --code "$1" --name 青岛命令行测试创业孵化基地 --district 市北区 \
	    --operator-name 青岛命令行测试有限公司 --operator-credit-code 91512081MA62K0260E \
	    --operator-legal-person true --staff-count 12 --leading-industries I65 \
	    --status admitted "${@:2}"
}

# area in m2 in, m2 out; the wire keeps m2 x 100
out=$(park CL-A --total-area 20000.5 --admitted-on 2024-01-01)
echo "$out" | grep -q "^total_area_m2 *20000.50$" || fail "area not shown in m2: $out"
[ "$("${PSQL[@]}" -c "SELECT total_area FROM parks WHERE code = 'CL-A'")" = 2000050 ] ||
    fail "area not stored as m2 x 100"
ctl --raw get-park --code CL-A | grep -q "^total_area *2000050$" || fail "--raw"
ctl get-park --code CL-A | grep -q "^total_area_m2 *20000.50$" || fail "get-park"
park CL-X --total-area 12.345 >/dev/null 2>&1 && fail "three decimals taken"
# the application date follows an earlier admission, not today
[ "$("${PSQL[@]}" -c "SELECT applied_on FROM parks WHERE code = 'CL-A'")" = 2024-01-01 ] ||
    fail "applied_on is not the admission date"
# dates out of order: refused, naming them
if err=$(park CL-B --total-area 100 --applied-on 2024-05-01 --admitted-on 2024-01-01 2>&1); then
	fail "an application after the admission was taken"
fi
echo "$err" | grep -q "park.dates" || fail "no park.dates violation: $err"
if err=$(ctl warn-park --park-code CL-A --date 2023-06-01 --reason 测试 2>&1); then
	fail "a warning before the admission was taken"
fi
echo "$err" | grep -q "is after warned_on 2023-06-01" ||
    fail "the order of dates not named: $err"

# money in yuan, exactly; a flag named fen is fen
ctl set-evaluation-budget --year 2030 --amount-yuan 4500000.05 | grep -q "^amount_yuan *4500000.05$" ||
    fail "budget not shown in yuan"
[ "$("${PSQL[@]}" -c "SELECT amount FROM evaluation_budgets WHERE year = 2030")" = 450000005 ] ||
    fail "budget not stored in fen"
ctl set-evaluation-budget --year 2030 --amount-fen 100 >/dev/null
[ "$("${PSQL[@]}" -c "SELECT amount FROM evaluation_budgets WHERE year = 2030")" = 100 ] ||
    fail "--amount-fen is not fen"

# an upload prints what was stored; the list shows the years
sed -e 's/^name = "qingdao-2024";/name = "cli-2030";/' \
    -e 's/^years = \[2024, 2026\];/years = [2030, 2031];/' \
    configs/policy/qingdao-2024.conf > "$T/cli-2030.conf"
out=$(PARKCTL_CONFIG=$ADMIN ctl upload-policy --body "@$T/cli-2030.conf")
echo "$out" | grep -q "^policy cli-2030 stored, sha256 [0-9a-f]\{64\}$" || fail "upload: $out"
echo "$out" | grep -q "^active for: 2030 2031$" || fail "upload years: $out"
echo "$out" | grep -q "evaluation:" && fail "upload echoed the document"
ctl list-policies | grep "cli-2030" | grep -q "2030,2031" || fail "list-policies years"

# decisions in bulk: row by row, then all or nothing
park CL-C --total-area 100 --admitted-on 2024-01-01 >/dev/null
park CL-D --total-area 100 --admitted-on 2024-01-01 >/dev/null
cat > "$T/decide.csv" <<CSV
decision,subject,rule,date,reason
warn-park,CL-C,,,"评估不合格，予以警告"
fly,CL-C,,,
exit-firm,91370000MA0000000X,firm.graduate.revenue,,
CSV
if out=$(ctl decide "$T/decide.csv"); then fail "decide with refused rows exited 0"; fi
echo "$out" | grep -q "3 rows: 1 applied, 2 refused" || fail "decide: $out"
[ "$("${PSQL[@]}" -c "SELECT status FROM parks WHERE code = 'CL-C'")" = warned ] ||
    fail "the good row was not applied"
[ "$(wc -l < "$T/decide.csv.refused.csv")" -eq 3 ] || fail "refused file rows"
grep -q "fly.*is not a decision" "$T/decide.csv.refused.csv" || fail "no reason for fly"
cat > "$T/decide2.csv" <<CSV
decision,subject,reason
warn-park,CL-D,"不合格"
warn-park,CL-C,"again: it is already warned"
CSV
if out=$(ctl decide "$T/decide2.csv" --all-or-nothing); then
	fail "all or nothing with a bad row exited 0"
fi
echo "$out" | grep -q "nothing applied" || fail "all-or-nothing: $out"
[ "$("${PSQL[@]}" -c "SELECT status FROM parks WHERE code = 'CL-D'")" = admitted ] ||
    fail "all or nothing applied a row"
grep -q "CL-C.*the park is warned" "$T/decide2.csv.refused.csv" || fail "all-or-nothing reason"
ctl sweep --csv "$T/sweep.csv" | grep -q "proposals of" || fail "sweep --csv"
head -1 "$T/sweep.csv" | grep -q "^kind,rule,subject,park_code,date,detail$" ||
    fail "sweep csv header"

# eval show RUN --park CODE: one park's result, its money in yuan with
# thousands separators, one table row per indicator of the run (the final
# run of 2021 is tests/integration/eval_it.c's)
run=$("${PSQL[@]}" -c "SELECT id FROM evaluation_runs WHERE status = 'final' \
AND year = 2021")
[ -n "$run" ] || fail "no final run of 2021 to show"
IFS='|' read -r pk rank paid nind < <("${PSQL[@]}" -c "SELECT park_code, rank, \
to_char(subsidy / 100, 'FM999,999,990') || '.' || lpad((subsidy % 100)::text, 2, '0'), \
cardinality(raw) FROM evaluation_results WHERE run_id = $run ORDER BY position \
LIMIT 1")
out=$(ctl eval show "$run" --park "$pk")
echo "$out" | grep -q "^$pk .*: rank $rank, score " || fail "eval show: $out"
echo "$out" | grep -qx "paid: $paid yuan" || fail "eval show paid $paid: $out"
[ "$(echo "$out" | grep -cE ' (yuan|%|points|[a-z_]+) +[0-9.,-]+ +[0-9]+ +[0-9.,-]+ *$')" \
    = "$nind" ] || fail "eval show: not $nind indicator rows: $out"

# JSON ends with a newline
[ "$(ctl --json get-park --code CL-A | tail -c 1 | od -An -c | tr -d ' ')" = '\n' ] ||
    fail "JSON without a final newline"
# the completion script is valid bash and completes a command
ctl completion bash > "$T/completion.bash"
bash -c ". $T/completion.bash; COMP_WORDS=(parkctl set-evaluation-bu); COMP_CWORD=1;
    _parkctl; [ \"\${COMPREPLY[*]}\" = set-evaluation-budget ]" || fail "completion"
echo "parkctl-cli: ok"
