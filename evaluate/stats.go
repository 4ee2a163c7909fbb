package evaluate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Statistics of a run. Every headline figure comes with a 95% confidence
// interval from a bootstrap over users: users are drawn with replacement
// and each drawn user brings every one of its scored windows (of every
// seed) with it. Actions and windows of one user are not resampled on their
// own: a user's consecutive windows overlap and share a model, so they are
// not independent, and the user is the unit a deployment meets. Seeds are
// folded in: a per-user figure is first averaged over the seeds, a pooled
// figure pools the windows of every seed, so the interval is that of the
// seed-averaged figure the tables print. Differences between two
// configurations are paired over the same users and seeds: the per-user
// difference averaged over the seeds, its bootstrap interval over users and
// a Wilcoxon signed-rank p-value; pooled ROCs are compared by DeLong's test.

// ConfidenceLevel is the coverage of every interval.
const ConfidenceLevel = 0.95

// DefaultResamples is the number of bootstrap resamples when
// [StatsOptions].Resamples is 0.
const DefaultResamples = 2000

// BootstrapUnit names what the bootstrap resamples, for tables and captions.
const BootstrapUnit = "users"

// StatsOptions configure the bootstrap.
type StatsOptions struct {
	// Resamples is the number of bootstrap resamples; 0 means
	// DefaultResamples.
	Resamples int
	// Seed derives the bootstrap's random streams, one per figure, so the
	// same run gives the same intervals.
	Seed int64
}

func (o StatsOptions) resamples() int {
	if o.Resamples <= 0 {
		return DefaultResamples
	}
	return o.Resamples
}

// rng returns the bootstrap stream for the figure named label.
func (o StatsOptions) rng(label string) *rand.Rand {
	var h uint64 = 14695981039346656037 // FNV-1a
	for i := 0; i < len(label); i++ {
		h ^= uint64(label[i])
		h *= 1099511628211
	}
	return rand.New(rand.NewPCG(uint64(o.Seed), h))
}

// Estimate is a figure with its 95% bootstrap confidence interval over
// users. Lo and Hi are null, and NA says why, where the interval is
// undefined (one user, say); Value is then still the figure measured.
type Estimate struct {
	Value float64  `json:"value"`
	Lo    *float64 `json:"lo"`
	Hi    *float64 `json:"hi"`
	NA    string   `json:"na,omitempty"`
}

// HasInterval reports whether e has an interval.
func (e Estimate) HasInterval() bool { return e.Lo != nil && e.Hi != nil }

// ExcludesZero reports whether e's interval lies wholly above or below 0.
func (e Estimate) ExcludesZero() bool {
	return e.HasInterval() && (*e.Lo > 0 || *e.Hi < 0)
}

func ptr(v float64) *float64 { return &v }

// percentileInterval returns the ConfidenceLevel percentile interval of
// draws (sorted in place), by gonum's linearly interpolated quantile.
func percentileInterval(draws []float64) (lo, hi float64) {
	slices.Sort(draws)
	a := (1 - ConfidenceLevel) / 2
	return stat.Quantile(a, stat.LinInterp, draws, nil), stat.Quantile(1-a, stat.LinInterp, draws, nil)
}

// BootstrapMean returns the mean of values (one per user) with its
// percentile bootstrap interval over users (resamples draws of len(values)
// users with replacement). With fewer than two values the interval is
// undefined, and NA says so.
func BootstrapMean(values []float64, resamples int, rng *rand.Rand) Estimate {
	e := Estimate{}
	switch len(values) {
	case 0:
		e.NA = "no user"
		return e
	case 1:
		e.Value = values[0]
		e.NA = "one user: no interval over users"
		return e
	}
	e.Value = stat.Mean(values, nil)
	n := len(values)
	draws := make([]float64, resamples)
	for b := range draws {
		var s float64
		for range n {
			s += values[rng.IntN(n)]
		}
		draws[b] = s / float64(n)
	}
	lo, hi := percentileInterval(draws)
	e.Lo, e.Hi = ptr(lo), ptr(hi)
	return e
}

// userWeights draws a bootstrap resample of n users: w[u] is how many times
// user u was drawn.
func userWeights(w []float64, rng *rand.Rand) {
	clear(w)
	n := len(w)
	for range n {
		w[rng.IntN(n)]++
	}
}

// WilcoxonResult is a two-sided Wilcoxon signed-rank test of paired
// differences against a median of zero.
type WilcoxonResult struct {
	// N is the number of non-zero differences ranked (zeros are dropped,
	// as scipy's zero_method "wilcox").
	N int
	// T is the smaller of the positive and negative rank sums.
	T float64
	P float64
	// Exact is true when P comes from the exact null distribution (N <= 50,
	// no zeros and no ties), false for the normal approximation with the
	// tie correction and no continuity correction.
	Exact bool
}

// Wilcoxon tests the paired differences d (one per user) with the
// two-sided signed-rank test, as scipy.stats.wilcoxon(d) does with its
// defaults except that ties among fewer than 51 differences take the normal
// approximation (scipy truncates their rank sum to an integer). It returns
// an error when no difference is non-zero. Hand-written: gonum has no
// signed-rank test.
func Wilcoxon(d []float64) (WilcoxonResult, error) {
	zeros := 0
	for _, v := range d {
		if v == 0 {
			zeros++
		}
		if math.IsNaN(v) {
			return WilcoxonResult{}, fmt.Errorf("wilcoxon: NaN difference")
		}
	}
	if len(d) == 0 || zeros == len(d) {
		return WilcoxonResult{}, fmt.Errorf("wilcoxon: every difference is zero")
	}
	nz := make([]float64, 0, len(d)-zeros)
	for _, v := range d {
		if v != 0 {
			nz = append(nz, v)
		}
	}
	n := len(nz)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(math.Abs(nz[a]), math.Abs(nz[b])) })
	ranks := make([]float64, n)
	ties := false
	var tieTerm float64 // sum of t(t²-1) over tie groups
	for i := 0; i < n; {
		j := i + 1
		for j < n && math.Abs(nz[idx[j]]) == math.Abs(nz[idx[i]]) {
			j++
		}
		r := float64(i+j+1) / 2 // mid-rank of positions i..j-1 (1-based)
		for k := i; k < j; k++ {
			ranks[idx[k]] = r
		}
		if t := float64(j - i); t > 1 {
			ties = true
			tieTerm += t * (t*t - 1)
		}
		i = j
	}
	var rPlus, rMinus float64
	for i, v := range nz {
		if v > 0 {
			rPlus += ranks[i]
		} else {
			rMinus += ranks[i]
		}
	}
	res := WilcoxonResult{N: n, T: math.Min(rPlus, rMinus)}
	if n <= 50 && zeros == 0 && !ties {
		res.Exact = true
		pmf := signedRankPMF(n)
		k := int(rPlus)
		if 2*k == len(pmf)-1 {
			res.P = 1
			return res, nil
		}
		var less, greater float64
		for i, p := range pmf {
			if i <= k {
				less += p
			}
			if i >= k {
				greater += p
			}
		}
		res.P = math.Min(1, 2*math.Min(less, greater))
		return res, nil
	}
	fn := float64(n)
	mean := fn * (fn + 1) / 4
	se := math.Sqrt((fn*(fn+1)*(2*fn+1) - tieTerm/2) / 24)
	if se == 0 {
		res.P = 1
		return res, nil
	}
	z := (res.T - mean) / se
	res.P = math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(z)))
	return res, nil
}

// signedRankPMF is the null distribution of the positive rank sum of n
// distinct ranks: pmf[k] = P(R+ = k), k = 0..n(n+1)/2.
func signedRankPMF(n int) []float64 {
	m := n * (n + 1) / 2
	counts := make([]float64, m+1)
	counts[0] = 1
	for r := 1; r <= n; r++ {
		for k := m; k >= r; k-- {
			counts[k] += counts[k-r]
		}
	}
	total := math.Ldexp(1, n)
	for k := range counts {
		counts[k] /= total
	}
	return counts
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
