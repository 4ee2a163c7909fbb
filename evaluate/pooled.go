package evaluate

import (
	"math"
	"slices"
)

// Pooled figures: the windows of every user (and seed) pooled, one global
// threshold, as the live service runs one threshold for all users. A
// window is accepted as genuine when its score is at or above the
// threshold; FMR (false match rate) is the share of impostor windows
// accepted, FNMR (false non-match rate) the share of genuine windows
// rejected (ISO/IEC 19795-1).

// FMR targets of the operating points every summary gives.
const (
	FMRTarget1  = 0.01  // FNMR at FMR 1%
	FMRTarget01 = 0.001 // FNMR at FMR 0.1%
)

// sample is one scored window: its score, its class and the index of the
// user whose model scored it (the bootstrap's cluster).
type sample struct {
	score   float64
	genuine bool
	user    int32
}

// pool is a set of scored windows sorted by descending score, with each
// user's count of genuine and impostor windows.
type pool struct {
	s        []sample
	users    int
	gen, imp []float64 // per user
}

func newPool(s []sample, users int) *pool {
	slices.SortStableFunc(s, func(a, b sample) int { return cmpFloat(b.score, a.score) })
	p := &pool{s: s, users: users, gen: make([]float64, users), imp: make([]float64, users)}
	for _, x := range s {
		if x.genuine {
			p.gen[x.user]++
		} else {
			p.imp[x.user]++
		}
	}
	return p
}

// curvePoints are the figures of one walk down a pool's thresholds.
type curvePoints struct {
	auc, eer, eerThreshold float64
	fnmr1, fnmr01, zeroFMR float64
	genuine, impostor      float64 // total weights
}

// walk computes the pooled figures with user u's windows weighted by w[u]
// (nil: all 1) in one pass down the thresholds: every distinct score is a
// threshold, ties move together, as [ComputeROC] with gonum's stat.ROC.
// The AUC is the trapezoid area (ties count one half), the EER the point
// where the segment between the two ROC points whose FNMR − FMR changes
// sign crosses FMR = FNMR (as [ComputeROC]), FNMR at FMR x the lowest FNMR
// of a threshold with FMR <= x, ZeroFMR the lowest FNMR with FMR 0. It
// returns false when either class has no weight. Hand-written rather than
// stat.ROC, which allocates three slices per call: the bootstrap calls it
// thousands of times per figure.
func (p *pool) walk(w []float64) (curvePoints, bool) {
	var c curvePoints
	weight := func(u int32) float64 {
		if w == nil {
			return 1
		}
		return w[u]
	}
	for u := range p.users {
		c.genuine += weight(int32(u)) * p.gen[u]
		c.impostor += weight(int32(u)) * p.imp[u]
	}
	if c.genuine == 0 || c.impostor == 0 {
		return c, false
	}
	var tp, fp float64
	fpr0, tpr0, th0 := 0.0, 0.0, math.Inf(1)
	eerFound := false
	c.fnmr1, c.fnmr01, c.zeroFMR = 1, 1, 1
	n := len(p.s)
	for i := 0; i < n; {
		th := p.s[i].score
		j := i
		for ; j < n && p.s[j].score == th; j++ {
			if p.s[j].genuine {
				tp += weight(p.s[j].user)
			} else {
				fp += weight(p.s[j].user)
			}
		}
		i = j
		fpr, tpr := fp/c.impostor, tp/c.genuine
		if j == n { // the last point is (1, 1) exactly
			fpr, tpr = 1, 1
		}
		c.auc += (fpr - fpr0) * (tpr + tpr0) / 2
		if !eerFound {
			d0, d1 := (1-tpr0)-fpr0, (1-tpr)-fpr
			if d1 <= 0 {
				t := 0.0
				if d0 != d1 {
					t = d0 / (d0 - d1)
				}
				c.eer = fpr0 + t*(fpr-fpr0)
				t0 := th0
				if math.IsInf(t0, 1) {
					t0 = th
				}
				c.eerThreshold = t0 + t*(th-t0)
				eerFound = true
			}
		}
		if fpr <= FMRTarget1 {
			c.fnmr1 = 1 - tpr
		}
		if fpr <= FMRTarget01 {
			c.fnmr01 = 1 - tpr
		}
		if fp == 0 {
			c.zeroFMR = 1 - tpr
		}
		fpr0, tpr0, th0 = fpr, tpr, th
	}
	return c, true
}

// ratesAt returns the FMR and FNMR of p (weighted by w, nil: 1) at
// threshold t: windows scoring t or more are accepted.
func (p *pool) ratesAt(t float64, w []float64) (fmr, fnmr float64, ok bool) {
	var gen, imp, genRej, impAcc float64
	for _, x := range p.s {
		wt := 1.0
		if w != nil {
			wt = w[x.user]
		}
		if x.genuine {
			gen += wt
			if x.score < t {
				genRej += wt
			}
		} else {
			imp += wt
			if x.score >= t {
				impAcc += wt
			}
		}
	}
	if gen == 0 || imp == 0 {
		return 0, 0, false
	}
	return impAcc / imp, genRej / gen, true
}

// split returns the scores and labels of p, for [ComputeROC].
func (p *pool) split() (scores []float64, genuine []bool) {
	scores = make([]float64, len(p.s))
	genuine = make([]bool, len(p.s))
	for i, x := range p.s {
		scores[i], genuine[i] = x.score, x.genuine
	}
	return scores, genuine
}
