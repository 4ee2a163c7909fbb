package evaluate

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// ErrOneClass is returned by [ComputeROC] when the scores hold only genuine
// or only impostor samples: the ROC and AUC are then undefined.
var ErrOneClass = fmt.Errorf("need genuine and impostor scores")

// ComputeROC returns the ROC of scores (higher = more genuine) with labels
// genuine[i], its AUC and its equal error rate. It uses gonum's stat.ROC
// (all distinct cutoffs, so ties are handled as in scikit-learn's
// roc_auc_score) and integrate.Trapezoidal for the area. Thresholds are
// descending; the first lies just above the highest score. It returns
// ErrOneClass when either class is empty and an error for NaN scores, so it
// never yields a NaN AUC. scores and genuine are not modified.
func ComputeROC(scores []float64, genuine []bool) (roc ROCCurve, auc, eer, eerThreshold float64, err error) {
	if len(scores) != len(genuine) {
		panic("evaluate: ComputeROC slice length mismatch")
	}
	var nPos, nNeg int
	for i, s := range scores {
		if math.IsNaN(s) {
			return roc, 0, 0, 0, fmt.Errorf("score %d is NaN", i)
		}
		if genuine[i] {
			nPos++
		} else {
			nNeg++
		}
	}
	if nPos == 0 || nNeg == 0 {
		return roc, 0, 0, 0, fmt.Errorf("%w: %d genuine, %d impostor", ErrOneClass, nPos, nNeg)
	}
	y := slices.Clone(scores)
	c := slices.Clone(genuine)
	stat.SortWeightedLabeled(y, c, nil)
	tpr, fpr, thresh := stat.ROC(nil, y, c, nil)
	// stat.ROC's first cutoff is +Inf (accept nothing); JSON cannot hold it,
	// so store the next float above the highest score, which accepts nothing
	// too.
	thresh[0] = math.Nextafter(y[len(y)-1], math.Inf(1))
	auc = integrate.Trapezoidal(fpr, tpr)
	eer, eerThreshold = equalErrorRate(fpr, tpr, thresh)
	return ROCCurve{FPR: fpr, TPR: tpr, Thresholds: thresh}, auc, eer, eerThreshold, nil
}

// equalErrorRate returns the rate where FPR = 1 - TPR (false acceptance =
// false rejection), linearly interpolated between the two ROC points whose
// difference FNR - FPR changes sign, and the matching threshold (interpolated
// too; the +Inf threshold of the first point is replaced by the next one).
// fpr and tpr are ascending as returned by stat.ROC.
func equalErrorRate(fpr, tpr, thresh []float64) (eer, threshold float64) {
	d := func(i int) float64 { return (1 - tpr[i]) - fpr[i] } // 1 at the start, -1 at the end
	for i := 1; i < len(fpr); i++ {
		if d(i) > 0 {
			continue
		}
		d0, d1 := d(i-1), d(i)
		t := 0.0
		if d0 != d1 {
			t = d0 / (d0 - d1)
		}
		eer = fpr[i-1] + t*(fpr[i]-fpr[i-1])
		th0, th1 := thresh[i-1], thresh[i]
		if math.IsInf(th0, 1) {
			th0 = th1
		}
		return eer, th0 + t*(th1-th0)
	}
	return fpr[len(fpr)-1], thresh[len(thresh)-1]
}

// ROCGrid is the FPR grid of mean and pooled curves: 0, 40 log-spaced
// points per decade from 10^-4, and every hundredth from 0.01, so linear,
// log and DET axes all have points everywhere.
var ROCGrid = func() []float64 {
	set := map[float64]bool{0: true}
	for i := 0; i <= 160; i++ {
		set[math.Pow(10, -4+float64(i)/40)] = true
	}
	for i := 1; i <= 100; i++ {
		set[float64(i)/100] = true
	}
	return slices.Sorted(maps.Keys(set))
}()

// MeanROC averages ROC curves on ROCGrid: each curve's TPR at a grid FPR is
// the highest TPR reached at exactly that FPR, else linearly interpolated
// between its neighbouring points (as numpy.interp in the scikit-learn
// mean-ROC example). Hand-written because gonum has no monotone step
// interpolation over ROC points with repeated x.
func MeanROC(curves []ROCCurve) ROCCurve {
	grid := slices.Clone(ROCGrid)
	mean := make([]float64, len(grid))
	if len(curves) == 0 {
		return ROCCurve{FPR: grid, TPR: mean}
	}
	for _, c := range curves {
		for i, x := range grid {
			mean[i] += tprAt(c, x)
		}
	}
	for i := range mean {
		mean[i] /= float64(len(curves))
	}
	return ROCCurve{FPR: grid, TPR: mean}
}

// TPRAt returns the TPR of c at false positive rate fpr, interpolated as
// [MeanROC] does.
func TPRAt(c ROCCurve, fpr float64) float64 { return tprAt(c, fpr) }

// tprAt returns the TPR of c at false positive rate x (see MeanROC).
func tprAt(c ROCCurve, x float64) float64 {
	j := -1 // last index with FPR <= x
	for k, f := range c.FPR {
		if f <= x {
			j = k
		} else {
			break
		}
	}
	switch {
	case j < 0:
		return 0
	case c.FPR[j] == x || j == len(c.FPR)-1:
		return c.TPR[j]
	}
	x0, x1 := c.FPR[j], c.FPR[j+1]
	return c.TPR[j] + (x-x0)/(x1-x0)*(c.TPR[j+1]-c.TPR[j])
}
