package classify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestBinCuts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []float64
		bins   int
		want   int // cuts
	}{
		{"constant", []float64{3, 3, 3}, 255, 0},
		{"few distinct values: one cut between each", []float64{2, 1, 1, 3, 2}, 255, 2},
		{"more distinct values than bins", func() []float64 {
			v := make([]float64, 1000)
			for i := range v {
				v[i] = float64(i % 500)
			}
			return v
		}(), 16, 15},
		{"one heavy value", append(slices.Repeat([]float64{0}, 900), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 4, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cuts := binCuts(tc.values, tc.bins)
			if len(cuts) > tc.want || (tc.want > 0 && len(cuts) == 0) {
				t.Errorf("%d cuts, want %d at most and at least one", len(cuts), tc.want)
			}
			if tc.name != "one heavy value" && len(cuts) != tc.want {
				t.Errorf("%d cuts, want %d", len(cuts), tc.want)
			}
			if !slices.IsSorted(cuts) {
				t.Errorf("cuts %v not ascending", cuts)
			}
			// Every cut separates two distinct values: some value lies on
			// each side, none on the cut's far side of its neighbour.
			for _, c := range cuts {
				var below, above bool
				for _, v := range tc.values {
					below = below || v <= c
					above = above || v > c
				}
				if !below || !above {
					t.Errorf("cut %v does not separate the values", c)
				}
			}
		})
	}
}

// TestGBDTParamsChecked: values New cannot refuse (the specs have no upper
// bound) are refused by Fit, naming the parameter; none is silently
// replaced by a default.
func TestGBDTParamsChecked(t *testing.T) {
	t.Parallel()
	X, y := toy(3, 60, 3, 2)
	for _, tc := range []struct {
		b    GBDT
		want string
	}{
		{GBDT{Subsample: 1.5}, "subsample 1.5"},
		{GBDT{ColSample: 2}, "colsample 2"},
		{GBDT{Bins: 300}, "bins 300"},
		{GBDT{Bins: 1}, "bins 1"},
		{GBDT{LearningRate: math.Inf(1)}, "learning_rate +Inf"},
		{GBDT{Rounds: -1}, "rounds -1"},
	} {
		if _, err := tc.b.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.b, err, tc.want)
		}
	}
	if _, err := New("gbdt", map[string]any{"subsample": 0}); err == nil || !strings.Contains(err.Error(), "must be > 0") {
		t.Errorf("New subsample=0: %v", err)
	}
}

// TestGBDTLearnsInteraction: boosting depth-2 trees learns an XOR of two
// features that no single split separates.
func TestGBDTLearnsInteraction(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(4, 4))
	mk := func(n int) ([][]float64, []bool) {
		X, y := make([][]float64, n), make([]bool, n)
		for i := range X {
			a, b := r.Float64()*2-1, r.Float64()*2-1
			X[i] = []float64{a, b, r.NormFloat64()}
			y[i] = (a > 0) != (b > 0)
		}
		return X, y
	}
	X, y := mk(600)
	Xt, yt := mk(300)
	m, err := GBDT{MaxDepth: 2, Rounds: 100}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	s := make([]float64, len(Xt))
	for i, x := range Xt {
		s[i] = m.Score(x)
	}
	if a := auc(s, yt); a < 0.95 {
		t.Errorf("AUC %.3f on XOR, want >= 0.95", a)
	}
}

// TestGBDTRefusesInvalidModels: gbdt payloads with a valid checksum that do
// not fit the schema or hold impossible values are refused by Load with
// ErrInvalid, saying what is wrong; Save refuses what Load would.
func TestGBDTRefusesInvalidModels(t *testing.T) {
	t.Parallel()
	hdr := Header{Classifier: "gbdt", FeatureNames: names(39), Extractor: "x", Convention: "clean"}
	split := func(f int, thr float32) []byte { return cat([]byte{gbSplit32, byte(f)}, f32(thr)) }
	leaf := func(v float32) []byte { return cat([]byte{gbLeaf32}, f32(v)) }
	good := cat(f64(0.1), []byte{1}, split(2, 0.5), leaf(-1), leaf(1))
	if sm, err := Load(bytes.NewReader(v2File(t, hdr, good))); err != nil {
		t.Fatalf("a valid payload: %v", err)
	} else if s := sm.Model.Score(make([]float64, 39)); math.Abs(s-1/(1+math.Exp(-(0.1-1)))) > 1e-7 {
		t.Fatalf("valid payload scores %v", s)
	}
	for _, tc := range []struct {
		name    string
		payload []byte
		want    string
	}{
		{"feature 39 of 39", cat(f64(0), []byte{1}, split(39, 0.5), leaf(0), leaf(1)), "feature 39; the schema has 39"},
		{"feature 300 (long form)", cat(f64(0), []byte{1, gbSplit64, 0xac, 0x02}, f64(0.5), leaf(0), leaf(1)), "feature 300"},
		{"NaN base", cat(f64(math.NaN()), []byte{1}, leaf(0)), "base is NaN"},
		{"infinite base", cat(f64(math.Inf(1)), []byte{1}, leaf(0)), "base is +Inf"},
		{"NaN threshold", cat(f64(0), []byte{1}, split(2, float32(math.NaN())), leaf(0), leaf(1)), "threshold NaN"},
		{"infinite threshold", cat(f64(0), []byte{1, gbSplit64, 2}, f64(math.Inf(-1)), leaf(0), leaf(1)), "threshold -Inf"},
		{"NaN leaf", cat(f64(0), []byte{1}, split(2, 0.5), leaf(float32(math.NaN())), leaf(1)), "leaf value NaN"},
		{"infinite leaf", cat(f64(0), []byte{1}, leaf(float32(math.Inf(1)))), "leaf value +Inf"},
		{"unknown tag", cat(f64(0), []byte{1, 9}), "unknown tag 9"},
		{"tree cut short", cat(f64(0), []byte{1}, split(2, 0.5), leaf(0)), "truncated"},
		{"missing tree", cat(f64(0), []byte{2}, leaf(0)), "truncated"},
		{"no trees", cat(f64(0), []byte{0}), "0 trees"},
		{"bytes after the trees", cat(f64(0), []byte{1}, leaf(0), []byte{7}), "1 bytes after"},
		{"no base", []byte{1, 2}, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm, err := Load(bytes.NewReader(v2File(t, hdr, tc.payload)))
			if err == nil {
				_, perr := scoreOrPanic(sm.Model, make([]float64, 39))
				t.Fatalf("accepted (then: %v)", perr)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to say %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		m    *GBDTModel
		want string
	}{
		{"feature outside the schema", &GBDTModel{D: 39, Trees: [][]fnode{{{feat: 39, v: 0.5, right: 2}, {feat: -1}, {feat: -1}}}}, "feature 39"},
		{"leaf not a float32", &GBDTModel{D: 39, Trees: [][]fnode{{{feat: -1, v: 0.1}}}}, "not a float32"},
		{"no trees", &GBDTModel{D: 39}, "0 trees"},
		{"NaN base", &GBDTModel{D: 39, Base: math.NaN(), Trees: [][]fnode{{{feat: -1}}}}, "base NaN"},
	} {
		if err := Save(io.Discard, &SavedModel{Model: tc.m, Header: hdr}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Save %s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestExtraTreesModelFile: an et model is saved as "et" and loads as one;
// its payload is validated as the forest's.
func TestExtraTreesModelFile(t *testing.T) {
	t.Parallel()
	X, y := toy(5, 200, 4, 2)
	m, err := ExtraTrees{Trees: 5}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Save(&b, &SavedModel{Model: m, Header: Header{FeatureNames: names(4)}}); err != nil {
		t.Fatal(err)
	}
	sm, err := Load(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sm.Model.(*ExtraTreesModel); !ok || sm.Header.Classifier != "et" {
		t.Errorf("loaded %T as %q", sm.Model, sm.Header.Classifier)
	}
	// A tree on feature 39, valid for 40 features, under a schema of 39.
	wide := &ExtraTreesModel{ForestModel{D: 40, Trees: [][]fnode{{{feat: 39, v: 0.5, right: 2}, {feat: -1, v: 0}, {feat: -1, v: 1}}}}}
	hdr := Header{Classifier: "et", FeatureNames: names(39)}
	if _, err := Load(bytes.NewReader(v2File(t, hdr, payloadOf(t, wide)))); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "feature 39; the schema has 39") {
		t.Errorf("et naming feature 39 of 39: %v", err)
	}
}

// TestRandomThreshold: the threshold lies in [a, b) whatever the range, so
// both sides of an extra-trees split hold a row.
func TestRandomThreshold(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(6, 6))
	for _, ab := range [][2]float64{
		{0, 1}, {-3, -2}, {1, math.Nextafter(1, 2)}, {1e300, math.MaxFloat64}, {-math.MaxFloat64, math.MaxFloat64},
		{0.1, 0.1 + 1e-12}, {-1e-320, 1e-320}, {16777216, 16777218},
	} {
		for range 200 {
			if v := randomThreshold(r, ab[0], ab[1]); !(v >= ab[0] && v < ab[1]) {
				t.Fatalf("threshold %v outside [%v, %v)", v, ab[0], ab[1])
			}
		}
	}
}

// TestGBDTScoresForEqualPriors: trained on 8 impostor rows per genuine row,
// the score is still the probability for equal priors: on data where the
// classes overlap, the mean score of fresh rows of either class is near
// 0.5, not near the training share of genuine rows (1/9).
func TestGBDTScoresForEqualPriors(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	mk := func(n int) ([][]float64, []bool) {
		X, y := make([][]float64, n), make([]bool, n)
		for i := range X {
			y[i] = i%9 == 0
			X[i] = []float64{r.NormFloat64(), r.NormFloat64()}
			if y[i] {
				X[i][0] += 0.5
			}
		}
		return X, y
	}
	X, y := mk(1800)
	m, err := GBDT{Rounds: 50, Bags: 1}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if b := m.(*GBDTModel).Base; b != 0 {
		t.Errorf("base %v, want 0", b)
	}
	Xt, _ := mk(900)
	var sum float64
	for _, x := range Xt {
		sum += m.Score(x)
	}
	if mean := sum / float64(len(Xt)); mean < 0.3 || mean > 0.7 {
		t.Errorf("mean score %.3f on overlapping classes, want near 0.5 (the training prior is 1/9)", mean)
	}
}
