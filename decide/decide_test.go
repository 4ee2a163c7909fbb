package decide

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func scores(xs ...float64) []Input {
	out := make([]Input, len(xs))
	for i, x := range xs {
		out[i] = Input{Score: x}
	}
	return out
}

func TestSequentialJudgesFromTheFirstAction(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	p.Bias, p.Step, p.Ceiling, p.Accept, p.Alert, p.Start = 0, 4, 8, 1, 8, 0
	cases := []struct {
		name    string
		in      []Input
		accept  []bool
		alertAt int // index of the alert, -1 none
	}{
		{"genuine", scores(0.99, 0.99, 0.9, 0.2, 0.99), []bool{true, true, true, true, true}, -1},
		{"impostor refused from the first", scores(0.01, 0.01, 0.01), []bool{false, false, false}, 1},
		{"one weak action refused, not alerted", scores(0.4, 0.99), []bool{false, true}, -1},
		{"takeover caught within (ceiling+alert)/step", scores(0.999, 0.999, 0.999, 0.001, 0.001, 0.001, 0.001, 0.999),
			[]bool{true, true, true, true, false, false, false, false}, 6},
		{"implausible alerts at once", []Input{{Score: 0.999, Flags: Implausible}, {Score: 0.999}}, []bool{false, false}, 0},
		{"novel counts as score 0", []Input{{Score: 0.999, Flags: Novel}, {Score: 0.999, Flags: Novel}}, []bool{false, false}, 1},
		{"NaN counts as 0", scores(math.NaN(), math.NaN()), []bool{false, false}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vs, err := Run(p, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			alertAt := -1
			for i, v := range vs {
				if !v.Judged {
					t.Errorf("action %d not judged under the sequential rule", i)
				}
				if v.Accept != tc.accept[i] {
					t.Errorf("action %d: accept %v, want %v (trust %.2f)", i, v.Accept, tc.accept[i], v.Statistic)
				}
				if v.Alert {
					if alertAt >= 0 {
						t.Errorf("second alert at %d (first at %d)", i, alertAt)
					}
					alertAt = i
				}
			}
			if alertAt != tc.alertAt {
				t.Errorf("alert at %d, want %d", alertAt, tc.alertAt)
			}
		})
	}
}

func TestWindowRuleNeverAcceptsUnjudged(t *testing.T) {
	t.Parallel()
	p := WindowPolicy(3, AggMean, 0.5)
	vs, err := Run(p, scores(0.9, 0.9, 0.9, 0.1, 0.1, 0.9))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ judged, accept, alert bool }{
		{false, false, false}, {false, false, false}, {true, true, false}, {true, true, false}, {true, false, true}, {true, false, false},
	}
	for i, v := range vs {
		if v.Judged != want[i].judged || v.Accept != want[i].accept || v.Alert != want[i].alert {
			t.Errorf("action %d: %+v, want judged %v accept %v alert %v", i, v, want[i].judged, want[i].accept, want[i].alert)
		}
	}
	if !vs[5].Alerted || vs[5].Accept {
		t.Errorf("an alert is sticky: %+v", vs[5])
	}
}

// The window rule's statistics are exactly the windows the offline
// evaluation scores, for every aggregate.
func TestWindowStatisticsAreWindows(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 57)
	for i := range xs {
		xs[i] = rng.Float64()
	}
	for _, agg := range []Aggregate{AggMean, AggMedian, AggTrimmed, AggLogOdds} {
		for _, n := range []int{1, 5, 10, 20} {
			p := WindowPolicy(n, agg, 0.5)
			p.Memory = 0
			vs, err := Run(p, scores(xs...))
			if err != nil {
				t.Fatal(err)
			}
			ws := Windows(xs, n, agg)
			for i, w := range ws {
				if got := vs[i+n-1].Statistic; got != w {
					t.Fatalf("%s n=%d window %d: statistic %v, Windows %v", agg, n, i, got, w)
				}
			}
		}
	}
}

func TestRepeatedVectorsCountAgainstTheSession(t *testing.T) {
	t.Parallel()
	x := []float64{1, 2, 3, 0, -4}
	near := []float64{1.0005, 2, 3, 0, -4}
	far := []float64{1.1, 2, 3, 0, -4}
	p := DefaultPolicy()
	vs, err := Run(p, []Input{{Score: 0.999, Values: x}, {Score: 0.999, Values: near}, {Score: 0.999, Values: far}, {Score: 0.999, Values: x}})
	if err != nil {
		t.Fatal(err)
	}
	wantRepeat := []bool{false, true, false, true}
	for i, v := range vs {
		if got := v.Flags&Repeated != 0; got != wantRepeat[i] {
			t.Errorf("action %d: repeated %v, want %v", i, got, wantRepeat[i])
		}
		if got := v.Flags&Repeated != 0; got && v.Effective != 0 {
			t.Errorf("action %d: a repeat counts as score 0, got %v", i, v.Effective)
		}
	}
	// One vector sent again and again: no more than 2 actions accepted.
	in := make([]Input, 20)
	for i := range in {
		in[i] = Input{Score: 0.999999, Values: x}
	}
	vs, _ = Run(p, in)
	accepted := 0
	for _, v := range vs {
		if v.Accept {
			accepted++
		}
	}
	if accepted > 2 || !vs[len(vs)-1].Alerted {
		t.Errorf("a repeated vector: %d of 20 accepted, alerted %v", accepted, vs[len(vs)-1].Alerted)
	}
	// Memory 0 turns the check off.
	p.Memory = 0
	vs, _ = Run(p, in)
	if vs[5].Flags&Repeated != 0 {
		t.Error("memory 0 still flags repeats")
	}
}

func TestPolicyStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, p := range []Policy{DefaultPolicy(), WindowPolicy(10, AggLogOdds, 0.37), {Rule: Sequential, N: 1, Aggregate: AggMedian,
		Threshold: 0.1, Bias: -1.5, Step: 0.3, Ceiling: 2.25, Accept: -1, Alert: 3, Start: -2.5, Memory: 0, RepeatTol: 0}} {
		q, err := ParsePolicy(p.String())
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if q != p {
			t.Errorf("round trip: %+v, want %+v", q, p)
		}
	}
}

func TestParsePolicyRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "rule=sequential", "decide/2 rule=window", "decide/1 rule=fast", "decide/1 step=0", "decide/1 step=NaN",
		"decide/1 step=Inf", "decide/1 alert=-1", "decide/1 n=0", "decide/1 n=1001", "decide/1 threshold=1.5", "decide/1 threshold=-0.1",
		"decide/1 agg=max", "decide/1 ceiling=0 accept=1", "decide/1 start=-8", "decide/1 memory=-1", "decide/1 repeat=2",
		"decide/1 step=1 step=2", "decide/1 color=red", "decide/1 step", "decide/1 n=1.5", "decide/1 bias=1e300",
	} {
		_, err := ParsePolicy(s)
		if !errors.Is(err, ErrPolicy) {
			t.Errorf("ParsePolicy(%q) = %v, want ErrPolicy", s, err)
		}
	}
	if _, err := New(Policy{}); !errors.Is(err, ErrPolicy) {
		t.Errorf("New(zero policy) = %v, want ErrPolicy", err)
	}
}

// A session resumed from its snapshot decides exactly as the one that
// went on.
func TestSnapshotResume(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range []Policy{DefaultPolicy(), WindowPolicy(5, AggLogOdds, 0.5)} {
		in := make([]Input, 60)
		for i := range in {
			in[i] = Input{Score: rng.Float64(), Values: []float64{float64(rng.IntN(6)), 1}}
		}
		whole, _ := Run(p, in)
		s, _ := New(p)
		for i := 0; i < 30; i++ {
			s.Step(in[i])
		}
		r, err := Resume(p, s.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		for i := 30; i < len(in); i++ {
			if got := r.Step(in[i]); got != whole[i] && !(got.Flags == whole[i].Flags && got.Accept == whole[i].Accept && got.Alert == whole[i].Alert && got.Statistic == whole[i].Statistic) {
				t.Fatalf("%s: action %d resumed %+v, whole %+v", p.Rule, i, got, whole[i])
			}
		}
	}
	if _, err := Resume(DefaultPolicy(), Snapshot{Trust: math.NaN()}); err == nil {
		t.Error("Resume took a NaN trust")
	}
	if _, err := Resume(WindowPolicy(2, AggMean, 0.5), Snapshot{Scores: []float64{1, 1, 1}}); err == nil {
		t.Error("Resume took more scores than the window")
	}
}

func TestFlagsString(t *testing.T) {
	t.Parallel()
	if got := (Implausible | Repeated).String(); got != "implausible+repeated" {
		t.Errorf("got %q", got)
	}
	if got := Flags(0).String(); got != "none" {
		t.Errorf("got %q", got)
	}
}

// Invariants for any policy and any inputs: an accepted action is judged
// and not alerted; the alert is raised at most once and stays; trust stays
// within [-alert, ceiling].
func FuzzStep(f *testing.F) {
	f.Add(DefaultPolicy().String(), []byte{200, 10, 0, 255, 3})
	f.Add(WindowPolicy(3, AggTrimmed, 0.5).String(), []byte{1, 2, 3, 4, 5, 6, 7})
	f.Fuzz(func(t *testing.T, policy string, data []byte) {
		p, err := ParsePolicy(policy)
		if err != nil {
			if !errors.Is(err, ErrPolicy) {
				t.Fatalf("error not ErrPolicy: %v", err)
			}
			return
		}
		if q, err := ParsePolicy(p.String()); err != nil || q != p {
			t.Fatalf("round trip of %q: %+v %v", policy, q, err)
		}
		s, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		alerted := false
		for i, b := range data {
			in := Input{Score: float64(b) / 255, Flags: Flags(b>>5) & (Novel | Implausible), Values: []float64{float64(b % 4)}}
			if b == 13 {
				in.Score = math.NaN()
			}
			v := s.Step(in)
			if v.Accept && (!v.Judged || v.Alerted) {
				t.Fatalf("action %d accepted while judged=%v alerted=%v", i, v.Judged, v.Alerted)
			}
			if v.Alert && alerted {
				t.Fatalf("action %d: second alert", i)
			}
			if alerted && !v.Alerted {
				t.Fatalf("action %d: alert cleared", i)
			}
			alerted = v.Alerted
			if math.IsNaN(v.Statistic) || strings.Contains(v.Flags.String(), "+none") {
				t.Fatalf("action %d: %+v", i, v)
			}
			if p.Rule == Sequential && (v.Statistic > p.Ceiling || v.Statistic < -p.Alert) {
				t.Fatalf("action %d: trust %v out of range", i, v.Statistic)
			}
		}
	})
}

func BenchmarkStep(b *testing.B) {
	x := make([]float64, 39)
	for i := range x {
		x[i] = float64(i)
	}
	for _, p := range []Policy{DefaultPolicy(), WindowPolicy(10, AggLogOdds, 0.5)} {
		b.Run(string(p.Rule), func(b *testing.B) {
			s, _ := New(p)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				x[0] = float64(i)
				s.Step(Input{Score: 0.9, Values: x})
			}
		})
	}
}

// What DefaultPolicy's comment promises: no action accepted alone, a new
// session of impostor-like actions alerted at its 6th action, a session
// taken over at full credit within 27, an action needing p > 0.56 to
// count for the user.
func TestDefaultPolicyProperties(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	first := func(score float64) Verdict {
		vs, _ := Run(p, scores(score))
		return vs[0]
	}
	if v := first(1); v.Accept || !v.Judged {
		t.Errorf("a lone perfect action: %+v, want judged and refused", v)
	}
	alertAt := func(in []Input) int {
		vs, _ := Run(p, in)
		for i, v := range vs {
			if v.Alert {
				return i + 1
			}
		}
		return 0
	}
	imp := make([]Input, 40)
	for i := range imp {
		imp[i] = Input{Score: 0.001}
	}
	if got := alertAt(imp); got != 6 {
		t.Errorf("impostor-like session alerted at action %d, want 6", got)
	}
	takeover := append(scores(slicesRepeat(0.999, 40)...), imp...)
	if got := alertAt(takeover) - 40; got < 1 || got > 27 {
		t.Errorf("takeover after 40 genuine actions alerted %d actions later, want 1..27", got)
	}
	vs, _ := Run(p, scores(0.57, 0.57, 0.57, 0.57, 0.57, 0.57, 0.57, 0.57, 0.57, 0.57))
	if vs[len(vs)-1].Statistic <= 0 {
		t.Errorf("p = 0.57 does not count for the user: trust %v", vs[len(vs)-1].Statistic)
	}
	vs, _ = Run(p, scores(0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55))
	if vs[len(vs)-1].Statistic >= 0 {
		t.Errorf("p = 0.55 counts for the user: trust %v", vs[len(vs)-1].Statistic)
	}
	if vs, _ := Run(p, scores(0.999, 0.999)); !vs[1].Accept {
		t.Errorf("two strong genuine actions: second not accepted (trust %v)", vs[1].Statistic)
	}
}

func slicesRepeat(x float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = x
	}
	return out
}
