# Shell helpers shared by make run and the test harness (sourced, not run).
# A throwaway PostgreSQL as an unprivileged user, dev certificates, configs.

# Every helper keeps its variables local (a caller's "d" or "dir" loop
# variable once lost its value to mkcert).
pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
	echo "$d"
}

# A TCP port on 127.0.0.1 that no socket uses, below the ephemeral range
# (so no outgoing connection can be holding it).
port_used() {
	local hex
	hex=$(printf ':%04X ' "$1")
	grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

free_port() {
	local p
	p=$(( 10000 + ($$ * 7 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 20000 ))
	while port_used "$p" || (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do
		p=$(( p >= 30000 ? 10000 : p + 1 ))
	done
	echo $p
}

# Run a command as the unprivileged owner of the PostgreSQL directory.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_reach DIR: make DIR a directory the postgres user can use. As root,
# when it cannot (a clone under /root, or in a 0700 mktemp directory), the
# cluster lives in a directory of its own under /var/tmp instead, DIR a
# symbolic link to it, and the user is told. Other users run PostgreSQL as
# themselves: DIR is theirs.
pg_reach() {
	local real
	mkdir -p "$1"
	[ "$(id -u)" -eq 0 ] || return 0
	chown postgres: "$(readlink -f "$1")"
	runuser -u postgres -- test -w "$(readlink -f "$1")" 2>/dev/null &&
	    return 0
	rmdir "$1" 2>/dev/null || rm -f "$1"
	real=$(mktemp -d /var/tmp/parkd-pg.XXXXXX) || return 1
	chown postgres: "$real"
	ln -s "$real" "$1"
	echo "note: the postgres user cannot reach $1 (a parent directory is" \
	    "closed to it): PostgreSQL's files are in $real, linked from there" >&2
}

# pg_remove DIR: a stopped cluster's directory, and where it links to.
pg_remove() {
	[ -L "$1" ] && rm -rf "$(readlink -f "$1")"
	rm -rf "$1"
}

# pg_start DIR PORT [extra postgres options]: initdb and start, loopback only.
pg_start() {
	local port bin dir
	port=$2
	bin=$(pg_bindir) || return 1
	pg_reach "$1" || return 1
	dir=$(readlink -f "$1")
	shift 2
	as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
	    --no-locale >"$dir/initdb.log" 2>&1 ||
	    { cat "$dir/initdb.log" >&2; return 1; }
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
	    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $*" start \
	    >/dev/null || { cat "$dir/postgres.log" >&2; return 1; }
	# parkd connects as an ordinary role that owns its database, so
	# row-level security applies to it (a superuser would bypass it)
	as_pg "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres \
	    -c "CREATE ROLE parkd LOGIN" -c "CREATE DATABASE parkd OWNER parkd" \
	    -c "CREATE ROLE parkd_park NOLOGIN" -c "GRANT parkd_park TO parkd" \
	    >/dev/null
}

pg_ctl_cmd() {
	local dir
	dir=$(readlink -f "$1"); shift
	as_pg "$(pg_bindir)/pg_ctl" -D "$dir/data" "$@"
}

# pg_signal DIR SIG: signal the postmaster and every backend (a hung
# database with STOP, back with CONT). /proc only: no procps needed.
pg_signal() {
	local pm kids
	pm=$(head -1 "$1/data/postmaster.pid")
	kids=$(awk -v pm="$pm" '$4 == pm { print $1 }' /proc/[0-9]*/stat \
	    2>/dev/null)
	# shellcheck disable=SC2086
	kill -"$2" "$pm" $kids
}

pg_stop() {
	[ -f "$1/data/postmaster.pid" ] || return 0
	pg_ctl_cmd "$1" -m fast -w stop >/dev/null 2>&1 || true
}

# mkcerts DIR NAME...: a dev CA, a server certificate for 127.0.0.1 and
# localhost, and one client certificate per NAME (ca.crt, NAME.crt/.key).
mkcerts() {
	local dir n
	dir=$1; shift
	mkdir -p "$dir"
	if [ ! -f "$dir/ca.crt" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 3650 \
		    -subj "/CN=parkd dev CA" 2>/dev/null || return 1
	fi
	[ -f "$dir/server.crt" ] || mkcert "$dir" server \
	    "subjectAltName=IP:127.0.0.1,DNS:localhost" || return 1
	for n in "$@"; do
		[ -f "$dir/$n.crt" ] || mkcert "$dir" "$n" || return 1
	done
}

# mkcert DIR NAME [EXT]: a key and a certificate signed by DIR/ca.
mkcert() {
	local d n ext rc
	d=$1 n=$2 ext=${3:-}
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/$n.key" -out "$d/$n.csr" -subj "/CN=$n" 2>/dev/null ||
	    return 1
	if [ -n "$ext" ]; then
		printf '%s\n' "$ext" > "$d/$n.ext"
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" \
		    -CAkey "$d/ca.key" -CAcreateserial -days 825 \
		    -extfile "$d/$n.ext" -out "$d/$n.crt" 2>/dev/null
	else
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" \
		    -CAkey "$d/ca.key" -CAcreateserial -days 825 \
		    -out "$d/$n.crt" 2>/dev/null
	fi
	rc=$?
	rm -f "$d/$n.csr" "$d/$n.ext"
	chmod 600 "$d/$n.key"
	return $rc
}

# write_conf FILE PORT PGPORT TLSDIR [extra lines]
POLICY=${POLICY:-$PWD/configs/policy/qingdao-2024.conf}
write_conf() {
	local f port pgport tls l http
	f=$1 port=$2 pgport=$3 tls=$4; shift 4
	# the listen port is not bound yet: free_port may hand it out again
	http=$(free_port)
	while [ "$http" = "$port" ]; do
		http=$(free_port)
	done
	cat > "$f" <<CONF
# parkd configuration (generated)
listen = "127.0.0.1:$port";
tls_cert = "$tls/server.crt";
tls_key = "$tls/server.key";
tls_ca = "$tls/ca.crt";
database = "hostaddr=127.0.0.1 port=$pgport dbname=parkd user=parkd";
pool_size = 4;
log_level = "info";
policy_file = "$POLICY";
http_listen = "127.0.0.1:$http";
CONF
	conf_lines "$f" "$@"	# an extra line replaces the default for its key
}

# conf_lines FILE LINE...: each "key = value;" (or "key=value;") line in
# FILE instead of the line it has for key, if any.
conf_lines() {
	local f=$1 l
	shift
	for l in "$@"; do
		sed -i "/^${l%%[ =]*} *=/d" "$f"
		echo "$l" >> "$f"
	done
}

# wait_port PORT SECONDS: until something listens on 127.0.0.1:PORT.
wait_port() {
	local i
	i=0
	while ! (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
}

# write_parkctl_conf FILE SERVER TLSDIR WHO: a parkctl.conf for WHO's cert.
write_parkctl_conf() {
	cat > "$1" <<CONF
server = "$2";
cert = "$3/$4.crt";
key = "$3/$4.key";
ca = "$3/ca.crt";
CONF
}

# Benchmarks: nanoseconds now, and the median of numbers on stdin.
now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
