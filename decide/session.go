package decide

import (
	"fmt"
	"math"
	"strings"
)

// Flags say why an action counts against its session.
type Flags uint8

// Flags. The model's gates set Implausible and Novel on the [Input];
// [Session.Step] adds Repeated.
const (
	// Implausible: outside the physical bounds of the features (no
	// pointing movement produces it). Raises the alert at once.
	Implausible Flags = 1 << iota
	// Novel: outside what the user's model has seen (the novelty gate).
	Novel
	// Repeated: every feature within the policy's tolerance of one of the
	// session's last Memory vectors.
	Repeated
)

// GateFlags are the flags a model's gates set: Implausible and Novel as
// they say. The live scorer and evaluate both turn a guard's verdict
// into the engine's input with it.
func GateFlags(implausible, novel bool) Flags {
	var f Flags
	if implausible {
		f |= Implausible
	}
	if novel {
		f |= Novel
	}
	return f
}

func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	var s []string
	for _, x := range []struct {
		f    Flags
		name string
	}{{Implausible, "implausible"}, {Novel, "novel"}, {Repeated, "repeated"}} {
		if f&x.f != 0 {
			s = append(s, x.name)
		}
	}
	return strings.Join(s, "+")
}

// Input is one action of a session as the rule sees it.
type Input struct {
	Score  float64   // the model's score in [0, 1], higher = more genuine; NaN counts as 0
	Flags  Flags     // set by the model's gates (Implausible, Novel)
	Values []float64 // the feature vector, for the repeat check; nil skips it
}

// Verdict is the rule's answer for one action.
type Verdict struct {
	// Judged is false only under the window rule before its window is
	// full. An action that is not judged is not accepted.
	Judged bool
	// Accept: judged, and the session's evidence favours its user.
	Accept bool
	// Alert: this action raised the session's alert (once per session).
	Alert bool
	// Alerted: the session's alert is raised (by this action or before);
	// the action is refused.
	Alerted bool
	// Statistic is the session's trust (sequential) or the window's
	// aggregate (window; 0 before the window is full) after this action.
	// For operators and the store: never for the client.
	Statistic float64
	// Effective is the score as the rule counted it: 0 for a flagged action.
	Effective float64
	// Flags are the action's flags, Repeated included.
	Flags Flags
}

// Session is the state of one session under a policy. Not safe for
// concurrent use; copy it with [Session.Snapshot] and [Resume].
type Session struct {
	p       Policy
	trust   float64
	actions int
	alerted bool
	ring    []float64 // the window rule's last N effective scores
	next    int
	scratch []float64   // the window in order
	recent  [][]float64 // the last Memory vectors, oldest first
}

// New starts a session under p, which must be valid.
func New(p Policy) (*Session, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := &Session{p: p, trust: p.Start}
	if p.Rule == Window {
		s.ring = make([]float64, 0, p.N)
	}
	return s, nil
}

// Policy returns the session's policy.
func (s *Session) Policy() Policy { return s.p }

// Actions is the number of actions stepped.
func (s *Session) Actions() int { return s.actions }

// Alerted reports whether the session's alert is raised.
func (s *Session) Alerted() bool { return s.alerted }

// Effective is the score an action counts with: score clamped to [0, 1],
// and 0 when it is NaN or the action is flagged. A store that keeps an
// action's score and flags rebuilds a window's scores with it
// ([Snapshot.Scores]).
func Effective(score float64, f Flags) float64 {
	if math.IsNaN(score) || f != 0 {
		return 0
	}
	return min(max(score, 0), 1)
}

// Step judges the next action of the session.
func (s *Session) Step(in Input) Verdict {
	v := Verdict{Flags: in.Flags}
	if s.repeats(in.Values) {
		v.Flags |= Repeated
	}
	s.remember(in.Values)
	s.actions++
	v.Effective = Effective(in.Score, v.Flags)
	raise := v.Flags&Implausible != 0
	switch s.p.Rule {
	case Window:
		if len(s.ring) < s.p.N {
			s.ring = append(s.ring, v.Effective)
		} else {
			s.ring[s.next] = v.Effective
			s.next = (s.next + 1) % s.p.N
		}
		if len(s.ring) == s.p.N {
			v.Judged = true
			v.Statistic = s.p.Aggregate.Apply(s.windowInOrder())
			raise = raise || v.Statistic < s.p.Threshold
		}
	default:
		d := LogOdds(v.Effective) - s.p.Bias
		s.trust = min(max(s.trust+min(max(d, -s.p.Step), s.p.Step), -s.p.Alert), s.p.Ceiling)
		v.Judged = true
		v.Statistic = s.trust
		raise = raise || s.trust <= -s.p.Alert
	}
	if raise && !s.alerted {
		s.alerted, v.Alert = true, true
	}
	v.Alerted = s.alerted
	v.Accept = v.Judged && !s.alerted && s.accepts(v.Statistic)
	return v
}

func (s *Session) accepts(stat float64) bool { return s.p.Accepts(stat) }

// windowInOrder returns the window's scores oldest first (the aggregates
// are order-free but for rounding; the order keeps them bit-identical to
// [Windows]).
func (s *Session) windowInOrder() []float64 {
	if s.next == 0 {
		return s.ring
	}
	s.scratch = append(append(s.scratch[:0], s.ring[s.next:]...), s.ring[:s.next]...)
	return s.scratch
}

// repeats reports whether x repeats one of the session's recent vectors.
func (s *Session) repeats(x []float64) bool {
	if s.p.Memory == 0 || len(x) == 0 {
		return false
	}
	for _, r := range s.recent {
		if near(r, x, s.p.RepeatTol) {
			return true
		}
	}
	return false
}

func (s *Session) remember(x []float64) {
	if s.p.Memory == 0 || len(x) == 0 {
		return
	}
	if len(s.recent) == s.p.Memory {
		// Reuse the oldest vector's slice: no allocation once full.
		old := s.recent[0]
		copy(s.recent, s.recent[1:])
		s.recent[len(s.recent)-1] = append(old[:0], x...)
		return
	}
	s.recent = append(s.recent, append([]float64(nil), x...))
}

// near reports whether a and b have the same length and every feature
// within tol of each other relative to the larger magnitude (exactly
// equal when tol is 0). NaN is never near anything.
func near(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if !(d <= tol*max(math.Abs(a[i]), math.Abs(b[i]))) && a[i] != b[i] {
			return false
		}
	}
	return true
}

// Snapshot is a session's state as a value: what a scorer stores or
// hands over to resume the session elsewhere.
type Snapshot struct {
	Trust   float64     // sequential: the trust after the last action
	Actions int         // actions stepped
	Alerted bool        // the alert is raised
	Scores  []float64   // window: the last up to N effective scores, oldest first
	Recent  [][]float64 // the last up to Memory vectors, oldest first
}

// Snapshot returns a copy of the session's state.
func (s *Session) Snapshot() Snapshot {
	snap := Snapshot{Trust: s.trust, Actions: s.actions, Alerted: s.alerted}
	if s.ring != nil {
		snap.Scores = append([]float64(nil), s.windowInOrder()...)
	}
	for _, r := range s.recent {
		snap.Recent = append(snap.Recent, append([]float64(nil), r...))
	}
	return snap
}

// Resume continues a session under p from snap. Parts of the state that
// snap lacks (vectors a store does not keep, say) start empty, which only
// weakens the repeat check. It fails on an invalid p or a snap that p
// cannot hold (non-finite trust, more scores than the window).
func Resume(p Policy, snap Snapshot) (*Session, error) {
	s, err := New(p)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(snap.Trust) || math.IsInf(snap.Trust, 0) || snap.Actions < 0 {
		return nil, fmt.Errorf("resume: trust %v, %d actions: not a session's state", snap.Trust, snap.Actions)
	}
	if p.Rule == Window && len(snap.Scores) > p.N {
		return nil, fmt.Errorf("resume: %d window scores for a window of %d", len(snap.Scores), p.N)
	}
	s.trust = min(max(snap.Trust, -p.Alert), p.Ceiling)
	s.actions, s.alerted = snap.Actions, snap.Alerted
	if p.Rule == Window {
		for _, x := range snap.Scores {
			if math.IsNaN(x) {
				x = 0
			}
			s.ring = append(s.ring, min(max(x, 0), 1))
		}
	}
	from := max(0, len(snap.Recent)-p.Memory)
	for _, r := range snap.Recent[from:] {
		s.remember(r)
	}
	return s, nil
}

// Run steps a new session under p through ins and returns its verdicts.
func Run(p Policy, ins []Input) ([]Verdict, error) {
	s, err := New(p)
	if err != nil {
		return nil, err
	}
	out := make([]Verdict, len(ins))
	for i, in := range ins {
		out[i] = s.Step(in)
	}
	return out, nil
}
