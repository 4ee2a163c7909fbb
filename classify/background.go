package classify

import (
	"math"
	"math/rand/v2"
)

// Background negatives: synthetic impostor rows of behaviour no user
// showed, so that the classifier itself learns to score it as impostor
// (see [BackgroundRows]).

// The perturbation of the background's perturbed means, in standard
// deviations of the user's rows, log-uniform in [meanNoiseLo, meanNoiseHi].
// A fixed 0.5 left 12% (DFL-500) and 35% (Balabit-1000) of the users'
// projected training means scored above 0.5 over seeds 0-1; [0.05, 1] left
// none, at the same genuine AUC (docs/guard.md).
const meanNoiseLo, meanNoiseHi = 0.05, 1

// BackgroundRows returns n synthetic negatives for a user whose training
// rows are own, drawn with rng, the vectors an impostor's own client could
// send without any recording of the victim:
//
//   - 45% uniform in the box of X (all training rows, the user's and the
//     others') intersected with b, moved inside b ([Bounds.Project]);
//   - 45% the user's training mean, each feature perturbed by a normal
//     draw of s times the feature's standard deviation in own, s drawn
//     log-uniformly in [0.05, 1] per row (so the mean itself and its near
//     neighbourhood are covered), moved inside b;
//   - 10% constant vectors (every feature one value, log-uniform in
//     ±[1e-3, 1e9] or 0), as they are.
//
// b may be nil (no physical bounds known: nothing is moved).
func BackgroundRows(own, X [][]float64, b *Bounds, n int, rng *rand.Rand) [][]float64 {
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
			scale := meanNoiseLo * math.Pow(meanNoiseHi/meanNoiseLo, rng.Float64())
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
