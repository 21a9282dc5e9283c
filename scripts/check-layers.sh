#!/bin/sh
# Fail when a file of daemon/ (or clients/) includes a header from a layer
# above its own: dependencies point one way (doc/architecture.md).
#   lib     -> lib                      (libc, protobuf-c)
#   domain  -> lib
#   core    -> lib                      (knows no request, no service)
#   rpc     -> core lib
#   store   -> rpc core domain lib
#   svc     -> store rpc core domain lib
#   daemon/main.c, daemon/http.c: the top, may include anything
#   clients -> lib domain               (the pure code parkd shares)
# Usage: check-layers.sh [DIR]   (DIR: the project root, default .)
#        check-layers.sh --self-test
set -eu

allowed() {	# allowed LAYER TARGET
	case "$1:$2" in
	lib:lib|domain:lib|domain:domain|core:lib|core:core) return 0 ;;
	rpc:lib|rpc:core|rpc:rpc) return 0 ;;
	store:lib|store:domain|store:core|store:rpc|store:store) return 0 ;;
	svc:*) [ "$2" != top ] && return 0 ;;
	top:*) return 0 ;;
	clients:lib|clients:domain|clients:clients) return 0 ;;
	esac
	return 1
}

layer_of_file() {	# the layer of a source file, by its path
	case "$1" in
	daemon/lib/*) echo lib ;;
	daemon/domain/*) echo domain ;;
	daemon/core/*) echo core ;;
	daemon/rpc/*) echo rpc ;;
	daemon/store/*) echo store ;;
	daemon/svc/*) echo svc ;;
	daemon/*/*) echo unknown ;;
	daemon/*) echo top ;;
	clients/*) echo clients ;;
	esac
}

layer_of_include() {	# the layer of an #include "..." target
	case "$1" in
	parkd.pb-c.h|parkd_sql.h) echo gen ;;
	lib/*|domain/*|core/*|rpc/*|store/*|svc/*) echo "${1%%/*}" ;;
	*/*) echo unknown ;;
	http.h) echo top ;;
	*) echo clients ;;
	esac
}

check() {	# check ROOT: print every violation, fail if any
	bad=0
	cd "$1"
	for f in $(find daemon clients -name '*.[ch]' | sort); do
		from=$(layer_of_file "$f")
		if [ "$from" = unknown ]; then
			echo "$f: a folder of daemon/ that is no layer"
			bad=1
			continue
		fi
		for inc in $(sed -n 's/^#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f"); do
			to=$(layer_of_include "$inc")
			[ "$to" = gen ] && continue
			if ! allowed "$from" "$to"; then
				echo "$f: includes \"$inc\": layer $from may not" \
				    "depend on layer $to"
				bad=1
			fi
		done
	done
	return $bad
}

if [ "${1:-}" = --self-test ]; then
	# The check must catch a violation: copy the tree, add one, expect a no.
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cp -r daemon clients "$tmp"/
	(check "$tmp") >/dev/null || { echo "check-layers: the tree itself fails"; exit 1; }
	echo '#include "svc/svc.h"' >> "$tmp/daemon/core/conn.c"
	if (check "$tmp") >/dev/null; then
		echo "check-layers: self-test FAILED: core including svc passed"
		exit 1
	fi
	echo "check-layers: self-test ok (core -> svc refused)"
	exit 0
fi
if check "${1:-.}"; then
	echo "check-layers: every #include points down"
else
	exit 1
fi
