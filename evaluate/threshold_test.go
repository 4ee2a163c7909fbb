package evaluate

import (
	"fmt"
	"math"
	"testing"
)

func TestThresholds(t *testing.T) {
	us := []UserScores{{
		User:     "a",
		Genuine:  []float64{0.9, 0.8, 0.3, 0.9},            // windows of 2: 0.85 0.55 0.6
		Impostor: [][]float64{{0.6, 0.2, 0.1}, {0.9, 0.9}}, // 0.4 0.15 | 0.9
	}}
	set := &ScoreSet{Scores: [][]UserScores{us}, Aggregate: AggMean, Seeds: []int64{0}}
	pts, err := Thresholds(set, 2, ThresholdRules{Values: []float64{0.5, 0.58}})
	if err != nil {
		t.Fatal(err)
	}
	want := []ThresholdPoint{
		// 0.5: no genuine window rejected (censored at 4 actions); impostor
		// stream 1 rejected at its 2nd action, stream 2 never (censored at 2).
		{Threshold: 0.5, Window: 2, Rule: "value", Target: 0.5, FNMR: 0, FMR: 1.0 / 3,
			GenuineActionsToRejection: 4, ImpostorActionsToRejection: (2 + 2) / 2.0,
			GenuineRejected: 0, ImpostorsRejected: 0.5},
		// 0.58: genuine window 2 (0.55) rejected at action 3.
		{Threshold: 0.58, Window: 2, Rule: "value", Target: 0.58, FNMR: 1.0 / 3, FMR: 1.0 / 3,
			GenuineActionsToRejection: 3, ImpostorActionsToRejection: 2,
			GenuineRejected: 1, ImpostorsRejected: 0.5},
	}
	for i, w := range want {
		g := pts[i]
		if g.Threshold != w.Threshold || g.Window != w.Window || g.Rule != w.Rule || g.Target != w.Target || !near(g.FNMR, w.FNMR) ||
			!near(g.FMR, w.FMR) || !near(g.GenuineActionsToRejection, w.GenuineActionsToRejection) ||
			!near(g.ImpostorActionsToRejection, w.ImpostorActionsToRejection) || !near(g.GenuineRejected, w.GenuineRejected) ||
			!near(g.ImpostorsRejected, w.ImpostorsRejected) {
			t.Errorf("point %d = %+v\nwant %+v", i, g, w)
		}
	}
	if _, err := Thresholds(set, 5, ThresholdRules{Values: []float64{0.5}}); err == nil {
		t.Error("window longer than every stream: no error")
	}
}

// TestThresholdRules checks the thresholds chosen by FMR target, quantile
// and EER on the windows of size 1.
func TestThresholdRules(t *testing.T) {
	us := []UserScores{{
		User:     "a",
		Genuine:  []float64{0.9, 0.8, 0.7, 0.6, 0.5},
		Impostor: [][]float64{{0.1, 0.2, 0.3, 0.4, 0.65, 0.75, 0.85, 0.05, 0.15, 0.25}},
	}}
	set := &ScoreSet{Scores: [][]UserScores{us}, Aggregate: AggMean, Seeds: []int64{0}}
	pts, err := Thresholds(set, 1, ThresholdRules{FMRTargets: []float64{0, 0.1, 0.25, 1}, Quantiles: []float64{0, 0.5}, EER: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ThresholdPoint{}
	for _, p := range pts {
		got[fmt.Sprintf("%s %g", p.Rule, p.Target)] = p
	}
	// FMR 0: just above the highest impostor (0.85): only 0.9 accepted.
	if p := got["fmr 0"]; p.FMR != 0 || !near(p.FNMR, 0.8) || p.Threshold <= 0.85 || p.Threshold > 0.85+1e-15 {
		t.Errorf("fmr 0: %+v", p)
	}
	// FMR 10%: one impostor (0.85) may pass: threshold just above 0.75.
	if p := got["fmr 0.1"]; !near(p.FMR, 0.1) || !near(p.FNMR, 0.6) {
		t.Errorf("fmr 0.1: %+v", p)
	}
	// 25%: two impostors (0.85, 0.75) may pass: just above 0.65.
	if p := got["fmr 0.25"]; !near(p.FMR, 0.2) || !near(p.FNMR, 0.4) {
		t.Errorf("fmr 0.25: %+v", p)
	}
	// 100%: everything accepted.
	if p := got["fmr 1"]; p.FMR != 1 || p.FNMR != 0 {
		t.Errorf("fmr 1: %+v", p)
	}
	// Quantile 0 is the lowest score; 0.5 the 8th of 15 (empirical).
	if p := got["quantile 0"]; p.Threshold != 0.05 {
		t.Errorf("quantile 0: %+v", p)
	}
	if p := got["quantile 0.5"]; p.Threshold != 0.5 {
		t.Errorf("quantile 0.5: %+v", p)
	}
	// The EER (0.3) lies between thresholds 0.65 and 0.6: at the
	// interpolated 0.625 the rates are 0.3 and 0.4.
	var p ThresholdPoint
	for _, q := range pts {
		if q.Rule == "eer" {
			p = q
		}
	}
	if !near(p.Target, 0.3) || !near(p.Threshold, 0.625) || !near(p.FMR, 0.3) || !near(p.FNMR, 0.4) {
		t.Errorf("eer: %+v", p)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].Threshold < pts[i-1].Threshold {
			t.Errorf("not by ascending threshold: %+v", pts)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
