package evaluate

import (
	"math"
	"testing"
)

func TestThresholds(t *testing.T) {
	t.Parallel()
	us := []UserScores{{
		User:     "a",
		Genuine:  []float64{0.9, 0.8, 0.3, 0.9},            // windows of 2: 0.85 0.55 0.6
		Impostor: [][]float64{{0.6, 0.2, 0.1}, {0.9, 0.9}}, // 0.4 0.15 | 0.9
	}}
	pts, err := Thresholds(us, 2, AggMean, []float64{0.5, 0.58})
	if err != nil {
		t.Fatal(err)
	}
	want := []ThresholdPoint{
		// p=0.5: no genuine alarm (censored at 4 actions); impostor stream 1
		// alarms at its 2nd action, stream 2 never (censored at 2).
		{Threshold: 0.5, Window: 2, FalseAlarmRate: 0, MissRate: 1.0 / 3,
			GenuineActionsToFalseAlarm: 4, ImpostorActionsToAlarm: (2 + 2) / 2.0,
			GenuineAlarmed: 0, ImpostorDetected: 0.5},
		// p=0.58: genuine window 2 (0.55) alarms at action 3.
		{Threshold: 0.58, Window: 2, FalseAlarmRate: 1.0 / 3, MissRate: 1.0 / 3,
			GenuineActionsToFalseAlarm: 3, ImpostorActionsToAlarm: 2,
			GenuineAlarmed: 1, ImpostorDetected: 0.5},
	}
	for i, w := range want {
		g := pts[i]
		if g.Threshold != w.Threshold || g.Window != w.Window || !near(g.FalseAlarmRate, w.FalseAlarmRate) ||
			!near(g.MissRate, w.MissRate) || !near(g.GenuineActionsToFalseAlarm, w.GenuineActionsToFalseAlarm) ||
			!near(g.ImpostorActionsToAlarm, w.ImpostorActionsToAlarm) || !near(g.GenuineAlarmed, w.GenuineAlarmed) ||
			!near(g.ImpostorDetected, w.ImpostorDetected) {
			t.Errorf("point %d = %+v\nwant %+v", i, g, w)
		}
	}
	if _, err := Thresholds(us, 5, AggMean, []float64{0.5}); err == nil {
		t.Error("window longer than every stream: no error")
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
