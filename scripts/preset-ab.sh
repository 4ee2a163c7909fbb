#!/bin/bash
# Before/after timing of the default (improved) preset's evaluation in one
# script: builds the command at BASE (a git ref, default main) and at the
# work tree, then runs `bench evaluate --presets improved --windows 1` on
# DFL-500 with each, alternately, on one core (taskset -c CORE,
# GOMAXPROCS=1), and prints one line per run (the machine's load average
# before it; the evaluation's seconds, the mean of bench evaluate's two
# timed rows; the CPU seconds of the whole command; the AUC) and the mean
# ratio after/before.
#
#   scripts/preset-ab.sh [BASE] [RUNS]        (defaults: main 3)
#   CORE=1 FEATURES=path/to/dfl_39feat_PC_MM_DD_500.csv scripts/preset-ab.sh ce1b192 5
#
# On a machine busy with other work, read the ratio only (the two builds
# alternate, so both see the same load on average); seconds need a quiet
# machine.
set -euo pipefail
base=${1:-main}
runs=${2:-3}
core=${CORE:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
csv=${FEATURES:-$root/../shared/data/features/dfl_39feat_PC_MM_DD_500.csv}
[ -f "$csv" ] || { echo "preset-ab: no DFL-500 feature file at $csv (set FEATURES)" >&2; exit 1; }
work=$(mktemp -d /tmp/preset-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "preset-ab: building $base and the work tree ($(git -C "$root" rev-parse --short HEAD)) into $work" >&2
. "$root/scripts/ab-build.sh"
ab_build "$root" "$base" "$work" build ./cmd/mouseauth
run() { # run NAME: one timed evaluation; prints NAME load seconds cpu auc
	local name=$1 load u s
	load=$(cut -d' ' -f1 /proc/loadavg)
	/usr/bin/time -f "%U %S" -o "$work/time" taskset -c "$core" env GOMAXPROCS=1 \
		"$work/$name" bench evaluate -q --features "$csv" --presets improved --windows 1 -o csv >"$work/out" 2>"$work/err"
	read -r u s <"$work/time"
	awk -F, -v name="$name" -v la="$load" -v cpu="$(echo "$u + $s" | bc)" \
		'NR > 1 {t += $4; n++; auc = $NF} END {printf "%-6s %6s %8.3f %8.2f %s\n", name, la, t / n, cpu, auc}' "$work/out"
}
printf '%-6s %6s %8s %8s %s\n' build load seconds cpu_s auc_w1
for _ in $(seq "$runs"); do
	run before
	run after
done | tee "$work/rows"
awk '$1 == "before" {b += $3; bc += $4; nb++} $1 == "after" {a += $3; ac += $4; na++}
	END {printf "after/before: seconds %.3f, CPU %.3f (means over %d runs each)\n", (a / na) / (b / nb), (ac / na) / (bc / nb), na}' "$work/rows"
