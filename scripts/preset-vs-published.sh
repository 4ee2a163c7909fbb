#!/bin/bash
# Issue 21 item 5: the published Python evaluation of DFL-500 (window 1,
# scikit-learn, one core) beside `mouseauth bench evaluate` of the reference
# and improved presets at GOMAXPROCS=1, all on core 0, three times.
# Usage: scripts/preset-vs-published.sh [RUNS]   (default 3), from any directory.
# PUBLISHED: a clone of github.com/margitantal68/mouse_dynamics_balabit_chaoshen_dfl
# (default: the tool library's mirror); FEATURES: DFL-500 (default ../shared/data).
# Prints one row per run; wall and CPU seconds, the ratios and the AUCs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
PUB=${PUBLISHED:-/work/.mirror/margitantal68+mouse_dynamics_balabit_chaoshen_dfl/repo}
CSV=${FEATURES:-$root/../shared/data/features/dfl_39feat_PC_MM_DD_500.csv}
[ -e "$PUB" ] || { echo "preset-vs-published: no clone of the published code at $PUB (set PUBLISHED)" >&2; exit 1; }
[ -f "$CSV" ] || { echo "preset-vs-published: no DFL-500 feature file at $CSV (set FEATURES)" >&2; exit 1; }
CSV=$(cd "$(dirname "$CSV")" && pwd)/$(basename "$CSV")
work=$(mktemp -d /tmp/gbdt-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The published code as published, set to DFL-500 (its NUM_ACTIONS = 1 is
# window 1); its features folder holds the shared copy of the file.
mkdir -p "$work/measurements" "$work/util"
for f in $(git -C "$PUB" ls-tree -r --name-only HEAD main.py measurements util); do
	git -C "$PUB" show "HEAD:$f" > "$work/$f"
done
mkdir "$work/features"
ln -s "$CSV" "$work/features/"
sed -i 's/^NUM_TRAINING_SAMPLES = .*/NUM_TRAINING_SAMPLES = 500/' "$work/util/settings.py"
(cd "$root" && go build -o "$work/mouseauth" ./cmd/mouseauth)
echo "mouseauth $(git -C "$root" rev-parse --short HEAD); $(/usr/bin/python3 -c 'import sklearn; print("scikit-learn", sklearn.__version__)')"

one() { # name, command...: wall and CPU (user+sys) seconds of the command on core 0
	local name=$1; shift
	/usr/bin/time -f "%e %U %S" -o "$work/$name.time" taskset -c 0 env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg "$@" > "$work/$name.out" 2> "$work/$name.err"
}

printf '%-4s %-8s %9s %9s %9s %9s %9s %9s %7s %7s %7s %7s\n' run load py_wall py_cpu ref_wall ref_cpu imp_wall imp_cpu ref_x imp_x imp_x_cpu py_auc
for run in $(seq "$RUNS"); do
	before=$(cut -d' ' -f1 /proc/loadavg)
	(cd "$work" && one py /usr/bin/python3 main.py)
	for p in reference improved; do
		# Two timed evaluations (bench evaluate's all-cores and GOMAXPROCS=1
		# rows, both one core under taskset): their mean.
		one "$p" "$work/mouseauth" bench evaluate --features "$CSV" --presets "$p" --windows 1 -o csv
	done
	after=$(cut -d' ' -f1 /proc/loadavg)
	read -r py_wall py_u py_s < "$work/py.time"
	py_cpu=$(echo "$py_u + $py_s" | bc)
	py_auc=$(grep -E '^[0-9]+: [0-9.]+ threshold' "$work/py.out" | awk '{s += $2; n++} END {printf "%.3f", s / n}')
	row() { # preset: mean wall seconds of its timed runs, CPU seconds per run
		local wall cpu u s
		wall=$(awk -F, 'NR > 1 {s += $4; n++} END {printf "%.2f", s / n}' "$work/$1.out")
		read -r _ u s < "$work/$1.time"
		cpu=$(echo "scale=2; ($u + $s) / 2" | bc)
		echo "$wall $cpu"
	}
	read -r ref_wall ref_cpu <<< "$(row reference)"
	read -r imp_wall imp_cpu <<< "$(row improved)"
	printf '%-4s %-8s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f %7.1f %7.1f %7.1f %7s\n' "$run" "$before/$after" \
		"$py_wall" "$py_cpu" "$ref_wall" "$ref_cpu" "$imp_wall" "$imp_cpu" \
		"$(echo "$py_wall / $ref_wall" | bc -l)" "$(echo "$py_wall / $imp_wall" | bc -l)" "$(echo "$py_cpu / $imp_cpu" | bc -l)" "$py_auc"
done
echo "improved preset window 1 mean AUC (seed 0): $(awk -F, 'NR > 1 {print $NF; exit}' "$work/improved.out")"
