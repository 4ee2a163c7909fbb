package evaluate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/preprocess"
)

// centroid is a small test classifier: the score is the share of distance to
// the genuine centroid among the distances to both centroids, mapped to
// [0, 1]. With jitter it draws a random offset from rng, so reproducibility
// tests notice a classifier whose rng stream differs.
type centroid struct{ jitter bool }

func (centroid) Name() string { return "centroid" }

func (c centroid) Fit(_ context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (classify.Model, error) {
	var g, im []float64
	var ng, ni float64
	for i, x := range X {
		if g == nil {
			g, im = make([]float64, len(x)), make([]float64, len(x))
		}
		dst := im
		if genuine[i] {
			dst = g
			ng++
		} else {
			ni++
		}
		for j, v := range x {
			dst[j] += v
		}
	}
	if ng == 0 || ni == 0 {
		return nil, errors.New("centroid: need both classes")
	}
	for j := range g {
		g[j] /= ng
		im[j] /= ni
	}
	m := centroidModel{g: g, im: im}
	if c.jitter {
		m.off = rng.Float64() * 1e-3
	}
	return m, nil
}

type centroidModel struct {
	g, im []float64
	off   float64
}

func (m centroidModel) Score(x []float64) float64 {
	var dg, di float64
	for j, v := range x {
		dg += (v - m.g[j]) * (v - m.g[j])
		di += (v - m.im[j]) * (v - m.im[j])
	}
	dg, di = math.Sqrt(dg), math.Sqrt(di)
	if dg+di == 0 {
		return 0.5
	}
	return min(1, di/(dg+di)+m.off)
}

// synth returns users u0..u{users-1}, each with n actions of dim features
// drawn around a user-specific mean; noise sets the overlap.
func synth(users, n, dim int, noise float64, seed uint64) *preprocess.Table {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := &preprocess.Table{}
	for u := range users {
		mu := make([]float64, dim)
		for j := range mu {
			mu[j] = rng.NormFloat64()
		}
		for range n {
			x := make([]float64, dim)
			for j := range x {
				x[j] = mu[j] + noise*rng.NormFloat64()
			}
			d.Users = append(d.Users, fmt.Sprintf("u%d", u))
			d.X = append(d.X, x)
		}
	}
	return d
}

// readFeatureCSV reads a feature file of the shared data (rel to it, see
// testutil.Data) with preprocess.ReadTable, as the command does; it skips
// the test when the shared data is missing, or fails under
// MOUSEAUTH_REQUIRE_ALL=1.
func readFeatureCSV(t testing.TB, rel string) *preprocess.Table {
	t.Helper()
	path := testutil.Data(t, rel)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := preprocess.ReadTable(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
