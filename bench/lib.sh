# Shared by the benchmarks that build their data in a throwaway directory.
# bench_start [CONF-LINE...]: a throwaway PostgreSQL, dev certificates for
# "bureau", a parkd configuration (extra lines as arguments) and the schema,
# all in $T. Sets T, PGPORT, PORT and PSQL (psql as postgres on that
# database). On exit the processes in $PIDS and PostgreSQL are stopped and
# $T removed.
PIDS=

bench_cleanup() {
	local p
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" || true
	done
	pg_stop "$T/pg"
	rm -rf "$T"
}

bench_start() {
	T=$(mktemp -d /tmp/parkd-bench.XXXXXX)
	chmod 755 "$T"
	trap bench_cleanup EXIT
	PGPORT=$(free_port)
	pg_start "$T/pg" "$PGPORT"
	mkcerts "$T/tls" bureau
	PORT=$(free_port)
	write_conf "$T/parkd.conf" "$PORT" "$PGPORT" "$T/tls" \
	    'log_level = "warn";' "$@"
	# parkd's own pool sizes (core/config.c), not the tests' smaller one,
	# unless the caller set one
	case " $* " in
	*" pool_size = "*) ;;
	*) sed -i '/^pool_size = 4;$/d' "$T/parkd.conf" ;;
	esac
	"$BUILD/parkd" -c "$T/parkd.conf" --migrate >/dev/null 2>&1
	PSQL=(as_pg "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1
	    -p "$PGPORT" -U postgres -d parkd)
}
