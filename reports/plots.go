package reports

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mouseauth/mouseauth/evaluate"
)

// WorstUsers is how many users a per-user ROC names (those with the lowest
// AUC, in distinct colours); every user below chance is named too, up to
// the palette's size. The rest are grey.
const WorstUsers = 5

// Figure is one plot of a run, with a file-name stem (no extension) that is
// unique within the run, and the title and caption the HTML report shows
// beside it (never drawn into the image).
type Figure struct {
	Name    string // e.g. "roc_users_rf_preset-published_protocol-reference_w10"
	Title   string
	Caption string
	Plot    *plot.Plot
	// Style is the style the figure was built in (its size); zero: screen.
	Style Style
}

// Axis labels: ISO/IEC 19795-1 rates, in fractions (the unit of every
// figure and table).
const (
	fmrLabel  = "FMR (impostor windows accepted)"
	fnmrLabel = "FNMR (genuine windows rejected)"
	// An en dash, not U+2212: the PDF's fonts are encoded as Windows-1252,
	// which has no minus sign.
	tprLabel = "1 – FNMR (genuine windows accepted)"
)

// Figures builds every plot the run has data for, in report order, drawn
// in style st:
//
//   - per held-out evaluation, the pooled session and action ROCs
//     (holdout_roc) and their DET curves with the pooled EERs
//     (holdout_det);
//   - per result, the mean per-user ROC of every window with its 95%
//     interval over users (roc_mean_<result>), the pooled DET of every
//     window with the pooled EER marked (det_<result>), then per window the
//     ROC curve of every user, the worst named (roc_users_<result>_w<w>);
//   - with two or more results, per window their mean per-user ROCs
//     (roc_compare_w<w>) and pooled DETs (det_compare_w<w>), labelled by the
//     settings that tell the results apart;
//   - for a sweep over trees × windows, heat maps of mean per-user AUC and
//     EER with a colour bar, the best cell and those indistinguishable from
//     it outlined (sweep_grid_auc, sweep_grid_eer); along one axis, AUC and
//     EER with their intervals against it (sweep_<axis>_auc_eer); and, where
//     it varies, the time taken (sweep_<axis>_seconds);
//   - with thresholds, FMR and FNMR against the threshold (threshold_rates)
//     and the actions until a rejection (threshold_delay), per window.
//   - per continuous evaluation, ANIA and false lockouts per deployment
//     (continuous), per attack evaluation the accepted actions and alerted
//     sessions per attack and deployment (attacks).
//
// What evaluate computed is drawn as it is: the curves come from the run
// (evaluate.WindowSummary.MeanROC, .Stats.Pooled.Curve). ROC axes are
// linear from 0 to 1 unless st.LogROC; DET axes run from 0.001 to 0.9;
// no axis is cropped to the data. Non-finite values are left out of the
// curves. It returns an error naming the field of the run that cannot be
// drawn.
func Figures(run *evaluate.Run, st Style) ([]Figure, error) {
	if st.Width == 0 {
		st = ScreenStyle()
	}
	var figs []Figure
	for i, h := range run.Holdouts {
		slug := ""
		if i > 0 {
			slug = fmt.Sprintf("_%d", i+1)
		}
		fs, err := holdoutPlots(h, slug, st)
		if err != nil {
			return nil, fmt.Errorf("holdouts[%d]: %w", i, err)
		}
		figs = append(figs, fs...)
	}
	names := nameResults(run.Results)
	slugs := resultSlugs(run.Results)
	seeds := seedNote(run)
	for i, r := range run.Results {
		if len(r.Summary) > 0 {
			f, err := meanROCFigure(r, names.Long[i], slugs[i], seeds, st)
			if err != nil {
				return nil, fmt.Errorf("results[%d].summary: %w", i, err)
			}
			figs = append(figs, f)
			f, err = meanDETFigure(r, names.Long[i], slugs[i], seeds, st)
			if err != nil {
				return nil, fmt.Errorf("results[%d].summary: %w", i, err)
			}
			figs = append(figs, f)
		}
		for _, w := range resultWindows(r) {
			f, err := userROCFigure(r, names.Long[i], slugs[i], w, st)
			if err != nil {
				return nil, fmt.Errorf("results[%d] window %d: %w", i, w, err)
			}
			figs = append(figs, f)
		}
	}
	if len(run.Results) > 1 {
		for _, w := range allSummaryWindows(run.Results) {
			fs, err := compareFigures(run.Results, names, w, seeds, st)
			if err != nil {
				return nil, fmt.Errorf("comparison at window %d: %w", w, err)
			}
			figs = append(figs, fs...)
		}
	}
	classifier := ""
	if run.Settings != nil {
		classifier = run.Settings.Classifier
	}
	fs, err := sweepFigures(run.Sweeps, st, classifier)
	if err != nil {
		return nil, err
	}
	figs = append(figs, fs...)
	if len(run.Thresholds) > 0 {
		groups := thresholdGroups(run.Thresholds)
		f, err := thresholdRatesFigure(groups, st)
		if err != nil {
			return nil, fmt.Errorf("thresholds: %w", err)
		}
		figs = append(figs, f)
		f, err = thresholdDelayFigure(groups, st)
		if err != nil {
			return nil, fmt.Errorf("thresholds: %w", err)
		}
		figs = append(figs, f)
	}
	for _, more := range []func(*evaluate.Run, Style) ([]Figure, error){continuousFigures, attackFigures} {
		fs, err := more(run, st)
		if err != nil {
			return nil, err
		}
		figs = append(figs, fs...)
	}
	for i := range figs {
		figs[i].Style = st
	}
	return figs, nil
}

// seedNote says over which seeds the figures' curves and intervals are.
func seedNote(run *evaluate.Run) string {
	if IsMultiSeed(run) {
		return fmt.Sprintf(" Curves and intervals are over seeds %s: each user's curve averaged over them, the pooled curve pooling their windows.", seedsText(run.Seeds))
	}
	return ""
}

// figureStyle is f's style, the screen style when unset.
func (f Figure) figureStyle() Style {
	if f.Style.Width == 0 {
		return ScreenStyle()
	}
	return f.Style
}

// RenderPNG draws f as a PNG at its style's size and resolution.
func RenderPNG(f Figure) ([]byte, error) {
	st := f.figureStyle()
	c := vgimg.NewWith(vgimg.UseWH(st.Width, st.Height), vgimg.UseDPI(st.DPI))
	f.Plot.Draw(margins(draw.New(c)))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return b.Bytes(), nil
}

// RenderSVG draws f as an SVG at its style's size with a viewBox, so it
// scales. Fonts are named, not embedded, so the text stays searchable and
// the file small.
func RenderSVG(f Figure) ([]byte, error) {
	st := f.figureStyle()
	c := vgsvg.New(st.Width, st.Height)
	f.Plot.Draw(margins(draw.New(c)))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encode svg: %w", err)
	}
	return fixTextLength(b.Bytes()), nil
}

// RenderPDF draws f as a one-page PDF at its style's size with its fonts
// embedded.
func RenderPDF(f Figure) ([]byte, error) {
	st := f.figureStyle()
	c := vgpdf.New(st.Width, st.Height)
	c.EmbedFonts(true)
	f.Plot.Draw(margins(draw.New(c)))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encode pdf: %w", err)
	}
	return b.Bytes(), nil
}

var svgTextRE = regexp.MustCompile(`<text ([^>]*?)style="font-family:Liberation Sans;([^"]*?)font-size:([0-9.]+)px([^"]*)">([^<]*)</text>`)

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
	return draw.Crop(c, vg.Points(3), -vg.Points(8), vg.Points(2), -vg.Points(5))
}

// ---- ROC figures ---------------------------------------------------------

// rocAxes sets the ROC's axes: FMR linear on [0, 1], or log on [0.001, 1]
// with st.LogROC; 1 − FNMR on [0, 1]; and draws the chance line (straight on
// linear axes, curved on the log one).
func rocAxes(p *plot.Plot, st Style) (*plotter.Line, error) {
	pts := plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}
	if st.LogROC {
		p.X.Scale = logScale{}
		p.X.Tick.Marker = logTicks{}
		p.X.Label.Text = fmrLabel + ", log scale"
		pts = nil
		for _, x := range evaluate.ROCGrid {
			if x >= logROCLow {
				pts = append(pts, plotter.XY{X: x, Y: x})
			}
		}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.LineStyle = lineStyle(darkGrey, 0.7)
	l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(l)
	return l, nil
}

// logROCLow is where a log FMR axis starts.
const logROCLow = 0.001

// rocRange fixes the ROC's axes; call it after adding every curve, since
// plot.Add widens the axes to the data.
func rocRange(p *plot.Plot, st Style) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	if st.LogROC {
		p.X.Min = logROCLow
	}
}

// banded says which of n curves get their interval band: all of one or
// two; of more, the first and the last only (overlapping bands would hide
// each other).
func banded(i, n int) bool { return n <= 2 || i == 0 || i == n-1 }

// bandNote says which curves have bands, for captions.
func bandNote(n int, what string) string {
	if n <= 2 {
		return ""
	}
	return fmt.Sprintf(" Only the %s have their band, so that bands do not hide each other; the table gives every interval.", what)
}

// addBandCurve draws curve c (TPR against FPR) in colour col and dash
// pattern dash, with its interval band (Lo, Hi) where it has one and band
// is set (outlined thinly in the curve's colour and dashes, so that
// overlapping bands stay apart), and adds a legend entry.
func addBandCurve(p *plot.Plot, leg *legend, c evaluate.ROCCurve, col color.RGBA, dash []vg.Length, width float64, band bool, label string) error {
	mean := finiteXYs(c.FPR, c.TPR)
	if len(mean) == 0 {
		return nil
	}
	var thumbs []plot.Thumbnailer
	if band && len(c.Lo) == len(c.FPR) && len(c.Hi) == len(c.FPR) && len(mean) > 1 {
		var upper, lower plotter.XYs
		for i := range c.FPR {
			if isFinite(c.FPR[i]) && isFinite(c.Lo[i]) && isFinite(c.Hi[i]) {
				upper = append(upper, plotter.XY{X: c.FPR[i], Y: c.Hi[i]})
				lower = append(lower, plotter.XY{X: c.FPR[i], Y: c.Lo[i]})
			}
		}
		for _, edge := range []plotter.XYs{upper, lower} {
			l, err := plotter.NewLine(edge)
			if err != nil {
				return err
			}
			l.LineStyle = draw.LineStyle{Color: translucent(col, 0.55), Width: vg.Points(0.4), Dashes: dash}
			p.Add(l)
		}
		slices.Reverse(lower)
		poly, err := plotter.NewPolygon(append(upper, lower...))
		if err != nil {
			return err
		}
		poly.Color = translucent(col, 0.16)
		poly.LineStyle.Width = 0
		p.Add(poly)
		thumbs = append(thumbs, swatch{translucent(col, 0.16)})
	}
	l, err := plotter.NewLine(mean)
	if err != nil {
		return err
	}
	l.LineStyle = lineStyle(col, width)
	l.Dashes = dash
	p.Add(l)
	leg.add(label, append(thumbs, dashThumb{col, dash, width})...)
	return nil
}

// estText is "0.875 [0.851, 0.897]", a figure and its 95% interval, or the
// figure alone where the interval is undefined.
func estText(e evaluate.Estimate) string {
	if !e.HasInterval() {
		return fixed3(e.Value)
	}
	return fmt.Sprintf("%s [%s, %s]", fixed3(e.Value), fixed3(*e.Lo), fixed3(*e.Hi))
}

// meanAUC is a summary's mean per-user AUC with its interval (none in a
// run written before intervals were).
func meanAUC(s evaluate.WindowSummary) evaluate.Estimate {
	if s.Stats != nil {
		return s.Stats.MeanAUC
	}
	return evaluate.Estimate{Value: s.MeanAUC}
}

func meanROCFigure(r evaluate.Result, label, slug, seeds string, st Style) (Figure, error) {
	sums := sortedSummary(r.Summary)
	p := newPlot(st, fmrLabel, tprLabel)
	chance, err := rocAxes(p, st)
	if err != nil {
		return Figure{}, err
	}
	leg := &legend{}
	for i, s := range sums {
		if err := rocCheck(s.MeanROC); err != nil {
			return Figure{}, fmt.Errorf("window %d mean_roc: %w", s.Window, err)
		}
		if err := addBandCurve(p, leg, s.MeanROC, colour(i), dashes(i), st.line(), banded(i, len(sums)),
			fmt.Sprintf("window %d: AUC %s", s.Window, estText(meanAUC(s)))); err != nil {
			return Figure{}, err
		}
	}
	leg.add("chance", chance)
	rocRange(p, st)
	return Figure{
		Name:  "roc_mean_" + slug,
		Title: "Mean per-user ROC: " + label,
		Caption: fmt.Sprintf("Mean per-user ROC for each window size (%s): each user's ROC against the user's own threshold, averaged over users at every FMR; the band is the pointwise 95%% bootstrap interval of the mean over users. The legend gives the mean per-user AUC and its 95%% interval over users.%s%s%s",
			label, bandNote(len(sums), "smallest and largest windows"), scaleNote(st), seeds),
		Plot: single(st, p, leg),
	}, nil
}

// scaleNote says how the ROC's FMR axis is drawn.
func scaleNote(st Style) string {
	if st.LogROC {
		return " FMR on a log scale from 0.001; the dashed curve is chance."
	}
	return " The dashed line is chance."
}

// rocCheck reports a curve whose FPR and TPR lengths differ.
func rocCheck(c evaluate.ROCCurve) error {
	if len(c.FPR) != len(c.TPR) {
		return fmt.Errorf("roc has %d fpr values but %d tpr values", len(c.FPR), len(c.TPR))
	}
	return nil
}

// userROCFigure draws every user's ROC at window w on the ROC axes: the
// WorstUsers lowest AUCs (and all below chance) in colours, named in the
// legend; the others grey; the mean in black.
func userROCFigure(r evaluate.Result, label, slug string, w int, st Style) (Figure, error) {
	users := append([]evaluate.UserResult(nil), usersAt(r, w)...)
	sort.SliceStable(users, func(i, j int) bool { return users[i].AUC < users[j].AUC })
	named := worstCount(users)
	p := newPlot(st, fmrLabel, tprLabel)
	chance, err := rocAxes(p, st)
	if err != nil {
		return Figure{}, err
	}
	rest := users[named:]
	var greyLine *plotter.Line
	for _, u := range rest {
		if err := rocCheck(u.ROC); err != nil {
			return Figure{}, fmt.Errorf("user %s: %w", u.User, err)
		}
		pts := finiteXYs(u.ROC.FPR, u.ROC.TPR)
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return Figure{}, err
		}
		l.LineStyle = lineStyle(grey, 0.6*st.line())
		p.Add(l)
		greyLine = l
	}
	var meanLine *plotter.Line
	var meanLabel string
	if s, ok := r.Find(w); ok && len(users) > 1 {
		if err := rocCheck(s.MeanROC); err != nil {
			return Figure{}, fmt.Errorf("window %d mean_roc: %w", w, err)
		}
		l, err := plotter.NewLine(finiteXYs(s.MeanROC.FPR, s.MeanROC.TPR))
		if err != nil {
			return Figure{}, err
		}
		l.LineStyle = lineStyle(color.Black, 1.1*st.line())
		p.Add(l)
		meanLine, meanLabel = l, "mean: "+estText(meanAUC(s))
	}
	// Worst last, so they are drawn on top; the legend lists them worst first.
	for i := named - 1; i >= 0; i-- {
		u := users[i]
		if err := rocCheck(u.ROC); err != nil {
			return Figure{}, fmt.Errorf("user %s: %w", u.User, err)
		}
		pts := finiteXYs(u.ROC.FPR, u.ROC.TPR)
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return Figure{}, err
		}
		l.LineStyle = lineStyle(colour(i), st.line())
		l.Dashes = dashes(i)
		p.Add(l)
	}
	leg := &legend{}
	for i := 0; i < named; i++ {
		leg.add(fmt.Sprintf("%s: %.3f", userName(users[i].User), users[i].AUC), dashThumb{colour(i), dashes(i), st.line()})
	}
	if greyLine != nil {
		leg.add(fmt.Sprintf("%d others: %.3f–%.3f", len(rest), rest[0].AUC, rest[len(rest)-1].AUC), greyLine)
	}
	if meanLine != nil {
		leg.add(meanLabel, meanLine)
	}
	leg.add("chance", chance)
	rocRange(p, st)
	worst := "the lowest AUC"
	if named > 1 {
		worst = fmt.Sprintf("the %d lowest AUCs", named)
	}
	return Figure{
		Name:  fmt.Sprintf("roc_users_%s_w%d", slug, w),
		Title: fmt.Sprintf("ROC per user: %s, window %d", label, w),
		Caption: fmt.Sprintf("ROC curve of each of %d users (%s, window of %s, seed %d): %s in colour (named, with the AUC), the others grey, the mean per-user ROC black (its AUC with the 95%% interval over users).%s",
			len(users), label, actions(w), r.Seed, worst, scaleNote(st)),
		Plot: single(st, p, leg),
	}, nil
}

// dashThumb draws a legend line in a colour and dash pattern (a
// plotter.Line's thumbnail draws no dashes).
type dashThumb struct {
	c     color.Color
	dash  []vg.Length
	width float64
}

func (d dashThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	ls := lineStyle(d.c, d.width)
	ls.Dashes = d.dash
	c.StrokeLine2(ls, c.Min.X, y, c.Max.X, y)
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

// compareFigures overlays the results' mean per-user ROCs (with their
// intervals) and their pooled DET curves at window w, each labelled by
// what sets it apart.
func compareFigures(results []evaluate.Result, names resultNames, w int, seeds string, st Style) ([]Figure, error) {
	common := commonTitle(names)
	suffix := ""
	if common != "" {
		suffix = " (" + common + ")"
	}
	p := newPlot(st, fmrLabel, tprLabel)
	chance, err := rocAxes(p, st)
	if err != nil {
		return nil, err
	}
	leg := &legend{}
	var det []detCurve
	for i, r := range results {
		s, ok := r.Find(w)
		if !ok {
			continue
		}
		if err := rocCheck(s.MeanROC); err != nil {
			return nil, fmt.Errorf("results[%d] window %d mean_roc: %w", i, w, err)
		}
		if err := addBandCurve(p, leg, s.MeanROC, colour(i), dashes(i), st.line(), banded(i, len(results)), names.Short[i]+": AUC "+estText(meanAUC(s))); err != nil {
			return nil, err
		}
		det = append(det, detCurveOf(s, colour(i), dashes(i), names.Short[i]))
	}
	leg.add("chance", chance)
	rocRange(p, st)
	dp, dleg, err := detPlot(det, st)
	if err != nil {
		return nil, err
	}
	return []Figure{{
		Name:  fmt.Sprintf("roc_compare_w%d", w),
		Title: fmt.Sprintf("Mean per-user ROC, window %d%s", w, suffix),
		Caption: fmt.Sprintf("Mean per-user ROC of each result at a window of %s%s, with the pointwise 95%% interval over users shaded; the legend gives the mean per-user AUC and its 95%% interval.%s%s%s",
			actions(w), suffix, bandNote(len(results), "first and last results"), scaleNote(st), seeds),
		Plot: single(st, p, leg),
	}, {
		Name:  fmt.Sprintf("det_compare_w%d", w),
		Title: fmt.Sprintf("Pooled DET, window %d%s", w, suffix),
		Caption: fmt.Sprintf("Pooled DET curve of each result at a window of %s%s: every user's windows against one global threshold, on normal-deviate axes; dots mark the pooled EER, where the curve meets the dotted FMR = FNMR line (the legend gives it with its 95%% interval over users).%s",
			actions(w), suffix, seeds),
		Plot: single(st, dp, dleg),
	}}, nil
}

// actions is "1 action" or "n actions".
func actions(n int) string {
	if n == 1 {
		return "1 action"
	}
	return fmt.Sprintf("%d actions", n)
}

// paramLabel names a swept parameter on an axis.
func (st Style) paramLabel(param string) string {
	switch param {
	case "trees":
		if st.treeLabel != "" {
			return st.treeLabel
		}
		return "trees"
	case "window":
		return "window (actions)"
	}
	return param
}

// treeLabel names the tree count of classifier: boosting rounds for gbdt.
func treeLabel(classifier string) string {
	if evaluate.TreeParam(classifier) == "rounds" {
		return "boosting rounds (trees)"
	}
	return "trees"
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
// against users, throughput against offered rate) in the screen style,
// the legend below the axes, the y axis from zero when every value is
// positive. With logX the x axis is logarithmic. The title is the
// figure's caption's to give; it is not drawn.
func LinePlot(_, x, y string, logX bool, series ...Series) (*plot.Plot, error) {
	st := ScreenStyle()
	p := newPlot(st, x, y)
	if logX {
		p.X.Scale = logScale{}
		p.X.Tick.Marker = logTicks{}
	}
	leg := &legend{}
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
			leg.add(s.Label, dashThumb{colour(i), dashes(i), 1.4}, sc)
		}
	}
	if p.Y.Min > 0 {
		p.Y.Min = 0 // latency, throughput, memory: from zero, so ratios read true
	}
	return single(st, p, leg), nil
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

// fixed3 is a rate with three decimals, "n/a" when not finite.
func fixed3(v float64) string {
	if !isFinite(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
