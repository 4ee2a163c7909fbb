package preprocess

import (
	"math"
)

// Feature indexes into a feature vector (order of [FeatureNames]).
const (
	fType = iota
	fTraveled
	fElapsed
	fDirection
	fStraightness
	fNumPoints
	fSumAngles
	fCurv     // mean, sd, max, min
	fOmega    = fCurv + 4
	fLargest  = fOmega + 4
	fChord    = fLargest + 1
	fCritical = fChord + 1
	fVx       = fCritical + 1 // then vy, v, a, jerk, 4 each
	fVy       = fVx + 4
	fV        = fVy + 4
	fA        = fV + 4
	fJerk     = fA + 4
	fABegTime = fJerk + 4
)

// CriticalCurvature: a point whose |curvature| is below it is a critical
// point (feature num_critical_points).
const CriticalCurvature = 0.0005

// Extractor computes the 39 features of actions. It keeps scratch buffers
// between calls, so extracting many actions does not allocate; an Extractor
// is not safe for concurrent use (use one per goroutine). The zero value
// extracts in [Clean] mode.
//
// Clean definitions (the default), for an action of n points (t, x, y):
//   - traveled distance, elapsed time (last t minus first t), chord, number of
//     points and sum of step angles (atan2(dy, dx) of every step; a step of
//     length 0 adds atan2(0, 0) = 0) as in the doc; straightness is chord /
//     traveled distance, 1 when nothing was traveled, at most 1.
//   - Velocities are taken between points with increasing time only: a point
//     whose time does not exceed the previous sample's is folded into the
//     next step with a positive time difference (no 0.01 s substitute). The
//     vx, vy and v series have one value per such step and no leading 0; a is
//     dv/dt and jerk da/dt between consecutive samples (dt measured between
//     the samples' end times).
//   - Step angles are defined for steps of non-zero length only. Curvature is
//     the change of angle between consecutive such steps, wrapped to
//     (-pi, pi], divided by the length of the second step; omega is the same
//     change divided by the time between the steps' ends (skipped when that
//     is not positive). Critical points are curvature values with |c| <
//     [CriticalCurvature].
//   - Mean is the arithmetic mean; sd is the sample standard deviation (n-1);
//     max and min the plain extremes. An empty series gives 0 for all four,
//     a single value gives sd 0.
//   - largest_deviation is the largest perpendicular distance of a point
//     from the line through the first and last points (from the first point
//     when they coincide).
//   - a_beg_time is the time from the first point to the end of the initial
//     run of increasing speed samples (the first sample counts as a rise from
//     rest, so it is at least the time of the first velocity sample).
//   - direction_of_movement bins atan2 of the chord (y grows downwards, as
//     logged) into 8 sectors of 45 degrees: 0..3 for [0, pi], 7 down to 4
//     for [-pi, 0).
//
// Degenerate actions never give NaN or Inf: fewer than 2 points give zeros
// except type, num_points and straightness 1; any non-finite value left by
// extreme inputs (say time steps of 1e-300 s) becomes 0 (NaN) or
// ±math.MaxFloat64 (Inf).
type Extractor struct {
	Compat Compat

	t, x, y                []float64
	vx, vy, v, a, j, tv    []float64
	ang, angT, curv, omega []float64
	path                   []float64
	ux, uy                 []float64 // reference: resampled points before truncation
}

// Extract returns the features of a in the order of [FeatureNames],
// computed with the conventions c. It allocates scratch space; use an
// [Extractor] for many actions.
func Extract(a Action, c Compat) [NumFeatures]float64 {
	e := Extractor{Compat: c}
	return e.Extract(a)
}

// Extract returns the features of a (see [Extractor]).
func (e *Extractor) Extract(a Action) [NumFeatures]float64 {
	var out [NumFeatures]float64
	e.load(a)
	if e.Compat == Reference {
		e.reference(a.Kind, &out)
	} else {
		e.clean(a.Kind, &out)
	}
	sanitize(&out)
	return out
}

func (e *Extractor) load(a Action) {
	n := len(a.Events)
	e.t, e.x, e.y = grow(e.t, n), grow(e.x, n), grow(e.y, n)
	for i, ev := range a.Events {
		e.t[i], e.x[i], e.y[i] = ev.T, float64(ev.X), float64(ev.Y)
	}
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n, n+n/2+16)
	}
	return s[:n]
}

func sanitize(out *[NumFeatures]float64) {
	for i, v := range out {
		switch {
		case math.IsNaN(v):
			out[i] = 0
		case math.IsInf(v, 1):
			out[i] = math.MaxFloat64
		case math.IsInf(v, -1):
			out[i] = -math.MaxFloat64
		}
	}
}

// direction bins the angle theta (radians, [-pi, pi]) into the 8 sectors of
// Ahmed & Traore: 0..3 for [0, pi], 7 down to 4 for [-pi, 0).
func direction(theta float64) float64 {
	const q = math.Pi / 4
	switch {
	case theta >= 0 && theta < q:
		return 0
	case theta >= q && theta < 2*q:
		return 1
	case theta >= 2*q && theta < 3*q:
		return 2
	case theta >= 3*q:
		return 3
	case theta >= -q && theta < 0:
		return 7
	case theta >= -2*q && theta < -q:
		return 6
	case theta >= -3*q && theta < -2*q:
		return 5
	default:
		return 4
	}
}

// geometry fills the features that both modes compute the same way from the
// points: traveled distance, elapsed time, direction, straightness, number of
// points, sum of angles, largest deviation and chord.
func (e *Extractor) geometry(kind ActionKind, out *[NumFeatures]float64) {
	x, y, t := e.x, e.y, e.t
	n := len(x)
	out[fType] = float64(kind)
	out[fNumPoints] = float64(n)
	if n == 0 {
		out[fStraightness] = 1
		return
	}
	var traveled, sumAngles float64
	for i := 1; i < n; i++ {
		dx, dy := x[i]-x[i-1], y[i]-y[i-1]
		traveled += math.Sqrt(dx*dx + dy*dy) // coordinates are int32: no overflow
		sumAngles += math.Atan2(dy, dx)
	}
	cx, cy := x[n-1]-x[0], y[n-1]-y[0]
	chord := math.Hypot(cx, cy)
	out[fTraveled] = traveled
	out[fElapsed] = t[n-1] - t[0]
	out[fDirection] = direction(math.Atan2(cy, cx))
	if traveled > 0 {
		out[fStraightness] = math.Min(1, chord/traveled)
	} else {
		out[fStraightness] = 1
	}
	out[fSumAngles] = sumAngles
	out[fChord] = chord
}

func (e *Extractor) clean(kind ActionKind, out *[NumFeatures]float64) {
	e.geometry(kind, out)
	x, y, t := e.x, e.y, e.t
	n := len(x)
	if n < 2 {
		return
	}
	// Largest perpendicular deviation from the chord.
	cx, cy := x[n-1]-x[0], y[n-1]-y[0]
	chord := math.Hypot(cx, cy)
	var dev float64
	for i := 1; i < n-1; i++ {
		px, py := x[i]-x[0], y[i]-y[0]
		var d float64
		if chord > 0 {
			d = math.Abs(cx*py-cy*px) / chord
		} else {
			d = math.Hypot(px, py)
		}
		if d > dev {
			dev = d
		}
	}
	out[fLargest] = dev

	// Velocity samples between points of increasing time.
	e.vx, e.vy, e.v, e.tv = e.vx[:0], e.vy[:0], e.v[:0], e.tv[:0]
	anchor := 0
	for i := 1; i < n; i++ {
		dt := t[i] - t[anchor]
		if !(dt > 0) {
			continue
		}
		vx, vy := (x[i]-x[anchor])/dt, (y[i]-y[anchor])/dt
		e.vx = append(e.vx, vx)
		e.vy = append(e.vy, vy)
		e.v = append(e.v, math.Sqrt(vx*vx+vy*vy))
		e.tv = append(e.tv, t[i])
		anchor = i
	}
	e.a, e.j = derive(e.a[:0], e.v, e.tv), e.j[:0]
	if len(e.a) > 0 {
		e.j = derive(e.j, e.a, e.tv[1:])
	}
	stats4(out[fVx:], e.vx)
	stats4(out[fVy:], e.vy)
	stats4(out[fV:], e.v)
	stats4(out[fA:], e.a)
	stats4(out[fJerk:], e.j)
	if len(e.v) > 0 {
		m := 0
		for m+1 < len(e.v) && e.v[m+1] > e.v[m] {
			m++
		}
		out[fABegTime] = e.tv[m] - t[0]
	}

	// Angles of the non-zero steps, curvature and angular velocity.
	e.curv, e.omega = e.curv[:0], e.omega[:0]
	havePrev := false
	var prevAng, prevT float64
	for i := 1; i < n; i++ {
		dx, dy := x[i]-x[i-1], y[i]-y[i-1]
		l := math.Sqrt(dx*dx + dy*dy)
		if l == 0 {
			continue
		}
		ang := math.Atan2(dy, dx)
		if havePrev {
			d := ang - prevAng
			for d > math.Pi {
				d -= 2 * math.Pi
			}
			for d <= -math.Pi {
				d += 2 * math.Pi
			}
			e.curv = append(e.curv, d/l)
			if dt := t[i] - prevT; dt > 0 {
				e.omega = append(e.omega, d/dt)
			}
		}
		havePrev, prevAng, prevT = true, ang, t[i]
	}
	stats4(out[fCurv:], e.curv)
	stats4(out[fOmega:], e.omega)
	crit := 0
	for _, c := range e.curv {
		if math.Abs(c) < CriticalCurvature {
			crit++
		}
	}
	out[fCritical] = float64(crit)
}

// derive appends to dst the differences of s over the differences of ts
// (same length as s); steps with no positive time difference are skipped.
func derive(dst, s, ts []float64) []float64 {
	for i := 1; i < len(s); i++ {
		if dt := ts[i] - ts[i-1]; dt > 0 {
			dst = append(dst, (s[i]-s[i-1])/dt)
		}
	}
	return dst
}

// stats4 writes mean, sample sd (n-1), max and min of s to dst[0:4]; zeros
// for an empty s. Hand-written rather than gonum's stat.MeanStdDev because it
// is on the hot path and must return 0, not NaN, for one value.
func stats4(dst []float64, s []float64) {
	if len(s) == 0 {
		dst[0], dst[1], dst[2], dst[3] = 0, 0, 0, 0
		return
	}
	var sum float64
	mx, mn := s[0], s[0]
	for _, v := range s {
		sum += v
		if v > mx {
			mx = v
		}
		if v < mn {
			mn = v
		}
	}
	mean := sum / float64(len(s))
	var ss, comp float64
	for _, v := range s {
		d := v - mean
		ss += d * d
		comp += d
	}
	sd := 0.0
	if len(s) > 1 {
		// Corrected two-pass algorithm, as gonum's stat.MeanVariance.
		sd = math.Sqrt((ss - comp*comp/float64(len(s))) / float64(len(s)-1))
	}
	dst[0], dst[1], dst[2], dst[3] = mean, sd, mx, mn
}
