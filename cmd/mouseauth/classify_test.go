package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/testutil"
)

func TestNewCmdClassifyTrain(t *testing.T) {
	for _, tc := range []struct{ name, args, wantErr string }{
		{"ok", "--features f.csv --out m", ""},
		{"no out", "--features f.csv", "--features and --out are required"},
		{"zero trees", "--features f.csv --out m --trees 0", "--trees must be >= 1"},
		{"unknown classifier", "--features f.csv --out m --classifier svm", "--classifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *TrainOptions
			cmd := newCmdClassifyTrain(&cli.Factory{IO: ios}, func(_ context.Context, o *TrainOptions) error { got = o; return nil })
			err := execArgs(ios, cmd, tc.args)
			if tc.wantErr != "" {
				wantUsageError(t, err, tc.wantErr)
				return
			}
			if err != nil || got.Trees != 100 || got.Classifier != "rf" || got.Seed != 1 {
				t.Fatalf("err = %v, opts = %+v", err, got)
			}
		})
	}
}

// TestClassifyTrainScore trains models on a small feature file, then scores
// the same file with the folder of models and with one user's model: each
// user's own model must score its actions above the other users'.
func TestClassifyTrainScore(t *testing.T) {
	ios, _, out, _ := cli.TestIO()
	dir := t.TempDir()
	features := testutil.Data(t, "features/dfl_39feat_PC_MM_DD_50.csv")
	topts := &TrainOptions{IO: ios, Now: time.Now, Load: loadFeatures, Features: features, Out: dir,
		Classifier: "rf", Trees: 20, Seed: 1, Output: "json"}
	if err := trainRun(context.Background(), topts); err != nil {
		t.Fatal(err)
	}
	var trained []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &trained); err != nil || len(trained) != 21 {
		t.Fatalf("trained %d users (%v): %s", len(trained), err, out)
	}
	first, _ := os.ReadFile(filepath.Join(dir, "1.model"))

	// Same seed, same model bytes (the header's creation time aside: Now
	// is fixed here).
	fixed := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	topts.Now, topts.User = fixed, "1"
	for i := 0; i < 2; i++ {
		if err := trainRun(context.Background(), topts); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "1.model"))
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Fatal("same seed gave different model files")
		}
	}

	ios, _, out, _ = cli.TestIO()
	sopts := &ScoreOptions{IO: ios, Load: loadFeatures, Model: filepath.Join(dir, "1.model"), Features: features, Output: "json"}
	if err := scoreRun(context.Background(), sopts); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		User    string  `json:"user"`
		Actions int     `json:"actions"`
		Score   float64 `json:"score"`
	}
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatal(err)
	}
	var own, others float64
	for _, r := range rows {
		if r.User == "1" {
			own = r.Score
		} else {
			others += r.Score / float64(len(rows)-1)
		}
	}
	if own <= others {
		t.Errorf("user 1's model: own score %.3f, others' mean %.3f", own, others)
	}

	// A corrupt model file is refused with a clear error.
	bad := filepath.Join(dir, "bad.model")
	b := append([]byte(nil), first...)
	b[len(b)/2] ^= 1
	os.WriteFile(bad, b, 0o644)
	sopts.Model = bad
	if err := scoreRun(context.Background(), sopts); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupt model: %v", err)
	}
}

// TestClassifyScoreRawMatchesFeatures: scoring raw logs (features
// extracted on the fly) gives the same session scores as scoring the
// feature CSV extracted from them.
func TestClassifyScoreRawMatchesFeatures(t *testing.T) {
	ios, _, _, _ := cli.TestIO()
	dir := t.TempDir()
	logs, features, models := filepath.Join(dir, "logs"), filepath.Join(dir, "f.csv"), filepath.Join(dir, "m")
	so := &SynthOptions{IO: ios, Out: logs}
	so.Users, so.Sessions, so.Actions, so.Seed = 3, 2, 40, 4
	if err := synthRun(context.Background(), so); err != nil {
		t.Fatal(err)
	}
	if err := featuresRun(context.Background(), &FeaturesOptions{IO: ios, Create: createFile, Data: logs, Out: features, Output: "table"}); err != nil {
		t.Fatal(err)
	}
	if err := trainRun(context.Background(), &TrainOptions{IO: ios, Now: time.Now, Load: loadFeatures, Features: features,
		Out: models, Classifier: "rf", Trees: 10, Seed: 1, Output: "table"}); err != nil {
		t.Fatal(err)
	}
	score := func(o *ScoreOptions) string {
		ios, _, out, _ := cli.TestIO()
		o.IO, o.Load, o.Model, o.Output = ios, loadFeatures, models, "csv"
		if err := scoreRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	fromCSV, fromRaw := score(&ScoreOptions{Features: features}), score(&ScoreOptions{Data: logs})
	if fromCSV != fromRaw || strings.Count(fromCSV, "\n") != 7 {
		t.Errorf("feature CSV:\n%s\nraw logs:\n%s", fromCSV, fromRaw)
	}
}
