package classify

import (
	"math"
	"math/rand/v2"
)

// Background negatives: synthetic impostor rows of behaviour no user
// showed, so that the classifier itself learns to score it as impostor
// (see [BackgroundRows]).

// BackgroundRows returns n synthetic negatives for a user whose training
// rows are own, drawn with rng, the vectors an impostor's own client could
// send without any recording of the victim:
//
//   - 45% uniform in the box of X (all training rows, the user's and the
//     others') intersected with b, moved inside b ([Bounds.Project]);
//   - 45% the user's training mean, each feature perturbed by a normal
//     draw of half the feature's standard deviation in own, moved inside b;
//   - 10% constant vectors (every feature one value, log-uniform in
//     ±[1e-3, 1e9] or 0), as they are.
//
// b may be nil (no physical bounds known: nothing is moved).
func BackgroundRows(own, X [][]float64, b *Bounds, n int, rng *rand.Rand) [][]float64 {
	return BackgroundRowsNoise(own, X, b, n, rng, 0.5, 0.5)
}

// BackgroundRowsNoise is TEMPORARY (study): noise scale log-uniform in [lo, hi].
func BackgroundRowsNoise(own, X [][]float64, b *Bounds, n int, rng *rand.Rand, nlo, nhi float64) [][]float64 {
	if n <= 0 || len(own) == 0 || len(X) == 0 {
		return nil
	}
	d := len(own[0])
	lo, hi := Box(X, b)
	mean, sd := make([]float64, d), make([]float64, d)
	for _, r := range own {
		for j, v := range r {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(len(own))
	}
	for _, r := range own {
		for j, v := range r {
			sd[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j] / float64(max(1, len(own)-1)))
	}
	out := make([][]float64, 0, n)
	for i := range n {
		var x []float64
		switch u := float64(i) / float64(n); {
		case u < 0.45:
			x = uniformIn(lo, hi, rng)
		case u < 0.9:
			x = make([]float64, d)
			scale := nlo * math.Pow(nhi/nlo, rng.Float64())
			for j := range x {
				x[j] = mean[j] + scale*sd[j]*rng.NormFloat64()
			}
		default:
			c := 0.0
			if rng.IntN(8) > 0 {
				c = math.Pow(10, -3+12*rng.Float64())
				if rng.IntN(2) == 0 {
					c = -c
				}
			}
			x = make([]float64, d)
			for j := range x {
				x[j] = c
			}
			out = append(out, x)
			continue
		}
		if b != nil {
			b.Project(x)
		}
		out = append(out, x)
	}
	return out
}
