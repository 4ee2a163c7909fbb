#!/bin/bash
# Before/after saturation of the live pipeline in one script: builds the
# command at BASE (a git ref, default main) and at the work tree, then runs
# the same `bench pipeline` with each, alternately, each run from a fresh
# state folder, and prints one line per run (the machine's load average
# before it) and the mean ratios after/before.
#
#   scripts/saturation-ab.sh [BASE] [RUNS]        (defaults: main 3)
#   USERS=10000 RATES=12000 DURATION=30s scripts/saturation-ab.sh main 3
#   PPROF=1 scripts/saturation-ab.sh              (CPU profiles per run)
#
# Figures from a machine busy with other work are ratios only (the two
# builds alternate, so both see the same load on average); absolute rates
# and latencies need a quiet machine. Needs jq.
set -euo pipefail
base=${1:-main}
runs=${2:-3}
users=${USERS:-10000}
rates=${RATES:-12000}
duration=${DURATION:-30s}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "saturation-ab: building $base and the work tree into $work" >&2
. "$root/scripts/ab-build.sh"
ab_build "$root" "$base" "$work" build ./cmd/mouseauth
run() { # run NAME I: one bench pipeline run, its JSON rows in $work/NAME-I.json
	local name=$1 i=$2 prof=()
	[ -n "${PPROF:-}" ] && prof=(--pprof "$work/prof-$name-$i")
	local load state="$work/state-$name-$i"
	load=$(cut -d' ' -f1 /proc/loadavg)
	# The embedded store's write-ahead log, sampled every second: its
	# largest size in MB is the last column.
	(
		max=0
		while [ ! -e "$work/$name-$i.done" ]; do
			s=$(stat -c %s "$state/mouseauth.db-wal" 2>/dev/null || echo 0)
			[ "$s" -gt "$max" ] && max=$s && echo $((max >> 20)) >"$work/$name-$i.wal"
			sleep 1
		done
	) &
	local sampler=$!
	"$work/$name" bench pipeline --state "$state" --users "$users" --rates "$rates" \
		--duration "$duration" -o json "${prof[@]}" >"$work/$name-$i.json" 2>"$work/$name-$i.err"
	touch "$work/$name-$i.done"
	wait "$sampler"
	rm -rf "$state"
	jq -r --arg name "$name" --arg load "$load" --arg wal "$(cat "$work/$name-$i.wal" 2>/dev/null || echo 0)" '.[] | [$name, $load, .offered_per_s, .achieved_per_s, .p50_ms, .p99_ms,
		.lost, .cpu_cores, .sent, .decided, $wal] | @tsv' "$work/$name-$i.json"
}
# sent: vectors the clients sent (a client sends once its login is
# answered); decided: decisions received within --wait; lost: sent but not
# decided and stored by then; max_wal_mb: the largest the store's
# write-ahead log grew.
printf 'build\tload1\toffered/s\tachieved/s\tp50_ms\tp99_ms\tlost\tcores\tsent\tdecided\tmax_wal_mb\n'
for i in $(seq "$runs"); do
	run before "$i"
	run after "$i"
done | tee "$work/runs.tsv"
awk -F'\t' '{n[$1]++; a[$1]+=$4; p[$1]+=$6; c[$1]+=$8/$4; d[$1]+=$10; w[$1]+=$11}
	END {printf "mean achieved/s: before %.0f, after %.0f (ratio %.2f); mean decided: before %.0f, after %.0f (ratio %.2f); mean p99 ms: before %.1f, after %.1f (ratio %.2f); CPU µs per vector: before %.1f, after %.1f; mean largest write-ahead log MB: before %.0f, after %.0f\n",
		a["before"]/n["before"], a["after"]/n["after"], (a["after"]/n["after"])/(a["before"]/n["before"]),
		d["before"]/n["before"], d["after"]/n["after"], (d["after"]/n["after"])/(d["before"]/n["before"]),
		p["before"]/n["before"], p["after"]/n["after"], (p["after"]/n["after"])/(p["before"]/n["before"]),
		1e6*c["before"]/n["before"], 1e6*c["after"]/n["after"], w["before"]/n["before"], w["after"]/n["after"]}' "$work/runs.tsv"
echo "saturation-ab: runs and profiles in $work; load average now $(cut -d' ' -f1-3 /proc/loadavg)" >&2
