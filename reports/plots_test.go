package reports

import (
	"bytes"
	"encoding/xml"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/reports/reportstest"
)

// svgText is a text of a rendered figure with its horizontal centre.
type svgText struct {
	text   string
	centre float64 // x + textLength/2
	y      float64
}

func svgTexts(t *testing.T, data []byte) []svgText {
	t.Helper()
	var doc struct {
		Texts []struct {
			X      float64 `xml:"x,attr"`
			Y      float64 `xml:"y,attr"`
			Length float64 `xml:"textLength,attr"`
			Text   string  `xml:",chardata"`
		} `xml:"g>text"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var out []svgText
	for _, x := range doc.Texts {
		if x.Length <= 0 {
			t.Errorf("text %q has no textLength", x.Text)
		}
		out = append(out, svgText{x.Text, x.X + x.Length/2, x.Y})
	}
	return out
}

func figure(t *testing.T, run *evaluate.Run, name string) []svgText {
	t.Helper()
	return figureIn(t, run, name, ScreenStyle())
}

func figureIn(t *testing.T, run *evaluate.Run, name string, st Style) []svgText {
	t.Helper()
	figs, err := Figures(run, st)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		if f.Name == name {
			svg, err := RenderSVG(f)
			if err != nil {
				t.Fatal(err)
			}
			return svgTexts(t, svg)
		}
		names = append(names, f.Name)
	}
	t.Fatalf("no figure %s among %v", name, names)
	return nil
}

func hasText(ts []svgText, prefix string) bool {
	for _, x := range ts {
		if strings.HasPrefix(x.text, prefix) {
			return true
		}
	}
	return false
}

// presetResult is a result as `evaluate compare --presets` writes it: the
// fixture's first result under another preset.
func presetResult(preset, aggregate string, improved bool) evaluate.Result {
	r := reportstest.Run().Results[0]
	r.Classifier = "rf"
	r.Aggregate = aggregate
	r.Seed = 42
	r.Params = map[string]any{"preset": preset, "negative_ratio": 1.0, "train_fraction": 2.0 / 3,
		"drop_duplicate_columns": improved, "replace_placeholders": improved, "trees": 100.0}
	return r
}

func TestNameResults(t *testing.T) {
	t.Parallel()
	rf := evaluate.Result{Classifier: "rf", Protocol: "reference", Aggregate: "mean", Seed: 42, Params: map[string]any{"trees": 100, "depth": 0}}
	lr := rf
	lr.Classifier = "logreg"
	strict := rf
	strict.Protocol = "strict"
	seed7 := rf
	seed7.Seed = 7
	trees50 := rf
	trees50.Params = map[string]any{"trees": 50, "depth": 0}
	tests := []struct {
		name    string
		results []evaluate.Result
		short   []string
		common  string
	}{
		{"presets", []evaluate.Result{presetResult("published", "mean", false), presetResult("improved", "logodds", true)},
			[]string{"preset=published", "preset=improved"},
			"classifier rf · protocol reference · negative ratio 1 · train fraction 0.667 · trees 100 · seed 42"},
		{"classifiers", []evaluate.Result{rf, lr}, []string{"rf", "logreg"}, "protocol reference · aggregate mean · depth 0 · trees 100 · seed 42"},
		{"protocols", []evaluate.Result{rf, strict}, []string{"protocol=reference", "protocol=strict"}, "classifier rf · aggregate mean · depth 0 · trees 100 · seed 42"},
		{"a parameter", []evaluate.Result{rf, trees50}, []string{"trees=100", "trees=50"}, "classifier rf · protocol reference · aggregate mean · depth 0 · seed 42"},
		{"seeds", []evaluate.Result{rf, seed7}, []string{"seed=42", "seed=7"}, "classifier rf · protocol reference · aggregate mean · depth 0 · trees 100"},
		{"classifier and protocol", []evaluate.Result{rf, strict, lr}, []string{"rf, protocol=reference", "rf, protocol=strict", "logreg, protocol=reference"}, "aggregate mean · depth 0 · trees 100 · seed 42"},
		{"nothing differs", []evaluate.Result{rf, rf}, []string{"#1", "#2"}, "classifier rf · protocol reference · aggregate mean · depth 0 · trees 100 · seed 42"},
		{"one", []evaluate.Result{rf}, []string{"rf, protocol=reference"}, "classifier rf · protocol reference · aggregate mean · depth 0 · trees 100 · seed 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := nameResults(tt.results)
			if got := strings.Join(n.Short, " | "); got != strings.Join(tt.short, " | ") {
				t.Errorf("short names %q, want %q", n.Short, tt.short)
			}
			if got := showSettings(n.Common); got != tt.common {
				t.Errorf("common %q, want %q", got, tt.common)
			}
			seen := map[string]bool{}
			for i, l := range n.Long {
				if seen[l] {
					t.Errorf("long name %q repeats", l)
				}
				seen[l] = true
				if len(tt.results) > 1 && !strings.Contains(l, n.Short[i]) {
					t.Errorf("long name %q does not contain short %q", l, n.Short[i])
				}
			}
		})
	}
}

// TestNamesDifferWhenParamsDiffer changes one parameter at a time between
// two otherwise equal results: their names must differ and name it.
func TestNamesDifferWhenParamsDiffer(t *testing.T) {
	t.Parallel()
	base := presetResult("published", "mean", false)
	for k, v := range map[string]any{"negative_ratio": 2.0, "train_fraction": 0.5, "trees": 300.0,
		"drop_duplicate_columns": true, "max_depth": 8.0} {
		other := presetResult("published", "mean", false)
		other.Params = map[string]any{}
		for kk, vv := range base.Params {
			other.Params[kk] = vv
		}
		other.Params[k] = v
		n := nameResults([]evaluate.Result{base, other})
		if n.Short[0] == n.Short[1] || !strings.Contains(n.Short[1], k+"=") {
			t.Errorf("%s=%v: names %q do not tell the results apart by %s", k, v, n.Short, k)
		}
	}
}

func TestCompareLegendNamesPresets(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	run.Results = []evaluate.Result{presetResult("published", "mean", false), presetResult("improved", "logodds", true)}
	for _, name := range []string{"roc_compare_w10", "det_compare_w10"} {
		ts := figure(t, run, name)
		for _, want := range []string{"preset=published: ", "preset=improved: "} {
			if !hasText(ts, want) {
				t.Errorf("%s legend lacks %q", name, want)
			}
		}
	}
	s := run.Results[0].Summary[1]
	if want := "preset=published: AUC " + estText(s.Stats.MeanAUC); !hasText(figure(t, run, "roc_compare_w10"), want) {
		t.Errorf("ROC legend lacks the mean per-user AUC and its interval %q", want)
	}
	if want := "preset=published: pooled EER " + estText(s.Stats.Pooled.EER); !hasText(figure(t, run, "det_compare_w10"), want) {
		t.Errorf("DET legend lacks the pooled EER and its interval %q", want)
	}
}

// TestTitlesOutOfImages: no figure draws its title; the page's caption
// gives it, and names which EER and AUC the figure shows.
func TestTitlesOutOfImages(t *testing.T) {
	t.Parallel()
	figs, err := Figures(reportstest.Run(), ScreenStyle())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		svg, err := RenderSVG(f)
		if err != nil {
			t.Fatal(err)
		}
		if f.Title == "" || f.Caption == "" {
			t.Errorf("%s: title %q caption %q", f.Name, f.Title, f.Caption)
		}
		for _, x := range svgTexts(t, svg) {
			if x.text == f.Title {
				t.Errorf("%s draws its title", f.Name)
			}
		}
		switch {
		case strings.HasPrefix(f.Name, "det_"):
			if !strings.Contains(f.Caption, "pooled EER") || !strings.Contains(f.Caption, "mean per-user EER") && !strings.HasPrefix(f.Name, "det_compare") {
				t.Errorf("%s caption does not say which EER: %s", f.Name, f.Caption)
			}
		case strings.HasPrefix(f.Name, "roc_mean") || strings.HasPrefix(f.Name, "roc_compare"):
			if !strings.Contains(f.Caption, "mean per-user AUC") {
				t.Errorf("%s caption does not say which AUC: %s", f.Name, f.Caption)
			}
		}
	}
}

// TestPaperStyle: at one column (3.5 in) every text is at least 7 pt,
// the legend sits below the axes (under every tick label), the curves use
// the Okabe-Ito palette with line styles, the ROC axes run from 0 to 1,
// and the PDF embeds its fonts.
func TestPaperStyle(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	st := PaperStyle()
	figs, err := Figures(run, st)
	if err != nil {
		t.Fatal(err)
	}
	sizeRE := regexp.MustCompile(`font-size:([0-9.]+)px`)
	for _, f := range figs {
		svg, err := RenderSVG(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(svg, []byte(`viewBox="0 0 252 201.6"`)) {
			t.Errorf("%s: not 3.5 × 2.8 in (252 × 201.6 pt): %.200s", f.Name, svg)
		}
		// Every text inside the figure (its y, drawn flipped, in [-201.6, 0]):
		// a legend cut at the bottom loses entries.
		for _, x := range svgTexts(t, svg) {
			if x.y > 0 || x.y < -201.6 || x.centre < 0 || x.centre > 252 {
				t.Errorf("%s: text %q at (%v, %v) outside the figure", f.Name, x.text, x.centre, x.y)
			}
		}
		for _, m := range sizeRE.FindAllSubmatch(svg, -1) {
			size, _ := strconv.ParseFloat(string(m[1]), 64)
			if size < 7 && !strings.HasPrefix(f.Name, "sweep_grid") { // heat map cells shrink their numbers to fit
				t.Errorf("%s: text at %v pt", f.Name, size)
			}
		}
	}
	ts := figureIn(t, run, "roc_mean_centroid_preset-published_protocol-reference", st)
	tickY, legendY := math.Inf(-1), math.Inf(-1)
	for _, x := range ts {
		switch {
		case x.text == "0.0" || x.text == "1.0":
			tickY = math.Max(tickY, x.y)
		case strings.HasPrefix(x.text, "window 1: AUC"):
			legendY = x.y
		}
	}
	if math.IsInf(tickY, -1) || legendY <= tickY {
		t.Errorf("legend at y %v is not below the tick labels at %v", legendY, tickY)
	}
	svg, err := RenderSVG(figs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("#0072B2")) || !bytes.Contains(svg, []byte("stroke-dasharray")) {
		t.Error("first figure lacks Okabe-Ito blue or dashed lines")
	}
	pdf, err := RenderPDF(figs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("/FontFile")) {
		t.Error("PDF without header or embedded fonts")
	}
}

// curve is TPR = FPR^k at n+1 points; its AUC is 1/(k+1), below chance
// for k > 1.
func curve(k float64, n int) evaluate.ROCCurve {
	var c evaluate.ROCCurve
	for i := 0; i <= n; i++ {
		x := float64(i) / float64(n)
		c.FPR = append(c.FPR, x)
		c.TPR = append(c.TPR, math.Pow(x, k))
	}
	return c
}

// usersRun is one result of 21 users "1".."21" at window 1; user 5 is below
// chance.
func usersRun() *evaluate.Run {
	r := evaluate.Result{Classifier: "rf", Protocol: "reference", Windows: []int{1}}
	var curves []evaluate.ROCCurve
	for i := 1; i <= 21; i++ {
		k := 0.05 + 0.02*float64(i)
		if i == 5 {
			k = 4
		}
		c := curve(k, 50)
		r.Users = append(r.Users, evaluate.UserResult{User: strconv.Itoa(i), Window: 1, AUC: 1 / (k + 1), ROC: c, Genuine: 50, Impostor: 50})
		curves = append(curves, c)
	}
	r.Summary = []evaluate.WindowSummary{{Window: 1, MeanAUC: 0.8, SDAUC: 0.1, Users: 21, MeanROC: evaluate.MeanROC(curves)}}
	return &evaluate.Run{Results: []evaluate.Result{r}}
}

func TestUserROCNamesWorstUsers(t *testing.T) {
	t.Parallel()
	ts := figure(t, usersRun(), "roc_users_rf_protocol-reference_w1")
	var legend []string
	for _, x := range ts {
		if strings.HasPrefix(x.text, "user ") || strings.Contains(x.text, "others") {
			legend = append(legend, x.text)
		}
	}
	// Worst first: user 5 (AUC 0.2), then the lowest of the rest, 21 down.
	want := []string{"user 5: 0.200", "user 21: 0.680", "user 20: 0.690", "user 19: 0.699", "user 18: 0.709",
		"16 others: 0.719–0.935"}
	if strings.Join(legend, " | ") != strings.Join(want, " | ") {
		t.Errorf("legend\n%q\nwant\n%q", legend, want)
	}
	// Every user below chance is named, beyond WorstUsers.
	run := usersRun()
	for i := range run.Results[0].Users[:7] {
		run.Results[0].Users[i].AUC = 0.3 + 0.01*float64(i)
	}
	ts = figure(t, run, "roc_users_rf_protocol-reference_w1")
	named := 0
	for _, x := range ts {
		if strings.HasPrefix(x.text, "user ") {
			named++
		}
	}
	if named != 7 {
		t.Errorf("%d users named, want the 7 below chance", named)
	}
}

func TestDETTicksAtProbitPositions(t *testing.T) {
	t.Parallel()
	ts := figure(t, reportstest.Run(), "det_centroid_preset-published_protocol-reference")
	// The x axis labels are the fractions on the lowest line of numbers.
	isNum := func(s string) bool { _, err := strconv.ParseFloat(s, 64); return err == nil }
	lowest := math.Inf(-1)
	for _, x := range ts {
		if isNum(x.text) && x.y > lowest {
			lowest = x.y
		}
	}
	xAxis := map[string]float64{}
	for _, x := range ts {
		if isNum(x.text) && x.y == lowest {
			xAxis[x.text] = x.centre
		}
	}
	for _, want := range []string{"0.001", "0.01", "0.1", "0.5", "0.9"} {
		if _, ok := xAxis[want]; !ok {
			t.Fatalf("x axis labels %v lack %s", xAxis, want)
		}
	}
	probit := distuv.UnitNormal.Quantile
	// On normal-deviate axes the distance between two labels is the
	// difference of their probits.
	for _, q := range [][4]string{{"0.001", "0.01", "0.01", "0.1"}, {"0.01", "0.1", "0.1", "0.5"}} {
		v := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
		got := (xAxis[q[1]] - xAxis[q[0]]) / (xAxis[q[3]] - xAxis[q[2]])
		want := (probit(v(q[1])) - probit(v(q[0]))) / (probit(v(q[3])) - probit(v(q[2])))
		if math.Abs(got-want) > 0.02*want {
			t.Errorf("spacing %s→%s / %s→%s = %.3f, want %.3f (probit)", q[0], q[1], q[2], q[3], got, want)
		}
	}
	if !hasText(ts, "window 1: pooled EER ") || !hasText(ts, "window 10: pooled EER ") {
		t.Error("DET legend does not give each curve's pooled EER")
	}
}

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lo, hi float64
		want   string
	}{
		{0, 1000, "0 200 400 600 800 1000"},
		{0, 250, "0 50 100 150 200 250"},
		{0, 3.2, "0 1 2 3"},
		{0, 2.4, "0.0 0.5 1.0 1.5 2.0"},
		{0.5, 1, "0.5 0.6 0.7 0.8 0.9 1.0"},
		{0, 0.03, "0.00 0.01 0.02 0.03"},
		{0, 0.02, "0.000 0.005 0.010 0.015 0.020"},
		{10, 100, "20 40 60 80 100"},
	}
	for _, tt := range tests {
		var labels []string
		for _, tk := range (niceTicks{}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tt.want {
			t.Errorf("ticks(%v, %v) = %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
	var logLabels []string
	for _, tk := range (logTicks{}).Ticks(0.001, 1) {
		if tk.Label != "" {
			logLabels = append(logLabels, tk.Label)
		}
	}
	if got := strings.Join(logLabels, " "); got != "0.001 0.01 0.1 1" {
		t.Errorf("log ticks %q", got)
	}
	if ts := (niceTicks{}).Ticks(0, 0); len(ts) != 1 {
		t.Errorf("empty range: %v", ts)
	}
	if ts := (logTicks{}).Ticks(0, 1); len(ts) != 0 {
		t.Errorf("log ticks from 0: %v", ts)
	}
}

func TestLogROCAxis(t *testing.T) {
	t.Parallel()
	st := ScreenStyle()
	st.LogROC = true
	ts := figureIn(t, reportstest.Run(), "roc_compare_w1", st)
	for _, want := range []string{"0.001", "0.01", "0.1", "1", fmrLabel + ", log scale"} {
		if !hasText(ts, want) {
			t.Errorf("log ROC lacks %q", want)
		}
	}
	// Linear by default.
	if ts := figure(t, reportstest.Run(), "roc_compare_w1"); hasText(ts, fmrLabel+", log scale") || !hasText(ts, "0.2") {
		t.Error("the default ROC axis is not linear")
	}
}

func TestHeatMapAnnotatesEveryPoint(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	for _, m := range []struct {
		name string
		get  func(evaluate.SweepPoint) float64
	}{{"sweep_grid_auc", func(p evaluate.SweepPoint) float64 { return p.MeanAUC }},
		{"sweep_grid_eer", func(p evaluate.SweepPoint) float64 { return p.MeanEER }}} {
		ts := figure(t, run, m.name)
		counts := map[string]int{}
		for _, x := range ts {
			counts[x.text]++
		}
		for _, p := range run.Sweeps {
			v := strconv.FormatFloat(m.get(p), 'f', 3, 64)
			if counts[v] == 0 {
				t.Errorf("%s: no cell reads %s (trees %d, window %d)", m.name, v, p.Trees, p.Window)
			}
		}
		for _, tick := range []string{"10", "50", "100", "200"} {
			if counts[tick] == 0 {
				t.Errorf("%s: tree count %s not on an axis", m.name, tick)
			}
		}
		// A colour bar names the figure (its title drawn rotated).
		figs, err := Figures(run, ScreenStyle())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range figs {
			if f.Name != m.name {
				continue
			}
			svg, err := RenderSVG(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(svg, []byte(">Mean per-user AUC<")) && !bytes.Contains(svg, []byte(">Mean per-user EER<")) {
				t.Errorf("%s: no colour bar title", m.name)
			}
		}
	}
}

// TestOddRunsDraw feeds runs a hand-edited or partial run.json may hold:
// none may panic, and every figure must render.
func TestOddRunsDraw(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "draws every figure of seven runs, about 15 s")
	nan := math.NaN()
	one := reportstest.Run().Results[0]
	tests := map[string]*evaluate.Run{
		"summary without users": {Results: []evaluate.Result{{Classifier: "rf", Summary: []evaluate.WindowSummary{
			{Window: 3, MeanAUC: 0.9, MeanROC: evaluate.MeanROC([]evaluate.ROCCurve{curve(0.2, 10)})}}}}},
		"users without summary": {Results: []evaluate.Result{{Classifier: "rf", Users: one.Users}}},
		"empty and NaN curves": {Results: []evaluate.Result{{Classifier: "rf", Windows: []int{1},
			Users: []evaluate.UserResult{{User: "a", Window: 1, AUC: nan}, {User: "b", Window: 1, AUC: 0.5,
				ROC: evaluate.ROCCurve{FPR: []float64{0, nan, 1}, TPR: []float64{0, 0.5, nan}}}},
			Summary: []evaluate.WindowSummary{{Window: 1, MeanAUC: nan, SDAUC: nan, MeanEER: nan}}}}},
		"perfect users": {Results: []evaluate.Result{{Classifier: "rf", Windows: []int{1},
			Users:   []evaluate.UserResult{{User: "a", Window: 1, AUC: 1, ROC: evaluate.ROCCurve{FPR: []float64{0, 0, 1}, TPR: []float64{0, 1, 1}}}},
			Summary: []evaluate.WindowSummary{{Window: 1, MeanAUC: 1}}}}},
		"one tree count, many windows": {Sweeps: []evaluate.SweepPoint{{Param: "window", Value: 1, Trees: 100, Window: 1, MeanAUC: 0.8},
			{Param: "window", Value: 5, Trees: 100, Window: 5, MeanAUC: 0.9, Seconds: 2}}},
		"sparse grid": {Sweeps: []evaluate.SweepPoint{{Param: "trees", Value: 10, Trees: 10, Window: 1, MeanAUC: 0.8},
			{Param: "trees", Value: 20, Trees: 20, Window: 5, MeanAUC: nan}, {Param: "trees", Value: 20, Trees: 20, Window: 1, MeanAUC: 0.8}}},
		"thresholds without window": {Thresholds: []evaluate.ThresholdPoint{{Threshold: 0.5, FMR: nan}}},
	}
	for name, run := range tests {
		t.Run(name, func(t *testing.T) {
			figs, err := Figures(run, ScreenStyle())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range figs {
				if _, err := RenderSVG(f); err != nil {
					t.Errorf("%s: %v", f.Name, err)
				}
				if _, err := RenderPNG(f); err != nil {
					t.Errorf("%s: %v", f.Name, err)
				}
			}
			renderPage(t, run)
		})
	}
}

// TestPDFText: every text a figure draws is in the PDF fonts' encoding
// (Windows-1252): a character outside it prints as mojibake.
func TestPDFText(t *testing.T) {
	t.Parallel()
	figs, err := Figures(reportstest.Run(), PaperStyle())
	if err != nil {
		t.Fatal(err)
	}
	cp1252 := "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
	for _, f := range figs {
		svg, err := RenderSVG(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range svgTexts(t, svg) {
			for _, r := range x.text {
				if r > 0xff && !strings.ContainsRune(cp1252, r) {
					t.Errorf("%s: %q holds %q, which the PDF cannot print", f.Name, x.text, r)
				}
			}
		}
	}
}

// TestNamesSayPresets: results that differ in classifier and preset (a
// compare of the presets with their own classifiers) name both.
func TestNamesSayPresets(t *testing.T) {
	t.Parallel()
	a := presetResult("published", "mean", false)
	b := presetResult("improved", "logodds", true)
	b.Classifier = "gbdt"
	if n := nameResults([]evaluate.Result{a, b}); strings.Join(n.Short, " | ") != "rf, preset=published | gbdt, preset=improved" {
		t.Errorf("names %q", n.Short)
	}
}
