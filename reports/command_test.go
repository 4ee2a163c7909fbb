package reports

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/table"
	"github.com/mouseauth/mouseauth/reports/reportstest"
)

// TestCommandOutput checks what `mouseauth evaluate` prints: summaries in
// sections of their own, never among the per-user rows, and every figure
// from the run.
func TestCommandOutput(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	nu, nw := len(reportstest.Users), len(reportstest.Windows)

	out := CommandOutput(evaluate.ModeRun, &evaluate.Run{Results: run.Results[:1]})
	if got := sectionNames(out); !slices.Equal(got, []string{"users", "summary", "skipped"}) {
		t.Fatalf("run sections %v", got)
	}
	users := out.Find("users").Table
	if !slices.Equal(users.Columns, []string{"window", "user", "auc", "eer", "accuracy", "genuine", "impostor"}) || len(users.Rows) != nw*nu {
		t.Fatalf("run: columns %v, %d rows", users.Columns, len(users.Rows))
	}
	for _, row := range users.Rows {
		if u := row[1].(string); !slices.Contains(reportstest.Users, u) {
			t.Errorf("users section holds a row of %q, not a user", u)
		}
	}
	r, s := run.Results[0], run.Results[0].Summary[1]
	u := usersAt(r, s.Window)[0]
	if !reflect.DeepEqual(users.Rows[nu], []any{u.Window, u.User, u.AUC, u.EER, u.Accuracy, u.Genuine, u.Impostor}) {
		t.Errorf("user row %v, want %+v", users.Rows[nu], u)
	}
	sum := out.Find("summary").Table
	if !reflect.DeepEqual(sum.Rows[1], []any{s.Window, s.Users, s.MeanAUC, s.SDAUC, s.MeanEER, s.SDEER, s.MeanAccuracy, s.SDAccuracy}) {
		t.Errorf("summary row %v, want %+v", sum.Rows[1], s)
	}
	if out.Primary() != users {
		t.Error("CSV (the primary table) is not the per-user rows")
	}

	cmp := CommandOutput(evaluate.ModeCompare, run).Find("summary").Table
	if len(cmp.Columns) != 9 || cmp.Columns[1] != "preset" || len(cmp.Rows) != 2*nw || cmp.Rows[nw][0] != "logreg" || cmp.Rows[0][8] != r.Seconds {
		t.Errorf("compare: %v %v", cmp.Columns, cmp.Rows)
	}
	sw := CommandOutput(evaluate.ModeSweep, run).Find("summary").Table
	if !slices.Equal(sw.Columns, []string{"trees", "window", "mean_auc", "sd_auc", "mean_eer", "seconds"}) || len(sw.Rows) != len(run.Sweeps) ||
		sw.Rows[1][0] != run.Sweeps[1].Trees || sw.Rows[1][2] != run.Sweeps[1].MeanAUC {
		t.Errorf("sweep: %v %v", sw.Columns, sw.Rows[:2])
	}
	th := CommandOutput(evaluate.ModeThreshold, run)
	if !reflect.DeepEqual(th.Primary(), ThresholdTable(run.Thresholds)) || th.Find("summary") == nil {
		t.Error("threshold: not ThresholdTable, then the summary")
	}
}

func sectionNames(s table.Sections) []string {
	var out []string
	for _, sec := range s {
		out = append(out, sec.Name)
	}
	return out
}

// TestCommandOutputSeeds checks the multi-seed output: figures over seeds
// from the per-seed values, every seed's rows, and the differences.
func TestCommandOutputSeeds(t *testing.T) {
	t.Parallel()
	run := reportstest.SeedsRun()
	one := &evaluate.Run{Manifest: run.Manifest, Seeds: run.Seeds, PerSeed: run.PerSeed, Results: run.Results[:1]}
	for i := range one.PerSeed {
		one.PerSeed[i].Results = one.PerSeed[i].Results[:1]
	}
	out := CommandOutput(evaluate.ModeRun, one)
	if got := sectionNames(out); !slices.Equal(got, []string{"users", "summary", "per_seed", "skipped"}) {
		t.Fatalf("sections %v", got)
	}
	users := out.Find("users").Table
	if users.Columns[0] != "seed" || len(users.Rows) != len(reportstest.Seeds)*len(reportstest.Users)*len(reportstest.Windows) {
		t.Errorf("users: %v, %d rows", users.Columns, len(users.Rows))
	}
	sum := out.Find("summary").Table
	s := run.Results[0].Summary[0]
	want := evaluate.NewSeedStat(s.Seeds.MeanAUC.Values)
	row := sum.Rows[0]
	if sum.Columns[3] != "mean_auc" || row[3] != want.Mean || row[4] != want.SD || row[5] != s.Seeds.SDAUC.Mean || row[2] != len(reportstest.Seeds) {
		t.Errorf("summary %v\n%v, want mean %v sd %v", sum.Columns, row, want.Mean, want.SD)
	}
	// Every seed's mean AUC is its own: the per-seed rows give them back.
	per := out.Find("per_seed").Table
	for k := range reportstest.Seeds {
		if per.Rows[k*len(reportstest.Windows)][3] != s.Seeds.MeanAUC.Values[k] {
			t.Errorf("per_seed row %v, want mean AUC %v", per.Rows[k*len(reportstest.Windows)], s.Seeds.MeanAUC.Values[k])
		}
	}
	var text bytes.Buffer
	if err := out.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "Per user and seed") || !strings.Contains(text.String(), "over seeds 0-3") {
		t.Errorf("text shows hidden sections or lacks the seeds:\n%s", text.String())
	}

	cmp := CommandOutput(evaluate.ModeCompare, run)
	d := cmp.Find("differences")
	if d == nil || len(d.Table.Rows) != len(reportstest.Windows) || !strings.Contains(d.Title, "2 SE") {
		t.Fatalf("compare differences %+v", d)
	}
	// rf is better than logreg by far more than the seed noise.
	if row := d.Table.Rows[0]; row[1] != "rf preset=reference" || row[2] != "logreg preset=reference" || row[5].(float64) >= 0 || row[8] != true {
		t.Errorf("difference row %v", row)
	}
	sw := CommandOutput(evaluate.ModeSweep, run)
	if d := sw.Find("differences"); d == nil || len(d.Table.Rows) != 3*len(reportstest.Windows) {
		t.Errorf("sweep differences: %+v", d)
	}
}

// TestCommandOutputHoldout checks the held-out output: one figure per row,
// undefined per-user AUCs empty (JSON null) with the reason.
func TestCommandOutputHoldout(t *testing.T) {
	t.Parallel()
	h := reportstest.Holdout()
	out := CommandOutput(evaluate.ModeHoldout, &evaluate.Run{Holdouts: []evaluate.HoldoutResult{h}})
	if got := sectionNames(out); !slices.Equal(got, []string{"summary", "users", "sessions"}) {
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
	figs := map[string]any{}
	for _, r := range doc["summary"] {
		figs[r["figure"].(string)] = r["value"]
	}
	if figs["session_auc"] != h.Sessions.AUC || figs["action_auc"] != h.Actions.AUC || figs["impostor_sessions"] != float64(h.Sessions.Impostor) ||
		figs["user_mean_session_auc"] != h.UserMeanAUC {
		t.Errorf("summary %v", figs)
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
	tb := &table.Table{Columns: []string{"x"}}
	tb.Add(v)
	secs := table.Sections{{Name: "a", Title: "A", Table: tb}, {Name: "b", Table: &table.Table{Columns: []string{"y"}}}}
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

func TestWriteRunReadRun(t *testing.T) {
	t.Parallel()
	run := reportstest.Run()
	dir := filepath.Join(t.TempDir(), "new")
	path, err := WriteRun(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, RunFile) {
		t.Errorf("path %s", path)
	}
	back, err := ReadRun(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Thresholds, run.Thresholds) || len(back.Results) != 2 || back.Manifest.Seed != 42 {
		t.Errorf("read back %+v", back.Manifest)
	}
}
