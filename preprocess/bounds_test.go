package preprocess

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/dataset"
	"github.com/mouseauth/mouseauth/internal/testutil"
)

// extractAllForTest extracts every action under dir with c, the way
// `preprocess features` does (time filter included).
func extractAllForTest(t *testing.T, dir string, c Compat) []FeatureVector {
	t.Helper()
	var out []FeatureVector
	_, err := ExtractAll(context.Background(), dir, ExtractOptions{Compat: c, Collect: func(v *FeatureVector) { out = append(out, *v) }})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// synthDirForTest writes dataset synth logs under a temporary folder.
func synthDirForTest(t *testing.T, opts dataset.SynthOptions) string {
	t.Helper()
	dir := t.TempDir()
	create := func(user, session string) (io.WriteCloser, error) {
		if err := os.MkdirAll(filepath.Join(dir, user), 0o755); err != nil {
			return nil, err
		}
		return os.Create(filepath.Join(dir, user, session))
	}
	if _, err := dataset.Synthesize(context.Background(), opts, create, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkAllInside fails for every vector outside c's bounds (the first few
// named) and logs how close the data come to each limit.
func checkAllInside(t *testing.T, what string, vs []FeatureVector, c Compat) {
	t.Helper()
	if len(vs) == 0 {
		t.Fatalf("%s: no vectors", what)
	}
	p := PhysicalBounds(c)
	bad := 0
	for _, v := range vs {
		if ok, why := p.Check(v.Values[:]); !ok {
			if bad < 5 {
				t.Errorf("%s %s: %s/%s action %d is outside the physical bounds: %s", what, c, v.User, v.Session, v.Index, why)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s %s: %d of %d vectors outside", what, c, bad, len(vs))
	}
}

// TestPhysicalBoundsHoldOnLogs: every vector extracted from dataset synth
// logs, in both conventions, is inside the physical bounds (a real vector
// outside would mean a wrong bound); TestPhysicalBoundsHoldOnBalabit checks
// the Balabit training sessions.
func TestPhysicalBoundsHoldOnLogs(t *testing.T) {
	t.Parallel()
	synth := synthDirForTest(t, dataset.SynthOptions{Users: 8, Sessions: 2, Actions: 200, Seed: 5})
	for _, c := range []Compat{Clean, Reference} {
		checkAllInside(t, "dataset synth", extractAllForTest(t, synth, c), c)
	}
}

// TestPhysicalBoundsHoldOnBalabit: every vector extracted from the Balabit
// training sessions, in both conventions, is inside the physical bounds.
func TestPhysicalBoundsHoldOnBalabit(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "extracts the features of 95 MB of Balabit logs twice")
	if testing.Short() {
		t.Skip("the Balabit logs (95 MB) are skipped in -short mode")
	}
	balabit := testutil.Data(t, balabitRel)
	for _, c := range []Compat{Clean, Reference} {
		checkAllInside(t, "Balabit", extractAllForTest(t, balabit, c), c)
	}
}

// TestPhysicalBoundsPublishedBalabit: the published Balabit file (the
// published extractor, the reference convention) is inside the reference
// bounds too.
func TestPhysicalBoundsPublishedBalabit(t *testing.T) {
	t.Parallel()
	d, err := ReadTableFile(testutil.Data(t, "features/balabit_39feat_PC_MM_DD_1000.csv"))
	if err != nil {
		t.Fatal(err)
	}
	p := PhysicalBounds(Reference)
	bad := 0
	for i, x := range d.X {
		if ok, why := p.Check(x); !ok {
			if bad < 5 {
				t.Errorf("row %d (%s): %s", i, d.Users[i], why)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d published rows outside", bad, len(d.X))
	}
}

// TestPhysicalBoundsRefuseCrafted: hand-made vectors no movement makes are
// outside, with a reason naming the feature or relation.
func TestPhysicalBoundsRefuseCrafted(t *testing.T) {
	t.Parallel()
	valid := func() []float64 {
		// A real clean point-click: 20 points over 0.4 s.
		x := make([]float64, NumFeatures)
		x[fType], x[fTraveled], x[fElapsed], x[fDirection], x[fStraightness], x[fNumPoints] = 3, 300, 0.4, 2, 0.9, 20
		x[fSumAngles], x[fChord], x[fLargest], x[fCritical] = 10, 270, 20, 3
		x[fCurv], x[fCurv+1], x[fCurv+2], x[fCurv+3] = 0.01, 0.05, 0.2, -0.1
		x[fOmega], x[fOmega+1], x[fOmega+2], x[fOmega+3] = 0.5, 2, 8, -5
		x[fVx], x[fVx+1], x[fVx+2], x[fVx+3] = 300, 200, 900, -50
		x[fVy], x[fVy+1], x[fVy+2], x[fVy+3] = 100, 150, 600, -100
		x[fV], x[fV+1], x[fV+2], x[fV+3] = 700, 300, 1200, 10
		x[fA], x[fA+1], x[fA+2], x[fA+3] = 50, 4000, 9000, -8000
		x[fJerk], x[fJerk+1], x[fJerk+2], x[fJerk+3] = 10, 1e5, 3e5, -3e5
		x[fABegTime] = 0.15
		return x
	}
	for _, c := range []Compat{Clean, Reference} {
		if ok, why := Plausible(valid(), c); !ok {
			t.Fatalf("%s: the valid vector is refused: %s", c, why)
		}
	}
	constant := func(v float64) []float64 {
		x := make([]float64, NumFeatures)
		for j := range x {
			x[j] = v
		}
		return x
	}
	with := func(j int, v float64) []float64 {
		x := valid()
		x[j] = v
		return x
	}
	for _, tc := range []struct {
		name string
		x    []float64
		want string // in the reason
	}{
		{"constant 0", constant(0), "type_of_action"},
		{"constant -1e9", constant(-1e9), "type_of_action"},
		{"constant 1e9", constant(1e9), "type_of_action"},
		{"constant 1", constant(1), "num_points"},
		{"constant 4", constant(4), "straightness"},
		{"constant max float", constant(math.MaxFloat64), "type_of_action"},
		{"NaN", with(fElapsed, math.NaN()), "elapsed_time is NaN"},
		{"Inf", with(fV, math.Inf(1)), "mean_v is +Inf"},
		{"short vector", valid()[:38], "38 values"},
		{"type 2", with(fType, 2), "type_of_action = 2 is none of"},
		{"negative duration", with(fElapsed, -0.1), "elapsed_time = -0.1 is below 0"},
		{"direction 8", with(fDirection, 8), "direction_of_movement = 8 is above 7"},
		{"direction 2.5", with(fDirection, 2.5), "direction_of_movement = 2.5 is not a whole number"},
		{"straightness above 1", with(fStraightness, 1.01), "straightness = 1.01 is above 1"},
		{"3 points", with(fNumPoints, 3), "num_points = 3 is below 4"},
		{"fractional points", with(fNumPoints, 20.5), "num_points = 20.5 is not a whole number"},
		{"negative distance", with(fTraveled, -5), "traveled_distance_pixel = -5 is below 0"},
		{"chord beyond the path", with(fChord, 400), "dist_end_to_end_line <= traveled_distance_pixel"},
		{"path longer than the steps allow", with(fTraveled, 2e6), "traveled_distance_pixel <= (num_points - 1) * longest step"},
		{"angles beyond the steps", with(fSumAngles, 100), "sum_of_angles <= pi * (num_points - 1)"},
		{"mean speed above max", with(fV, 1300), "mean_v <= max_v"},
		{"min speed above mean", with(fV+3, 800), "min_v <= mean_v"},
		{"negative sd", with(fVx+1, -1), "sd_vx = -1 is below 0"},
		{"negative speed", with(fV+3, -1), "min_v = -1 is below 0"},
		{"max vx above max v", with(fVx+2, 1250), "max_vx <= max_v"},
		{"critical points beyond the curvature values", with(fCritical, 20), "num_critical_points"},
		{"a_beg_time beyond the action", with(fABegTime, 0.5), "a_beg_time <= elapsed_time"},
		{"curvature beyond 2 pi", with(fCurv+2, 7), "max_curv = 7 is above"},
	} {
		for _, c := range []Compat{Clean, Reference} {
			ok, why := Plausible(tc.x, c)
			if c == Reference && (tc.name == "min speed above mean" || tc.name == "a_beg_time beyond the action") {
				continue // relations of the clean convention only
			}
			if ok || !strings.Contains(why, tc.want) {
				t.Errorf("%s %s: Plausible = %v, %q; want refused naming %q", c, tc.name, ok, why, tc.want)
			}
		}
	}
	// Bounds that only the clean convention has: its speeds are bounded
	// by the logs' millisecond timing and the 4000-pixel coordinate
	// filter.
	for _, tc := range []struct {
		j    int
		v    float64
		want string
	}{
		{fV + 2, 1e7, "max_v = 1e+07 is above"},
		{fOmega + 2, 4000, "max_omega = 4000 is above"},
		{fCurv + 2, 3.2, "max_curv = 3.2 is above"},
		{fJerk + 2, 1e14, "max_jerk = 1e+14 is above"},
	} {
		if ok, why := Plausible(with(tc.j, tc.v), Clean); ok || !strings.Contains(why, tc.want) {
			t.Errorf("clean %s = %v: Plausible = %v, %q; want %q", FeatureNames[tc.j], tc.v, ok, why, tc.want)
		}
	}
}

// TestPhysicalBoundsTable: every bound is ordered and finite, every
// relation refers to features of the vector, and the two conventions
// differ only where documented.
func TestPhysicalBoundsTable(t *testing.T) {
	t.Parallel()
	for _, c := range []Compat{Clean, Reference} {
		p := PhysicalBounds(c)
		for j, b := range p.Bounds {
			if !(b.Lo <= b.Hi) || math.IsInf(b.Lo, 0) || math.IsInf(b.Hi, 0) {
				t.Errorf("%s %s: [%v, %v]", c, FeatureNames[j], b.Lo, b.Hi)
			}
		}
		for _, r := range p.Relations {
			for _, term := range r.Terms {
				if term.Feature < 0 || term.Feature >= NumFeatures || math.IsNaN(term.Coef) || math.IsInf(term.Coef, 0) {
					t.Errorf("%s %s: term %+v", c, r.Name, term)
				}
			}
		}
		t.Logf("%s: %d relations", c, len(p.Relations))
	}
	if c, r := PhysicalBounds(Clean).Bounds[fV+2].Hi, PhysicalBounds(Reference).Bounds[fV+2].Hi; !(c < r) {
		t.Errorf("max_v: clean %v, reference %v: the clean bound should be the tighter", c, r)
	}
	_ = fmt.Sprint
}
