package preprocess

import (
	"math"
	"testing"

	"github.com/mouseauth/mouseauth/dataset"
	"gonum.org/v1/gonum/floats/scalar"
)

func featureIndex(t *testing.T, name string) int {
	t.Helper()
	for i, n := range FeatureNames {
		if n == name {
			return i
		}
	}
	t.Fatalf("no feature %q", name)
	return -1
}

func checkFeatures(t *testing.T, got [NumFeatures]float64, want map[string]float64) {
	t.Helper()
	for name, w := range want {
		g := got[featureIndex(t, name)]
		if !scalar.EqualWithinAbsOrRel(g, w, 1e-9, 1e-9) {
			t.Errorf("%s = %v, want %v", name, g, w)
		}
	}
}

func onlyAction(t *testing.T, file string, c Compat) Action {
	t.Helper()
	as := Segment(readLog(t, file), SegmentOptions{Compat: c})
	if len(as) == 0 {
		t.Fatalf("%s: no action", file)
	}
	return as[len(as)-1]
}

// A straight horizontal line, 10 px every 0.1 s.
func TestExtractStraightLine(t *testing.T) {
	t.Parallel()
	got := Extract(onlyAction(t, "straight.csv", Clean), Clean)
	checkFeatures(t, got, map[string]float64{
		"type_of_action": 1, "traveled_distance_pixel": 50, "elapsed_time": 0.5,
		"direction_of_movement": 0, "straightness": 1, "num_points": 6, "sum_of_angles": 0,
		"mean_curv": 0, "sd_curv": 0, "max_curv": 0, "min_curv": 0,
		"mean_omega": 0, "sd_omega": 0,
		"largest_deviation": 0, "dist_end_to_end_line": 50,
		// 5 steps give 4 curvature values, all 0.
		"num_critical_points": 4,
		"mean_vx":             100, "sd_vx": 0, "max_vx": 100, "min_vx": 100,
		"mean_vy": 0, "max_vy": 0, "mean_v": 100, "min_v": 100,
		"mean_a": 0, "sd_a": 0, "max_a": 0, "mean_jerk": 0,
		// Constant speed: the rise ends at the first sample, 0.1 s in.
		"a_beg_time": 0.1,
	})
}

// Three steps right, then three steps down (y grows downwards).
func TestExtractRightAngle(t *testing.T) {
	t.Parallel()
	got := Extract(onlyAction(t, "rightangle.csv", Clean), Clean)
	chord := math.Sqrt(30*30 + 30*30)
	checkFeatures(t, got, map[string]float64{
		"traveled_distance_pixel": 60, "elapsed_time": 0.6, "num_points": 7,
		"dist_end_to_end_line": chord, "straightness": chord / 60,
		// atan2(30, 30) = pi/4: sector 1.
		"direction_of_movement": 1,
		// 3 steps at angle 0 and 3 at pi/2.
		"sum_of_angles": 3 * math.Pi / 2,
		// The corner (130,100) is farthest from the chord: |30*0 - 30*30| / chord.
		"largest_deviation": 900 / chord,
		// Curvatures 0, 0, (pi/2)/10, 0, 0.
		"max_curv": math.Pi / 20, "min_curv": 0, "mean_curv": math.Pi / 100,
		"num_critical_points": 4,
		// Omega: the same turn over 0.1 s.
		"max_omega": math.Pi / 2 / 0.1, "mean_omega": math.Pi / 2 / 0.1 / 5,
		"mean_vx": 50, "max_vx": 100, "min_vx": 0, "mean_vy": 50, "mean_v": 100,
	})
	// sd of {0,0,c,0,0} with n-1: sqrt((4*(c/5)^2 + (4c/5)^2) / 4).
	c := math.Pi / 20
	wantSD := math.Sqrt((4*math.Pow(c/5, 2) + math.Pow(4*c/5, 2)) / 4)
	checkFeatures(t, got, map[string]float64{"sd_curv": wantSD})
}

func TestExtractClickAndDrag(t *testing.T) {
	t.Parallel()
	pc := Extract(onlyAction(t, "click.csv", Clean), Clean)
	// 5 steps of (10,10) then two steps of 0 (press and release in place).
	checkFeatures(t, pc, map[string]float64{
		"type_of_action": 3, "num_points": 8, "elapsed_time": 0.7,
		"traveled_distance_pixel": 50 * math.Sqrt2, "straightness": 1, "direction_of_movement": 1,
		"sum_of_angles": 5 * math.Pi / 4,
		"max_v":         100 * math.Sqrt2, "min_v": 0,
	})
	dd := Extract(onlyAction(t, "drag.csv", Clean), Clean)
	// Press, 4 drags 10 px up, release in place: angle -pi/2 is sector 6.
	checkFeatures(t, dd, map[string]float64{
		"type_of_action": 4, "num_points": 6, "elapsed_time": 0.5,
		"traveled_distance_pixel": 40, "direction_of_movement": 6, "mean_vy": -80, "min_vy": -100,
	})
}

func TestExtractReferenceConventions(t *testing.T) {
	t.Parallel()
	// 6 points 0.04 s apart (no resampling: every gap is under 0.05 s).
	var line []dataset.Event
	for i := 0; i < 6; i++ {
		line = append(line, mv(0.04*float64(i), int32(100+10*i), 100))
	}
	got := Extract(Action{Kind: MM, Events: line}, Reference)
	// vx = 0, 250, 250, 250, 250, 250: the leading 0 counts in the mean.
	mean := 1250.0 / 6
	checkFeatures(t, got, map[string]float64{
		"num_points": 6, "mean_vx": mean, "max_vx": 250,
		// min skips the leading 0 (mouse moves start from the second value).
		"min_vx": 250,
		// sd skips the first element, around the full mean, over n-1.
		"sd_vx": math.Sqrt(5 * math.Pow(250-mean, 2) / 5),
		// a_beg_time: the time while a > 0: only the first step.
		"a_beg_time": 0.04,
	})
	// min skips the leading 0; for a mouse move's vx, vy and v it also skips
	// the steps without movement, for other actions it does not.
	still := append(append([]dataset.Event{}, line[:3]...), mv(0.12, 120, 100))
	still = append(still, mv(0.16, 130, 100), mv(0.20, 140, 100))
	// steps: 10, 10, 0, 10, 10 px every 0.04 s.
	got = Extract(Action{Kind: MM, Events: still}, Reference)
	checkFeatures(t, got, map[string]float64{"min_vx": 250, "min_v": 250})
	got = Extract(Action{Kind: PC, Events: still}, Reference)
	checkFeatures(t, got, map[string]float64{"min_vx": 0, "min_v": 0, "max_vx": 250})

	// A 0 s step counts as 0.01 s.
	z := Action{Kind: MM, Events: []dataset.Event{mv(0, 10, 10), mv(0, 20, 10), mv(0.01, 30, 10), mv(0.02, 40, 10)}}
	got = Extract(z, Reference)
	checkFeatures(t, got, map[string]float64{"max_vx": 1000, "mean_vx": 750})
}

// Resampling: a 0.2 s gap holds 4 steps of 0.05 s, so 3 points are inserted:
// x in equal steps, y along the slope, coordinates truncated, and the
// published cumulative time (0.05, then +0.10, then +0.15).
func TestReferenceResample(t *testing.T) {
	t.Parallel()
	e := Extractor{Compat: Reference}
	e.load(Action{Kind: MM, Events: []dataset.Event{mv(0, 10, 10), mv(0.2, 51, 30), mv(0.27, 60, 30)}})
	e.resample()
	wantX := []float64{10, 20, 30, 40, 51, 60}
	// slope 20/41 per x: 10 + 10.25*20/41 = 15, 20, 25 (exactly), truncated.
	wantY := []float64{10, 15, 20, 25, 30, 30}
	wantT := []float64{0, 0.05, 0.15, 0.30, 0.2, 0.27}
	if len(e.x) != len(wantX) {
		t.Fatalf("resampled to %d points (%v), want %d", len(e.x), e.x, len(wantX))
	}
	for i := range wantX {
		if e.x[i] != wantX[i] || e.y[i] != wantY[i] || math.Abs(e.t[i]-wantT[i]) > 1e-12 {
			t.Errorf("point %d = (%v,%v,%v), want (%v,%v,%v)", i, e.x[i], e.y[i], e.t[i], wantX[i], wantY[i], wantT[i])
		}
	}
	// Before truncation x advanced by 41/4 = 10.25.
	if e.ux[1] != 20.25 {
		t.Errorf("untruncated x[1] = %v, want 20.25", e.ux[1])
	}
	// An action shorter than one step is not resampled.
	e.load(Action{Kind: MM, Events: []dataset.Event{mv(0, 1, 1), mv(0.04, 2, 2)}})
	e.resample()
	if len(e.x) != 2 {
		t.Errorf("short action resampled to %d points", len(e.x))
	}
}

// Degenerate actions give documented values and never NaN or Inf.
func TestExtractDegenerate(t *testing.T) {
	t.Parallel()
	same := []dataset.Event{mv(1, 5, 5), mv(1, 5, 5), mv(1, 5, 5), mv(1, 5, 5)}
	back := []dataset.Event{mv(2, 5, 5), mv(1, 6, 5), mv(0, 7, 5), mv(0, 8, 9)}
	tiny := []dataset.Event{mv(0, 5, 5), mv(1e-300, 4000, 4000), mv(2e-300, 5, 5), mv(3e-300, 4000, 1)}
	for _, c := range []Compat{Clean, Reference} {
		for name, evs := range map[string][]dataset.Event{"empty": nil, "one": same[:1], "same": same, "backwards": back, "tiny": tiny} {
			got := Extract(Action{Kind: MM, Events: evs}, c)
			for i, v := range got {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%v %s: %s = %v", c, name, FeatureNames[i], v)
				}
			}
			if c == Clean && name != "tiny" && name != "backwards" {
				checkFeatures(t, got, map[string]float64{"straightness": 1, "mean_v": 0, "traveled_distance_pixel": 0})
			}
		}
	}
}

func TestDirectionBins(t *testing.T) {
	t.Parallel()
	q := math.Pi / 4
	for _, tt := range []struct{ theta, want float64 }{
		{0, 0}, {q - 1e-9, 0}, {q, 1}, {2 * q, 2}, {3 * q, 3}, {math.Pi, 3},
		// Negative angles: [-pi/4, 0) is 7, ..., [-pi, -3pi/4) is 4.
		{-1e-9, 7}, {-q, 7}, {-q - 1e-9, 6}, {-2 * q, 6}, {-3 * q, 5}, {-3*q - 1e-9, 4}, {-math.Pi, 4},
	} {
		if got := direction(tt.theta); got != tt.want {
			t.Errorf("direction(%v) = %v, want %v", tt.theta, got, tt.want)
		}
	}
}

func BenchmarkFeatures(b *testing.B) {
	var evs []dataset.Event
	for i := 0; i < 40; i++ {
		evs = append(evs, mv(0.02*float64(i)*float64(1+i%3), int32(100+i*i%97), int32(200+3*i)))
	}
	a := Action{Kind: PC, Events: evs}
	for _, c := range []Compat{Clean, Reference} {
		b.Run(c.String(), func(b *testing.B) {
			ex := Extractor{Compat: c}
			b.ReportAllocs()
			for b.Loop() {
				ex.Extract(a)
			}
		})
	}
}
