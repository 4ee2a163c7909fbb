package live

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

// The model lifecycle at the design point's user counts, on the embedded
// store (docs/scaling.md has the figures):
//
//	go test ./live -run '^$' -bench RetrainUsers -timeout 30m
//	go test ./live -run '^$' -bench ModelCacheRSS -benchtime 3x -timeout 30m

// enrolledStore is an embedded store with users enrolled users, each with
// a model (the same small forest's bytes) and one ended session of
// 400 000/users decided vectors (the same 400 000 vectors at every user
// count, so that only the count of users differs), plus the victim of
// poisonScene-like retrainings: 12 clean sessions of 30 vectors.
func enrolledStore(b *testing.B, users int) *countingProfiles {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	st := openStore(b)
	p := counting(st)
	day := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	victim := newBehaviour(r)
	var others [][]float64
	bs := make([]behaviour, 50)
	for i := range bs {
		bs[i] = newBehaviour(r)
		others = append(others, bs[i].draw(r, 4)...)
	}
	data, err := account.TrainModel(ctx, "victim", 1, victim.draw(r, 200), others, smallTrain, day)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var sessions []storedSession
	for u := range users {
		user := fmt.Sprintf("user%06d", u)
		if err := p.PutModel(ctx, store.Model{User: user, Version: 1, Data: data, Created: day}); err != nil {
			b.Fatal(err)
		}
		sessions = append(sessions, storedSession{user: user, id: "s", started: day, vectors: bs[u%len(bs)].draw(r, 400_000/users), decide: accepted(0.8, 0)})
		if len(sessions) == 1000 || u%1000 == 999 && users < 100_000 {
			storeSessions(b, p, sessions...)
			sessions = sessions[:0]
		}
	}
	storeSessions(b, p, sessions...)
	if err := p.PutModel(ctx, store.Model{User: "victim", Version: 1, Data: data, Created: day}); err != nil {
		b.Fatal(err)
	}
	storeSessions(b, p, sessionsOf("victim", "g", day.Add(24*time.Hour), victim.draw(r, 12*30), 30, accepted(0.9, 9))...)
	b.Logf("%d users enrolled in %v", users, time.Since(start).Round(time.Millisecond))
	p.reads()
	return p
}

// legacyRetrain is the retraining before the negative pool, kept to
// measure against: every enrolled user's vectors read, len(own)/(users-1)+1
// each.
func legacyRetrain(ctx context.Context, p store.Profiles, user string, version int, now time.Time) error {
	own, err := p.Vectors(ctx, user, 5000)
	if err != nil {
		return err
	}
	users, err := p.ModelUsers(ctx)
	if err != nil {
		return err
	}
	var others [][]float64
	per := len(own)/max(1, len(users)-1) + 1
	for _, u := range users {
		if u == user {
			continue
		}
		vs, err := p.Vectors(ctx, u, per)
		if err != nil {
			return err
		}
		for _, v := range vs {
			others = append(others, v.Values)
		}
	}
	X := make([][]float64, len(own))
	for i, v := range own {
		X[i] = v.Values
	}
	if _, _, err := p.Counts(ctx, user); err != nil {
		return err
	}
	data, err := account.TrainModel(ctx, user, version+1, X, others, smallTrain, now)
	if err != nil {
		return err
	}
	return p.PutModel(ctx, store.Model{User: user, Version: version + 1, Data: data, Created: now})
}

// BenchmarkRetrainUsers retrains one user with 1 000 and 100 000 users
// enrolled: with the negative pool drawn for every retraining (PoolEvery
// 1, the worst case), with the pool drawn once before (as the default
// PoolEvery 100 and PoolAge 10 minutes do for 99 retrainings of 100), and
// the legacy retraining on the same store. reads/op counts store calls.
func BenchmarkRetrainUsers(b *testing.B) {
	for _, users := range []int{1_000, 100_000} {
		p := enrolledStore(b, users)
		now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		version := 1
		for _, every := range []int{1, 1 << 30} {
			name := "pool-drawn-each-time"
			if every > 1 {
				name = "pool-reused"
			}
			b.Run(fmt.Sprintf("users=%d/%s", users, name), func(b *testing.B) {
				s := idleService(b, p, Config{Now: func() time.Time { return now },
					Retrain: RetrainPolicy{Train: smallTrain, PoolEvery: every, PoolAge: time.Hour, Tolerance: 1}})
				ctx := context.Background()
				if every > 1 { // draw the pool before the timed loop
					m, err := s.retrainer.retrain(ctx, "victim", version)
					if err != nil {
						b.Fatal(err)
					}
					version = m.version
				}
				p.reads()
				for b.Loop() {
					m, err := s.retrainer.retrain(ctx, "victim", version)
					if err != nil {
						b.Fatal(err)
					}
					s.models.swap("victim", m)
					version = m.version
				}
				n, by := p.reads()
				b.ReportMetric(float64(n)/float64(b.N), "reads/op")
				b.Logf("store calls: %v", by)
			})
		}
		b.Run(fmt.Sprintf("users=%d/legacy", users), func(b *testing.B) {
			ctx := context.Background()
			latest, err := p.LatestModel(ctx, "victim")
			if err != nil {
				b.Fatal(err)
			}
			version := latest.Version
			p.reads()
			for b.Loop() {
				if err := legacyRetrain(ctx, p, "victim", version, now); err != nil {
					b.Fatal(err)
				}
				version++
			}
			n, _ := p.reads()
			b.ReportMetric(float64(n)/float64(b.N), "reads/op")
		})
	}
}

// rss returns the process's resident set size in bytes (Linux), 0 where
// /proc is not there.
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkModelCacheRSS enrols 100 000 users (a 100-tree forest each, on
// synthetic behaviour) and visits the 10 000 active users' in random order,
// 10 lookups per visit (a window of vectors), 10 000 visits per op, through
// caches of 64 MiB and 256 MiB, each with Go's default GC and with a memory
// limit of 1.5 times the bound over the baseline (GOMEMLIMIT, as
// docs/scaling.md advises), and unbounded. It reports the process's peak RSS
// over the baseline with the store open, the heap in use, the cache's bytes,
// its hit ratio and its loads per visit.
func BenchmarkModelCacheRSS(b *testing.B) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 10))
	u1, u2 := newBehaviour(r), newBehaviour(r)
	// Overlapping behaviour (noise 3× the spread of the centres) grows
	// trees of a realistic depth.
	noisy := func(bh behaviour, n int) [][]float64 {
		xs := bh.draw(r, n)
		for _, x := range xs {
			for j := range x {
				x[j] += 2 * r.NormFloat64()
			}
		}
		return xs
	}
	o := account.TrainOptions{Classifier: "rf", Params: map[string]any{"trees": 100}, Seed: 1}
	data, err := account.TrainModel(ctx, "shared", 1, noisy(u1, 1000), noisy(u2, 1000), o, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	sm, err := account.CheckModel(data)
	if err != nil {
		b.Fatal(err)
	}
	size := modelBytes(sm)
	const enrolled, active = 100_000, 10_000
	st := openStore(b)
	for u := range enrolled {
		if err := st.PutModel(ctx, store.Model{User: fmt.Sprintf("user%06d", u), Version: 1, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d users enrolled; a model is %d bytes on file, %d decoded (estimate): %d MiB for the %d active users",
		enrolled, len(data), size, int64(active)*size>>20, active)
	for _, tc := range []struct {
		bound int64
		limit bool
	}{{64 << 20, false}, {64 << 20, true}, {256 << 20, false}, {256 << 20, true}, {1 << 40, false}} {
		name := fmt.Sprintf("bound=%dMiB", tc.bound>>20)
		switch {
		case tc.bound == 1<<40:
			name = "unbounded"
		case tc.limit:
			name += "/memlimit"
		}
		b.Run(name, func(b *testing.B) {
			runtime.GC()
			debug.FreeOSMemory()
			base := rss()
			if tc.limit {
				defer debug.SetMemoryLimit(debug.SetMemoryLimit(base + tc.bound*3/2))
			}
			stats := NewStats()
			c := newModelCache(st, stats, time.Now, tc.bound, 2*runtime.GOMAXPROCS(0))
			peak, visits := int64(0), 0
			for b.Loop() {
				for k, i := range r.Perm(active) {
					u := fmt.Sprintf("user%06d", i*(enrolled/active))
					for range 10 {
						if _, err := c.get(ctx, u); err != nil {
							b.Fatal(err)
						}
					}
					if k%500 == 0 {
						peak = max(peak, rss())
					}
				}
				visits += active
			}
			peak = max(peak, rss())
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			h, m := Value(stats.ModelCacheHits), Value(stats.ModelCacheMisses)
			b.ReportMetric(float64(peak-base)/(1<<20), "rss-over-base-MiB")
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MiB")
			b.ReportMetric(Value(stats.ModelCacheBytes)/(1<<20), "cache-MiB")
			b.ReportMetric(h/(h+m), "hit-ratio")
			b.ReportMetric(Value(stats.ModelLoads)/float64(visits), "loads/visit")
			b.Logf("%s: base RSS %d MiB, peak %d MiB; evictions %v, loads %v", name, base>>20, peak>>20, Value(stats.ModelCacheEvictions), Value(stats.ModelLoads))
			c.mu.Lock()
			c.m, c.lru, c.bytes = nil, nil, 0 // let the next bound start from the same heap
			c.mu.Unlock()
		})
	}
}
