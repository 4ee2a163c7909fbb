#!/bin/sh
# Regenerates the report screenshots in docs/img from the current tree: the
# compare report's top screen, a DET plot, a sweep with 10 tree counts and a
# per-user ROC with 21 users, all on the published DFL-500 feature file.
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
"$m" evaluate sweep --features "$data" --tree-counts 10:100:10 --windows 1:20 --out "$work/sweep"

shot "$work/compare/report.html" "$out/compare_top.png" 1280 800
shot "$work/compare/plots/det_compare_w10.svg" "$out/det_compare_w10.png" 900 700
users=$(ls "$work"/compare/plots/roc_users_*_w10.svg | head -1)
shot "$users" "$out/roc_users_21.png" 1100 700
sweep=$(ls "$work"/sweep/plots/*.svg | grep -i 'auc' | head -1)
shot "$sweep" "$out/sweep_trees_x_window_auc.png" 1100 800
