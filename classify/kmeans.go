package classify

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// KMeans is a one-class scorer: it clusters the genuine user's standardised
// training vectors with k-means (k-means++ seeding from rng, Lloyd's
// iterations) and scores x by its distance d to the nearest centroid as
// exp(-d/s), where s is the median distance of the genuine training vectors
// to their centroids. A typical genuine action scores about exp(-1) = 0.37,
// one far from every cluster near 0. Impostor rows are not used: the score
// says how much an action looks like the user's habits, not how unlike the
// others it is.
type KMeans struct {
	K    int // clusters; default min(8, genuine rows / 10), at least 1
	Iter int // Lloyd iterations; default 50
}

// Name returns "kmeans".
func (KMeans) Name() string { return "kmeans" }

// KMeansModel is a fitted k-means scorer.
type KMeansModel struct {
	Scaler    Scaler
	Centroids [][]float64
	Scale     float64
}

// Score returns exp(-d/Scale) for the distance d of the standardised x to
// its nearest centroid (0 if that is NaN, see [LogRegModel.Score]).
func (m *KMeansModel) Score(x []float64) float64 {
	best := math.Inf(1)
	for _, c := range m.Centroids {
		s := 0.0
		for j, cj := range c {
			z := (x[j]-m.Scaler.Mean[j])/m.Scaler.Scale[j] - cj
			s += z * z
		}
		best = min(best, s)
	}
	return failClosed(math.Exp(-math.Sqrt(best) / m.Scale))
}

func (m *KMeansModel) width() int { return len(m.Scaler.Mean) }

// Fit clusters the genuine rows.
func (k KMeans) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (Model, error) {
	if _, err := validate(X, genuine); err != nil {
		return nil, err
	}
	var G [][]float64
	for i, x := range X {
		if genuine[i] {
			G = append(G, x)
		}
	}
	sc := FitScaler(G)
	Z := sc.applyAll(G)
	nk := k.K
	if nk <= 0 {
		nk = max(1, min(8, len(Z)/10))
	}
	nk = min(nk, len(Z))
	iters := k.Iter
	if iters <= 0 {
		iters = 50
	}
	dist := func(a, b []float64) float64 {
		s := 0.0
		for j := range a {
			s += (a[j] - b[j]) * (a[j] - b[j])
		}
		return s
	}
	// k-means++ seeding.
	cent := [][]float64{slices.Clone(Z[rng.IntN(len(Z))])}
	d2 := make([]float64, len(Z))
	for len(cent) < nk {
		total := 0.0
		for i, z := range Z {
			d2[i] = math.Inf(1)
			for _, c := range cent {
				d2[i] = min(d2[i], dist(z, c))
			}
			total += d2[i]
		}
		if total == 0 {
			break
		}
		r := rng.Float64() * total
		pick := len(Z) - 1
		for i, v := range d2 {
			if r -= v; r <= 0 {
				pick = i
				break
			}
		}
		cent = append(cent, slices.Clone(Z[pick]))
	}
	assign := make([]int, len(Z))
	for it := 0; it < iters; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		changed := it == 0
		for i, z := range Z {
			best, bi := math.Inf(1), 0
			for c := range cent {
				if v := dist(z, cent[c]); v < best {
					best, bi = v, c
				}
			}
			if assign[i] != bi {
				assign[i], changed = bi, true
			}
		}
		if !changed {
			break
		}
		for c := range cent {
			n := 0.0
			sum := make([]float64, len(cent[c]))
			for i, z := range Z {
				if assign[i] == c {
					n++
					for j, v := range z {
						sum[j] += v
					}
				}
			}
			if n > 0 {
				for j := range sum {
					sum[j] /= n
				}
				cent[c] = sum
			}
		}
	}
	ds := make([]float64, len(Z))
	for i, z := range Z {
		ds[i] = math.Sqrt(dist(z, cent[assign[i]]))
	}
	slices.Sort(ds)
	scale := ds[len(ds)/2]
	if scale <= 0 {
		scale = 1
	}
	return &KMeansModel{Scaler: sc, Centroids: cent, Scale: scale}, nil
}
