package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/preprocess"
)

// The impostor of these tests has the victim's password and a client of
// their own (the replay identity, bound to every user): they log in and
// send whatever vectors they like, MAC'd under the session key their login
// sealed. Each test was run once against the scorer of before the decision
// engine (the window's mean of the last 10 scores against 0.5, every
// action accepted until the window was full, the score in every decision)
// and failed there; the figures of both are in the report of issue 18.

// attackOutcome is what one attack session got from the scorer.
type attackOutcome struct {
	sent, accepted int
	alertAt        int // actions up to and including the alerting one; 0: no alert
	decisions      []wire.Decision
}

func (o attackOutcome) String() string {
	alert := "no alert"
	if o.alertAt > 0 {
		alert = fmt.Sprintf("alert at action %d", o.alertAt)
	}
	return fmt.Sprintf("%d of %d accepted, %s", o.accepted, o.sent, alert)
}

// attack logs in as user with password under session, sends vs in order
// on the user's partition and waits for every decision.
func (c *client) attack(user, password, session string, vs [][]float64) attackOutcome {
	t := c.e.t
	t.Helper()
	home := partitionOf(user, c.e.partitions)
	c.login(user, session, password, home)
	if d := c.loginAnswer(session); !d.Accept {
		t.Fatalf("the impostor's login %s was refused: %+v", session, d)
	}
	for i, v := range vs {
		c.vector(user, session, int64(i), v, home)
	}
	ds := c.decisions(session, 1+len(vs), 90*time.Second)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Seq < ds[j].Seq })
	o := attackOutcome{sent: len(vs)}
	for _, d := range ds {
		if d.Seq == wire.LoginSeq {
			continue
		}
		o.decisions = append(o.decisions, d)
		if d.Accept {
			o.accepted++
		}
		if d.Alert && o.alertAt == 0 {
			o.alertAt = int(d.Seq) + 1
		}
	}
	if len(o.decisions) != len(vs) {
		t.Fatalf("session %s: %d decisions for %d vectors", session, len(o.decisions), len(vs))
	}
	return o
}

// repeat is n copies of x.
func repeat(x []float64, n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = append([]float64(nil), x...)
	}
	return out
}

// constant is a vector whose every feature is c.
func constant(c float64) []float64 {
	x := make([]float64, preprocess.NumFeatures)
	for i := range x {
		x[i] = c
	}
	return x
}

// mean is the feature-wise mean of xs.
func mean(xs [][]float64) []float64 {
	m := make([]float64, len(xs[0]))
	for _, x := range xs {
		for j, v := range x {
			m[j] += v / float64(len(xs))
		}
	}
	return m
}

// victimModel is the model user's latest stored model holds.
func (e *env) victimModel(user string) *classify.SavedModel {
	e.t.Helper()
	m, err := e.st.LatestModel(context.Background(), user)
	if err != nil {
		e.t.Fatal(err)
	}
	sm, err := classify.Load(bytes.NewReader(m.Data))
	if err != nil {
		e.t.Fatal(err)
	}
	return sm
}

// TestAttackImplausibleAndRepeatedVectors: vectors no pointing movement
// produces, or the same vector again and again, were accepted for whole
// sessions (every action before the window was full unjudged and
// accepted, and full windows of a constant over 0.5). Each attack is one
// fresh session of 20 vectors: constants (0, 1, a million and minus a
// billion in every feature), the victim's training mean repeated (as it
// is, and projected into the physical bounds), and the
// victim's best-scoring held-out genuine vector re-sent 20 times (new
// seqs, so no redelivery). Now no session gets more than 3 actions
// accepted and every one is alerted: the guard flags what is outside the
// physical bounds or the user's range (an implausible vector alerts at
// once), and the repeat check counts a vector that repeats one of the
// session's recent ones as the strongest evidence against the user.
func TestAttackImplausibleAndRepeatedVectors(t *testing.T) {
	t.Parallel()
	e, _ := startWorkerAttackEnv(t, live.Config{})
	us := synthUsers(t, 3, 3, 60)
	ss := plan(t, e, us, 0)
	e.startService()
	victim := ss[0]
	c := newClient(e)

	var train [][]float64
	for _, v := range us[0].Sessions[0] { // replay.Plan trains on the first session
		train = append(train, v.Values)
	}
	sm := e.victimModel(victim.LoginAs)
	best, bestScore := victim.Vectors[0].Values, -1.0
	for _, v := range victim.Vectors {
		if s := sm.Model.Score(v.Values); s > bestScore {
			best, bestScore = v.Values, s
		}
	}
	// The mean made physically possible (whole numbers where the features
	// count, relations kept), as a careful attacker would send it.
	projected := mean(train)
	if sm.Header.Bounds == nil || !sm.Header.Bounds.Project(projected) {
		t.Fatal("the training mean cannot be projected into the model's physical bounds")
	}
	attacks := []struct {
		name string
		vs   [][]float64
	}{
		{"the victim's training mean, projected into the physical bounds", repeat(projected, 20)},
		{"constant 0", repeat(constant(0), 20)},
		{"constant 1", repeat(constant(1), 20)},
		{"constant 1e6", repeat(constant(1e6), 20)},
		{"constant -1e9", repeat(constant(-1e9), 20)},
		{"the victim's training mean", repeat(mean(train), 20)},
		{fmt.Sprintf("one genuine vector (score %.2f) 20 times", bestScore), repeat(best, 20)},
	}
	for i, a := range attacks {
		o := c.attack(victim.LoginAs, victim.Password, fmt.Sprintf("implausible-%d", i), a.vs)
		t.Logf("%s: %v", a.name, o)
		if o.accepted > 3 || o.alertAt == 0 {
			t.Errorf("%s: %v; want at most 3 accepted and an alert", a.name, o)
		}
	}
	// The operator's view: every action's score, and what was flagged.
	st := e.svc.Stats()
	n := float64(20 * len(attacks))
	implausible, repeated := live.Value(st.Flagged, "flag", "implausible"), live.Value(st.Flagged, "flag", "repeated")
	t.Logf("metrics: %v scores observed, flagged implausible %v, repeated %v, alerts %v", live.Value(st.Scores), implausible, repeated, live.Value(st.Alerts))
	if live.Value(st.Scores) != n || implausible != 100 || repeated < n-float64(len(attacks))-implausible || live.Value(st.Alerts) != float64(len(attacks)) {
		t.Errorf("metrics: %v scores, %v implausible, %v repeated, %v alerts; want %v scores, 100 implausible (5 sessions), the other sessions' copies repeated, %d alerts",
			live.Value(st.Scores), implausible, repeated, live.Value(st.Alerts), n, len(attacks))
	}
	checkHonest(t, e, ss[1:2])
}

// TestAttackNoScoreOracle: every decision told the client its vector's
// score (and the window's mean and threshold), even after the session's
// alert, so an impostor could hill-climb on it: about 300 probes raised a
// vector's score from 0.2 to over 0.9. Now a decision says accept or
// refuse, alert and closed, nothing more, in every message on the
// decision topic; and from the alert on, every decision of the session is
// the same (refused, closed) whatever the vector, so a probe learns
// nothing from it. The operator still reads the scores: the store keeps
// them and the alert topic carries the alerting action's.
func TestAttackNoScoreOracle(t *testing.T) {
	t.Parallel()
	e, _ := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 3, 3, 60), 0)
	e.startService()
	victim := ss[0]
	c := newClient(e)
	// Another user's actions, then the victim's own: a hill-climber's probes
	// after the alert get the victim's real behaviour for free.
	vs := impostorVectors(ss, victim.LoginAs, 30)
	for _, v := range victim.Vectors {
		vs = append(vs, v.Values)
	}
	o := c.attack(victim.LoginAs, victim.Password, "oracle", vs)
	t.Logf("impostor then the victim's own %d actions: %v", len(victim.Vectors), o)

	leaks := map[string]int{}
	told := map[string]bool{} // what a decision after the alert says, less its seq, times and MAC
	n := 0
	for _, m := range e.readAll(topics.Decisions) {
		var j map[string]any
		if json.Unmarshal(m.Value, &j) != nil || j["session"] != "oracle" || j["seq"] == float64(wire.LoginSeq) {
			continue
		}
		n++
		for _, k := range []string{"score", "mean", "threshold", "window", "statistic", "trust", "model_version"} {
			if _, ok := j[k]; ok {
				leaks[k]++
			}
		}
		if seq := int(j["seq"].(float64)); o.alertAt > 0 && seq >= o.alertAt {
			for _, k := range []string{"seq", "sent", "service_ns", "mac", "alert"} {
				delete(j, k)
			}
			b, _ := json.Marshal(j)
			told[string(b)] = true
		}
	}
	if n != len(vs) {
		t.Fatalf("%d decisions of the session on the topic, want %d", n, len(vs))
	}
	if len(leaks) > 0 {
		t.Errorf("decisions sent to the client carry %v (member: messages)", leaks)
	}
	if o.alertAt == 0 {
		t.Fatal("the impostor was not alerted")
	}
	if len(told) != 1 {
		var some []string
		for s := range told {
			if len(some) < 2 {
				some = append(some, s)
			}
		}
		t.Errorf("after the alert the decisions say %d different things, e.g. %s", len(told), strings.Join(some, " and "))
	}
	for s := range told {
		if strings.Contains(s, `"accept":true`) {
			t.Errorf("a decision after the alert accepts: %s", s)
		}
	}
	t.Logf("after the alert (action %d) every decision reads %v", o.alertAt, told)
	if as := e.alerts("oracle"); len(as) != 1 {
		t.Errorf("%d alerts on the alert topic, want 1", len(as))
	}
}

// TestAttackShortSessions: the window rule judged no action before its
// window was full, and accepted every one, so an impostor who logged in
// again every 9 actions was never judged: 10 sessions of 9 actions, 90 of
// 90 accepted, no alert. Now actions are judged from the first: an action
// is accepted only once the session's evidence favours its user, and the
// impostor's short sessions are refused and alerted.
func TestAttackShortSessions(t *testing.T) {
	t.Parallel()
	e, _ := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 3, 3, 60), 0)
	e.startService()
	victim := ss[0]
	c := newClient(e)
	vs := impostorVectors(ss, victim.LoginAs, 90)
	if len(vs) != 90 {
		t.Fatalf("%d impostor vectors", len(vs))
	}
	accepted, alerted, sessionsAccepted := 0, 0, 0
	var alertAt []int
	for k := range 10 {
		o := c.attack(victim.LoginAs, victim.Password, fmt.Sprintf("short-%d", k), vs[9*k:9*k+9])
		accepted += o.accepted
		if o.accepted > 0 {
			sessionsAccepted++
		}
		if o.alertAt > 0 {
			alerted++
			alertAt = append(alertAt, o.alertAt)
		}
	}
	t.Logf("10 sessions of 9 impostor actions: %d of 90 actions accepted, %d sessions with an accepted action, %d alerted (at actions %v)",
		accepted, sessionsAccepted, alerted, alertAt)
	if accepted > 9 {
		t.Errorf("%d of 90 impostor actions accepted; want at most 9 (10%%)", accepted)
	}
	if alerted < 5 {
		t.Errorf("%d of 10 impostor sessions alerted; want at least half", alerted)
	}
	checkHonest(t, e, ss[1:2])
}

// TestLiveVerdictsMatchOffline replays one recorded session through the
// live scorer, with a restart of the service halfway, and offline through
// the decision engine as `evaluate` judges a trace (the model's score, its
// guard's flags and the vector for the repeat check, stepped under the
// policy the model records), and gets the same verdict for every action:
// accept, alert and closed as the client is told them, and the rule's
// statistic, judged and flags as the store keeps them. The session mixes
// the victim's genuine actions, one of them re-sent, and another user's,
// so that it has accepted, refused, repeated and alerting actions; the
// restart makes the second half's verdicts come from the state rebuilt
// from the store.
func TestLiveVerdictsMatchOffline(t *testing.T) {
	t.Parallel()
	e, _ := startWorkerAttackEnv(t, live.Config{})
	// Enrolled as `live enroll` does: the improved preset and the policy
	// it records (decide.DefaultPolicy).
	ss := planTrained(t, e, synthUsers(t, 3, 3, 60), 0, &cheapArgon2, account.TrainOptions{Seed: 1})
	e.startService()
	victim := ss[0]
	sm := e.victimModel(victim.LoginAs)
	// The victim's genuine actions that score well (a synthetic user's
	// held-out actions score anywhere from 0 to 1 under a model of one
	// session), two of them again, another user's actions, then the rest
	// of the victim's.
	var vs, rest [][]float64
	for _, v := range victim.Vectors {
		if len(vs) < 12 && sm.Model.Score(v.Values) >= 0.7 {
			vs = append(vs, v.Values)
		} else {
			rest = append(rest, v.Values)
		}
	}
	vs = append(vs, vs[3], vs[len(vs)-1])
	vs = append(vs, impostorVectors(ss, victim.LoginAs, 20)...)
	vs = append(vs, rest[:min(10, len(rest))]...)

	p, err := decide.ParsePolicy(sm.Header.Decision)
	if err != nil {
		t.Fatalf("the enrolment model records %q: %v", sm.Header.Decision, err)
	}
	ins := make([]decide.Input, len(vs))
	for i, x := range vs {
		ins[i] = decide.Input{Score: sm.Model.Score(x), Flags: account.Flags(account.Check(sm, x)), Values: x}
	}
	want, err := decide.Run(p, ins)
	if err != nil {
		t.Fatal(err)
	}

	c := newClient(e)
	home := partitionOf(victim.LoginAs, c.e.partitions)
	const session = "offline"
	c.login(victim.LoginAs, session, victim.Password, home)
	if d := c.loginAnswer(session); !d.Accept {
		t.Fatalf("login refused: %+v", d)
	}
	half := len(vs) / 2
	for i, x := range vs[:half] {
		c.vector(victim.LoginAs, session, int64(i), x, home)
	}
	c.decisions(session, 1+half, 60*time.Second)
	e.stopService()
	e.startService()
	for i, x := range vs[half:] {
		c.vector(victim.LoginAs, session, int64(half+i), x, home)
	}
	ds := c.decisions(session, 1+len(vs), 90*time.Second)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Seq < ds[j].Seq })
	if len(ds) != 1+len(vs) {
		t.Fatalf("%d decisions, want %d", len(ds), 1+len(vs))
	}
	stored, err := e.st.RecentDecisions(context.Background(), victim.LoginAs, session, math.MaxInt64, len(vs))
	if err != nil || len(stored) != len(vs) {
		t.Fatalf("%d stored decisions: %v", len(stored), err)
	}
	var seq strings.Builder
	accepted, flagged := 0, 0
	for i, w := range want {
		d, s := ds[1+i], stored[i]
		if d.Accept != w.Accept || d.Alert != w.Alert || d.Closed != w.Alerted {
			t.Errorf("action %d: the client was told accept %v alert %v closed %v; offline %+v", i, d.Accept, d.Alert, d.Closed, w)
		}
		if s.Statistic != w.Statistic || s.Judged != w.Judged || s.Flags != int(w.Flags) || s.Score != ins[i].Score {
			t.Errorf("action %d: stored score %v statistic %v judged %v flags %v; offline score %v %+v", i, s.Score, s.Statistic, s.Judged,
				decide.Flags(s.Flags), ins[i].Score, w)
		}
		switch {
		case w.Alert:
			seq.WriteByte('!')
		case w.Accept:
			seq.WriteByte('+')
			accepted++
		default:
			seq.WriteByte('-')
		}
		if w.Flags != 0 {
			flagged++
		}
	}
	t.Logf("policy %s; %d actions, restart after %d: %s (+ accepted, - refused, ! alert); %d accepted, %d flagged",
		p, len(vs), half, seq.String(), accepted, flagged)
	if accepted == 0 || flagged == 0 || !want[len(want)-1].Alerted {
		t.Errorf("the session has %d accepted and %d flagged actions, alerted %v: it does not exercise the rule", accepted, flagged, want[len(want)-1].Alerted)
	}
}

// TestAttackShortSessionsDoNotRetrain: the impostor's short sessions were
// accepted unjudged and then trained on (about 1 100 impostor vectors in
// 9-action sessions made the victim's retrained model accept the
// impostor). A retraining that runs after the victim's two genuine
// sessions and ten 9-action impostor sessions trains on vectors of the
// victim's sessions only: an impostor session's vectors were refused or
// alerted, and only judged, accepted, unflagged and confidently scored
// vectors of unalerted sessions are clean (the rule the store's Judged
// and Flags columns let retraining apply).
func TestAttackShortSessionsDoNotRetrain(t *testing.T) {
	t.Parallel()
	e, logs := startWorkerAttackEnv(t, live.Config{})
	ss := planTrained(t, e, synthUsers(t, 3, 4, 60), 0, &cheapArgon2, account.TrainOptions{Seed: 1})
	victim := ss[0]
	genuine := ss[:2] // the victim's two replayed sessions
	n := 0
	for _, s := range genuine {
		if s.LoginAs != victim.LoginAs || s.User != victim.LoginAs {
			t.Fatalf("session %s is not the victim's own", s.ID)
		}
		n += len(s.Vectors)
	}
	// Retrain once the last impostor vector is stored: every session is
	// over at once, one session may give every row, the regression check
	// is off (what reaches the training set is the subject). So nothing
	// need be held back for that check: with HoldBack 1 the negative pool
	// trains on both sessions of the other user (the pool holds back whole
	// sessions, and at the default share of 1 in 11 both went, and the
	// retraining was skipped for want of negatives, in about 1 run of 120).
	e.cfg.Retrain = live.RetrainPolicy{Every: int64(n + 90), MaxShare: 1, Quiet: -1, Tolerance: 1, HoldBack: 1,
		Train: account.TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": 20}, Seed: 3}}
	e.startService()
	checkHonest(t, e, genuine)
	checkHonest(t, e, ss[2:4]) // another user's sessions: the retraining's negatives
	c := newClient(e)
	vs := impostorVectors(ss, victim.LoginAs, 90)
	accepted := 0
	for k := range 10 {
		accepted += c.attack(victim.LoginAs, victim.Password, fmt.Sprintf("short-%d", k), vs[9*k:9*k+9]).accepted
	}
	st := e.svc.Stats()
	testutil.Eventually(t, 60*time.Second, func() bool { return live.Value(st.Retrains) >= 1 }, "waiting for the retraining")
	var line string
	for _, l := range logs.lines("user=" + victim.LoginAs) {
		if strings.Contains(l, "msg=retrained") || strings.Contains(l, `msg="retrain skipped"`) {
			line = l
		}
	}
	var kept, sessions int
	if i := strings.Index(line, "genuine="); i >= 0 {
		if _, err := fmt.Sscanf(line[i:], "genuine=%d sessions=%d", &kept, &sessions); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
	} else if i := strings.Index(line, " clean vectors in "); i >= 0 {
		if _, err := fmt.Sscanf(line[strings.LastIndex(line[:i], " ")+1:], "%d clean vectors in %d sessions", &kept, &sessions); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
	} else {
		t.Fatalf("no retraining logged with its selection: %q\n%s", line, strings.Join(logs.lines("retrain"), "\n"))
	}
	t.Logf("%d genuine vectors in 2 sessions, then 90 impostor vectors in 10 sessions (%d accepted); the retraining kept %d vectors of %d sessions: %s",
		n, accepted, kept, sessions, line)
	if sessions > len(genuine) || kept > n {
		t.Errorf("the retraining kept %d vectors of %d sessions; the victim sent %d in %d sessions", kept, sessions, n, len(genuine))
	}
}
