package live_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/replay"
)

// The attacks of issue 19 on the first factor: a holder of the shared
// client credentials floods the scorer with wrong passwords, or locks a
// user out by failing on their behalf.

// manualClock is a clock that moves only when the test says: budgets do
// not refill and backoffs do not expire behind the test's back.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func newManualClock() *manualClock { return &manualClock{t: time.Now()} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// loginAs logs s in from the workstation w (its identity signs the login,
// its decision topic answers) and reports whether it was accepted.
func loginAs(t *testing.T, e *env, w workstation, s replay.Session) bool {
	t.Helper()
	s.ID = replay.NewSessionID()
	s.Vectors = s.Vectors[:1]
	res, err := replay.Run(context.Background(), replay.Config{Brokers: e.cl.Brokers, TLS: w.tls, SASL: w.sasl, ScorerKey: e.cfg.Keys.Public(),
		Interval: -1, Wait: 60 * time.Second}, []replay.Session{s})
	if err != nil {
		t.Fatalf("replay as %s: %v", w.name, err)
	}
	return res.Sessions[0].LoginAccepted
}

// TestAttackThirdPartyLockout: five wrong passwords for a user, sent by
// anyone holding the client credentials (client A: the shared client
// identity, which may act for every user), locked the user for 15 minutes
// everywhere: the right password from the user's own workstation (client
// B) was refused. Failures now count per (user, client): A backs off, B
// logs in. Twenty more guesses from A change nothing for B; A itself gets
// in once its backoff has passed.
func TestAttackThirdPartyLockout(t *testing.T) {
	t.Parallel()
	clock := newManualClock()
	e, logs := startWorkerAttackEnv(t, live.Config{Now: clock.Now})
	ss := planWith(t, e, synthUsers(t, 2, 2, 20), 0, nil) // the real argon2 parameters: the first factor is under test
	e.startService()
	victim := ss[0]
	b := register(t, e, "ws-b", victim.LoginAs)
	c := newClient(e) // client A
	for i := range 5 {
		c.login(victim.LoginAs, fmt.Sprintf("a-%d", i), "wrong", byKey)
		if d := c.loginAnswer(fmt.Sprintf("a-%d", i)); d.Accept || d.Reason != live.RefusedReason {
			t.Fatalf("wrong password %d from A: %+v", i, d)
		}
	}
	ok := loginAs(t, e, b, victim)
	t.Logf("after 5 failures from A, the right password from B: accepted %v", ok)
	if !ok {
		t.Fatal("five failures from client A locked the user out on client B")
	}
	for i := range 20 {
		c.login(victim.LoginAs, fmt.Sprintf("a2-%d", i), "wrong", byKey)
	}
	c.loginAnswer("a2-19")
	if !loginAs(t, e, b, victim) {
		t.Fatal("25 failures from client A locked the user out on client B")
	}
	// A backs off: its right password is refused without a check until
	// the backoff has passed, then accepted.
	c.login(victim.LoginAs, "a-right", victim.Password, byKey)
	if d := c.loginAnswer("a-right"); d.Accept || d.Reason != live.RefusedReason {
		t.Fatalf("client A's right password during its backoff: %+v", d)
	}
	clock.Advance(time.Hour)
	c.login(victim.LoginAs, "a-right-later", victim.Password, byKey)
	if d := c.loginAnswer("a-right-later"); !d.Accept {
		t.Fatalf("client A's right password after its backoff: %+v", d)
	}
	st := e.svc.Stats()
	checked := live.Value(st.Logins, "result", live.LoginWrongPassword)
	t.Logf("wrong passwords checked: %v of 25; logged: %q", checked, logs.lines("backing off"))
	if checked > 8 {
		t.Errorf("%v of client A's 25 wrong passwords were checked; its backoff should have refused all but the first few", checked)
	}
	checkHonest(t, e, ss[1:2])
}

// TestAttackLoginFlood: a flood of wrong passwords sent with the shared
// client identity, all of them checked with argon2id in the partition's
// order: an honest login behind them was answered only after every one (1
// min 50 s for 2,000). Budgets per client, per user and overall now refuse
// the flood before the expensive check: with the clock stopped (no
// refill) at most the overall burst is checked, every other flood login is
// refused cheaply, and the honest user, who logged in before from their
// workstation, gets in.
func TestAttackLoginFlood(t *testing.T) {
	t.Parallel()
	clock := newManualClock()
	e, logs := startWorkerAttackEnv(t, live.Config{Now: clock.Now})
	ss := planWith(t, e, synthUsers(t, 2, 3, 20), 0, nil)
	e.startService()
	victim := ss[0]
	ws := register(t, e, "ws-victim", victim.LoginAs)
	if !loginAs(t, e, ws, victim) { // the victim's workstation has logged in before
		t.Fatal("the victim's first login")
	}
	c := newClient(e)
	const flood = 200
	w := c.writer(byKey)
	var msgs []kafka.Message
	for i := range flood {
		user := victim.LoginAs
		switch i % 3 {
		case 1:
			user = fmt.Sprintf("nobody-%d", i) // unknown users cost a check too
		case 2:
			user = ss[1].LoginAs
		}
		msgs = append(msgs, kafka.Message{Topic: topics.Logins, Key: []byte(user), Value: c.seal(user, fmt.Sprintf("flood-%d", i), "wrong")})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	ok := loginAs(t, e, ws, victim)
	st := e.svc.Stats()
	testutil.Eventually(t, 60*time.Second, func() bool { return live.Value(st.Logins) >= flood+2 }, "waiting for every flood login to be answered")
	// Every login not refused over budget or backing off costs one
	// argon2id check (an unknown user's and a locked one's included).
	over, backoff := live.Value(st.Logins, "result", "over budget"), live.Value(st.Logins, "result", "backing off")
	checked := live.Value(st.Logins) - over - backoff - 2 // the honest two
	t.Logf("flood of %d: %v passwords checked with argon2id, %v refused over budget, %v backing off; the honest login: accepted %v",
		flood, checked, over, backoff, ok)
	if !ok {
		t.Error("the honest login behind the flood was refused")
	}
	if checked > 12 {
		t.Errorf("%v of the flood's %d wrong passwords were checked with argon2id; the budgets allow about 10", checked, flood)
	}
	if over < flood/2 {
		t.Errorf("%v flood logins refused over budget, want most of %d", over, flood)
	}
	if l := logs.lines("over budget"); len(l) > 6 {
		t.Errorf("%d log lines about logins over budget; want one per burst and scope, got %q", len(l), l[:6])
	}
	if l := logs.lines("msg=login", "session=flood-"); len(l) > 20 {
		t.Errorf("%d per-login log lines for the flood; refusals over budget are counted, not logged one by one", len(l))
	}
}
