package live_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/replay"
)

// gated holds the first PutBatch with a vector of user until released, so
// that the user's later vectors pile up in the partition's queue and come
// as one batch; it refuses for good every PutBatch holding the vector
// (session, poison) (as MariaDB refuses a row whose value does not fit its
// column), and records the size of each PutBatch of user.
type gated struct {
	store.Profiles
	user, session string
	poison        int64 // -1: none
	release       chan struct{}
	blocked       atomic.Int64
	refused       atomic.Int64
	mu            sync.Mutex
	sizes         []int // vectors of user per PutBatch, in call order
	refusedSizes  []int // the same, of the refused calls
}

func (g *gated) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	n, poisoned := 0, false
	for _, v := range vs {
		if v.User == g.user {
			n++
			poisoned = poisoned || v.Session == g.session && v.Seq == g.poison
		}
	}
	if n == 0 {
		return g.Profiles.PutBatch(ctx, vs, ds)
	}
	if g.blocked.Add(1) == 1 {
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	g.mu.Lock()
	g.sizes = append(g.sizes, n)
	if poisoned {
		g.refusedSizes = append(g.refusedSizes, n)
	}
	g.mu.Unlock()
	if poisoned {
		g.refused.Add(1)
		return nil, nil, errRowRefused
	}
	return g.Profiles.PutBatch(ctx, vs, ds)
}

// sendHeld logs session in as ss's user, holds the user's first batch
// write, sends n vectors while it is held, releases it and returns the
// session's decisions once want of them (the login's included) arrived.
func sendHeld(t *testing.T, e *env, g *gated, user, password string, values [][]float64, want int) []wire.Decision {
	t.Helper()
	c := newClient(e)
	home := partitionOf(user, attackPartitions)
	c.login(user, g.session, password, home)
	if d := c.loginAnswer(g.session); !d.Accept {
		t.Fatalf("login refused: %+v", d)
	}
	for i, v := range values {
		c.vector(user, g.session, int64(i), v, home)
	}
	testutil.EventuallyProgress(t, 30*time.Second, func() (bool, int64) { n := g.blocked.Load(); return n > 0, n },
		"waiting for the first batch write of the user to be held")
	close(g.release)
	ds := c.decisions(g.session, want, 60*time.Second)
	if len(ds) < want {
		t.Fatalf("%d decisions of session %s, want %d", len(ds), g.session, want)
	}
	return ds
}

// checkVerdicts checks every stored decision of the session against the
// stored decisions and vectors before it: stepping a new decide.Session
// under the user's model's policy through the stored scores, guard flags
// and vectors gives every stored verdict and statistic, so no score that
// was not stored (a dead-lettered vector's) ever entered the session's
// state.
func checkVerdicts(t *testing.T, e *env, user, session string) []store.Decision {
	t.Helper()
	ctx := context.Background()
	ds, err := e.st.RecentDecisions(ctx, user, session, math.MaxInt64, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.st.RecentVectors(ctx, user, session, math.MaxInt64, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(ds) {
		t.Fatalf("%d stored vectors, %d stored decisions", len(vs), len(ds))
	}
	s, err := decide.New(modelPolicy(t, e, user))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		if vs[i].Seq != d.Seq {
			t.Fatalf("stored vector %d is seq %d, its decision's %d", i, vs[i].Seq, d.Seq)
		}
		v := s.Step(decide.Input{Score: d.Score, Flags: decide.Flags(d.Flags) &^ decide.Repeated, Values: vs[i].Values})
		if v.Statistic != d.Statistic || v.Accept != d.Accept || v.Alert != d.Alert || v.Judged != d.Judged || int(v.Flags) != d.Flags {
			t.Errorf("decision %d: stored %+v; the stored decisions before it give %+v", d.Seq, d, v)
		}
	}
	return ds
}

// modelPolicy is the decision policy user's stored model records.
func modelPolicy(t *testing.T, e *env, user string) decide.Policy {
	t.Helper()
	m, err := e.st.LatestModel(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := classify.Load(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	p, err := decide.ParsePolicy(sm.Header.Decision)
	if err != nil {
		t.Fatalf("the model of %s records %q: %v", user, sm.Header.Decision, err)
	}
	return p
}

// TestGroupCommit: vectors that pile up while the store is busy are
// written with one PutBatch, and each is still decided, stored and
// counted exactly once, its decision state advanced in order within the
// batch.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	e, _ := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 2, 60), 0)
	victim := ss[0]
	g := &gated{Profiles: e.st, user: victim.LoginAs, session: "group", poison: -1, release: make(chan struct{})}
	e.cfg.Profiles = g
	e.startService()
	var values [][]float64
	for _, v := range victim.Vectors {
		values = append(values, v.Values)
	}
	ds := sendHeld(t, e, g, victim.LoginAs, victim.Password, values, 1+len(values))
	g.mu.Lock()
	sizes := append([]int(nil), g.sizes...)
	g.mu.Unlock()
	t.Logf("%d vectors written by %d PutBatch calls of %v vectors", len(values), len(sizes), sizes)
	if len(sizes) > len(values)/4 || slicesMax(sizes) < len(values)/2 {
		t.Errorf("%d vectors written by PutBatch calls of %v vectors: the held vectors were not written together", len(values), sizes)
	}
	for _, d := range ds {
		if d.Redelivered {
			t.Errorf("decision %d marked redelivered", d.Seq)
		}
	}
	if nv, nd, err := e.st.Counts(context.Background(), victim.LoginAs); err != nil || nv != int64(len(values)) || nd != int64(len(values)) {
		t.Errorf("stored %d vectors and %d decisions (%v), want %d", nv, nd, err, len(values))
	}
	st := e.svc.Stats()
	if got := live.Value(st.Decisions); int(got) != len(values) {
		t.Errorf("%v decisions counted, want %d", got, len(values))
	}
	checkVerdicts(t, e, victim.LoginAs, "group")
}

func slicesMax(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// TestPoisonInABatchIsSplitOut: a vector the store refuses for good in
// the middle of a batch of many. The batch's write fails, is retried a
// bounded number of times, then its vectors are written one at a time:
// only the poisoned one is dead-lettered, after about MaxAttempts more
// refusals; every other one is decided and stored once, and the decisions
// after it never counted its score.
func TestPoisonInABatchIsSplitOut(t *testing.T) {
	t.Parallel()
	e, _ := startWorkerAttackEnv(t, live.Config{MaxAttempts: 3, HealthInterval: 50 * time.Millisecond})
	ss := plan(t, e, synthUsers(t, 2, 2, 60), 0)
	victim := ss[0]
	const poison = 30
	g := &gated{Profiles: e.st, user: victim.LoginAs, session: "split", poison: poison, release: make(chan struct{})}
	e.cfg.Profiles = g
	e.startService()
	var values [][]float64
	for _, v := range victim.Vectors {
		values = append(values, v.Values)
	}
	ds := sendHeld(t, e, g, victim.LoginAs, victim.Password, values, len(values)) // the login's answer and all but one
	g.mu.Lock()
	sizes, refused := append([]int(nil), g.sizes...), append([]int(nil), g.refusedSizes...)
	g.mu.Unlock()
	t.Logf("PutBatch calls of %v vectors; refused: %v", sizes, refused)
	if len(refused) == 0 || refused[0] < 2 {
		t.Fatalf("the poisoned vector was first refused in a batch of %v vectors: the test did not exercise the split", refused)
	}
	// batchAttempts (2) and one more after the probe for the batch, then
	// MaxAttempts and one more for the vector alone.
	if n := g.refused.Load(); n < 4 || n > 8 {
		t.Errorf("the poisoned vector was refused %d times, want 3 for its batch and 4 alone", n)
	}
	dead := e.readTopic(topics.DeadLetter, 1)
	x, err := wire.ParseDeadLetter(dead[0].Value)
	if err != nil || x.Class != "unprocessable" || !strings.Contains(x.Reason, "Data too long") {
		t.Fatalf("dead letter %+v: %v", x.WithoutValue(), err)
	}
	if sv, err := wire.ParseVector(x.Value); err != nil || sv.Unverified.Session != "split" || sv.Unverified.Seq != poison {
		t.Errorf("the dead letter holds %+v (%v), want seq %d of session split", sv.Unverified, err, poison)
	}
	seen := map[int64]int{}
	for _, d := range ds {
		if d.Seq != wire.LoginSeq {
			seen[d.Seq]++
		}
	}
	if seen[poison] != 0 || len(seen) != len(values)-1 {
		t.Errorf("decided %d distinct seqs (seq %d %d times), want all %d but the poisoned one", len(seen), poison, seen[poison], len(values))
	}
	if nv, nd, err := e.st.Counts(context.Background(), victim.LoginAs); err != nil || nv != int64(len(values)-1) || nd != int64(len(values)-1) {
		t.Errorf("stored %d vectors and %d decisions (%v), want %d", nv, nd, err, len(values)-1)
	}
	if got := live.Value(e.svc.Stats().DeadLetters); got != 1 {
		t.Errorf("%v dead letters, want 1", got)
	}
	stored := checkVerdicts(t, e, victim.LoginAs, "split")
	for _, d := range stored {
		if d.Seq == poison+1 {
			t.Logf("decision %d after the dead-lettered one: statistic %.3f accept %v", d.Seq, d.Statistic, d.Accept)
		}
	}
}

// TestForeignDecisionIsRepublishedAndStateReloaded: decisions of a
// session stored by another instance (the partition's previous owner,
// during a rebalance) while this one holds the session's decision state.
// The batch's write reports them not inserted: the stored ones are
// answered, marked redelivered, nothing of them counted, and the session's
// state is rebuilt from the store, so the next vector is decided on the
// other instance's scores.
func TestForeignDecisionIsRepublishedAndStateReloaded(t *testing.T) {
	t.Parallel()
	e, _ := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 2, 30), 0)
	victim := ss[0]
	user := victim.LoginAs
	e.startService()
	c := newClient(e)
	home := partitionOf(user, attackPartitions)
	c.login(user, "foreign", victim.Password, home)
	if d := c.loginAnswer("foreign"); !d.Accept {
		t.Fatalf("login refused: %+v", d)
	}
	vals := func(i int) []float64 { return victim.Vectors[i%len(victim.Vectors)].Values }
	for i := 0; i < 10; i++ {
		c.vector(user, "foreign", int64(i), vals(i), home)
	}
	c.decisions("foreign", 11, 30*time.Second)
	// Another instance decided seqs 10 to 14 meanwhile, with scores of
	// its own, continuing the session's state from the stored decisions.
	ctx := context.Background()
	prior, err := e.st.RecentDecisions(ctx, user, "foreign", math.MaxInt64, 10)
	if err != nil || len(prior) != 10 {
		t.Fatalf("stored decisions: %d, %v", len(prior), err)
	}
	sess, err := decide.New(modelPolicy(t, e, user))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range prior {
		sess.Step(decide.Input{Score: d.Score, Flags: decide.Flags(d.Flags) &^ decide.Repeated, Values: vals(i)})
	}
	foreign := map[int64]store.Decision{}
	for seq := int64(10); seq < 15; seq++ {
		score := 0.0625 * float64(seq-9)
		v := sess.Step(decide.Input{Score: score, Values: vals(int(seq))})
		d := store.Decision{User: user, Session: "foreign", Seq: seq, Score: score, Statistic: v.Statistic, Threshold: 0.5,
			Accept: v.Accept, Alert: v.Alert, Judged: v.Judged, Flags: int(v.Flags), ModelVersion: 1, At: time.Now()}
		vec := store.Vector{User: user, Session: "foreign", Seq: seq, At: d.At, Values: vals(int(seq))}
		if _, ins, err := e.st.PutBatch(ctx, []store.Vector{vec}, []store.Decision{d}); err != nil || !ins[0] {
			t.Fatalf("storing the other instance's decision %d: %v %v", seq, ins, err)
		}
		foreign[seq] = d
	}
	if foreign[14].Accept {
		t.Fatal("the other instance's decisions accept what this instance would: the test cannot tell them apart")
	}
	st := e.svc.Stats()
	decided0, redelivered0 := live.Value(st.Decisions), live.Value(st.Redelivered)
	for i := 10; i < 15; i++ {
		c.vector(user, "foreign", int64(i), vals(i), home)
	}
	ds := c.decisions("foreign", 16, 30*time.Second)
	for _, d := range ds {
		if f, ok := foreign[d.Seq]; ok && (!d.Redelivered || d.Accept != f.Accept || d.Alert != f.Alert) {
			t.Errorf("decision %d: redelivered %v accept %v alert %v, want the other instance's (accept %v alert %v), marked redelivered",
				d.Seq, d.Redelivered, d.Accept, d.Alert, f.Accept, f.Alert)
		}
	}
	if got := live.Value(st.Redelivered) - redelivered0; got != 5 {
		t.Errorf("%v redelivered, want 5", got)
	}
	if got := live.Value(st.Decisions) - decided0; got != 0 {
		t.Errorf("%v decisions counted for the other instance's", got)
	}
	c.vector(user, "foreign", 15, vals(15), home)
	ds = c.decisions("foreign", 17, 30*time.Second)
	for _, d := range ds {
		if d.Seq == 15 {
			t.Logf("decision 15: accept %v redelivered %v", d.Accept, d.Redelivered)
			if d.Redelivered {
				t.Errorf("decision 15 marked redelivered")
			}
		}
	}
	// Every stored decision, 15's included, is what the stored decisions
	// before it give: 15's follows the other instance's of 10 to 14.
	checkVerdicts(t, e, user, "foreign")
}

// reads counts the reads a session's first vector used to make.
type reads struct {
	store.Profiles
	sessions, recent atomic.Int64
}

func (r *reads) Session(ctx context.Context, user, id string) (store.Session, error) {
	if !strings.Contains(user, "mouseauth-health-probe") { // not health's probe
		r.sessions.Add(1)
	}
	return r.Profiles.Session(ctx, user, id)
}

func (r *reads) RecentDecisions(ctx context.Context, user, session string, before int64, n int) ([]store.Decision, error) {
	r.recent.Add(1)
	return r.Profiles.RecentDecisions(ctx, user, session, before, n)
}

// TestColdStartReadsNothingBack: the first vector of a session this
// instance's login just opened starts from the login's state (its key, an
// empty window) instead of reading back the session and its decisions,
// which at a cold start queued behind every other user's login; each
// user's model is loaded once, prefetched at the login.
func TestColdStartReadsNothingBack(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 4, 2, 30)
	ss := plan(t, e, us, 0)
	r := &reads{Profiles: e.st}
	e.cfg.Profiles = r
	e.startService()
	res := e.replay(ss, replay.Config{})
	e.checkExactlyOnce(ss, res)
	if n, m := r.sessions.Load(), r.recent.Load(); n != 0 || m != 0 {
		t.Errorf("%d session reads and %d reads of recent decisions for %d new sessions, want none", n, m, len(ss))
	}
	if got := live.Value(e.svc.Stats().ModelLoads); int(got) != len(us) {
		t.Errorf("%v model loads for %d users", got, len(us))
	}
}
