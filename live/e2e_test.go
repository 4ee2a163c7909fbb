package live_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/replay"
)

// env is an embedded pipeline: broker, store, and a running service.
type env struct {
	t     *testing.T
	cl    *cluster.Cluster
	st    store.Profiles
	creds store.Credentials
	svc   *live.Service
	stop  func() error // drains the service and returns Run's error
	cfg   live.Config
	// partitions of each topic; decided reads the decision topic (attack
	// tests).
	partitions int
	decided    *watcher
}

func startEnv(t *testing.T, cfg live.Config) *env {
	t.Helper()
	return startEnvPartitions(t, cfg, 4)
}

func startEnvPartitions(t *testing.T, cfg live.Config, partitions int) *env {
	t.Helper()
	ctx := context.Background()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: t.TempDir(), Partitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	st, err := embedded.Open(ctx, filepath.Join(cl.Dir, "mouseauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The keys as `live serve` keeps them in its state folder: the child
	// service of the kill test loads the same files.
	keys, err := deploy.LoadKeys(cl.Dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, cl: cl, st: st, creds: st, partitions: partitions}
	cfg.Brokers, cfg.TLS, cfg.SASL, cfg.Profiles, cfg.Credentials, cfg.Keys = cl.Brokers, cl.ScorerTLS, cl.ScorerSASL, st, st, keys
	if cfg.SessionTimeout == 0 {
		cfg.SessionTimeout = 2 * time.Second
	}
	e.cfg = cfg
	return e
}

func (e *env) startService() {
	e.t.Helper()
	svc, err := live.New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	stop, err := svc.Start(context.Background(), nil)
	if err != nil {
		e.t.Fatalf("service did not start: %v", err)
	}
	e.svc, e.stop = svc, stop
	e.t.Cleanup(e.stopService)
}

func (e *env) stopService() {
	if e.stop == nil {
		return
	}
	if err := e.stop(); err != nil {
		e.t.Errorf("service Run: %v", err)
	}
	e.stop = nil
}

func synthUsers(t *testing.T, users, sessions, actions int) []replay.UserSessions {
	t.Helper()
	us, err := replay.Synthetic(context.Background(), users, sessions, actions, 7)
	if err != nil {
		t.Fatal(err)
	}
	return us
}

// cheapArgon2 hashes the passwords of tests whose subject is not the first
// factor: a login costs microseconds instead of tens of milliseconds (and
// a second under -race on a busy machine), which keeps the tests' waits
// about the second factor.
var cheapArgon2 = account.Argon2Params{Memory: 64, Time: 1, Threads: 1}

func plan(t *testing.T, e *env, us []replay.UserSessions, impostors int) []replay.Session {
	t.Helper()
	return planWith(t, e, us, impostors, &cheapArgon2)
}

// planWith enrols with the given argon2 parameters (nil: the defaults, for
// tests of the first factor): models of a 50-tree forest, which decide by
// decide.DefaultPolicy.
func planWith(t *testing.T, e *env, us []replay.UserSessions, impostors int, argon2 *account.Argon2Params) []replay.Session {
	t.Helper()
	return planTrained(t, e, us, impostors, argon2, account.TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": 50}, Seed: 1})
}

// planPolicy is plan with models that record policy p.
func planPolicy(t *testing.T, e *env, us []replay.UserSessions, impostors int, p decide.Policy) []replay.Session {
	t.Helper()
	return planTrained(t, e, us, impostors, &cheapArgon2,
		account.TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": 50}, Seed: 1, Decision: p.String()})
}

// legacyWindow is the published protocol's rule as the old live scorer
// applied it (a window of 10 scores by their mean, against 0.5), as the
// decision engine applies it: actions before the window is full are not
// judged, and so refused.
func legacyWindow() decide.Policy { return decide.WindowPolicy(10, decide.AggMean, 0.5) }

func planTrained(t *testing.T, e *env, us []replay.UserSessions, impostors int, argon2 *account.Argon2Params, o account.TrainOptions) []replay.Session {
	t.Helper()
	ss, err := replay.Plan(context.Background(), e.creds, e.st, us, replay.PlanOptions{Impostors: impostors, Train: o, Now: time.Now(), Argon2: argon2})
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func (e *env) replay(ss []replay.Session, cfg replay.Config) replay.Result {
	e.t.Helper()
	cfg.Brokers, cfg.TLS, cfg.SASL, cfg.ScorerKey = e.cl.Brokers, e.cl.ReplayTLS, e.cl.ReplaySASL, e.cfg.Keys.Public()
	if cfg.Interval == 0 {
		cfg.Interval = -1
	}
	if cfg.Wait == 0 {
		cfg.Wait = 60 * time.Second
	}
	res, err := replay.Run(context.Background(), cfg, ss)
	if err != nil {
		// Say where the shortfall is before failing.
		for _, s := range res.Sessions {
			if s.Decided < s.Sent {
				e.t.Logf("session %s: sent %d, decided %d", s.ID, s.Sent, s.Decided)
			}
		}
		if e.svc != nil {
			st := e.svc.Stats()
			e.t.Logf("service: vectors %v decisions %v dead letters %v redelivered %v store retries %v",
				live.Value(st.Vectors), live.Value(st.Decisions), live.Value(st.DeadLetters), live.Value(st.Redelivered), live.Value(st.StoreRetries))
		}
		e.t.Fatalf("replay: %v", err)
	}
	return res
}

// checkExactlyOnce compares the store with what was sent.
func (e *env) checkExactlyOnce(ss []replay.Session, res replay.Result) {
	e.t.Helper()
	var sent int64
	for _, s := range res.Sessions {
		sent += int64(s.Sent)
	}
	if sent != res.Sent || res.Decided != res.Sent {
		e.t.Fatalf("sent %d (sessions say %d), decided %d", res.Sent, sent, res.Decided)
	}
	perUser := map[string]int64{}
	for _, s := range res.Sessions {
		perUser[s.LoginAs] += int64(s.Sent)
	}
	for u, n := range perUser {
		nv, nd, err := e.st.Counts(context.Background(), u)
		if err != nil {
			e.t.Fatal(err)
		}
		if nv != n || nd != n {
			e.t.Errorf("user %s: sent %d, stored %d vectors and %d decisions", u, n, nv, nd)
		}
	}
}

func TestEndToEndEmbedded(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 4, 3, 80)
	ss := plan(t, e, us, 4)
	e.startService()
	// LoginsFirst (as bench pipeline replays): every session logs in
	// before the first vector goes.
	res := e.replay(ss, replay.Config{LoginsFirst: true})
	t.Logf("sent %d decided %d dup %d; genuine alerts %d/%d, impostor alerts %d/%d; latency %+v",
		res.Sent, res.Decided, res.Duplicates, res.GenuineAlerts, res.GenuineSessions, res.ImpostorAlerts, res.ImpostorSessions, res.Latency)
	e.checkExactlyOnce(ss, res)
	if res.LoginLatency.N != len(ss) || res.FirstSent.Before(res.LastLoginAnswer) {
		t.Errorf("logins first: %d of %d logins answered, the last at %v, the first vector sent at %v",
			res.LoginLatency.N, len(ss), res.LastLoginAnswer, res.FirstSent)
	}
	if res.Refused != 0 {
		t.Errorf("%d logins refused with the right password", res.Refused)
	}
	if res.ImpostorAlerts != res.ImpostorSessions {
		t.Errorf("impostor sessions alerted: %d of %d", res.ImpostorAlerts, res.ImpostorSessions)
	}
	for _, s := range res.Sessions {
		if s.Impostor && s.FirstAlert > 40 {
			t.Errorf("impostor session %s alerted only after %d actions (window 10)", s.ID, s.FirstAlert)
		}
	}
	if res.GenuineAlerts > res.GenuineSessions/2 {
		t.Errorf("genuine sessions alerted: %d of %d", res.GenuineAlerts, res.GenuineSessions)
	}
	if got := live.Value(e.svc.Stats().Alerts); int(got) != res.GenuineAlerts+res.ImpostorAlerts {
		t.Errorf("service counted %v alerts, replay saw %d", got, res.GenuineAlerts+res.ImpostorAlerts)
	}
}
