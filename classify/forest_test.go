package classify

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// v1Payload writes a forest in the version 1 layout (28 bytes a node), as
// the version 1 writer did.
func v1Payload(m *ForestModel) []byte {
	var b bytes.Buffer
	put := func(v any) { binary.Write(&b, binary.BigEndian, v) }
	put(uint32(m.D))
	put(uint32(len(m.Trees)))
	for _, t := range m.Trees {
		put(uint32(len(t)))
		for i, n := range t {
			if n.feat < 0 {
				put([3]int32{-1, 0, 0})
				put(math.Float64bits(0))
				put(math.Float64bits(n.v))
				continue
			}
			put([3]int32{n.feat, int32(i + 1), n.right})
			put(math.Float64bits(n.v))
			put(math.Float64bits(0))
		}
	}
	return b.Bytes()
}

// BenchmarkLoadForest loads the same 100-tree forest (700 rows of 39
// features) from a version 1 file (28-byte nodes) and a version 2 file
// (the compact preorder encoding): ns/op, allocations and the file size
// (file-bytes) side by side.
func BenchmarkLoadForest(b *testing.B) {
	X, y := toy(5, 700, 39, 0.5)
	m, err := Forest{Trees: 100}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	h := Header{Classifier: "rf", FeatureNames: names(39)}
	var v2 bytes.Buffer
	if err := Save(&v2, &SavedModel{Model: m, Header: h}); err != nil {
		b.Fatal(err)
	}
	hdr, _ := json.Marshal(h)
	files := map[string][]byte{"format=1": v1FileBytes(hdr, v1Payload(m.(*ForestModel))), "format=2": v2.Bytes()}
	for _, name := range []string{"format=1", "format=2"} {
		data := files[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "file-bytes")
		})
	}
}

// TestSplitThreshold: the threshold separates a from b (a <= t < b), is a
// float32 with as few significant bytes as one in [a, b) allows, and falls
// back to the midpoint only when no float32 lies in [a, b).
func TestSplitThreshold(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b  float64
		bytes int
	}{
		{3, 4, 2}, {-4, -3, 2}, {-0.5, 0.25, 2}, {1, 1 + 1e-9, 2}, {1000.01, 1000.02, 3},
		{0.1, 0.1 + 1e-6, 3}, {0.1, 0.1 + 1e-8, 4}, {math.MaxFloat32, math.MaxFloat64, 4}, {-1e-300, 0, 0},
	} {
		thr := splitThreshold(c.a, c.b)
		if !(c.a <= thr && thr < c.b) {
			t.Errorf("[%v, %v): threshold %v outside", c.a, c.b, thr)
		}
		if got := float32Bytes(thr); got != c.bytes {
			t.Errorf("[%v, %v): threshold %v takes %d bytes, want %d", c.a, c.b, thr, got, c.bytes)
		}
	}
	// No float32 in [0.1, next float64) and the midpoint rounds to b: a,
	// stored in 8 bytes.
	a := 0.1
	b := math.Nextafter(a, 1)
	if thr := splitThreshold(a, b); thr != a || float32Bytes(thr) != 0 {
		t.Errorf("[0.1, next): %v", thr)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		a := r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10))
		b := a + math.Abs(r.NormFloat64())*math.Pow(10, float64(r.IntN(20)-14))
		if b <= a {
			continue
		}
		thr := splitThreshold(a, b)
		if !(a <= thr && thr < b) {
			t.Fatalf("[%v, %v): threshold %v outside", a, b, thr)
		}
		if k := float32Bytes(thr); k == 0 && float64(float32(a)) == a {
			t.Fatalf("[%v, %v): %v is not a float32 though a is", a, b, thr)
		}
	}
}

// TestForestAutoLeaf: MinLeaf 0 grows leaves of max(1, rows/AutoLeafRows)
// rows: the same forest as MinLeaf 1 up to AutoLeafRows rows, as MinLeaf 2
// at twice that.
func TestForestAutoLeaf(t *testing.T) {
	t.Parallel()
	fit := func(X [][]float64, y []bool, minLeaf int) *ForestModel {
		m, err := Forest{Trees: 3, MinLeaf: minLeaf}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(4, 4)))
		if err != nil {
			t.Fatal(err)
		}
		return m.(*ForestModel)
	}
	X, y := toy(6, AutoLeafRows, 4, 0.5)
	if !reflect.DeepEqual(fit(X, y, 0), fit(X, y, 1)) {
		t.Errorf("%d rows: auto is not min leaf 1", len(X))
	}
	X, y = toy(6, 2*AutoLeafRows, 4, 0.5)
	auto, two, one := fit(X, y, 0), fit(X, y, 2), fit(X, y, 1)
	if !reflect.DeepEqual(auto, two) || reflect.DeepEqual(auto, one) {
		t.Errorf("%d rows: auto is not min leaf 2", len(X))
	}
}
