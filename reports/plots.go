package reports

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mouseauth/mouseauth/evaluate"
)

// Figure sizes and resolution. PNGs are rendered at PNGDPI so they stay
// sharp when shown at their 96-dpi size.
const (
	FigureWidth  = 6 * vg.Inch
	FigureHeight = 4 * vg.Inch
	PNGDPI       = 144
)

// WorstUsers is how many users a per-user ROC names (those with the lowest
// AUC, in distinct colours); every user below chance is named too, up to
// the palette's size. The rest are grey.
const WorstUsers = 5

// Figure is one plot of a run, with a file-name stem (no extension) that is
// unique within the run and a caption for the HTML report.
type Figure struct {
	Name    string // e.g. "roc_users_rf-reference_w10"
	Caption string
	Plot    *plot.Plot
}

// Figures builds every plot the run has data for, in report order:
//
//   - per held-out evaluation, the pooled session and action ROCs
//     (holdout_roc) and their DET curves with the EERs (holdout_det);
//   - per result, the mean ROC of every window with a ±1 sd band over users
//     (roc_mean_<result>) and its DET curves with the EER marked
//     (det_<result>), then per window the ROC curve of every user, the worst
//     named (roc_users_<result>_w<window>);
//   - with two or more results, per window their mean ROCs with bands
//     (roc_compare_w<window>) and DET curves (det_compare_w<window>),
//     labelled by the settings that tell the results apart;
//   - for a sweep over trees × windows, heat maps of mean AUC and mean EER
//     (sweep_grid_auc, sweep_grid_eer); for a sweep along one axis, AUC ± sd
//     and EER against it (sweep_<axis>_auc_eer); and, where it varies, the
//     time taken against the tree count or axis (sweep_<axis>_seconds);
//   - with thresholds, false-alarm and miss rates against p (threshold_rates) and
//     detection delay in actions against p (threshold_delay), curves per window;
//   - per continuous evaluation, ANIA and false lockouts per deployment
//     (continuous), per attack evaluation the accepted actions and alerted
//     sessions per attack and deployment (attacks).
//
// ROC plots put the false positive rate on a log axis, where curves that
// hug the top-left corner spread out. Non-finite values are left out of the
// curves. It returns an error naming the field of the run that cannot be
// drawn.
func Figures(run *evaluate.Run) ([]Figure, error) {
	var figs []Figure
	for i, h := range run.Holdouts {
		slug := ""
		if i > 0 {
			slug = fmt.Sprintf("_%d", i+1)
		}
		fs, err := holdoutPlots(h, slug)
		if err != nil {
			return nil, fmt.Errorf("holdouts[%d]: %w", i, err)
		}
		figs = append(figs, fs...)
	}
	names := nameResults(run.Results)
	slugs := resultSlugs(run.Results)
	for i, r := range run.Results {
		if len(r.Summary) > 0 {
			f, err := meanROCFigure(r, names.Long[i], slugs[i])
			if err != nil {
				return nil, fmt.Errorf("results[%d].summary: %w", i, err)
			}
			figs = append(figs, f)
			f, err = meanDETFigure(r, names.Long[i], slugs[i])
			if err != nil {
				return nil, fmt.Errorf("results[%d].summary: %w", i, err)
			}
			figs = append(figs, f)
		}
		for _, w := range resultWindows(r) {
			f, err := userROCFigure(r, names.Long[i], slugs[i], w)
			if err != nil {
				return nil, fmt.Errorf("results[%d] window %d: %w", i, w, err)
			}
			figs = append(figs, f)
		}
	}
	if len(run.Results) > 1 {
		for _, w := range allSummaryWindows(run.Results) {
			fs, err := compareFigures(run.Results, names, w)
			if err != nil {
				return nil, fmt.Errorf("comparison at window %d: %w", w, err)
			}
			figs = append(figs, fs...)
		}
	}
	fs, err := sweepFigures(sweepsOverSeeds(run.Sweeps))
	if err != nil {
		return nil, err
	}
	figs = append(figs, fs...)
	if len(run.Thresholds) > 0 {
		groups := thresholdGroups(run.Thresholds)
		f, err := thresholdRatesFigure(groups)
		if err != nil {
			return nil, fmt.Errorf("thresholds: %w", err)
		}
		figs = append(figs, f)
		f, err = thresholdDelayFigure(groups)
		if err != nil {
			return nil, fmt.Errorf("thresholds: %w", err)
		}
		figs = append(figs, f)
	}
	for _, more := range []func(*evaluate.Run) ([]Figure, error){continuousFigures, attackFigures} {
		fs, err := more(run)
		if err != nil {
			return nil, err
		}
		figs = append(figs, fs...)
	}
	return figs, nil
}

// sweepsOverSeeds returns the sweep points with the figures over seeds
// where they have them (mean over seeds of the mean AUC, of the sd over
// users and of the mean EER), so the sweep plots agree with the tables.
func sweepsOverSeeds(sw []evaluate.SweepPoint) []evaluate.SweepPoint {
	out := make([]evaluate.SweepPoint, len(sw))
	for i, p := range sw {
		if sp := p.Seeds; sp != nil {
			p.MeanAUC, p.SDAUC, p.MeanEER = sp.MeanAUC.Mean, sp.SDAUC.Mean, sp.MeanEER.Mean
		}
		out[i] = p
	}
	return out
}

// RenderPNG draws p as a PNG of FigureWidth × FigureHeight at PNGDPI.
func RenderPNG(p *plot.Plot) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(FigureWidth, FigureHeight), vgimg.UseDPI(PNGDPI))
	p.Draw(margins(draw.New(c)))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return b.Bytes(), nil
}

// RenderSVG draws p as an SVG of FigureWidth × FigureHeight with a viewBox,
// so it scales. Fonts are named, not embedded, so the text stays searchable
// and the file small.
func RenderSVG(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(FigureWidth, FigureHeight)
	p.Draw(margins(draw.New(c)))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encode svg: %w", err)
	}
	return fixTextLength(b.Bytes()), nil
}

var (
	svgTextRE = regexp.MustCompile(`<text ([^>]*?)style="font-family:Liberation Sans;([^"]*?)font-size:([0-9.]+)px([^"]*)">([^<]*)</text>`)
)

// fixTextLength gives every text of an SVG the width gonum/plot laid it
// out with (textLength): a viewer without Liberation Sans, Arial or
// Helvetica substitutes a font of other widths, and a legend at the right
// edge would run off the figure. The text is then fitted, not cut.
func fixTextLength(svg []byte) []byte {
	cache := plot.DefaultTextHandler.Cache()
	return svgTextRE.ReplaceAllFunc(svg, func(m []byte) []byte {
		sub := svgTextRE.FindSubmatch(m)
		size, err := strconv.ParseFloat(string(sub[3]), 64)
		if err != nil {
			return m
		}
		str := html.UnescapeString(string(sub[5]))
		face := cache.Lookup(sansFont, vg.Points(size))
		w := face.Width(str).Points()
		if w <= 0 {
			return m
		}
		return fmt.Appendf(nil, `<text %stextLength="%.2f" lengthAdjust="spacingAndGlyphs" style="font-family:Liberation Sans;%sfont-size:%spx%s">%s</text>`,
			sub[1], w, sub[2], sub[3], sub[4], sub[5])
	})
}

// margins keeps a strip free on every side: gonum/plot centres the last
// tick label on the end of an axis, which would otherwise be cut in half at
// the edge of the image.
func margins(c draw.Canvas) draw.Canvas {
	return draw.Crop(c, vg.Points(4), -vg.Points(10), vg.Points(2), -vg.Points(6))
}

// ---- ROC and DET data ----------------------------------------------------

// curveStats is a mean ROC on an FPR grid with, when per-user curves were
// available, the standard deviation of TPR over users at each grid point.
type curveStats struct {
	fpr, mean, sd []float64 // sd nil: no per-user curves
	users         int
	// minFPR and minFNR are the smallest non-zero FPR and FNR a per-user
	// curve reaches (one over the impostor or genuine test windows): below
	// them the mean curve is interpolation.
	minFPR, minFNR float64
}

// rocGrid is the common FPR grid: 0, 40 log-spaced points per decade from
// 10^-4 and every hundredth from 0.01, so both linear and log axes have
// points everywhere.
var rocGrid = func() []float64 {
	set := map[float64]bool{0: true}
	for i := 0; i <= 160; i++ {
		set[math.Pow(10, -4+float64(i)/40)] = true
	}
	for i := 1; i <= 100; i++ {
		set[float64(i)/100] = true
	}
	g := make([]float64, 0, len(set))
	for v := range set {
		g = append(g, v)
	}
	sort.Float64s(g)
	return g
}()

// windowStats averages the per-user ROCs of r at window w on rocGrid with
// [evaluate.TPRAt] (the interpolation of [evaluate.MeanROC]) and takes the
// population standard deviation, as the summary's sd of AUC. Without
// per-user curves it falls back to the summary's mean ROC, without a band.
func windowStats(r evaluate.Result, s evaluate.WindowSummary) (curveStats, error) {
	users := usersAt(r, s.Window)
	st := curveStats{users: len(users), minFPR: 1, minFNR: 1}
	if len(users) == 0 {
		pts, err := rocXYs(s.MeanROC)
		if err != nil {
			return st, fmt.Errorf("window %d mean_roc: %w", s.Window, err)
		}
		for _, p := range pts {
			st.fpr = append(st.fpr, p.X)
			st.mean = append(st.mean, p.Y)
			if p.X > 0 {
				st.minFPR = math.Min(st.minFPR, p.X)
			}
			if p.Y < 1 {
				st.minFNR = math.Min(st.minFNR, 1-p.Y)
			}
		}
		return st, nil
	}
	st.fpr = rocGrid
	st.mean = make([]float64, len(rocGrid))
	st.sd = make([]float64, len(rocGrid))
	for _, u := range users {
		if len(u.ROC.FPR) != len(u.ROC.TPR) {
			return st, fmt.Errorf("user %s roc has %d fpr values but %d tpr values", u.User, len(u.ROC.FPR), len(u.ROC.TPR))
		}
		for i, f := range u.ROC.FPR {
			if f > 0 && isFinite(f) {
				st.minFPR = math.Min(st.minFPR, f)
			}
			if fnr := 1 - u.ROC.TPR[i]; fnr > 1e-12 && isFinite(fnr) {
				st.minFNR = math.Min(st.minFNR, fnr)
			}
		}
	}
	tpr := make([]float64, len(users))
	for i, x := range rocGrid {
		for j, u := range users {
			tpr[j] = evaluate.TPRAt(u.ROC, x)
		}
		var sum, sq float64
		for _, v := range tpr {
			sum += v
		}
		m := sum / float64(len(tpr))
		for _, v := range tpr {
			sq += (v - m) * (v - m)
		}
		st.mean[i], st.sd[i] = m, math.Sqrt(sq/float64(len(tpr)))
	}
	return st, nil
}

// eer returns the point where the curve's FNR = 1 - TPR meets its FPR,
// linearly interpolated, and false if it never does.
func (st curveStats) eer() (float64, bool) {
	for i := 1; i < len(st.fpr); i++ {
		d0 := (1 - st.mean[i-1]) - st.fpr[i-1]
		d1 := (1 - st.mean[i]) - st.fpr[i]
		if d0 > 0 && d1 <= 0 {
			t := d0 / (d0 - d1)
			return st.fpr[i-1] + t*(st.fpr[i]-st.fpr[i-1]), true
		}
	}
	return 0, false
}

// rocLow is the lower end of a log FPR axis for curves: the 1-2-5 value at
// or below their finest FPR resolution, between 10^-4 and 0.05.
func rocLow(sts []curveStats) float64 {
	lo := 1.0
	for _, s := range sts {
		lo = math.Min(lo, s.minFPR)
	}
	if lo >= 1 {
		lo = 0.01
	}
	return math.Min(math.Max(floor125(lo), 1e-4), 0.05)
}

func rocXYs(c evaluate.ROCCurve) (plotter.XYs, error) {
	if len(c.FPR) != len(c.TPR) {
		return nil, fmt.Errorf("roc has %d fpr values but %d tpr values", len(c.FPR), len(c.TPR))
	}
	return finiteXYs(c.FPR, c.TPR), nil
}

// finiteXYs pairs xs and ys, dropping pairs with a non-finite member.
func finiteXYs(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, 0, len(xs))
	for i := range xs {
		if isFinite(xs[i]) && isFinite(ys[i]) {
			pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
		}
	}
	return pts
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ---- ROC figures ---------------------------------------------------------

const (
	fprLabel = "false positive rate (impostor accepted)"
	tprLabel = "true positive rate (genuine accepted)"
)

// logROCAxes puts FPR on a log axis from lo to 1 and TPR on [0, 1], and
// draws the chance line (straight on linear axes, curved here).
func logROCAxes(p *plot.Plot, lo float64) error {
	p.X.Scale = logScale{}
	p.X.Tick.Marker = logTicks{}
	p.X.Label.Text = fprLabel + ", log scale"
	var chance plotter.XYs
	for _, x := range rocGrid {
		if x >= lo {
			chance = append(chance, plotter.XY{X: x, Y: x})
		}
	}
	_, err := addChance(p, chance)
	return err
}

// logROCRange sets the axes of a log-FPR ROC; call it after adding every
// curve, since plot.Add widens the axes to the data (FPR 0 included). The
// TPR axis is zoomed to [ylo, 1] (see rocYLow).
func logROCRange(p *plot.Plot, lo, ylo float64) {
	p.X.Min, p.X.Max = lo, 1
	p.Y.Min, p.Y.Max = ylo, 1
}

// rocYLow is where the TPR axis of a log-FPR ROC starts: 0, or, when every
// curve and band stays above 0.3 from FPR lo on, the tenth below their
// lowest point, so curves hugging the top spread out.
func rocYLow(sts []curveStats, lo float64) float64 {
	low := 1.0
	for _, st := range sts {
		for i, x := range st.fpr {
			if x < lo {
				continue
			}
			v := st.mean[i]
			if st.sd != nil {
				v -= st.sd[i]
			}
			low = math.Min(low, v)
		}
	}
	if low < 0.3 {
		return 0
	}
	return math.Floor(low*10-1e-9) / 10
}

// addChance draws the chance line through pts, dashed grey, with a legend
// entry, and returns it.
func addChance(p *plot.Plot, pts plotter.XYs) (*plotter.Line, error) {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.LineStyle = lineStyle(darkGrey, 0.8)
	l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(l)
	p.Legend.Add("chance", l)
	return l, nil
}

// addBandCurve draws st's mean in colour c, and its ±1 sd band when it has
// one, with a legend entry label.
func addBandCurve(p *plot.Plot, st curveStats, c color.RGBA, dash []vg.Length, bandAlpha float64, label string) error {
	mean := finiteXYs(st.fpr, st.mean)
	if len(mean) == 0 {
		return nil
	}
	var thumbs []plot.Thumbnailer
	if st.sd != nil && bandAlpha > 0 && len(mean) > 1 {
		var upper, lower plotter.XYs
		for i := range st.fpr {
			if isFinite(st.fpr[i]) && isFinite(st.mean[i]) && isFinite(st.sd[i]) {
				upper = append(upper, plotter.XY{X: st.fpr[i], Y: math.Min(1, st.mean[i]+st.sd[i])})
				lower = append(lower, plotter.XY{X: st.fpr[i], Y: math.Max(0, st.mean[i]-st.sd[i])})
			}
		}
		slices.Reverse(lower)
		ring := append(upper, lower...)
		band, err := plotter.NewPolygon(ring)
		if err != nil {
			return err
		}
		band.Color = translucent(c, bandAlpha)
		band.LineStyle.Width = 0
		p.Add(band)
		thumbs = append(thumbs, swatch{translucent(c, bandAlpha)})
	}
	l, err := plotter.NewLine(mean)
	if err != nil {
		return err
	}
	l.LineStyle = lineStyle(c, 1.6)
	l.Dashes = dash
	p.Add(l)
	p.Legend.Add(label, append(thumbs, l)...)
	return nil
}

// aucLabel is "AUC 0.850 ± 0.176" from a summary.
func aucLabel(s evaluate.WindowSummary) string {
	return fmt.Sprintf("AUC %.3f ± %.3f", s.MeanAUC, s.SDAUC)
}

func meanROCFigure(r evaluate.Result, label, slug string) (Figure, error) {
	sums := sortedSummary(r.Summary)
	sts := make([]curveStats, len(sums))
	for i, s := range sums {
		st, err := windowStats(r, s)
		if err != nil {
			return Figure{}, err
		}
		sts[i] = st
	}
	p := newPlot("", fprLabel, tprLabel)
	lo := rocLow(sts)
	if err := logROCAxes(p, lo); err != nil {
		return Figure{}, err
	}
	defer logROCRange(p, lo, rocYLow(sts, lo))
	// Bands of several windows overlap: only the first and last get one.
	for i, s := range sums {
		alpha := 0.0
		if i == 0 || i == len(sums)-1 {
			alpha = 0.14
		}
		if err := addBandCurve(p, sts[i], colour(i), dashes(i), alpha,
			fmt.Sprintf("window %d: %s", s.Window, aucLabel(s))); err != nil {
			return Figure{}, err
		}
	}
	band := "the shaded band is ±1 sd over users"
	if len(sums) > 2 {
		band = "the shaded bands (smallest and largest window) are ±1 sd over users"
	}
	return Figure{
		Name: "roc_mean_" + slug,
		Caption: fmt.Sprintf("Mean ROC over users for each window size, %s; %s; FPR on a log scale; the dashed curve is chance.",
			label, band),
		Plot: single(withTitle(p, "Mean ROC: "+label)),
	}, nil
}

func withTitle(p *plot.Plot, title string) *plot.Plot {
	p.Title.Text = title
	return p
}

// userROCFigure draws every user's ROC at window w on linear axes: the
// WorstUsers lowest AUCs (and all below chance) in colours, named in the
// legend; the others grey; the mean in black.
func userROCFigure(r evaluate.Result, label, slug string, w int) (Figure, error) {
	users := append([]evaluate.UserResult(nil), usersAt(r, w)...)
	sort.SliceStable(users, func(i, j int) bool { return users[i].AUC < users[j].AUC })
	named := worstCount(users)
	p := newPlot("", "false positive rate (impostor accepted)", tprLabel)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	chance, err := addChance(p, plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return Figure{}, err
	}
	rest := users[named:]
	var greyLine *plotter.Line
	for _, u := range rest {
		pts, err := rocXYs(u.ROC)
		if err != nil {
			return Figure{}, fmt.Errorf("user %s: %w", u.User, err)
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return Figure{}, err
		}
		l.LineStyle = lineStyle(grey, 0.8)
		p.Add(l)
		greyLine = l
	}
	var meanLine *plotter.Line
	var meanLabel string
	if s, ok := r.Find(w); ok && len(users) > 1 {
		st, err := windowStats(r, s)
		if err != nil {
			return Figure{}, err
		}
		l, err := plotter.NewLine(finiteXYs(st.fpr, st.mean))
		if err != nil {
			return Figure{}, err
		}
		l.LineStyle = lineStyle(color.Black, 1.8)
		p.Add(l)
		meanLine, meanLabel = l, "mean: "+aucLabel(s)
	}
	// Worst last, so they are drawn on top; the legend lists them worst first.
	for i := named - 1; i >= 0; i-- {
		u := users[i]
		pts, err := rocXYs(u.ROC)
		if err != nil {
			return Figure{}, fmt.Errorf("user %s: %w", u.User, err)
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return Figure{}, err
		}
		l.LineStyle = lineStyle(colour(i), 1.6)
		p.Add(l)
	}
	// The legend lists the named users worst first, then the rest.
	p.Legend = plot.NewLegend()
	styleText(&p.Legend.TextStyle.Font, legendSize)
	for i := 0; i < named; i++ {
		p.Legend.Add(fmt.Sprintf("%s: AUC %.3f", userName(users[i].User), users[i].AUC),
			&plotter.Line{LineStyle: lineStyle(colour(i), 1.6)})
	}
	if greyLine != nil {
		p.Legend.Add(fmt.Sprintf("%d other users: AUC %.3f–%.3f", len(rest), rest[0].AUC, rest[len(rest)-1].AUC), greyLine)
	}
	if meanLine != nil {
		p.Legend.Add(meanLabel, meanLine)
	}
	p.Legend.Add("chance", chance)
	worst := "the lowest AUC"
	if named > 1 {
		worst = fmt.Sprintf("the %d lowest AUCs", named)
	}
	return Figure{
		Name: fmt.Sprintf("roc_users_%s_w%d", slug, w),
		Caption: fmt.Sprintf("ROC curve of each of %d users, %s, window of %s: %s in colour (named), the others grey, the mean black.",
			len(users), label, actions(w), worst),
		Plot: single(withTitle(p, fmt.Sprintf("ROC per user: %s, window %d", label, w))),
	}, nil
}

// worstCount is how many of users (sorted by AUC) a per-user ROC names:
// all when they fit the palette and are few, else WorstUsers and every user
// below chance, at most the palette's size.
func worstCount(users []evaluate.UserResult) int {
	if len(users) <= WorstUsers+1 {
		return len(users)
	}
	n := WorstUsers
	for n < len(users) && n < len(palette) && users[n].AUC < 0.5 {
		n++
	}
	return n
}

// compareFigures overlays the results' mean ROCs (with ±1 sd bands) and
// their DET curves at window w, each labelled by what sets it apart.
func compareFigures(results []evaluate.Result, names resultNames, w int) ([]Figure, error) {
	var sts []curveStats
	var sums []evaluate.WindowSummary
	var idx []int
	for i, r := range results {
		s, ok := r.Find(w)
		if !ok {
			continue
		}
		st, err := windowStats(r, s)
		if err != nil {
			return nil, fmt.Errorf("results[%d]: %w", i, err)
		}
		sts, sums, idx = append(sts, st), append(sums, s), append(idx, i)
	}
	common := commonTitle(names)
	suffix := ""
	if common != "" {
		suffix = " (" + common + ")"
	}
	p := newPlot("", fprLabel, tprLabel)
	lo := rocLow(sts)
	if err := logROCAxes(p, lo); err != nil {
		return nil, err
	}
	defer logROCRange(p, lo, rocYLow(sts, lo))
	alpha := 0.15
	if len(sts) > 3 {
		alpha = 0.08
	}
	var det []detCurve
	for k, st := range sts {
		i := idx[k]
		if err := addBandCurve(p, st, colour(i), dashes(i), alpha, names.Short[i]+": "+aucLabel(sums[k])); err != nil {
			return nil, err
		}
		det = append(det, detCurve{st: st, colour: colour(i), dash: dashes(i), label: names.Short[i]})
	}
	dp, err := detPlot(det)
	if err != nil {
		return nil, err
	}
	return []Figure{{
		Name: fmt.Sprintf("roc_compare_w%d", w),
		Caption: fmt.Sprintf("Mean ROC of each result at a window of %s%s, with ±1 sd over users shaded; FPR on a log scale.",
			actions(w), suffix),
		Plot: single(withTitle(p, fmt.Sprintf("Mean ROC ± 1 sd, window %d%s", w, suffix))),
	}, {
		Name: fmt.Sprintf("det_compare_w%d", w),
		Caption: fmt.Sprintf("DET curves (of the mean ROCs) at a window of %s%s on normal-deviate axes; dots mark the equal error rate, where the curve meets the dotted FPR = FNR line.",
			actions(w), suffix),
		Plot: single(withTitle(dp, fmt.Sprintf("DET, window %d%s", w, suffix))),
	}}, nil
}

// actions is "1 action" or "n actions".
func actions(n int) string {
	if n == 1 {
		return "1 action"
	}
	return fmt.Sprintf("%d actions", n)
}

func paramLabel(param string) string {
	switch param {
	case "trees":
		return "trees in the forest"
	case "window":
		return "window (actions)"
	}
	return param
}

func sortedSummary(s []evaluate.WindowSummary) []evaluate.WindowSummary {
	out := append([]evaluate.WindowSummary(nil), s...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Window < out[j].Window })
	return out
}

// Series is one line of a [LinePlot].
type Series struct {
	Label string
	X, Y  []float64
}

// LinePlot draws series as lines with points (bench figures: latency
// against users, throughput against offered rate), legend beside the axes,
// the y axis from zero when every value is positive. With logX the x axis
// is logarithmic.
func LinePlot(title, x, y string, logX bool, series ...Series) (*plot.Plot, error) {
	p := newPlot(title, x, y)
	if logX {
		p.X.Scale = logScale{}
		p.X.Tick.Marker = logTicks{}
	}
	for i, s := range series {
		pts := finiteXYs(s.X, s.Y)
		if logX {
			pts = positiveX(pts)
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.LineStyle = lineStyle(colour(i), 1.4)
		l.Dashes = dashes(i)
		sc.Color = l.Color
		sc.Radius = vg.Points(2.2)
		p.Add(l, sc)
		if s.Label != "" {
			p.Legend.Add(s.Label, l, sc)
		}
	}
	if p.Y.Min > 0 {
		p.Y.Min = 0 // latency, throughput, memory: from zero, so ratios read true
	}
	return single(p), nil
}

func positiveX(pts plotter.XYs) plotter.XYs {
	out := pts[:0:0]
	for _, p := range pts {
		if p.X > 0 {
			out = append(out, p)
		}
	}
	return out
}
