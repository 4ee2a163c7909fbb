package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

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

// sweepFigures draws a sweep: over a grid of tree counts × windows, heat
// maps of mean AUC and mean EER (one cell per point, annotated) and the time
// against the tree count; along one axis, AUC ± sd and EER against it, and
// the time where it varies.
func sweepFigures(sw []evaluate.SweepPoint) ([]Figure, error) {
	axes := sweepAxes(sw)
	var trees, windows *sweepAxis
	for i := range axes {
		switch axes[i].name {
		case "trees":
			trees = &axes[i]
		case "window":
			windows = &axes[i]
		}
	}
	var figs []Figure
	if trees != nil && windows != nil {
		g := newSweepGrid(sw, trees.xs, windows.xs)
		for _, m := range []gridMetric{aucMetric, eerMetric} {
			f, err := heatMapFigure(g, m)
			if err != nil {
				return nil, fmt.Errorf("sweeps: %w", err)
			}
			figs = append(figs, f)
		}
		if trees.timeVaries() {
			f, err := sweepTimeFigure(*trees)
			if err != nil {
				return nil, fmt.Errorf("sweeps over trees: %w", err)
			}
			figs = append(figs, f)
		}
		axes = slices.DeleteFunc(axes, func(a sweepAxis) bool { return a.name == "trees" || a.name == "window" })
	}
	for _, ax := range axes {
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
	return figs, nil
}

// sweepGrid is a sweep laid out as trees (columns) × windows (rows).
type sweepGrid struct {
	trees, windows []float64
	pts            [][]*evaluate.SweepPoint // [row][col], nil: not run
}

func newSweepGrid(sw []evaluate.SweepPoint, trees, windows []float64) sweepGrid {
	g := sweepGrid{trees: trees, windows: windows, pts: make([][]*evaluate.SweepPoint, len(windows))}
	for i := range g.pts {
		g.pts[i] = make([]*evaluate.SweepPoint, len(trees))
	}
	for i := range sw {
		t, ok1 := sweepCoord(sw[i], "trees")
		w, ok2 := sweepCoord(sw[i], "window")
		c, r := slices.Index(trees, t), slices.Index(windows, w)
		if ok1 && ok2 && c >= 0 && r >= 0 {
			g.pts[r][c] = &sw[i]
		}
	}
	return g
}

// gridMetric is what a heat map shows.
type gridMetric struct {
	name, title string
	get         func(evaluate.SweepPoint) float64
	higherBest  bool
}

var (
	aucMetric = gridMetric{"auc", "Mean AUC", func(p evaluate.SweepPoint) float64 { return p.MeanAUC }, true}
	eerMetric = gridMetric{"eer", "Mean EER", func(p evaluate.SweepPoint) float64 { return p.MeanEER }, false}
)

// heatMapFigure draws one cell per tree count and window, coloured from
// worst (light) to best (dark) and annotated with its value; the best cell
// is outlined. The axis with more values runs down, where cells are wider
// than tall and the numbers fit.
func heatMapFigure(g sweepGrid, m gridMetric) (Figure, error) {
	cells := heatCells{higherBest: m.higherBest, best: [2]int{-1, -1}}
	xs, ys := g.trees, g.windows
	xName, yName := "trees in the forest", "window (actions)"
	transpose := len(g.trees) > len(g.windows)
	if transpose {
		xs, ys = g.windows, g.trees
		xName, yName = yName, xName
	}
	cells.z = make([][]float64, len(ys))
	for r := range ys {
		cells.z[r] = make([]float64, len(xs))
		for c := range xs {
			var pt *evaluate.SweepPoint
			if transpose {
				pt = g.pts[c][r]
			} else {
				pt = g.pts[r][c]
			}
			cells.z[r][c] = math.NaN()
			if pt != nil && isFinite(m.get(*pt)) {
				cells.z[r][c] = m.get(*pt)
			}
		}
	}
	cells.scale()
	p := newPlot(fmt.Sprintf("%s over users by trees and window", m.title), xName, yName)
	p.Add(&cells)
	p.X.Tick.Marker = indexTicks(xs)
	p.Y.Tick.Marker = indexTicks(ys)
	p.X.Min, p.X.Max = -0.5, float64(len(xs))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(ys))-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	best := "highest"
	if !m.higherBest {
		best = "lowest"
	}
	return Figure{
		Name: "sweep_grid_" + m.name,
		Caption: fmt.Sprintf("%s for each tree count and window size; cells are shaded by rank, darker is better; the %s value is outlined.",
			m.title, best),
		Plot: single(p),
	}, nil
}

// indexTicks labels positions 0..n-1 with the values vs; with more than 25
// only every other one.
func indexTicks(vs []float64) plot.Ticker {
	every := 1
	if len(vs) > 25 {
		every = 2
	}
	ts := make([]plot.Tick, len(vs))
	for i, v := range vs {
		ts[i] = plot.Tick{Value: float64(i)}
		if i%every == 0 {
			ts[i].Label = strconv.FormatFloat(v, 'g', 6, 64)
		}
	}
	return plot.ConstantTicks(ts)
}

// heatCells draws a heat map cell by cell with white gutters and the value
// written in each. Hand-written: gonum's HeatMap has neither gutters nor
// per-cell labels, and drops cells whose corners round off the canvas.
type heatCells struct {
	z          [][]float64 // [row][col], NaN: empty
	sorted     []float64   // every value, ascending
	higherBest bool
	best       [2]int // row, col of the best value
}

func (h *heatCells) scale() {
	h.sorted = h.sorted[:0]
	for r, row := range h.z {
		for c, v := range row {
			if math.IsNaN(v) {
				continue
			}
			h.sorted = append(h.sorted, v)
			if h.best[0] < 0 || (h.higherBest && v > h.z[h.best[0]][h.best[1]]) || (!h.higherBest && v < h.z[h.best[0]][h.best[1]]) {
				h.best = [2]int{r, c}
			}
		}
	}
	sort.Float64s(h.sorted)
}

// shade maps v to a colour by its rank among the cells, light for the
// worst and dark for the best: by rank, not value, so one poor row (window
// 1, say) does not leave every other cell the same colour.
func (h *heatCells) shade(v float64) color.Color {
	t := 0.5
	if n := len(h.sorted); n > 1 {
		lo := sort.SearchFloat64s(h.sorted, v)
		hi := sort.Search(n, func(i int) bool { return h.sorted[i] > v })
		t = (float64(lo+hi-1) / 2) / float64(n-1)
	}
	if !h.higherBest {
		t = 1 - t
	}
	return viridis(1 - t)
}

// viridis interpolates matplotlib's viridis map at t in [0, 1] (0 dark
// purple, 1 yellow) from nine of its colours.
func viridis(t float64) color.RGBA {
	stops := [][3]float64{{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
		{39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}}
	t = math.Min(math.Max(t, 0), 1) * float64(len(stops)-1)
	i := min(int(t), len(stops)-2)
	f := t - float64(i)
	var c [3]uint8
	for k := range c {
		c[k] = uint8(math.Round(stops[i][k] + f*(stops[i+1][k]-stops[i][k])))
	}
	return color.RGBA{c[0], c[1], c[2], 0xff}
}

func (h *heatCells) DataRange() (xmin, xmax, ymin, ymax float64) {
	cols := 0
	if len(h.z) > 0 {
		cols = len(h.z[0])
	}
	return -0.5, float64(cols) - 0.5, -0.5, float64(len(h.z)) - 0.5
}

func (h *heatCells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	gutter := vg.Points(0.75)
	ts := text.Style{XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: p.TextHandler}
	cellH, cellW := trY(0.5)-trY(-0.5), trX(0.5)-trX(-0.5)
	size := math.Min(9, math.Min(float64(cellH)*0.62, float64(cellW)/3.3)) // "0.935" fits the cell
	styleText(&ts.Font, vg.Length(size))
	for r, row := range h.z {
		for col, v := range row {
			x0, x1 := trX(float64(col)-0.5)+gutter, trX(float64(col)+0.5)-gutter
			y0, y1 := trY(float64(r)-0.5)+gutter, trY(float64(r)+0.5)-gutter
			box := vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}}
			if math.IsNaN(v) {
				c.SetColor(color.Gray{Y: 0xf2})
				c.Fill(box.Path())
				continue
			}
			fill := h.shade(v)
			c.SetColor(fill)
			c.Fill(box.Path())
			ts.Color = color.White
			if luminance(fill) > 0.45 {
				ts.Color = color.Black
			}
			c.FillText(ts, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, strconv.FormatFloat(v, 'f', 3, 64))
			if r == h.best[0] && col == h.best[1] {
				c.StrokeLines(lineStyle(color.RGBA{0xd6, 0x27, 0x28, 0xff}, 1.8), []vg.Point{
					{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
			}
		}
	}
}

// luminance is the relative luminance of c in [0, 1].
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// sweepQualityFigure draws, side by side, mean AUC and mean EER against
// one swept axis, each panel zoomed on its means: the standard deviation
// over users (about 0.2 on DFL, one user below chance) would flatten them,
// so the caption gives its range and the table each value.
func sweepQualityFigure(ax sweepAxis) (Figure, error) {
	auc := newPlot("", paramLabel(ax.name), "mean AUC")
	eer := newPlot("", paramLabel(ax.name), "mean EER")
	for _, p := range []*plot.Plot{auc, eer} {
		valueTicks(p, ax.xs)
	}
	leg := plot.NewLegend()
	styleText(&leg.TextStyle.Font, legendSize)
	sdLo, sdHi := math.Inf(1), math.Inf(-1)
	for i, s := range ax.series {
		var a, e plotter.XYs
		for j, pt := range s.pts {
			x := s.xs[j]
			if isFinite(pt.MeanAUC) {
				a = append(a, plotter.XY{X: x, Y: pt.MeanAUC})
			}
			if isFinite(pt.SDAUC) {
				sdLo, sdHi = math.Min(sdLo, pt.SDAUC), math.Max(sdHi, pt.SDAUC)
			}
			if isFinite(pt.MeanEER) {
				e = append(e, plotter.XY{X: x, Y: pt.MeanEER})
			}
		}
		c := colour(i)
		var thumb plot.Thumbnailer
		for _, d := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{auc, a}, {eer, e}} {
			if len(d.xys) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(d.xys)
			if err != nil {
				return Figure{}, err
			}
			l.LineStyle = lineStyle(c, 1.5)
			sc.Color, sc.Radius = c, vg.Points(2)
			d.p.Add(l, sc)
			thumb = l
		}
		if s.label != "" && thumb != nil {
			leg.Add(s.label, thumb)
		}
	}
	caption := fmt.Sprintf("Mean AUC and mean EER over users against %s, each on its own zoomed axis", paramLabel(ax.name))
	if sdLo <= sdHi {
		caption += fmt.Sprintf("; the standard deviation of AUC over users is %s–%s (see the table)", fixed3(sdLo), fixed3(sdHi))
	}
	return Figure{
		Name:    "sweep_" + fileSlug(ax.name) + "_auc_eer",
		Caption: caption + ".",
		Plot:    frame("AUC and EER vs "+ax.name, &leg, []*plot.Plot{auc, eer}),
	}, nil
}

// valueTicks labels the swept values themselves when there are few of them.
func valueTicks(p *plot.Plot, xs []float64) {
	if len(xs) == 0 || len(xs) > 10 {
		return
	}
	ts := make([]plot.Tick, len(xs))
	for i, x := range xs {
		ts[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 6, 64)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ts)
}

// sweepTimeFigure draws the time the evaluation took against the axis:
// one curve when every series took the same time (evaluate.Sweep times a
// tree count once for all its windows), else their mean.
func sweepTimeFigure(ax sweepAxis) (Figure, error) {
	p := newPlot("Time vs "+ax.name, paramLabel(ax.name), "seconds")
	valueTicks(p, ax.xs)
	sum := map[float64]float64{}
	n := map[float64]int{}
	same := true
	first := map[float64]float64{}
	for _, s := range ax.series {
		for j, pt := range s.pts {
			if !isFinite(pt.Seconds) {
				continue
			}
			x := s.xs[j]
			if f, ok := first[x]; ok && f != pt.Seconds {
				same = false
			} else if !ok {
				first[x] = pt.Seconds
			}
			sum[x] += pt.Seconds
			n[x]++
		}
	}
	var xy plotter.XYs
	for _, x := range ax.xs {
		if n[x] > 0 {
			xy = append(xy, plotter.XY{X: x, Y: sum[x] / float64(n[x])})
		}
	}
	if len(xy) > 0 {
		l, sc, err := plotter.NewLinePoints(xy)
		if err != nil {
			return Figure{}, err
		}
		l.LineStyle = lineStyle(colour(0), 1.5)
		sc.Color, sc.Radius = colour(0), vg.Points(2.2)
		p.Add(l, sc)
	}
	p.Y.Min = 0
	caption := fmt.Sprintf("Time the evaluation took against %s.", paramLabel(ax.name))
	if !same {
		caption = fmt.Sprintf("Time the evaluation took against %s, mean over the other axis.", paramLabel(ax.name))
	}
	return Figure{
		Name:    "sweep_" + fileSlug(ax.name) + "_seconds",
		Caption: caption,
		Plot:    single(p),
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

// thresholdCurves draws two quantities per window group, the first solid
// and the second dashed, in the window's colour. The legend names the two
// quantities once (in black) and then each window's colour.
func thresholdCurves(p *plot.Plot, groups []thresholdGroup, names [2]string, get func(evaluate.ThresholdPoint) (float64, float64)) (*plot.Legend, error) {
	leg := plot.NewLegend()
	styleText(&leg.TextStyle.Font, legendSize)
	dash := []vg.Length{vg.Points(4), vg.Points(2.5)}
	for k, name := range names {
		l := &plotter.Line{LineStyle: lineStyle(color.Black, 1.4)}
		if k == 1 {
			l.Dashes = dash
		}
		leg.Add(name, l)
	}
	for i, g := range groups {
		xs := make([]float64, len(g.pts))
		a := make([]float64, len(g.pts))
		b := make([]float64, len(g.pts))
		for j, t := range g.pts {
			xs[j] = t.Threshold
			a[j], b[j] = get(t)
		}
		var thumb plot.Thumbnailer
		for k, ys := range [][]float64{a, b} {
			xy := finiteXYs(xs, ys)
			if len(xy) == 0 {
				continue
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, err
			}
			l.LineStyle = lineStyle(colour(i), 1.5)
			if k == 1 {
				l.Dashes = dash
			}
			p.Add(l)
			if k == 0 {
				thumb = &plotter.Line{LineStyle: lineStyle(colour(i), 4)}
			}
		}
		if thumb != nil && g.window > 0 {
			leg.Add(fmt.Sprintf("window %d", g.window), thumb)
		}
	}
	return &leg, nil
}

func thresholdRatesFigure(groups []thresholdGroup) (Figure, error) {
	p := newPlot("", "threshold p on the window score", "rate")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	leg, err := thresholdCurves(p, groups, [2]string{"false alarms (genuine)", "misses (impostor)"},
		func(t evaluate.ThresholdPoint) (float64, float64) { return t.FalseAlarmRate, t.MissRate })
	if err != nil {
		return Figure{}, err
	}
	return Figure{
		Name:    "threshold_rates",
		Caption: "Share of genuine windows that raise an alarm (solid) and of impostor windows that do not (dashed), against the alarm threshold p.",
		Plot:    frame("False alarms and misses vs threshold", leg, []*plot.Plot{p}),
	}, nil
}

func thresholdDelayFigure(groups []thresholdGroup) (Figure, error) {
	p := newPlot("", "threshold p on the window score", "actions (mean)")
	p.X.Min, p.X.Max, p.Y.Min = 0, 1, 0
	leg, err := thresholdCurves(p, groups, [2]string{"impostor actions to alarm", "genuine actions to false alarm"},
		func(t evaluate.ThresholdPoint) (float64, float64) {
			return t.ImpostorActionsToAlarm, t.GenuineActionsToFalseAlarm
		})
	if err != nil {
		return Figure{}, err
	}
	return Figure{
		Name:    "threshold_delay",
		Caption: "Mean number of impostor actions before the first alarm (detection delay, solid) and of genuine actions before the first false alarm (dashed), against p.",
		Plot:    frame("Actions until an alarm vs threshold", leg, []*plot.Plot{p}),
	}, nil
}
