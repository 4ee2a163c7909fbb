package live

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/preprocess"
	"github.com/mouseauth/mouseauth/replay"
)

// Helpers of the model lifecycle tests (cache, retraining): a service that
// is never started, synthetic users and stored sessions.

// countingProfiles counts the calls of each store method, to show what a
// retraining reads.
type countingProfiles struct {
	store.Profiles
	mu    sync.Mutex
	calls map[string]int
}

func counting(p store.Profiles) *countingProfiles {
	return &countingProfiles{Profiles: p, calls: map[string]int{}}
}

func (c *countingProfiles) note(m string) {
	c.mu.Lock()
	c.calls[m]++
	c.mu.Unlock()
}

// reads returns the read calls so far and resets the counts.
func (c *countingProfiles) reads() (n int, by map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	by = c.calls
	c.calls = map[string]int{}
	for m, k := range by {
		if m != "PutModel" {
			n += k
		}
	}
	return n, by
}

func (c *countingProfiles) LatestModel(ctx context.Context, user string) (store.Model, error) {
	c.note("LatestModel")
	return c.Profiles.LatestModel(ctx, user)
}
func (c *countingProfiles) ModelUsers(ctx context.Context) ([]string, error) {
	c.note("ModelUsers")
	return c.Profiles.ModelUsers(ctx)
}
func (c *countingProfiles) Vectors(ctx context.Context, user string, limit int) ([]store.Vector, error) {
	c.note("Vectors")
	return c.Profiles.Vectors(ctx, user, limit)
}
func (c *countingProfiles) LabeledVectors(ctx context.Context, user string, alerted bool, limit int) ([]store.LabeledVector, error) {
	c.note("LabeledVectors")
	return c.Profiles.LabeledVectors(ctx, user, alerted, limit)
}
func (c *countingProfiles) SampleVectors(ctx context.Context, seed int64, n int) ([]store.Vector, error) {
	c.note("SampleVectors")
	return c.Profiles.SampleVectors(ctx, seed, n)
}
func (c *countingProfiles) Counts(ctx context.Context, user string) (int64, int64, error) {
	c.note("Counts")
	return c.Profiles.Counts(ctx, user)
}
func (c *countingProfiles) PutModel(ctx context.Context, m store.Model) error {
	c.note("PutModel")
	return c.Profiles.PutModel(ctx, m)
}

func openStore(tb testing.TB) *embedded.Store {
	tb.Helper()
	st, err := embedded.Open(context.Background(), filepath.Join(tb.TempDir(), "mouseauth.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// idleService is a service on p that is never started: its model cache
// and retrainer are used directly.
func idleService(tb testing.TB, p store.Profiles, cfg Config) *Service {
	tb.Helper()
	keys, err := GenerateKeys()
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Brokers, cfg.TLS, cfg.Profiles, cfg.Keys = []string{"127.0.0.1:1"}, &tls.Config{}, p, keys
	if cfg.Credentials == nil {
		if c, ok := p.(store.Credentials); ok {
			cfg.Credentials = c
		} else {
			cfg.Credentials = openStore(tb)
		}
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// behaviour is a synthetic user's vectors: Gaussian around a centre of
// its own, so that a model tells users apart.
type behaviour struct{ centre []float64 }

func newBehaviour(r *rand.Rand) behaviour {
	c := make([]float64, preprocess.NumFeatures)
	for i := range c {
		c[i] = 6*r.Float64() - 3
	}
	return behaviour{c}
}

func (b behaviour) draw(r *rand.Rand, n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		v := make([]float64, len(b.centre))
		for j, c := range b.centre {
			v[j] = c + r.NormFloat64()
		}
		out[i] = v
	}
	return out
}

// recorded draws a synthetic user's recorded vectors, in order, over and
// over: vectors within the physical bounds, unlike a behaviour's.
type recorded struct {
	xs   [][]float64
	next *int
}

func (b recorded) draw(_ *rand.Rand, n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = append([]float64(nil), b.xs[*b.next%len(b.xs)]...)
		*b.next++
	}
	return out
}

// synthRecorded is two synthetic users' vectors (replay.Synthetic), made
// once per test binary: users 3 and 4 of seed 11, which a forest of
// smallTrain tells apart (a model of user 3 accepts about 1% of user 4's
// vectors, where users 1 and 2 are accepted by each other's at 50-90%).
var synthRecorded = sync.OnceValues(func() ([2][][]float64, error) {
	us, err := replay.Synthetic(context.Background(), 4, 2, 300, 11)
	if err != nil {
		return [2][][]float64{}, err
	}
	var out [2][][]float64
	for i, u := range us[2:] {
		for _, s := range u.Sessions {
			for _, v := range s {
				out[i] = append(out[i], v.Values)
			}
		}
	}
	return out, nil
})

// plausibleUsers returns two users whose vectors are within the physical
// bounds (synthetic users' recorded vectors), each drawn from the start.
func plausibleUsers(tb testing.TB) (recorded, recorded) {
	tb.Helper()
	xs, err := synthRecorded()
	if err != nil {
		tb.Fatal(err)
	}
	return recorded{xs[0], new(int)}, recorded{xs[1], new(int)}
}

// smallTrain is the classifier of the lifecycle tests: a forest of 10
// trees, trained in milliseconds.
var smallTrain = account.TrainOptions{Classifier: "rf", Params: map[string]any{"trees": 30}, Seed: 1}

// enrol stores version 1 of user's model, trained on own against others.
func enrol(tb testing.TB, p store.Profiles, user string, own, others [][]float64, at time.Time) {
	tb.Helper()
	data, err := account.TrainModel(context.Background(), user, 1, own, others, smallTrain, at)
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.PutModel(context.Background(), store.Model{User: user, Version: 1, Data: data, Created: at}); err != nil {
		tb.Fatal(err)
	}
}

// storedSession is a session to store: its vectors, each decided by
// decide (nil: no decision stored), and its alert flag.
type storedSession struct {
	user, id string
	started  time.Time
	vectors  [][]float64
	decide   func(seq int) (score float64, judged bool)
	alerted  bool
}

// accepted decides every vector accepted with score and judged from seq
// judgedFrom on (the window rule: a full window of 10).
func accepted(score float64, judgedFrom int) func(int) (float64, bool) {
	return func(seq int) (float64, bool) { return score, seq >= judgedFrom }
}

func storeSessions(tb testing.TB, p store.Profiles, ss ...storedSession) {
	tb.Helper()
	ctx := context.Background()
	var vs []store.Vector
	var ds []store.Decision
	flush := func() {
		if _, _, err := p.PutBatch(ctx, vs, ds); err != nil {
			tb.Fatal(err)
		}
		vs, ds = vs[:0], ds[:0]
	}
	for _, s := range ss {
		if _, _, err := p.CreateSession(ctx, store.Session{ID: s.id, User: s.user, Accepted: true, Started: s.started}); err != nil {
			tb.Fatal(err)
		}
		if s.alerted {
			if err := p.MarkAlerted(ctx, s.user, s.id); err != nil {
				tb.Fatal(err)
			}
		}
		for i, v := range s.vectors {
			at := s.started.Add(time.Duration(i) * time.Second)
			vs = append(vs, store.Vector{User: s.user, Session: s.id, Seq: int64(i), At: at, Values: v})
			if s.decide != nil {
				score, judged := s.decide(i)
				ds = append(ds, store.Decision{User: s.user, Session: s.id, Seq: int64(i), Score: score, Statistic: score, Window: min(i+1, 10),
					Threshold: 0.5, Accept: score >= 0.5, Judged: judged, ModelVersion: 1, At: at})
			}
			if len(vs) == 256 {
				flush()
			}
		}
	}
	flush()
}

// sessionsOf splits vectors into sessions of n, named prefix0, prefix1...
func sessionsOf(user, prefix string, started time.Time, vectors [][]float64, n int, decide func(int) (float64, bool)) []storedSession {
	var out []storedSession
	for i := 0; i*n < len(vectors); i++ {
		out = append(out, storedSession{user: user, id: fmt.Sprintf("%s%03d", prefix, i), started: started.Add(time.Duration(i) * time.Hour),
			vectors: vectors[i*n : min(len(vectors), (i+1)*n)], decide: decide})
	}
	return out
}
