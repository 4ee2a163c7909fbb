package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/table"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/reports/reportstest"
)

func writeRunJSON(t *testing.T, dir string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, RunFile)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// full is the report of reportstest.Run(), written once, into a folder of
// its own, for the tests that read it (TestWrite checks it,
// TestReportInBrowser loads it): rendering its 17 figures is the costliest
// step of these tests. TestMain removes the folder.
var full struct {
	once  sync.Once
	dir   string
	files []string
	steps []int // the progress calls: done, total, ...
	err   error
}

func fullReport(t *testing.T) (dir string, files []string, steps []int) {
	t.Helper()
	full.once.Do(func() {
		if full.dir, full.err = os.MkdirTemp("", "mouseauth-reports-test-"); full.err != nil {
			return
		}
		var mu sync.Mutex
		full.files, full.err = Write(context.Background(), full.dir, reportstest.Run(), Options{Style: svgOnly(), Progress: func(done, total int) {
			mu.Lock()
			full.steps = append(full.steps, done, total)
			mu.Unlock()
		}})
	})
	if full.err != nil {
		t.Fatal(full.err)
	}
	return full.dir, full.files, full.steps
}

func TestMain(m *testing.M) {
	code := m.Run()
	if full.dir != "" {
		os.RemoveAll(full.dir)
	}
	os.Exit(code)
}

func TestWrite(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	dir, files, steps := fullReport(t)
	// 2 results × (mean ROC + DET + 2 per-user ROC) + 2 windows × (ROC + DET
	// comparison) + 2 sweep heat maps (AUC and EER over trees × window; the
	// time does not vary) + 2 threshold plots = 16 figures; 8 tables
	// (summary, per_seed, differences, rankings, users, sweeps, thresholds,
	// inputs); 1 page.
	const figures, tables = 16, 8
	if want := figures + 3*tables + 1; len(files) != want {
		t.Fatalf("wrote %d files, want %d: %v", len(files), want, files)
	}
	if last := files[len(files)-1]; last != filepath.Join(dir, ReportHTML) {
		t.Errorf("last file %s, want report.html", last)
	}
	total := figures + tables + 1
	if len(steps) != 2*total || steps[len(steps)-2] != total || steps[len(steps)-1] != total {
		t.Errorf("progress calls %v, want %d steps ending at %d/%d", steps, total, total, total)
	}
	slug := "centroid_preset-published_protocol-reference"
	for _, want := range []string{
		"plots/roc_users_" + slug + "_w1.svg", "plots/roc_users_axis_preset-published_protocol-reference_w10.svg",
		"plots/roc_mean_" + slug + ".svg", "plots/roc_compare_w10.svg", "plots/det_compare_w10.svg", "plots/det_" + slug + ".svg",
		"plots/sweep_grid_auc.svg", "plots/sweep_grid_eer.svg",
		"plots/threshold_rates.svg", "plots/threshold_delay.svg",
		"tables/summary.md", "tables/summary.csv", "tables/summary.json", "tables/differences.csv", "tables/rankings.csv",
		"tables/users.csv", "tables/sweeps.json", "tables/thresholds.md", "tables/inputs.csv",
	} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("missing %s: %v", want, err)
		}
	}
	st := ScreenStyle()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".png":
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			b := img.Bounds()
			if b.Dx() != int(st.Width.Points()*float64(st.DPI)/72) || b.Dy() != int(st.Height.Points()*float64(st.DPI)/72) {
				t.Errorf("%s is %v", f, b)
			}
		case ".svg":
			s := parseSVG(t, data)
			if s.Elements["path"] < 5 || len(s.Texts) < 4 {
				t.Errorf("%s looks empty: %s", f, s)
			}
		case ".json":
			var rows []map[string]any
			if err := json.Unmarshal(data, &rows); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}

	// The CSV keeps full precision and one row per result, user and window,
	// each naming its result.
	recs := readCSV(t, filepath.Join(dir, "tables/users.csv"))
	if len(recs) != 1+2*len(reportstest.Users)*len(reportstest.Windows) {
		t.Fatalf("users csv has %d records", len(recs))
	}
	if got := strings.Join(recs[0][:6], ","); got != "classifier,preset,protocol,seed,window,user" {
		t.Errorf("users csv columns %s", got)
	}
	u0 := run.Results[0].Users[0]
	if recs[1][0] != "centroid" || recs[1][1] != "published" || recs[1][6] != jsonFloat(u0.AUC) {
		t.Errorf("first row %v, want centroid, published, AUC %v", recs[1], u0.AUC)
	}

	// Same run, same bytes (a second write, into a folder of this test's).
	dir2 := t.TempDir()
	if _, err := Write(context.Background(), dir2, reportstest.Run(), Options{Style: svgOnly()}); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		b, err := os.ReadFile(filepath.Join(dir2, rel))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(f)
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two writes of the same run", rel)
		}
		compared++
	}
	if compared != figures+3*tables+1 {
		t.Errorf("compared %d files", compared)
	}
}

// TestWritePNG: the screen style writes PNG and SVG of each figure, the
// PNG at 6 × 4 in and 144 dpi.
func TestWritePNG(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "renders PNG figures")
	dir := t.TempDir()
	run := reportstest.Run()
	run.Sweeps, run.Thresholds, run.Results = nil, nil, run.Results[:1] // four figures: PNGs take time
	files, err := Write(context.Background(), dir, run, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, pngs := ScreenStyle(), 0
	for _, f := range files {
		if filepath.Ext(f) != ".png" {
			continue
		}
		pngs++
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if b := img.Bounds(); b.Dx() != int(st.Width.Points()*float64(st.DPI)/72) || b.Dy() != int(st.Height.Points()*float64(st.DPI)/72) {
			t.Errorf("%s is %v", f, b)
		}
		if _, err := os.Stat(strings.TrimSuffix(f, ".png") + ".svg"); err != nil {
			t.Error(err)
		}
	}
	if pngs != 4 {
		t.Errorf("%d PNGs, want 4", pngs)
	}
}

// TestWritePaperFormats: --style paper writes PDF, SVG and PNG of each
// figure at 3.5 × 2.8 in.
func TestWritePaperFormats(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "renders 300 dpi PNG and PDF figures")
	dir := t.TempDir()
	st := PaperStyle()
	run := reportstest.Run()
	// Four figures: 300 dpi PNGs take time.
	run.Sweeps, run.Thresholds, run.Results = nil, nil, run.Results[:1]
	if _, err := Write(context.Background(), dir, run, Options{Style: st}); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, PlotsDir, "det_centroid_preset-published_protocol-reference")
	pdf, err := os.ReadFile(name + ".pdf")
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("/MediaBox [0 0 252.00 201.60]")) {
		t.Errorf("pdf: %v %.80q", err, pdf)
	}
	data, err := os.ReadFile(name + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1050 || b.Dy() != 840 {
		t.Errorf("png %v, want 1050 × 840 (3.5 × 2.8 in at 300 dpi)", b)
	}
	bad := st
	bad.FontSize = 3
	if _, err := Write(context.Background(), t.TempDir(), run, Options{Style: bad}); err == nil || !strings.Contains(err.Error(), "font size") {
		t.Errorf("3 pt text: %v", err)
	}
}

// svgOnly is the screen style writing SVG alone: the page needs nothing
// else, and PNGs (a pure-Go rasteriser) are the slow part of a report,
// ten times slower under -race.
func svgOnly() Style {
	st := ScreenStyle()
	st.Formats = []string{"svg"}
	return st
}

func jsonFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

func TestWriteCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Write(ctx, t.TempDir(), reportstest.Run(), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestWriteEmptyRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files, err := Write(context.Background(), dir, &evaluate.Run{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// inputs table (3 formats) and the page.
	if len(files) != 4 {
		t.Fatalf("files %v", files)
	}
	page, _ := os.ReadFile(filepath.Join(dir, ReportHTML))
	if !bytes.Contains(page, []byte(`id="empty"`)) || bytes.Contains(page, []byte("<img")) {
		t.Errorf("empty run page should say so and have no images:\n%s", page)
	}
}

func TestTables(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	tabs := Tables(run)
	var names []string
	for _, nt := range tabs {
		names = append(names, nt.Name)
	}
	if got, want := strings.Join(names, ","), "summary,per_seed,differences,rankings,users,sweeps,thresholds,inputs"; got != want {
		t.Fatalf("tables %s, want %s", got, want)
	}
	sum := SummaryTable(run.Results)
	if len(sum.Rows) != 4 || !slices.Equal(sum.Columns, SummaryColumns) {
		t.Fatalf("summary rows %d, columns %v", len(sum.Rows), sum.Columns)
	}
	col := func(row []any, name string) any { return row[slices.Index(sum.Columns, name)] }
	s0 := run.Results[0].Summary[0]
	st := s0.Stats
	for name, want := range map[string]any{"classifier": "centroid", "preset": "published", "protocol": "reference", "aggregate": "mean",
		"window": 1, "users": 6, "seeds": 1, "mean_auc": st.MeanAUC.Value, "mean_auc_lo": *st.MeanAUC.Lo, "mean_auc_hi": *st.MeanAUC.Hi,
		"sd_auc_seeds": nil, "pooled_eer": st.Pooled.EER.Value, "fnmr_at_fmr_1pct": st.Pooled.FNMRAtFMR1.Value, "zero_fmr": st.Pooled.ZeroFMR.Value,
		"hter": st.Pooled.HTER.HTER.Value, "ania": nil, "anga": nil} {
		if got := col(sum.Rows[0], name); got != want {
			t.Errorf("summary %s = %v, want %v", name, got, want)
		}
	}
	if p := col(sum.Rows[0], "params"); strings.Contains(p.(string), "preset") {
		t.Errorf("params cell %q repeats the preset column", p)
	}
	// The same columns with several seeds (and sd_auc_seeds filled).
	seeded := SummaryTable(reportstest.SeedsRun().Results)
	if !slices.Equal(seeded.Columns, sum.Columns) || seeded.Rows[0][slices.Index(sum.Columns, "sd_auc_seeds")] == nil ||
		seeded.Rows[0][slices.Index(sum.Columns, "seeds")] != len(reportstest.Seeds) {
		t.Errorf("multi-seed summary columns %v row %v", seeded.Columns, seeded.Rows[0])
	}
	// A run written before statistics: the same columns, intervals empty.
	old := run.Results[0]
	old.Summary = []evaluate.WindowSummary{{Window: 10, MeanAUC: 0.9}}
	row := SummaryTable([]evaluate.Result{old}).Rows[0]
	if col(row, "mean_auc") != 0.9 || col(row, "mean_auc_lo") != nil || col(row, "users") != len(reportstest.Users) {
		t.Errorf("old summary row %v", row)
	}
	// No total among rows: every row names a result and a window.
	for _, nt := range tabs {
		for _, r := range nt.Table.Rows {
			for _, c := range r {
				if s, ok := c.(string); ok && strings.EqualFold(s, "total") {
					t.Errorf("%s holds a total row: %v", nt.Name, r)
				}
			}
		}
	}
	// Thresholds come out by window, then ascending threshold, whatever the
	// order in the run.
	slices.Reverse(run.Thresholds)
	th := ThresholdTable(run)
	wi, ti := slices.Index(th.Columns, "window"), slices.Index(th.Columns, "threshold")
	for i := 1; i < len(th.Rows); i++ {
		w0, w1 := th.Rows[i-1][wi].(int), th.Rows[i][wi].(int)
		if w1 < w0 || w1 == w0 && th.Rows[i][ti].(float64) < th.Rows[i-1][ti].(float64) {
			t.Fatalf("thresholds not by window then ascending threshold at row %d: %v", i, th.Rows[i])
		}
	}
	sw := SweepTable(run)
	if len(sw.Rows) != len(run.Sweeps) || sw.Rows[0][3] != 10 || sw.Rows[0][4] != 1 || sw.Rows[1][4] != 5 {
		t.Errorf("sweep rows %v", sw.Rows[:2])
	}
	best := 0
	for _, r := range sw.Rows {
		if r[slices.Index(sw.Columns, "best")] == true {
			best++
		}
	}
	if best != 1 {
		t.Errorf("%d best sweep points", best)
	}
	legacy := SweepTable(&evaluate.Run{Sweeps: []evaluate.SweepPoint{{Param: "window", Value: 5}}})
	if legacy.Rows[0][3] != nil || legacy.Rows[0][4] != 5.0 {
		t.Errorf("a point without trees: %v", legacy.Rows[0])
	}
}

func TestReadRun(t *testing.T) {
	t.Parallel()
	good, err := json.Marshal(reportstest.Run())
	if err != nil {
		t.Fatal(err)
	}
	badROC := reportstest.Run()
	badROC.Results[1].Users[2].ROC.TPR = badROC.Results[1].Users[2].ROC.TPR[:3]
	badROCJSON, _ := json.Marshal(badROC)
	tests := []struct {
		name    string
		data    []byte // nil: no file
		wantErr []string
		is      error
	}{
		{name: "ok", data: good},
		{name: "newer fields are ignored", data: []byte(`{"results":[{"classifier":"rf","new_field":1,"users":[]}],"extra":true}`)},
		{name: "missing", is: fs.ErrNotExist, wantErr: []string{RunFile}},
		{name: "empty", data: []byte(" \n"), is: ErrEmptyRun, wantErr: []string{RunFile}},
		{name: "syntax", data: []byte("{\n  \"manifest\": {\n    \"seed\": 4,,\n  }\n}"),
			wantErr: []string{RunFile, "line 3, column 15", "invalid JSON"}},
		{name: "truncated", data: good[:len(good)/2], wantErr: []string{RunFile, "invalid JSON"}},
		{name: "wrong type", data: []byte("{\"results\": [\n {\"users\": [{\"auc\": \"high\"}]}]}"),
			wantErr: []string{RunFile, "line 2", `field "results.users.auc"`, "string", "float64"}},
		{name: "not an object", data: []byte(`[1, 2]`), wantErr: []string{"(top level)", "array"}},
		{name: "roc lengths", data: badROCJSON,
			wantErr: []string{RunFile, `results[1].users[2].roc (user "user12", window 1)`, "fpr values but 3 tpr values"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, RunFile)
			if tt.data != nil {
				writeRunJSON(t, dir, tt.data)
			}
			run, err := ReadRun(path)
			if len(tt.wantErr) == 0 && tt.is == nil {
				if err != nil {
					t.Fatal(err)
				}
				if run == nil {
					t.Fatal("nil run")
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	run, err := ReadRun(writeRunJSON(t, t.TempDir(), good))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(run.Results[0].Users), len(reportstest.Users)*len(reportstest.Windows); got != want {
		t.Errorf("round trip: %d users, want %d", got, want)
	}
	if st := run.Results[0].Summary[0].Stats; st == nil || !st.MeanAUC.HasInterval() || run.Settings == nil || len(run.Rankings) == 0 {
		t.Errorf("round trip lost the statistics, settings or rankings: %+v", st)
	}
	if !run.Manifest.Started.Equal(reportstest.Run().Manifest.Started) {
		t.Errorf("round trip: started %v", run.Manifest.Started)
	}
}

var attrURL = regexp.MustCompile(`(?i)\b(src|href|action|poster|data)\s*=\s*"([^"]*)"`)

func renderAll(t *testing.T, run *evaluate.Run) []Rendered {
	t.Helper()
	figs, err := Figures(run, ScreenStyle())
	if err != nil {
		t.Fatal(err)
	}
	var rendered []Rendered
	for _, f := range figs {
		svg, err := RenderSVG(f)
		if err != nil {
			t.Fatal(err)
		}
		rendered = append(rendered, Rendered{Figure: f, SVG: svg})
	}
	return rendered
}

func renderPage(t *testing.T, run *evaluate.Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, run, renderAll(t, run)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteHTML(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	figs, err := Figures(run, ScreenStyle())
	if err != nil {
		t.Fatal(err)
	}
	page := renderPage(t, run)

	if n := strings.Count(page, `<svg class="plot"`); n != len(figs) {
		t.Errorf("%d inline <svg> for %d figures", n, len(figs))
	}
	if strings.Contains(page, "<img") || strings.Contains(page, "<?xml") {
		t.Error("figures should be inline SVG, without images or XML prologs")
	}
	if !strings.Contains(page, `viewBox="0 0 432 288"`) || strings.Contains(page, `width="432pt"`) || !strings.Contains(page, "aspect-ratio: 6 / 4") {
		t.Error("inline SVG should keep its viewBox and aspect ratio and lose its fixed size")
	}
	for _, m := range attrURL.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[2], "#") {
			t.Errorf("%s=%q points outside the page", m[1], m[2])
		}
	}
	for _, bad := range []string{"<script", "<link", "@import", "url(", "http://", "https://", "NaN", "beyond noise", "accuracy"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	slug := "centroid_preset-published_protocol-reference"
	s := run.Results[0].Summary[0].Stats
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="` + html.EscapeString(ContentSecurityPolicy) + `">`,
		// The manifest, escaped: the command line holds "<b>&'quoted'".
		"mouseauth evaluate compare --features features.csv --seed 42 --note &#39;&lt;b&gt;&amp;&#39;\\&#39;&#39;quoted&#39;\\&#39;&#39;&#39;",
		"v0.1.0-test", "go1.26.8", "2026-11-22T15:00:00Z",
		run.Manifest.Inputs[0].SHA256, "123456",
		`id="summary"`, "mean per-user AUC", "pooled EER", "FNMR at FMR 1%", "ZeroFMR", "HTER", "ANIA / ANGA",
		table.Fixed3(s.MeanAUC.Value), "[" + table.Fixed3(*s.MeanAUC.Lo) + ", " + table.Fixed3(*s.MeanAUC.Hi) + "]",
		`id="result-` + slug + `"`, `id="result-axis_preset-published_protocol-reference"`, "Window of 10 actions: 6 users", "user12",
		`id="differences"`, "Wilcoxon", "DeLong", `id="sequential"`,
		`id="compare"`, `id="sweeps"`, `id="thresholds"`, "impostor actions to rejection",
		// Titles beside the figures, never in them.
		"<figcaption><strong>Mean per-user ROC: centroid",
		// Settings shared by both results are said once, rounded.
		"Settings common to all results: preset published · protocol reference · aggregate mean",
		"interval over users",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>&") {
		t.Error("command line not escaped")
	}
	// Summary first, then the differences, the comparison, then results with
	// their users collapsed, the manifest last.
	order := []string{`id="summary"`, `id="differences"`, `id="compare"`, `id="result-` + slug + `"`, "<details>", `id="sweeps"`, `id="thresholds"`, `id="manifest"`}
	last := -1
	for _, o := range order {
		i := strings.Index(page, o)
		if i < 0 || i < last {
			t.Errorf("%s at %d, want after %d (order %v)", o, i, last, order)
		}
		last = i
	}
	if n, want := strings.Count(page, "<details>"), 2*len(reportstest.Windows)+2; n != want {
		t.Errorf("%d collapsed sections, want %d (users per result and window, sweep and threshold tables)", n, want)
	}
}

// TestBoldOnlyWhenDistinct: the best AUC of a window is bold only where its
// ranking says its interval against every other excludes zero.
func TestBoldOnlyWhenDistinct(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	bold := func(run *evaluate.Run) int {
		page := renderPage(t, run)
		summary := page[strings.Index(page, `id="summary"`):strings.Index(page, `id="differences"`)]
		return strings.Count(summary, `<td class="num best">`)
	}
	distinct := 0
	for _, r := range run.Rankings {
		if r.Kind == "compare" && r.Distinct {
			distinct++
		}
	}
	if distinct == 0 {
		t.Fatal("the fixture's compare has no distinct best: the test proves nothing")
	}
	if got := bold(run); got != distinct {
		t.Errorf("%d bold cells, want %d (one per window with a distinct best)", got, distinct)
	}
	for i := range run.Rankings {
		run.Rankings[i].Distinct, run.Rankings[i].Ties = false, []string{"axis preset=published"}
	}
	if got := bold(run); got != 0 {
		t.Errorf("%d bold cells where no best can be told from the runner-up", got)
	}
	if page := renderPage(t, run); !strings.Contains(page, "cannot be told from axis preset=published") {
		t.Error("the page does not say the best cannot be told from the runner-up")
	}
}

// TestManyDifferences: with more differences than a table shows, the page
// lists those whose interval excludes 0 and counts the rest, in the words
// of intervals (never "beyond the seed noise").
func TestManyDifferences(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	run.Differences = nil
	lo, hi := 0.01, 0.03
	for w := range 15 {
		d := evaluate.Difference{Kind: "compare", A: "a", B: "b", Window: w + 1, Metric: "mean_auc", Users: 5, Seeds: 1,
			Diff: evaluate.Estimate{Value: 0.02, Lo: &lo, Hi: &hi}, IntervalExcludesZero: w < 4}
		run.Differences = append(run.Differences, d)
	}
	page := renderPage(t, run)
	if !strings.Contains(page, "Differences whose 95% interval excludes 0 (4 of 15)") || strings.Contains(page, "seed noise") {
		t.Errorf("the differences section: %s", page[strings.Index(page, `id="differences"`):][:600])
	}
	for i := range run.Differences {
		run.Differences[i].IntervalExcludesZero = false
	}
	if page := renderPage(t, run); !strings.Contains(page, "None of the 15 differences has a 95% interval that excludes 0.") {
		t.Error("no sentence for no difference whose interval excludes 0")
	}
}

func TestWriteHTMLEscapesRunText(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	evil := `<script>alert(1)</script>`
	for i := range run.Results[0].Users {
		if run.Results[0].Users[i].User == "user12" {
			run.Results[0].Users[i].User = evil
		}
	}
	run.Results[0].Classifier = `rf"><img src=x onerror=alert(2)>`
	page := renderPage(t, run)
	for _, bad := range []string{"<script>", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q from the run unescaped", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile user name is not shown escaped")
	}
}

func TestSummaryPublished(t *testing.T) {
	t.Parallel()
	dfl := PublishedFigures[0]
	run := reportstest.Run()
	run.Manifest.Inputs = []evaluate.Input{{Path: "/data/features/" + dfl.File, SHA256: dfl.SHA256, Bytes: 1}}
	run.Results[0].Windows = []int{1, 10}
	page := renderPage(t, run)
	for _, want := range []string{`<tr class="published">`, "0.850<span class=\"ci\">sd over users 0.169</span>", "0.916<span class=\"ci\">sd over users 0.221</span>", "Antal &amp; Dénes-Fazakas 2019", "the interval is ours shifted"} {
		if !strings.Contains(page, want) {
			t.Errorf("summary lacks the published %q", want)
		}
	}
	if strings.Contains(page, "other file content") {
		t.Error("same file flagged as different")
	}
	run.Manifest.Inputs[0].SHA256 = strings.Repeat("0", 64)
	if page := renderPage(t, run); !strings.Contains(page, "other file content") || !strings.Contains(page, "SHA-256 differs") {
		t.Error("a file of the published name with other content is not flagged")
	}
	run.Manifest.Inputs[0].Path = "features.csv"
	if page := renderPage(t, run); strings.Contains(page, `class="published"`) {
		t.Error("published figures shown for an unknown input")
	}
}

func TestFiguresSkipNonFinite(t *testing.T) {
	t.Parallel()
	run := &evaluate.Run{Thresholds: []evaluate.ThresholdPoint{
		{Threshold: 0.2, FNMR: 0.1, FMR: 0.5, ImpostorActionsToRejection: 3, GenuineActionsToRejection: math.Inf(1)},
		{Threshold: 0.4, FNMR: 0.2, FMR: 0.3, ImpostorActionsToRejection: 5, GenuineActionsToRejection: 40},
	}}
	figs, err := Figures(run, ScreenStyle())
	if err != nil {
		t.Fatalf("non-finite value should be skipped, got %v", err)
	}
	if len(figs) != 2 {
		t.Fatalf("%d figures", len(figs))
	}
	if _, err := RenderPNG(figs[1]); err != nil {
		t.Fatal(err)
	}
}

func TestSweepAxes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sw   []evaluate.SweepPoint
		want string // axis: series labels (x count)
	}{
		{name: "grid", sw: reportstest.Run().Sweeps,
			want: "trees: window 1 (4), window 5 (4), window 10 (4), window 20 (4); window: 10 trees (4), 50 trees (4), 100 trees (4), 200 trees (4)"},
		{name: "param and value only", sw: []evaluate.SweepPoint{
			{Param: "window", Value: 20}, {Param: "window", Value: 1}, {Param: "window", Value: 5}},
			want: "window:  (3)"},
		{name: "single point", sw: []evaluate.SweepPoint{{Param: "trees", Value: 10, Trees: 10, Window: 5}}, want: ""},
		{name: "other param", sw: []evaluate.SweepPoint{{Param: "depth", Value: 2}, {Param: "depth", Value: 4}},
			want: "depth:  (2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var parts []string
			for _, ax := range sweepAxes(tt.sw) {
				var ss []string
				for _, s := range ax.series {
					if !sort.Float64sAreSorted(s.xs) {
						t.Errorf("%s series %q not sorted: %v", ax.name, s.label, s.xs)
					}
					ss = append(ss, fmt.Sprintf("%s (%d)", s.label, len(s.xs)))
				}
				parts = append(parts, ax.name+": "+strings.Join(ss, ", "))
			}
			if got := strings.Join(parts, "; "); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// BenchmarkWrite measures a whole report of the synthetic run (13 figures as
// PNG and SVG, 8 tables in three formats, the page).
func BenchmarkWrite(b *testing.B) {
	run := reportstest.Run()
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Write(context.Background(), dir, run, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestResultSlugsTellPresetsApart: file names say preset and protocol,
// and tell apart results that share both.
func TestResultSlugsTellPresetsApart(t *testing.T) {
	t.Parallel()
	rs := []evaluate.Result{
		{Classifier: "rf", Protocol: "reference", Params: map[string]any{"preset": "published"}},
		{Classifier: "rf", Protocol: "reference", Params: map[string]any{"preset": "improved"}},
		{Classifier: "logreg", Protocol: "reference", Params: map[string]any{"preset": "published"}},
		{Classifier: "rf", Protocol: "strict", Params: map[string]any{"preset": "improved", "trees": 50}},
		{Classifier: "rf", Protocol: "strict", Params: map[string]any{"preset": "improved", "trees": 100}},
		{Classifier: "rf", Protocol: "strict"},
		{Classifier: "rf", Protocol: "strict"},
	}
	got := strings.Join(resultSlugs(rs), ",")
	want := "rf_preset-published_protocol-reference,rf_preset-improved_protocol-reference,logreg_preset-published_protocol-reference," +
		"rf_preset-improved_protocol-strict_trees-50,rf_preset-improved_protocol-strict_trees-100,rf_protocol-strict,rf_protocol-strict-2"
	if got != want {
		t.Errorf("slugs %s, want %s", got, want)
	}
}

// TestSweepPageNamesItsSettings: a sweep's page says the classifier, the
// preset and the protocol it swept.
func TestSweepPageNamesItsSettings(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	run.Results = nil
	run.Settings = &evaluate.RunSettings{Mode: evaluate.ModeSweep, Preset: "improved", Classifier: "gbdt", Protocol: "reference", Seeds: []int64{0}}
	page := renderPage(t, run)
	sweeps := page[strings.Index(page, `id="sweeps"`):]
	for _, want := range []string{"preset improved", "classifier gbdt", "protocol reference", "Highest mean per-user AUC"} {
		if !strings.Contains(sweeps, want) {
			t.Errorf("the sweep section lacks %q", want)
		}
	}
}
