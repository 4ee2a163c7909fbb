package live_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cqltest"
	"github.com/mouseauth/mouseauth/internal/testpki"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store/cassandra"
)

// TestCassandraProfilesEndToEnd runs the pipeline with profiles (models,
// vectors, decisions, sessions) in Cassandra through the CQL protocol stub
// over mutual TLS, credentials in the embedded store, and restarts the
// "node" mid-replay.
func TestCassandraProfilesEndToEnd(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	stub := cqltest.Start(t, p.Server(t))
	ctx := context.Background()
	cs, err := cassandra.Open(ctx, cassandra.Config{Hosts: []string{stub.Addr}, Keyspace: "mouseauth_e2e", TLS: p.Client(t, "scorer"),
		CreateSchema: true, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	e.st = cs
	e.cfg.Profiles = cs
	us := synthUsers(t, 3, 2, 60)
	ss := plan(t, e, us, 2)
	e.startService()
	wait := e.replayAsync(ss, 4*time.Millisecond)
	e.waitDecided(us, total(ss)/3)
	if err := stub.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Log("restarted the CQL node")
	res := wait()
	t.Logf("sent %d decided %d duplicates %d; store retries %v; impostor alerts %d/%d; latency p50 %.1f ms p99 %.0f ms",
		res.Sent, res.Decided, res.Duplicates, live.Value(e.svc.Stats().StoreRetries), res.ImpostorAlerts, res.ImpostorSessions,
		res.Latency.P50, res.Latency.P99)
	e.checkExactlyOnce(ss, res)
	if res.ImpostorAlerts != res.ImpostorSessions {
		t.Errorf("impostor alerts %d of %d", res.ImpostorAlerts, res.ImpostorSessions)
	}
}
