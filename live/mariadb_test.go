package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testpki"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store/mysql"
)

// TestMariaDBEndToEndAndRestart runs the pipeline with every table in a real
// MariaDB (TLS, certificate-bound account) and restarts mariadbd mid-replay.
func TestMariaDBEndToEndAndRestart(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	db := p.MariaDB(t)
	ctx := context.Background()
	st, err := mysql.Open(ctx, mysql.Config{DSN: fmt.Sprintf("scorer@tcp(%s)/mouseauth", db.Addr), TLS: p.Client(t, "scorer"), CreateSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}})
	e.st, e.creds = st, st
	e.cfg.Profiles, e.cfg.Credentials = st, st
	us := synthUsers(t, 3, 2, 80)
	ss := plan(t, e, us, 2)
	e.startService()
	wait := e.replayAsync(ss, 4*time.Millisecond)
	e.waitDecided(us, total(ss)/3)
	db.Restart(t, 500*time.Millisecond)
	t.Log("restarted mariadbd")
	res := wait()
	t.Logf("sent %d decided %d duplicates %d; store retries %v; impostor alerts %d/%d, genuine alerts %d/%d; latency p50 %.1f ms p99 %.0f ms",
		res.Sent, res.Decided, res.Duplicates, live.Value(e.svc.Stats().StoreRetries), res.ImpostorAlerts, res.ImpostorSessions,
		res.GenuineAlerts, res.GenuineSessions, res.Latency.P50, res.Latency.P99)
	e.checkExactlyOnce(ss, res)
	if live.Value(e.svc.Stats().StoreRetries) == 0 {
		t.Error("no store operation was retried: the restart did not happen while the service was writing")
	}
	if res.ImpostorAlerts != res.ImpostorSessions {
		t.Errorf("impostor alerts %d of %d", res.ImpostorAlerts, res.ImpostorSessions)
	}
}
