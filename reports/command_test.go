package reports

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/reports/reportstest"
)

// TestCommandOutput checks what `mouseauth evaluate` prints: summaries in
// sections of their own, never among the per-user rows, the same columns
// as the report's tables, and every figure from the run.
func TestCommandOutput(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	nu, nw := len(reportstest.Users), len(reportstest.Windows)
	one := &evaluate.Run{Results: run.Results[:1]}

	out := CommandOutput(evaluate.ModeRun, one)
	if got := sectionNames(out); !slices.Equal(got, []string{"summary", "users", "per_seed", "per_seed_users"}) {
		t.Fatalf("run sections %v", got)
	}
	sum := out.Find("summary").Table
	if !slices.Equal(sum.Columns, SummaryColumns) || len(sum.Rows) != nw || out.Primary() != sum {
		t.Fatalf("run summary: columns %v, %d rows; CSV is the summary: %v", sum.Columns, len(sum.Rows), out.Primary() == sum)
	}
	users := out.Find("users").Table
	if !slices.Equal(users.Columns, UserTable(nil).Columns) || len(users.Rows) != nw*nu {
		t.Fatalf("run users: columns %v, %d rows", users.Columns, len(users.Rows))
	}
	for _, row := range users.Rows {
		if u := row[5].(string); !slices.Contains(reportstest.Users, u) {
			t.Errorf("users section holds a row of %q, not a user", u)
		}
	}
	var text bytes.Buffer
	if err := out.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	st := run.Results[0].Summary[0].Stats
	for _, want := range []string{"mean_auc [95% CI]", "pooled_eer [95% CI]", "hter [95% CI]", estText(st.MeanAUC), "bootstrap over users"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	cmp := CommandOutput(evaluate.ModeCompare, run)
	if got := sectionNames(cmp); !slices.Equal(got, []string{"summary", "differences", "rankings", "per_seed", "users"}) {
		t.Fatalf("compare sections %v", got)
	}
	if c := cmp.Find("summary").Table; len(c.Rows) != 2*nw || c.Rows[nw][0] != "axis" || c.Rows[0][1] != "published" {
		t.Errorf("compare: %v", c.Rows)
	}
	d := cmp.Find("differences").Table
	if len(d.Rows) != nw || d.Rows[0][1] != "centroid preset=published" || d.Rows[0][2] != "axis preset=published" {
		t.Errorf("compare differences %v", d.Rows)
	}
	sw := CommandOutput(evaluate.ModeSweep, run)
	if s := sw.Find("summary").Table; len(s.Rows) != len(run.Sweeps) || s.Columns[3] != "trees" || sw.Find("rankings") == nil {
		t.Errorf("sweep: %v", s.Columns)
	}
	th := CommandOutput(evaluate.ModeThreshold, run)
	if th.Primary() != th.Find("thresholds").Table || th.Find("summary") == nil || len(th.Primary().Rows) != len(run.Thresholds) {
		t.Error("threshold: not the thresholds, then the summary")
	}
}

func sectionNames(s Sections) []string {
	var out []string
	for _, sec := range s {
		out = append(out, sec.Name)
	}
	return out
}

// TestCommandOutputSeeds checks the multi-seed output: the same columns as
// one seed, every seed's rows, and the differences with intervals.
func TestCommandOutputSeeds(t *testing.T) {
	t.Parallel()
	run := reportstest.SeedsRun()
	one := &evaluate.Run{Manifest: run.Manifest, Seeds: run.Seeds, Results: run.Results[:1]}
	for _, sr := range run.PerSeed {
		sr.Results = sr.Results[:1]
		one.PerSeed = append(one.PerSeed, sr)
	}
	out := CommandOutput(evaluate.ModeRun, one)
	sum := out.Find("summary").Table
	if !slices.Equal(sum.Columns, SummaryColumns) {
		t.Fatalf("summary columns change with --seeds: %v", sum.Columns)
	}
	s := run.Results[0].Summary[0]
	row := sum.Rows[0]
	col := func(name string) any { return row[slices.Index(sum.Columns, name)] }
	if col("seeds") != len(reportstest.Seeds) || col("mean_auc") != s.Stats.MeanAUC.Value || col("sd_auc_seeds") != *s.Stats.SDAUCSeeds {
		t.Errorf("summary %v", row)
	}
	// Every seed's mean AUC is its own: the per-seed rows give them back.
	per := out.Find("per_seed").Table
	for k := range reportstest.Seeds {
		if got := per.Rows[k*len(reportstest.Windows)][6]; got != s.Seeds.MeanAUC.Values[k] {
			t.Errorf("per_seed row %v, want mean AUC %v", per.Rows[k*len(reportstest.Windows)], s.Seeds.MeanAUC.Values[k])
		}
	}
	var text bytes.Buffer
	if err := out.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "Per seed and user") || !strings.Contains(text.String(), "over seeds 0-3") {
		t.Errorf("text shows hidden sections or lacks the seeds:\n%s", text.String())
	}
	cmp := CommandOutput(evaluate.ModeCompare, run)
	d := cmp.Find("differences")
	if d == nil || len(d.Table.Rows) != len(reportstest.Windows) || !strings.Contains(d.Title, "interval over users") {
		t.Fatalf("compare differences %+v", d)
	}
	c := func(name string) any { return d.Table.Rows[0][slices.Index(d.Table.Columns, name)] }
	diff := run.Differences[0]
	if c("diff") != diff.Diff.Value || c("diff_lo") != *diff.Diff.Lo || c("wilcoxon_p") != *diff.WilcoxonP || c("seeds") != 4 ||
		c("interval_excludes_zero") != diff.IntervalExcludesZero {
		t.Errorf("difference row %v, want %+v", d.Table.Rows[0], diff)
	}
}

// TestCommandOutputHoldout checks the held-out output: one row per
// evaluation, undefined per-user AUCs empty (JSON null) with the reason.
func TestCommandOutputHoldout(t *testing.T) {
	t.Parallel()
	h := reportstest.Holdout()
	out := CommandOutput(evaluate.ModeHoldout, &evaluate.Run{Holdouts: []evaluate.HoldoutResult{h}})
	if got := sectionNames(out); !slices.Equal(got, []string{"summary", "users", "per_seed", "per_seed_users", "sessions"}) {
		t.Fatalf("sections %v", got)
	}
	var b bytes.Buffer
	if err := out.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not one JSON object of arrays: %v\n%s", err, b.String())
	}
	s := doc["summary"][0]
	if s["session_auc"] != h.Stats.SessionAUC.Value || s["session_auc_lo"] != *h.Stats.SessionAUC.Lo || s["session_eer_lo"] != nil ||
		s["action_auc"] != h.Stats.ActionAUC.Value || s["impostor_sessions"] != float64(h.Sessions.Impostor) || s["user_mean_session_auc"] != h.UserMeanAUC {
		t.Errorf("summary %v", s)
	}
	u12 := doc["users"][2]
	if u12["user"] != "user12" || u12["session_auc"] != nil || !strings.Contains(u12["na"].(string), "undefined") {
		t.Errorf("user12 %v", u12)
	}
	if len(doc["sessions"]) != len(h.Scores) {
		t.Errorf("%d sessions, want %d", len(doc["sessions"]), len(h.Scores))
	}
}

// TestSectionsJSONFullPrecision: JSON and CSV keep every digit, text rounds.
func TestSectionsJSONFullPrecision(t *testing.T) {
	t.Parallel()
	v := 0.123456789012345
	tb := &Table{Columns: []string{"x"}}
	tb.Add(v)
	secs := Sections{{Name: "a", Title: "A", Table: tb}, {Name: "b", Table: &Table{Columns: []string{"y"}}}}
	var j, c, x bytes.Buffer
	if err := secs.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	if err := secs.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	if err := secs.WriteText(&x); err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]float64
	if err := json.Unmarshal(j.Bytes(), &doc); err != nil || doc["a"][0]["x"] != v || doc["b"] == nil {
		t.Errorf("JSON %s (%v)", j.String(), err)
	}
	if c.String() != "x\n0.123456789012345\n" {
		t.Errorf("CSV %q", c.String())
	}
	if !strings.Contains(x.String(), "0.1235") || strings.Contains(x.String(), "0.12345") {
		t.Errorf("text %q", x.String())
	}
}

// TestWriteRunReadRun: run.json round trips; the scores and curves beside
// it hold every window of every seed and the pooled curve.
func TestWriteRunReadRun(t *testing.T) {
	t.Parallel()
	run := reportstest.SeedsRun()
	dir := filepath.Join(t.TempDir(), "new")
	paths, err := WriteRun(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(paths, []string{filepath.Join(dir, RunFile), filepath.Join(dir, ScoresFile), filepath.Join(dir, CurvesFile)}) {
		t.Errorf("paths %v", paths)
	}
	back, err := ReadRun(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != 2 || back.Manifest.Seed != 0 || len(back.Differences) != len(run.Differences) || back.Settings == nil {
		t.Errorf("read back %+v", back.Manifest)
	}
	scores := readGzipCSV(t, paths[1])
	if !slices.Equal(scores[0], ScoreColumns) {
		t.Fatalf("scores columns %v", scores[0])
	}
	// Per seed and result: every window of every user's streams.
	want := 0
	for _, set := range run.ScoreSets {
		for _, seed := range set.Scores {
			for _, us := range seed {
				for _, w := range set.Windows {
					want += len(evaluate.Windows(us.Genuine, w, set.Aggregate))
					for _, s := range us.Impostor {
						want += len(evaluate.Windows(s, w, set.Aggregate))
					}
				}
			}
		}
	}
	if len(scores)-1 != want {
		t.Errorf("%d score rows, want %d", len(scores)-1, want)
	}
	curves := readGzipCSV(t, paths[2])
	pooled := 0
	for _, r := range curves[1:] {
		if r[6] == "pooled" {
			pooled++
			if r[7] != "" {
				t.Fatalf("pooled curve row with a seed: %v", r)
			}
		}
	}
	if !slices.Equal(curves[0], CurveColumns) || pooled == 0 {
		t.Errorf("curves columns %v, %d pooled points", curves[0], pooled)
	}
}

func readGzipCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}
