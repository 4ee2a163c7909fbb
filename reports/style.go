package reports

import (
	"fmt"
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

// Style is how figures are drawn: their size, text size, the files written
// and the ROC's FMR axis. Titles are never drawn into a figure: the HTML
// report puts each figure's title and caption beside it, and a paper its
// own caption.
type Style struct {
	// Name is "screen" or "paper".
	Name string
	// Width and Height are the figure's size.
	Width, Height vg.Length
	// FontSize is the size of axis labels; ticks and legends are 90% of it.
	// At the figure's own size: a 3.5 in paper figure at 8 pt prints its
	// smallest text at 7.2 pt.
	FontSize vg.Length
	// Formats are the files written per figure: "png", "svg", "pdf".
	Formats []string
	// LogROC draws the ROC's FMR axis on a log scale (10^-3 to 1) instead of
	// the linear [0, 1].
	LogROC bool
	// DPI is the PNG resolution.
	DPI int
	// treeLabel names a sweep's tree axis (set by the sweep figures).
	treeLabel string
}

// Styles.
const (
	StyleScreen = "screen"
	StylePaper  = "paper"
)

// Formats a figure can be written in.
var Formats = []string{"png", "svg", "pdf"}

// ScreenStyle is the default: 6 × 4 in at 10 pt, PNG and SVG, for the HTML
// report and slides.
func ScreenStyle() Style {
	return Style{Name: StyleScreen, Width: 6 * vg.Inch, Height: 4 * vg.Inch, FontSize: 10, Formats: []string{"png", "svg"}, DPI: 144}
}

// PaperStyle is for a two-column paper: one column (3.5 in) wide, 2.8 in
// high, 8 pt labels and 7.2 pt ticks and legends, thinner lines, PDF, SVG
// and a 300 dpi PNG.
func PaperStyle() Style {
	return Style{Name: StylePaper, Width: 3.5 * vg.Inch, Height: 2.8 * vg.Inch, FontSize: 8, Formats: []string{"pdf", "svg", "png"}, DPI: 300}
}

// ParseStyle returns the named style.
func ParseStyle(name string) (Style, error) {
	switch name {
	case StyleScreen, "":
		return ScreenStyle(), nil
	case StylePaper:
		return PaperStyle(), nil
	}
	return Style{}, fmt.Errorf("unknown style %q (want screen or paper)", name)
}

// ParseSize parses "WxH" in inches ("3.5x2.6"): each from 1 to 20.
func ParseSize(s string) (w, h vg.Length, err error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		return 0, 0, fmt.Errorf("size %q: want WxH in inches, e.g. 3.5x2.6", s)
	}
	fw, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	fh, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || !(fw >= 1 && fw <= 20 && fh >= 1 && fh <= 20) {
		return 0, 0, fmt.Errorf("size %q: want WxH in inches, each from 1 to 20, e.g. 3.5x2.6", s)
	}
	return vg.Length(fw) * vg.Inch, vg.Length(fh) * vg.Inch, nil
}

// ParseFormats parses a comma-separated list of formats.
func ParseFormats(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !slices.Contains(Formats, f) {
			return nil, fmt.Errorf("format %q: want png, svg or pdf", f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("formats %q: name at least one of png, svg, pdf", s)
	}
	return out, nil
}

// Check reports a style that cannot be drawn: a size out of range or text
// too small to read (below 6 pt) or too large for the figure.
func (st Style) Check() error {
	if st.Width < vg.Inch || st.Height < vg.Inch || st.Width > 20*vg.Inch || st.Height > 20*vg.Inch {
		return fmt.Errorf("figure size %.2gx%.2g in: each side from 1 to 20 in", st.Width/vg.Inch, st.Height/vg.Inch)
	}
	if st.FontSize < 6 || st.FontSize > 24 {
		return fmt.Errorf("font size %v pt: from 6 to 24 pt", float64(st.FontSize))
	}
	if len(st.Formats) == 0 {
		return fmt.Errorf("no figure format")
	}
	return nil
}

func (st Style) labelSize() vg.Length  { return st.FontSize }
func (st Style) tickSize() vg.Length   { return st.FontSize * 0.9 }
func (st Style) legendSize() vg.Length { return st.FontSize * 0.9 }

// line is the width of a curve: thinner at a paper's column width.
func (st Style) line() float64 {
	if st.Width < 4.5*vg.Inch {
		return 1.1
	}
	return 1.6
}

// sansFont is Liberation Sans, bundled with gonum/plot, so every machine
// lays text out alike; it has the metrics of Arial and Helvetica, which the
// report's style sheet names as fallbacks.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

func styleText(f *font.Font, size vg.Length) { *f = font.From(sansFont, size) }

// palette is Okabe and Ito's colour-blind-safe palette (2008), yellow last
// (faint on white) and its black kept for the mean curves.
var palette = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, // blue
	{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	{0x00, 0x9e, 0x73, 0xff}, // bluish green
	{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	{0xe6, 0x9f, 0x00, 0xff}, // orange
	{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	{0xf0, 0xe4, 0x42, 0xff}, // yellow
}

// colour returns palette colour i, cycling.
func colour(i int) color.RGBA { return palette[i%len(palette)] }

// dashPatterns are the line styles series take in turn with the colours,
// so curves differ in more than hue (and in print without colour).
var dashPatterns = [][]float64{nil, {5, 2.5}, {1.2, 1.8}, {6, 2, 1.2, 2}, {9, 3}, {3, 1.5, 1.2, 1.5, 1.2, 1.5}}

// dashes returns series i's dash pattern.
func dashes(i int) []vg.Length {
	p := dashPatterns[i%len(dashPatterns)]
	out := make([]vg.Length, len(p))
	for k, v := range p {
		out[k] = vg.Points(v)
	}
	return out
}

// translucent is c with alpha a (0..1).
func translucent(c color.RGBA, a float64) color.Color {
	return color.NRGBA{R: c.R, G: c.G, B: c.B, A: uint8(math.Round(a * 255))}
}

var (
	grey      = color.Gray{Y: 0xb4}
	darkGrey  = color.Gray{Y: 0x60}
	gridColor = color.Gray{Y: 0xe4}
)

// newPlot returns a plot with the style's fonts, a light grid and nice
// linear ticks on both axes.
func newPlot(st Style, x, y string) *plot.Plot {
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		styleText(&a.Label.TextStyle.Font, st.labelSize())
		styleText(&a.Tick.Label.Font, st.tickSize())
		a.Tick.Marker = niceTicks{}
		a.Padding = vg.Points(2)
	}
	p.X.Label.Text = x
	p.Y.Label.Text = y
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

// logScale is a log axis that, unlike plot.LogScale, never panics: values at
// or below zero are drawn far left of the axis (and clipped), so a ROC curve
// that starts at FPR 0 enters from the edge.
type logScale struct{}

func (logScale) Normalize(lo, hi, x float64) float64 {
	x = math.Max(x, lo*1e-3)
	return (math.Log(x) - math.Log(lo)) / (math.Log(hi) - math.Log(lo))
}

// logTicks labels the powers of ten of a log axis (as fractions: 0.001,
// 0.01, 0.1, 1) and puts minor ticks at 2 and 5 times them.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for _, v := range seq125(lo, hi) {
		t := plot.Tick{Value: v}
		if m := v / math.Pow(10, math.Floor(math.Log10(v)+1e-9)); math.Abs(m-1) < 1e-9 {
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

// detTickValues are the error rates a DET axis marks; detLabelled those it
// labels (as fractions, the unit of every figure and table).
var (
	detTickValues = []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
	detLabelled   = []float64{0.001, 0.01, 0.1, 0.5, 0.9}
)

type detTicks struct{}

func (detTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for _, v := range detTickValues {
		if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			t := plot.Tick{Value: v}
			if slices.Contains(detLabelled, v) {
				t.Label = shortNumber(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// legend is a figure's legend, drawn below its axes in as many columns as
// fit the figure's width (gonum/plot's own legend has one column and sits
// over the data).
type legend struct {
	entries []legendEntry
}

type legendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

func (l *legend) add(text string, thumbs ...plot.Thumbnailer) {
	l.entries = append(l.entries, legendEntry{text, thumbs})
}

// legendLayout places a legend's entries row by row in columns within a
// width: as many columns as fit, each as wide as its widest entry.
type legendLayout struct {
	style      text.Style
	cols, rows int
	colX       []vg.Length // left edge of each column, from the legend's left
	rowH, icon vg.Length
}

func (l *legend) layout(st Style, width vg.Length) legendLayout {
	ts := text.Style{Color: color.Black, XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
	styleText(&ts.Font, st.legendSize())
	lay := legendLayout{style: ts, icon: st.legendSize() * 2.1, rowH: ts.Height("Mg") * 1.3}
	entryW := make([]vg.Length, len(l.entries))
	for i, e := range l.entries {
		entryW[i] = lay.icon + vg.Points(3) + ts.Width(e.text) + st.legendSize()*1.2
	}
	for cols := len(l.entries); cols >= 1; cols-- {
		colW := make([]vg.Length, cols)
		for i, w := range entryW {
			colW[i%cols] = max(colW[i%cols], w)
		}
		var total vg.Length
		for _, w := range colW {
			total += w
		}
		if total <= width || cols == 1 {
			lay.cols = cols
			lay.rows = (len(l.entries) + cols - 1) / cols
			lay.colX = make([]vg.Length, cols)
			for c := 1; c < cols; c++ {
				lay.colX[c] = lay.colX[c-1] + colW[c-1]
			}
			break
		}
	}
	return lay
}

func (l *legend) height(st Style, width vg.Length) vg.Length {
	if l == nil || len(l.entries) == 0 {
		return 0
	}
	lay := l.layout(st, width)
	return vg.Length(lay.rows)*lay.rowH + vg.Points(2)
}

// draw draws the legend in the rectangle r, entries row by row, left to
// right, top down.
func (l *legend) draw(c draw.Canvas, st Style, r vg.Rectangle) {
	lay := l.layout(st, r.Max.X-r.Min.X)
	for i, e := range l.entries {
		row, col := i/lay.cols, i%lay.cols
		x := r.Min.X + lay.colX[col]
		yc := r.Max.Y - (vg.Length(row)+0.5)*lay.rowH
		h := lay.rowH * 0.8
		icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: yc - h/2}, Max: vg.Point{X: x + lay.icon, Y: yc + h/2}}}
		for _, t := range e.thumbs {
			t.Thumbnail(&icon)
		}
		c.FillText(lay.style, vg.Point{X: x + lay.icon + vg.Points(3), Y: yc}, e.text)
	}
}

// framed is a figure: one plot (or a row of panels) with its legend below
// the axes, never over the data. gonum/plot draws a legend inside the data
// area, so the figure is a plot with hidden axes whose only plotter lays
// out the real plot and the legend. [Figure.Plot] stays a *plot.Plot,
// which every renderer takes.
type framed struct {
	style  Style
	panels []*plot.Plot
	legend *legend
	gap    vg.Length
	// after, if set, draws in the area right of the panels (a colour bar),
	// of the given width.
	after      func(c draw.Canvas, dataTop, dataBottom vg.Length)
	afterWidth vg.Length
	// xLabel and yLabel, if set, are drawn beside the first panel instead
	// of its own axis labels: gonum/plot reserves room for an axis label as
	// if it sat at the arithmetic middle of the axis, which on a log or
	// probit axis is far from its centre, and squeezes the plot to fit it.
	xLabel, yLabel string
}

// frame wraps panels (side by side) and their legend into a figure.
func frame(st Style, leg *legend, panels ...*plot.Plot) (*plot.Plot, *framed) {
	outer := plot.New()
	outer.HideAxes()
	outer.X.Padding, outer.Y.Padding = 0, 0
	outer.X.Min, outer.X.Max, outer.Y.Min, outer.Y.Max = 0, 1, 0, 1
	f := &framed{style: st, panels: panels, legend: leg, gap: vg.Points(10)}
	for _, p := range panels {
		if _, linear := p.X.Scale.(plot.LinearScale); !linear && len(panels) == 1 {
			f.xLabel, p.X.Label.Text = p.X.Label.Text, ""
		}
		if _, linear := p.Y.Scale.(plot.LinearScale); !linear && len(panels) == 1 {
			f.yLabel, p.Y.Label.Text = p.Y.Label.Text, ""
		}
	}
	outer.Add(f)
	return outer, f
}

// single frames one plot and its legend.
func single(st Style, p *plot.Plot, leg *legend) *plot.Plot {
	outer, _ := frame(st, leg, p)
	return outer
}

func (f *framed) Plot(c draw.Canvas, _ *plot.Plot) {
	st := f.style
	area := c
	lh := f.legend.height(st, c.Max.X-c.Min.X)
	if lh > 0 {
		area = draw.Crop(c, 0, 0, lh+vg.Points(4), 0)
	}
	labelFloor := area.Min.Y // the x label sits here, above the legend
	xl := text.Style{Color: color.Black, XAlign: draw.XCenter, YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}
	styleText(&xl.Font, st.labelSize())
	if f.xLabel != "" {
		area = draw.Crop(area, 0, 0, xl.Height(f.xLabel)+vg.Points(2), 0)
	}
	if f.yLabel != "" {
		area = draw.Crop(area, xl.Height(f.yLabel)+vg.Points(2), 0, 0, 0)
	}
	if f.after != nil {
		area = draw.Crop(area, 0, -f.afterWidth, 0, 0)
	}
	grid := [][]*plot.Plot{f.panels}
	tiles := plot.Align(grid, draw.Tiles{Rows: 1, Cols: len(f.panels), PadX: f.gap}, area)
	var first, last draw.Canvas
	for j, p := range f.panels {
		p.Draw(tiles[0][j])
		dc := p.DataCanvas(tiles[0][j])
		if j == 0 {
			first = dc
		}
		last = dc
	}
	if f.xLabel != "" {
		c.FillText(xl, vg.Point{X: first.Center().X, Y: labelFloor}, f.xLabel)
	}
	if f.yLabel != "" {
		yl := xl
		yl.Rotation = math.Pi / 2
		c.FillText(yl, vg.Point{X: c.Min.X + xl.Height(f.yLabel) - xl.FontExtents().Descent, Y: first.Center().Y}, f.yLabel)
	}
	if f.after != nil {
		ac := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: area.Max.X, Y: area.Min.Y}, Max: vg.Point{X: area.Max.X + f.afterWidth, Y: area.Max.Y}}}
		f.after(ac, last.Max.Y, last.Min.Y)
	}
	if lh > 0 {
		// The width the height was computed for: the whole figure's.
		f.legend.draw(c, st, vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: c.Min.Y}, Max: vg.Point{X: c.Max.X, Y: c.Min.Y + lh}})
	}
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

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// finiteXYs pairs xs and ys, dropping pairs with a non-finite member.
func finiteXYs(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, 0, len(xs))
	for i := range xs {
		if i < len(ys) && isFinite(xs[i]) && isFinite(ys[i]) {
			pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
		}
	}
	return pts
}
