package interimrf

import (
	"context"
	"math/rand/v2"
	"testing"
)

func TestForest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var X [][]float64
	var y []bool
	for i := range 200 {
		g := i%2 == 0
		x := []float64{rng.NormFloat64(), rng.NormFloat64(), 5}
		if g {
			x[0] += 3
		}
		X, y = append(X, x), append(y, g)
	}
	fit := func() (float64, float64) {
		m, err := New(20).Fit(context.Background(), X, y, rand.New(rand.NewPCG(7, 7)))
		if err != nil {
			t.Fatal(err)
		}
		return m.Score([]float64{3, 0, 5}), m.Score([]float64{0.1, 0.3, 5})
	}
	g1, i1 := fit()
	g2, i2 := fit()
	if g1 < 0.8 || i1 > 0.3 {
		t.Errorf("genuine-like score %.2f, impostor-like %.2f: forest did not learn feature 0", g1, i1)
	}
	if g1 != g2 || i1 != i2 {
		t.Error("same rng seed, different scores")
	}
	if _, err := New(5).Fit(context.Background(), nil, nil, rng); err == nil {
		t.Error("no rows: no error")
	}
}
