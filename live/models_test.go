package live

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

// modelFixture is a store holding users' models trained on synthetic
// behaviour, and the bytes of one of them.
func modelFixture(t testing.TB, users int, params map[string]any) (*countingProfiles, []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	own, others := newBehaviour(r).draw(r, 600), newBehaviour(r).draw(r, 600)
	o := smallTrain
	o.Params = params
	data, err := account.TrainModel(context.Background(), "shared", 1, own, others, o, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p := counting(openStore(t))
	for u := range users {
		if err := p.PutModel(context.Background(), store.Model{User: fmt.Sprintf("u%06d", u), Version: 1, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	return p, data
}

// TestModelCacheEvictsLeastRecentlyUsed: the cache keeps its bytes under
// the bound by evicting the least recently used model, counts hits,
// misses and evictions, and loads an evicted model again.
func TestModelCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	p, data := modelFixture(t, 5, map[string]any{"trees": 5})
	sm, err := account.CheckModel(data)
	if err != nil {
		t.Fatal(err)
	}
	size := modelBytes(sm)
	stats := NewStats()
	c := newModelCache(p, stats, time.Now, 3*size+size/2, 2) // room for 3
	ctx := context.Background()
	get := func(u string) {
		t.Helper()
		if _, err := c.get(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"u000000", "u000001", "u000002", "u000000", "u000003"} {
		get(u) // u000001 is the least recently used when u000003 comes
	}
	c.mu.Lock()
	_, has1 := c.m["u000001"]
	_, has0 := c.m["u000000"]
	n, bytes := len(c.m), c.bytes
	c.mu.Unlock()
	if has1 || !has0 || n != 3 || bytes > c.limit {
		t.Fatalf("after 5 lookups of 4 users in a cache of 3: %d entries, %d bytes of %d, u000001 cached %v, u000000 cached %v",
			n, bytes, c.limit, has1, has0)
	}
	if h, m, e := Value(stats.ModelCacheHits), Value(stats.ModelCacheMisses), Value(stats.ModelCacheEvictions); h != 1 || m != 4 || e != 1 {
		t.Fatalf("hits %v misses %v evictions %v; want 1, 4, 1", h, m, e)
	}
	if Value(stats.ModelCacheBytes) != float64(3*size) || Value(stats.ModelCacheEntries) != 3 {
		t.Fatalf("gauges: %v bytes, %v entries", Value(stats.ModelCacheBytes), Value(stats.ModelCacheEntries))
	}
	p.reads()
	get("u000001")
	if n, _ := p.reads(); n != 1 || Value(stats.ModelLoads) != 5 {
		t.Fatalf("an evicted model is loaded again: %d reads, %v loads", n, Value(stats.ModelLoads))
	}
}

// TestModelCacheBoundSmallerThanAModel: a model larger than the bound is
// kept alone (a vector can always be scored).
func TestModelCacheBoundSmallerThanAModel(t *testing.T) {
	t.Parallel()
	p, _ := modelFixture(t, 2, map[string]any{"trees": 5})
	c := newModelCache(p, NewStats(), time.Now, 1, 1)
	for _, u := range []string{"u000000", "u000001"} {
		if l, err := c.get(context.Background(), u); err != nil || l == nil {
			t.Fatal(err)
		}
	}
	if len(c.m) != 1 {
		t.Fatalf("%d entries in a cache smaller than one model, want 1", len(c.m))
	}
}

// slowLoads blocks LatestModel until released, counting the calls.
type slowLoads struct {
	store.Profiles
	calls   atomic.Int64
	release chan struct{}
}

func (s *slowLoads) LatestModel(ctx context.Context, user string) (store.Model, error) {
	s.calls.Add(1)
	<-s.release
	return s.Profiles.LatestModel(ctx, user)
}

// TestModelCacheLoadsOnce: 50 lookups of one user at once make one store
// read (singleflight), and every lookup gets the model.
func TestModelCacheLoadsOnce(t *testing.T) {
	t.Parallel()
	p, _ := modelFixture(t, 1, map[string]any{"trees": 5})
	slow := &slowLoads{Profiles: p, release: make(chan struct{})}
	stats := NewStats()
	c := newModelCache(slow, stats, time.Now, DefaultModelCacheBytes, 4)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			l, err := c.get(context.Background(), "u000000")
			if err == nil && l.version != 1 {
				err = fmt.Errorf("version %d", l.version)
			}
			errs <- err
		})
	}
	for slow.calls.Load() == 0 {
		runtime.Gosched()
	}
	close(slow.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := slow.calls.Load(); n != 1 || Value(stats.ModelLoads) != 1 {
		t.Fatalf("%d store reads and %v loads for 50 concurrent lookups, want 1", n, Value(stats.ModelLoads))
	}
}

// TestModelCacheRemembersInvalidModels: an invalid model is read once per
// invalidRetry, not once per vector, and is never cached.
func TestModelCacheRemembersInvalidModels(t *testing.T) {
	t.Parallel()
	p := counting(openStore(t))
	ctx := context.Background()
	if err := p.PutModel(ctx, store.Model{User: "bad", Version: 1, Data: []byte("not a model")}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newModelCache(p, NewStats(), func() time.Time { return now }, DefaultModelCacheBytes, 1)
	p.reads()
	for range 3 {
		var bad *ModelError
		if _, err := c.get(ctx, "bad"); !errors.As(err, &bad) || bad.Version != 1 {
			t.Fatalf("get of an invalid model: %v, want a *ModelError", err)
		}
	}
	if n, _ := p.reads(); n != 1 || len(c.m) != 0 {
		t.Fatalf("3 lookups of an invalid model: %d reads, %d cached; want 1, 0", n, len(c.m))
	}
	now = now.Add(invalidRetry)
	c.get(ctx, "bad")
	if n, _ := p.reads(); n != 1 {
		t.Fatalf("after invalidRetry the store is asked again: %d reads", n)
	}
}

// TestModelCacheSwapKeepsNewer: a retrained model replaces the cached one,
// and a load that finishes after it does not put the older version back.
func TestModelCacheSwapKeepsNewer(t *testing.T) {
	t.Parallel()
	p, _ := modelFixture(t, 1, map[string]any{"trees": 5})
	c := newModelCache(p, NewStats(), time.Now, DefaultModelCacheBytes, 1)
	l, err := c.get(context.Background(), "u000000")
	if err != nil {
		t.Fatal(err)
	}
	c.swap("u000000", &loaded{version: 2, model: l.model, bytes: l.bytes})
	c.put("u000000", &loaded{version: 1, model: l.model, bytes: l.bytes}, false)
	if got, _ := c.get(context.Background(), "u000000"); got.version != 2 || c.bytes != l.bytes {
		t.Fatalf("cached v%d, %d bytes; want v2 once", got.version, c.bytes)
	}
}

// TestModelBytes compares the estimate with the heap that decoded models
// take: within 25 %. It measures the process's heap, so it does not run in
// parallel, and its models are large enough (overlapping behaviour grows
// deep trees) that what other tests free meanwhile is noise.
func TestModelBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	u1, u2 := newBehaviour(r), newBehaviour(r)
	noisy := func(bh behaviour) [][]float64 {
		xs := bh.draw(r, 1000)
		for _, x := range xs {
			for j := range x {
				x[j] += 2 * r.NormFloat64()
			}
		}
		return xs
	}
	own, others := noisy(u1), noisy(u2)
	for _, trees := range []int{10, 50} {
		data, err := account.TrainModel(context.Background(), "u", 1, own, others,
			account.TrainOptions{Classifier: "rf", Params: map[string]any{"trees": trees}, Seed: 1}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		params := map[string]any{"trees": trees}
		const n = 50
		models := make([]*loaded, n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range models {
			sm, err := account.CheckModel(data)
			if err != nil {
				t.Fatal(err)
			}
			models[i] = &loaded{model: sm.Model, saved: sm}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc-before.HeapAlloc) / n
		est := float64(modelBytes(models[0].saved))
		t.Logf("trees %v: %d bytes on file, estimate %.0f bytes decoded, heap %.0f bytes per model", params["trees"], len(data), est, heap)
		if est < 0.75*heap || est > 1.25*heap {
			t.Fatalf("trees %v: estimate %.0f bytes, heap %.0f bytes per model", params["trees"], est, heap)
		}
		runtime.KeepAlive(models)
	}
}

// TestModelCacheMetricsServed: the cache's hits, misses, evictions, bytes,
// entries and hit ratio are on /metrics.
func TestModelCacheMetricsServed(t *testing.T) {
	t.Parallel()
	p, _ := modelFixture(t, 2, map[string]any{"trees": 5})
	s := idleService(t, p, Config{ModelCacheBytes: 1})
	for _, u := range []string{"u000000", "u000000", "u000001"} {
		if _, err := s.models.get(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	Handler(s).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{"mouseauth_model_cache_hits_total 1", "mouseauth_model_cache_misses_total 2",
		"mouseauth_model_cache_evictions_total 1", "mouseauth_model_cache_entries 1", "mouseauth_model_cache_bytes ",
		"mouseauth_model_cache_hit_ratio 0.333", "mouseauth_retrain_queue 0", "mouseauth_negative_pool_refreshes_total 0"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
