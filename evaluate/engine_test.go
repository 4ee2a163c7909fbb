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

// Thresholds, walked by the engine, gives the figures of a direct scan of
// the windows (the implementation it replaced): alarmed windows are those
// below p, a stream's delay is the actions up to its first such window.
func TestThresholdsAreTheWindowScan(t *testing.T) {
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
		for _, w := range []int{1, 5, 10} {
			got, err := Thresholds(scores, w, agg, ps)
			if err != nil {
				t.Fatal(err)
			}
			for k, p := range ps {
				want := scanThreshold(scores, w, agg, p)
				g := got[k]
				if g.FalseAlarmRate != want.FalseAlarmRate || g.MissRate != want.MissRate ||
					g.ImpostorActionsToAlarm != want.ImpostorActionsToAlarm || g.GenuineActionsToFalseAlarm != want.GenuineActionsToFalseAlarm ||
					g.ImpostorDetected != want.ImpostorDetected || g.GenuineAlarmed != want.GenuineAlarmed {
					t.Errorf("%s w=%d p=%v: engine %+v, scan %+v", agg, w, p, g, want)
				}
			}
		}
	}
}

// scanThreshold is the direct scan of the windows at one threshold.
func scanThreshold(scores []UserScores, w int, agg Aggregate, p float64) ThresholdPoint {
	pt := ThresholdPoint{Threshold: p, Window: w}
	type counts struct{ windows, alarmed, streams, detected, delay int }
	scan := func(ss [][]float64) counts {
		var c counts
		for _, s := range ss {
			ws := Windows(s, w, agg)
			if len(ws) == 0 {
				continue
			}
			c.streams++
			delay := len(s)
			found := false
			for i, v := range ws {
				c.windows++
				if v < p {
					c.alarmed++
					if !found {
						delay, found = i+w, true
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
	var nUsers, nGen, nImp, genAlarmed, impDetected, genDelay, impDelay int
	for _, us := range scores {
		g, m := scan([][]float64{us.Genuine}), scan(us.Impostor)
		if g.streams == 0 || m.streams == 0 {
			continue
		}
		nUsers++
		pt.FalseAlarmRate += float64(g.alarmed) / float64(g.windows)
		pt.MissRate += float64(m.windows-m.alarmed) / float64(m.windows)
		nGen, nImp = nGen+g.streams, nImp+m.streams
		genAlarmed, impDetected = genAlarmed+g.detected, impDetected+m.detected
		genDelay, impDelay = genDelay+g.delay, impDelay+m.delay
	}
	pt.FalseAlarmRate /= float64(nUsers)
	pt.MissRate /= float64(nUsers)
	pt.GenuineActionsToFalseAlarm = float64(genDelay) / float64(nGen)
	pt.ImpostorActionsToAlarm = float64(impDelay) / float64(nImp)
	pt.GenuineAlarmed = float64(genAlarmed) / float64(nGen)
	pt.ImpostorDetected = float64(impDetected) / float64(nImp)
	return pt
}
