package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/reports"
)

// fakeClassifier scores by relative distance to the class centroids; it
// stands in for the classify package in command tests.
type fakeClassifier struct{ name string }

func (c fakeClassifier) Name() string { return c.name }

func (c fakeClassifier) Fit(_ context.Context, X [][]float64, genuine []bool, _ *rand.Rand) (classify.Model, error) {
	g, im := make([]float64, len(X[0])), make([]float64, len(X[0]))
	var ng, ni float64
	for i, x := range X {
		dst := im
		if genuine[i] {
			dst, ng = g, ng+1
		} else {
			ni++
		}
		for j, v := range x {
			dst[j] += v
		}
	}
	for j := range g {
		g[j] /= ng
		im[j] /= ni
	}
	return fakeModel{g, im}, nil
}

type fakeModel struct{ g, im []float64 }

func (m fakeModel) Score(x []float64) float64 {
	var dg, di float64
	for j, v := range x {
		dg += (v - m.g[j]) * (v - m.g[j])
		di += (v - m.im[j]) * (v - m.im[j])
	}
	dg, di = math.Sqrt(dg), math.Sqrt(di)
	return di / (dg + di)
}

func fakeNew(name string, params map[string]any) (classify.Classifier, error) {
	if name == "bogus" {
		return nil, errors.New("unknown classifier \"bogus\"")
	}
	return fakeClassifier{name: name}, nil
}

func testFactory() (*cli.Factory, *cli.Buffer, *cli.Buffer) {
	ios, _, out, errOut := cli.TestIO()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	return &cli.Factory{IO: ios, Now: func() time.Time { return now }, Version: "test",
		Args: []string{"mouseauth", "evaluate"}}, out, errOut
}

func TestNewCmdEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		argv    string
		check   func(t *testing.T, o *EvaluateOptions)
		wantErr string
	}{
		{name: "defaults", argv: "--features f.csv", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Mode != modeRun || o.Protocol != "reference" || o.Preset != presetImproved || o.Classifier != "gbdt" || o.Trees != 100 ||
				!reflect.DeepEqual(o.Windows, []int{1, 5, 10, 20}) || math.Abs(o.TrainFraction-2.0/3) > 1e-12 || o.Output != "table" {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "flags", argv: "--features f.csv --protocol strict --preset published --windows 1:3,10 --seed 7 --trees 50 -o json --out d", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Protocol != "strict" || o.Preset != "published" || o.Classifier != "rf" || !reflect.DeepEqual(o.Windows, []int{1, 2, 3, 10}) ||
				o.Seed != 7 || o.Trees != 50 || o.Output != "json" || o.Out != "d" {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "sweep", argv: "sweep --features f.csv --tree-counts 10:30:10 --windows 1:3", check: func(t *testing.T, o *EvaluateOptions) {
			// gbdt (the improved preset's) sweeps its boosting rounds.
			if o.Mode != modeSweep || o.Classifier != "gbdt" || !reflect.DeepEqual(o.TreeRange, []int{10, 20, 30}) || !reflect.DeepEqual(o.Windows, []int{1, 2, 3}) {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "sweep defaults", argv: "sweep --features f.csv", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Classifier != "gbdt" || o.Preset != presetImproved || o.TreeRange != nil || len(o.Windows) != 20 {
				t.Errorf("opts = %+v: want the improved preset's gbdt over windows 1-20", o)
			}
		}},
		{name: "compare", argv: "compare --features f.csv --classifiers rf --presets published,improved", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Mode != modeCompare || !reflect.DeepEqual(o.Classifiers, []string{"rf"}) || !reflect.DeepEqual(o.Presets, []string{"published", "improved"}) {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "compare defaults", argv: "compare --features f.csv", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Classifiers != nil || !reflect.DeepEqual(o.Presets, []string{"improved"}) || !reflect.DeepEqual(o.compareClassifiers(), []string{"gbdt"}) {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "compare both", argv: "compare --features f.csv --presets both", check: func(t *testing.T, o *EvaluateOptions) {
			if !reflect.DeepEqual(o.Presets, []string{"published", "improved"}) || !reflect.DeepEqual(o.compareClassifiers(), []string{"rf", "gbdt"}) {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "compare old preset name", argv: "compare --features f.csv --presets reference,improved", check: func(t *testing.T, o *EvaluateOptions) {
			if !reflect.DeepEqual(o.Presets, []string{"published", "improved"}) {
				t.Errorf("presets %v", o.Presets)
			}
		}},
		{name: "compare param", argv: "compare --features f.csv --presets both --param min_leaf=3 --param rounds=50", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Params["min_leaf"] != 3 || o.Params["rounds"] != 50 {
				t.Errorf("params %v", o.Params)
			}
		}},
		{name: "compare unknown param", argv: "compare --features f.csv --param hidden=3", wantErr: `unknown parameter "hidden": none of gbdt has it`},
		{name: "threshold", argv: "threshold --features f.csv --windows 10 --thresholds 0:1:0.25 --fmr-targets 0.01 --quantiles 0.5", check: func(t *testing.T, o *EvaluateOptions) {
			r := o.Thresholds
			if o.Mode != modeThreshold || !reflect.DeepEqual(r.Values, []float64{0, 0.25, 0.5, 0.75, 1}) || !reflect.DeepEqual(r.FMRTargets, []float64{0.01}) ||
				!reflect.DeepEqual(r.Quantiles, []float64{0.5}) || !r.EER || !reflect.DeepEqual(o.Windows, []int{10}) {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "threshold two windows", argv: "threshold --features f.csv --windows 1,10", check: func(t *testing.T, o *EvaluateOptions) {
			if !reflect.DeepEqual(o.Windows, []int{1, 10}) {
				t.Errorf("windows = %v", o.Windows)
			}
		}},
		{name: "threshold defaults: targets, quantiles, EER", argv: "threshold --features f.csv", check: func(t *testing.T, o *EvaluateOptions) {
			r := o.Thresholds
			if len(r.Quantiles) != 19 || r.Quantiles[18] != 0.95 || len(r.FMRTargets) != 4 || !r.EER || r.Values != nil {
				t.Errorf("thresholds = %+v", r)
			}
		}},
		{name: "threshold seeds", argv: "threshold --features f.csv --seeds 0:2", check: func(t *testing.T, o *EvaluateOptions) {
			if len(o.Seeds) != 3 {
				t.Errorf("seeds %v", o.Seeds)
			}
		}},
		{name: "bad fmr target", argv: "threshold --features f.csv --fmr-targets 2", wantErr: "--fmr-targets: 2 is outside [0, 1]"},
		{name: "resamples", argv: "--features f.csv --resamples 0", wantErr: "--resamples"},
		{name: "no features", argv: "", wantErr: "--features is required"},
		{name: "unknown classifier", argv: "compare --features f.csv --classifiers rf,svm", wantErr: `unknown classifier "svm"`},
		{name: "unknown single classifier", argv: "--features f.csv --classifier svm", wantErr: `unknown classifier "svm"`},
		{name: "window 0", argv: "--features f.csv --windows 0", wantErr: "must be >= 1"},
		{name: "backwards range", argv: "--features f.csv --windows 5:1", wantErr: "A <= B"},
		{name: "bad step", argv: "sweep --features f.csv --tree-counts 10:100:0", wantErr: "S > 0"},
		{name: "not a number", argv: "--features f.csv --windows x", wantErr: "not an integer"},
		{name: "bad protocol", argv: "--features f.csv --protocol loose", wantErr: "unknown protocol"},
		{name: "bad preset", argv: "--features f.csv --preset fast", wantErr: "unknown preset"},
		{name: "bad aggregate", argv: "--features f.csv --aggregate max", wantErr: "unknown aggregate"},
		{name: "bad output", argv: "--features f.csv -o xml", wantErr: "--output"},
		{name: "train fraction", argv: "--features f.csv --train-fraction 1", wantErr: "--train-fraction"},
		{name: "threshold out of range", argv: "threshold --features f.csv --thresholds 0:2:0.5", wantErr: "outside [0, 1]"},
		{name: "zero trees", argv: "--features f.csv --trees 0", wantErr: "--trees"},
		{name: "seeds", argv: "--features f.csv --seeds 0:2,7", check: func(t *testing.T, o *EvaluateOptions) {
			if !reflect.DeepEqual(o.Seeds, []int64{0, 1, 2, 7}) || o.Seed != 0 {
				t.Errorf("seeds %v seed %d", o.Seeds, o.Seed)
			}
		}},
		{name: "one seed in --seeds", argv: "compare --features f.csv --seeds 5", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Seeds != nil || o.Seed != 5 {
				t.Errorf("seeds %v seed %d", o.Seeds, o.Seed)
			}
		}},
		{name: "sweep seeds", argv: "sweep --features f.csv --seeds 0:9", check: func(t *testing.T, o *EvaluateOptions) {
			if len(o.Seeds) != 10 {
				t.Errorf("seeds %v", o.Seeds)
			}
		}},
		{name: "seed and seeds", argv: "--features f.csv --seed 1 --seeds 0:9", wantErr: "--seed and --seeds"},
		{name: "seed 0 and seeds", argv: "compare --features f.csv --seed 0 --seeds 0:9", wantErr: "--seed and --seeds"},
		{name: "bad seeds", argv: "--features f.csv --seeds 9:0", wantErr: "--seeds"},
		{name: "params", argv: "--features f.csv --param max_depth=8 --param min_leaf=3", check: func(t *testing.T, o *EvaluateOptions) {
			if !reflect.DeepEqual(o.Params, map[string]any{"max_depth": 8, "min_leaf": 3}) {
				t.Errorf("params %v", o.Params)
			}
		}},
		{name: "param trees", argv: "--features f.csv --classifier rf --param trees=7", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Params["trees"] != 7 {
				t.Errorf("params %v", o.Params)
			}
		}},
		{name: "unknown param", argv: "--features f.csv --classifier logreg --param trees=7", wantErr: `unknown parameter "trees"`},
		{name: "bad param value", argv: "--features f.csv --param max_depth=-1", wantErr: "max_depth"},
		{name: "param trees and trees", argv: "--features f.csv --classifier rf --trees 50 --param trees=7", wantErr: "set the number of trees once"},
		{name: "sweep param trees", argv: "sweep --features f.csv --classifier rf --tree-counts 5,10 --param trees=7", wantErr: "--tree-counts"},
		{name: "sweep param rounds", argv: "sweep --features f.csv --tree-counts 5,10 --param rounds=7", wantErr: "--tree-counts"},
		{name: "sweep logreg", argv: "sweep --features f.csv --classifier logreg --windows 1:3", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Classifier != "logreg" || o.TreeRange != nil || o.experiment().Classifier != "logreg" {
				t.Errorf("opts = %+v: want logreg over the windows only", o)
			}
		}},
		{name: "sweep malaschitz", argv: "sweep --features f.csv --classifier malaschitz --tree-counts 5,10", check: func(t *testing.T, o *EvaluateOptions) {
			if e := o.experiment(); e.Classifier != "malaschitz" || !reflect.DeepEqual(e.TreeRange, []int{5, 10}) {
				t.Errorf("experiment = %+v", e)
			}
		}},
		{name: "sweep trees of logreg", argv: "sweep --features f.csv --classifier logreg --tree-counts 10:20:10", wantErr: "--tree-counts: classifier logreg has no trees to sweep; leave --tree-counts out"},
		{name: "trees of mlp", argv: "--features f.csv --classifier mlp --trees 50", wantErr: "--trees: classifier mlp has no trees"},
		{name: "holdout", argv: "holdout --train tr --test te --labels l.csv --compat reference --max-actions 50 --cross --aggregate logodds --neg-ratio 2 --seeds 0:3",
			check: func(t *testing.T, o *EvaluateOptions) {
				if o.Mode != modeHoldout || o.Train != "tr" || o.Test != "te" || o.Labels != "l.csv" || o.Compat != "reference" || o.MaxActions != 50 ||
					!o.Cross || o.Aggregate != "logodds" || o.NegRatio != 2 || len(o.Seeds) != 4 || o.Classifier != "gbdt" {
					t.Errorf("opts = %+v", o)
				}
			}},
		{name: "holdout defaults", argv: "holdout --train tr --test te", check: func(t *testing.T, o *EvaluateOptions) {
			// The improved preset, as every command that trains.
			e := o.experiment()
			po := evaluate.PresetOptions(e.Preset, nil, nil, e.Settings)
			if o.Preset != presetImproved || o.Classifier != "gbdt" || po.NegativeRatio != 8 || po.Aggregate != "logodds" || o.Compat != "clean" || o.Seed != 0 {
				t.Errorf("opts = %+v, preset options %+v", o, po)
			}
		}},
		{name: "holdout published", argv: "holdout --train tr --test te --preset published", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Classifier != "rf" || o.Preset != presetPublished {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "holdout needs test", argv: "holdout --train tr", wantErr: "--train and --test"},
		{name: "holdout compat", argv: "holdout --train tr --test te --compat published", wantErr: "--compat"},
		{name: "holdout models and seeds", argv: "holdout --train tr --test te --save-models m --seeds 0:2", wantErr: "--save-models"},
		{name: "holdout neg ratio", argv: "holdout --train tr --test te --neg-ratio -1", wantErr: "--neg-ratio"},
		{name: "holdout trees for logreg", argv: "holdout --train tr --test te --classifier logreg --trees 50", wantErr: "logreg has no trees"},
		{name: "holdout logreg param", argv: "holdout --train tr --test te --classifier logreg --param lambda=0.5", check: func(t *testing.T, o *EvaluateOptions) {
			if o.Params["lambda"] != 0.5 {
				t.Errorf("params %v", o.Params)
			}
		}},
		{name: "holdout has no windows", argv: "holdout --train tr --test te --windows 3", wantErr: "unknown flag: --windows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *EvaluateOptions
			cmd := newCmdEvaluate(f, func(_ context.Context, o *EvaluateOptions) error { got = o; return nil })
			cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cli.FlagError{Err: err} }) // as root does
			cmd.SetArgs(strings.Fields(tt.argv))
			cmd.SetOut(f.IO.Out)
			cmd.SetErr(f.IO.ErrOut)
			err := cmd.ExecuteContext(context.Background())
			if tt.wantErr != "" {
				var fe *cli.FlagError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("err = %v, want usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func runOpts(t *testing.T, mode string) (*EvaluateOptions, *cli.Buffer, *cli.Buffer) {
	t.Helper()
	f, out, errOut := testFactory()
	o := newEvaluateOptions(f, mode)
	o.NewClassifier = fakeNew
	o.Features = "testdata/evaluate_small.csv"
	o.Protocol, o.Preset, o.Classifier, o.Trees = "reference", presetPublished, "rf", 10
	o.Resamples = 200
	o.Windows, o.TrainFraction, o.Output = []int{1, 3}, 2.0/3, "table"
	return o, out, errOut
}

func TestEvaluateRun(t *testing.T) {
	t.Run("table", func(t *testing.T) {
		o, out, _ := runOpts(t, modeRun)
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		// The summary under its own title, then the per-user rows: no
		// "mean" or "sd" row among the users.
		summary, users, ok := strings.Cut(s, "Per user (the first seed)\n")
		if !ok || !strings.HasPrefix(summary, "Summary (95% intervals: bootstrap over users)\n") {
			t.Fatalf("no separate summary:\n%s", s)
		}
		if lines := strings.Count(users, "\n"); lines != 1+3*2 {
			t.Errorf("users: %d lines, want header, 3 users x 2 windows:\n%s", lines, users)
		}
		for _, bad := range []string{" mean ", " sd ", "total"} {
			if strings.Contains(users, bad) {
				t.Errorf("a %q row among the users:\n%s", bad, users)
			}
		}
		if lines := strings.Count(summary, "\n"); lines != 1+1+2+1 || !strings.Contains(summary, "mean_auc [95% CI]") || !strings.Contains(summary, "pooled_eer [95% CI]") {
			t.Errorf("summary: %d lines, want title, header, 2 windows, blank:\n%s", lines, summary)
		}
		// Text rounds to three decimals.
		if regexp.MustCompile(`\d\.\d{5}`).MatchString(s) {
			t.Errorf("text table not rounded:\n%s", s)
		}
	})
	t.Run("json and run.json", func(t *testing.T) {
		o, out, errOut := runOpts(t, modeRun)
		o.Output, o.Out, o.Seed = "json", t.TempDir(), 11
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		var doc map[string][]map[string]any
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
			t.Fatalf("stdout is not one JSON object of arrays: %v\n%s", err, out.String())
		}
		if len(doc["users"]) != 3*2 || len(doc["summary"]) != 2 {
			t.Errorf("users %d, summary %d rows", len(doc["users"]), len(doc["summary"]))
		}
		for _, u := range doc["users"] {
			if u["user"] == "mean" || u["user"] == "sd" {
				t.Errorf("summary row among the users: %v", u)
			}
		}
		var run evaluate.Run
		b, err := os.ReadFile(filepath.Join(o.Out, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &run); err != nil {
			t.Fatal(err)
		}
		m := run.Manifest
		if m.Seed != 11 || m.Version != "test" || len(m.Inputs) != 1 || len(m.Inputs[0].SHA256) != 64 ||
			m.Inputs[0].Bytes == 0 || !m.Started.Equal(o.Now()) || m.GoVersion == "" || len(m.Command) != 2 {
			t.Errorf("manifest = %+v", m)
		}
		if len(run.Results) != 1 || len(run.Results[0].Summary) != 2 || run.Results[0].Summary[0].MeanAUC < 0.9 {
			t.Errorf("results = %+v", run.Results)
		}
		// The full settings, and the scores and curves beside run.json.
		if s := run.Settings; s == nil || s.Preset != "published" || s.Classifier != "rf" || s.Protocol != "reference" ||
			len(s.Seeds) != 1 || s.Seeds[0] != 11 || s.Statistics.Resamples != 200 || s.Statistics.Unit != "users" {
			t.Errorf("settings = %+v", run.Settings)
		}
		for _, f := range []string{"run.json", reports.ScoresFile, reports.CurvesFile} {
			if _, err := os.Stat(filepath.Join(o.Out, f)); err != nil || !strings.Contains(errOut.String(), f) {
				t.Errorf("%s not written or not named on stderr: %v %q", f, err, errOut.String())
			}
		}
	})
	t.Run("seeds", func(t *testing.T) {
		o, out, _ := runOpts(t, modeRun)
		o.Output, o.Out, o.Seeds, o.Protocol = "json", t.TempDir(), []int64{0, 1, 2}, "strict"
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		var doc map[string][]map[string]any
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, out.String())
		}
		// Per window a summary over seeds; the first seed's per-user rows
		// and every seed's.
		if len(doc["summary"]) != 2 || doc["summary"][0]["seeds"] != 3.0 || len(doc["per_seed"]) != 3*2 || len(doc["users"]) != 3*2 ||
			len(doc["per_seed_users"]) != 3*3*2 {
			t.Fatalf("sections: summary %v, per_seed %d, users %d", doc["summary"], len(doc["per_seed"]), len(doc["users"]))
		}
		var sum float64
		for _, r := range doc["per_seed"] {
			if r["window"] == 1.0 {
				sum += r["mean_auc"].(float64)
			}
		}
		if got := doc["summary"][0]["mean_auc"].(float64); math.Abs(got-sum/3) > 1e-12 {
			t.Errorf("mean over seeds %v, want %v", got, sum/3)
		}
		run, err := reports.ReadRun(filepath.Join(o.Out, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(run.Seeds) != 3 || len(run.PerSeed) != 3 || run.Results[0].Summary[0].Seeds == nil {
			t.Errorf("run.json seeds %v, per seed %d", run.Seeds, len(run.PerSeed))
		}
	})
	t.Run("same seed same numbers", func(t *testing.T) {
		a, outA, _ := runOpts(t, modeRun)
		b, outB, _ := runOpts(t, modeRun)
		a.Protocol, b.Protocol = "strict", "strict"
		a.Output, b.Output = "csv", "csv"
		if err := evaluateRun(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		if err := evaluateRun(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		if outA.String() != outB.String() || outA.String() == "" {
			t.Errorf("two runs differ:\n%s\n%s", outA.String(), outB.String())
		}
	})
	t.Run("sweep", func(t *testing.T) {
		o, out, _ := runOpts(t, modeSweep)
		o.TreeRange, o.Output = []int{10, 20}, "csv"
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(out.String(), "\n"); got != 1+2*2 || !strings.HasPrefix(out.String(), "classifier,preset,protocol,trees,window") {
			t.Errorf("%d lines, want 5:\n%s", got, out.String())
		}
	})
	t.Run("compare", func(t *testing.T) {
		o, out, _ := runOpts(t, modeCompare)
		o.Classifiers, o.Presets, o.Output = []string{"rf", "kmeans"}, []string{"published", "improved"}, "csv"
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if got := strings.Count(s, "\n"); got != 1+2*2*2 || !strings.Contains(s, "kmeans,improved") {
			t.Errorf("%d lines, want 9:\n%s", got, s)
		}
		// The columns are the same with several seeds.
		header, _, _ := strings.Cut(s, "\n")
		o2, out2, _ := runOpts(t, modeCompare)
		o2.Classifiers, o2.Presets, o2.Output, o2.Seeds = []string{"rf", "kmeans"}, []string{"published", "improved"}, "csv", []int64{0, 1}
		if err := evaluateRun(context.Background(), o2); err != nil {
			t.Fatal(err)
		}
		if h2, _, _ := strings.Cut(out2.String(), "\n"); h2 != header {
			t.Errorf("columns change with --seeds:\n%s\n%s", header, h2)
		}
	})
	t.Run("threshold", func(t *testing.T) {
		o, out, _ := runOpts(t, modeThreshold)
		o.Windows, o.Thresholds, o.Output = []int{3}, evaluate.ThresholdRules{Values: []float64{0, 0.5, 1.01}}, "json"
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		var doc map[string][]map[string]any
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
			t.Fatal(err)
		}
		rows := doc["thresholds"]
		if len(doc["summary"]) != 1 {
			t.Errorf("summary %v", doc["summary"])
		}
		// 0 rejects nothing (FMR 1, FNMR 0); above every score rejects every
		// window (FNMR 1), the impostors at their third action.
		if len(rows) != 3 || rows[0]["fnmr"] != 0.0 || rows[0]["fmr"] != 1.0 || rows[0]["rule"] != "value" ||
			rows[2]["fnmr"] != 1.0 || rows[2]["impostor_actions_to_rejection"] != 3.0 {
			t.Errorf("rows = %v", rows)
		}
	})
}

func TestEvaluateRunBadInput(t *testing.T) {
	tests := []struct {
		name, file, classifier, want string
	}{
		{"missing column", "testdata/evaluate_missing_column.csv", "rf", "evaluate_missing_column.csv line 1"},
		{"NaN", "testdata/evaluate_nan.csv", "rf", "line 6 column 13 (minv)"},
		{"absent file", "testdata/nope.csv", "rf", "nope.csv"},
		{"unknown classifier", "testdata/evaluate_small.csv", "bogus", "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, _ := runOpts(t, modeRun)
			o.Features, o.Classifier = tt.file, tt.classifier
			err := evaluateRun(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestBenchEvaluateRun(t *testing.T) {
	f, out, _ := testFactory()
	var calls int
	var built []string
	o := &BenchEvaluateOptions{IO: f.IO, Now: func() time.Time { calls++; return time.Unix(int64(calls), 0) },
		Features: "testdata/evaluate_small.csv", Trees: 10, Windows: []int{1, 3}, Procs: []int{0, 1}, Output: "json",
		Presets: []evaluate.Preset{evaluate.PresetPublished, evaluate.PresetImproved}, Load: loadFeatures,
		NewClassifier: func(name string, params map[string]any) (classify.Classifier, error) {
			built = append(built, fmt.Sprint(name, " ", params))
			return fakeNew(name, params)
		}}
	if err := benchEvaluateRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatal(err)
	}
	// Fake clock: each timed run spans one second.
	if len(rows) != 4 || rows[1]["gomaxprocs"] != 1.0 || rows[0]["seconds"] != 1.0 || rows[0]["speedup_vs_40s"] != 40.0 ||
		rows[0]["users"] != 3.0 || rows[0]["auc_w3"].(float64) < 0.9 || rows[0]["preset"] != "published" || rows[3]["preset"] != "improved" {
		t.Errorf("rows = %v", rows)
	}
	// Each preset trains its own classifier; --trees is the forest's.
	if want := []string{"rf map[trees:10]", "rf map[trees:10]", "gbdt map[]", "gbdt map[]"}; !slices.Equal(built, want) {
		t.Errorf("classifiers built %v, want %v", built, want)
	}
}

func TestNewCmdBenchEvaluate(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []evaluate.Preset
		err  string
	}{
		{[]string{"--features", "f.csv"}, []evaluate.Preset{evaluate.PresetPublished, evaluate.PresetImproved}, ""},
		{[]string{"--features", "f.csv", "--presets", "improved"}, []evaluate.Preset{evaluate.PresetImproved}, ""},
		{[]string{"--features", "f.csv", "--presets", "improved,fast"}, nil, `--presets: unknown preset "fast"`},
	} {
		f, _, _ := testFactory()
		var got *BenchEvaluateOptions
		cmd := newCmdBenchEvaluateF(f, func(_ context.Context, o *BenchEvaluateOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got.Presets, tc.want) {
			t.Errorf("%v: presets %v (%v), want %v", tc.args, got.Presets, err, tc.want)
		}
	}
}

// TestEvaluateRunInterrupted: Ctrl-C after the first of three seeds keeps
// that seed: run.json (marked incomplete) with its scores, a note on
// stderr, and exit code 130.
func TestEvaluateRunInterrupted(t *testing.T) {
	o, _, errOut := runOpts(t, modeRun)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fits atomic.Int64
	o.Seeds, o.Out, o.Workers = []int64{0, 1, 2}, t.TempDir(), 1
	o.NewClassifier = func(name string, p map[string]any) (classify.Classifier, error) {
		return cancellingClassifier{fakeClassifier{name}, func() {
			if fits.Add(1) == 5 { // the 2nd user of seed 1 (3 users a seed)
				cancel()
			}
		}}, nil
	}
	err := evaluateRun(ctx, o)
	if cli.ExitCode(err) != cli.ExitCancelled {
		t.Fatalf("err = %v (exit code %d), want the cancellation (130)", err, cli.ExitCode(err))
	}
	run, rerr := reports.ReadRun(filepath.Join(o.Out, reports.RunFile))
	if rerr != nil {
		t.Fatal(rerr)
	}
	if run.Incomplete == nil || !reflect.DeepEqual(run.Incomplete.SeedsDone, []int64{0}) || len(run.Results) != 1 || run.Manifest.Seed != 0 {
		t.Errorf("run.json %+v", run.Incomplete)
	}
	if _, err := os.Stat(filepath.Join(o.Out, reports.ScoresFile)); err != nil {
		t.Error(err)
	}
	if !strings.Contains(errOut.String(), "interrupted: 1 of 3 seeds finished") {
		t.Errorf("stderr %q", errOut.String())
	}
}

type cancellingClassifier struct {
	fakeClassifier
	onFit func()
}

func (c cancellingClassifier) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (classify.Model, error) {
	c.onFit()
	return c.fakeClassifier.Fit(ctx, X, genuine, rng)
}
