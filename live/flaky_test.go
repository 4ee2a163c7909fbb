package live_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/replay"
)

// flaky fails every nth call of every method with a transient error, after
// doing nothing, or, for writes, after doing the write (the answer lost);
// PutBatch fails both ways.
type flaky struct {
	store.Profiles
	n     int64
	calls atomic.Int64
	fails atomic.Int64
	// lostBatches counts the batches written whose answer was lost.
	lostBatches atomic.Int64
}

var errTransient = errors.New("transient: connection reset")

func (f *flaky) fail() bool {
	if f.calls.Add(1)%f.n == 0 {
		f.fails.Add(1)
		return true
	}
	return false
}

// PutBatch fails every n-th call: after writing the batch, with the answer
// lost, and, as often, before writing anything.
func (f *flaky) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	if f.fail() {
		return nil, nil, errTransient // nothing written
	}
	iv, id, err := f.Profiles.PutBatch(ctx, vs, ds)
	if err == nil && f.fail() {
		f.lostBatches.Add(1)
		return nil, nil, errTransient // written, but the caller does not know
	}
	return iv, id, err
}

func (f *flaky) Decision(ctx context.Context, user, session string, seq int64) (store.Decision, error) {
	if f.fail() {
		return store.Decision{}, errTransient
	}
	return f.Profiles.Decision(ctx, user, session, seq)
}

func (f *flaky) RecentDecisions(ctx context.Context, user, session string, before int64, n int) ([]store.Decision, error) {
	if f.fail() {
		return nil, errTransient
	}
	return f.Profiles.RecentDecisions(ctx, user, session, before, n)
}

func (f *flaky) Session(ctx context.Context, user, id string) (store.Session, error) {
	if f.fail() {
		return store.Session{}, errTransient
	}
	return f.Profiles.Session(ctx, user, id)
}

func (f *flaky) CreateSession(ctx context.Context, s store.Session) (bool, store.Session, error) {
	created, stored, err := f.Profiles.CreateSession(ctx, s)
	if err == nil && f.fail() {
		return false, store.Session{}, errTransient
	}
	return created, stored, err
}

func (f *flaky) MarkAlerted(ctx context.Context, user, id string) error {
	err := f.Profiles.MarkAlerted(ctx, user, id)
	if err == nil && f.fail() {
		return errTransient
	}
	return err
}

// flakyCreds fails the credential store's calls as flaky does the profile
// store's, sharing its count.
type flakyCreds struct {
	store.Credentials
	f *flaky
}

func (c *flakyCreds) Credential(ctx context.Context, user string) (store.Credential, error) {
	if c.f.fail() {
		return store.Credential{}, errTransient
	}
	return c.Credentials.Credential(ctx, user)
}

func (c *flakyCreds) ClientFailures(ctx context.Context, user, client string) (store.ClientFailures, error) {
	if c.f.fail() {
		return store.ClientFailures{}, errTransient
	}
	return c.Credentials.ClientFailures(ctx, user, client)
}

func (c *flakyCreds) RecordFailure(ctx context.Context, user, client string, now time.Time) (store.Credential, store.ClientFailures, error) {
	u, p, err := c.Credentials.RecordFailure(ctx, user, client, now)
	if err == nil && c.f.fail() {
		return store.Credential{}, store.ClientFailures{}, errTransient // counted, but the caller does not know
	}
	return u, p, err
}

func (c *flakyCreds) RecordSuccess(ctx context.Context, user, client string, now time.Time) error {
	err := c.Credentials.RecordSuccess(ctx, user, client, now)
	if err == nil && c.f.fail() {
		return errTransient
	}
	return err
}

func (f *flaky) LatestModel(ctx context.Context, user string) (store.Model, error) {
	if f.fail() {
		return store.Model{}, errTransient
	}
	return f.Profiles.LatestModel(ctx, user)
}

// TestFlakyStore fails every 4th store call of both stores, including
// writes that succeed but lose their answer (a batch of vectors and
// decisions stored, a session created, a failure counted, an alert
// flagged), and batches that fail often enough to be split: every vector
// is still stored and decided exactly once, and counted at most once,
// every impostor still raises its alert, wrong passwords
// are counted (a lost answer of RecordFailure may count one twice: on the
// side of locking) and a right one afterwards is accepted and resets them.
func TestFlakyStore(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}, Lockout: live.Lockout{MaxFailures: 5, LockFor: time.Hour}})
	us := synthUsers(t, 3, 2, 60)
	ss := plan(t, e, us, 3)
	f := &flaky{Profiles: e.st, n: 4}
	e.cfg.Profiles, e.cfg.Credentials = f, &flakyCreds{Credentials: e.creds, f: f}
	e.startService()
	c := newClient(e)
	for i := 0; i < 2; i++ {
		id := fmt.Sprintf("wrong-%d", i)
		c.login(ss[0].LoginAs, id, "wrong", byKey)
		if d := c.loginAnswer(id); d.Accept {
			t.Fatalf("wrong password accepted: %+v", d)
		}
	}
	if cred, err := e.creds.Credential(context.Background(), ss[0].LoginAs); err != nil || cred.Failures < 2 || cred.Failures > 4 {
		t.Fatalf("failures after 2 wrong passwords: %d (%v)", cred.Failures, err)
	}
	res := e.replay(ss, replay.Config{})
	t.Logf("sent %d decided %d; %d of %d store calls failed (%d batches written with the answer lost); store retries %v; impostor alerts %d/%d",
		res.Sent, res.Decided, f.fails.Load(), f.calls.Load(), f.lostBatches.Load(), live.Value(e.svc.Stats().StoreRetries), res.ImpostorAlerts, res.ImpostorSessions)
	// Group commit makes few store calls (one write per batch): a fixed
	// floor of failures, beside the lost batch answers checked below.
	if f.fails.Load() < 20 {
		t.Fatalf("only %d store calls failed: the test did not exercise the retries", f.fails.Load())
	}
	e.checkExactlyOnce(ss, res)
	if f.lostBatches.Load() == 0 {
		t.Errorf("no written batch lost its answer: the test did not exercise PutBatch's retries")
	}
	// A batch written whose answer was lost is our own write: its
	// decisions are answered as new and counted, once. Only a batch that
	// also failed batchAttempts times and was split is answered from the
	// store, marked redelivered and not counted again.
	st := e.svc.Stats()
	decided, vectors, redelivered := live.Value(st.Decisions), live.Value(st.Vectors), live.Value(st.Redelivered)
	t.Logf("counted: %v decisions, %v vectors, %v redelivered", decided, vectors, redelivered)
	if int64(decided) > res.Sent || int64(vectors) > res.Sent || int64(decided+redelivered) < res.Sent {
		t.Errorf("%v decisions and %v vectors counted, %v redelivered; want each of the %d vectors counted at most once and answered", decided, vectors, redelivered, res.Sent)
	}
	if res.Refused != 0 || res.Forged != 0 {
		t.Errorf("%d logins refused, %d forged decisions", res.Refused, res.Forged)
	}
	if cred, err := e.creds.Credential(context.Background(), ss[0].LoginAs); err != nil || cred.Failures != 0 {
		t.Errorf("failures after a good login: %d (%v)", cred.Failures, err)
	}
	// A session whose creation lost its answer is still a new login, not a
	// redelivery.
	if got := live.Value(e.svc.Stats().Logins, "result", "accepted"); int(got) != len(ss) {
		t.Errorf("%v logins counted accepted, want %d", got, len(ss))
	}
	if res.ImpostorAlerts != res.ImpostorSessions {
		t.Errorf("impostor alerts %d of %d", res.ImpostorAlerts, res.ImpostorSessions)
	}
	for _, s := range res.Sessions {
		sess, err := e.st.Session(context.Background(), s.LoginAs, s.ID)
		if err != nil || sess.Alerted != (s.FirstAlert > 0) {
			t.Errorf("session %s: stored alerted=%v, replay saw an alert at %d (%v)", s.ID, sess.Alerted, s.FirstAlert, err)
		}
	}
}
