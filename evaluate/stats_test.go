package evaluate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestWilcoxonAgainstScipy checks the signed-rank test against
// scipy.stats.wilcoxon(d) (scipy 1.10.1, default arguments), exact and
// approximate.
func TestWilcoxonAgainstScipy(t *testing.T) {
	t.Parallel()
	tieFree := []float64{0.012, -0.004, 0.031, 0.008, -0.015, 0.022, 0.005, 0.017, -0.002, 0.009, 0.027, 0.011, -0.007,
		0.014, 0.019, 0.003, 0.025, -0.013, 0.006, 0.016, 0.021}
	// 60 differences rounded to 0.01: ties and zeros, the normal
	// approximation with the tie correction.
	ties := []float64{0.01, 0.02, 0.0, -0.02, 0.0, -0.02, 0.01, 0.05, 0.0, -0.01, 0.02, 0.02, 0.01, -0.02, 0.01, 0.03,
		-0.03, 0.0, -0.05, -0.03, -0.05, 0.0, -0.03, 0.02, 0.01, 0.0, -0.07, -0.01, 0.01, 0.01, -0.04, 0.0, -0.02, -0.01,
		0.04, -0.01, 0.01, 0.04, -0.01, 0.01, 0.01, 0.01, -0.03, 0.01, 0.05, -0.04, 0.04, 0.01, -0.01, 0.07, 0.03, -0.03,
		0.01, 0.03, 0.0, 0.03, 0.01, 0.03, 0.05, -0.01}
	for _, tt := range []struct {
		name  string
		d     []float64
		t, p  float64
		exact bool
	}{
		{"exact", tieFree, 34, 0.0032787322998046875, true},
		{"exact small", []float64{0.5, -0.4, 0.3, -0.2, 0.1}, 6, 0.8125, true},
		{"approx ties zeros", ties, 597.5, 0.3996031305965315, false},
		{"zero among 10", []float64{1, -2, 3, 4, 0, 5, -6, 7, 8, 9}, 8, 0.08583095844428565, false},
	} {
		r, err := Wilcoxon(tt.d)
		if err != nil {
			t.Fatal(err)
		}
		if r.T != tt.t || math.Abs(r.P-tt.p) > 1e-12 || r.Exact != tt.exact {
			t.Errorf("%s: T %v p %.16f exact %v, scipy T %v p %.16f", tt.name, r.T, r.P, r.Exact, tt.t, tt.p)
		}
	}
	if _, err := Wilcoxon([]float64{0, 0}); err == nil {
		t.Error("all zero: no error")
	}
}

func TestBootstrapMean(t *testing.T) {
	t.Parallel()
	rng := func() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }
	if e := BootstrapMean([]float64{0.7}, 100, rng()); e.Value != 0.7 || e.HasInterval() || e.NA == "" {
		t.Errorf("one user: %+v", e)
	}
	if e := BootstrapMean(nil, 100, rng()); e.HasInterval() || e.NA == "" {
		t.Errorf("no user: %+v", e)
	}
	if e := BootstrapMean([]float64{0.5, 0.5, 0.5}, 100, rng()); *e.Lo != 0.5 || *e.Hi != 0.5 {
		t.Errorf("constant: %+v", e)
	}
	// Two users 0 and 1: resampled means are 0, 0.5, 1 with chances 1/4,
	// 1/2, 1/4, so the 95% interval is [0, 1].
	if e := BootstrapMean([]float64{0, 1}, 2000, rng()); e.Value != 0.5 || *e.Lo != 0 || *e.Hi != 1 {
		t.Errorf("two users: %+v", e)
	}
	// Reproducible, and the interval of 30 normal values covers the mean
	// within about 2 standard errors.
	r := rand.New(rand.NewPCG(3, 4))
	v := make([]float64, 30)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	a, b := BootstrapMean(v, 2000, rng()), BootstrapMean(v, 2000, rng())
	if *a.Lo != *b.Lo || *a.Hi != *b.Hi {
		t.Error("same seed, other interval")
	}
	se := 1 / math.Sqrt(30)
	if w := *a.Hi - *a.Lo; w < 2.5*se || w > 5*se || *a.Lo > a.Value || *a.Hi < a.Value {
		t.Errorf("interval %v..%v around %v, width %v, SE %v", *a.Lo, *a.Hi, a.Value, w, se)
	}
}

// TestPoolWalk checks the bootstrap's weighted walk against ComputeROC:
// unit weights give the same AUC and EER, and integer weights the figures
// of the data with each user's windows repeated that often.
func TestPoolWalk(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	var xs []sample
	for u := range 6 {
		for range 40 {
			g := r.IntN(2) == 0
			s := math.Round((r.NormFloat64()+map[bool]float64{true: 1, false: 0}[g])*10) / 10 // ties
			xs = append(xs, sample{s, g, int32(u)})
		}
	}
	p := newPool(slices.Clone(xs), 6)
	check := func(w []float64) {
		t.Helper()
		var scores []float64
		var labels []bool
		for _, x := range xs {
			n := 1
			if w != nil {
				n = int(w[x.user])
			}
			for range n {
				scores, labels = append(scores, x.score), append(labels, x.genuine)
			}
		}
		roc, auc, eer, thr, err := ComputeROC(scores, labels)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := p.walk(w)
		if !ok || math.Abs(c.auc-auc) > 1e-12 || math.Abs(c.eer-eer) > 1e-12 || math.Abs(c.eerThreshold-thr) > 1e-12 {
			t.Errorf("weights %v: walk AUC %v EER %v thr %v, ComputeROC %v %v %v", w, c.auc, c.eer, c.eerThreshold, auc, eer, thr)
		}
		// FNMR at FMR <= 1%: the best TPR among ROC points with FPR <= 0.01.
		best := 0.0
		for i, f := range roc.FPR {
			if f <= FMRTarget1 {
				best = math.Max(best, roc.TPR[i])
			}
		}
		if math.Abs(c.fnmr1-(1-best)) > 1e-12 {
			t.Errorf("weights %v: FNMR at FMR 1%% %v, want %v", w, c.fnmr1, 1-best)
		}
	}
	check(nil)
	check([]float64{2, 0, 1, 3, 1, 0})
	check([]float64{0, 0, 0, 6, 0, 0})
	if _, ok := p.walk([]float64{0, 0, 0, 0, 0, 0}); ok {
		t.Error("no weight: ok")
	}
}

// TestPooledFiguresOneUser: one user gives the figures without intervals,
// saying why, never NaN.
func TestPooledFiguresOneUser(t *testing.T) {
	t.Parallel()
	xs := []sample{{0.9, true, 0}, {0.8, true, 0}, {0.3, false, 0}, {0.85, false, 0}}
	pf, err := pooledFigures(newPool(xs, 1), 100, rand.New(rand.NewPCG(1, 1)), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Estimate{pf.AUC, pf.EER, pf.FNMRAtFMR1, pf.ZeroFMR} {
		if e.HasInterval() || e.NA == "" || math.IsNaN(e.Value) {
			t.Errorf("one user: %+v", e)
		}
	}
	// 0.9 beats both impostors, 0.8 one of two: AUC 0.75; at FMR 0 only
	// 0.9 is accepted: ZeroFMR 0.5.
	if pf.AUC.Value != 0.75 || pf.ZeroFMR.Value != 0.5 {
		t.Errorf("AUC %v ZeroFMR %v", pf.AUC.Value, pf.ZeroFMR.Value)
	}
}

// TestHTER: the threshold is the development halves' EER threshold, the
// rates those of the test halves at it.
func TestHTER(t *testing.T) {
	t.Parallel()
	dev := newPool([]sample{{0.9, true, 0}, {0.6, true, 0}, {0.5, false, 0}, {0.2, false, 0}}, 1)
	test := newPool([]sample{{0.7, true, 0}, {0.4, true, 0}, {0.65, false, 0}, {0.1, false, 0}}, 1)
	h, na := hterFigures(dev, test, 10, rand.New(rand.NewPCG(1, 1)), true)
	if h == nil {
		t.Fatal(na)
	}
	// Dev separates perfectly: EER 0 at the threshold 0.6 (the lowest
	// genuine score). Test at 0.6: 0.4 rejected (FNMR 0.5), 0.65 accepted
	// (FMR 0.5).
	if h.DevEER != 0 || h.Threshold != 0.6 || h.FMR.Value != 0.5 || h.FNMR.Value != 0.5 || h.HTER.Value != 0.5 {
		t.Errorf("HTER %+v", h)
	}
	if h, na := hterFigures(newPool([]sample{{0.9, true, 0}}, 1), test, 10, rand.New(rand.NewPCG(1, 1)), true); h != nil || na == "" {
		t.Errorf("one class in dev: %+v %q", h, na)
	}
}
