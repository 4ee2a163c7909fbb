package classify

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"unicode"
)

// The guard of a model: what a vector must be before its score means
// anything. A classifier scores whatever it is given, and a tree ensemble
// scores a vector far from every training row by the leaves it happens to
// fall in, often as genuine. An impostor who runs a client of their own
// can send any vector, so a model file (format version 3) records, beside
// the classifier:
//
//   - [Bounds]: the physical bounds of the features (what no pointing
//     movement produces; the extractor defines them, preprocess.Physical
//     for mouseauth's features);
//   - [Range]: the range of the user's own training rows, widened by a
//     margin (see [FitRange]);
//   - [Novelty]: a novelty gate fitted on the user's training rows (see
//     [FitNovelty]), when the training settings ask for one.
//
// [SavedModel.Check] applies them to a vector. The decision engine
// (package decide) alerts on an implausible vector and counts a novel one
// (outside the range, or flagged by the gate) against the session. A model
// of format version 2 or older has none of them: Check then only refuses
// vectors that are not of the schema, and the caller applies the
// extractor's physical bounds itself (the live service does, with
// preprocess.Plausible).

// Bounds are physical bounds as a model records them: per feature
// Lo[j] <= x[j] <= Hi[j] (±math.MaxFloat64: no limit), whole numbers for
// the features listed in Integral, one of the listed values for those in
// Values, and linear relations between features.
type Bounds struct {
	Lo        []float64  `json:"lo"`
	Hi        []float64  `json:"hi"`
	Integral  []int      `json:"integral,omitempty"`
	Values    []Allowed  `json:"values,omitempty"`
	Relations []Relation `json:"relations,omitempty"`
	// Tol is the relations' relative rounding tolerance: a relation holds
	// when its sum <= Max + Tol*(sum of |Coef*x| + |Max|).
	Tol float64 `json:"tol,omitempty"`
}

// Allowed lists the only values feature Feature takes (e.g. the action
// type codes).
type Allowed struct {
	Feature int       `json:"feature"`
	Values  []float64 `json:"values"`
}

// Relation is a linear inequality every vector satisfies: the sum of
// Coef*x[Feature] over its terms is at most Max.
type Relation struct {
	Name  string  `json:"name"`
	Terms []Term  `json:"terms"`
	Max   float64 `json:"max"`
}

// Term is one term of a [Relation].
type Term struct {
	Feature int     `json:"feature"`
	Coef    float64 `json:"coef"`
}

// Range is the range of the user's own training rows per feature, widened
// by the margin [FitRange] was given (recorded here for the record).
type Range struct {
	Lo     []float64 `json:"lo"`
	Hi     []float64 `json:"hi"`
	Margin float64   `json:"margin"`
}

// Check is what [SavedModel.Check] finds about a vector; the decision
// engine takes Implausible and Novel as its flags of the same names.
type Check struct {
	// Implausible: the vector is not one of the model's schema (wrong
	// length, NaN or Inf) or lies outside the physical bounds: no pointing
	// movement produces it, so it was crafted.
	Implausible bool
	// Novel: the vector lies outside the user's range, or the novelty
	// gate finds it unlike the user's training rows (Novelty > 1).
	// Genuine vectors are novel now and then (docs/guard.md measures how
	// often), so a novel vector counts against the session rather than
	// ending it.
	Novel bool
	// Why says what made the vector implausible or novel (the feature or
	// relation and the values); "" when it is neither.
	Why string
	// Novelty is the novelty gate's score: the vector's distance to the
	// user's training rows over the gate's threshold (above 1 is novel).
	// 0 when the model has no gate or the gate was not reached (an
	// implausible or out-of-range vector).
	Novelty float64
}

// Check applies the model's guard to x: its schema (one finite value per
// feature) and the physical bounds (Implausible), then the user's range
// and the novelty gate (Novel), stopping at the first that fails. It is
// cheap (BenchmarkCheck measures it beside Score) and allocates only to
// say why. A model without a guard (format version 2 or older) checks the
// schema only: the caller applies the extractor's physical bounds itself
// (the live service, preprocess.Plausible).
func (m *SavedModel) Check(x []float64) Check {
	h := &m.Header
	if len(x) != len(h.FeatureNames) {
		return Check{Implausible: true, Why: fmt.Sprintf("%d values; the model takes %d features", len(x), len(h.FeatureNames))}
	}
	for j, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Check{Implausible: true, Why: fmt.Sprintf("%s is %v", h.FeatureNames[j], v)}
		}
	}
	if b := h.Bounds; b != nil {
		if ok, why := b.Check(x, h.FeatureNames); !ok {
			return Check{Implausible: true, Why: "outside the physical bounds: " + why}
		}
	}
	if r := h.Range; r != nil {
		for j, v := range x {
			if v < r.Lo[j] || v > r.Hi[j] {
				return Check{Novel: true, Why: fmt.Sprintf("outside the user's range: %s = %s, the range is [%s, %s]",
					h.FeatureNames[j], fnum(v), fnum(r.Lo[j]), fnum(r.Hi[j]))}
			}
		}
	}
	var c Check
	if n := h.Novelty; n != nil {
		c.Novelty = n.Score(x)
		if c.Novelty > 1 {
			c.Novel = true
			c.Why = fmt.Sprintf("novel: %s times the gate's threshold from the user's training rows", fnum(c.Novelty))
		}
	}
	return c
}

// Check reports whether x (of len(Lo) values) is within b; why names the
// first feature (by names) or relation broken.
func (b *Bounds) Check(x []float64, names []string) (ok bool, why string) {
	for j, v := range x {
		if v < b.Lo[j] {
			return false, fmt.Sprintf("%s = %s is below %s", names[j], fnum(v), fnum(b.Lo[j]))
		}
		if v > b.Hi[j] {
			return false, fmt.Sprintf("%s = %s is above %s", names[j], fnum(v), fnum(b.Hi[j]))
		}
	}
	for _, j := range b.Integral {
		if v := x[j]; v != math.Trunc(v) {
			return false, fmt.Sprintf("%s = %s is not a whole number", names[j], fnum(v))
		}
	}
	for _, a := range b.Values {
		if v := x[a.Feature]; !slices.Contains(a.Values, v) {
			return false, fmt.Sprintf("%s = %s is none of the values it takes", names[a.Feature], fnum(v))
		}
	}
	for i := range b.Relations {
		r := &b.Relations[i]
		var sum, mag float64
		for _, t := range r.Terms {
			v := t.Coef * x[t.Feature]
			sum += v
			mag += math.Abs(v)
		}
		if !(sum <= r.Max+b.Tol*(mag+math.Abs(r.Max))) {
			return false, fmt.Sprintf("%s does not hold (%s > %s)", r.Name, fnum(sum), fnum(r.Max))
		}
	}
	return true, ""
}

func fnum(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// Limits on what a header's guard may hold, so a hostile file cannot make
// Check slow.
const (
	maxRelations    = 4096
	maxRelationTerm = 64
	maxAllowed      = 256
	maxNameLen      = 256
	// MaxDecisionLen bounds [Header.Decision].
	MaxDecisionLen = 512
)

// validate checks b against a schema of width features.
func (b *Bounds) validate(width int) error {
	if len(b.Lo) != width || len(b.Hi) != width {
		return fmt.Errorf("bounds: %d lower and %d upper limits for %d features", len(b.Lo), len(b.Hi), width)
	}
	for j := range width {
		if !finite(b.Lo[j]) || !finite(b.Hi[j]) || b.Lo[j] > b.Hi[j] {
			return fmt.Errorf("bounds: feature %d: [%v, %v]", j+1, b.Lo[j], b.Hi[j])
		}
	}
	seen := make(map[int]bool, len(b.Integral))
	for _, j := range b.Integral {
		if j < 0 || j >= width || seen[j] {
			return fmt.Errorf("bounds: integral feature %d (of %d, or repeated)", j+1, width)
		}
		seen[j] = true
	}
	clear(seen)
	for _, a := range b.Values {
		if a.Feature < 0 || a.Feature >= width || seen[a.Feature] {
			return fmt.Errorf("bounds: allowed values of feature %d (of %d, or repeated)", a.Feature+1, width)
		}
		seen[a.Feature] = true
		if len(a.Values) == 0 || len(a.Values) > maxAllowed {
			return fmt.Errorf("bounds: feature %d: %d allowed values, want 1 to %d", a.Feature+1, len(a.Values), maxAllowed)
		}
		for _, v := range a.Values {
			if !finite(v) {
				return fmt.Errorf("bounds: feature %d: allowed value %v", a.Feature+1, v)
			}
		}
	}
	if len(b.Relations) > maxRelations {
		return fmt.Errorf("bounds: %d relations, at most %d", len(b.Relations), maxRelations)
	}
	for i, r := range b.Relations {
		if err := checkText(r.Name, maxNameLen); err != nil {
			return fmt.Errorf("bounds: relation %d name: %w", i+1, err)
		}
		if len(r.Terms) == 0 || len(r.Terms) > maxRelationTerm {
			return fmt.Errorf("bounds: relation %d (%s): %d terms, want 1 to %d", i+1, r.Name, len(r.Terms), maxRelationTerm)
		}
		if !finite(r.Max) {
			return fmt.Errorf("bounds: relation %d (%s): max %v", i+1, r.Name, r.Max)
		}
		for _, t := range r.Terms {
			if t.Feature < 0 || t.Feature >= width || !finite(t.Coef) {
				return fmt.Errorf("bounds: relation %d (%s): term %v x feature %d of %d", i+1, r.Name, t.Coef, t.Feature+1, width)
			}
		}
	}
	if !finite(b.Tol) || b.Tol < 0 || b.Tol >= 1 {
		return fmt.Errorf("bounds: tolerance %v, want in [0, 1)", b.Tol)
	}
	return nil
}

func (r *Range) validate(width int) error {
	if len(r.Lo) != width || len(r.Hi) != width {
		return fmt.Errorf("range: %d lower and %d upper limits for %d features", len(r.Lo), len(r.Hi), width)
	}
	for j := range width {
		if !finite(r.Lo[j]) || !finite(r.Hi[j]) || r.Lo[j] > r.Hi[j] {
			return fmt.Errorf("range: feature %d: [%v, %v]", j+1, r.Lo[j], r.Hi[j])
		}
	}
	if !finite(r.Margin) || r.Margin < 0 {
		return fmt.Errorf("range: margin %v", r.Margin)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkText checks a header string that people read: printable, at most
// max bytes, valid UTF-8.
func checkText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%d bytes, at most %d", len(s), max)
	}
	for i, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return fmt.Errorf("byte %d is not a printable character (%q)", i, r)
		}
	}
	return nil
}

// ErrNoRows: a guard cannot be fitted on no rows.
var ErrNoRows = errors.New("no rows")

// The scale of the guard: features run from fractions of a unit
// (curvature) to 1e9 (jerk), with heavy tails. The range's margin and the
// novelty gate's distances are taken after x -> asinh(x / s), with s the
// median |x| of the user's training rows for that feature (the mean |x|
// where the median is 0, else 1): linear near 0, logarithmic in the tails,
// so a margin is a factor on a heavy tail and an offset near 0.
func asinhScales(rows [][]float64) []float64 {
	d := len(rows[0])
	s := make([]float64, d)
	col := make([]float64, len(rows))
	for j := range d {
		var sum float64
		for i, r := range rows {
			col[i] = math.Abs(r[j])
			sum += col[i]
		}
		slices.Sort(col)
		s[j] = quantileSorted(col, 0.5)
		if !(s[j] > 0) {
			s[j] = sum / float64(len(col))
		}
		if !(s[j] > 0) || !finite(s[j]) {
			s[j] = 1
		}
	}
	return s
}

// quantileSorted is the q quantile of sorted s by linear interpolation
// (R's type 7, numpy's default).
func quantileSorted(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	h := q * float64(len(s)-1)
	i := int(math.Floor(h))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

// FitRange returns the range of rows (the user's training rows) per
// feature, widened on each side by margin times its width after the asinh
// transform (see asinhScales), clipped to b (nil: not clipped). A feature
// that does not vary in rows keeps its one value, widened by margin in the
// transformed space (asinh units).
func FitRange(rows [][]float64, margin float64, b *Bounds) (*Range, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("range: %w", ErrNoRows)
	}
	if !(margin >= 0) || !finite(margin) {
		return nil, fmt.Errorf("range: margin %v, want >= 0", margin)
	}
	d := len(rows[0])
	s := asinhScales(rows)
	r := &Range{Lo: make([]float64, d), Hi: make([]float64, d), Margin: margin}
	for j := range d {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, row := range rows {
			lo, hi = min(lo, row[j]), max(hi, row[j])
		}
		glo, ghi := math.Asinh(lo/s[j]), math.Asinh(hi/s[j])
		w := margin * (ghi - glo)
		if w == 0 {
			w = margin
		}
		r.Lo[j], r.Hi[j] = lo, hi
		if w > 0 {
			r.Lo[j] = clampFinite(s[j] * math.Sinh(glo-w))
			r.Hi[j] = clampFinite(s[j] * math.Sinh(ghi+w))
		}
		if b != nil {
			r.Lo[j] = max(r.Lo[j], b.Lo[j])
			r.Hi[j] = min(r.Hi[j], b.Hi[j])
		}
		// Never narrower than the rows themselves (rounding in sinh).
		r.Lo[j], r.Hi[j] = min(r.Lo[j], lo), max(r.Hi[j], hi)
	}
	return r, nil
}

func clampFinite(v float64) float64 {
	return max(-math.MaxFloat64, min(math.MaxFloat64, v))
}

// Project moves x into b, approximately: the integral features are
// rounded (the listed values taken at the nearest), then the continuous
// features are projected onto each relation broken, clipped to the limits
// and the pass repeated (alternating projections onto convex sets), at
// most 50 passes. It reports whether x ended inside. The background
// negatives and the attack evaluation use it to make crafted vectors that
// pass the physical check.
func (b *Bounds) Project(x []float64) bool {
	integral := make([]bool, len(x))
	for _, j := range b.Integral {
		integral[j] = true
	}
	for _, a := range b.Values {
		integral[a.Feature] = true
	}
	clip := func() {
		for j := range x {
			x[j] = min(max(x[j], b.Lo[j]), b.Hi[j])
			if integral[j] {
				x[j] = min(max(math.Round(x[j]), math.Ceil(b.Lo[j])), math.Floor(b.Hi[j]))
			}
		}
		for _, a := range b.Values {
			best := a.Values[0]
			for _, v := range a.Values {
				if math.Abs(v-x[a.Feature]) < math.Abs(best-x[a.Feature]) {
					best = v
				}
			}
			x[a.Feature] = best
		}
	}
	names := make([]string, len(x))
	for pass := range 50 {
		clip()
		if ok, _ := b.Check(x, names); ok {
			return true
		}
		for i := range b.Relations {
			r := &b.Relations[i]
			var sum, norm float64
			for _, t := range r.Terms {
				sum += t.Coef * x[t.Feature]
				if !integral[t.Feature] {
					norm += t.Coef * t.Coef
				}
			}
			// Aim a little inside, so rounding does not leave it just out.
			target := r.Max - 1e-6*(math.Abs(r.Max)+1)
			if sum <= target || norm == 0 {
				continue
			}
			step := (sum - target) / norm
			for _, t := range r.Terms {
				if !integral[t.Feature] {
					x[t.Feature] -= step * t.Coef
				}
			}
		}
		if pass == 25 {
			// Relations among whole numbers only (say a count against the
			// number of points) move the whole numbers: up or down by the
			// overshoot, rounded outwards.
			for i := range b.Relations {
				r := &b.Relations[i]
				var sum float64
				for _, t := range r.Terms {
					sum += t.Coef * x[t.Feature]
				}
				if sum <= r.Max {
					continue
				}
				for _, t := range r.Terms {
					if integral[t.Feature] && t.Coef != 0 {
						x[t.Feature] -= math.Copysign(math.Ceil((sum-r.Max)/math.Abs(t.Coef)), t.Coef)
						break
					}
				}
			}
		}
	}
	clip()
	ok, _ := b.Check(x, names)
	return ok
}

// Box returns the box of b intersected with the range of rows: per
// feature [max(b.Lo, min), min(b.Hi, max)] (b nil: the rows' range).
func Box(rows [][]float64, b *Bounds) (lo, hi []float64) {
	d := len(rows[0])
	lo, hi = make([]float64, d), make([]float64, d)
	for j := range d {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
		for _, r := range rows {
			lo[j], hi[j] = min(lo[j], r[j]), max(hi[j], r[j])
		}
		if b != nil {
			lo[j], hi[j] = max(lo[j], b.Lo[j]), min(hi[j], b.Hi[j])
		}
	}
	return lo, hi
}

// uniformIn draws a vector uniformly in the box [lo, hi].
func uniformIn(lo, hi []float64, rng *rand.Rand) []float64 {
	x := make([]float64, len(lo))
	for j := range x {
		x[j] = lo[j] + rng.Float64()*(hi[j]-lo[j])
	}
	return x
}
