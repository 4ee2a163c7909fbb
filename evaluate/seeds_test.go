package evaluate

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/testutil"
)

func TestNewSeedStat(t *testing.T) {
	t.Parallel()
	if s := NewSeedStat([]float64{1, 2, 3, 4}); s.Mean != 2.5 || math.Abs(s.SD-math.Sqrt(5.0/3)) > 1e-12 {
		t.Errorf("NewSeedStat %+v (want the sample sd)", s)
	}
}

// TestExperimentSeeds checks that a multi-seed run is the seeds' runs
// merged: every per-seed figure is the one-seed run's, the spreads and
// differences are computed from them.
func TestExperimentSeeds(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "every experiment mode over three seeds, about 20 s")
	d := synth(5, 40, 3, 1.2, 6)
	jittered := func(name string, _ map[string]any) (classify.Classifier, error) {
		return namedCentroid{centroid{jitter: true}, name}, nil
	}
	seeds := []int64{0, 1, 2}
	base := Settings{Windows: []int{1, 3}, Protocol: Strict}
	one := func(mode Mode, seed int64) *Run {
		e := Experiment{Mode: mode, Settings: base, Preset: PresetPublished, Classifier: "c", Trees: 10, TreeRange: []int{10, 20},
			Classifiers: []string{"a", "b"}, Presets: []Preset{PresetPublished, PresetImproved}, NewClassifier: jittered}
		e.Seed = seed
		r, err := e.Run(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("run", func(t *testing.T) {
		e := Experiment{Mode: ModeRun, Settings: base, Preset: PresetPublished, Classifier: "c", Trees: 10, Seeds: seeds, NewClassifier: jittered}
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
		// The per-user details are the first seed's; the summary is over
		// every seed: each user's AUC averaged over the seeds, then over
		// users, the same as the mean over seeds of the seeds' means.
		first := one(ModeRun, 0).Results[0]
		if !reflect.DeepEqual(run.Results[0].Users, first.Users) || run.Results[0].Seed != 0 {
			t.Error("the details are not the first seed's")
		}
		sum := run.Results[0].Summary[0]
		sp := sum.Seeds
		if want := NewSeedStat(sp.MeanAUC.Values); sp.MeanAUC.Mean != want.Mean || sp.MeanAUC.SD != want.SD || want.SD == 0 {
			t.Errorf("spread %+v", sp.MeanAUC)
		}
		st := sum.Stats
		if st == nil || math.Abs(sum.MeanAUC-sp.MeanAUC.Mean) > 1e-12 || math.Abs(st.MeanAUC.Value-sum.MeanAUC) > 1e-12 ||
			st.Seeds != 3 || st.Users != 5 || st.SDAUCSeeds == nil || math.Abs(*st.SDAUCSeeds-sp.MeanAUC.SD) > 1e-12 {
			t.Errorf("summary %+v, stats %+v", sum, st)
		}
		if !st.MeanAUC.HasInterval() || *st.MeanAUC.Lo > st.MeanAUC.Value || *st.MeanAUC.Hi < st.MeanAUC.Value {
			t.Errorf("mean AUC interval %+v", st.MeanAUC)
		}
		if len(run.ScoreSets) != 1 || len(run.ScoreSets[0].Scores) != 3 || run.Settings == nil || len(run.Settings.Seeds) != 3 {
			t.Errorf("score sets %d, settings %+v", len(run.ScoreSets), run.Settings)
		}
	})

	t.Run("compare", func(t *testing.T) {
		e := Experiment{Mode: ModeCompare, Settings: base, Trees: 10, Classifiers: []string{"a", "b"},
			Presets: []Preset{PresetPublished, PresetImproved}, Seeds: seeds, NewClassifier: jittered}
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
		if d0.A != "a preset=published" || d0.B != "a preset=improved" || d0.Window != 1 || d0.Seeds != 3 || d0.Users != 5 {
			t.Errorf("first difference %+v", d0)
		}
		// The difference is the mean over users of each user's AUC
		// difference averaged over the seeds.
		diff := map[string]float64{}
		for _, seed := range seeds {
			r := one(ModeCompare, seed)
			for _, u := range r.Results[1].Users {
				if u.Window == 1 {
					diff[u.User] += u.AUC / 3
				}
			}
			for _, u := range r.Results[0].Users {
				if u.Window == 1 {
					diff[u.User] -= u.AUC / 3
				}
			}
		}
		var want float64
		for _, v := range diff {
			want += v / float64(len(diff))
		}
		if math.Abs(d0.Diff.Value-want) > 1e-12 || !d0.Diff.HasInterval() || d0.WilcoxonP == nil || d0.DeLong == nil || d0.DeLong.Seeds != 3 {
			t.Errorf("difference %+v, want %v", d0, want)
		}
		if d0.IntervalExcludesZero != (*d0.Diff.Lo > 0 || *d0.Diff.Hi < 0) {
			t.Errorf("interval %v..%v, excludes zero %v", *d0.Diff.Lo, *d0.Diff.Hi, d0.IntervalExcludesZero)
		}
		// One ranking per window, each naming a best and comparing it with
		// the three others.
		if len(run.Rankings) != 2 || len(run.Rankings[0].Versus) != 3 || run.Rankings[0].Best == "" {
			t.Fatalf("rankings %+v", run.Rankings)
		}
		for _, r := range run.Rankings {
			if r.Distinct != (len(r.Ties) == 0) {
				t.Errorf("ranking %+v: distinct with ties", r)
			}
		}
	})

	t.Run("sweep", func(t *testing.T) {
		e := Experiment{Mode: ModeSweep, Settings: base, Classifier: "rf", TreeRange: []int{10, 20, 30}, Seeds: seeds, NewClassifier: jittered}
		run, err := e.Run(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		// One ranking over the 6 cells: the best against the 5 others.
		if len(run.Sweeps) != 6 || len(run.Rankings) != 1 || run.Sweeps[0].Seeds == nil || len(run.Rankings[0].Versus) != 5 {
			t.Fatalf("sweeps %d, rankings %+v", len(run.Sweeps), run.Rankings)
		}
		best, ties := 0, 0
		for _, p := range run.Sweeps {
			if p.Best {
				best++
				if run.Rankings[0].Best != sweepCellName(p) {
					t.Errorf("best %q, ranking %q", sweepCellName(p), run.Rankings[0].Best)
				}
			}
			if p.TiesBest {
				ties++
			}
			if p.Stats == nil || p.Stats.Pooled.AUC.HasInterval() || math.Abs(p.MeanAUC-p.Stats.MeanAUC.Value) > 1e-12 {
				t.Errorf("point %+v", p)
			}
		}
		if best != 1 || ties != len(run.Rankings[0].Ties) {
			t.Errorf("%d best, %d ties, ranking %+v", best, ties, run.Rankings[0])
		}
		if sp := run.Sweeps[5].Seeds; len(sp.MeanAUC.Values) != 3 {
			t.Errorf("sweep spread %+v", sp)
		}
	})

	t.Run("threshold pools the seeds", func(t *testing.T) {
		e := Experiment{Mode: ModeThreshold, Settings: base, Classifier: "c", Seeds: seeds, Thresholds: ThresholdRules{Values: []float64{0.5}}, NewClassifier: jittered}
		run, err := e.Run(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		// FMR at 0.5 pooled over the seeds' windows of size 1.
		var acc, n int
		for _, seed := range run.ScoreSets[0].Scores {
			for _, us := range seed {
				for _, s := range us.Impostor {
					for _, v := range s {
						n++
						if v >= 0.5 {
							acc++
						}
					}
				}
			}
		}
		if len(run.Thresholds) != 2 || math.Abs(run.Thresholds[0].FMR-float64(acc)/float64(n)) > 1e-12 || n == 0 {
			t.Errorf("thresholds %+v, want FMR %d/%d", run.Thresholds, acc, n)
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
