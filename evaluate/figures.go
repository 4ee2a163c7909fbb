package evaluate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat"
)

// WindowStats are a configuration's headline figures at one window size,
// each with its interval: see the package's statistics (stats.go). Two
// EERs are given and never mixed: the mean per-user EER (each user's
// windows against its own threshold, the EER of each, averaged: the
// published convention) and the pooled EER (every user's windows against
// one global threshold, as the live service runs).
type WindowStats struct {
	// Unit is what the bootstrap resamples ("users"); Resamples how often.
	Unit      string `json:"unit"`
	Resamples int    `json:"resamples"`
	Seeds     int    `json:"seeds"`
	Users     int    `json:"users"`
	// MeanAUC and MeanEER are the mean over users of each user's AUC and
	// EER (averaged over the seeds first).
	MeanAUC Estimate `json:"mean_auc"`
	MeanEER Estimate `json:"mean_eer"`
	// SDAUCUsers and SDEERUsers are the population standard deviations over
	// users of the seed-averaged per-user figures (the per-user spread);
	// SDAUCSeeds is the sample standard deviation over seeds of the mean
	// per-user AUC (the seed noise), null with one seed.
	SDAUCUsers float64  `json:"sd_auc_users"`
	SDEERUsers float64  `json:"sd_eer_users"`
	SDAUCSeeds *float64 `json:"sd_auc_seeds"`
	// Pooled are the figures of every user's windows (of every seed) pooled.
	Pooled PooledFigures `json:"pooled"`
	// Sequential are the decision engine's figures for this window rule;
	// nil until package decide provides them.
	Sequential *Sequential `json:"sequential,omitempty"`
}

// PooledFigures are the figures of the pooled windows (see pooled.go).
type PooledFigures struct {
	Genuine  int      `json:"genuine"`  // genuine windows pooled (over users and seeds)
	Impostor int      `json:"impostor"` // impostor windows pooled
	AUC      Estimate `json:"auc"`
	EER      Estimate `json:"eer"`
	// EERThreshold is the score threshold at the pooled EER.
	EERThreshold float64 `json:"eer_threshold"`
	// FNMRAtFMR1 and FNMRAtFMR01 are the lowest FNMR of a threshold whose
	// FMR is at most 1% and 0.1%; ZeroFMR the lowest FNMR with FMR 0.
	FNMRAtFMR1  Estimate `json:"fnmr_at_fmr_1pct"`
	FNMRAtFMR01 Estimate `json:"fnmr_at_fmr_0_1pct"`
	ZeroFMR     Estimate `json:"zero_fmr"`
	// HTER is the error of a threshold chosen on development data and
	// applied to test data; nil (with HTERNA saying why) when the halves
	// are too short for the window.
	HTER   *HTERFigures `json:"hter,omitempty"`
	HTERNA string       `json:"hter_na,omitempty"`
	// Curve is the pooled ROC on [ROCGrid] (the TPR, 1 − FNMR, at each grid
	// FMR) for plots; curves.csv.gz has it at full resolution.
	Curve ROCCurve `json:"curve,omitzero"`
}

// HTERSplit says how [HTERFigures] split the test data.
const HTERSplit = "each user's genuine test stream and each impostor stream cut at its middle: the first halves are the development set, the second halves the test set"

// HTERFigures are the error rates of the threshold chosen on the
// development halves (the pooled EER threshold there) on the test halves.
type HTERFigures struct {
	Split     string   `json:"split"`
	Threshold float64  `json:"threshold"`
	DevEER    float64  `json:"dev_eer"`
	FMR       Estimate `json:"fmr"`
	FNMR      Estimate `json:"fnmr"`
	HTER      Estimate `json:"hter"` // (FMR + FNMR) / 2 on the test halves
}

// Sequential are the sequential-decision figures of a decision rule: the
// average number of impostor actions before an impostor is rejected (ANIA)
// and of genuine actions before a genuine user is (ANGA). The decision
// engine fills them.
type Sequential struct {
	Rule string   `json:"rule"`
	ANIA Estimate `json:"ania"`
	ANGA Estimate `json:"anga"`
}

// perUser are the seed-averaged per-user figures of a score set at one
// window size.
type perUser struct {
	users    []string
	auc, eer []float64   // [user], mean over seeds
	aucSeeds [][]float64 // [seed][user]
	tpr      [][]float64 // [user][grid point], mean over seeds
}

// perUserFigures computes each user's AUC, EER and ROC at window w and
// seed, and averages them over the seeds. A user without genuine or
// impostor windows at some seed is left out.
func (s *ScoreSet) perUserFigures(w int) perUser {
	all := s.users()
	seeds := s.byUser(all)
	var pu perUser
	pu.aucSeeds = make([][]float64, len(seeds))
	for u, name := range all {
		aucs := make([]float64, len(seeds))
		eers := make([]float64, len(seeds))
		tpr := make([]float64, len(ROCGrid))
		ok := true
		for k, seed := range seeds {
			ur, err := userResult(seed[u], w, s.Aggregate)
			if err != nil {
				ok = false
				break
			}
			aucs[k], eers[k] = ur.AUC, ur.EER
			for i, x := range ROCGrid {
				tpr[i] += TPRAt(ur.ROC, x) / float64(len(seeds))
			}
		}
		if !ok {
			continue
		}
		pu.users = append(pu.users, name)
		pu.auc = append(pu.auc, stat.Mean(aucs, nil))
		pu.eer = append(pu.eer, stat.Mean(eers, nil))
		pu.tpr = append(pu.tpr, tpr)
		for k := range seeds {
			pu.aucSeeds[k] = append(pu.aucSeeds[k], aucs[k])
		}
	}
	return pu
}

// errNoUsers is returned when no user has both classes at a window size.
var errNoUsers = errors.New("no user has genuine and impostor windows at every seed")

// windowFigures computes the figures of s at window w: the summary (mean
// and sd over users, the mean ROC with its pointwise interval) and its
// stats. label names the figure for the bootstrap's random streams;
// pooledCI false skips the pooled figures' bootstrap (their values stay,
// with NA saying so), which sweeps use.
func (s *ScoreSet) windowFigures(w int, o StatsOptions, label string, pooledCI bool) (WindowSummary, perUser, error) {
	pu := s.perUserFigures(w)
	if len(pu.users) == 0 {
		return WindowSummary{}, pu, fmt.Errorf("window %d: %w", w, errNoUsers)
	}
	B := o.resamples()
	sum := WindowSummary{Window: w, Users: len(pu.users)}
	sum.MeanAUC, sum.SDAUC = stat.PopMeanStdDev(pu.auc, nil)
	sum.MeanEER, sum.SDEER = stat.PopMeanStdDev(pu.eer, nil)
	st := &WindowStats{Unit: BootstrapUnit, Resamples: B, Seeds: len(s.Seeds), Users: len(pu.users),
		SDAUCUsers: sum.SDAUC, SDEERUsers: sum.SDEER}
	st.MeanAUC = BootstrapMean(pu.auc, B, o.rng(label+"/mean_auc"))
	st.MeanEER = BootstrapMean(pu.eer, B, o.rng(label+"/mean_eer"))
	if len(pu.aucSeeds) > 1 {
		means := make([]float64, len(pu.aucSeeds))
		for k, a := range pu.aucSeeds {
			means[k] = stat.Mean(a, nil)
		}
		st.SDAUCSeeds = ptr(stat.StdDev(means, nil))
	}
	sum.MeanROC = meanCurve(pu.tpr, B, o.rng(label+"/mean_roc"))

	// Pooled figures take every window of every user scored at every seed
	// (a user without both classes at this size included): the windows
	// scores.csv.gz holds. The bootstrap draws the users with a window at
	// this size.
	all := s.usersWithWindows(w)
	p := s.pool(all, w)
	pf, err := pooledFigures(p, B, o.rng(label+"/pooled"), pooledCI)
	if err != nil {
		return WindowSummary{}, pu, fmt.Errorf("window %d: %w", w, err)
	}
	dev, test := s.halves(all, w)
	pf.HTER, pf.HTERNA = hterFigures(dev, test, B, o.rng(label+"/hter"), pooledCI)
	st.Pooled = pf
	sum.Stats = st
	return sum, pu, nil
}

// meanCurve is the mean over users of the per-user TPRs on ROCGrid, with
// the pointwise bootstrap interval over users (Lo, Hi; none for one user).
func meanCurve(tpr [][]float64, B int, rng *rand.Rand) ROCCurve {
	c := ROCCurve{FPR: append([]float64(nil), ROCGrid...), TPR: make([]float64, len(ROCGrid))}
	n := len(tpr)
	for _, t := range tpr {
		for i, v := range t {
			c.TPR[i] += v / float64(n)
		}
	}
	if n < 2 {
		return c
	}
	draws := make([][]float64, len(ROCGrid))
	for i := range draws {
		draws[i] = make([]float64, B)
	}
	acc := make([]float64, len(ROCGrid))
	for b := range B {
		clear(acc)
		for range n {
			for i, v := range tpr[rng.IntN(n)] {
				acc[i] += v
			}
		}
		for i, v := range acc {
			draws[i][b] = v / float64(n)
		}
	}
	c.Lo, c.Hi = make([]float64, len(ROCGrid)), make([]float64, len(ROCGrid))
	for i := range ROCGrid {
		c.Lo[i], c.Hi[i] = percentileInterval(draws[i])
	}
	return c
}

// pooledFigures computes the pooled figures of p and, with ci, their
// bootstrap intervals over users.
func pooledFigures(p *pool, B int, rng *rand.Rand, ci bool) (PooledFigures, error) {
	scores, genuine := p.split()
	roc, auc, eer, thr, err := ComputeROC(scores, genuine)
	if err != nil {
		return PooledFigures{}, err
	}
	c, _ := p.walk(nil)
	pf := PooledFigures{Genuine: int(c.genuine), Impostor: int(c.impostor), EERThreshold: thr}
	pf.Curve = ROCCurve{FPR: append([]float64(nil), ROCGrid...), TPR: make([]float64, len(ROCGrid))}
	for i, x := range ROCGrid {
		pf.Curve.TPR[i] = TPRAt(roc, x)
	}
	values := []float64{auc, eer, c.fnmr1, c.fnmr01, c.zeroFMR}
	est := make([]Estimate, len(values))
	for i, v := range values {
		est[i] = Estimate{Value: v}
	}
	switch {
	case !ci:
		for i := range est {
			est[i].NA = "no interval: sweeps bootstrap the per-user figures only"
		}
	case p.users < 2:
		for i := range est {
			est[i].NA = "one user: no interval over users"
		}
	default:
		draws := make([][]float64, len(values))
		for i := range draws {
			draws[i] = make([]float64, 0, B)
		}
		w := make([]float64, p.users)
		for range B {
			userWeights(w, rng)
			d, ok := p.walk(w)
			if !ok {
				continue
			}
			for i, v := range []float64{d.auc, d.eer, d.fnmr1, d.fnmr01, d.zeroFMR} {
				draws[i] = append(draws[i], v)
			}
		}
		for i := range est {
			setInterval(&est[i], draws[i], B)
		}
	}
	pf.AUC, pf.EER, pf.FNMRAtFMR1, pf.FNMRAtFMR01, pf.ZeroFMR = est[0], est[1], est[2], est[3], est[4]
	return pf, nil
}

// setInterval sets e's interval from the bootstrap draws, or says why not.
func setInterval(e *Estimate, draws []float64, B int) {
	if len(draws) < B/2 {
		e.NA = fmt.Sprintf("only %d of %d resamples had both classes: no interval", len(draws), B)
		return
	}
	lo, hi := percentileInterval(draws)
	e.Lo, e.Hi = ptr(lo), ptr(hi)
}

// hterFigures chooses the threshold on dev (its pooled EER threshold) and
// applies it to test, with bootstrap intervals over users (each resample
// chooses its threshold again). It returns why not when either half lacks
// a class.
func hterFigures(dev, test *pool, B int, rng *rand.Rand, ci bool) (*HTERFigures, string) {
	d, ok := dev.walk(nil)
	if !ok {
		return nil, "the development halves have genuine or impostor windows of one class only at this window size"
	}
	fmr, fnmr, ok := test.ratesAt(d.eerThreshold, nil)
	if !ok {
		return nil, "the test halves have genuine or impostor windows of one class only at this window size"
	}
	h := &HTERFigures{Split: HTERSplit, Threshold: d.eerThreshold, DevEER: d.eer,
		FMR: Estimate{Value: fmr}, FNMR: Estimate{Value: fnmr}, HTER: Estimate{Value: (fmr + fnmr) / 2}}
	switch {
	case !ci:
		for _, e := range []*Estimate{&h.FMR, &h.FNMR, &h.HTER} {
			e.NA = "no interval: sweeps bootstrap the per-user figures only"
		}
		return h, ""
	case dev.users < 2:
		for _, e := range []*Estimate{&h.FMR, &h.FNMR, &h.HTER} {
			e.NA = "one user: no interval over users"
		}
		return h, ""
	}
	var df, dn, dh []float64
	w := make([]float64, dev.users)
	for range B {
		userWeights(w, rng)
		dc, ok := dev.walk(w)
		if !ok {
			continue
		}
		f, n, ok := test.ratesAt(dc.eerThreshold, w)
		if !ok {
			continue
		}
		df, dn, dh = append(df, f), append(dn, n), append(dh, (f+n)/2)
	}
	setInterval(&h.FMR, df, B)
	setInterval(&h.FNMR, dn, B)
	setInterval(&h.HTER, dh, B)
	return h, ""
}

// finite returns v, or nil when v is NaN or infinite (JSON holds neither).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
