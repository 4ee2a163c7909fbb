package preprocess

import "math"

// Reference (compat) mode: the conventions of the published extractor that
// made balabit_39feat_PC_MM_DD_*.csv (docs/actions-and-features.md: the
// reference column of "The 39 features" and "Series and their statistics",
// "Reference mode", and "Differences from the published description"),
// completed by reproducing that file (TestReproducePublished; 'mouseauth
// preprocess compare').
// Segmentation differences live in segment.go ([Segmenter]). Here:
//   - points are resampled at [ResampleStep] s ([Extractor.resample]) unless
//     the action lasts less than that;
//   - a time step of 0 is replaced by 0.01 s (time steps can be negative
//     after resampling: they are used as they are);
//   - the vx, vy, v and omega series start with a 0 and have one value per
//     step; a and jerk start with a 0 and stop one step short (n-1 values);
//     the leading 0 counts in the mean;
//   - step angles start with a 0 (the first omega and curvature are the
//     first step's angle over its time or length) and angle changes are not
//     wrapped (|change| can reach 2 pi); curvature skips steps of length 0
//     and has no leading 0;
//   - sd skips the first element and divides by n-1 (n the series length)
//     around the mean of the whole series;
//   - max is the plain maximum; min skips the leading 0 (see refStats and
//     refMovingMin for mouse moves), curvature's min is the plain minimum;
//   - critical points are curvature values with |c| < [CriticalCurvature];
//   - a_beg_time sums the (0 -> 0.01 s) time steps while a > 0 from the
//     start;
//   - largest_deviation uses the published line coefficients a = dx,
//     b = -dy, c = x0*y1 - x1*y0 (not the chord's normal, so it is not a
//     distance from the chord) over the points but the first and last, on
//     the resampled points before their truncation to integers;
//   - straightness is 0 when nothing was traveled, and a chord at exactly pi
//     is direction bin 0.

// ResampleStep is the time step, in seconds, of the reference mode's
// resampling.
const ResampleStep = 0.05

// zeroDT replaces a time step of 0 in reference mode.
const zeroDT = 0.01

func (e *Extractor) reference(kind ActionKind, out *[NumFeatures]float64) {
	e.resample()
	x, y, t := e.x, e.y, e.t
	n := len(x)
	e.geometry(kind, out)
	if n < 2 {
		return
	}
	// The published bins are half-open up to pi: a chord at exactly pi
	// (straight left) falls through to bin 0.
	if math.Atan2(y[n-1]-y[0], x[n-1]-x[0]) == math.Pi {
		out[fDirection] = 0
	}
	if out[fTraveled] == 0 {
		out[fStraightness] = 0
	}
	// Largest deviation: distance of the points but the first and last
	// from the published "chord line", over the resampled points before
	// their truncation to integers.
	ux, uy := e.ux, e.uy
	x0, y0, x1, y1 := ux[0], uy[0], ux[n-1], uy[n-1]
	// The published line coefficients: a = dx, b = -dy (not the chord's
	// normal), c = x0*y1 - x1*y0.
	a, b := x1-x0, y0-y1
	c := x0*y1 - x1*y0
	norm := math.Sqrt(a*a + b*b)
	var dev float64
	for i := 1; i < n-1; i++ {
		var d float64
		if norm > 0 {
			d = math.Abs(a*ux[i]+b*uy[i]+c) / norm
		}
		dev = math.Max(dev, d)
	}
	out[fLargest] = dev

	e.vx, e.vy, e.v = append(e.vx[:0], 0), append(e.vy[:0], 0), append(e.v[:0], 0)
	e.ang, e.omega, e.a, e.j = append(e.ang[:0], 0), append(e.omega[:0], 0), append(e.a[:0], 0), append(e.j[:0], 0)
	e.curv = e.curv[:0]
	for i := 1; i < n; i++ {
		dx, dy := x[i]-x[i-1], y[i]-y[i-1]
		dt := t[i] - t[i-1]
		if dt == 0 {
			dt = zeroDT
		}
		vx, vy := dx/dt, dy/dt
		v := math.Sqrt(vx*vx + vy*vy)
		e.vx = append(e.vx, vx)
		e.vy = append(e.vy, vy)
		e.v = append(e.v, v)
		ang := math.Atan2(dy, dx)
		dang := ang - e.ang[i-1]
		e.ang = append(e.ang, ang)
		e.omega = append(e.omega, dang/dt)
		if l := math.Sqrt(dx*dx + dy*dy); l != 0 {
			e.curv = append(e.curv, dang/l)
		}
		if i < n-1 {
			// a and jerk have n-1 values: the leading 0, then one per
			// step but the last (the published loops stop one short).
			acc := (v - e.v[i-1]) / dt
			e.a = append(e.a, acc)
			e.j = append(e.j, (acc-e.a[i-1])/dt)
		}
	}
	refStats(out[fCurv:], e.curv)
	// Curvature has no leading 0: its min is the plain minimum.
	if len(e.curv) > 0 {
		mn := e.curv[0]
		for _, c := range e.curv {
			if c < mn {
				mn = c
			}
		}
		out[fCurv+3] = mn
	}
	refStats(out[fOmega:], e.omega)
	refStats(out[fVx:], e.vx)
	refStats(out[fVy:], e.vy)
	refStats(out[fV:], e.v)
	refStats(out[fA:], e.a)
	refStats(out[fJerk:], e.j)
	if kind == MM {
		out[fVx+3] = refMovingMin(e.vx, e.v)
		out[fVy+3] = refMovingMin(e.vy, e.v)
		out[fV+3] = refMovingMin(e.v, e.v)
	}
	crit := 0
	for _, c := range e.curv {
		if math.Abs(c) < CriticalCurvature {
			crit++
		}
	}
	out[fCritical] = float64(crit)
	// a_beg_time: the sum of the (0 -> 0.01 s) time steps while the
	// acceleration stays positive from the start.
	var beg float64
	for i := 1; i < len(e.a) && e.a[i] > 0; i++ {
		dt := t[i] - t[i-1]
		if dt == 0 {
			dt = zeroDT
		}
		beg += dt
	}
	out[fABegTime] = beg
}

// refStats writes the published mean, sd, max and min of s to dst[0:4]:
// mean over all of s (leading 0 included), sd around that mean over s[1:]
// divided by len(s)-1, plain max, and min over s[1:] (the leading 0
// skipped). For mouse moves the min of vx, vy and v is taken over the steps
// where the speed is not 0 (see refMovingMin): the published files match that
// better, though not always (the doc calls the rule not fully pinned down).
func refStats(dst []float64, s []float64) {
	n := len(s)
	if n == 0 {
		dst[0], dst[1], dst[2], dst[3] = 0, 0, 0, 0
		return
	}
	var sum float64
	mx := s[0]
	for _, v := range s {
		sum += v
		if v > mx {
			mx = v
		}
	}
	mean := sum / float64(n)
	var ss float64
	for _, v := range s[1:] {
		ss += (v - mean) * (v - mean)
	}
	sd, mn := 0.0, s[0]
	if n > 1 {
		sd = math.Sqrt(ss / float64(n-1))
		mn = s[1]
		for _, v := range s[2:] {
			if v < mn {
				mn = v
			}
		}
	}
	dst[0], dst[1], dst[2], dst[3] = mean, sd, mx, mn
}

// refMovingMin is the minimum of s[i], i >= 1, over the steps whose speed
// v[i] is not 0; 0 when there is none.
func refMovingMin(s, v []float64) float64 {
	m, ok := 0.0, false
	for i := 1; i < len(s) && i < len(v); i++ {
		if v[i] != 0 && (!ok || s[i] < m) {
			m, ok = s[i], true
		}
	}
	return m
}

// resample replaces the loaded points by the published extractor's
// resampling at ResampleStep (docs/actions-and-features.md, "Resampling
// (reference)"): between two consecutive points whose gap holds
// k = floor(gap/step) steps, k-1 points are inserted; x advances in k equal
// steps (x0 + j*dx/k), y follows the segment's slope from the previously
// inserted y (in k equal steps when x does not change); the j-th inserted
// point's time is the previous inserted time plus j*step (the published
// cumulative quirk); inserted coordinates are truncated to integers. Skipped
// when the action lasts less than one step.
func (e *Extractor) resample() {
	x, y, t := e.x, e.y, e.t
	n := len(t)
	if n < 2 || t[n-1]-t[0] < ResampleStep {
		e.ux, e.uy = append(e.ux[:0], x...), append(e.uy[:0], y...)
		return
	}
	rx, ry, rt := e.path[:0], e.tv[:0], e.angT[:0]
	rx, ry, rt = append(rx, x[0]), append(ry, y[0]), append(rt, t[0])
	ux, uy := append(e.ux[:0], x[0]), append(e.uy[:0], y[0])
	for i := 1; i < n; i++ {
		gap := t[i] - t[i-1]
		k := int(math.Floor(gap / ResampleStep))
		if k >= 2 {
			dx, dy := x[i]-x[i-1], y[i]-y[i-1]
			sx := dx / float64(k)
			yi, ti := y[i-1], t[i-1]
			for j := 1; j < k; j++ {
				// x from the segment start (not accumulated: x0 + j*dx/k
				// matters where it lands on an integer), y accumulated along
				// the slope.
				xi := x[i-1] + float64(j)*sx
				if dx != 0 {
					yi += sx * dy / dx
				} else {
					yi += dy / float64(k)
				}
				ti += float64(j) * ResampleStep
				rx, ry, rt = append(rx, math.Trunc(xi)), append(ry, math.Trunc(yi)), append(rt, ti)
				ux, uy = append(ux, xi), append(uy, yi)
			}
		}
		rx, ry, rt = append(rx, x[i]), append(ry, y[i]), append(rt, t[i])
		ux, uy = append(ux, x[i]), append(uy, y[i])
	}
	e.ux, e.uy = ux, uy
	// Swap the buffers so the resampled points are the loaded ones.
	e.path, e.tv, e.angT = e.x[:0], e.y[:0], e.t[:0]
	e.x, e.y, e.t = rx, ry, rt
}
