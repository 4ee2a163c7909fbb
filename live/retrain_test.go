package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

func TestShareCap(t *testing.T) {
	t.Parallel()
	rep := func(n, size int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = size
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		sizes  []int
		share  float64
		most   int
		c, sum int
	}{
		{"ten equal sessions", rep(10, 5), 0.1, 1000, 5, 50},
		{"nine sessions are too few for 10%", rep(9, 5), 0.1, 1000, 0, 0},
		{"one long session is cut to 10%", append(rep(9, 10), 1000), 0.1, 1000, 10, 100},
		{"the row bound lowers the cap", rep(20, 100), 0.1, 500, 25, 500},
		{"share 1: one session", []int{7}, 1, 5, 5, 5},
		{"no sessions", nil, 0.1, 100, 0, 0},
		{"a quarter each at most", []int{1, 1, 1, 1, 50}, 0.25, 100, 1, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := shareCap(tc.sizes, tc.share, tc.most)
			if c != tc.c || n != tc.sum {
				t.Fatalf("shareCap(%v, %v, %d) = %d, %d; want %d, %d", tc.sizes, tc.share, tc.most, c, n, tc.c, tc.sum)
			}
			if c > 0 && float64(c) > tc.share*float64(n)+1e-9 {
				t.Fatalf("cap %d is more than %v of %d rows", c, tc.share, n)
			}
		})
	}
}

// labeled builds n rows of one session for cleanRows, decided by a window
// rule of 10 (the first 9 not judged); mod adjusts each.
func labeled(session string, n int, at time.Time, mod func(i int, x *store.LabeledVector)) []store.LabeledVector {
	out := make([]store.LabeledVector, n)
	for i := range out {
		x := store.LabeledVector{Vector: store.Vector{User: "u", Session: session, Seq: int64(i), At: at.Add(time.Duration(i) * time.Second),
			Values: []float64{float64(i), 0}}, Decided: true,
			Decision: store.Decision{Score: 0.9, Statistic: 0.9, Window: min(i+1, 10), Threshold: 0.5, Accept: true, Judged: i >= 9}}
		if mod != nil {
			mod(i, &x)
		}
		out[i] = x
	}
	return out
}

func TestCleanRows(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	old := now.Add(-24 * time.Hour)
	o := cleanOptions{Margin: 0.1, MaxShare: 1, Max: 1000, Now: now, Quiet: 30 * time.Minute}
	for _, tc := range []struct {
		name      string
		rows      []store.LabeledVector
		truncated bool
		o         func(*cleanOptions)
		kept      int
		check     func(selection) bool
	}{
		{"the window rule's warm-up is not judged", labeled("s", 20, old, nil), false, nil, 11,
			func(s selection) bool { return s.Unjudged == 9 }},
		{"the sequential rule judges every action", labeled("s", 20, old, func(i int, x *store.LabeledVector) { x.Decision.Judged, x.Decision.Window = true, 0 }), false, nil, 20,
			func(s selection) bool { return s.Unjudged == 0 }},
		{"decisions stored before they said whether they were judged", labeled("s", 20, old, func(i int, x *store.LabeledVector) { x.Decision.Judged = false }), false, nil, 0,
			func(s selection) bool { return s.Unjudged == 20 }},
		{"flagged decisions", labeled("s", 20, old, func(i int, x *store.LabeledVector) {
			x.Decision.Judged = true
			if i%4 == 0 {
				x.Decision.Flags = 2 // novel, and yet accepted on the trust banked
			}
		}), false, nil, 15, func(s selection) bool { return s.Flagged == 5 }},
		{"refused and alerting decisions", labeled("s", 20, old, func(i int, x *store.LabeledVector) {
			x.Decision.Accept = i%2 == 0
			x.Decision.Alert = i == 18
		}), false, nil, 4, func(s selection) bool { return s.Refused == 7 }},
		{"scores below threshold+margin are unsure", labeled("s", 20, old, func(i int, x *store.LabeledVector) {
			if i >= 15 {
				x.Decision.Score = 0.55
			}
		}), false, nil, 6, func(s selection) bool { return s.Unsure == 5 }},
		{"undecided vectors", labeled("s", 20, old, func(i int, x *store.LabeledVector) { x.Decided = i < 15 }), false, nil, 6,
			func(s selection) bool { return s.Undecided == 5 }},
		{"an open session waits", labeled("s", 20, now.Add(-time.Minute), nil), false, nil, 0,
			func(s selection) bool { return s.Open == 20 }},
		{"quiet 0: over at once", labeled("s", 20, now.Add(-time.Minute), nil), false, func(o *cleanOptions) { o.Quiet = 0 }, 11, nil},
		{"the session cut by the read's limit is left out", append(labeled("a", 20, old.Add(time.Hour), nil), labeled("b", 20, old, nil)...), true, nil, 11,
			func(s selection) bool { return s.Open == 20 && s.Sessions == 1 }},
		{"a NaN score is unsure", labeled("s", 20, old, func(i int, x *store.LabeledVector) {
			if i == 19 {
				x.Decision.Score = nan()
			}
		}), false, nil, 10, func(s selection) bool { return s.Unsure == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := o
			if tc.o != nil {
				tc.o(&o)
			}
			got, sel := cleanRows(tc.rows, tc.truncated, o)
			if len(got) != tc.kept || sel.Kept != tc.kept || (tc.check != nil && !tc.check(sel)) {
				t.Fatalf("kept %d rows (%s), want %d", len(got), sel, tc.kept)
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }

// TestCleanRowsPoisoning plays the poisoning attack against the selection
// of genuine rows: an impostor with the password sends crafted vectors
// that are all accepted. Sessions of 9 actions are never judged by the
// window rule, so none of their ~1 100 vectors is trained on; a rule that
// judges from the first action and is fooled by them still gives one long
// session at most MaxShare of the rows.
func TestCleanRowsPoisoning(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var genuine []store.LabeledVector
	for s := range 12 {
		genuine = append(genuine, labeled(fmt.Sprintf("g%02d", s), 30, now.Add(-time.Duration(48-s)*time.Hour), nil)...)
	}
	crafted := func(x *store.LabeledVector) { x.Values = []float64{1000, 1000}; x.Decision.Score = 0.97 }
	o := cleanOptions{Margin: 0.1, MaxShare: 0.1, Max: 5000, Now: now, Quiet: 30 * time.Minute}
	impostorRows := func(rows [][]float64) int {
		n := 0
		for _, r := range rows {
			if r[0] == 1000 {
				n++
			}
		}
		return n
	}

	// 123 sessions of 9 actions, newest first as the store returns them.
	var short []store.LabeledVector
	for s := range 123 {
		short = append(short, labeled(fmt.Sprintf("i%03d", s), 9, now.Add(-time.Duration(s+1)*time.Hour), func(i int, x *store.LabeledVector) { crafted(x) })...)
	}
	got, sel := cleanRows(append(short, genuine...), false, o)
	if n := impostorRows(got); n != 0 || sel.Unjudged < 1100 {
		t.Fatalf("short sessions: %d of the impostor's 1 107 vectors kept (%s)", n, sel)
	}
	if len(got) != 12*21 {
		t.Fatalf("short sessions: %d genuine rows kept, want the 252 judged ones (%s)", len(got), sel)
	}

	// One session of 1 100 crafted vectors, every one judged and accepted.
	long := labeled("long", 1100, now.Add(-2*time.Hour), func(i int, x *store.LabeledVector) { crafted(x); x.Decision.Judged = true })
	shortSel := sel
	got, sel = cleanRows(append(long, genuine...), false, o)
	if n := impostorRows(got); n == 0 || float64(n) > 0.1*float64(len(got))+1e-9 {
		t.Fatalf("one long session gives %d of %d rows (%s); want at most 10%%", n, len(got), sel)
	}
	t.Logf("short sessions: %s; long session: %s", shortSel, sel)
}

// poisonScene is a store with a victim, other users, the victim's clean
// genuine sessions, an alerted session of the impostor and, optionally,
// the impostor's accepted and judged sessions (a decision rule the crafted
// vectors fooled).
type poisonScene struct {
	p       *countingProfiles
	s       *Service
	victim  string
	logs    *bytes.Buffer
	logMu   *sync.Mutex
	started time.Time
}

func newPoisonScene(t *testing.T, others, poisonSessions int) *poisonScene {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	st := openStore(t)
	p := counting(st)
	day := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	// The victim and the impostor behave as pointing movements can (the
	// scorer's guard flags the Gaussian behaviours' vectors implausible,
	// and the regression check scores as the scorer does); the other users
	// only give negatives. The impostor is another user of the service,
	// with sessions of its own: its vectors are among the enrolment's
	// negatives and in the retraining's pool.
	victim, impostor := plausibleUsers(t)
	own := impostor.draw(r, 60)
	otherRows := own[:30]
	sessions := sessionsOf("impostor", "s", day, own, 30, accepted(0.8, 9))
	for u := range others {
		b := newBehaviour(r)
		rows := b.draw(r, 40)
		otherRows = append(otherRows, rows[:20]...)
		sessions = append(sessions, sessionsOf(fmt.Sprintf("other%03d", u), "s", day, rows, 20, accepted(0.8, 9))...)
	}
	enrol(t, p, "victim", victim.draw(r, 200), otherRows, day)
	sessions = append(sessions, sessionsOf("victim", "g", day.Add(24*time.Hour), victim.draw(r, 12*30), 30, accepted(0.9, 9))...)
	sessions = append(sessions, storedSession{user: "victim", id: "alerted", started: day.Add(36 * time.Hour),
		vectors: impostor.draw(r, 30), decide: func(int) (float64, bool) { return 0.2, true }, alerted: true})
	if poisonSessions > 0 {
		sessions = append(sessions, sessionsOf("victim", "p", day.Add(48*time.Hour), impostor.draw(r, 55*poisonSessions), 55,
			func(int) (float64, bool) { return 0.95, true })...)
	}
	storeSessions(t, p, sessions...)
	sc := &poisonScene{p: p, victim: "victim", logs: &bytes.Buffer{}, logMu: &sync.Mutex{}, started: day}
	sc.s = idleService(t, p, Config{Logger: slog.New(slog.NewTextHandler(lockedWriter{sc.logMu, sc.logs}, nil)),
		Now:     func() time.Time { return day.Add(30 * 24 * time.Hour) },
		Retrain: RetrainPolicy{Train: smallTrain, Pool: 800, HoldBack: 200}})
	return sc
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (sc *poisonScene) log() string {
	sc.logMu.Lock()
	defer sc.logMu.Unlock()
	return sc.logs.String()
}

// TestRetrainRefusesPoisonedModel: a retraining whose genuine rows are
// mostly the impostor's (20 accepted, judged sessions of 55 crafted
// vectors: past the filter and the share bound) accepts the impostor's
// held-back alerted session, which the model in use refuses: the swap is
// refused, logged with the figures and counted, and the model in use
// stays. The same retraining without the impostor's sessions passes and is
// stored.
func TestRetrainRefusesPoisonedModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("poisoned", func(t *testing.T) {
		t.Parallel()
		sc := newPoisonScene(t, 6, 20)
		go sc.s.retrainer.run(t.Context())
		if err := sc.s.retrainer.request("victim", 1); err != nil {
			t.Fatal(err)
		}
		st := sc.s.cfg.Stats
		testutil.Eventually(t, 60*time.Second, func() bool { return Value(st.Retrains) >= 1 }, "waiting for the retraining")
		if Value(st.Retrains, "result", "refused") != 1 {
			t.Fatalf("retrains ok %v, refused %v, skipped %v, error %v; want refused; log:\n%s", Value(st.Retrains, "result", "ok"),
				Value(st.Retrains, "result", "refused"), Value(st.Retrains, "result", "skipped"), Value(st.Retrains, "result", "error"), sc.log())
		}
		if m, err := sc.p.LatestModel(ctx, "victim"); err != nil || m.Version != 1 {
			t.Fatalf("latest model v%d, %v; the refused model must not be stored", m.Version, err)
		}
		if l, err := sc.s.models.get(ctx, "victim"); err != nil || l.version != 1 {
			t.Fatalf("model in use after the refusal: %+v, %v", l, err)
		}
		log := sc.log()
		for _, want := range []string{"retrained model refused", "alerted_vectors=30", "alerted_accepted_old=", "alerted_accepted_new=", "held_back="} {
			if !strings.Contains(log, want) {
				t.Fatalf("the refusal's log lacks %q:\n%s", want, log)
			}
		}
		t.Log(strings.TrimSpace(log))
	})
	t.Run("check off", func(t *testing.T) {
		// Without the check (tolerance 1) the poisoned model is swapped in
		// and accepts the impostor: what the check prevents.
		t.Parallel()
		sc := newPoisonScene(t, 6, 20)
		sc.s.cfg.Retrain.Tolerance = 1
		m, err := sc.s.retrainer.retrain(ctx, "victim", 1)
		if err != nil || m.version != 2 {
			t.Fatalf("retraining with the check off: %v", err)
		}
		if !strings.Contains(sc.log(), "alerted_accepted_new=1 ") {
			t.Fatalf("the poisoned model should accept the impostor's alerted session:\n%s", sc.log())
		}
	})
	t.Run("clean", func(t *testing.T) {
		t.Parallel()
		sc := newPoisonScene(t, 6, 0)
		m, err := sc.s.retrainer.retrain(ctx, "victim", 1)
		if err != nil {
			t.Fatalf("clean retraining: %v\n%s", err, sc.log())
		}
		stored, err := sc.p.LatestModel(ctx, "victim")
		if err != nil || stored.Version != 2 || m.version != 2 {
			t.Fatalf("stored v%d (%v), returned v%d; want v2", stored.Version, err, m.version)
		}
		if !strings.Contains(sc.log(), "genuine=252") {
			t.Fatalf("the retraining should train on the 12 sessions' 252 judged vectors:\n%s", sc.log())
		}
	})
}

// TestCheckRegression: the check passes a model that refuses the held-back
// impostor vectors as the old one does, and refuses one trained on them.
func TestCheckRegression(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	user, impostor := newBehaviour(r), newBehaviour(r)
	var negatives, others [][]float64
	for range 10 {
		b := newBehaviour(r)
		negatives = append(negatives, b.draw(r, 30)...)
		others = append(others, b.draw(r, 20)...)
	}
	train := func(version int, own [][]float64) []byte {
		data, err := account.TrainModel(context.Background(), "u", version, own, negatives, smallTrain, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	load := func(data []byte) *loaded {
		sm, err := account.CheckModel(data)
		if err != nil {
			t.Fatal(err)
		}
		return &loaded{model: sm.Model}
	}
	old := load(train(1, user.draw(r, 300)))
	honest := load(train(2, user.draw(r, 300)))
	poisoned := load(train(2, append(user.draw(r, 100), impostor.draw(r, 300)...)))
	alerted := impostor.draw(r, 50)
	if c := checkRegression(old.model, honest.model, alerted, others, 0.5, 0.05); !c.Pass {
		t.Fatalf("an honest retraining was refused: %s", c)
	}
	c := checkRegression(old.model, poisoned.model, alerted, others, 0.5, 0.05)
	if c.Pass || c.AlertedNew <= c.AlertedOld {
		t.Fatalf("a poisoned retraining passed: %s", c)
	}
	if c := checkRegression(old.model, poisoned.model, alerted, others, 0.5, 1); !c.Pass {
		t.Fatalf("tolerance 1 turns the check off: %s", c)
	}
	if c := checkRegression(old.model, poisoned.model, nil, nil, 0.5, 0); !c.Pass {
		t.Fatalf("no held-back vectors: nothing to refuse on: %s", c)
	}
}

// column is a model whose score is the vector's value at its index: one
// set of vectors can say what an old (column 0) and a new model (column 1)
// accept.
type column int

func (c column) Score(x []float64) float64 { return x[c] }

// accepts returns n vectors of which the old model accepts the first old
// and the new one the first new.
func accepts(n, old, new int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = []float64{0, 0}
		if i < old {
			out[i][0] = 1
		}
		if i < new {
			out[i][1] = 1
		}
	}
	return out
}

// TestCheckRegressionNoise: on a small set a few vectors that flip are
// within the noise allowance; most of the set flipping is not; on a large
// set the tolerance alone remains.
func TestCheckRegressionNoise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		n, old, new int
		pass        bool
	}{
		{"3 of 30 more", 30, 0, 3, true},
		{"6 of 30 more", 30, 0, 6, false},
		{"10 of 30 more", 30, 1, 11, false},
		{"all of 30", 30, 1, 30, false},
		{"equal", 30, 5, 5, true},
		{"fewer", 30, 5, 0, true},
		{"5% more of 10 000", 10_000, 100, 600, true},
		{"8% more of 10 000", 10_000, 100, 900, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := accepts(tc.n, tc.old, tc.new)
			for _, c := range []regressionCheck{
				checkRegression(column(0), column(1), set, nil, 0.5, 0.05),
				checkRegression(column(0), column(1), nil, set, 0.5, 0.05),
			} {
				if c.Pass != tc.pass {
					t.Fatalf("%s: pass %v, want %v", c, c.Pass, tc.pass)
				}
			}
		})
	}
}

// TestRetrainReadsDoNotGrowWithUsers: a retraining reads the same number
// of times from the store with 10 and 100 other users (the old one read
// each user's vectors: 1 + users reads).
func TestRetrainReadsDoNotGrowWithUsers(t *testing.T) {
	t.Parallel()
	reads := map[int]int{}
	for _, others := range []int{10, 100} {
		sc := newPoisonScene(t, others, 0)
		sc.p.reads()
		if _, err := sc.s.retrainer.retrain(context.Background(), "victim", 1); err != nil {
			t.Fatal(err)
		}
		n, by := sc.p.reads()
		reads[others] = n
		t.Logf("%d other users: %d reads %v", others, n, by)
	}
	if reads[10] != reads[100] {
		t.Fatalf("store reads per retraining: %d with 10 users, %d with 100", reads[10], reads[100])
	}
}

func TestRetrainQueue(t *testing.T) {
	t.Parallel()
	s := idleService(t, openStore(t), Config{Retrain: RetrainPolicy{Queue: 2}})
	r := s.retrainer
	for _, u := range []string{"a", "b", "a", "b"} {
		if err := r.request(u, 1); err != nil {
			t.Fatalf("request %s: %v", u, err)
		}
	}
	if err := r.request("c", 1); !errors.Is(err, errQueueFull) {
		t.Fatalf("a third user in a queue of 2: %v, want errQueueFull", err)
	}
	if Value(s.cfg.Stats.RetrainQueue) != 2 {
		t.Fatalf("queue gauge %v, want 2", Value(s.cfg.Stats.RetrainQueue))
	}
	ctx := context.Background()
	j, _ := r.next(ctx)
	if j.user != "a" {
		t.Fatalf("first job %q, want a (FIFO)", j.user)
	}
	if err := r.request("a", 2); err != nil || len(r.queue) != 1 {
		t.Fatalf("a request for a running user is served by the running one: %v, queue %v", err, r.queue)
	}
	r.done("a")
	if err := r.request("a", 2); err != nil || len(r.queue) != 2 {
		t.Fatalf("after it is done, a is queued again: %v, queue %v", err, r.queue)
	}
	cancelled, cancel := context.WithCancel(ctx)
	r.next(ctx)
	r.next(ctx)
	cancel()
	if _, ok := r.next(cancelled); ok {
		t.Fatal("next returned a job from an empty queue")
	}
}

func TestTrainOptionsOneWorker(t *testing.T) {
	t.Parallel()
	o := trainOptions(account.TrainOptions{Classifier: "rf", Params: map[string]any{"trees": 5}})
	if o.Params["workers"] != 1 || o.Params["trees"] != 5 {
		t.Fatalf("rf params %v, want workers 1 and trees 5", o.Params)
	}
	if o := trainOptions(account.TrainOptions{Classifier: "gbdt"}); o.Params["workers"] != nil {
		t.Fatalf("gbdt has no workers parameter: %v", o.Params)
	}
	if o := trainOptions(account.TrainOptions{Classifier: "rf", Params: map[string]any{"workers": 2}}); o.Params["workers"] != 2 {
		t.Fatalf("a named workers parameter is kept: %v", o.Params)
	}
	in := map[string]any{"trees": 3}
	trainOptions(account.TrainOptions{Classifier: "et", Params: in})
	if _, ok := in["workers"]; ok {
		t.Fatal("trainOptions changed the caller's map")
	}
}

func TestRetrainPolicyDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    RetrainPolicy
		want string
	}{
		{RetrainPolicy{MaxShare: 1.5}, "max share"},
		{RetrainPolicy{Tolerance: -0.1}, "tolerance"},
		{RetrainPolicy{Workers: -1}, "workers -1"},
		{RetrainPolicy{HoldBack: -1}, "hold back -1"},
		{RetrainPolicy{PoolAge: -time.Second}, "negative durations"},
	} {
		if err := tc.p.defaults(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %q", tc.p, err, tc.want)
		}
	}
	var p RetrainPolicy
	if err := p.defaults(); err != nil || p.Workers != 1 || p.MaxShare != 0.1 || p.Pool != 20_000 || p.Quiet != sessionIdle {
		t.Fatalf("defaults: %+v, %v", p, err)
	}
}

// TestRetrainYieldsToBacklog: a retraining waits while a partition fetched
// a full batch in the last second, for at most MaxDefer, and does not wait
// without one.
func TestRetrainYieldsToBacklog(t *testing.T) {
	t.Parallel()
	s := idleService(t, openStore(t), Config{Retrain: RetrainPolicy{MaxDefer: 300 * time.Millisecond}})
	r := s.retrainer
	start := time.Now()
	r.yield(context.Background())
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("without a backlog the retraining waited %v", d)
	}
	r.noteBacklog()
	start = time.Now()
	r.yield(context.Background())
	if d := time.Since(start); d < 250*time.Millisecond || d > 5*time.Second {
		t.Fatalf("with a backlog the retraining waited %v, want about MaxDefer (300 ms)", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.noteBacklog()
	start = time.Now()
	r.yield(ctx)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("a cancelled context still waited %v", d)
	}
}
