package replay

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat"
)

// reservoirSize bounds the samples kept for quantiles: a long replay's
// memory stays flat, and p99 of 100 000 uniform samples is within about
// 0.03 percentiles of the true one.
const reservoirSize = 100_000

// Sampler accumulates durations in bounded memory: count, mean, standard
// deviation, minimum and maximum exactly, quantiles from a uniform
// reservoir sample (Vitter's algorithm R) of at most 100 000 values.
type Sampler struct {
	n          int
	sum, sumSq float64 // milliseconds
	min, max   float64
	res        []float64
	rng        *rand.Rand
}

// NewSampler returns an empty sampler; seed fixes which values the
// reservoir keeps.
func NewSampler(seed uint64) *Sampler {
	return &Sampler{min: math.Inf(1), max: math.Inf(-1), rng: rand.New(rand.NewPCG(seed, 0x5a))}
}

// Add records d.
func (s *Sampler) Add(d time.Duration) {
	x := float64(d) / float64(time.Millisecond)
	s.n++
	s.sum += x
	s.sumSq += x * x
	s.min, s.max = math.Min(s.min, x), math.Max(s.max, x)
	if len(s.res) < reservoirSize {
		s.res = append(s.res, x)
	} else if j := s.rng.IntN(s.n); j < reservoirSize {
		s.res[j] = x
	}
}

// Summary returns the figures so far.
func (s *Sampler) Summary() Summary {
	if s.n == 0 {
		return Summary{}
	}
	mean := s.sum / float64(s.n)
	var std float64
	if s.n > 1 {
		// Sample standard deviation, as stat.MeanStdDev gives.
		std = math.Sqrt(math.Max(0, (s.sumSq-float64(s.n)*mean*mean)/float64(s.n-1)))
	}
	x := append([]float64(nil), s.res...)
	sort.Float64s(x)
	return Summary{N: s.n, Mean: mean, Std: std, Min: s.min, Max: s.max,
		P50: stat.Quantile(0.5, stat.Empirical, x, nil), P99: stat.Quantile(0.99, stat.Empirical, x, nil)}
}
