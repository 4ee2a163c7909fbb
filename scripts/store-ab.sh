#!/bin/bash
# Before/after CPU per vector of the embedded store in one script: builds
# live/store/embedded's test binary at BASE (a git ref, default main) and at
# the work tree, then runs BenchmarkPartitions (merged writes with readers,
# batches of 16 and 128, 10 000 users) with each, alternately, and prints
# one line per run and the mean ratios after/before.
#
#   scripts/store-ab.sh [BASE] [RUNS]            (defaults: main 3)
#   BENCHTIME=800x scripts/store-ab.sh ce1b192 3
#
# On a machine busy with other work only the ratios mean something (the two
# builds alternate, so both see the same load on average).
set -euo pipefail
base=${1:-main}
runs=${2:-3}
benchtime=${BENCHTIME:-800x}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$(mktemp -d)}
echo "store-ab: building $base and the work tree into $work" >&2
. "$root/scripts/ab-build.sh"
ab_build "$root" "$base" "$work" test -c ./live/store/embedded
printf 'build\tload1\tbenchmark\tcpu_ns_per_vector\n'
for i in $(seq "$runs"); do
	for name in before after; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		(cd "$root/live/store/embedded" && "$work/$name" -test.run '^$' -test.bench 'Partitions/merged\+readers' \
			-test.benchtime "$benchtime") |
			awk -v name="$name" -v l1="$load" '/^Benchmark/ {for (i = 1; i < NF; i++) if ($(i+1) == "cpu-ns/vector") print name "\t" l1 "\t" $1 "\t" $i}'
	done
done | tee "$work/runs.tsv"
awk -F'\t' '{n[$1 FS $3]++; s[$1 FS $3] += $4; b[$3] = 1}
	END {for (k in b) printf "%s: before %.0f, after %.0f ns per vector (ratio %.2f)\n", k,
		s["before" FS k]/n["before" FS k], s["after" FS k]/n["after" FS k], (s["after" FS k]/n["after" FS k])/(s["before" FS k]/n["before" FS k])}' "$work/runs.tsv"
echo "store-ab: runs in $work; load average now $(cut -d' ' -f1-3 /proc/loadavg)" >&2
