package evaluate

import (
	"context"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/mouseauth/mouseauth/classify"
)

func TestPresetDefaults(t *testing.T) {
	if c := PresetImproved.Classifier(); c != "gbdt" {
		t.Errorf("improved classifier %q, want gbdt", c)
	}
	if c := PresetPublished.Classifier(); c != "rf" {
		t.Errorf("reference classifier %q, want rf", c)
	}
	for _, p := range []Preset{PresetPublished, PresetImproved} {
		if _, err := classify.New(p.Classifier(), nil); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	s := Settings{Windows: []int{1}}
	if o := PresetOptions(PresetImproved, centroid{}, nil, s); o.NegativeRatio != ImprovedNegativeRatio || o.Params["negative_ratio"] != float64(ImprovedNegativeRatio) {
		t.Errorf("improved negative ratio %v (params %v), want %d", o.NegativeRatio, o.Params["negative_ratio"], ImprovedNegativeRatio)
	}
	if o := PresetOptions(PresetPublished, centroid{}, nil, s); o.NegativeRatio != 1 || o.Aggregate != AggMean {
		t.Errorf("reference: ratio %v, aggregate %s; want the published 1 and mean", o.NegativeRatio, o.Aggregate)
	}
	s.NegativeRatio = 2
	if o := PresetOptions(PresetImproved, centroid{}, nil, s); o.NegativeRatio != 2 {
		t.Errorf("--neg-ratio 2 under improved: %v", o.NegativeRatio)
	}
	for _, tc := range []struct {
		classifier string
		trees      int
		want       map[string]any
	}{
		{"rf", 50, map[string]any{"trees": 50}},
		{"et", 50, map[string]any{"trees": 50}},
		{"gbdt", 50, map[string]any{}},
		{"rf", 0, map[string]any{}}, // the classifier's default
	} {
		if got := ClassifierParams(tc.classifier, tc.trees); len(got) != len(tc.want) || got["trees"] != tc.want["trees"] {
			t.Errorf("ClassifierParams(%s, %d) = %v, want %v", tc.classifier, tc.trees, got, tc.want)
		}
	}
}

// TestExperimentPresetClassifier: an experiment that names no classifier
// trains the preset's, as `mouseauth evaluate` does with no --classifier.
func TestExperimentPresetClassifier(t *testing.T) {
	d := synth(3, 30, 3, 0.5, 1)
	for _, p := range []Preset{PresetPublished, PresetImproved} {
		var asked []string
		e := Experiment{Mode: ModeRun, Preset: p, Settings: Settings{Windows: []int{1}},
			NewClassifier: func(name string, _ map[string]any) (classify.Classifier, error) {
				asked = append(asked, name)
				return centroid{}, nil
			}}
		if _, err := e.Run(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		if len(asked) != 1 || asked[0] != p.Classifier() {
			t.Errorf("%s: built %v, want %s", p, asked, p.Classifier())
		}
	}
}

// negCounter records the training negatives of each fit.
type negCounter struct {
	mu   *sync.Mutex
	negs *[]int
}

func (negCounter) Name() string { return "count" }

func (c negCounter) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (classify.Model, error) {
	n := 0
	for _, g := range genuine {
		if !g {
			n++
		}
	}
	c.mu.Lock()
	*c.negs = append(*c.negs, n)
	c.mu.Unlock()
	return centroid{}.Fit(ctx, X, genuine, rng)
}

// TestImprovedRatioOnSmallFile: under the reference protocol, a file whose
// other users hold fewer actions than the improved preset's 8 negatives
// per positive keeps every user: each trains on all the other users'
// actions but its test negatives. The published ratio (1) is unchanged.
func TestImprovedRatioOnSmallFile(t *testing.T) {
	d := synth(4, 30, 3, 0.5, 2) // per user: 20 train, 10 test; 90 other actions
	for _, tc := range []struct {
		ratio float64
		want  int
	}{
		{ImprovedNegativeRatio, 90 - 10}, // 160 asked, 80 left after the test negatives
		{2, 40},
		{1, 20},
	} {
		var mu sync.Mutex
		var negs []int
		res, err := Evaluate(context.Background(), d, Options{Classifier: negCounter{&mu, &negs}, NegativeRatio: tc.ratio})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Skipped) > 0 || len(negs) != 4 {
			t.Fatalf("ratio %v: %d fits, skipped %v", tc.ratio, len(negs), res.Skipped)
		}
		for _, n := range negs {
			if n != tc.want {
				t.Errorf("ratio %v: %d training negatives, want %d", tc.ratio, n, tc.want)
			}
		}
	}
	// A user whose others are too few even for one negative per positive
	// is still skipped: "big" (30 actions: 20 train, 10 test) has 12 others.
	small := synth(3, 6, 3, 0.5, 3)
	for i, u := range small.Users {
		if u == "u0" {
			small.Users[i] = "big"
		}
	}
	big := synth(1, 24, 3, 0.5, 4)
	for i := range big.Users {
		small.Users, small.X = append(small.Users, "big"), append(small.X, big.X[i])
	}
	res, err := Evaluate(context.Background(), small, Options{Classifier: centroid{}, NegativeRatio: ImprovedNegativeRatio})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].User != "big" {
		t.Errorf("skipped %v, want big alone", res.Skipped)
	}
}

func TestPresetAliases(t *testing.T) {
	for in, want := range map[string]Preset{"published": PresetPublished, "reference": PresetPublished, "improved": PresetImproved} {
		if p, err := ParsePreset(in); err != nil || p != want {
			t.Errorf("ParsePreset(%q) = %q, %v; want %q", in, p, err, want)
		}
	}
	if DefaultPreset != PresetImproved || DefaultPreset.Classifier() != "gbdt" {
		t.Errorf("default preset %q (%s)", DefaultPreset, DefaultPreset.Classifier())
	}
}

// rowRecorder records the training rows of each fit, by user (the first
// genuine row identifies it).
type rowRecorder struct {
	mu   *sync.Mutex
	fits map[float64][][]float64
}

func (rowRecorder) Name() string { return "rows" }

func (c rowRecorder) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (classify.Model, error) {
	c.mu.Lock()
	c.fits[X[0][0]] = append([][]float64(nil), X...)
	c.mu.Unlock()
	return centroid{}.Fit(ctx, X, genuine, rng)
}

// TestBackgroundNegativesInEvaluation: the improved preset trains on its
// background negatives in the evaluation as in enrolment, one per genuine
// training row, appended after the impostor rows, which stay the rows
// drawn without them; the same seed gives the same rows.
func TestBackgroundNegativesInEvaluation(t *testing.T) {
	t.Parallel()
	if o := PresetOptions(PresetImproved, centroid{}, nil, Settings{}); o.Background != classify.ImprovedBackground || o.Params["background"] != o.Background {
		t.Errorf("improved: background %v (params %v)", o.Background, o.Params)
	}
	if o := PresetOptions(PresetPublished, centroid{}, nil, Settings{}); o.Background != 0 {
		t.Errorf("published: background %v", o.Background)
	}
	d := synth(4, 60, 3, 0.5, 5) // per user: 40 train, 20 test
	run := func(bg float64) map[float64][][]float64 {
		rec := rowRecorder{&sync.Mutex{}, map[float64][][]float64{}}
		if _, err := Evaluate(context.Background(), d, Options{Classifier: rec, NegativeRatio: 2, Background: bg, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		return rec.fits
	}
	without, with, again := run(0), run(1), run(1)
	if len(with) != 4 || !reflect.DeepEqual(with, again) {
		t.Fatalf("%d users; reproducible %v", len(with), reflect.DeepEqual(with, again))
	}
	for k, w := range with {
		base := without[k]
		if len(base) != 40+80 || len(w) != len(base)+40 {
			t.Fatalf("%d rows without background, %d with; want 120 and 160", len(base), len(w))
		}
		if !reflect.DeepEqual(w[:len(base)], base) {
			t.Error("the background changed the genuine or impostor rows")
		}
	}
	if _, err := Evaluate(context.Background(), d, Options{Classifier: centroid{}, Background: -1}); err == nil {
		t.Error("negative background accepted")
	}
}
