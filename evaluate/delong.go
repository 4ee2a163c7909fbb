package evaluate

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// DeLong's test (DeLong, DeLong and Clarke-Pearson 1988) compares the areas
// under two ROC curves. The structural components are computed from
// mid-ranks as Sun and Xu (2014) do, in O(n log n). Hand-written: gonum
// has the ROC and its area, not their variance. Checked against pROC's
// roc.test on its aSAH data (delong_test.go).

// placements are the DeLong structural components of one ROC: V10[i] is the
// share of impostor scores below genuine score i (ties count one half), V01[j]
// the share of genuine scores above impostor score j; their mean is the AUC.
type placements struct {
	theta    float64
	v10, v01 []float64
}

// delongPlacements computes the placements of genuine scores pos against
// impostor scores neg (both non-empty).
func delongPlacements(pos, neg []float64) placements {
	n, m := len(pos), len(neg)
	all := make([]float64, 0, n+m)
	all = append(append(all, pos...), neg...)
	rz := midRanks(all)
	rx := midRanks(pos)
	ry := midRanks(neg)
	p := placements{v10: make([]float64, n), v01: make([]float64, m)}
	for i := range pos {
		p.v10[i] = (rz[i] - rx[i]) / float64(m)
	}
	for j := range neg {
		p.v01[j] = 1 - (rz[n+j]-ry[j])/float64(n)
	}
	p.theta = stat.Mean(p.v10, nil)
	return p
}

// midRanks returns the 1-based ranks of x, ties given their mean rank.
func midRanks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(x[a], x[b]) })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			r[idx[k]] = mid
		}
		i = j
	}
	return r
}

// DeLongResult is DeLong's test of AUC B − AUC A.
type DeLongResult struct {
	AUCA, AUCB float64
	// Diff is AUCB − AUCA, SE its standard error.
	Diff, SE float64
	// Z is Diff / SE (the paired test's Z, the unpaired test's D), P its
	// two-sided p-value: from the normal distribution when paired, from
	// Student's t with Welch's degrees of freedom DF when unpaired (as
	// pROC).
	Z, P   float64
	DF     float64 `json:",omitempty"`
	Paired bool
}

// DeLongPaired compares two ROCs of the same trials: posA[i] and posB[i]
// score the same genuine trial, negA[j] and negB[j] the same impostor
// trial. Identical curves give Z 0 and P 1.
func DeLongPaired(posA, negA, posB, negB []float64) (DeLongResult, error) {
	if len(posA) != len(posB) || len(negA) != len(negB) {
		return DeLongResult{}, fmt.Errorf("delong: paired curves need the same trials (%d/%d genuine, %d/%d impostor)", len(posA), len(posB), len(negA), len(negB))
	}
	if len(posA) < 2 || len(negA) < 2 {
		return DeLongResult{}, fmt.Errorf("delong: need two or more genuine and impostor trials (%d, %d)", len(posA), len(negA))
	}
	a, b := delongPlacements(posA, negA), delongPlacements(posB, negB)
	n, m := float64(len(posA)), float64(len(negA))
	v := (stat.Variance(a.v10, nil)+stat.Variance(b.v10, nil)-2*stat.Covariance(a.v10, b.v10, nil))/n +
		(stat.Variance(a.v01, nil)+stat.Variance(b.v01, nil)-2*stat.Covariance(a.v01, b.v01, nil))/m
	r := DeLongResult{AUCA: a.theta, AUCB: b.theta, Diff: b.theta - a.theta, Paired: true}
	r.SE = math.Sqrt(math.Max(v, 0))
	r.Z, r.P = zTest(r.Diff, r.SE)
	return r, nil
}

// DeLongUnpaired compares two ROCs of different trials.
func DeLongUnpaired(posA, negA, posB, negB []float64) (DeLongResult, error) {
	for _, k := range []int{len(posA), len(negA), len(posB), len(negB)} {
		if k < 2 {
			return DeLongResult{}, fmt.Errorf("delong: need two or more genuine and impostor trials per curve")
		}
	}
	a, b := delongPlacements(posA, negA), delongPlacements(posB, negB)
	va := stat.Variance(a.v10, nil)/float64(len(posA)) + stat.Variance(a.v01, nil)/float64(len(negA))
	vb := stat.Variance(b.v10, nil)/float64(len(posB)) + stat.Variance(b.v01, nil)/float64(len(negB))
	r := DeLongResult{AUCA: a.theta, AUCB: b.theta, Diff: b.theta - a.theta}
	r.SE = math.Sqrt(va + vb)
	// Welch-Satterthwaite over the two curves' variances, each with its
	// trials (genuine and impostor) less one, as pROC.
	na, nb := float64(len(posA)+len(negA)-1), float64(len(posB)+len(negB)-1)
	den := va*va/na + vb*vb/nb
	if r.SE == 0 || den == 0 {
		r.Z, r.P = zTest(r.Diff, r.SE)
		return r, nil
	}
	r.Z = r.Diff / r.SE
	r.DF = (va + vb) * (va + vb) / den
	r.P = math.Min(1, 2*distuv.StudentsT{Mu: 0, Sigma: 1, Nu: r.DF}.Survival(math.Abs(r.Z)))
	return r, nil
}

// zTest returns diff/se and its two-sided normal p-value; 0 and 1 when both
// are 0 (identical curves), and an infinite Z with p 0 for a difference
// without variance.
func zTest(diff, se float64) (z, p float64) {
	switch {
	case se == 0 && diff == 0:
		return 0, 1
	case se == 0:
		return math.Copysign(math.Inf(1), diff), 0
	}
	z = diff / se
	return z, math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(z)))
}
