#!/bin/bash
# parkctl sync and export end to end against the running test parkd:
# CSV with a BOM and Chinese text, good and bad rows, the refused-rows file,
# a replay of the same file, and export of what was pushed.
set -euo pipefail
BIN=$1 T=$2
. scripts/lib.sh
export PARKCTL_CONFIG=$T/parkctl-opA.conf
write_parkctl_conf "$PARKCTL_CONFIG" "$PARKD_ADDR" "$T/tls" opA
fail() { echo "parkctl-sync: $*" >&2; exit 1; }
D=$T/csv
mkdir -p "$D"

# activities: 3 good rows, one unknown kind, one unreadable number
printf '\xEF\xBB\xBFkind,date,title,participants\n' > "$D/act.csv"
cat >> "$D/act.csv" <<CSV
roadshow,2026-07-02,"秋季项目路演, 第一场",45
salon,2026-07-09,创业沙龙,30
lecture,2026-07-16,"政策解读 ""新十条""",60
party,2026-07-20,联欢会,80
matchmaking,2026-07-23,投融资对接会,many
CSV
out=$("$BIN/parkctl" sync "$D/act.csv" --kind activities --park-code IT-A)
echo "$out"
echo "$out" | grep -q "5 rows: 3 applied, 0 updated, 2 refused" ||
    fail "unexpected summary"
[ -f "$D/act.csv.refused.csv" ] || fail "no refused-rows file"
grep -q "activity.kind" "$D/act.csv.refused.csv" || fail "kind not refused"
grep -q "participants: 'many'" "$D/act.csv.refused.csv" ||
    fail "unreadable row not refused"
[ "$(grep -c . "$D/act.csv.refused.csv")" -eq 3 ] || fail "refused rows"

# the same file again: replayed, nothing applied twice (an operator's park
# is implied by its certificate)
out=$("$BIN/parkctl" sync "$D/act.csv" --kind activities)
echo "$out" | grep -q "already pushed with this key" || fail "no replay"

# export gives the pushed rows back, Chinese and quotes intact
"$BIN/parkctl" export --kind activities --park-code IT-A --out "$D/exp.csv"
grep -q '"秋季项目路演, 第一场"' "$D/exp.csv" || fail "export lost a title"
grep -q '"政策解读 ""新十条"""' "$D/exp.csv" || fail "export lost quotes"

# an operator exports its own park only
if "$BIN/parkctl" export --kind activities --park-code IT-B >/dev/null \
    2>"$D/err"; then
	fail "opA exported IT-B"
fi
grep -q PERMISSION_DENIED "$D/err" || fail "no PERMISSION_DENIED for IT-B"

# a header without a required column is refused before anything is sent
printf 'kind,date\nsalon,2026-07-01\n' > "$D/bad.csv"
if "$BIN/parkctl" sync "$D/bad.csv" --kind activities --park-code IT-A \
    2>"$D/err"; then
	fail "a bad header was accepted"
fi
grep -q "no column 'title'" "$D/err" || fail "bad header message"

# firms, then their tenancies: the entry rules apply to every row
printf 'credit_code,name,industry_code,registered_on,tech_based,srdi\n' \
    > "$D/firms.csv"
echo '91350100M000100Y43,青岛推送测试科技有限公司,I651,2026-01-15,是,否' \
    >> "$D/firms.csv"
"$BIN/parkctl" sync "$D/firms.csv" --kind firms --park-code IT-A |
    grep -q "1 rows: 1 applied" || fail "firm push"
printf 'credit_code,entry_date,area_m2\n91350100M000100Y43,2026-02-01,1200\n' \
    > "$D/ten.csv"
"$BIN/parkctl" sync "$D/ten.csv" --kind tenancies --park-code IT-A |
    grep -q "1 refused" || fail "area cap not enforced"
grep -q "firm.area_cap" "$D/ten.csv.refused.csv" || fail "no area_cap rule"
printf 'credit_code,entry_date,area_m2\n91350100M000100Y43,2026-02-01,120.50\n' \
    > "$D/ten2.csv"
"$BIN/parkctl" sync "$D/ten2.csv" --kind tenancies --park-code IT-A |
    grep -q "1 rows: 1 applied" || fail "tenancy push"
"$BIN/parkctl" export --kind tenancies --park-code IT-A |
    grep -q '"91350100M000100Y43","2026-02-01","120.50"' ||
    fail "tenancy export"

# firm reports: yuan to fen exactly, the optional columns left out (their
# fields stay 0), and every column back from export as it went in
printf 'credit_code,year,quarter,revenue_yuan,jobs\n' > "$D/rep.csv"
echo '91350100M000100Y43,2026,1,"1,234.56",7' >> "$D/rep.csv"
"$BIN/parkctl" sync "$D/rep.csv" --kind firm_reports --park-code IT-A |
    grep -q "1 rows: 1 applied" || fail "report push"
"$BIN/parkctl" export --kind firm_reports --park-code IT-A |
    grep -q '"91350100M000100Y43","2026","1","1234.56","7","0","0.00","0"' ||
    fail "firm report export"
"$BIN/parkctl" export --kind firms --park-code IT-A |
    grep -q '"91350100M000100Y43","青岛推送测试科技有限公司","I651","2026-01-15","true","false"' ||
    fail "firm export"
echo "parkctl-sync: ok"
