package reports

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mouseauth/mouseauth/evaluate"
)

// DET axes: both rates from 0.001 to 0.9 on normal-deviate scales, the same
// for every figure so figures compare at a glance.
const (
	detLow  = 0.001
	detHigh = 0.9
)

// detCurve is one curve of a DET plot: a ROC (TPR against FPR) and, where
// known, its EER with an interval.
type detCurve struct {
	roc    evaluate.ROCCurve
	eer    *evaluate.Estimate
	colour color.RGBA
	dash   []vg.Length
	label  string
	// eerName names the EER in the legend ("pooled EER").
	eerName string
}

// detCurveOf is a summary's pooled DET curve, or, in a run written before
// pooled figures were, its mean per-user ROC (said in the label).
func detCurveOf(s evaluate.WindowSummary, c color.RGBA, dash []vg.Length, label string) detCurve {
	if s.Stats != nil && len(s.Stats.Pooled.Curve.FPR) > 0 {
		e := s.Stats.Pooled.EER
		return detCurve{roc: s.Stats.Pooled.Curve, eer: &e, colour: c, dash: dash, label: label, eerName: "pooled EER"}
	}
	return detCurve{roc: s.MeanROC, colour: c, dash: dash, label: label + " (mean per-user ROC: no pooled curve in this run)"}
}

// detPoints are the curve's (FMR, FNMR) pairs, both above zero.
func detPoints(c evaluate.ROCCurve) plotter.XYs {
	var pts plotter.XYs
	for i, x := range c.FPR {
		if i >= len(c.TPR) {
			break
		}
		y := 1 - c.TPR[i]
		if x > 0 && y > 1e-12 && isFinite(x) && isFinite(y) {
			pts = append(pts, plotter.XY{X: x, Y: y})
		}
	}
	return pts
}

// detPlot draws DET curves (FNMR against FMR) on normal-deviate axes from
// detLow to detHigh, with each curve's EER marked on the FMR = FNMR
// diagonal, and returns the plot and its legend.
func detPlot(cs []detCurve, st Style) (*plot.Plot, *legend, error) {
	p := newPlot(st, fmrLabel+", normal deviate scale", fnmrLabel)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Scale = probitScale{}
		a.Tick.Marker = detTicks{}
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: detLow, Y: detLow}, {X: detHigh, Y: detHigh}})
	if err != nil {
		return nil, nil, err
	}
	diag.LineStyle = lineStyle(darkGrey, 0.7)
	diag.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	p.Add(diag)
	leg := &legend{}
	for _, c := range cs {
		if err := rocCheck(c.roc); err != nil {
			return nil, nil, err
		}
		pts := detPoints(c.roc)
		if len(pts) == 0 {
			if len(c.roc.FPR) > 0 {
				// A curve that never errs at once on both sides has no point
				// on these axes: say so rather than leave it out silently.
				leg.add(c.label + ": no point with both error rates above 0 to draw")
			}
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, nil, err
		}
		l.LineStyle = lineStyle(c.colour, st.line())
		l.Dashes = c.dash
		p.Add(l)
		label := c.label
		thumbs := []plot.Thumbnailer{dashThumb{c.colour, c.dash, st.line()}}
		if c.eer != nil {
			e := c.eer.Value
			sc, err := plotter.NewScatter(plotter.XYs{{X: e, Y: e}})
			if err != nil {
				return nil, nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: c.colour, Radius: vg.Points(1.8 * st.line()), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			thumbs = append(thumbs, sc)
			label += fmt.Sprintf(": %s %s", c.eerName, estText(*c.eer))
		}
		leg.add(label, thumbs...)
	}
	leg.add("FMR = FNMR", diag)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = detLow, detHigh, detLow, detHigh
	return p, leg, nil
}

func meanDETFigure(r evaluate.Result, label, slug, seeds string, st Style) (Figure, error) {
	var cs []detCurve
	for i, s := range sortedSummary(r.Summary) {
		cs = append(cs, detCurveOf(s, colour(i), dashes(i), fmt.Sprintf("window %d", s.Window)))
	}
	p, leg, err := detPlot(cs, st)
	if err != nil {
		return Figure{}, err
	}
	return Figure{
		Name:  "det_" + slug,
		Title: "Pooled DET: " + label,
		Caption: fmt.Sprintf("Pooled DET curve for each window size (%s): every user's windows against one global threshold, as the live service decides, on normal-deviate axes from 0.001 to 0.9. Dots mark the pooled EER; the legend gives it with its 95%% bootstrap interval over users. The mean per-user EER (each user against its own threshold) is in the tables; the two are different figures.%s",
			label, seeds),
		Plot: single(st, p, leg),
	}, nil
}
