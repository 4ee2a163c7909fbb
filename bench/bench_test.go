package bench_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/store/file"
)

// meter counts what a bench reports as done.
type meter struct{ added, done *atomic.Int64 }

func (m meter) Add(n int) { m.added.Add(int64(n)) }
func (m meter) Done()     { m.done.Add(1) }

func TestModelLoad(t *testing.T) {
	t.Parallel()
	var added, done atomic.Int64
	stores := []bench.ModelStore{
		{Kind: "file", Open: func(_ context.Context, dir string) (store.Models, string, error) {
			s, err := file.Open(dir)
			return s, "", err
		}},
		{Kind: "embedded", Open: func(ctx context.Context, dir string) (store.Models, string, error) {
			s, err := embedded.Open(ctx, filepath.Join(dir, "bench.db"))
			return s, "", err
		}},
		{Kind: "elsewhere", Open: func(context.Context, string) (store.Models, string, error) { return nil, "not configured", nil }},
	}
	rows, err := bench.RunModelLoad(context.Background(), stores, bench.ModelLoadOptions{Users: 3, Repeat: 4, Trees: 5, Seed: 1,
		Dir: t.TempDir(), Meter: func(int64, string, string) bench.Meter { return meter{&added, &done} }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want one per store", len(rows))
	}
	for _, r := range rows[:2] {
		if r.Users != 3 || r.Loads.N != 12 || r.Loads.Mean <= 0 || r.Loads.P99 < r.Loads.P50 || r.ModelKB <= 0 || r.DecodeOnly.N != 12 || r.Skipped != "" {
			t.Errorf("row %+v", r)
		}
	}
	if r := rows[2]; r.Skipped != "not configured" || r.Loads.N != 0 {
		t.Errorf("skipped store's row %+v", r)
	}
	// 3 models trained, 12 loads from each of 2 stores; 3 meters done.
	if added.Load() != 3+2*12 || done.Load() != 3 {
		t.Errorf("meters: added %d, done %d", added.Load(), done.Load())
	}

	broken := []bench.ModelStore{{Kind: "broken", Open: func(context.Context, string) (store.Models, string, error) {
		return nil, "", errors.New("cannot connect")
	}}}
	if _, err := bench.RunModelLoad(context.Background(), broken, bench.ModelLoadOptions{Users: 2, Repeat: 1, Trees: 2, Dir: t.TempDir()}); err == nil {
		t.Error("a store that fails to open gave no error")
	}
	if _, err := bench.RunModelLoad(context.Background(), stores, bench.ModelLoadOptions{Users: 1, Repeat: 1, Dir: t.TempDir()}); err == nil {
		t.Error("one user accepted")
	}
}

// pipeline opens an embedded pipeline: broker and store under a temporary
// folder.
func pipeline(t *testing.T) bench.Pipeline {
	t.Helper()
	ctx := context.Background()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: t.TempDir(), Partitions: 2})
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

// TestPipelineSaturationAndSoak offers two rates to 3 users, then soaks:
// every vector sent is stored and decided once, and memory is sampled.
func TestPipelineSaturationAndSoak(t *testing.T) {
	t.Parallel()
	p := pipeline(t)
	prof := filepath.Join(t.TempDir(), "pprof")
	res, err := bench.RunPipeline(context.Background(), p, bench.PipelineOptions{Users: []int{3}, Rates: []float64{30, 60},
		Duration: time.Second, Soak: time.Second, Seed: 1, Trees: 10, Wait: time.Minute, Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"cpu.pprof", "block.pprof", "mutex.pprof", "heap.pprof"} {
		if st, err := os.Stat(filepath.Join(prof, f)); err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v", f, err)
		}
	}
	if len(res.Rates) != 2 || res.Latency != nil {
		t.Fatalf("%d rate rows, %d latency rows; want 2 and none", len(res.Rates), len(res.Latency))
	}
	for _, r := range res.Rates {
		x := r.Result
		if x.Sent == 0 || r.Lost != 0 || x.Decided != x.Sent || r.Stored.Vectors != x.Sent || r.Stored.Decisions != x.Sent ||
			x.Throughput <= 0 || r.CPUCores <= 0 || r.HeapMB <= 0 {
			t.Errorf("rate %v: sent %d decided %d stored %+v lost %d throughput %v cores %v heap %v", r.Offered, x.Sent, x.Decided, r.Stored, r.Lost,
				x.Throughput, r.CPUCores, r.HeapMB)
		}
		// Every user logged in before the first vector went: the rate is
		// that of logged-in users.
		if x.LoginLatency.N != 3 || x.FirstSent.Before(x.LastLoginAnswer) {
			t.Errorf("rate %v: %d logins answered, the last at %v, the first vector sent at %v", r.Offered, x.LoginLatency.N, x.LastLoginAnswer, x.FirstSent)
		}
		if r.Sustained != (x.Latency.P99 < 100) {
			t.Errorf("rate %v: sustained %v with p99 %v ms", r.Offered, r.Sustained, x.Latency.P99)
		}
	}
	s := res.Soak
	if s == nil || s.Result.Sent == 0 || s.Stored.Vectors != s.Result.Sent || s.Stored.Decisions != s.Result.Sent || len(s.Samples) < 2 ||
		s.Before.HeapMB <= 0 || s.After.HeapMB <= 0 {
		t.Fatalf("soak %+v", s)
	}
}

func TestPipelineRefusesNoUsers(t *testing.T) {
	t.Parallel()
	if _, err := bench.RunPipeline(context.Background(), bench.Pipeline{}, bench.PipelineOptions{}); err == nil {
		t.Fatal("no user counts accepted")
	}
}
