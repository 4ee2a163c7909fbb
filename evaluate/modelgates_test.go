package evaluate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mouseauth/mouseauth/decide"
)

// ModelGates flags what the deployed model's guard refuses: a vector far
// outside the user's training rows is Novel, a wrong-length or NaN vector
// Implausible, the user's own training rows pass.
func TestModelGates(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var train [][]float64
	for range 50 {
		train = append(train, []float64{1 + rng.Float64(), 100 + 10*rng.Float64(), rng.NormFloat64()})
	}
	g, err := ModelGates(GateData{User: "u", Preset: PresetImproved, Names: []string{"a", "b", "c"}, Train: train})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range train {
		if f := g.Check(x); f != 0 {
			t.Fatalf("training row %d flagged %v", i, f)
		}
	}
	for _, tc := range []struct {
		x    []float64
		want decide.Flags
	}{
		{[]float64{-1e6, -1e6, -1e6}, decide.Novel},
		{[]float64{0, 0, 0}, decide.Novel},
		{[]float64{1.5, 1e9, 0}, decide.Novel},
		{[]float64{1.5, 105}, decide.Implausible},
		{[]float64{1.5, 105, math.NaN()}, decide.Implausible},
	} {
		if f := g.Check(tc.x); f != tc.want {
			t.Errorf("%v: flags %v, want %v", tc.x, f, tc.want)
		}
	}
	if _, err := ModelGates(GateData{User: "u", Preset: PresetImproved, Names: []string{"a"}}); err == nil {
		t.Error("a user without training rows got gates")
	}
}
