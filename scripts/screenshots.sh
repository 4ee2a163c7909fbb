#!/bin/sh
# Regenerates the report screenshots in docs/img from the current tree: the
# compare report's top screen (headless Chromium at 1280x800) and, as the
# report writes them, a DET plot, a sweep with 10 tree counts and a per-user
# ROC with 21 users, all on the published DFL-500 feature file.
#
#   ./scripts/screenshots.sh [OUT]     # OUT defaults to docs/img
#
# Needs ../shared/data (the published feature files) and Chromium (Debian
# package chromium). Runs take a few minutes on 2 cores; progress on stderr.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/img}
data=${MOUSEAUTH_DATA:-$root/../shared/data}/features/dfl_39feat_PC_MM_DD_500.csv
[ -f "$data" ] || { echo "screenshots: $data not found (see ../shared/data/README)" >&2; exit 1; }
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome) ||
	{ echo "screenshots: chromium not found: apt-get install chromium" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$root"
go build -o "$work/mouseauth" ./cmd/mouseauth
m=$work/mouseauth

shot() { # shot FILE PNG WIDTH HEIGHT
	"$chromium" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
		--virtual-time-budget=5000 --window-size="$3,$4" --screenshot="$2" "file://$1" 2>/dev/null
	echo "wrote $2" >&2
}

"$m" evaluate compare --features "$data" --classifiers rf --presets reference,improved --out "$work/compare"
"$m" report --run "$work/compare" --out "$work/compare-report"
"$m" evaluate sweep --features "$data" --tree-counts 10:100:10 --windows 1:20 --out "$work/sweep"
"$m" report --run "$work/sweep" --out "$work/sweep-report"

one() { # one GLOB: the single file it names, or fail
	set -- $1
	[ $# -eq 1 ] && [ -f "$1" ] || { echo "screenshots: want one file, got: $*" >&2; exit 1; }
	echo "$1"
}
shot "$work/compare-report/report.html" "$out/compare_top.png" 1280 800
# The plots as the report's PNG files (gonum/plot's own rendering).
cp "$(one "$work/compare-report/plots/det_compare_w10.png")" "$out/det_compare_w10.png"
cp "$(one "$work/compare-report/plots/roc_users_rf-reference-preset-improved_w10.png")" "$out/roc_users_21.png"
cp "$(one "$work/sweep-report/plots/sweep_*auc*.png")" "$out/sweep_trees_x_window_auc.png"
echo "wrote $out/det_compare_w10.png $out/roc_users_21.png $out/sweep_trees_x_window_auc.png" >&2
