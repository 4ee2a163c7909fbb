package evaluate

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/preprocess"
)

func TestEvaluateSeparable(t *testing.T) {
	t.Parallel()
	d := synth(5, 60, 4, 0.5, 1)
	for _, p := range []Protocol{Reference, Strict} {
		t.Run(string(p), func(t *testing.T) {
			res, err := Evaluate(context.Background(), d, Options{Protocol: p, Classifier: centroid{}, Windows: []int{1, 5}, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Summary) != 2 || len(res.Users) != 10 {
				t.Fatalf("%d summaries, %d user results; want 2, 10", len(res.Summary), len(res.Users))
			}
			for _, s := range res.Summary {
				if s.MeanAUC < 0.95 || s.Users != 5 {
					t.Errorf("window %d: mean AUC %.3f over %d users, want >= 0.95 over 5 (well separated users)", s.Window, s.MeanAUC, s.Users)
				}
			}
			// Test windows: genuine 60-40=20 actions; window 5 gives 16.
			for _, u := range res.Users {
				if u.Window == 5 && u.Genuine != 16 {
					t.Errorf("user %s window 5: %d genuine windows, want 16", u.User, u.Genuine)
				}
				if p == Reference && u.Window == 1 && u.Impostor != 20 {
					t.Errorf("user %s: %d impostor windows, want 20 (balanced)", u.User, u.Impostor)
				}
			}
		})
	}
}

func TestEvaluateChance(t *testing.T) {
	t.Parallel()
	// All users drawn from the same distribution: AUC must be near 0.5, not
	// inflated by the protocol.
	d := &preprocess.Table{}
	rng := rand.New(rand.NewPCG(9, 9))
	for u := range 6 {
		for range 150 {
			d.Users = append(d.Users, strconv.Itoa(u))
			d.X = append(d.X, []float64{rng.NormFloat64(), rng.NormFloat64()})
		}
	}
	res, err := Evaluate(context.Background(), d, Options{Classifier: centroid{}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Summary[0].MeanAUC; math.Abs(a-0.5) > 0.1 {
		t.Errorf("indistinguishable users: mean AUC %.3f, want about 0.5", a)
	}
}

func TestEvaluateReproducible(t *testing.T) {
	d := synth(6, 40, 3, 1.5, 2)
	run := func(procs int, seed int64) Result {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		res, err := Evaluate(context.Background(), d, Options{Protocol: Strict, Classifier: centroid{jitter: true},
			Windows: []int{1, 3}, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run(1, 7), run(4, 7), run(4, 7)
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(b, c) {
		t.Error("same seed, GOMAXPROCS 1 vs 4 (or two runs): results differ")
	}
	if reflect.DeepEqual(a, run(4, 8)) {
		t.Error("different seeds gave identical results: seed unused")
	}
}

// recorder remembers the training rows it was given (feature 0 holds the
// row's user number) for leakage checks.
type recorder struct {
	mu    sync.Mutex
	train map[float64][]float64 // genuine user -> users of the negatives
}

func (*recorder) Name() string { return "recorder" }

func (r *recorder) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (classify.Model, error) {
	var g float64
	var negs []float64
	for i, x := range X {
		if genuine[i] {
			g = x[0]
		} else {
			negs = append(negs, x[0])
		}
	}
	r.mu.Lock()
	r.train[g] = negs
	r.mu.Unlock()
	return centroid{}.Fit(ctx, X, genuine, rng)
}

func TestStrictLeavesImpostorsOut(t *testing.T) {
	t.Parallel()
	d := synth(7, 30, 2, 1, 4)
	for i := range d.X {
		u, _ := strconv.Atoi(d.Users[i][1:])
		d.X[i] = append(d.X[i], 0)
		d.X[i][0] = float64(u)
	}
	rec := &recorder{train: map[float64][]float64{}}
	scores, _, err := ScoreUsers(context.Background(), d, Options{Protocol: Strict, Classifier: rec, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, us := range scores {
		u, _ := strconv.Atoi(us.User[1:])
		if len(us.ImpostorUsers) != 3 || len(us.Impostor) != 3 {
			t.Fatalf("user %s: %d test impostors, want 3 of 6", us.User, len(us.ImpostorUsers))
		}
		for _, imp := range us.ImpostorUsers {
			v, _ := strconv.Atoi(imp[1:])
			if slices.Contains(rec.train[float64(u)], float64(v)) {
				t.Errorf("user %s: test impostor %s also trained as negative", us.User, imp)
			}
			if v == u {
				t.Errorf("user %s is its own impostor", us.User)
			}
		}
		for _, s := range us.Impostor {
			if len(s) != 10 {
				t.Errorf("user %s: impostor stream of %d actions, want 10 (the test length)", us.User, len(s))
			}
		}
	}
}

func TestEvaluateBadInput(t *testing.T) {
	t.Parallel()
	good := synth(3, 30, 2, 1, 1)
	nan := synth(3, 30, 2, 1, 1)
	nan.X[40][1] = math.NaN()
	inf := synth(3, 30, 2, 1, 1)
	inf.X[3][0] = math.Inf(1)
	ragged := synth(3, 30, 2, 1, 1)
	ragged.X[5] = ragged.X[5][:1]
	one := synth(1, 30, 2, 1, 1)
	short := synth(3, 30, 2, 1, 1)
	short.Users = append(short.Users, "tiny", "tiny")
	short.X = append(short.X, []float64{0, 0}, []float64{1, 1})

	tests := []struct {
		name    string
		d       *preprocess.Table
		opts    Options
		wantErr bool
		skipped string
	}{
		{name: "NaN", d: nan, opts: Options{Classifier: centroid{}}, wantErr: true},
		{name: "Inf", d: inf, opts: Options{Classifier: centroid{}}, wantErr: true},
		{name: "ragged", d: ragged, opts: Options{Classifier: centroid{}}, wantErr: true},
		{name: "one user", d: one, opts: Options{Classifier: centroid{}}, wantErr: true},
		{name: "window 0", d: good, opts: Options{Classifier: centroid{}, Windows: []int{0}}, wantErr: true},
		{name: "no classifier", d: good, wantErr: true},
		{name: "train fraction 1", d: good, opts: Options{Classifier: centroid{}, TrainFraction: 1}, wantErr: true},
		{name: "fit fails", d: good, opts: Options{Classifier: failing{}}, wantErr: true},
		{name: "too few actions", d: short, opts: Options{Classifier: centroid{}}, skipped: "tiny"},
		{name: "window longer than test", d: good, opts: Options{Classifier: centroid{}, Windows: []int{1, 11}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Evaluate(context.Background(), tt.d, tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Skipped) != 1 || res.Skipped[0].User != tt.skipped {
				t.Errorf("skipped = %+v, want %s", res.Skipped, tt.skipped)
			}
			for _, s := range res.Summary {
				if math.IsNaN(s.MeanAUC) {
					t.Error("NaN mean AUC")
				}
			}
		})
	}
}

type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Fit(context.Context, [][]float64, []bool, *rand.Rand) (classify.Model, error) {
	return nil, errors.New("single-class training set")
}

func TestEvaluateCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Evaluate(ctx, synth(3, 30, 2, 1, 1), Options{Classifier: centroid{}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestDefects(t *testing.T) {
	t.Parallel()
	d := &preprocess.Table{Users: []string{"a", "a", "b"}, X: [][]float64{{1, 1, Placeholder}, {1, 1, Placeholder}, {2, 2, 3}}}
	df := FindDefects(d)
	if df.Placeholders != 2 || df.DuplicateRows != 1 || len(df.DuplicateColumns) != 1 || df.DuplicateColumns[0] != 1 {
		t.Errorf("defects = %+v", df)
	}
	r, n := ReplacePlaceholders(d)
	if n != 2 || r.X[0][2] != 0 || d.X[0][2] != Placeholder {
		t.Errorf("replaced %d: %v (input %v must not change)", n, r.X, d.X)
	}
}

// fitOnly hides a classifier's other methods (classify.RowFitter): the
// evaluation then fits it on copies of each user's rows.
type fitOnly struct{ classify.Classifier }

// TestRowFitterSameResult: an evaluation that fits gbdt on rows of the
// table, prepared once (classify.RowFitter), with and without background
// negatives (given to the fit as values), gives the result, bit for bit,
// of one that fits it on each user's rows.
func TestRowFitterSameResult(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "evaluates DFL-50 with gbdt four times")
	d := readFeatureCSV(t, featuresDir+"dfl_39feat_PC_MM_DD_50.csv")
	c := classify.GBDT{Rounds: 20}
	if _, ok := classify.Classifier(c).(classify.RowFitter); !ok {
		t.Fatal("gbdt is not a RowFitter")
	}
	for _, bg := range []float64{0, classify.ImprovedBackground} {
		o := Options{Classifier: c, Windows: []int{1, 5}, NegativeRatio: ImprovedNegativeRatio, Background: bg, Seed: 3, Workers: 2}
		a, err := Evaluate(context.Background(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		o.Classifier = fitOnly{c}
		b, err := Evaluate(context.Background(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Users, b.Users) || !reflect.DeepEqual(a.Summary, b.Summary) {
			t.Errorf("background %v: window 1 mean AUC %v from the prepared table, %v from the rows", bg, a.Summary[0].MeanAUC, b.Summary[0].MeanAUC)
		}
	}
}
