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
// session, on the first full window whose mean is below p.
func Decide(w *Window, p float64, alerted bool) Verdict {
	if !w.Full() {
		return Verdict{Accept: true}
	}
	accept := w.Mean() >= p
	return Verdict{Accept: accept, Alert: !accept && !alerted}
}
