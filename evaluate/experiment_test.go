package evaluate

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// fakeNew builds the centroid classifier under any name, and records the
// parameters it was asked for.
func fakeNew(asked *[]map[string]any) func(string, map[string]any) (classify.Classifier, error) {
	return func(name string, params map[string]any) (classify.Classifier, error) {
		if name == "bogus" {
			return nil, errors.New("unknown classifier")
		}
		*asked = append(*asked, params)
		return centroid{}, nil
	}
}

func TestPresetOptions(t *testing.T) {
	s := Settings{Protocol: Strict, Windows: []int{1, 5}, TrainFraction: 0.5, Seed: 4}
	ref := PresetOptions(PresetPublished, centroid{}, map[string]any{"trees": 7}, s)
	if ref.Aggregate != AggMean || ref.NegativeRatio != 1 || ref.DropDuplicateColumns || ref.ReplacePlaceholders ||
		ref.Protocol != Strict || ref.Seed != 4 || ref.Params["trees"] != 7 || ref.Params["preset"] != "published" {
		t.Errorf("reference: %+v", ref)
	}
	imp := PresetOptions(PresetImproved, centroid{}, nil, s)
	if imp.Aggregate != AggLogOdds || !imp.DropDuplicateColumns || !imp.ReplacePlaceholders || imp.Params["preset"] != "improved" {
		t.Errorf("improved: %+v", imp)
	}
	s.Aggregate, s.NegativeRatio = AggMedian, 2
	over := PresetOptions(PresetImproved, centroid{}, nil, s)
	if over.Aggregate != AggMedian || over.NegativeRatio != 2 || over.Params["negative_ratio"] != 2.0 {
		t.Errorf("settings do not override the preset: %+v", over)
	}
	if p := ClassifierParams("rf", 9); !reflect.DeepEqual(p, map[string]any{"trees": 9}) {
		t.Errorf("rf params %v", p)
	}
	if p := ClassifierParams("logreg", 9); len(p) != 0 {
		t.Errorf("logreg params %v", p)
	}
	if _, err := ParsePreset("fast"); err == nil || !strings.Contains(err.Error(), "unknown preset") {
		t.Errorf("ParsePreset(fast): %v", err)
	}
}

func TestExperimentModes(t *testing.T) {
	d := synth(4, 40, 3, 0.6, 2)
	base := Settings{Windows: []int{1, 3}, Seed: 5}
	for _, tt := range []struct {
		e       Experiment
		results int
		check   func(t *testing.T, r *Run, asked []map[string]any)
	}{
		{Experiment{Mode: ModeRun, Preset: PresetPublished, Classifier: "rf", Trees: 10}, 1, func(t *testing.T, r *Run, asked []map[string]any) {
			if len(r.Results[0].Summary) != 2 || r.Results[0].Params["trees"] != 10 || len(asked) != 1 {
				t.Errorf("result %+v, asked %v", r.Results[0], asked)
			}
		}},
		{Experiment{Mode: ModeThreshold, Preset: PresetImproved, Classifier: "kmeans", Thresholds: ThresholdRules{Values: []float64{0, 0.5, 1.5}}}, 1, func(t *testing.T, r *Run, asked []map[string]any) {
			if len(r.Thresholds) != 2*3 || r.Thresholds[0].Window != 1 || r.Thresholds[5].Window != 3 || r.Thresholds[2].FNMR != 1 ||
				r.Thresholds[0].FMR != 1 || r.Thresholds[2].Rule != "value" || len(asked[0]) != 0 {
				t.Errorf("thresholds %+v, asked %v", r.Thresholds, asked)
			}
		}},
		{Experiment{Mode: ModeSweep, Preset: PresetPublished, TreeRange: []int{5, 10}}, 0, func(t *testing.T, r *Run, asked []map[string]any) {
			if len(r.Sweeps) != 2*2 || r.Sweeps[0].Param != "trees" || r.Sweeps[3].Trees != 10 || r.Sweeps[3].Window != 3 {
				t.Errorf("sweeps %+v", r.Sweeps)
			}
			if n := len(asked); asked[n-2]["trees"] != 5 || asked[n-1]["trees"] != 10 {
				t.Errorf("tree counts asked %v", asked)
			}
		}},
		{Experiment{Mode: ModeCompare, Classifiers: []string{"rf", "logreg"}, Presets: []Preset{PresetPublished, PresetImproved}, Trees: 3}, 4, func(t *testing.T, r *Run, asked []map[string]any) {
			if r.Results[1].Params["preset"] != "improved" || r.Results[1].Aggregate != "logodds" || r.Results[2].Params["trees"] != nil {
				t.Errorf("results %+v", r.Results)
			}
		}},
	} {
		t.Run(string(tt.e.Mode), func(t *testing.T) {
			var asked []map[string]any
			var calls [][2]int
			e := tt.e
			e.Settings = base
			e.NewClassifier = fakeNew(&asked)
			e.Progress = func(done, total int) { calls = append(calls, [2]int{done, total}) }
			r, err := e.Run(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Results) != tt.results {
				t.Fatalf("%d results, want %d", len(r.Results), tt.results)
			}
			tt.check(t, r, asked)
			configs := max(1, tt.results, len(e.TreeRange))
			if n := len(calls); n != 4*configs+1 || calls[0] != [2]int{0, 4 * configs} || calls[n-1] != [2]int{4 * configs, 4 * configs} {
				t.Errorf("progress calls %v, want 0..%d", calls, 4*configs)
			}
		})
	}
	e := Experiment{Mode: ModeRun, Classifier: "bogus", Settings: base, NewClassifier: fakeNew(new([]map[string]any))}
	if _, err := e.Run(context.Background(), d); err == nil || !strings.Contains(err.Error(), "classifier") {
		t.Errorf("bogus classifier: %v", err)
	}
}

// TestEvaluateScores: the scores returned summarise to the same result.
func TestEvaluateScores(t *testing.T) {
	d := synth(3, 30, 2, 0.5, 3)
	o := Options{Classifier: centroid{jitter: true}, Windows: []int{1, 4}, Seed: 2}
	res, scores, err := EvaluateScores(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Evaluate(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Summarize(scores, o.Windows, AggMean)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, plain) || !reflect.DeepEqual(res.Summary, again.Summary) || len(scores) != 3 {
		t.Errorf("EvaluateScores %+v\nEvaluate %+v", res.Summary, plain.Summary)
	}
}

func TestDefectNotes(t *testing.T) {
	d := &preprocess.Table{Users: []string{"a", "a", "b"}, Names: []string{"x", "mina", "maxa"},
		X: [][]float64{{1, 2, 2}, {1, 2, 2}, {Placeholder, 3, 3}}}
	notes := DefectNotes("f.csv", d)
	if len(notes) != 3 || !strings.Contains(notes[0], "f.csv: 1 values are the placeholder") ||
		!strings.Contains(notes[1], "column(s) maxa repeat") || !strings.Contains(notes[2], "1 rows repeat") {
		t.Errorf("notes %q", notes)
	}
	if notes := DefectNotes("g.csv", synth(2, 5, 2, 1, 1)); len(notes) != 0 {
		t.Errorf("clean table: %q", notes)
	}
}

// cancelAt is the centroid classifier that cancels a context at its n-th
// fit (Ctrl-C in the middle of a run).
type cancelAt struct {
	centroid
	n      int64
	fits   *atomic.Int64
	cancel context.CancelFunc
}

func (c cancelAt) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (classify.Model, error) {
	if c.fits.Add(1) == c.n {
		c.cancel()
	}
	return c.centroid.Fit(ctx, X, genuine, rng)
}

// TestExperimentInterrupted: cancelled after some seeds (or, in the first
// seed, some compared configurations) finished, Run returns what finished,
// marked incomplete, with an error that is both ErrInterrupted and the
// context's.
func TestExperimentInterrupted(t *testing.T) {
	t.Parallel()
	d := synth(5, 40, 3, 0.8, 9)
	for _, tt := range []struct {
		name    string
		e       Experiment
		at      int64 // the fit that cancels: 5 users per configuration and seed
		results int
		seeds   []int64
		reason  string
	}{
		{"after seed 0 of 3", Experiment{Mode: ModeRun, Seeds: []int64{0, 1, 2}}, 7, 1, []int64{0}, "1 of 3 seeds"},
		{"after seeds 0 and 1", Experiment{Mode: ModeRun, Seeds: []int64{0, 1, 2}}, 12, 1, []int64{0, 1}, "2 of 3 seeds"},
		{"compare, in seed 0", Experiment{Mode: ModeCompare, Classifiers: []string{"a", "b", "c"}, Presets: []Preset{PresetPublished}}, 8, 1, nil, "1 of 3 configurations"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var fits atomic.Int64
			e := tt.e
			e.Settings = Settings{Windows: []int{1, 3}, Workers: 1}
			e.Stats.Resamples = 100
			e.NewClassifier = func(name string, _ map[string]any) (classify.Classifier, error) {
				return cancelAt{centroid: centroid{}, n: tt.at, fits: &fits, cancel: cancel}, nil
			}
			run, err := e.Run(ctx, d)
			if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want ErrInterrupted and context.Canceled", err)
			}
			if run == nil || run.Incomplete == nil || !strings.Contains(run.Incomplete.Reason, tt.reason) ||
				!reflect.DeepEqual(run.Incomplete.SeedsDone, tt.seeds) || len(run.Results) != tt.results {
				t.Fatalf("run %+v", run)
			}
			if st := run.Results[0].Summary[0].Stats; st == nil || st.Seeds != max(1, len(tt.seeds)) {
				t.Errorf("the finished part has no statistics over its seeds: %+v", st)
			}
		})
	}
	// Cancelled before anything finished: nothing to keep.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if run, err := (&Experiment{Mode: ModeRun, Settings: Settings{Windows: []int{1}}, NewClassifier: fakeNew(new([]map[string]any))}).Run(ctx, d); run != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled at once: run %v, err %v", run, err)
	}
}
