#!/bin/sh
# scripts/embed-sql.sh on small inputs: fragments plain and with arguments
# (defined before or after their use, one inside another), "-- planned
# per call", and the errors it must give (an unknown fragment, a missing
# argument, a fragment naming itself, a repeated name). Each run is bounded
# in time: a loop that does not end fails.
set -u
cd "$(dirname "$0")/.."
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0
run() {	# run NAME: embed $d/NAME.sql (-c) into $d/NAME.out; its status
	timeout 10 sh scripts/embed-sql.sh -c "$d/$1.sql" > "$d/$1.out" \
	    2> "$d/$1.err"
}
expect() {	# expect WHAT FILE TEXT: FILE holds TEXT
	if ! grep -qF -- "$3" "$2"; then
		echo "embed-sql-test: $1: no \"$3\" in:" >&2
		cat "$2" >&2
		fail=1
	fi
}

cat > "$d/ok.sql" <<'SQL'
-- fragment: pol
-- the policy of the year in @1
hash(@1) AS h, body(@1, @2) AS b
-- name: s_args
-- planned per call
SELECT @@pol($4,$5)@@, @@cols@@ FROM t;
-- name: s_plain
SELECT @@cols@@ FROM t WHERE "q" = '\x';
-- fragment: cols
a, b
-- fragment: outer
@@cols@@, @@pol($1,$2)@@
-- name: s_nested
SELECT @@outer@@;
SQL
if run ok; then
	expect args "$d/ok.out" '"SELECT hash($4) AS h, body($4, $5) AS b, a, b FROM t",'
	expect per-call "$d/ok.out" '1 },'
	expect plain "$d/ok.out" 'SELECT a, b FROM t WHERE \"q\" = '"'"'\\x'"'"'",'
	expect not-per-call "$d/ok.out" '0 },'
	expect nested "$d/ok.out" '"SELECT a, b, hash($1) AS h, body($1, $2) AS b",'
else
	echo "embed-sql-test: a good input failed (status $?):" >&2
	cat "$d/ok.err" >&2
	fail=1
fi

printf -- '-- name: s\nSELECT @@nope@@;\n' > "$d/unknown.sql"
run unknown && { echo "embed-sql-test: unknown fragment accepted" >&2; fail=1; }
expect unknown "$d/unknown.err" "no fragment nope"

printf -- '-- fragment: f\nx(@1, @2)\n-- name: s\nSELECT @@f($1)@@;\n' \
    > "$d/short.sql"
run short && { echo "embed-sql-test: missing argument accepted" >&2; fail=1; }
expect short "$d/short.err" "fragment f needs more arguments"

printf -- '-- fragment: f\nx @@f@@\n-- name: s\nSELECT @@f@@;\n' > "$d/loop.sql"
run loop && { echo "embed-sql-test: a fragment naming itself accepted" >&2; fail=1; }
expect loop "$d/loop.err" "fragments nested too deep"

printf -- '-- name: s\nSELECT 1;\n-- name: s\nSELECT 2;\n' > "$d/twice.sql"
run twice && { echo "embed-sql-test: repeated name accepted" >&2; fail=1; }
expect twice "$d/twice.err" "bad or repeated statement name s"

[ "$fail" -eq 0 ] && echo "embed-sql-test: ok"
exit "$fail"
