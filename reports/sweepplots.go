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
func sweepFigures(sw []evaluate.SweepPoint, st Style, classifier string) ([]Figure, error) {
	axes := sweepAxes(sw)
	st.treeLabel = treeLabel(classifier)
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
			f, err := heatMapFigure(g, m, st)
			if err != nil {
				return nil, fmt.Errorf("sweeps: %w", err)
			}
			figs = append(figs, f)
		}
		if trees.timeVaries() {
			f, err := sweepTimeFigure(*trees, st)
			if err != nil {
				return nil, fmt.Errorf("sweeps over trees: %w", err)
			}
			figs = append(figs, f)
		}
		axes = slices.DeleteFunc(axes, func(a sweepAxis) bool { return a.name == "trees" || a.name == "window" })
	}
	for _, ax := range axes {
		f, err := sweepQualityFigure(ax, st)
		if err != nil {
			return nil, fmt.Errorf("sweeps over %s: %w", ax.name, err)
		}
		figs = append(figs, f)
		if ax.timeVaries() {
			f, err = sweepTimeFigure(ax, st)
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
}

var (
	aucMetric = gridMetric{"auc", "Mean per-user AUC", func(p evaluate.SweepPoint) float64 { return p.MeanAUC }}
	eerMetric = gridMetric{"eer", "Mean per-user EER", func(p evaluate.SweepPoint) float64 { return p.MeanEER }}
)

// heatMapFigure draws one cell per tree count and window, shaded by value
// on the viridis map with a colour bar, and annotated with the value. The
// cell with the highest mean per-user AUC is framed thick, those whose
// paired interval to it includes zero thin (on both maps: the ranking is by
// AUC). The axis with more values runs down, where cells are wider than
// tall and the numbers fit.
func heatMapFigure(g sweepGrid, m gridMetric, st Style) (Figure, error) {
	cells := heatCells{style: st}
	xs, ys := g.trees, g.windows
	xName, yName := st.paramLabel("trees"), st.paramLabel("window")
	transpose := len(g.trees) > len(g.windows)
	if transpose {
		xs, ys = g.windows, g.trees
		xName, yName = yName, xName
	}
	cells.z = make([][]float64, len(ys))
	cells.mark = make([][]int, len(ys))
	ranked := false
	for r := range ys {
		cells.z[r] = make([]float64, len(xs))
		cells.mark[r] = make([]int, len(xs))
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
				switch {
				case pt.Best:
					cells.mark[r][c] = 2
					ranked = true
				case pt.TiesBest:
					cells.mark[r][c] = 1
				}
			}
		}
	}
	cells.scale()
	p := newPlot(st, xName, yName)
	p.Add(&cells)
	p.X.Tick.Marker = indexTicks(xs)
	p.Y.Tick.Marker = indexTicks(ys)
	p.X.Min, p.X.Max = -0.5, float64(len(xs))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(ys))-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	outer, f := frame(st, nil, p)
	f.after, f.afterWidth = cells.colourBar(m.title), st.FontSize*5.5
	caption := fmt.Sprintf("%s for each tree count and window size, shaded by value (colour bar).", m.title)
	if ranked {
		caption += " The thick frame marks the highest mean per-user AUC; thin frames the cells whose paired 95% interval of the difference to it (bootstrap over users, seeds folded in) includes zero, which cannot be told from it."
	}
	return Figure{
		Name:    "sweep_grid_" + m.name,
		Title:   m.title + " by trees and window",
		Caption: caption,
		Plot:    outer,
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
	style  Style
	z      [][]float64 // [row][col], NaN: empty
	mark   [][]int     // 2: best, 1: indistinguishable from it
	lo, hi float64
}

func (h *heatCells) scale() {
	h.lo, h.hi = math.Inf(1), math.Inf(-1)
	for _, row := range h.z {
		for _, v := range row {
			if !math.IsNaN(v) {
				h.lo, h.hi = math.Min(h.lo, v), math.Max(h.hi, v)
			}
		}
	}
	if !(h.hi > h.lo) {
		h.lo, h.hi = h.lo-0.5, h.lo+0.5
	}
}

// shade maps v to viridis by value: dark purple at the lowest value, yellow
// at the highest.
func (h *heatCells) shade(v float64) color.Color {
	return viridis((v - h.lo) / (h.hi - h.lo))
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
	size := math.Min(float64(h.style.tickSize()), math.Min(float64(cellH)*0.62, float64(cellW)/3.3)) // "0.935" fits the cell
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
			if size >= 4 {
				c.FillText(ts, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, strconv.FormatFloat(v, 'f', 3, 64))
			}
			if m := h.mark[r][col]; m > 0 {
				w := 0.9
				inset := vg.Points(0.6)
				if m == 2 {
					w, inset = 2.2, vg.Points(1.2)
				}
				c.StrokeLines(lineStyle(color.Black, w), []vg.Point{
					{X: x0 + inset, Y: y0 + inset}, {X: x1 - inset, Y: y0 + inset}, {X: x1 - inset, Y: y1 - inset},
					{X: x0 + inset, Y: y1 - inset}, {X: x0 + inset, Y: y0 + inset}})
			}
		}
	}
}

// colourBar returns the drawer of the heat map's colour bar: a vertical
// strip from the lowest value (bottom) to the highest, labelled at nice
// ticks, its title rotated beside.
func (h *heatCells) colourBar(title string) func(c draw.Canvas, top, bottom vg.Length) {
	return func(c draw.Canvas, top, bottom vg.Length) {
		st := h.style
		x0 := c.Min.X + vg.Points(8)
		x1 := x0 + st.FontSize
		const steps = 64
		for i := range steps {
			y0 := bottom + (top-bottom)*vg.Length(i)/steps
			y1 := bottom + (top-bottom)*vg.Length(i+1)/steps
			c.SetColor(viridis((float64(i) + 0.5) / steps))
			c.Fill(vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1 + 0.2}}.Path())
		}
		c.StrokeLines(lineStyle(darkGrey, 0.5), []vg.Point{{X: x0, Y: bottom}, {X: x1, Y: bottom}, {X: x1, Y: top}, {X: x0, Y: top}, {X: x0, Y: bottom}})
		ts := text.Style{Color: color.Black, XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
		styleText(&ts.Font, st.tickSize())
		for _, t := range (niceTicks{}).Ticks(h.lo, h.hi) {
			if t.Label == "" || t.Value < h.lo-1e-12 || t.Value > h.hi+1e-12 {
				continue
			}
			y := bottom + (top-bottom)*vg.Length((t.Value-h.lo)/(h.hi-h.lo))
			c.StrokeLine2(lineStyle(color.Black, 0.5), x1, y, x1+vg.Points(2), y)
			c.FillText(ts, vg.Point{X: x1 + vg.Points(3), Y: y}, t.Label)
		}
		tt := ts
		tt.Rotation = math.Pi / 2
		tt.XAlign, tt.YAlign = draw.XCenter, draw.YBottom
		styleText(&tt.Font, st.labelSize())
		c.FillText(tt, vg.Point{X: c.Max.X, Y: (top + bottom) / 2}, title)
	}
}

// luminance is the relative luminance of c in [0, 1].
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// sweepQualityFigure draws, side by side, the mean per-user AUC and EER
// against one swept axis with their 95% intervals over users as error
// bars, each panel on its own axis: the intervals show how far apart the
// points really are.
func sweepQualityFigure(ax sweepAxis, st Style) (Figure, error) {
	auc := newPlot(st, st.paramLabel(ax.name), "mean per-user AUC")
	eer := newPlot(st, st.paramLabel(ax.name), "mean per-user EER")
	for _, p := range []*plot.Plot{auc, eer} {
		valueTicks(p, ax.xs)
	}
	leg := &legend{}
	for i, s := range ax.series {
		c := colour(i)
		var thumb plot.Thumbnailer
		for k, p := range []*plot.Plot{auc, eer} {
			var xys plotter.XYs
			var bars plotter.XYs
			var los, his []float64
			for j, pt := range s.pts {
				v, e := pt.MeanAUC, estOf(pt, true)
				if k == 1 {
					v, e = pt.MeanEER, estOf(pt, false)
				}
				if !isFinite(v) {
					continue
				}
				xys = append(xys, plotter.XY{X: s.xs[j], Y: v})
				if e != nil && e.HasInterval() {
					bars = append(bars, plotter.XY{X: s.xs[j], Y: v})
					los, his = append(los, v-*e.Lo), append(his, *e.Hi-v)
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(xys)
			if err != nil {
				return Figure{}, err
			}
			l.LineStyle = lineStyle(c, st.line())
			l.Dashes = dashes(i)
			sc.Color, sc.Radius = c, vg.Points(1.6*st.line())
			p.Add(l, sc)
			if len(bars) > 0 {
				errs := make(plotter.Errors, len(bars))
				for b := range errs {
					errs[b] = struct{ Low, High float64 }{los[b], his[b]}
				}
				eb, err := plotter.NewYErrorBars(struct {
					plotter.XYs
					plotter.YErrors
				}{bars, plotter.YErrors(errs)})
				if err != nil {
					return Figure{}, err
				}
				eb.LineStyle = lineStyle(c, 0.8)
				p.Add(eb)
			}
			thumb = dashThumb{c, dashes(i), st.line()}
		}
		if s.label != "" && thumb != nil {
			leg.add(s.label, thumb)
		}
	}
	outer, _ := frame(st, leg, auc, eer)
	return Figure{
		Name:    "sweep_" + fileSlug(ax.name) + "_auc_eer",
		Title:   "Mean per-user AUC and EER against " + ax.name,
		Caption: fmt.Sprintf("Mean per-user AUC and EER against %s, with their 95%% bootstrap intervals over users (seeds folded in) as error bars.", st.paramLabel(ax.name)),
		Plot:    outer,
	}, nil
}

// estOf is a sweep point's mean per-user AUC (auc) or EER estimate, nil
// without statistics.
func estOf(p evaluate.SweepPoint, auc bool) *evaluate.Estimate {
	if p.Stats == nil {
		return nil
	}
	if auc {
		return &p.Stats.MeanAUC
	}
	return &p.Stats.MeanEER
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
func sweepTimeFigure(ax sweepAxis, st Style) (Figure, error) {
	p := newPlot(st, st.paramLabel(ax.name), "seconds")
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
		l.LineStyle = lineStyle(colour(0), st.line())
		sc.Color, sc.Radius = colour(0), vg.Points(1.6*st.line())
		p.Add(l, sc)
	}
	p.Y.Min = 0
	caption := fmt.Sprintf("Time the evaluation took against %s (the first seed's).", st.paramLabel(ax.name))
	if !same {
		caption = fmt.Sprintf("Time the evaluation took against %s, mean over the other axis (the first seed's).", st.paramLabel(ax.name))
	}
	return Figure{
		Name:    "sweep_" + fileSlug(ax.name) + "_seconds",
		Title:   "Time against " + ax.name,
		Caption: caption,
		Plot:    single(st, p, nil),
	}, nil
}

type thresholdGroup struct {
	window int // 0: not recorded
	pts    []evaluate.ThresholdPoint
}

// thresholdGroups splits thresholds by window, ascending, each by ascending
// threshold.
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

// thresholdCurves draws two quantities per window group against the
// threshold, the first solid and the second dashed, in the window's colour,
// with a dot at every threshold reported. The legend names the two
// quantities once (in black) and then each window's colour.
func thresholdCurves(p *plot.Plot, groups []thresholdGroup, names [2]string, st Style, get func(evaluate.ThresholdPoint) (float64, float64)) *legend {
	leg := &legend{}
	dash := []vg.Length{vg.Points(4), vg.Points(2.5)}
	for k, name := range names {
		var d []vg.Length
		if k == 1 {
			d = dash
		}
		leg.add(name, dashThumb{color.Black, d, st.line()})
	}
	for i, g := range groups {
		xs := make([]float64, len(g.pts))
		a := make([]float64, len(g.pts))
		b := make([]float64, len(g.pts))
		for j, t := range g.pts {
			xs[j] = t.Threshold
			a[j], b[j] = get(t)
		}
		shown := false
		for k, ys := range [][]float64{a, b} {
			xy := finiteXYs(xs, ys)
			if len(xy) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(xy)
			if err != nil {
				continue
			}
			l.LineStyle = lineStyle(colour(i), st.line())
			if k == 1 {
				l.Dashes = dash
			}
			sc.Color, sc.Radius, sc.Shape = colour(i), vg.Points(1.1*st.line()), draw.CircleGlyph{}
			p.Add(l, sc)
			shown = true
		}
		if shown && g.window > 0 {
			leg.add(fmt.Sprintf("window %d", g.window), swatch{colour(i)})
		}
	}
	return leg
}

func thresholdRatesFigure(groups []thresholdGroup, st Style) (Figure, error) {
	p := newPlot(st, "threshold on the window score", "rate")
	leg := thresholdCurves(p, groups, [2]string{"FNMR (genuine windows rejected)", "FMR (impostor windows accepted)"}, st,
		func(t evaluate.ThresholdPoint) (float64, float64) { return t.FNMR, t.FMR })
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	return Figure{
		Name:    "threshold_rates",
		Title:   "FMR and FNMR against the threshold",
		Caption: "Pooled FNMR (solid: genuine windows rejected) and FMR (dashed: impostor windows accepted) against the threshold on the window score; dots mark the thresholds reported (by target FMR, score quantile, the EER and values given), chosen on the same scores.",
		Plot:    single(st, p, leg),
	}, nil
}

func thresholdDelayFigure(groups []thresholdGroup, st Style) (Figure, error) {
	p := newPlot(st, "threshold on the window score", "actions (mean)")
	leg := thresholdCurves(p, groups, [2]string{"impostor actions to rejection", "genuine actions to rejection"}, st,
		func(t evaluate.ThresholdPoint) (float64, float64) {
			return t.ImpostorActionsToRejection, t.GenuineActionsToRejection
		})
	p.X.Min, p.X.Max, p.Y.Min = 0, 1, 0
	return Figure{
		Name:    "threshold_delay",
		Title:   "Actions until a rejection against the threshold",
		Caption: "Mean number of impostor actions up to the first rejected window (detection delay, solid) and of genuine actions up to the first false rejection (dashed), against the threshold; a stream never rejected counts its length. The sequential figures of the decision engine (ANIA, ANGA) will stand beside these.",
		Plot:    single(st, p, leg),
	}, nil
}
