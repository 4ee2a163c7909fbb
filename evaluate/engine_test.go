package evaluate

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/mouseauth/mouseauth/decide"
)

// The windows evaluate scores (Summarize, Thresholds) are the decision
// engine's: a window's score is the statistic the window rule judges after
// the window's last action, for every aggregate and size, on the scores of
// a real protocol run.
func TestWindowScoresAreEngineStatistics(t *testing.T) {
	t.Parallel()
	d := synth(4, 60, 5, 1.5, 3)
	scores, _, err := ScoreUsers(context.Background(), d, Options{Classifier: centroid{jitter: true}, Protocol: Strict, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, agg := range []Aggregate{AggMean, AggMedian, AggTrimmed, AggLogOdds} {
		for _, w := range []int{1, 3, 10} {
			p := decide.WindowPolicy(w, agg, 0.5)
			p.Memory = 0
			for _, us := range scores {
				streams := append([][]float64{us.Genuine}, us.Impostor...)
				for _, s := range streams {
					in := make([]decide.Input, len(s))
					for i, x := range s {
						in[i] = decide.Input{Score: x}
					}
					vs, err := decide.Run(p, in)
					if err != nil {
						t.Fatal(err)
					}
					ws := Windows(s, w, agg)
					if len(ws) != max(0, len(s)-w+1) {
						t.Fatalf("%s w=%d: %d windows of %d scores", agg, w, len(ws), len(s))
					}
					for i, v := range vs {
						if v.Judged != (i >= w-1) {
							t.Fatalf("%s w=%d action %d: judged %v", agg, w, i, v.Judged)
						}
						if v.Judged && v.Statistic != ws[i-w+1] {
							t.Fatalf("%s w=%d action %d: engine %v, evaluate window %v", agg, w, i, v.Statistic, ws[i-w+1])
						}
					}
				}
			}
		}
	}
}

// Thresholds gives the figures of the decision engine's window rule
// (decide.WindowPolicy at each threshold, repeats not checked) walking every
// stream as one session: a rejected window is a judged verdict the policy
// does not accept, a stream's delay the actions up to its alert.
func TestThresholdsAreTheEngineWalk(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	var scores []UserScores
	for u := range 5 {
		us := UserScores{User: string(rune('a' + u))}
		for range 40 + rng.IntN(30) {
			us.Genuine = append(us.Genuine, min(1, rng.Float64()*1.3))
		}
		for range 3 {
			var s []float64
			for range 5 + rng.IntN(40) {
				s = append(s, rng.Float64()*0.8)
			}
			us.Impostor = append(us.Impostor, s)
		}
		scores = append(scores, us)
	}
	ps := []float64{0, 0.2, 0.35, 0.5, 0.65, 1}
	for _, agg := range []Aggregate{AggMean, AggLogOdds} {
		set := &ScoreSet{Aggregate: agg, Scores: [][]UserScores{scores}, Seeds: []int64{0}}
		for _, w := range []int{1, 5, 10} {
			got, err := Thresholds(set, w, ThresholdRules{Values: ps})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ps) {
				t.Fatalf("%d points for %d thresholds", len(got), len(ps))
			}
			for k, p := range ps {
				want := engineWalk(t, scores, w, agg, p)
				g := got[k]
				if g.Threshold != p || g.FNMR != want.FNMR || g.FMR != want.FMR ||
					g.ImpostorActionsToRejection != want.ImpostorActionsToRejection || g.GenuineActionsToRejection != want.GenuineActionsToRejection ||
					g.ImpostorsRejected != want.ImpostorsRejected || g.GenuineRejected != want.GenuineRejected {
					t.Errorf("%s w=%d p=%v: Thresholds %+v, engine %+v", agg, w, p, g, want)
				}
			}
		}
	}
}

// engineWalk is the threshold point of the engine's window rule at p,
// pooled over every user's streams.
func engineWalk(t *testing.T, scores []UserScores, w int, agg Aggregate, p float64) ThresholdPoint {
	t.Helper()
	policy := decide.WindowPolicy(w, agg, p)
	policy.Memory = 0
	type counts struct{ windows, rejected, streams, detected, delay int }
	walk := func(ss [][]float64) counts {
		var c counts
		for _, s := range ss {
			if len(s) < w {
				continue
			}
			in := make([]decide.Input, len(s))
			for i, x := range s {
				in[i] = decide.Input{Score: x}
			}
			vs, err := decide.Run(policy, in)
			if err != nil {
				t.Fatal(err)
			}
			c.streams++
			delay, found := len(s), false
			for i, v := range vs {
				if !v.Judged {
					continue
				}
				c.windows++
				if !policy.Accepts(v.Statistic) {
					c.rejected++
					if !found {
						delay, found = i+1, true
					}
				}
			}
			c.delay += delay
			if found {
				c.detected++
			}
		}
		return c
	}
	var g, m counts
	for _, us := range scores {
		gu, mu := walk([][]float64{us.Genuine}), walk(us.Impostor)
		if gu.streams == 0 || mu.streams == 0 {
			continue
		}
		g = counts{g.windows + gu.windows, g.rejected + gu.rejected, g.streams + gu.streams, g.detected + gu.detected, g.delay + gu.delay}
		m = counts{m.windows + mu.windows, m.rejected + mu.rejected, m.streams + mu.streams, m.detected + mu.detected, m.delay + mu.delay}
	}
	return ThresholdPoint{Window: w, Threshold: p,
		FNMR:                      float64(g.rejected) / float64(g.windows),
		FMR:                       float64(m.windows-m.rejected) / float64(m.windows),
		GenuineActionsToRejection: float64(g.delay) / float64(g.streams), ImpostorActionsToRejection: float64(m.delay) / float64(m.streams),
		GenuineRejected: float64(g.detected) / float64(g.streams), ImpostorsRejected: float64(m.detected) / float64(m.streams)}
}
