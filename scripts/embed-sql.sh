#!/bin/sh
# Turn daemon/store/sql/*.sql into C: "-h" writes the header (an enum of
# statement ids), "-c" the table of names and texts. In the files, each
# statement starts with a line "-- name: NAME" (lower case, [a-z0-9_]);
# comment lines ("--" first) are documentation and left out; the text ends
# at the next "-- name:" or the end of the file, without its final ";".
set -eu
mode=$1
shift
awk -v mode="$mode" '
BEGIN { n = 0 }
function flush() {
	if (name == "")
		return
	sub(/[ \t\n]*;?[ \t\n]*$/, "", text)
	if (text == "") {
		printf "%s: statement %s is empty\n", FILENAME, name > "/dev/stderr"
		exit 1
	}
	names[n] = name
	texts[n] = text
	n++
	name = ""
	text = ""
}
/^-- name: / {
	flush()
	name = $3
	if (name !~ /^[a-z0-9_]+$/ || (name in seen)) {
		printf "%s:%d: bad or repeated statement name %s\n", FILENAME,
		    FNR, name > "/dev/stderr"
		exit 1
	}
	seen[name] = 1
	next
}
/^[ \t]*--/ { next }
/^[ \t]*$/ { next }
{
	if (name == "") {
		printf "%s:%d: SQL before the first -- name:\n", FILENAME,
		    FNR > "/dev/stderr"
		exit 1
	}
	line = $0
	gsub(/\\/, "\\\\", line)
	gsub(/"/, "\\\"", line)
	text = text (text == "" ? "" : "\n") line
}
END {
	flush()
	print "/* Generated from daemon/store/sql/ by scripts/embed-sql.sh. */"
	if (mode == "-h") {
		print "#ifndef PARKD_SQL_H"
		print "#define PARKD_SQL_H"
		print "enum sql_id {"
		for (i = 0; i < n; i++)
			printf "\tSQL_%s,\n", toupper(names[i])
		print "\tSQL_COUNT"
		print "};"
		print "struct dbpool_stmt;"
		print "extern const struct dbpool_stmt sql_stmts[];"
		print "#endif"
		exit 0
	}
	print "#include \"core/core.h\""
	print "#include \"parkd_sql.h\""
	print "const struct dbpool_stmt sql_stmts[] = {"
	for (i = 0; i < n; i++) {
		printf "\t{ \"%s\",\n", names[i]
		m = split(texts[i], ls, "\n")
		for (j = 1; j <= m; j++)
			printf "\t    \"%s%s\"\n", ls[j], j < m ? "\\n" : ""
		print "\t},"
	}
	print "\t{ NULL, NULL }"
	print "};"
}' "$@"
