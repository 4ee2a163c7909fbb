package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/store/embedded"
)

// floodPipeline is an embedded pipeline as `live serve` runs it: 8
// partitions per topic.
func floodPipeline(t *testing.T) bench.Pipeline {
	t.Helper()
	ctx := context.Background()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: t.TempDir(), Partitions: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	st, err := embedded.Open(ctx, filepath.Join(cl.Dir, "mouseauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return bench.Pipeline{Brokers: cl.Brokers, Client: cl.ReplayTLS, Scorer: cl.ScorerTLS, ClientSASL: cl.ReplaySASL, ScorerSASL: cl.ScorerSASL, Profiles: st, Credentials: st}
}

// TestFloodFigures prints what a flood of MOUSEAUTH_FLOOD wrong passwords
// (MOUSEAUTH_FLOOD_CLIENTS: one or forged) costs honest users, beside the
// same run without it. It asserts nothing about time:
// scripts/flood-before-after.sh runs it on the tree before login budgets
// and on this one. Skipped unless MOUSEAUTH_FLOOD is set.
func TestFloodFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MOUSEAUTH_FLOOD"))
	if n <= 0 {
		t.Skip("set MOUSEAUTH_FLOOD=2000 to measure a flood (minutes on the tree before login budgets)")
	}
	res, err := bench.RunFlood(context.Background(), floodPipeline(t), bench.FloodOptions{Logins: n, Clients: os.Getenv("MOUSEAUTH_FLOOD_CLIENTS"),
		Seed: 1, Wait: 20 * time.Minute, Notes: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(bench.FloodReport(res))
}
