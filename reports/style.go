package reports

import (
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Text sizes of every figure, in points on a FigureWidth × FigureHeight page.
const (
	titleSize  = 11
	labelSize  = 9.5
	tickSize   = 8.5
	legendSize = 8.5
)

// sansFont is Liberation Sans, bundled with gonum/plot, so every machine
// lays text out alike; it has the metrics of Arial and Helvetica, which the
// report's style sheet names as fallbacks.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

func styleText(f *font.Font, size vg.Length) { *f = font.From(sansFont, size) }

// palette is matplotlib's "tab10" without its grey (grey is kept for "the
// rest"): colours analysts know, distinct for up to 9 curves.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// colour returns palette colour i, cycling.
func colour(i int) color.RGBA { return palette[i%len(palette)] }

// dashes returns a dash pattern for curves beyond the palette: solid first.
func dashes(i int) []vg.Length {
	switch (i / len(palette)) % 3 {
	case 1:
		return []vg.Length{vg.Points(5), vg.Points(2)}
	case 2:
		return []vg.Length{vg.Points(1.5), vg.Points(1.5)}
	}
	return nil
}

// translucent is c with alpha a (0..1), premultiplied as image/color wants.
func translucent(c color.RGBA, a float64) color.Color {
	return color.NRGBA{R: c.R, G: c.G, B: c.B, A: uint8(math.Round(a * 255))}
}

var (
	grey      = color.Gray{Y: 0xb4}
	darkGrey  = color.Gray{Y: 0x60}
	gridColor = color.Gray{Y: 0xe4}
)

// newPlot returns a plot with the report's fonts, a light grid and nice
// linear ticks on both axes.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	styleText(&p.Title.TextStyle.Font, titleSize)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		styleText(&a.Label.TextStyle.Font, labelSize)
		styleText(&a.Tick.Label.Font, tickSize)
		a.Tick.Marker = niceTicks{}
		a.Padding = vg.Points(2)
	}
	p.X.Label.Text = x
	p.Y.Label.Text = y
	styleText(&p.Legend.TextStyle.Font, legendSize)
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = gridColor, gridColor
	p.Add(g)
	return p
}

// niceTicks labels a linear axis at 1, 2 or 5 × 10^k steps, about five of
// them, with as many decimals as the step needs ("250", "0.25", never
// "250.00"), and puts unlabelled minor ticks between.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !isFinite(lo) || !isFinite(hi) {
		return []plot.Tick{{Value: lo, Label: formatTick(lo, 0)}}
	}
	step, minor := niceStep((hi - lo) / 5)
	prec := decimals(step)
	var ts []plot.Tick
	start := math.Ceil(lo/minor - 1e-9)
	for k := 0.0; k < 100; k++ { // about 25 ticks; the bound guards against rounding
		v := (start + k) * minor
		if v > hi+minor*1e-9 {
			break
		}
		t := plot.Tick{Value: v}
		if r := v / step; math.Abs(r-math.Round(r)) < 1e-6 {
			t.Label = formatTick(v, prec)
		}
		ts = append(ts, t)
	}
	return ts
}

// niceStep returns the 1-2-5 step nearest above raw and a minor step
// dividing it.
func niceStep(raw float64) (step, minor float64) {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f <= 1:
		return mag, mag / 5
	case f <= 2:
		return 2 * mag, mag / 2
	case f <= 5:
		return 5 * mag, mag
	default:
		return 10 * mag, 2 * mag
	}
}

// decimals is the number of decimals a multiple of step needs.
func decimals(step float64) int {
	d := 0
	for s := step; d < 10 && math.Abs(s-math.Round(s)) > 1e-9*math.Max(1, s); s *= 10 {
		d++
	}
	return d
}

func formatTick(v float64, prec int) string {
	if math.Abs(v) < 1e-12 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// shortNumber formats v with the fewest digits that keep it: 0.005, 0.01, 1.
func shortNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// seq125 returns the values 1, 2, 5 × 10^k within [lo, hi], ascending.
func seq125(lo, hi float64) []float64 {
	var out []float64
	if !(lo > 0) || !(hi >= lo) || !isFinite(hi) {
		return nil
	}
	for e := math.Floor(math.Log10(lo)) - 1; e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			// Rounding to 12 significant digits keeps 0.001 exact.
			v, _ := strconv.ParseFloat(strconv.FormatFloat(m*math.Pow(10, e), 'g', 12, 64), 64)
			if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				out = append(out, v)
			}
		}
	}
	return out
}

// floor125 is the largest 1-2-5 value <= v (v > 0).
func floor125(v float64) float64 {
	if !(v > 0) || !isFinite(v) {
		return 1
	}
	e := math.Floor(math.Log10(v))
	for _, m := range []float64{5, 2, 1} {
		if c := m * math.Pow(10, e); c <= v*(1+1e-9) {
			w, _ := strconv.ParseFloat(strconv.FormatFloat(c, 'g', 12, 64), 64)
			return w
		}
	}
	return math.Pow(10, e)
}

// logScale is a log axis that, unlike plot.LogScale, never panics: values at
// or below zero are drawn far left of the axis (and clipped), so a ROC curve
// that starts at FPR 0 enters from the edge.
type logScale struct{}

func (logScale) Normalize(lo, hi, x float64) float64 {
	x = math.Max(x, lo*1e-3)
	return (math.Log(x) - math.Log(lo)) / (math.Log(hi) - math.Log(lo))
}

// logTicks labels 1-2-5 values on a log axis; over more than three decades
// only the powers of ten carry labels.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	vs := seq125(lo, hi)
	decades := math.Log10(hi / lo)
	var ts []plot.Tick
	for _, v := range vs {
		t := plot.Tick{Value: v}
		if m := v / math.Pow(10, math.Floor(math.Log10(v)+1e-9)); decades <= 3 || math.Abs(m-1) < 1e-9 {
			t.Label = shortNumber(v)
		}
		ts = append(ts, t)
	}
	return ts
}

// probitScale is the normal-deviate axis of a DET plot: x is drawn at
// Φ⁻¹(x), so error rates of classifiers whose scores are normal lie on
// straight lines. Rates of 0 or 1 are clamped just outside the axis.
type probitScale struct{}

var stdNormal = distuv.UnitNormal

func probit(x float64) float64 {
	return stdNormal.Quantile(math.Min(math.Max(x, 1e-9), 1-1e-9))
}

func (probitScale) Normalize(lo, hi, x float64) float64 {
	a := probit(lo)
	return (probit(x) - a) / (probit(hi) - a)
}

// detTickValues are the error rates a DET axis may label.
var detTickValues = []float64{0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99}

// percentTicks labels a probit axis in percent at detTickValues, in order
// of preference (1%, 10%, 0.1%, 40%, 5%, 20%, 2%, ...), skipping a value
// that would crowd one already labelled; the skipped ones are minor ticks.
type percentTicks struct{}

var detTickPreference = []float64{0.01, 0.1, 0.001, 0.4, 0.05, 0.2, 0.02, 0.005, 0.002, 0.0001, 0.0005, 0.0002,
	0.6, 0.8, 0.9, 0.95, 0.98, 0.99}

// minTickGap is the least distance between labelled DET ticks, as a share
// of the axis: about a label's width on a plot half a figure wide.
const minTickGap = 0.085

func (percentTicks) Ticks(lo, hi float64) []plot.Tick {
	norm := func(v float64) float64 { return probitScale{}.Normalize(lo, hi, v) }
	var labelled []float64
	for _, v := range detTickPreference {
		if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
			continue
		}
		ok := true
		for _, u := range labelled {
			if math.Abs(norm(u)-norm(v)) < minTickGap {
				ok = false
				break
			}
		}
		if ok {
			labelled = append(labelled, v)
		}
	}
	var ts []plot.Tick
	for _, v := range detTickValues {
		if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			t := plot.Tick{Value: v}
			if slices.Contains(labelled, v) {
				t.Label = percent(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// percent formats a rate as "0.1%", "2%", "40%".
func percent(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e5)/1e3, 'f', -1, 64) + "%"
}

// percent1 formats a rate with one decimal: "12.3%".
func percent1(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

// framed is a figure whose legend sits beside its axes, never over the data:
// gonum/plot draws a legend inside the data area, so the figure is a plot
// with hidden axes whose only plotter lays out the real plot (or a grid of
// panels) and the legend. [Figure.Plot] stays a *plot.Plot, which every
// renderer takes.
type framed struct {
	panels [][]*plot.Plot // rows of panels; one panel for most figures
	legend *plot.Legend   // nil or empty: no legend
	below  bool           // legend under the panels instead of to the right
	gap    vg.Length      // between panels
	// xLabel and yLabel, if set, are drawn beside the first panel instead
	// of its own axis labels: gonum/plot reserves room for an axis label as
	// if it sat at the arithmetic middle of the axis, which on a log or
	// probit axis is far from its centre, and squeezes the plot to fit it.
	xLabel, yLabel string
}

// frame wraps panels and legend in a figure titled title (the panels' own
// titles then name the panels).
func frame(title string, legend *plot.Legend, panels ...[]*plot.Plot) *plot.Plot {
	outer, _ := newFrame(title, legend, panels...)
	return outer
}

func newFrame(title string, legend *plot.Legend, panels ...[]*plot.Plot) (*plot.Plot, *framed) {
	outer := plot.New()
	outer.Title.Text = title
	styleText(&outer.Title.TextStyle.Font, titleSize)
	outer.Title.Padding = vg.Points(4)
	outer.HideAxes()
	outer.X.Padding, outer.Y.Padding = 0, 0
	outer.X.Min, outer.X.Max, outer.Y.Min, outer.Y.Max = 0, 1, 0, 1
	if legend != nil {
		legend.Padding = vg.Points(1.5)
	}
	f := &framed{panels: panels, legend: legend, gap: vg.Points(10)}
	if legend != nil {
		if w := legendWidth(legend); w > FigureWidth*0.4 {
			f.below = true
		}
	}
	outer.Add(f)
	return outer, f
}

// single frames one plot, moving its title and legend out to the frame, and
// the label of a non-linear x axis too (see framed.xLabel).
func single(p *plot.Plot) *plot.Plot {
	title := p.Title.Text
	p.Title.Text = ""
	leg := p.Legend
	p.Legend = plot.NewLegend()
	outer, f := newFrame(title, &leg, []*plot.Plot{p})
	if _, linear := p.X.Scale.(plot.LinearScale); !linear {
		f.xLabel, p.X.Label.Text = p.X.Label.Text, ""
	}
	if _, linear := p.Y.Scale.(plot.LinearScale); !linear {
		f.yLabel, p.Y.Label.Text = p.Y.Label.Text, ""
	}
	return outer
}

func legendWidth(l *plot.Legend) vg.Length {
	r := l.Rectangle(draw.Canvas{})
	return r.Max.X - r.Min.X
}

func legendHeight(l *plot.Legend) vg.Length {
	r := l.Rectangle(draw.Canvas{})
	return r.Max.Y - r.Min.Y
}

func (f *framed) Plot(c draw.Canvas, _ *plot.Plot) {
	area := c
	hasLegend := f.legend != nil && legendHeight(f.legend) > 0
	pad := vg.Points(8)
	if hasLegend {
		if f.below {
			area = draw.Crop(c, 0, 0, legendHeight(f.legend)+pad+vg.Points(4), 0)
		} else {
			area = draw.Crop(c, 0, -(legendWidth(f.legend) + pad + vg.Points(6)), 0, 0)
		}
	}
	labelFloor := area.Min.Y // the x label sits here, above a legend below
	rows := len(f.panels)
	cols := 0
	for _, r := range f.panels {
		cols = max(cols, len(r))
	}
	grid := make([][]*plot.Plot, rows)
	for i, r := range f.panels {
		grid[i] = make([]*plot.Plot, cols)
		copy(grid[i], r)
	}
	xl := text.Style{Color: color.Black, XAlign: draw.XCenter, YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}
	styleText(&xl.Font, labelSize)
	if f.xLabel != "" {
		area = draw.Crop(area, 0, 0, xl.Height(f.xLabel)+vg.Points(2), 0)
	}
	if f.yLabel != "" {
		area = draw.Crop(area, xl.Height(f.yLabel)+vg.Points(2), 0, 0, 0)
	}
	tiles := plot.Align(grid, draw.Tiles{Rows: rows, Cols: cols, PadX: f.gap, PadY: f.gap}, area)
	top, left := area.Max.Y, area.Min.X
	for i := range grid {
		for j, p := range grid[i] {
			if p == nil {
				continue
			}
			p.Draw(tiles[i][j])
			if i == 0 && j == 0 {
				dc := p.DataCanvas(tiles[i][j])
				top, left = dc.Max.Y, dc.Min.X
				if f.xLabel != "" {
					c.FillText(xl, vg.Point{X: dc.Center().X, Y: labelFloor}, f.xLabel)
				}
				if f.yLabel != "" {
					yl := xl
					yl.Rotation = math.Pi / 2
					c.FillText(yl, vg.Point{X: c.Min.X + xl.Height(f.yLabel) - xl.FontExtents().Descent, Y: dc.Center().Y}, f.yLabel)
				}
			}
		}
	}
	if !hasLegend {
		return
	}
	l := *f.legend
	l.Top, l.Left = true, true
	l.XOffs, l.YOffs = 0, 0
	var lc draw.Canvas
	if f.below {
		lc = draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: left, Y: c.Min.Y},
			Max: vg.Point{X: c.Max.X, Y: c.Min.Y + legendHeight(f.legend) + vg.Points(2)}}}
	} else {
		lc = draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: area.Max.X + pad, Y: c.Min.Y},
			Max: vg.Point{X: c.Max.X, Y: top}}}
	}
	l.Draw(lc)
}

// lineStyle returns a solid line of width w in colour c.
func lineStyle(c color.Color, w float64) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(w)}
}

// swatch is a legend thumbnail: a filled box, for bands and heat map cells.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	h := r.Max.Y - r.Min.Y
	box := vg.Rectangle{Min: vg.Point{X: r.Min.X, Y: r.Min.Y + h*0.15}, Max: vg.Point{X: r.Max.X, Y: r.Max.Y - h*0.15}}
	c.SetColor(s.c)
	c.Fill(box.Path())
}

// userName shows a numeric user id as "user 5"; other ids stay as they are.
func userName(id string) string {
	if id != "" && strings.Trim(id, "0123456789") == "" {
		return "user " + id
	}
	return id
}
