#!/bin/bash
# The evaluation chain of last year for make run's demo city, through
# parkctl as each person would run it: every park's annual declaration
# (two returned by their district and corrected), three experts' scores
# (one declares a conflict), the run, its public notice with one operator's
# objection answered, the final run and the bureau's report.
#
# Called by run-demo.sh with VAR, BUILD and YEAR set, parkd running with
# the demo policy (scripts/run-demo.sh: declarations scored, two expert
# indicators, a notice without a fixed length).
set -euo pipefail
. scripts/lib.sh
CTL=$BUILD/parkctl
TLS=$VAR/tls
CONFS=$VAR/parkctl.d
mkdir -p "$CONFS" "$VAR/evidence"

# as NAME: parkctl with NAME's certificate (a config in var/parkctl.d)
as() {
	c=$CONFS/$1.conf
	[ -f "$c" ] || write_parkctl_conf "$c" "$(sed -n 's/^server = "\(.*\)";/\1/p' \
	    "$VAR/parkctl.conf")" "$TLS" "$1"
	shift
	PARKCTL_CONFIG=$c "$CTL" "$@"
}

"$CTL" declaration status --year "$YEAR" > "$VAR/decl-status-before.txt"
PARKS=$(awk '$1 ~ /^QD-/ { print $1 }' "$VAR/decl-status-before.txt")
DISTRICTS=$(awk '$1 ~ /^QD-/ { print $2 }' "$VAR/decl-status-before.txt" | sort -u)
n_parks=$(echo "$PARKS" | wc -w)

echo "==> district reviewers and experts (parkctl add-principal)"
i=0
for dist in $DISTRICTS; do
	i=$((i + 1))
	mkcerts "$TLS" "rv$i"
	echo "$dist rv$i" >> "$VAR/reviewers.txt"
	as admin add-principal --name "rv$i" --role district --district "$dist" \
	    --cert_pem "@$TLS/rv$i.crt" > /dev/null
done
for e in ex1 ex2 ex3; do
	mkcerts "$TLS" "$e"
	as admin add-principal --name "$e" --role expert \
	    --cert_pem "@$TLS/$e.crt" > /dev/null
done
reviewer() { awk -v d="$1" '$1 == d { print $2 }' "$VAR/reviewers.txt"; }
district_of() { awk -v p="$1" '$1 == p { print $2 }' "$VAR/decl-status-before.txt"; }
echo "$i district reviewers, 3 experts"

echo "==> $YEAR declarations: assembled, commitment letter attached, submitted ($n_parks parks)"
for p in $PARKS; do
	printf '%s 年度绩效评估申报承诺书\n本单位承诺所报数据真实、准确、完整。\n' \
	    "$p $YEAR" > "$VAR/evidence/$p-承诺书.txt"
	"$CTL" declaration assemble "$p" --year "$YEAR" > /dev/null
	"$CTL" declaration attach "$p" --year "$YEAR" --kind commitment_letter \
	    --media-type text/plain "$VAR/evidence/$p-承诺书.txt" > /dev/null
	"$CTL" declaration submit "$p" --year "$YEAR" > /dev/null
done
RETURNED=$(echo "$PARKS" | head -2)
echo "==> district review: two returned with a comment, corrected, resubmitted"
for p in $PARKS; do
	r=$(reviewer "$(district_of "$p")")
	if echo "$RETURNED" | grep -qx "$p"; then
		as "$r" declaration return "$p" --year "$YEAR" \
		    --comment "第四季度在孵企业营业收入与税务数据不一致，请核对后重新申报。" > /dev/null
		echo "  $p returned by $r"
	else
		as "$r" declaration approve "$p" --year "$YEAR" --comment "同意。" > /dev/null
	fi
done
for p in $RETURNED; do
	"$CTL" declaration assemble "$p" --year "$YEAR" > /dev/null
	"$CTL" declaration submit "$p" --year "$YEAR" > /dev/null
	as "$(reviewer "$(district_of "$p")")" declaration approve "$p" --year "$YEAR" \
	    --comment "已更正，同意。" > /dev/null
	echo "  $p corrected and approved"
done
"$CTL" declaration status --year "$YEAR" | head -14
"$CTL" declaration show "$(echo "$RETURNED" | head -1)" --year "$YEAR" | tail -8

echo "==> expert scores (3 experts per park; ex3 declares a conflict with one)"
CONFLICT=$(echo "$PARKS" | sed -n 3p)
k=0
for p in $PARKS; do
	k=$((k + 1))
	for e in ex1 ex2 ex3; do
		"$CTL" assign-expert --expert "$e" --park_code "$p" --year "$YEAR" > /dev/null
	done
	as ex1 expert score "$p" --year "$YEAR" --comment "服务体系较完善。" \
	    service_quality=$((60 + k % 35)).5 industry_focus=$((55 + k * 7 % 40)) > /dev/null
	as ex2 expert score "$p" --year "$YEAR" --comment "产业方向明确。" \
	    service_quality=$((65 + k * 3 % 30)) industry_focus=$((60 + k * 5 % 35)).25 > /dev/null
	if [ "$p" = "$CONFLICT" ]; then
		as ex3 declare-conflict --park_code "$p" --year "$YEAR" \
		    --reason "本人曾任该园区运营机构顾问" > /dev/null
	else
		as ex3 expert score "$p" --year "$YEAR" --comment "双创氛围良好。" \
		    service_quality=$((70 + k * 11 % 25)) industry_focus=$((58 + k * 13 % 37)) > /dev/null
	fi
done
"$CTL" expert scores "$CONFLICT" --year "$YEAR"

echo
echo "==> the $YEAR evaluation (parkctl eval run --year $YEAR)"
"$CTL" eval run --year "$YEAR" --top 20 | tee "$VAR/eval.txt"
RUN=$(sed -n 's/^evaluation run \([0-9]*\) .*/\1/p' "$VAR/eval.txt")
echo "==> published: its public notice opens (parkctl eval publish $RUN)"
"$CTL" eval publish "$RUN" | grep -v '^grades\|^subsidy'
OBJ_PARK=$(echo "$PARKS" | sed -n 4p)
mkcerts "$TLS" op1
as admin add-principal --name "op1" --role operator --park_code "$OBJ_PARK" \
    --cert_pem "@$TLS/op1.crt" > /dev/null
echo "==> $OBJ_PARK's operator objects; the bureau answers"
printf '%s 第三季度路演签到表\n' "$OBJ_PARK" > "$VAR/evidence/$OBJ_PARK-签到表.txt"
as op1 eval object "$RUN" --park "$OBJ_PARK" --file "$VAR/evidence/$OBJ_PARK-签到表.txt" \
    "第三季度路演活动记录遗漏一次，附活动照片及签到表，请复核。" | tee "$VAR/objection.txt"
OBJ=$(sed -n 's/^objection \([0-9]*\) .*/\1/p' "$VAR/objection.txt")
"$CTL" eval answer "$OBJ" "经核实，该次路演已计入申报数据，评估结果不变。" > /dev/null
"$CTL" eval objections "$RUN"
echo "==> final (parkctl eval finalize $RUN): the 不合格 parks are warned now"
"$CTL" eval finalize "$RUN" | grep -v '^grades\|^subsidy'
"$CTL" eval report "$RUN" --html "$VAR/report-$YEAR.html"
"$CTL" eval export "$RUN" --csv "$VAR/eval-$YEAR.csv"
echo "One park explained: $CTL eval show $RUN --park $OBJ_PARK"
echo "The bureau's report: $VAR/report-$YEAR.html"
