package classify

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

func trainRows(n, offset int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = []float64{float64(offset + i), float64((offset + i) % 7)}
	}
	return rows
}

func TestSplit(t *testing.T) {
	t.Parallel()
	users := []string{"a", "b", "a", "c"}
	X := trainRows(4, 0)
	own, others := Split(users, X, "a")
	if len(own) != 2 || own[1][0] != 2 || len(others) != 2 || others[0][0] != 1 || others[1][0] != 3 {
		t.Errorf("own %v, others %v", own, others)
	}
}

// TestNegativesDraw pins the draw: with ratio 1 the negatives are the first
// len(own) entries of rng.Perm over the others (the stream every trained
// model so far was drawn from); ratio 2 draws twice as many, capped at the
// others available.
func TestNegativesDraw(t *testing.T) {
	t.Parallel()
	own, others := trainRows(5, 0), trainRows(12, 100)
	for _, tt := range []struct {
		ratio float64
		k     int
	}{{0, 5}, {1, 5}, {2, 10}, {3, 12}} {
		X, y := Negatives(own, others, tt.ratio, rand.New(rand.NewPCG(7, 7)))
		perm := rand.New(rand.NewPCG(7, 7)).Perm(len(others))[:tt.k]
		if len(X) != 5+tt.k || len(y) != len(X) || !y[4] || y[5] {
			t.Fatalf("ratio %v: %d rows, labels %v", tt.ratio, len(X), y)
		}
		for i, j := range perm {
			if X[5+i][0] != others[j][0] {
				t.Fatalf("ratio %v: negative %d is %v, want others[%d] = %v", tt.ratio, i, X[5+i], j, others[j])
			}
		}
	}
}

// TestVersionRand pins the live service's derivation: changing it would
// make every retraining differ from the model it replaced.
func TestVersionRand(t *testing.T) {
	t.Parallel()
	a := VersionRand(3, "user7", 2).Uint64()
	if b := VersionRand(3, "user7", 2).Uint64(); a != b {
		t.Fatal("same seed, user and version gave two streams")
	}
	if a == VersionRand(3, "user7", 3).Uint64() || a == VersionRand(3, "user8", 2).Uint64() || a == VersionRand(4, "user7", 2).Uint64() {
		t.Error("version, user or seed does not change the stream")
	}
	if pinned := uint64(0xc03105b3ad0ce2b2); a != pinned {
		t.Errorf("VersionRand(3, user7, 2) first value %#x, want %#x", a, pinned)
	}
}

func TestBatchRands(t *testing.T) {
	t.Parallel()
	a := BatchRands(1, []string{"b", "a", "c", "a"})
	b := BatchRands(1, []string{"c", "b", "a"})
	if len(a) != 3 {
		t.Fatalf("%d streams", len(a))
	}
	for _, u := range []string{"a", "b", "c"} {
		if a[u].Uint64() != b[u].Uint64() {
			t.Errorf("user %s: the stream depends on the order of the users", u)
		}
	}
	if BatchRands(1, []string{"a"})["a"].Uint64() == BatchRands(2, []string{"a"})["a"].Uint64() {
		t.Error("the seed does not change the stream")
	}
}

func TestTrainUser(t *testing.T) {
	t.Parallel()
	own, others := trainRows(30, 0), trainRows(50, 1000)
	c := Forest{Trees: 5}
	fit := func() Trained {
		tr, err := TrainUser(context.Background(), c, own, others, VersionRand(1, "u", 1), TrainOptions{NegativeRatio: 1.5})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	a, b := fit(), fit()
	if a.Genuine != 30 || a.Impostor != 45 {
		t.Errorf("genuine %d, impostor %d, want 30 and 45", a.Genuine, a.Impostor)
	}
	var sa, sb []float64
	for _, x := range append(slices.Clone(own[:5]), others[:5]...) {
		sa, sb = append(sa, a.Model.Score(x)), append(sb, b.Model.Score(x))
	}
	if !slices.Equal(sa, sb) {
		t.Errorf("same stream, different models: %v vs %v", sa, sb)
	}
	if sa[0] <= sa[9] {
		t.Errorf("own row scored %v, impostor row %v", sa[0], sa[9])
	}
	if _, err := TrainUser(context.Background(), c, nil, others, VersionRand(1, "u", 1), TrainOptions{}); err == nil {
		t.Error("no genuine rows: no error")
	}
}
