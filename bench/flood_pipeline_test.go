package bench_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/store/embedded"
)

// floodPipeline is an embedded pipeline as `live serve` runs it (8
// partitions per topic) whose honest users log in from workstations of
// their own.
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
	keys, err := deploy.LoadKeys(cl.Dir) // published for the workstations' bundles
	if err != nil {
		t.Fatal(err)
	}
	bundles := t.TempDir()
	return bench.Pipeline{Brokers: cl.Brokers, Client: cl.ReplayTLS, Scorer: cl.ScorerTLS, ClientSASL: cl.ReplaySASL, ScorerSASL: cl.ScorerSASL, Profiles: st, Credentials: st,
		Keys: keys,
		Workstation: func(ctx context.Context, name string, users []string) (bench.Workstation, error) {
			b, err := deploy.Workstation(ctx, cl.Dir, name, users, filepath.Join(bundles, name))
			if err != nil {
				return bench.Workstation{}, fmt.Errorf("workstation %s: %w", name, err)
			}
			return bench.Workstation{TLS: b.TLS, SASL: b.SASL, Identity: b.Identity, Decisions: b.Config.Topics.Decisions}, nil
		}}
}
