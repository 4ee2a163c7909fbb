package live_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/replay"
)

// flaky fails every nth call of every method with a transient error, after
// doing nothing, or, for writes, after doing the write (the answer lost).
type flaky struct {
	store.Profiles
	n     int64
	calls atomic.Int64
	fails atomic.Int64
}

var errTransient = errors.New("transient: connection reset")

func (f *flaky) fail() bool {
	if f.calls.Add(1)%f.n == 0 {
		f.fails.Add(1)
		return true
	}
	return false
}

func (f *flaky) PutVector(ctx context.Context, v store.Vector) (bool, error) {
	ins, err := f.Profiles.PutVector(ctx, v)
	if err == nil && f.fail() {
		return false, errTransient // written, but the caller does not know
	}
	return ins, err
}

func (f *flaky) PutDecision(ctx context.Context, d store.Decision) (bool, error) {
	ins, err := f.Profiles.PutDecision(ctx, d)
	if err == nil && f.fail() {
		return false, errTransient
	}
	return ins, err
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

func (f *flaky) PutSession(ctx context.Context, s store.Session) error {
	if f.fail() {
		return errTransient
	}
	return f.Profiles.PutSession(ctx, s)
}

func (f *flaky) LatestModel(ctx context.Context, user string) (store.Model, error) {
	if f.fail() {
		return store.Model{}, errTransient
	}
	return f.Profiles.LatestModel(ctx, user)
}

// TestFlakyStore fails every 7th store call, including writes that succeed
// but lose their answer: every vector is still stored and decided exactly
// once, and every impostor still raises its alert.
func TestFlakyStore(t *testing.T) {
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 3, 2, 60)
	ss := plan(t, e, us, 3)
	f := &flaky{Profiles: e.st, n: 7}
	e.cfg.Profiles = f
	e.startService()
	res := e.replay(ss, replay.Config{})
	t.Logf("sent %d decided %d; %d of %d store calls failed; store retries %v; impostor alerts %d/%d",
		res.Sent, res.Decided, f.fails.Load(), f.calls.Load(), live.Value(e.svc.Stats().StoreRetries), res.ImpostorAlerts, res.ImpostorSessions)
	if f.fails.Load() < 50 {
		t.Fatalf("only %d store calls failed: the test did not exercise the retries", f.fails.Load())
	}
	e.checkExactlyOnce(ss, res)
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
