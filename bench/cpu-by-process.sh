#!/bin/bash
# cpu-by-process.sh PID: CPU time by process name over 1.5 s, and the
# machine's idle time, for make bench-serve's PROFILE= hook
# (PROFILE=bench/cpu-by-process.sh). PID is ignored: every postgres,
# pgbench, parkd, loadgen and tlsecho process is counted, in clock ticks
# (usually 100 a second per core). It runs at the highest priority it may,
# so that its own samples are not late on a saturated machine.
set -u
snap() {
	awk '/^cpu / { print "idle", $5 + $6; print "irq", $7 + $8 }' /proc/stat
	for p in $(pgrep -d' ' 'postgres|pgbench|parkd|loadgen|tlsecho'); do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk 'NF > 15 { c = $2; gsub(/[()]/, "", c); t[c] += $14 + $15 }
	    END { for (k in t) print k, t[k] }'
}
renice -n -20 $$ >/dev/null 2>&1 || true
a=$(mktemp) b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
snap > "$a"
t0=$(date +%s%N)
sleep 1.5
snap > "$b"
t1=$(date +%s%N)
echo "window_ms $(( (t1 - t0) / 1000000 )) ticks_per_s $(getconf CLK_TCK) cores $(nproc)"
awk 'NR == FNR { a[$1] = $2; next } { print $1, $2 - a[$1] }' "$a" "$b" |
    sort -k2 -nr
