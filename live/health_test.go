package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/replay"
)

// outage switches a store off (every call fails as a refused connection
// would) or fills its disk (vector writes fail with ENOSPC).
type outage struct {
	down, full atomic.Bool
}

var errRefused = errors.New("dial tcp 127.0.0.1:3306: connect: connection refused")

func (o *outage) err() error {
	if o.down.Load() {
		return errRefused
	}
	return nil
}

func (o *outage) writeErr() error {
	if err := o.err(); err != nil {
		return err
	}
	if o.full.Load() {
		return fmt.Errorf("sqlite: write: %w", syscall.ENOSPC)
	}
	return nil
}

type outageProfiles struct {
	store.Profiles
	o *outage
}

func (p outageProfiles) Session(ctx context.Context, user, id string) (store.Session, error) {
	if err := p.o.err(); err != nil {
		return store.Session{}, err
	}
	return p.Profiles.Session(ctx, user, id)
}

func (p outageProfiles) CreateSession(ctx context.Context, s store.Session) (bool, store.Session, error) {
	if err := p.o.err(); err != nil {
		return false, store.Session{}, err
	}
	return p.Profiles.CreateSession(ctx, s)
}

func (p outageProfiles) MarkAlerted(ctx context.Context, user, id string) error {
	if err := p.o.err(); err != nil {
		return err
	}
	return p.Profiles.MarkAlerted(ctx, user, id)
}

func (p outageProfiles) LatestModel(ctx context.Context, user string) (store.Model, error) {
	if err := p.o.err(); err != nil {
		return store.Model{}, err
	}
	return p.Profiles.LatestModel(ctx, user)
}

func (p outageProfiles) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	if err := p.o.writeErr(); err != nil {
		return nil, nil, err
	}
	return p.Profiles.PutBatch(ctx, vs, ds)
}

func (p outageProfiles) Decision(ctx context.Context, user, session string, seq int64) (store.Decision, error) {
	if err := p.o.err(); err != nil {
		return store.Decision{}, err
	}
	return p.Profiles.Decision(ctx, user, session, seq)
}

func (p outageProfiles) RecentDecisions(ctx context.Context, user, session string, before int64, n int) ([]store.Decision, error) {
	if err := p.o.err(); err != nil {
		return nil, err
	}
	return p.Profiles.RecentDecisions(ctx, user, session, before, n)
}

type outageCredentials struct {
	store.Credentials
	o *outage
}

func (c outageCredentials) Credential(ctx context.Context, user string) (store.Credential, error) {
	if err := c.o.err(); err != nil {
		return store.Credential{}, err
	}
	return c.Credentials.Credential(ctx, user)
}

func (c outageCredentials) ClientFailures(ctx context.Context, user, client string) (store.ClientFailures, error) {
	if err := c.o.err(); err != nil {
		return store.ClientFailures{}, err
	}
	return c.Credentials.ClientFailures(ctx, user, client)
}

func (c outageCredentials) RecordFailure(ctx context.Context, user, client string, now time.Time) (store.Credential, store.ClientFailures, error) {
	if err := c.o.err(); err != nil {
		return store.Credential{}, store.ClientFailures{}, err
	}
	return c.Credentials.RecordFailure(ctx, user, client, now)
}

func (c outageCredentials) RecordSuccess(ctx context.Context, user, client string, now time.Time) error {
	if err := c.o.err(); err != nil {
		return err
	}
	return c.Credentials.RecordSuccess(ctx, user, client, now)
}

// serveHealthz answers one /healthz request from the service's handler.
func serveHealthz(t *testing.T, svc *live.Service) (int, live.HealthReport, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	live.Handler(svc).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	var r live.HealthReport
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("/healthz body %q: %v", rec.Body, err)
	}
	if (rec.Code == http.StatusOK) != (r.Status == "ok") {
		t.Fatalf("/healthz: status %d with %s", rec.Code, rec.Body)
	}
	return rec.Code, r, rec.Body.String()
}

// waitHealth waits until /healthz answers 503 naming check (or, with
// check "", 200), and returns the body.
func waitHealth(t *testing.T, svc *live.Service, check string) (live.HealthReport, string) {
	t.Helper()
	var rep live.HealthReport
	var body string
	what := "waiting for /healthz to say ok"
	if check != "" {
		what = "waiting for /healthz to report " + check
	}
	testutil.Eventually(t, time.Minute, func() bool {
		var code int
		code, rep, body = serveHealthz(t, svc)
		if check == "" {
			return code == http.StatusOK
		}
		return code == http.StatusServiceUnavailable && hasReason(rep, check)
	}, what)
	return rep, body
}

// replayInBackground replays ss and returns a function that waits for the
// result (a replay's error fails the test there).
func (e *env) replayInBackground(ss []replay.Session) func() replay.Result {
	done := make(chan replay.Result, 1)
	var rerr error
	go func() {
		res, err := replay.Run(context.Background(), replay.Config{Brokers: e.cl.Brokers, TLS: e.cl.ReplayTLS, SASL: e.cl.ReplaySASL, ScorerKey: e.cfg.Keys.Public(), Interval: 2 * time.Millisecond,
			Wait: 2 * time.Minute}, ss)
		rerr = err
		done <- res
	}()
	return func() replay.Result {
		res := <-done
		if rerr != nil {
			e.t.Fatalf("replay: %v", rerr)
		}
		return res
	}
}

// waitRetries waits until the store retries grew by n: the outage is felt.
func (e *env) waitRetries(n float64) {
	e.t.Helper()
	from := live.Value(e.svc.Stats().StoreRetries)
	testutil.Eventually(e.t, time.Minute, func() bool { return live.Value(e.svc.Stats().StoreRetries) >= from+n },
		fmt.Sprintf("waiting for %v store retries", n))
}

// TestHealthzStoreDownAndDiskFull: while the store refuses connections,
// /healthz says "store" (and names the partitions it stalls); while vector
// writes fail with ENOSPC it says "disk". Neither outage is the messages'
// fault: with MaxAttempts 2 nothing is dead-lettered, and once the store
// is back every vector is decided exactly once.
func TestHealthzStoreDownAndDiskFull(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}, MaxAttempts: 2, StallAfter: 200 * time.Millisecond,
		HealthInterval: 25 * time.Millisecond})
	us := synthUsers(t, 4, 3, 30)
	ss := plan(t, e, us, 0)
	var first, second []replay.Session
	for i, s := range ss {
		if i%2 == 0 {
			first = append(first, s)
		} else {
			second = append(second, s)
		}
	}
	o := &outage{}
	e.cfg.Profiles, e.cfg.Credentials = outageProfiles{e.st, o}, outageCredentials{e.creds, o}
	e.startService()
	waitHealth(t, e.svc, "")

	o.down.Store(true)
	waitHealth(t, e.svc, live.CheckStore)
	wait := e.replayInBackground(first)
	rep, body := waitHealth(t, e.svc, live.CheckPartition)
	t.Logf("/healthz with the store down and messages waiting:\n%s", body)
	e.waitRetries(10) // well past MaxAttempts
	o.down.Store(false)
	res := wait()
	e.checkExactlyOnce(first, res)
	if n := live.Value(e.svc.Stats().DeadLetters); n != 0 {
		t.Errorf("%v dead letters after a store outage", n)
	}
	waitHealth(t, e.svc, "")
	if !hasReason(rep, live.CheckStore) {
		t.Errorf("the store is not named while it is down: %+v", rep)
	}

	o.full.Store(true)
	wait = e.replayInBackground(second)
	_, body = waitHealth(t, e.svc, live.CheckDisk)
	t.Logf("/healthz while vector writes fail with ENOSPC:\n%s", body)
	e.waitRetries(10)
	o.full.Store(false)
	res2 := wait()
	res.Sent, res.Decided, res.Sessions = res.Sent+res2.Sent, res.Decided+res2.Decided, append(res.Sessions, res2.Sessions...)
	e.checkExactlyOnce(ss, res)
	if n := live.Value(e.svc.Stats().DeadLetters); n != 0 {
		t.Errorf("%v dead letters after a full disk", n)
	}
	waitHealth(t, e.svc, "")
}

// TestHealthzFreeSpace: the state folder's free space below MinFreeBytes
// makes /healthz report "disk" with the figures, and healthy again once
// space is freed.
func TestHealthzFreeSpace(t *testing.T) {
	t.Parallel()
	var free atomic.Uint64
	free.Store(10 << 30)
	dir := t.TempDir()
	e := startEnv(t, live.Config{HealthInterval: 25 * time.Millisecond, StateDir: dir, MinFreeBytes: 64 << 20,
		FreeSpace: func(d string) (uint64, error) {
			if d != dir {
				return 0, fmt.Errorf("asked for %s, not the state folder %s", d, dir)
			}
			return free.Load(), nil
		}})
	e.startService()
	waitHealth(t, e.svc, "")
	free.Store(3 << 20)
	rep, body := waitHealth(t, e.svc, live.CheckDisk)
	t.Logf("/healthz with 3 MiB free:\n%s", body)
	if len(rep.Reasons) != 1 || rep.Reasons[0].Error != dir+" has 3.0 MiB free, below the 64.0 MiB the service needs" {
		t.Errorf("reasons %+v", rep.Reasons)
	}
	free.Store(1 << 30)
	waitHealth(t, e.svc, "")
}

// TestHealthzBrokerDown: with the broker stopped /healthz says "broker";
// after it restarts the service is healthy again and decides everything.
func TestHealthzBrokerDown(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}, HealthInterval: 25 * time.Millisecond, StallAfter: 500 * time.Millisecond})
	us := synthUsers(t, 3, 2, 30)
	ss := plan(t, e, us, 0)
	e.startService()
	waitHealth(t, e.svc, "")
	e.cl.Close()
	_, body := waitHealth(t, e.svc, live.CheckBroker)
	t.Logf("/healthz with the broker stopped:\n%s", body)
	if err := e.cl.Restart(); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, e.svc, "")
	res := e.replay(ss, replay.Config{})
	e.checkExactlyOnce(ss, res)
}
