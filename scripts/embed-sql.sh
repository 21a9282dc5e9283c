#!/bin/sh
# Turn daemon/store/sql/*.sql into C: "-h" writes the header (an enum of
# statement ids), "-c" the table of names and texts. In the files, each
# statement starts with a line "-- name: NAME" (lower case, [a-z0-9_]);
# comment lines ("--" first) are documentation and left out; the text ends
# at the next "-- name:" or the end of the file, without its final ";".
# A block after "-- fragment: NAME" is no statement: "@@NAME@@" in a
# statement stands for it (the column lists that several statements
# return), so one list serves them all; "@@NAME(A,B)@@" puts A for "@1"
# and B for "@2" in it (a parameter's number, say); a fragment may name
# other fragments. A fragment with the comment line "-- pages: 20 100
# 1000" makes a statement of each page size, NAME_20 (@1 is 21, the page
# and one more row: "LIMIT @1"), NAME_100 and NAME_1000 (rpc/page.c says
# why a list has them), each planned per call if the fragment is. A
# statement with the
# comment line "-- planned per call" is sent as text, not prepared
# (core/dbconn.c, db_send_stmt): PostgreSQL plans it for each call's
# parameters.
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
		printf "%s: %s is empty\n", FILENAME, name > "/dev/stderr"
		exit 1
	}
	if (frag) {
		frags[name] = text
		np = split(pages, sizes, " ")
		if (pc && np == 0) {
			printf "%s: fragment %s is planned per call but makes no " \
			    "statement\n", FILENAME, name > "/dev/stderr"
			exit 1
		}
		for (i = 1; i <= np; i++) {
			names[n] = name "_" sizes[i]
			texts[n] = "@@" name "(" (sizes[i] + 1) ")@@"
			percall[n] = pc
			n++
		}
	} else {
		names[n] = name
		texts[n] = text
		percall[n] = pc
		n++
	}
	name = ""
	text = ""
	pc = 0
	pages = ""
}
# Put the fragments in: "@@NAME@@" for fragment NAME, "@@NAME(A,B)@@"
# for it with "@1" in its text replaced by A, "@2" by B (up to 9). A
# fragment may name others, up to 8 deep.
function expand(t, s, depth,    k, out, f, args, na, i, at, len) {
	if (depth > 8) {
		printf "statement %s: fragments nested too deep\n", s > "/dev/stderr"
		exit 1
	}
	out = ""
	while (match(t, /@@[a-z0-9_]+(\([^()@]*\))?@@/)) {
		at = RSTART
		len = RLENGTH
		k = substr(t, at + 2, len - 4)
		na = 0
		if (index(k, "(") > 0) {
			na = split(substr(k, index(k, "(") + 1,
			    length(k) - index(k, "(") - 1), args, ",")
			k = substr(k, 1, index(k, "(") - 1)
		}
		if (!(k in frags)) {
			printf "statement %s: no fragment %s\n", s, k > "/dev/stderr"
			exit 1
		}
		f = frags[k]
		for (i = 1; i <= na; i++)
			gsub("@" i, args[i], f)
		if (match(f, /@[1-9]/)) {
			printf "statement %s: fragment %s needs more arguments\n",
			    s, k > "/dev/stderr"
			exit 1
		}
		out = out substr(t, 1, at - 1) expand(f, s, depth + 1)
		t = substr(t, at + len)
	}
	return (out t)
}
/^-- (name|fragment): / {
	flush()
	frag = $2 == "fragment:"
	name = $3
	if (name !~ /^[a-z0-9_]+$/ || (name in seen)) {
		printf "%s:%d: bad or repeated statement name %s\n", FILENAME,
		    FNR, name > "/dev/stderr"
		exit 1
	}
	seen[name] = 1
	next
}
/^-- pages:( [1-9][0-9]*)+[ \t]*$/ {
	if (name == "" || !frag) {
		printf "%s:%d: -- pages: outside a fragment\n", FILENAME,
		    FNR > "/dev/stderr"
		exit 1
	}
	pages = substr($0, 10)
	for (i = 3; i <= NF; i++) {
		if ((name "_" $i) in seen) {
			printf "%s:%d: repeated statement name %s_%s\n",
			    FILENAME, FNR, name, $i > "/dev/stderr"
			exit 1
		}
		seen[name "_" $i] = 1
	}
	next
}
/^-- planned per call[ \t]*$/ {
	if (name == "") {
		printf "%s:%d: -- planned per call outside a statement\n",
		    FILENAME, FNR > "/dev/stderr"
		exit 1
	}
	pc = 1
	next
}
/^[ \t]*--/ { next }
/^[ \t]*$/ { next }
{
	if (name == "") {
		printf "%s:%d: SQL before the first -- name: or fragment:\n", FILENAME,
		    FNR > "/dev/stderr"
		exit 1
	}
	line = $0
	# a backslash doubled for C: mawk and gawk both need eight here
	gsub(/\\/, "\\\\\\\\", line)
	gsub(/"/, "\\\"", line)
	text = text (text == "" ? "" : "\n") line
}
END {
	flush()
	for (i = 0; i < n; i++)
		texts[i] = expand(texts[i], names[i], 0)
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
			printf "\t    \"%s%s\"%s\n", ls[j], j < m ? "\\n" : "",
			    j < m ? "" : ","
		printf "\t    %d },\n", percall[i]
	}
	print "\t{ NULL, NULL, 0 }"
	print "};"
}' "$@"
