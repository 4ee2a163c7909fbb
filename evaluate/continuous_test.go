package evaluate

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mouseauth/mouseauth/decide"
)

// Strong evidence either way: log-odds about ±6.9, clamped to ±Step.
const hi, lo = 0.999, 0.001

// unitPolicy is a sequential policy whose trust moves by exactly ±1 for
// hi and lo: accepted at trust >= 1, locked out at trust <= -2, trust
// capped at 2.
func unitPolicy() decide.Policy {
	p := decide.DefaultPolicy()
	p.Bias, p.Step, p.Ceiling, p.Accept, p.Alert, p.Start, p.Memory = 0, 1, 2, 1, 2, 0, 0
	return p
}

func TestWalkKnownAnswers(t *testing.T) {
	t.Parallel()
	old, err := NamedDeployment(DeployOld)
	if err != nil {
		t.Fatal(err)
	}
	old.Policy.N = 3 // a window of 3 for hand-made sequences
	newWindow := old
	newWindow.AcceptUnjudged = false
	seq := Deployment{Name: "unit", Preset: PresetImproved, Policy: unitPolicy()}
	cases := []struct {
		name string
		d    Deployment
		t    Trace
		want Walk
	}{
		// trust 1 2 1 0 -1 -2(lockout, reset) 1: 4 accepted (trust >= 1), one lockout at action 6.
		{"sequential genuine, one false lockout", seq, Trace{Scores: []float64{hi, hi, lo, lo, lo, lo, hi}},
			Walk{Actions: 7, Accepted: 4, Lockouts: 1, LockedActions: 6, AcceptedLocked: 3, FirstLockout: 6}},
		// trust -1 -2(lockout) | -1 -2(lockout) | 1: two lockouts of 2 actions each, nothing accepted before them.
		{"sequential impostor, reset after each lockout", seq, Trace{Scores: []float64{lo, lo, lo, lo, hi}},
			Walk{Actions: 5, Accepted: 1, Lockouts: 2, LockedActions: 4, AcceptedLocked: 0, FirstLockout: 2}},
		// A flagged action counts as score 0 whatever its score.
		{"sequential, novel actions", seq, Trace{Scores: []float64{hi, hi, hi}, Flags: []decide.Flags{decide.Novel, decide.Novel, 0}},
			Walk{Actions: 3, Accepted: 1, Lockouts: 1, LockedActions: 2, FirstLockout: 2}},
		// Window of 3, mean >= 0.5: actions 1-2 unjudged; 3 (.9) and 4 (.633) accepted; 5 (.367) locks out;
		// after the new login 6-7 unjudged, 8 (.633) accepted.
		{"old: unjudged actions accepted", old, Trace{Scores: []float64{.9, .9, .9, .1, .1, .1, .9, .9}},
			Walk{Actions: 8, Accepted: 7, AcceptedUnjudged: 4, Lockouts: 1, LockedActions: 5, AcceptedLocked: 4, FirstLockout: 5}},
		{"window: unjudged actions refused", newWindow, Trace{Scores: []float64{.9, .9, .9, .1, .1, .1, .9, .9}},
			Walk{Actions: 8, Accepted: 3, Lockouts: 1, LockedActions: 5, AcceptedLocked: 2, FirstLockout: 5}},
		// Sessions of 2 actions (Fresh): the window of 3 never fills, so the old rule accepts
		// everything and never locks out.
		{"old: short sessions never judged", old, Trace{Scores: []float64{.1, .1, .1, .1}, Fresh: []bool{true, false, true, false}},
			Walk{Actions: 4, Accepted: 4, AcceptedUnjudged: 4}},
		{"window: short sessions refused", newWindow, Trace{Scores: []float64{.1, .1, .1, .1}, Fresh: []bool{true, false, true, false}},
			Walk{Actions: 4}},
		// Time spans per login: 0-20 s, then 100-110 s.
		{"seconds per login", seq, Trace{Scores: []float64{hi, hi, hi, hi, hi}, Starts: []float64{0, 10, 20, 100, 110},
			Fresh: []bool{true, false, false, true, false}}, Walk{Actions: 5, Accepted: 5, Seconds: 30}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.d.Walk(tc.t)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, err := seq.Walk(Trace{Scores: []float64{1, 2}, X: [][]float64{{1}}}); err == nil {
		t.Error("a trace with 2 scores and 1 vector was walked")
	}
}

// ANGA and ANIA as Mondal and Bours compute them, on hand-made sequences:
// ANGA = genuine actions / false lockouts (all the actions when none);
// ANIA = impostor actions up to the last lockout / lockouts, sequences
// never locked out left out of it and counted apart.
func TestANIAANGAKnownAnswers(t *testing.T) {
	t.Parallel()
	d := Deployment{Name: "unit", Preset: PresetImproved, Policy: unitPolicy()}
	walk := func(scores ...float64) Walk {
		w, err := d.Walk(Trace{Scores: scores})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	var u ContinuousUser
	// Genuine: 10 actions, one false lockout (at action 6), then 10 with none.
	u.addGenuine(walk(hi, hi, lo, lo, lo, lo, hi, hi, hi, hi))
	u.addGenuine(walk(hi, hi, hi, hi, hi, hi, hi, hi, hi, hi))
	// Impostors: locked out at 2 and 4 (6 actions: 1 more after), locked out at 4 (after one
	// accepted action), never locked out (trust stays at or above -1).
	u.addImpostor(walk(lo, lo, lo, lo, lo))
	u.addImpostor(walk(hi, lo, lo, lo, lo))
	u.addImpostor(walk(lo, hi, lo, hi, lo, hi))
	want := map[string]float64{
		MetricANGA:                  20.0 / 1,
		MetricGenuineNeverLocked:    0,
		MetricFalseAlarms1000:       1000 * 1.0 / 20,
		MetricGenuineAccepted:       (7.0 + 10) / 20, // trust >= 1: actions 1-3 and 7-10 of the first; all of the second
		MetricANIA:                  (4.0 + 4) / 3,   // actions up to the last lockout: 4 and 4, over 3 lockouts
		MetricFirstLockout:          (2.0 + 4) / 2,
		MetricAcceptedBeforeLockout: 1.0 / 3,
		MetricNeverLocked:           1.0 / 3,
		MetricImpostorAccepted:      1.0 / 16,
		MetricAcceptedUnjudged:      0,
	}
	for m, v := range want {
		if got := u.Metric(m); math.Abs(got-v) > 1e-12 {
			t.Errorf("%s = %v, want %v", m, got, v)
		}
	}
	if got := u.Metric(MetricFalseAlarmsHour); !math.IsNaN(got) {
		t.Errorf("false alarms per hour without timestamps = %v, want NaN", got)
	}
	// A user never falsely locked out: ANGA is every genuine action (a lower bound).
	var v ContinuousUser
	v.addGenuine(walk(hi, hi, hi))
	v.addImpostor(walk(lo, hi, lo, hi))
	if v.Metric(MetricANGA) != 3 || v.Metric(MetricGenuineNeverLocked) != 1 || !math.IsNaN(v.Metric(MetricANIA)) || v.Metric(MetricNeverLocked) != 1 {
		t.Errorf("no lockouts: anga %v, never %v, ania %v, impostor never %v", v.Metric(MetricANGA), v.Metric(MetricGenuineNeverLocked),
			v.Metric(MetricANIA), v.Metric(MetricNeverLocked))
	}
}

func TestSummarizeContinuous(t *testing.T) {
	t.Parallel()
	row := func(seed int64, user string, actions, lockouts int) ContinuousUser {
		return ContinuousUser{Seed: seed, Deployment: "d", User: user, GenuineActions: actions, GenuineLockouts: lockouts}
	}
	// ANGA per user and seed: a 100, 50; b 10, 30. Seed means 55, 40.
	rows := []ContinuousUser{row(0, "a", 100, 1), row(0, "b", 100, 10), row(1, "a", 100, 2), row(1, "b", 90, 3)}
	figs := SummarizeContinuous(rows, []int64{0, 1}, []string{"d"})
	var anga Figure
	for _, f := range figs {
		if f.Metric == MetricANGA {
			anga = f
		}
	}
	if anga.Mean != 47.5 || math.Abs(anga.SD-math.Sqrt(2*7.5*7.5)) > 1e-12 || anga.Users != 2 || anga.Max != 100 {
		t.Errorf("anga %+v, want mean 47.5, sd %v, 2 users, max 100", anga, math.Sqrt(2*7.5*7.5))
	}
	// The interval over users and seeds lies within the users' range and covers the mean.
	if !(anga.Lo >= 10 && anga.Hi <= 100 && anga.Lo <= 47.5 && anga.Hi >= 47.5 && anga.Hi-anga.Lo > 10) {
		t.Errorf("interval [%v, %v]", anga.Lo, anga.Hi)
	}
}

func TestUserSeedInterval(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	lo, hi := UserSeedInterval([][]float64{{2, 2}, {2, math.NaN()}}, rng)
	if lo != 2 || hi != 2 {
		t.Errorf("constant values: [%v, %v]", lo, hi)
	}
	// Seed noise alone widens it: one user, values 0 and 1 at two seeds.
	lo, hi = UserSeedInterval([][]float64{{0, 1}}, rng)
	if lo != 0 || hi != 1 {
		t.Errorf("one user, seeds 0 and 1: [%v, %v], want [0, 1]", lo, hi)
	}
	lo, _ = UserSeedInterval([][]float64{{math.NaN()}}, rng)
	if !math.IsNaN(lo) {
		t.Errorf("no defined value: lo %v", lo)
	}
}

// On synthetic users the sequential rule locks impostors out sooner than
// the window rule, which cannot before its window is full; no rule but the
// old one accepts an unjudged action; and the result records the
// recommended policy.
func TestEvaluateContinuousSynthetic(t *testing.T) {
	t.Parallel()
	d := synth(6, 90, 6, 1.2, 11)
	res, err := EvaluateContinuous(context.Background(), d, "synth", ContinuousOptions{Seeds: []int64{0, 1}, Trees: 20})
	if err != nil {
		t.Fatal(err)
	}
	fig := func(dep, m string) Figure {
		f, ok := res.Find(dep, m)
		if !ok {
			t.Fatalf("no %s %s", dep, m)
		}
		return f
	}
	if seq, win := fig(DeploySequential, MetricFirstLockout).Mean, fig(DeployWindow, MetricFirstLockout).Mean; !(seq < win && win >= LegacyWindow) {
		t.Errorf("actions to the first lockout: sequential %v, window %v", seq, win)
	}
	if u := fig(DeployOld, MetricAcceptedUnjudged).Mean; u <= 0 {
		t.Errorf("old: %v of impostor actions accepted unjudged, want > 0", u)
	}
	for _, dep := range []string{DeployWindow, DeploySequential} {
		if u := fig(dep, MetricAcceptedUnjudged).Max; u != 0 {
			t.Errorf("%s accepted unjudged impostor actions: %v", dep, u)
		}
	}
	if got := len(res.Users); got != 2*3*6 {
		t.Errorf("%d rows, want 2 seeds x 3 deployments x 6 users", got)
	}
	if res.Recommended != decide.DefaultPolicy() || res.Split != SplitChronological {
		t.Errorf("recommended %v, split %s", res.Recommended, res.Split)
	}
}

// flagAll is a gate that finds every vector implausible.
type flagAll struct{}

func (flagAll) Check([]float64) decide.Flags { return decide.Implausible }

// The gates' seam: a deployment with gates sees their flags (here every
// vector implausible: every sequence locked out at its first action,
// nothing accepted), one without (old) does not; the factory gets each
// user's training vectors and the table's names.
func TestContinuousGates(t *testing.T) {
	t.Parallel()
	d := synth(4, 60, 4, 1, 5)
	d.Names = []string{"a", "b", "c", "d"}
	var got []GateData
	var mu sync.Mutex
	res, err := EvaluateContinuous(context.Background(), d, "synth", ContinuousOptions{Trees: 10,
		Gates: func(g GateData) (Gate, error) {
			mu.Lock()
			got = append(got, g)
			mu.Unlock()
			return flagAll{}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Gates || len(got) != 2*4 || len(got[0].Train) != 40 || len(got[0].Names) != 4 {
		t.Fatalf("gates %v, %d factory calls, first %+v", res.Gates, len(got), got[0].User)
	}
	for _, dep := range []string{DeployWindow, DeploySequential} {
		if f, _ := res.Find(dep, MetricImpostorAccepted); f.Max != 0 {
			t.Errorf("%s: impostor actions accepted past a gate that refuses all: %v", dep, f.Max)
		}
		if f, _ := res.Find(dep, MetricGenuineAccepted); f.Max != 0 {
			t.Errorf("%s: genuine actions accepted past a gate that refuses all: %v", dep, f.Max)
		}
	}
	if f, _ := res.Find(DeploySequential, MetricANIA); f.Mean != 1 {
		t.Errorf("sequential ANIA %v, want 1 (every action implausible)", f.Mean)
	}
	if f, _ := res.Find(DeployOld, MetricImpostorAccepted); f.Mean == 0 {
		t.Error("old (no gates) accepted no impostor action: the gates reached it")
	}
}

// An attack run's continuous figures (one training for both) are those of
// a continuous run with the same options.
func TestAttackContinuousIsContinuous(t *testing.T) {
	t.Parallel()
	d := synth(4, 60, 4, 1.5, 8)
	co := ContinuousOptions{Seeds: []int64{3}, Trees: 10}
	a, err := EvaluateAttacks(context.Background(), d, "s", AttackOptions{ContinuousOptions: co, Attacks: []string{AttackRandom},
		Sessions: 2, Continuous: true})
	if err != nil {
		t.Fatal(err)
	}
	co.Deployments = a.Deployments
	c, err := EvaluateContinuous(context.Background(), d, "s", co)
	if err != nil {
		t.Fatal(err)
	}
	if a.Continuous == nil || !reflect.DeepEqual(a.Continuous.Users, c.Users) || len(c.Users) != 2*4 {
		t.Errorf("attack's continuous rows differ from a continuous run's:\n%+v\n%+v", a.Continuous, c.Users)
	}
}

// Undefined figures (NaN) are null in run.json and NaN again when read.
func TestFigureJSON(t *testing.T) {
	t.Parallel()
	f := Figure{Deployment: "d", Attack: "a", Metric: MetricANIA, Mean: 2.5, SD: math.NaN(), Lo: 1, Hi: math.NaN(), Users: 3,
		Max: 4, Values: []float64{2, math.NaN(), 3}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"sd":null`; !strings.Contains(string(b), want) {
		t.Errorf("%s lacks %s", b, want)
	}
	var g Figure
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g.Mean != 2.5 || !math.IsNaN(g.SD) || !math.IsNaN(g.Hi) || g.Lo != 1 || g.Users != 3 || g.Max != 4 ||
		len(g.Values) != 3 || !math.IsNaN(g.Values[1]) || g.Values[2] != 3 || g.Attack != "a" {
		t.Errorf("round trip: %+v", g)
	}
}
