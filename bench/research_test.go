package bench_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/preprocess"
)

// sessions lays out preprocess/testdata logs as two Balabit user folders;
// extra adds files (path relative to the folder: content).
func sessions(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"user1/session_1": "click.csv", "user1/session_2": "drag.csv",
		"user2/session_3": "pause.csv", "user2/session_4": "straight.csv"}
	for dst, src := range files {
		b, err := os.ReadFile(filepath.Join("..", "preprocess", "testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		extra[dst] = string(b)
	}
	for dst, b := range extra {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(dst)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tick is a clock that advances one second per reading.
func tick() func() time.Time {
	now := time.Unix(0, 0)
	return func() time.Time { now = now.Add(time.Second); return now }
}

func TestRunFeatures(t *testing.T) {
	t.Parallel()
	dir := sessions(t, map[string]string{})
	r, err := bench.RunFeatures(context.Background(), bench.FeaturesOptions{Data: dir, Rounds: 2, Workers: 8, Now: tick()})
	if err != nil {
		t.Fatal(err)
	}
	// 4 sessions of 11+8+10+6 data rows and a header each; 6 actions
	// (clean). Workers are capped at the sessions; each timed run takes
	// one tick.
	if r.Files != 4 || r.Workers != 4 || r.Events != 35 || r.Actions != 6 || r.CSVRows != 39 || r.Seconds != 1 || r.CSVSeconds != 1 {
		t.Errorf("result %+v", r)
	}
	if r.EventsPerSecond() != 35 || r.CSVRowsPerSecond() != 39 || r.Ratio() != 35.0/39 {
		t.Errorf("rates %v %v %v", r.EventsPerSecond(), r.CSVRowsPerSecond(), r.Ratio())
	}
}

// TestRunFeaturesErrors: a file the CSV reader refuses fails the run and
// names the file, whichever worker reads it; bad options and cancellation
// are errors too.
func TestRunFeaturesErrors(t *testing.T) {
	t.Parallel()
	dir := sessions(t, map[string]string{"user3/session_5": "1,2,\"x\"y,3\n"})
	_, err := bench.RunFeatures(context.Background(), bench.FeaturesOptions{Data: dir, Rounds: 1, Workers: 2})
	if err == nil || !strings.Contains(err.Error(), "session_5") {
		t.Errorf("bad CSV: error %v, want one naming session_5", err)
	}
	if _, err := bench.RunFeatures(context.Background(), bench.FeaturesOptions{Data: dir, Rounds: 0}); err == nil {
		t.Error("0 rounds: no error")
	}
	if _, err := bench.RunFeatures(context.Background(), bench.FeaturesOptions{Data: t.TempDir(), Rounds: 1}); err == nil {
		t.Error("no sessions: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	good := sessions(t, map[string]string{})
	if _, err := bench.RunFeatures(ctx, bench.FeaturesOptions{Data: good, Rounds: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v", err)
	}
}

// TestRunEvaluate is not parallel: RunEvaluate sets GOMAXPROCS, process
// wide, for each timed run.
func TestRunEvaluate(t *testing.T) {
	features := testutil.Data(t, "features/dfl_39feat_PC_MM_DD_50.csv")
	var started []string
	// The improved preset's gbdt at 20 rounds of one bag (its default is
	// 3 bags of 200: most of this package's time under -race); what is
	// checked is the timing harness, not the preset's accuracy.
	small := func(name string, params map[string]any) (classify.Classifier, error) {
		if name == "gbdt" {
			params = map[string]any{"rounds": 20, "bags": 1}
		}
		return classify.New(name, params)
	}
	rows, err := bench.RunEvaluate(context.Background(), bench.EvaluateOptions{Features: features, Trees: 3, Windows: []int{1, 5},
		Presets: []evaluate.Preset{evaluate.PresetPublished, evaluate.PresetImproved}, Procs: []int{0, 1}, Now: tick(), NewClassifier: small,
		Started: func(p evaluate.Preset, procs int) { started = append(started, fmt.Sprint(p, procs)) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || len(started) != 4 || started[1] != "published1" || started[3] != "improved1" ||
		rows[1].GOMAXPROCS != 1 || rows[0].Preset != evaluate.PresetPublished || rows[2].Preset != evaluate.PresetImproved {
		t.Fatalf("rows %+v, started %v", rows, started)
	}
	for _, r := range rows {
		if r.Users != 21 || r.Seconds != 1 || len(r.MeanAUC) != 2 || !(r.MeanAUC[0] > 0.5) || !(r.MeanAUC[1] <= 1) {
			t.Errorf("row %+v", r)
		}
	}
	failing := func(string, map[string]any) (classify.Classifier, error) {
		return nil, errors.New("no such classifier")
	}
	if _, err := bench.RunEvaluate(context.Background(), bench.EvaluateOptions{Features: features, Trees: 3, Windows: []int{1},
		Procs: []int{1}, NewClassifier: failing}); err == nil || !strings.Contains(err.Error(), "no such classifier") {
		t.Errorf("failing classifier: error %v", err)
	}
}

func TestRunClassify(t *testing.T) {
	t.Parallel()
	d, err := preprocess.ReadTableFile(testutil.Data(t, "features/dfl_39feat_PC_MM_DD_50.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var added, done counter
	rows, err := bench.RunClassify(context.Background(), d, bench.ClassifyOptions{Trees: 3,
		Meter: func(int64, string, string) bench.Meter { return countMeter{&added, &done} }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Cores != 1 || rows[2].Classifier != "malaschitz" {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		// 50 actions a user: 35 train against 35 others'.
		if r.Users != 21 || r.TrainRows != 70 || !(r.FitSeconds > 0) || !(r.ScoreMicro > 0) || !(r.FitRatio() > 0) {
			t.Errorf("row %+v", r)
		}
	}
	if added.n != 3*21 || done.n < 1 {
		t.Errorf("meter: %d added, done %d times", added.n, done.n)
	}
	one := &preprocess.Table{Names: d.Names, Users: d.Users[:1], X: d.X[:1]}
	if _, err := bench.RunClassify(context.Background(), one, bench.ClassifyOptions{Trees: 3}); err == nil {
		t.Error("one user: no error")
	}
}

type counter struct{ n int }

// countMeter counts; RunClassify reports from one goroutine.
type countMeter struct{ added, done *counter }

func (m countMeter) Add(n int) { m.added.n += n }
func (m countMeter) Done()     { m.done.n++ }
