package classify

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// toy makes n rows of d features; genuine rows have feature 0 shifted by
// sep standard deviations.
func toy(seed uint64, n, d int, sep float64) ([][]float64, []bool) {
	r := rand.New(rand.NewPCG(seed, 1))
	X := make([][]float64, n)
	y := make([]bool, n)
	for i := range X {
		y[i] = i%2 == 0
		X[i] = make([]float64, d)
		for j := range X[i] {
			X[i][j] = r.NormFloat64()
		}
		if y[i] {
			X[i][0] += sep
		}
	}
	return X, y
}

func TestForestSeparable(t *testing.T) {
	X, y := toy(1, 200, 5, 10)
	m, err := Forest{Trees: 20}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	Xt, yt := toy(2, 100, 5, 10)
	for i, x := range Xt {
		if s := m.Score(x); (s > 0.5) != yt[i] {
			t.Fatalf("row %d: score %.2f, genuine %v", i, s, yt[i])
		}
	}
}

func scores(t *testing.T, f Forest, seed uint64, X [][]float64, y []bool) []float64 {
	t.Helper()
	m, err := f.Fit(context.Background(), X, y, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(X))
	for i, x := range X {
		out[i] = m.Score(x)
	}
	return out
}

// TestForestReproducible: the same seed gives identical scores whatever
// GOMAXPROCS and the number of workers; another seed gives others.
func TestForestReproducible(t *testing.T) {
	X, y := toy(3, 300, 8, 0.7)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	a := scores(t, Forest{Trees: 30, Workers: 1}, 7, X, y)
	runtime.GOMAXPROCS(4)
	b := scores(t, Forest{Trees: 30, Workers: 4}, 7, X, y)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d: %v with 1 worker, %v with 4", i, a[i], b[i])
		}
	}
	c := scores(t, Forest{Trees: 30}, 8, X, y)
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same == len(a) {
		t.Fatal("seeds 7 and 8 gave identical scores")
	}
}

func TestForestBadInput(t *testing.T) {
	ctx, rng := context.Background(), rand.New(rand.NewPCG(1, 1))
	X, y := toy(1, 10, 3, 1)
	all := make([]bool, len(y))
	if _, err := (Forest{}).Fit(ctx, X, all, rng); !errors.Is(err, ErrSingleClass) {
		t.Errorf("single class: %v", err)
	}
	X[3][1] = math.NaN()
	if _, err := (Forest{}).Fit(ctx, X, y, rng); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := (Forest{}).Fit(ctx, nil, nil, rng); err == nil {
		t.Error("empty training set accepted")
	}
	X, y = toy(1, 10, 3, 1)
	X[2] = X[2][:2]
	if _, err := (Forest{}).Fit(ctx, X, y, rng); err == nil {
		t.Error("ragged rows accepted")
	}
}

// TestForestLimits: depth 1 gives stumps; a min leaf above half the rows
// gives one leaf per tree (the genuine share).
func TestForestLimits(t *testing.T) {
	X, y := toy(4, 100, 4, 3)
	m, err := Forest{Trees: 5, MaxDepth: 1}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range m.(*ForestModel).Trees {
		if len(tr) > 3 {
			t.Fatalf("depth 1 tree has %d nodes", len(tr))
		}
	}
	m, err = Forest{Trees: 5, MinLeaf: 60}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range m.(*ForestModel).Trees {
		if len(tr) != 1 {
			t.Fatalf("min leaf 60 of 100 rows: tree has %d nodes", len(tr))
		}
	}
}

func BenchmarkForestFit(b *testing.B) {
	X, y := toy(5, 700, 39, 0.5)
	for i := 0; i < b.N; i++ {
		if _, err := (Forest{Trees: 100, Workers: 1}).Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, uint64(i)))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForestScore(b *testing.B) {
	X, y := toy(5, 700, 39, 0.5)
	m, _ := Forest{Trees: 100}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
	b.ResetTimer()
	s := 0.0
	for i := 0; i < b.N; i++ {
		s += m.Score(X[i%len(X)])
	}
	_ = s
}

func BenchmarkLoadForest(b *testing.B) {
	X, y := toy(5, 700, 39, 0.5)
	m, err := Forest{Trees: 100}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Save(&buf, &SavedModel{Model: m, Header: Header{Classifier: "rf", FeatureNames: names(39)}}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
