package evaluate

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
)

func TestPaired(t *testing.T) {
	t.Parallel()
	// Differences 1, 1, 2: mean 4/3, sample sd sqrt(1/3), SE 1/3.
	m, se, beyond := Paired([]float64{1, 2, 3}, []float64{2, 3, 5})
	if math.Abs(m-4.0/3) > 1e-12 || math.Abs(se-1.0/3) > 1e-12 || !beyond {
		t.Errorf("Paired = %v, %v, %v", m, se, beyond)
	}
	// Mean 0.1, SE 0.1: within 2 SE.
	if m, se, beyond := Paired([]float64{0, 0}, []float64{0, 0.2}); math.Abs(m-0.1) > 1e-12 || math.Abs(se-0.1) > 1e-12 || beyond {
		t.Errorf("noise judged beyond: %v, %v, %v", m, se, beyond)
	}
	// The same difference at every seed is beyond noise; none is not.
	if _, se, beyond := Paired([]float64{1, 2}, []float64{1.5, 2.5}); se != 0 || !beyond {
		t.Errorf("constant difference: se %v beyond %v", se, beyond)
	}
	if _, _, beyond := Paired([]float64{1, 2}, []float64{1, 2}); beyond {
		t.Error("no difference judged beyond noise")
	}
	if m, _, beyond := Paired([]float64{1}, []float64{2}); !math.IsNaN(m) || beyond {
		t.Errorf("one seed: %v %v", m, beyond)
	}
	if m, se, beyond := PublishedDifference(0.5, []float64{0.6, 0.7, 0.8}); math.Abs(m-0.2) > 1e-12 || math.Abs(se-0.1/math.Sqrt(3)) > 1e-12 || !beyond {
		t.Errorf("PublishedDifference = %v, %v, %v", m, se, beyond)
	}
	if s := NewSeedStat([]float64{1, 2, 3, 4}); s.Mean != 2.5 || math.Abs(s.SD-math.Sqrt(5.0/3)) > 1e-12 {
		t.Errorf("NewSeedStat %+v (want the sample sd)", s)
	}
}

// TestExperimentSeeds checks that a multi-seed run is the seeds' runs
// merged: every per-seed figure is the one-seed run's, the spreads and
// differences are computed from them.
func TestExperimentSeeds(t *testing.T) {
	t.Parallel()
	d := synth(5, 40, 3, 1.2, 6)
	jittered := func(name string, _ map[string]any) (classify.Classifier, error) {
		return namedCentroid{centroid{jitter: true}, name}, nil
	}
	seeds := []int64{0, 1, 2}
	base := Settings{Windows: []int{1, 3}, Protocol: Strict}
	one := func(mode Mode, seed int64) *Run {
		e := Experiment{Mode: mode, Settings: base, Preset: PresetReference, Classifier: "c", Trees: 10, TreeRange: []int{10, 20},
			Classifiers: []string{"a", "b"}, Presets: []Preset{PresetReference, PresetImproved}, NewClassifier: jittered}
		e.Seed = seed
		r, err := e.Run(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("run", func(t *testing.T) {
		e := Experiment{Mode: ModeRun, Settings: base, Preset: PresetReference, Classifier: "c", Trees: 10, Seeds: seeds, NewClassifier: jittered}
		var last int
		e.Progress = func(_, total int) { last = total }
		run, err := e.Run(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if last != 5*3 {
			t.Errorf("progress total %d, want users x seeds = 15", last)
		}
		if len(run.Results) != 1 || len(run.PerSeed) != 3 || len(run.Seeds) != 3 {
			t.Fatalf("run %+v", run)
		}
		for k, seed := range seeds {
			alone := one(ModeRun, seed).Results[0]
			for j, s := range run.Results[0].Summary {
				if s.Seeds.MeanAUC.Values[k] != alone.Summary[j].MeanAUC || s.Seeds.SDAUC.Values[k] != alone.Summary[j].SDAUC ||
					s.Seeds.MeanEER.Values[k] != alone.Summary[j].MeanEER {
					t.Errorf("seed %d window %d: %+v vs alone %+v", seed, s.Window, s.Seeds, alone.Summary[j])
				}
			}
			ps := run.PerSeed[k]
			if ps.Seed != seed || ps.Results[0].Summary[0].MeanAUC != alone.Summary[0].MeanAUC || len(ps.Results[0].Users[0].ROC.FPR) != 0 {
				t.Errorf("per seed %d: %+v", seed, ps.Results[0].Summary[0])
			}
		}
		// The details are the first seed's.
		if first := one(ModeRun, 0).Results[0]; run.Results[0].Summary[0].MeanAUC != first.Summary[0].MeanAUC || run.Results[0].Seed != 0 {
			t.Error("the details are not the first seed's")
		}
		sp := run.Results[0].Summary[0].Seeds
		if want := NewSeedStat(sp.MeanAUC.Values); sp.MeanAUC.Mean != want.Mean || sp.MeanAUC.SD != want.SD || want.SD == 0 {
			t.Errorf("spread %+v", sp.MeanAUC)
		}
	})

	t.Run("compare", func(t *testing.T) {
		e := Experiment{Mode: ModeCompare, Settings: base, Trees: 10, Classifiers: []string{"a", "b"},
			Presets: []Preset{PresetReference, PresetImproved}, Seeds: seeds, NewClassifier: jittered}
		run, err := e.Run(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		// a/ref, a/imp, b/ref, b/imp: a/imp against a/ref (preset), b/ref
		// against a/ref (classifier), b/imp against a/imp (classifier) and
		// b/ref (preset); two windows each.
		if len(run.Differences) != 4*2 {
			t.Fatalf("%d differences: %+v", len(run.Differences), run.Differences)
		}
		d0 := run.Differences[0]
		if d0.A != "a preset=reference" || d0.B != "a preset=improved" || d0.Window != 1 || d0.Seeds != 3 {
			t.Errorf("first difference %+v", d0)
		}
		var a, b []float64
		for _, seed := range seeds {
			r := one(ModeCompare, seed)
			a, b = append(a, r.Results[0].Summary[0].MeanAUC), append(b, r.Results[1].Summary[0].MeanAUC)
		}
		if m, se, beyond := Paired(a, b); d0.MeanDiff != m || d0.SE != se || d0.BeyondNoise != beyond {
			t.Errorf("difference %+v, want %v ± %v (%v)", d0, m, se, beyond)
		}
	})

	t.Run("sweep", func(t *testing.T) {
		e := Experiment{Mode: ModeSweep, Settings: base, Classifier: "rf", TreeRange: []int{10, 20, 30}, Seeds: seeds, NewClassifier: jittered}
		run, err := e.Run(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		// Adjacent tree counts at each of 2 windows.
		if len(run.Sweeps) != 6 || len(run.Differences) != 4 || run.Sweeps[0].Seeds == nil {
			t.Fatalf("sweeps %d, differences %+v", len(run.Sweeps), run.Differences)
		}
		if d := run.Differences[0]; d.A != "trees=10" || d.B != "trees=20" || d.Window != 1 || d.Kind != "sweep" {
			t.Errorf("difference %+v", d)
		}
		if sp := run.Sweeps[5].Seeds; len(sp.MeanAUC.Values) != 3 || len(sp.MeanAccuracy.Values) != 0 {
			t.Errorf("sweep spread %+v", sp)
		}
	})

	t.Run("threshold refuses seeds", func(t *testing.T) {
		e := Experiment{Mode: ModeThreshold, Settings: base, Classifier: "c", Seeds: seeds, Thresholds: []float64{0.5}, NewClassifier: jittered}
		if _, err := e.Run(context.Background(), d); err == nil || !strings.Contains(err.Error(), "one seed") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("params", func(t *testing.T) {
		var asked []map[string]any
		e := Experiment{Mode: ModeRun, Settings: base, Classifier: "rf", Trees: 10, Params: map[string]any{"min_leaf": 3}, NewClassifier: fakeNew(&asked)}
		run, err := e.Run(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(asked) != 1 || asked[0]["trees"] != 10 || asked[0]["min_leaf"] != 3 || run.Results[0].Params["min_leaf"] != 3 {
			t.Errorf("asked %v, recorded %v", asked, run.Results[0].Params)
		}
	})
}

// namedCentroid is the centroid classifier under another name.
type namedCentroid struct {
	centroid
	name string
}

func (c namedCentroid) Name() string { return c.name }

func TestMergeSeedsShape(t *testing.T) {
	t.Parallel()
	if _, err := MergeSeeds([]int64{0}, []*Run{{}}); err == nil {
		t.Error("one seed merged")
	}
	if _, err := MergeSeeds([]int64{0, 1}, []*Run{{Results: []Result{{}}}, {}}); err == nil || !strings.Contains(err.Error(), "another shape") {
		t.Errorf("err = %v", err)
	}
}

// TestManifestFolder: a folder of raw logs is one input whose hash changes
// with any file's content or name.
func TestManifestFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("user1/session_a", "abc")
	write("user2/session_b", "de")
	hash := func() Input {
		m, err := NewManifest(nil, "", 0, time.Time{}, dir)
		if err != nil {
			t.Fatal(err)
		}
		return m.Inputs[0]
	}
	a := hash()
	if a.Bytes != 5 || len(a.SHA256) != 64 || a.Path != dir || hash() != a {
		t.Fatalf("input %+v", a)
	}
	write("user2/session_b", "dE")
	b := hash()
	if b.SHA256 == a.SHA256 {
		t.Error("a changed file keeps the hash")
	}
	if err := os.Rename(filepath.Join(dir, "user2/session_b"), filepath.Join(dir, "user2/session_c")); err != nil {
		t.Fatal(err)
	}
	if c := hash(); c.SHA256 == b.SHA256 {
		t.Error("a renamed file keeps the hash")
	}
}
