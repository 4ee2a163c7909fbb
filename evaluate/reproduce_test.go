package evaluate

import (
	"context"
	"math"
	"reflect"
	"runtime"
	"testing"

	"github.com/mouseauth/mouseauth/classify"
)

// featuresDir is the published feature files' folder in the shared data
// (see testutil.Data).
const featuresDir = "features/"

// published are the mean AUCs of the published evaluation (see
// ../shared/data/README.md) at windows 1, 5, 10, 20.
var published = map[string][4]float64{
	"dfl_39feat_PC_MM_DD_500.csv":      {0.850, 0.910, 0.916, 0.920},
	"balabit_39feat_PC_MM_DD_1000.csv": {0.832, 0.963, 0.986, 0.995},
}

func TestReproducePublished(t *testing.T) {
	if testing.Short() {
		t.Skip("reproduction trains 100-tree forests for every user; skipped with -short")
	}
	for file, want := range published {
		t.Run(file, func(t *testing.T) {
			d := readFeatureCSV(t, featuresDir+file)
			res, err := Evaluate(context.Background(), d, Options{Classifier: classify.Forest{Trees: 100}, Windows: []int{1, 5, 10, 20}, Seed: 0})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range res.Summary {
				t.Logf("window %2d: %.3f ± %.3f (published %.3f)", s.Window, s.MeanAUC, s.SDAUC, want[i])
				if math.Abs(s.MeanAUC-want[i]) > 0.01 && (s.Window == 1 || s.Window == 10) {
					t.Errorf("window %d: mean AUC %.3f, published %.3f: off by more than 0.01", s.Window, s.MeanAUC, want[i])
				}
			}
		})
	}
}

// TestImprovedBeatsReference checks the improved settings (mean log-odds
// window score, duplicate columns dropped) against the published protocol on
// DFL-500 with the same seed.
func TestImprovedBeatsReference(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 100-tree forests for every user; skipped with -short")
	}
	d := readFeatureCSV(t, featuresDir+"dfl_39feat_PC_MM_DD_500.csv")
	opts := Options{Classifier: classify.Forest{Trees: 100}, Windows: []int{10, 20}}
	ref, err := Evaluate(context.Background(), d, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Aggregate, opts.DropDuplicateColumns = AggLogOdds, true
	imp, err := Evaluate(context.Background(), d, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ref.Summary {
		r, m := ref.Summary[i], imp.Summary[i]
		t.Logf("window %d: reference %.3f, improved %.3f", r.Window, r.MeanAUC, m.MeanAUC)
		if m.MeanAUC <= r.MeanAUC {
			t.Errorf("window %d: improved %.3f does not beat reference %.3f", r.Window, m.MeanAUC, r.MeanAUC)
		}
	}
}

// TestReproducibleOnData runs the published protocol on a small real file
// with GOMAXPROCS 1 and 4 and compares the results exactly.
func TestReproducibleOnData(t *testing.T) {
	d := readFeatureCSV(t, featuresDir+"dfl_39feat_PC_MM_DD_50.csv")
	run := func(procs int) Result {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		res, err := Evaluate(context.Background(), d, Options{Classifier: classify.Forest{Trees: 10}, Windows: []int{1, 5}, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(1), run(4)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("GOMAXPROCS 1 and 4 differ: %v vs %v", a.Summary[0].MeanAUC, b.Summary[0].MeanAUC)
	}
	if a.Summary[0].MeanAUC < 0.6 {
		t.Errorf("mean AUC %.3f on DFL-50: forest learned nothing", a.Summary[0].MeanAUC)
	}
}

// BenchmarkReferenceDFL500 times the published protocol on DFL-500 (21
// users, 100 trees, windows 1 and 10), file already read.
func BenchmarkReferenceDFL500(b *testing.B) {
	d := readFeatureCSV(b, featuresDir+"dfl_39feat_PC_MM_DD_500.csv")
	for b.Loop() {
		if _, err := Evaluate(context.Background(), d, Options{Classifier: classify.Forest{Trees: 100}, Windows: []int{1, 10}}); err != nil {
			b.Fatal(err)
		}
	}
}
