package decide

import "testing"

// TestResumedSessionReportsItsState: a session resumed from a snapshot
// reports the policy it runs under, the actions stepped and the alert as
// the session it was taken from does.
func TestResumedSessionReportsItsState(t *testing.T) {
	t.Parallel()
	p := WindowPolicy(3, AggMean, 0.5)
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range scores(0.9, 0.1, 0.1, 0.1) {
		s.Step(in)
	}
	if s.Actions() != 4 || !s.Alerted() || s.Policy() != p {
		t.Fatalf("after 4 actions, 3 low: actions %d alerted %v policy %v", s.Actions(), s.Alerted(), s.Policy())
	}
	r, err := Resume(p, s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if r.Actions() != s.Actions() || r.Alerted() != s.Alerted() || r.Policy() != s.Policy() {
		t.Errorf("resumed: actions %d alerted %v policy %v; want %d %v %v", r.Actions(), r.Alerted(), r.Policy(), s.Actions(), s.Alerted(), s.Policy())
	}
	fresh, _ := New(DefaultPolicy())
	if fresh.Actions() != 0 || fresh.Alerted() {
		t.Errorf("a new session: actions %d alerted %v", fresh.Actions(), fresh.Alerted())
	}
}
