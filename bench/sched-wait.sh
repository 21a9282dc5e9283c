#!/bin/bash
# sched-wait.sh PID: for make bench-serve's PROFILE= hook
# (PROFILE=bench/sched-wait.sh): one second of the scheduler's events
# (perf sched record, every CPU), then for each process name its run time,
# its number of runs, and the time it was runnable but waiting for a CPU
# ("sch delay"), beside the CPUs' idle time, in ms over that second. PID
# is ignored. Needs perf and the right to record scheduler tracepoints
# (root).
set -u
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
perf sched record -a -o "$d/sched.data" -- sleep 1 >/dev/null 2>&1 || {
	echo "sched-wait: perf sched record failed" >&2
	exit 1
}
echo "process runs run_ms runnable_wait_ms"
perf sched timehist -i "$d/sched.data" 2>/dev/null | awk '
	NR > 3 && NF == 6 {
		t = $3
		sub(/\[[0-9\/]+\]$/, "", t)
		run[t] += $6; wait[t] += $5; n[t]++
	}
	END {
		for (k in run)
			if (run[k] >= 5)
				printf "%s %d %.0f %.0f\n", k, n[k], run[k], wait[k]
	}' | sort -k3 -nr
