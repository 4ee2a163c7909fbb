package reports

import (
	"fmt"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/mouseauth/mouseauth/evaluate"
)

// sweepCoord returns p's position on axis: its Trees or Window field when
// set, else its Value when its Param is axis.
func sweepCoord(p evaluate.SweepPoint, axis string) (float64, bool) {
	switch {
	case axis == "trees" && p.Trees > 0:
		return float64(p.Trees), true
	case axis == "window" && p.Window > 0:
		return float64(p.Window), true
	case p.Param == axis:
		return p.Value, true
	}
	return 0, false
}

// otherAxis is the axis a sweep's curves are split by.
func otherAxis(axis string) string {
	switch axis {
	case "trees":
		return "window"
	case "window":
		return "trees"
	}
	return ""
}

type sweepSeries struct {
	label string                // "" for the only series
	xs    []float64             // ascending
	pts   []evaluate.SweepPoint // pts[i] at xs[i]
}

type sweepAxis struct {
	name   string
	series []sweepSeries
	xs     []float64 // every x, ascending, distinct
}

func (a sweepAxis) timeVaries() bool {
	for _, s := range a.series {
		for _, p := range s.pts {
			if p.Seconds != s.pts[0].Seconds {
				return true
			}
		}
	}
	return false
}

// sweepAxes finds the axes the sweep varies along: trees and window (from
// the Trees and Window fields, or Param and Value), then any other Param,
// each with at least two distinct values. Points are split into series by
// their position on the other axis (window for trees, trees for window).
func sweepAxes(sw []evaluate.SweepPoint) []sweepAxis {
	names := []string{"trees", "window"}
	for _, p := range sweepParams(sw) {
		if !slices.Contains(names, p) {
			names = append(names, p)
		}
	}
	var axes []sweepAxis
	for _, name := range names {
		ax := sweepAxis{name: name}
		groups := map[float64]*sweepSeries{}
		var keys []float64
		seen := map[float64]bool{}
		other := otherAxis(name)
		for _, p := range sw {
			x, ok := sweepCoord(p, name)
			if !ok || !isFinite(x) {
				continue
			}
			if !seen[x] {
				seen[x] = true
				ax.xs = append(ax.xs, x)
			}
			k, ok := sweepCoord(p, other)
			if !ok {
				k = -1
			}
			g := groups[k]
			if g == nil {
				g = &sweepSeries{}
				if k >= 0 {
					g.label = otherLabel(other, k)
				}
				groups[k] = g
				keys = append(keys, k)
			}
			g.xs = append(g.xs, x)
			g.pts = append(g.pts, p)
		}
		if len(ax.xs) < 2 {
			continue
		}
		sort.Float64s(ax.xs)
		sort.Float64s(keys)
		for _, k := range keys {
			g := groups[k]
			idx := make([]int, len(g.xs))
			for i := range idx {
				idx[i] = i
			}
			sort.SliceStable(idx, func(a, b int) bool { return g.xs[idx[a]] < g.xs[idx[b]] })
			s := sweepSeries{label: g.label}
			for _, i := range idx {
				s.xs = append(s.xs, g.xs[i])
				s.pts = append(s.pts, g.pts[i])
			}
			ax.series = append(ax.series, s)
		}
		if len(ax.series) == 1 {
			ax.series[0].label = ""
		}
		axes = append(axes, ax)
	}
	return axes
}

func otherLabel(axis string, v float64) string {
	n := strconv.FormatFloat(v, 'g', 6, 64)
	switch axis {
	case "trees":
		return n + " trees"
	case "window":
		return "window " + n
	}
	return axis + " " + n
}

func withLabel(what, label string) string {
	if label == "" {
		return what
	}
	return what + ", " + label
}

// valueTicks labels the swept values themselves when there are few of them.
func valueTicks(p *plot.Plot, xs []float64) {
	if len(xs) == 0 || len(xs) > 12 {
		return
	}
	ts := make([]plot.Tick, len(xs))
	for i, x := range xs {
		ts[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 6, 64)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ts)
}

// errPoints is a line with symmetric vertical error bars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// addLinePoints adds a line with markers in colour i; dashed lines use the
// second dash pattern and marker shape.
func addLinePoints(p *plot.Plot, xy plotter.XYs, i int, dashed bool, label string) error {
	if len(xy) == 0 {
		return nil
	}
	l, sc, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color = plotutil.Color(i)
	l.Width = vg.Points(1.2)
	sc.Color = l.Color
	sc.Shape = plotutil.Shape(0)
	if dashed {
		l.Dashes = plotutil.Dashes(1)
		sc.Shape = plotutil.Shape(1)
	}
	p.Add(l, sc)
	if label != "" {
		p.Legend.Add(label, l, sc)
	}
	return nil
}

// legendRoom makes headroom for a legend of n entries above curves that
// reach top.
func legendRoom(p *plot.Plot, top float64, n int) {
	legendHeadroom(p, top)
	if f := 1 + 0.09*float64(n); f > 1.3 {
		p.Y.Max = top * f
	}
}

func sweepQualityFigure(ax sweepAxis) (Figure, error) {
	p := newPlot("AUC and EER vs "+ax.name, paramLabel(ax.name), "mean over users")
	p.Y.Min = 0
	p.Y.Tick.Marker = unitTicks()
	valueTicks(p, ax.xs)
	legendRoom(p, 1, 2*len(ax.series))
	// With one series, AUC and EER take the first two colours; with several,
	// the series share a colour and EER is dashed.
	for i, s := range ax.series {
		var auc, eer plotter.XYs
		var aucErr plotter.YErrors
		for j, pt := range s.pts {
			x := s.xs[j]
			if isFinite(pt.MeanAUC) {
				auc = append(auc, plotter.XY{X: x, Y: pt.MeanAUC})
				sd := pt.SDAUC
				if !isFinite(sd) {
					sd = 0
				}
				aucErr = append(aucErr, struct{ Low, High float64 }{sd, sd})
			}
			if isFinite(pt.MeanEER) {
				eer = append(eer, plotter.XY{X: x, Y: pt.MeanEER})
			}
		}
		ci, ce := i, i
		if len(ax.series) == 1 {
			ci, ce = 0, 1
		}
		if err := addLinePoints(p, auc, ci, false, withLabel("AUC (± sd)", s.label)); err != nil {
			return Figure{}, err
		}
		if len(auc) > 0 {
			eb, err := plotter.NewYErrorBars(errPoints{auc, aucErr})
			if err != nil {
				return Figure{}, err
			}
			eb.Color = plotutil.Color(ci)
			p.Add(eb)
		}
		if err := addLinePoints(p, eer, ce, len(ax.series) > 1, withLabel("EER", s.label)); err != nil {
			return Figure{}, err
		}
	}
	return Figure{
		Name:    "sweep_" + fileSlug(ax.name) + "_auc_eer",
		Caption: fmt.Sprintf("Mean AUC (bars: ± one standard deviation over users) and mean EER against %s.", paramLabel(ax.name)),
		Plot:    p,
	}, nil
}

func sweepTimeFigure(ax sweepAxis) (Figure, error) {
	p := newPlot("Time vs "+ax.name, paramLabel(ax.name), "seconds")
	p.Y.Min = 0
	valueTicks(p, ax.xs)
	// Series with the same times (evaluate.Sweep times a tree count once
	// for all its windows) would hide each other: draw each distinct one once.
	type curve struct {
		label string
		xy    plotter.XYs
	}
	var curves []curve
	top := 0.0
	for _, s := range ax.series {
		ys := make([]float64, len(s.pts))
		for j, pt := range s.pts {
			ys[j] = pt.Seconds
			if isFinite(pt.Seconds) && pt.Seconds > top {
				top = pt.Seconds
			}
		}
		xy := finiteXYs(s.xs, ys)
		if !slices.ContainsFunc(curves, func(c curve) bool { return slices.Equal(c.xy, xy) }) {
			curves = append(curves, curve{s.label, xy})
		}
	}
	if len(curves) > 1 {
		legendRoom(p, top, len(curves))
	}
	for i, c := range curves {
		label := c.label
		if len(curves) == 1 {
			label = ""
		}
		if err := addLinePoints(p, c.xy, i, false, label); err != nil {
			return Figure{}, err
		}
	}
	return Figure{
		Name:    "sweep_" + fileSlug(ax.name) + "_seconds",
		Caption: fmt.Sprintf("Time the evaluation took against %s.", paramLabel(ax.name)),
		Plot:    p,
	}, nil
}

type thresholdGroup struct {
	window int // 0: not recorded
	pts    []evaluate.ThresholdPoint
}

// thresholdGroups splits thresholds by window, ascending, each by ascending p.
func thresholdGroups(ts []evaluate.ThresholdPoint) []thresholdGroup {
	byW := map[int][]evaluate.ThresholdPoint{}
	var ws []int
	for _, t := range ts {
		if _, ok := byW[t.Window]; !ok {
			ws = append(ws, t.Window)
		}
		byW[t.Window] = append(byW[t.Window], t)
	}
	sort.Ints(ws)
	out := make([]thresholdGroup, len(ws))
	for i, w := range ws {
		pts := byW[w]
		sort.SliceStable(pts, func(a, b int) bool { return pts[a].Threshold < pts[b].Threshold })
		out[i] = thresholdGroup{w, pts}
	}
	return out
}

func (g thresholdGroup) label(n int) string {
	if n == 1 || g.window == 0 {
		return ""
	}
	return fmt.Sprintf("window %d", g.window)
}

// thresholdCurves draws two quantities per window group: a solid and a
// dashed curve in the window's colour (with one group, two colours).
func thresholdCurves(p *plot.Plot, groups []thresholdGroup, names [2]string, get func(evaluate.ThresholdPoint) (float64, float64)) error {
	for i, g := range groups {
		xs := make([]float64, len(g.pts))
		a := make([]float64, len(g.pts))
		b := make([]float64, len(g.pts))
		for j, t := range g.pts {
			xs[j] = t.Threshold
			a[j], b[j] = get(t)
		}
		ca, cb := i, i
		if len(groups) == 1 {
			ca, cb = 0, 1
		}
		for k, c := range []struct {
			ys     []float64
			colour int
			name   string
		}{{a, ca, names[0]}, {b, cb, names[1]}} {
			xy := finiteXYs(xs, c.ys)
			if len(xy) == 0 {
				continue
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			l.Color = plotutil.Color(c.colour)
			l.Width = vg.Points(1.2)
			if k == 1 && len(groups) > 1 {
				l.Dashes = plotutil.Dashes(1)
			}
			p.Add(l)
			p.Legend.Add(withLabel(c.name, g.label(len(groups))), l)
		}
	}
	return nil
}

func thresholdRatesFigure(groups []thresholdGroup) (Figure, error) {
	p := newPlot("False alarms and misses vs threshold", "threshold p on the window score", "rate")
	p.Y.Min = 0
	p.Y.Tick.Marker = unitTicks()
	legendRoom(p, 1, 2*len(groups))
	err := thresholdCurves(p, groups, [2]string{"false alarm rate (genuine)", "miss rate (impostor)"},
		func(t evaluate.ThresholdPoint) (float64, float64) { return t.FalseAlarmRate, t.MissRate })
	if err != nil {
		return Figure{}, err
	}
	return Figure{
		Name:    "threshold_rates",
		Caption: "Share of genuine windows that raise an alarm and of impostor windows that do not, against the alarm threshold p.",
		Plot:    p,
	}, nil
}

func thresholdDelayFigure(groups []thresholdGroup) (Figure, error) {
	p := newPlot("Actions until an alarm vs threshold", "threshold p on the window score", "actions (mean)")
	p.Y.Min = 0
	top := 0.0
	for _, g := range groups {
		for _, t := range g.pts {
			for _, v := range []float64{t.ImpostorActionsToAlarm, t.GenuineActionsToFalseAlarm} {
				if isFinite(v) && v > top {
					top = v
				}
			}
		}
	}
	legendRoom(p, top, 2*len(groups))
	err := thresholdCurves(p, groups, [2]string{"impostor actions to alarm (detection delay)", "genuine actions to false alarm"},
		func(t evaluate.ThresholdPoint) (float64, float64) {
			return t.ImpostorActionsToAlarm, t.GenuineActionsToFalseAlarm
		})
	if err != nil {
		return Figure{}, err
	}
	return Figure{
		Name:    "threshold_delay",
		Caption: "Mean number of impostor actions before the first alarm (detection delay) and of genuine actions before the first false alarm, against p.",
		Plot:    p,
	}, nil
}
