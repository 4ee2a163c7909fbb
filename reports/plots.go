package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mouseauth/mouseauth/evaluate"
)

// Figure sizes and resolution. PNGs are rendered at PNGDPI so they stay
// sharp in the HTML report, which shows them at their 96-dpi size.
const (
	FigureWidth  = 6 * vg.Inch
	FigureHeight = 4 * vg.Inch
	PNGDPI       = 144
	// maxLegend is the most curves a figure labels in its legend; beyond it
	// the legend would cover the plot, and the per-user table has the names.
	maxLegend = 16
)

// Figure is one plot of a run, with a file-name stem (no extension) that is
// unique within the run and a caption for the HTML report.
type Figure struct {
	Name    string // e.g. "roc_users_rf-reference_w10"
	Caption string
	Plot    *plot.Plot
}

// Figures builds every plot the run has data for, in report order:
//
//   - per result, the mean ROC of every window with the chance line (roc_mean_<result>),
//     then per window the ROC curve of every user (roc_users_<result>_w<window>);
//   - with two or more results, their mean ROCs overlaid per window (roc_compare_w<window>);
//   - per sweep axis (trees, window) with two or more values, mean AUC (± sd)
//     and mean EER against it (sweep_<axis>_auc_eer), one pair of curves per
//     value of the other axis, and, where it varies, the time taken
//     (sweep_<axis>_seconds);
//   - with thresholds, false-alarm and miss rates against p (threshold_rates) and
//     detection delay in actions against p (threshold_delay), curves per window.
//
// Non-finite values are left out of the curves. It returns an error naming
// the field of the run that cannot be drawn.
func Figures(run *evaluate.Run) ([]Figure, error) {
	var figs []Figure
	slugs := resultSlugs(run.Results)
	for i, r := range run.Results {
		if len(r.Summary) > 0 {
			f, err := meanROCFigure(r, slugs[i])
			if err != nil {
				return nil, fmt.Errorf("results[%d].summary: %w", i, err)
			}
			figs = append(figs, f)
		}
		for _, w := range resultWindows(r) {
			f, err := userROCFigure(r, slugs[i], w)
			if err != nil {
				return nil, fmt.Errorf("results[%d] window %d: %w", i, w, err)
			}
			figs = append(figs, f)
		}
	}
	if len(run.Results) > 1 {
		for _, w := range allSummaryWindows(run.Results) {
			f, err := compareROCFigure(run.Results, w)
			if err != nil {
				return nil, fmt.Errorf("comparison at window %d: %w", w, err)
			}
			figs = append(figs, f)
		}
	}
	for _, ax := range sweepAxes(run.Sweeps) {
		f, err := sweepQualityFigure(ax)
		if err != nil {
			return nil, fmt.Errorf("sweeps over %s: %w", ax.name, err)
		}
		figs = append(figs, f)
		if ax.timeVaries() {
			f, err = sweepTimeFigure(ax)
			if err != nil {
				return nil, fmt.Errorf("sweeps over %s: %w", ax.name, err)
			}
			figs = append(figs, f)
		}
	}
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
	return figs, nil
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

// RenderSVG draws p as an SVG of FigureWidth × FigureHeight. Fonts are named,
// not embedded, so the text stays searchable and the file small.
func RenderSVG(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(FigureWidth, FigureHeight)
	p.Draw(margins(draw.New(c)))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("encode svg: %w", err)
	}
	return b.Bytes(), nil
}

// margins keeps a strip free on the right and at the top: gonum/plot
// centres the last tick label on the end of the axis, which would otherwise
// be cut in half at the edge of the image.
func margins(c draw.Canvas) draw.Canvas {
	return draw.Crop(c, 0, -vg.Points(14), 0, -vg.Points(4))
}

// legendHeadroom puts the legend at the top right, above the curves: the y
// axis runs to 30% above top, a band the curves do not reach.
func legendHeadroom(p *plot.Plot, top float64) {
	if !isFinite(top) || top <= 0 {
		top = 1
	}
	p.Y.Max = 1.3 * top
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = -4
	p.Legend.YOffs = -2
}

// unitTicks labels 0, 0.2, ..., 1 only, so the headroom above 1 carries no
// labels a rate could never reach.
func unitTicks() plot.Ticker {
	var ts []plot.Tick
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		t := plot.Tick{Value: v}
		if i%2 == 0 {
			t.Label = strconv.FormatFloat(v, 'f', 1, 64)
		}
		ts = append(ts, t)
	}
	return plot.ConstantTicks(ts)
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

// rocAxes fixes both axes to [0, 1], puts the legend bottom-right (where a
// useful ROC curve leaves room) and draws the chance line.
func rocAxes(p *plot.Plot) error {
	p.X.Min, p.X.Max = 0, 1
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.XOffs = -4
	p.Legend.YOffs = 4
	chance, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	chance.Color = color.Gray{Y: 128}
	chance.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(chance)
	p.Legend.Add("chance", chance)
	return nil
}

// style gives curve i a colour and, after the colours run out, a dash pattern,
// so up to len(colours) × dash patterns curves stay apart.
func style(l *plotter.Line, i int) {
	l.Color = plotutil.Color(i)
	l.Dashes = plotutil.Dashes(i / len(plotutil.DefaultColors))
	l.Width = vg.Points(1.2)
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

func rocXYs(c evaluate.ROCCurve) (plotter.XYs, error) {
	if len(c.FPR) != len(c.TPR) {
		return nil, fmt.Errorf("roc has %d fpr values but %d tpr values", len(c.FPR), len(c.TPR))
	}
	return finiteXYs(c.FPR, c.TPR), nil
}

func addCurve(p *plot.Plot, pts plotter.XYs, i int, label string, legend bool) error {
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	style(l, i)
	p.Add(l)
	if legend {
		p.Legend.Add(label, l)
	}
	return nil
}

func userROCFigure(r evaluate.Result, slug string, w int) (Figure, error) {
	users := usersAt(r, w)
	p := newPlot(fmt.Sprintf("ROC per user: %s, window %d", resultLabel(r), w),
		"false positive rate (impostor accepted)", "true positive rate (genuine accepted)")
	if err := rocAxes(p); err != nil {
		return Figure{}, err
	}
	for i, u := range users {
		pts, err := rocXYs(u.ROC)
		if err != nil {
			return Figure{}, fmt.Errorf("user %s: %w", u.User, err)
		}
		if err := addCurve(p, pts, i, fmt.Sprintf("%s (AUC %.3f)", u.User, u.AUC), len(users) <= maxLegend); err != nil {
			return Figure{}, fmt.Errorf("user %s: %w", u.User, err)
		}
	}
	return Figure{
		Name:    fmt.Sprintf("roc_users_%s_w%d", slug, w),
		Caption: fmt.Sprintf("ROC curve of each of %d users, %s, window of %s.", len(users), resultLabel(r), actions(w)),
		Plot:    p,
	}, nil
}

func meanROCFigure(r evaluate.Result, slug string) (Figure, error) {
	p := newPlot("Mean ROC: "+resultLabel(r),
		"false positive rate (impostor accepted)", "true positive rate (genuine accepted)")
	if err := rocAxes(p); err != nil {
		return Figure{}, err
	}
	for i, s := range sortedSummary(r.Summary) {
		pts, err := rocXYs(s.MeanROC)
		if err != nil {
			return Figure{}, fmt.Errorf("window %d mean_roc: %w", s.Window, err)
		}
		label := fmt.Sprintf("window %d (AUC %.3f ± %.3f)", s.Window, s.MeanAUC, s.SDAUC)
		if err := addCurve(p, pts, i, label, true); err != nil {
			return Figure{}, err
		}
	}
	return Figure{
		Name:    "roc_mean_" + slug,
		Caption: fmt.Sprintf("Mean ROC over users for each window size, %s; the dashed diagonal is chance.", resultLabel(r)),
		Plot:    p,
	}, nil
}

func compareROCFigure(results []evaluate.Result, w int) (Figure, error) {
	p := newPlot(fmt.Sprintf("Mean ROC by classifier, window %d", w),
		"false positive rate (impostor accepted)", "true positive rate (genuine accepted)")
	if err := rocAxes(p); err != nil {
		return Figure{}, err
	}
	for i, r := range results {
		for _, s := range r.Summary {
			if s.Window != w {
				continue
			}
			pts, err := rocXYs(s.MeanROC)
			if err != nil {
				return Figure{}, fmt.Errorf("results[%d] mean_roc: %w", i, err)
			}
			label := fmt.Sprintf("%s (AUC %.3f)", resultLabel(r), s.MeanAUC)
			if err := addCurve(p, pts, i, label, true); err != nil {
				return Figure{}, err
			}
		}
	}
	return Figure{
		Name:    fmt.Sprintf("roc_compare_w%d", w),
		Caption: fmt.Sprintf("Mean ROC of each classifier and protocol at a window of %s.", actions(w)),
		Plot:    p,
	}, nil
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
// against users, throughput against offered rate). With logX the x axis is
// logarithmic.
func LinePlot(title, x, y string, logX bool, series ...Series) (*plot.Plot, error) {
	p := newPlot(title, x, y)
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	for i, s := range series {
		pts := finiteXYs(s.X, s.Y)
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		style(l, i)
		sc.Color = l.Color
		p.Add(l, sc)
		if s.Label != "" {
			p.Legend.Add(s.Label, l, sc)
		}
	}
	p.Legend.Top = true
	p.Legend.Left = true
	return p, nil
}
