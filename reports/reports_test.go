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
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/table"
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
		full.files, full.err = Write(context.Background(), full.dir, reportstest.Run(), Options{Progress: func(done, total int) {
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
	// comparison) + 3 sweep plots (heat maps of AUC and EER over trees ×
	// window, time vs trees: time does not vary with the window) + 2
	// threshold plots = 17 figures; 8 tables (summary, users and skipped per
	// result, sweeps, thresholds, inputs); 1 page.
	const figures, tables = 17, 8
	if want := 2*figures + 3*tables + 1; len(files) != want {
		t.Fatalf("wrote %d files, want %d: %v", len(files), want, files)
	}
	if last := files[len(files)-1]; last != filepath.Join(dir, ReportHTML) {
		t.Errorf("last file %s, want report.html", last)
	}
	total := figures + tables + 1
	if len(steps) != 2*total || steps[len(steps)-2] != total || steps[len(steps)-1] != total {
		t.Errorf("progress calls %v, want %d steps ending at %d/%d", steps, total, total, total)
	}
	for _, want := range []string{
		"plots/roc_users_rf-reference_w1.png", "plots/roc_users_logreg-reference_w10.svg",
		"plots/roc_mean_rf-reference.png", "plots/roc_compare_w10.svg", "plots/det_compare_w10.svg", "plots/det_logreg-reference.png",
		"plots/sweep_grid_auc.png", "plots/sweep_grid_eer.svg", "plots/sweep_trees_seconds.svg",
		"tables/skipped_logreg-reference.md",
		"plots/threshold_rates.png", "plots/threshold_delay.svg",
		"tables/summary.md", "tables/summary.csv", "tables/summary.json",
		"tables/users_rf-reference.csv", "tables/sweeps.json", "tables/thresholds.md", "tables/inputs.csv",
	} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("missing %s: %v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "plots/sweep_window_seconds.png")); err == nil {
		t.Error("wrote a time-vs-window plot although time does not vary with the window")
	}
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
			if b.Dx() != int(FigureWidth.Points()*PNGDPI/72) || b.Dy() != int(FigureHeight.Points()*PNGDPI/72) {
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

	// The CSV keeps full precision and one row per user and window.
	recs := readCSV(t, filepath.Join(dir, "tables/users_rf-reference.csv"))
	if len(recs) != 1+len(reportstest.Users)*len(reportstest.Windows) {
		t.Fatalf("users csv has %d records", len(recs))
	}
	if got, want := recs[1][2], jsonFloat(run.Results[0].Users[0].AUC); got != want {
		t.Errorf("first auc %s, want %s", got, want)
	}

	// Same run, same bytes (a second write, into a folder of this test's).
	dir2 := t.TempDir()
	files2, err := Write(context.Background(), dir2, reportstest.Run(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		a, _ := os.ReadFile(f)
		b, _ := os.ReadFile(files2[i])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two writes of the same run", filepath.Base(f))
		}
	}
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
	if got, want := strings.Join(names, ","), "summary,users_rf-reference,skipped_rf-reference,users_logreg-reference,skipped_logreg-reference,sweeps,thresholds,inputs"; got != want {
		t.Fatalf("tables %s, want %s", got, want)
	}
	sum := SummaryTable(run.Results)
	if len(sum.Rows) != 4 {
		t.Fatalf("summary rows %d, want 4", len(sum.Rows))
	}
	s0 := run.Results[0].Summary[0]
	if sum.Rows[0][2] != "mean" || sum.Rows[0][4] != s0.Window || sum.Rows[0][5] != s0.Users || sum.Rows[0][6] != s0.MeanAUC || sum.Rows[0][7] != s0.SDAUC {
		t.Errorf("summary row %v does not match %+v", sum.Rows[0], s0)
	}
	if sum.Rows[0][3] != "depth=0 trees=100" {
		t.Errorf("params cell %q", sum.Rows[0][3])
	}
	// Without WindowSummary.Users, users counts the per-user results.
	r := run.Results[0]
	r.Summary = []evaluate.WindowSummary{{Window: 10}}
	if got := SummaryTable([]evaluate.Result{r}).Rows[0][5]; got != len(reportstest.Users) {
		t.Errorf("users fallback %v, want %d", got, len(reportstest.Users))
	}
	// Thresholds come out ascending whatever the order in the run.
	rev := append([]evaluate.ThresholdPoint(nil), run.Thresholds...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	th := ThresholdTable(rev)
	for i := 1; i < len(th.Rows); i++ {
		w0, w1 := th.Rows[i-1][0].(int), th.Rows[i][0].(int)
		if w1 < w0 || w1 == w0 && th.Rows[i][1].(float64) < th.Rows[i-1][1].(float64) {
			t.Fatalf("thresholds not by window then ascending p at row %d: %v", i, th.Rows[i])
		}
	}
	sw := SweepTable(run.Sweeps)
	if len(sw.Rows) != len(run.Sweeps) || sw.Rows[0][2] != 10 || sw.Rows[0][3] != 1 || sw.Rows[1][3] != 10 {
		t.Errorf("sweep rows %v", sw.Rows[:2])
	}
	legacy := SweepTable([]evaluate.SweepPoint{{Param: "window", Value: 5}})
	if legacy.Rows[0][2] != nil || legacy.Rows[0][3] != nil {
		t.Errorf("unrecorded trees/window should be empty, got %v", legacy.Rows[0])
	}
}

func TestDisplay(t *testing.T) {
	t.Parallel()
	in := &table.Table{Columns: []string{"param", "value", "mean_auc", "sd_auc", "mean_eer", "seconds"}}
	in.Add("trees", 100.0, 0.91234, 0.0321, 0.1, 2.5)
	in.Add("trees", 200.0, 0.5, 0.0, 0.2, 3.0)
	got := Display(in)
	if want := []string{"param", "value", "auc (mean ± sd)", "mean_eer", "seconds"}; strings.Join(got.Columns, "|") != strings.Join(want, "|") {
		t.Fatalf("columns %q, want %q", got.Columns, want)
	}
	if got.Rows[0][1] != int64(100) {
		t.Errorf("whole-number column cell %#v, want int64(100)", got.Rows[0][1])
	}
	if got.Rows[0][2] != "0.9123 ± 0.0321" {
		t.Errorf("mean ± sd cell %q", got.Rows[0][2])
	}
	if _, ok := got.Rows[0][4].(float64); !ok {
		t.Errorf("seconds (2.5, 3) must stay float, got %#v", got.Rows[0][4])
	}
	var md bytes.Buffer
	if err := got.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| trees | 100 | 0.9123 ± 0.0321 | 0.1000 | 2.5000 |") {
		t.Errorf("markdown:\n%s", md.String())
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
			wantErr: []string{RunFile, `results[1].users[2].roc (user "user12", window 1)`, "21 fpr values but 3 tpr values"}},
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
	if !run.Manifest.Started.Equal(reportstest.Run().Manifest.Started) {
		t.Errorf("round trip: started %v", run.Manifest.Started)
	}
}

var attrURL = regexp.MustCompile(`(?i)\b(src|href|action|poster|data)\s*=\s*"([^"]*)"`)

func renderAll(t *testing.T, run *evaluate.Run) []Rendered {
	t.Helper()
	figs, err := Figures(run)
	if err != nil {
		t.Fatal(err)
	}
	var rendered []Rendered
	for _, f := range figs {
		svg, err := RenderSVG(f.Plot)
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
	figs, err := Figures(run)
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
	if !strings.Contains(page, `viewBox="0 0 432 288"`) || strings.Contains(page, `width="432pt"`) {
		t.Error("inline SVG should keep its viewBox and lose its fixed size")
	}
	for _, m := range attrURL.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[2], "#") {
			t.Errorf("%s=%q points outside the page", m[1], m[2])
		}
	}
	for _, bad := range []string{"<script", "<link", "@import", "url(", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="` + html.EscapeString(ContentSecurityPolicy) + `">`,
		// The manifest, escaped: the command line holds "<b>&'quoted'".
		"mouseauth evaluate --data features.csv --seed 42 --note &#39;&lt;b&gt;&amp;&#39;\\&#39;&#39;quoted&#39;\\&#39;&#39;&#39;",
		"v0.1.0-test", "go1.26.8", "2026-11-22T15:00:00Z",
		run.Manifest.Inputs[0].SHA256, "123456",
		`id="summary"`, "AUC ± sd", "0.796 ± 0.014",
		`id="result-rf-reference"`, `id="result-logreg-reference"`, "Window of 10 actions: 3 users", "user12",
		`id="compare"`, `id="sweeps"`, `id="thresholds"`, "impostor actions to alarm",
		// Settings shared by both results are said once, rounded.
		"Settings common to all results: protocol reference · aggregate mean · depth 0 · trees 100 · seed 42",
		"Users left out", "fewer than 10 genuine test actions",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>&") {
		t.Error("command line not escaped")
	}
	if n := strings.Count(page, "<table>"); n != 1+1+2*(1+2)+1+1 { // inputs, summary, per result skipped + users per window, sweeps, thresholds
		t.Errorf("%d tables", n)
	}
	if n := strings.Count(page, "depth 0"); n != 1 {
		t.Errorf("the shared parameters appear %d times, want once", n)
	}
	// Summary first, then the comparison, then results with their users
	// collapsed, the manifest last.
	order := []string{`id="summary"`, `id="compare"`, `id="result-rf-reference"`, "<details>", `id="sweeps"`, `id="thresholds"`, `id="manifest"`}
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
	for _, want := range []string{`<tr class="published">`, "0.850 ± 0.169", "0.916 ± 0.221", "Antal &amp; Dénes-Fazakas 2019"} {
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

func TestSummaryPivotManyWindows(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	r := &run.Results[0]
	base := r.Summary[0]
	r.Summary = nil
	for w := 1; w <= 20; w++ {
		s := base
		s.Window = w
		r.Summary = append(r.Summary, s)
	}
	run.Results = run.Results[:1]
	names := nameResults(run.Results)
	tbl := summaryPivot(run.Results, names, resultSlugs(run.Results), nil, false)
	if len(tbl.Rows) != 20 || len(tbl.Columns) != 3 {
		t.Errorf("20 windows: %d rows × %d columns, want one row per window and 3 columns", len(tbl.Rows), len(tbl.Columns))
	}
}

func TestFiguresSkipNonFinite(t *testing.T) {
	t.Parallel()
	run := &evaluate.Run{Thresholds: []evaluate.ThresholdPoint{
		{Threshold: 0.2, FalseAlarmRate: 0.1, MissRate: 0.5, ImpostorActionsToAlarm: 3, GenuineActionsToFalseAlarm: math.Inf(1)},
		{Threshold: 0.4, FalseAlarmRate: 0.2, MissRate: 0.3, ImpostorActionsToAlarm: 5, GenuineActionsToFalseAlarm: 40},
	}}
	figs, err := Figures(run)
	if err != nil {
		t.Fatalf("non-finite value should be skipped, got %v", err)
	}
	if len(figs) != 2 {
		t.Fatalf("%d figures", len(figs))
	}
	if _, err := RenderPNG(figs[1].Plot); err != nil {
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
			want: "trees: window 1 (4), window 10 (4); window: 10 trees (2), 50 trees (2), 100 trees (2), 200 trees (2)"},
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

// TestResultSlugsTellPresetsApart: compare --presets reference,improved with
// one classifier gave the files of both results the same name but "-2".
func TestResultSlugsTellPresetsApart(t *testing.T) {
	t.Parallel()
	rs := []evaluate.Result{
		{Classifier: "rf", Protocol: "reference", Params: map[string]any{"preset": "reference"}},
		{Classifier: "rf", Protocol: "reference", Params: map[string]any{"preset": "improved"}},
		{Classifier: "logreg", Protocol: "reference", Params: map[string]any{"preset": "reference"}},
		{Classifier: "rf", Protocol: "strict"},
		{Classifier: "rf", Protocol: "strict"},
	}
	got := strings.Join(resultSlugs(rs), ",")
	want := "rf-reference-preset-reference,rf-reference-preset-improved,logreg-reference,rf-strict,rf-strict-2"
	if got != want {
		t.Errorf("slugs %s, want %s", got, want)
	}
}
