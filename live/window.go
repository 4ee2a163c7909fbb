package live

// Window is the sliding window of the last N action scores of one session.
// Its zero value is not usable; make one with [NewWindow].
type Window struct {
	scores []float64
	next   int
	full   bool
	sum    float64
}

// NewWindow returns an empty window of n scores (n ≥ 1).
func NewWindow(n int) *Window {
	if n < 1 {
		panic("live: window size < 1")
	}
	return &Window{scores: make([]float64, n)}
}

// Push adds a score, dropping the oldest once the window is full. The sum
// is recomputed from the ring rather than kept by subtraction so rounding
// errors never accumulate over a long session.
func (w *Window) Push(s float64) {
	w.scores[w.next] = s
	w.next++
	if w.next == len(w.scores) {
		w.next, w.full = 0, true
	}
	w.sum = 0
	for _, x := range w.scores[:w.Len()] {
		w.sum += x
	}
}

// Clone returns a copy of w: a score is pushed on the copy and the copy
// kept only once its decision is stored, so a failed attempt leaves the
// session's window as it was.
func (w *Window) Clone() *Window {
	c := *w
	c.scores = append([]float64(nil), w.scores...)
	return &c
}

// Len is the number of scores held.
func (w *Window) Len() int {
	if w.full {
		return len(w.scores)
	}
	return w.next
}

// Full reports whether the window holds N scores.
func (w *Window) Full() bool { return w.full }

// Mean is the mean of the scores held (0 when empty).
func (w *Window) Mean() float64 {
	if n := w.Len(); n > 0 {
		return w.sum / float64(n)
	}
	return 0
}

// Verdict is the decision for one action given the window after it.
type Verdict struct {
	Accept bool
	Alert  bool // raise the session's alert now
}

// Decide compares the window mean with threshold p. A session is judged
// only on a full window (fewer actions say too little, and the offline
// evaluation measured windows of exactly N); an alert is raised once per
// session, on the first full window whose mean is below p. An alert is
// sticky: once alerted, every later action of the session is refused,
// whatever the window's mean (an impostor who gets the window back over
// the threshold, e.g. with the victim's recorded actions, stays refused
// until a new login).
func Decide(w *Window, p float64, alerted bool) Verdict {
	if alerted {
		return Verdict{}
	}
	if !w.Full() {
		return Verdict{Accept: true}
	}
	accept := w.Mean() >= p
	return Verdict{Accept: accept, Alert: !accept}
}
