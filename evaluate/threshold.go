package evaluate

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// ThresholdRules say which thresholds [Thresholds] reports: chosen by a
// target FMR, by a quantile of the scores, at the EER, or given as values.
// Thresholds are chosen on the scores they are then applied to (an
// a-posteriori operating point); the summary's HTER applies a threshold
// chosen on development data to test data.
type ThresholdRules struct {
	// FMRTargets: for each, the lowest threshold whose pooled FMR is at
	// most the target (in [0, 1]).
	FMRTargets []float64
	// Quantiles: for each q in [0, 1], the q-quantile of every pooled
	// window score, genuine and impostor (gonum's empirical quantile).
	Quantiles []float64
	// EER adds the pooled EER threshold.
	EER bool
	// Values are thresholds given as they are.
	Values []float64
}

// DefaultThresholdRules are `evaluate threshold`'s rules: FMR 0.1%, 1%, 5%
// and 10%, the EER, and the 5%, 10%, ..., 95% quantiles of the scores.
func DefaultThresholdRules() ThresholdRules {
	r := ThresholdRules{FMRTargets: []float64{0.001, 0.01, 0.05, 0.1}, EER: true}
	for q := 1; q <= 19; q++ {
		r.Quantiles = append(r.Quantiles, float64(q)/20)
	}
	return r
}

// Empty reports whether r asks for no threshold.
func (r ThresholdRules) Empty() bool {
	return len(r.FMRTargets) == 0 && len(r.Quantiles) == 0 && !r.EER && len(r.Values) == 0
}

// Thresholds returns the error rates of window size w at every threshold
// r asks for, by ascending threshold. Rates pool the windows of every user
// and seed of set (see [ThresholdPoint]).
//
// Delays: each stream (a user's genuine test actions in chronological order;
// each impostor stream of [UserScores.Impostor] in its order; of every
// seed) is walked one action at a time. After action k (counted from 1)
// with k >= w, the window of actions k-w+1..k is scored; the first k whose
// window score is below the threshold rejects and the stream's delay is k,
// the number of actions seen up to and including the rejecting one (so
// never less than w). A stream that is never rejected contributes its full
// length (a censored value, a lower bound) and is counted as not rejected.
// ImpostorActionsToRejection and GenuineActionsToRejection are the means of
// the delays over all impostor, respectively genuine, streams; streams
// shorter than w are left out. It fails if no user has a genuine and an
// impostor window at size w.
func Thresholds(set *ScoreSet, w int, r ThresholdRules) ([]ThresholdPoint, error) {
	if w < 1 {
		return nil, fmt.Errorf("window size %d: must be >= 1", w)
	}
	var gen, imp []alarmStream
	users := 0
	for _, seed := range set.Scores {
		for _, us := range seed {
			var g, m []alarmStream
			if win := Windows(us.Genuine, w, set.Aggregate); len(win) > 0 {
				g = append(g, alarmStream{win, len(us.Genuine), w})
			}
			for _, s := range us.Impostor {
				if win := Windows(s, w, set.Aggregate); len(win) > 0 {
					m = append(m, alarmStream{win, len(s), w})
				}
			}
			if len(g) > 0 && len(m) > 0 {
				gen, imp = append(gen, g...), append(imp, m...)
				users++
			}
		}
	}
	if users == 0 {
		return nil, fmt.Errorf("window %d: no user has genuine and impostor windows", w)
	}
	var all, impScores []float64
	for _, s := range gen {
		all = append(all, s.win...)
	}
	for _, s := range imp {
		all = append(all, s.win...)
		impScores = append(impScores, s.win...)
	}
	slices.Sort(all)
	slices.Sort(impScores)
	var pts []ThresholdPoint
	add := func(rule string, target, t float64) {
		pts = append(pts, ThresholdPoint{Window: w, Rule: rule, Target: target, Threshold: t})
	}
	for _, f := range r.FMRTargets {
		add("fmr", f, fmrThreshold(impScores, f, all[0]))
	}
	for _, q := range r.Quantiles {
		add("quantile", q, stat.Quantile(q, stat.Empirical, all, nil))
	}
	if r.EER {
		labels := make([]bool, 0, len(all))
		scores := make([]float64, 0, len(all))
		for _, s := range gen {
			scores = append(scores, s.win...)
		}
		for range scores {
			labels = append(labels, true)
		}
		for _, s := range imp {
			scores = append(scores, s.win...)
		}
		labels = append(labels, make([]bool, len(scores)-len(labels))...)
		_, _, eer, thr, err := ComputeROC(scores, labels)
		if err != nil {
			return nil, fmt.Errorf("window %d: %w", w, err)
		}
		add("eer", eer, thr)
	}
	for _, v := range r.Values {
		add("value", v, v)
	}
	for i := range pts {
		p := &pts[i]
		g := walkStreams(gen, p.Threshold)
		m := walkStreams(imp, p.Threshold)
		p.FNMR = float64(g.alarmedWindows) / float64(g.windows)
		p.FMR = float64(m.windows-m.alarmedWindows) / float64(m.windows)
		p.GenuineActionsToRejection = g.delay / float64(g.streams)
		p.ImpostorActionsToRejection = m.delay / float64(m.streams)
		p.GenuineRejected = float64(g.alarmedStreams) / float64(g.streams)
		p.ImpostorsRejected = float64(m.alarmedStreams) / float64(m.streams)
	}
	slices.SortStableFunc(pts, func(a, b ThresholdPoint) int { return cmpFloat(a.Threshold, b.Threshold) })
	return pts, nil
}

// fmrThreshold is the lowest threshold at which at most a share f of the
// impostor scores (sorted ascending) are accepted (score >= threshold):
// just above the highest impostor score that must be rejected, or lowest
// (every score accepted) when f allows all.
func fmrThreshold(imp []float64, f, lowest float64) float64 {
	n := len(imp)
	allowed := int(math.Floor(f*float64(n) + 1e-9)) // impostor windows that may be accepted
	if allowed >= n {
		return lowest
	}
	return math.Nextafter(imp[n-allowed-1], math.Inf(1))
}

// alarmStream is the window scores of one stream of consecutive actions.
type alarmStream struct {
	win []float64
	n   int // actions in the stream
	w   int // window size
}

// firstAlarm returns the delay of s at threshold p (actions up to and
// including the one completing the first window below p, or the stream's
// length) and whether it alarmed.
func (s alarmStream) firstAlarm(p float64) (int, bool) {
	for i, v := range s.win {
		if v < p {
			return i + s.w, true
		}
	}
	return s.n, false
}

// alarmCounts sums the alarm figures of a set of streams at one threshold.
type alarmCounts struct {
	windows, alarmedWindows int
	streams, alarmedStreams int
	delay                   float64 // sum of the streams' delays
}

func walkStreams(ss []alarmStream, p float64) alarmCounts {
	var c alarmCounts
	for _, s := range ss {
		for _, v := range s.win {
			if v < p {
				c.alarmedWindows++
			}
		}
		c.windows += len(s.win)
		d, ok := s.firstAlarm(p)
		c.delay += float64(d)
		c.streams++
		if ok {
			c.alarmedStreams++
		}
	}
	return c
}
