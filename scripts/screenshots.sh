#!/bin/sh
# Regenerates the report screenshots in docs/img from the current tree, all
# on the published DFL-500 feature file:
#
#   compare_top.png           the compare report (presets published and
#                             improved, seeds 0-2) at 1280 px: the summary
#                             with intervals, the differences
#   column.png                the paper style's ROC and DET at one column
#                             (3.5 in) beside 9 pt text, as in a paper
#   pdf_page.png              the DET's PDF, rendered by pdftoppm (poppler-utils)
#   det_compare_w10.png       the DET of the comparison at window 10
#   roc_users_21.png          the per-user ROC of 21 users (improved, window 10)
#   sweep_trees_x_window_auc.png  a sweep of 10 tree counts × 20 windows (rf)
#
#   ./scripts/screenshots.sh [OUT]     # OUT defaults to docs/img
#
# MOUSEAUTH_SEEDS (default 0:2) sets the compare's seeds. Needs ../shared/data
# (the published feature files), Chromium (Debian package chromium) and, for
# pdf_page.png, pdftoppm (poppler-utils; skipped, said, without it). Takes
# minutes on 2 cores; progress on stderr.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/img}
data=${MOUSEAUTH_DATA:-$root/../shared/data}/features/dfl_39feat_PC_MM_DD_500.csv
seeds=${MOUSEAUTH_SEEDS:-0:2}
[ -f "$data" ] || { echo "screenshots: $data not found (see ../shared/data/README)" >&2; exit 1; }
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome) ||
	{ echo "screenshots: chromium not found: apt-get install chromium" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$root"
go build -o "$work/mouseauth" ./cmd/mouseauth
m=$work/mouseauth

shot() { # shot FILE PNG WIDTH HEIGHT [SCALE]
	"$chromium" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$work/chromium" --force-device-scale-factor="${5:-1}" \
		--virtual-time-budget=5000 --window-size="$3,$4" --screenshot="$2" "file://$1" 2>/dev/null
	echo "wrote $2" >&2
}

"$m" evaluate compare --features "$data" --presets both --windows 1,5,10,20 --seeds "$seeds" --out "$work/compare"
"$m" report --run "$work/compare" --out "$work/compare-report"
"$m" report --run "$work/compare" --out "$work/compare-paper" --style paper
"$m" evaluate sweep --features "$data" --classifier rf --tree-counts 10:100:10 --windows 1:20 --out "$work/sweep"
"$m" report --run "$work/sweep" --out "$work/sweep-report"

one() { # one GLOB: the single file it names, or fail
	set -- $1
	[ $# -eq 1 ] && [ -f "$1" ] || { echo "screenshots: want one file, got: $*" >&2; exit 1; }
	echo "$1"
}
shot "$work/compare-report/report.html" "$out/compare_top.png" 1280 1400

# One column of a two-column paper: the figures at 3.5 in beside 9 pt text
# (CSS inches are 96 px; the screenshot at twice that).
roc=$(one "$work/compare-paper/plots/roc_compare_w10.png")
det=$(one "$work/compare-paper/plots/det_compare_w10.png")
cat >"$work/column.html" <<EOF
<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 0.3in; width: 7.3in; font: 9pt/1.25 "Liberation Serif", "Times New Roman", serif; }
.col { float: left; width: 3.5in; } .col + .col { margin-left: 0.3in; }
img { width: 3.5in; display: block; } p { margin: 0 0 0.5em; text-align: justify; }
.cap { font-size: 8pt; }
</style></head><body>
<div class="col"><img src="file://$roc"><p class="cap">Fig. 1. Mean per-user ROC at a window of 10 actions, with the 95% interval over users.</p>
<p>This column is 3.5 in wide and its text is set in 9 pt, as in a two-column paper. The figure beside the text is the report's paper style
(--style paper) at its own size: labels at 8 pt, ticks and legends at 7.2 pt.</p></div>
<div class="col"><img src="file://$det"><p class="cap">Fig. 2. Pooled DET at a window of 10 actions; dots mark the pooled EER.</p>
<p>Mean per-user figures judge each user against the user's own threshold; pooled figures judge every user against one global threshold,
as the live service decides.</p></div>
</body></html>
EOF
shot "$work/column.html" "$out/column.png" 800 420 2

if command -v pdftoppm >/dev/null; then
	pdftoppm -png -r 200 -singlefile "$(one "$work/compare-paper/plots/det_compare_w10.pdf")" "$out/pdf_page"
	echo "wrote $out/pdf_page.png" >&2
else
	echo "screenshots: pdftoppm not found (apt-get install poppler-utils): no pdf_page.png" >&2
fi

# The plots as the report's PNG files (gonum/plot's own rendering).
cp "$(one "$work/compare-report/plots/det_compare_w10.png")" "$out/det_compare_w10.png"
cp "$(one "$work/compare-report/plots/roc_users_gbdt_preset-improved_protocol-reference_w10.png")" "$out/roc_users_21.png"
cp "$(one "$work/sweep-report/plots/sweep_grid_auc.png")" "$out/sweep_trees_x_window_auc.png"
echo "wrote $out/det_compare_w10.png $out/roc_users_21.png $out/sweep_trees_x_window_auc.png" >&2
