package preprocess

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/dataset"
)

// Physical bounds: what no pointing movement can produce. Each bound below
// is derived from the feature definitions (features.go, reference.go), the
// segmenter (segment.go) and the time and coordinate domain of the events
// that reach it; docs/actions-and-features.md, "Physical bounds", lists them
// with their derivations. A vector outside them was not extracted from a
// mouse log: it was crafted. The domain of the events:
//
//   - Times: in [0, dataset.MaxTime], never going back, at most
//     dataset.MaxTimeJump apart ([dataset.TimeFilter], which every
//     extraction runs), at a resolution of [TimeResolution]: two events
//     whose times differ are at least that far apart.
//   - Coordinates: whole pixels, at least 0 (dataset.Clean drops negative
//     ones). The clean segmenter replaces a point above [MaxCoordinate];
//     the reference one replaces a point only when both coordinates are,
//     so its points keep coordinates up to [MaxRawCoordinate].
const (
	// TimeResolution is the finest time step of the logs, in seconds: DFL
	// and dataset synth write integer milliseconds, Balabit's client
	// timestamps are milliseconds too (the smallest positive step in its
	// training sessions is 15 ms). It bounds the speeds of the clean
	// convention.
	TimeResolution = 0.001
	// MaxRawCoordinate is the largest coordinate a log holds (the 65535
	// artefact; dataset.Clean drops it, preprocess features does not).
	MaxRawCoordinate = 65535
	// refMinTimeStep is the smallest non-zero time step of the reference
	// convention. Its resampling inserts times t + 0.05*j(j+1)/2 (the
	// published cumulative quirk), and an inserted time can come within
	// float64 rounding of the next logged one: both are >= 0.05 s, where
	// float64 values are multiples of 2^-57, so that is the smallest
	// difference there is. dataset synth logs show it: reference max_jerk
	// reaches 6.8e38 px/s^3. The reference speed bounds are accordingly
	// loose; the clean convention (the live pipeline's) is the one whose
	// bounds bite.
	refMinTimeStep = 0x1p-57
	// boundSlack widens every derived limit by a relative 1e-6, for
	// rounding in the features' arithmetic and in the logs' timestamps
	// (Balabit's 0.0160000002943).
	boundSlack = 1 + 1e-6
)

// Bound is the range of one feature: Lo <= x <= Hi, a whole number when
// Integral, one of Values when Values is set. ±math.MaxFloat64 stands for
// no limit on that side.
type Bound struct {
	Lo, Hi   float64
	Integral bool
	Values   []float64
}

// Term is Coef times feature Feature (an index into [FeatureNames]).
type Term struct {
	Feature int
	Coef    float64
}

// Relation is a linear inequality that every vector satisfies: the sum of
// its terms is at most Max, up to rounding (see [Physical.Tol]). Name says
// it in words, e.g. "min_v <= mean_v".
type Relation struct {
	Name  string
	Terms []Term
	Max   float64
}

// Physical holds the physical bounds of one convention's features: a
// [Bound] per feature and the [Relation]s between features. Check tests a
// vector against them.
type Physical struct {
	Compat    Compat
	Bounds    [NumFeatures]Bound
	Relations []Relation
	// Tol is the relative rounding tolerance of a relation: it holds when
	// sum <= Max + Tol*(sum of |Coef*x| + |Max|).
	Tol float64
}

// physical are the bounds of each convention, built once.
var physical = [2]*Physical{Clean: buildPhysical(Clean), Reference: buildPhysical(Reference)}

// PhysicalBounds returns the physical bounds of c's features. The result
// is shared: do not modify it.
func PhysicalBounds(c Compat) *Physical {
	if c == Reference {
		return physical[Reference]
	}
	return physical[Clean]
}

// Plausible reports whether x, a vector of [FeatureNames] made under
// convention c, is within the physical bounds of c; when it is not, why
// names the first feature or relation broken and the values involved.
func Plausible(x []float64, c Compat) (ok bool, why string) {
	return PhysicalBounds(c).Check(x)
}

// Check reports whether x lies within p (see [Plausible]). It does not
// allocate unless x is outside.
func (p *Physical) Check(x []float64) (ok bool, why string) {
	if len(x) != NumFeatures {
		return false, fmt.Sprintf("%d values, want %d features", len(x), NumFeatures)
	}
	for j, v := range x {
		b := &p.Bounds[j]
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return false, fmt.Sprintf("%s is %v", FeatureNames[j], v)
		case v < b.Lo:
			return false, fmt.Sprintf("%s = %s is below %s", FeatureNames[j], num(v), num(b.Lo))
		case v > b.Hi:
			return false, fmt.Sprintf("%s = %s is above %s", FeatureNames[j], num(v), num(b.Hi))
		case b.Integral && v != math.Trunc(v):
			return false, fmt.Sprintf("%s = %s is not a whole number", FeatureNames[j], num(v))
		case b.Values != nil && !hasValue(b.Values, v):
			return false, fmt.Sprintf("%s = %s is none of %s", FeatureNames[j], num(v), nums(b.Values))
		}
	}
	for i := range p.Relations {
		r := &p.Relations[i]
		if sum, ok := r.Holds(x, p.Tol); !ok {
			var vals []string
			for _, t := range r.Terms {
				vals = append(vals, FeatureNames[t.Feature]+" = "+num(x[t.Feature]))
			}
			return false, fmt.Sprintf("%s does not hold (%s; %s > %s)", r.Name, strings.Join(vals, ", "), num(sum), num(r.Max))
		}
	}
	return true, ""
}

// Holds reports whether the relation holds for x with the relative
// tolerance tol, and the sum of its terms.
func (r *Relation) Holds(x []float64, tol float64) (sum float64, ok bool) {
	var mag float64
	for _, t := range r.Terms {
		v := t.Coef * x[t.Feature]
		sum += v
		mag += math.Abs(v)
	}
	return sum, sum <= r.Max+tol*(mag+math.Abs(r.Max))
}

func hasValue(vs []float64, v float64) bool {
	for _, w := range vs {
		if v == w {
			return true
		}
	}
	return false
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

func nums(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = num(v)
	}
	return "{" + strings.Join(s, ", ") + "}"
}

// Series of four statistics (mean, sd, max, min), by their first index.
var series = []struct {
	at   int
	name string
}{{fCurv, "curv"}, {fOmega, "omega"}, {fVx, "vx"}, {fVy, "vy"}, {fV, "v"}, {fA, "a"}, {fJerk, "jerk"}}

// buildPhysical derives the bounds of convention c (docs/actions-and-
// features.md, "Physical bounds").
func buildPhysical(c Compat) *Physical {
	const none = math.MaxFloat64
	ref := c == Reference
	// C: the largest coordinate; L: the longest straight line between two
	// points (the diagonal of the coordinate square).
	C := float64(MaxCoordinate)
	if ref {
		C = MaxRawCoordinate
	}
	L := C * math.Sqrt2
	// dt: the shortest non-zero time step between two velocity samples.
	// Clean: samples are taken at points of increasing time, at least
	// TimeResolution apart. Reference: a step of 0 is replaced by 0.01 s,
	// any other can be as short as refMinTimeStep (see there).
	dt := TimeResolution
	if ref {
		dt = refMinTimeStep
	}
	// Angle change between consecutive steps: wrapped to (-pi, pi] in
	// clean, unwrapped in reference, where it is the difference of two
	// atan2 values, so below 2 pi (pi for the first, against the leading
	// 0).
	dAng := math.Pi
	if ref {
		dAng = 2 * math.Pi
	}
	// Speeds: a component moves at most C in one step, the point at most L;
	// a speed changes by at most V (speeds are >= 0) within a step of dt;
	// an acceleration by at most 2A.
	VX := C / dt * boundSlack
	V := L / dt * boundSlack
	A := V / dt * boundSlack
	J := 2 * A / dt * boundSlack
	W := dAng / dt * boundSlack
	// Curvature: an angle change over a step of length >= 1 (coordinates
	// are whole pixels, also after the reference resampling truncates
	// them).
	K := dAng * boundSlack

	p := &Physical{Compat: c, Tol: 1e-9}
	b := &p.Bounds
	for j := range b {
		b[j] = Bound{Lo: -none, Hi: none}
	}
	b[fType] = Bound{Lo: float64(MM), Hi: float64(DD), Integral: true, Values: []float64{float64(MM), float64(PC), float64(DD)}}
	b[fTraveled] = Bound{Lo: 0, Hi: none}
	b[fElapsed] = Bound{Lo: 0, Hi: dataset.MaxTime}
	b[fDirection] = Bound{Lo: 0, Hi: 7, Integral: true}
	b[fStraightness] = Bound{Lo: 0, Hi: 1}
	b[fNumPoints] = Bound{Lo: MinActionPoints, Hi: none, Integral: true}
	b[fCritical] = Bound{Lo: 0, Hi: none, Integral: true}
	b[fChord] = Bound{Lo: 0, Hi: L * boundSlack}
	if ref {
		// |a x + b y + c| / sqrt(a^2 + b^2) with |a|, |b|, x, y <= C,
		// |c| <= C^2 and sqrt(a^2 + b^2) >= 1 (whole pixels) when not 0.
		b[fLargest] = Bound{Lo: 0, Hi: 3 * C * C * boundSlack}
	} else {
		// A point's distance from a line through a point of the square.
		b[fLargest] = Bound{Lo: 0, Hi: L * boundSlack}
	}
	// Statistics: mean, max and min lie within the series' range; the
	// sample sd of values in a range R is at most R/sqrt(2) (two values),
	// the reference sd (around the mean of the whole series) at most R.
	stat := func(at int, lo, hi float64) {
		R := hi - lo
		sd := R / math.Sqrt2 * boundSlack
		if ref {
			sd = R * boundSlack
		}
		b[at] = Bound{Lo: lo, Hi: hi}
		b[at+1] = Bound{Lo: 0, Hi: sd}
		b[at+2] = Bound{Lo: lo, Hi: hi}
		b[at+3] = Bound{Lo: lo, Hi: hi}
	}
	stat(fCurv, -K, K)
	stat(fOmega, -W, W)
	stat(fVx, -VX, VX)
	stat(fVy, -VX, VX)
	stat(fV, 0, V)
	stat(fA, -A, A)
	stat(fJerk, -J, J)
	if ref {
		// The series but curvature start with a 0 that counts in the max.
		for _, s := range series[1:] {
			b[s.at+2].Lo = 0
		}
	}
	if ref {
		// The sum of the (0 -> 0.01 s) time steps from the first point
		// while the acceleration rises: a resampled time can overshoot
		// the next logged one by 0.025 k(k-1) s, k = gap / 0.05 with a
		// gap of at most a day (see the relation below for the 0.01s).
		k := dataset.MaxTimeJump / ResampleStep
		b[fABegTime] = Bound{Lo: 0, Hi: none}
		p.rel("a_beg_time <= MaxTime + overshoot + 0.01 s per point",
			dataset.MaxTime+ResampleStep/2*k*k, Term{fABegTime, 1}, Term{fNumPoints, -zeroDT})
	} else {
		b[fABegTime] = Bound{Lo: 0, Hi: dataset.MaxTime}
		p.rel("a_beg_time <= elapsed_time", 0, Term{fABegTime, 1}, Term{fElapsed, -1})
	}

	// Relations that hold in both conventions.
	p.rel("dist_end_to_end_line <= traveled_distance_pixel", 0, Term{fChord, 1}, Term{fTraveled, -1})
	p.rel("traveled_distance_pixel <= (num_points - 1) * longest step", -L*boundSlack, Term{fTraveled, 1}, Term{fNumPoints, -L * boundSlack})
	p.rel("sum_of_angles <= pi * (num_points - 1)", -math.Pi, Term{fSumAngles, 1}, Term{fNumPoints, -math.Pi})
	p.rel("-sum_of_angles <= pi * (num_points - 1)", -math.Pi, Term{fSumAngles, -1}, Term{fNumPoints, -math.Pi})
	p.rel("elapsed_time <= (num_points - 1) * MaxTimeJump", -dataset.MaxTimeJump, Term{fElapsed, 1}, Term{fNumPoints, -dataset.MaxTimeJump})
	for _, s := range series {
		mean, sd, mx, mn := s.at, s.at+1, s.at+2, s.at+3
		p.rel("mean_"+s.name+" <= max_"+s.name, 0, Term{mean, 1}, Term{mx, -1})
		p.rel("min_"+s.name+" <= max_"+s.name, 0, Term{mn, 1}, Term{mx, -1})
		// The reference statistics leave the leading 0 out of the min
		// only: the min can exceed the mean, and the sd is bounded by
		// the range with 0 in it. Its curvature min is the plain minimum,
		// but the published extractor's is not always (17 rows of
		// balabit_39feat_PC_MM_DD_1000.csv have min_curv > mean_curv), and
		// the reference bounds hold for the published files too.
		if !ref {
			p.rel("min_"+s.name+" <= mean_"+s.name, 0, Term{mn, 1}, Term{mean, -1})
			p.rel("sd_"+s.name+" <= max_"+s.name+" - min_"+s.name, 0, Term{sd, 1}, Term{mx, -1}, Term{mn, 1})
		}
	}
	// v = sqrt(vx^2 + vy^2) >= |vx|, |vy| sample by sample.
	for _, at := range []int{fVx, fVy} {
		n := FeatureNames[at][len("mean_"):]
		p.rel("mean_"+n+" <= mean_v", 0, Term{at, 1}, Term{fV, -1})
		p.rel("-mean_"+n+" <= mean_v", 0, Term{at, -1}, Term{fV, -1})
		p.rel("max_"+n+" <= max_v", 0, Term{at + 2, 1}, Term{fV + 2, -1})
		p.rel("-min_"+n+" <= max_v", 0, Term{at + 3, -1}, Term{fV + 2, -1})
	}
	if ref {
		// Curvature values: one per step of non-zero length.
		p.rel("num_critical_points <= num_points - 1", -1, Term{fCritical, 1}, Term{fNumPoints, -1})
	} else {
		// Curvature values: one per pair of consecutive non-zero steps.
		p.rel("num_critical_points <= num_points - 2", -2, Term{fCritical, 1}, Term{fNumPoints, -1})
		// A point's distance from the chord's line is at most its
		// distance from the first point, at most the path to it.
		p.rel("largest_deviation <= traveled_distance_pixel", 0, Term{fLargest, 1}, Term{fTraveled, -1})
	}
	return p
}

func (p *Physical) rel(name string, max float64, terms ...Term) {
	p.Relations = append(p.Relations, Relation{Name: name, Terms: terms, Max: max})
}

// Columns returns p for a table or model whose features are names, in
// that order: the limits of each name that is one of [FeatureNames] (no
// limit, ±math.MaxFloat64, for any other), the indices (into names) of the
// whole-number features, the allowed values by index, and the relations
// whose features are all among names, re-indexed. found counts the names
// that are features of p.
func (p *Physical) Columns(names []string) (lo, hi []float64, integral []int, values map[int][]float64, relations []Relation, found int) {
	at := make(map[int]int, len(names)) // feature -> column
	lo, hi = make([]float64, len(names)), make([]float64, len(names))
	values = map[int][]float64{}
	for k, n := range names {
		lo[k], hi[k] = -math.MaxFloat64, math.MaxFloat64
		j := featureAt(n)
		if j < 0 {
			continue
		}
		if _, dup := at[j]; dup {
			continue
		}
		at[j] = k
		found++
		b := p.Bounds[j]
		lo[k], hi[k] = b.Lo, b.Hi
		if b.Integral {
			integral = append(integral, k)
		}
		if b.Values != nil {
			values[k] = append([]float64(nil), b.Values...)
		}
	}
next:
	for _, r := range p.Relations {
		terms := make([]Term, len(r.Terms))
		for i, t := range r.Terms {
			k, ok := at[t.Feature]
			if !ok {
				continue next
			}
			terms[i] = Term{Feature: k, Coef: t.Coef}
		}
		relations = append(relations, Relation{Name: r.Name, Terms: terms, Max: r.Max})
	}
	return lo, hi, integral, values, relations, found
}

func featureAt(name string) int {
	for j, n := range FeatureNames {
		if n == name {
			return j
		}
	}
	return -1
}
