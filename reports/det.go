package reports

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mouseauth/mouseauth/evaluate"
)

// detCurve is one curve of a DET plot.
type detCurve struct {
	st     curveStats
	colour color.RGBA
	dash   []vg.Length
	label  string
}

// detLow is the lower end of both DET axes: the 1-2-5 rate at or below the
// curves' finest resolution, between 0.1% and 1%.
func detLow(cs []detCurve) float64 {
	lo := 1.0
	for _, c := range cs {
		lo = math.Min(lo, math.Min(c.st.minFPR, c.st.minFNR))
	}
	if lo >= 1 {
		lo = 0.01
	}
	return math.Min(math.Max(floor125(lo), 1e-3), 0.01)
}

// detPoints are the curve's (FPR, FNR) pairs, both above zero.
func detPoints(st curveStats) plotter.XYs {
	var pts plotter.XYs
	for i, x := range st.fpr {
		y := 1 - st.mean[i]
		if x > 0 && y > 1e-12 && isFinite(x) && isFinite(y) {
			pts = append(pts, plotter.XY{X: x, Y: y})
		}
	}
	return pts
}

// detHigh is the upper end of the FNR axis: 50%, or more when a curve
// enters the plot (at FPR lo) above it, up to 99%. The FPR axis ends at 50%:
// no one runs a system that accepts more than half the impostors.
func detHigh(cs []detCurve, lo float64) float64 {
	need := 0.0
	for _, c := range cs {
		for _, p := range detPoints(c.st) {
			if p.X >= lo {
				need = math.Max(need, p.Y)
			}
		}
	}
	if need <= 0.4 {
		return 0.5
	}
	for _, v := range detTickValues {
		if v >= need-1e-9 && v > 0.4 {
			return v
		}
	}
	return 0.99
}

// detPlot draws DET curves (false negative against false positive rate) on
// normal-deviate axes, with the EER of each curve marked on the FPR = FNR
// diagonal.
func detPlot(cs []detCurve) (*plot.Plot, error) {
	p := newPlot("", "false positive rate (impostor accepted), normal deviate scale",
		"false negative rate (genuine rejected)")
	lo := detLow(cs)
	hiX, hiY := 0.5, detHigh(cs, lo)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Scale = probitScale{}
		a.Tick.Marker = percentTicks{}
	}
	d := math.Min(hiX, hiY)
	diag, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: d, Y: d}})
	if err != nil {
		return nil, err
	}
	diag.LineStyle = lineStyle(darkGrey, 0.7)
	diag.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	p.Add(diag)
	for _, c := range cs {
		pts := detPoints(c.st)
		if len(pts) == 0 {
			if len(c.st.fpr) > 0 {
				// A curve that never errs at once on both sides has no point
				// on these axes: say so rather than leave it out silently.
				p.Legend.Add(c.label + ": no ROC point with both error rates above 0 to draw")
			}
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.LineStyle = lineStyle(c.colour, 1.6)
		l.Dashes = c.dash
		p.Add(l)
		label := c.label
		thumbs := []plot.Thumbnailer{l}
		if e, ok := c.st.eer(); ok {
			sc, err := plotter.NewScatter(plotter.XYs{{X: e, Y: e}})
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: c.colour, Radius: vg.Points(3.2), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			thumbs = append(thumbs, sc)
			label += ": EER " + percent1(e)
		}
		p.Legend.Add(label, thumbs...)
	}
	p.Legend.Add("FPR = FNR", diag)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hiX, lo, hiY
	return p, nil
}

func meanDETFigure(r evaluate.Result, label, slug string) (Figure, error) {
	var cs []detCurve
	for i, s := range sortedSummary(r.Summary) {
		st, err := windowStats(r, s)
		if err != nil {
			return Figure{}, err
		}
		cs = append(cs, detCurve{st: st, colour: colour(i), dash: dashes(i), label: fmt.Sprintf("window %d", s.Window)})
	}
	p, err := detPlot(cs)
	if err != nil {
		return Figure{}, err
	}
	return Figure{
		Name: "det_" + slug,
		Caption: fmt.Sprintf("DET curves of the mean ROC for each window size, %s, on normal-deviate axes; dots mark the equal error rate of each curve (the summary's EER is the mean of per-user EERs).",
			label),
		Plot: single(withTitle(p, "DET: "+label)),
	}, nil
}
