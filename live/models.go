package live

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

// DefaultModelCacheBytes is the default bound of the model cache
// ([Config.ModelCacheBytes]): 1 GiB holds about 3 900 default models of a
// synthetic user (275 KB decoded; docs/scaling.md sizes it).
const DefaultModelCacheBytes = 1 << 30

// loaded is a user's model in the cache.
type loaded struct {
	version int
	model   classify.Model
	saved   *classify.SavedModel // model, with its header's guard (account.Check)
	// policy is the decision policy the model records
	// (classify.Header.Decision), or decide.DefaultPolicy for a model that
	// records none or one that does not parse (policyNote says which).
	policy     decide.Policy
	policyNote string
	vectors    int64 // vectors stored when it was trained
	created    time.Time
	bytes      int64 // modelBytes(saved)
	// The rest is guarded by modelCache.mu.
	newSince int64
	training bool
	elem     *list.Element // in modelCache.lru
}

// modelCache holds the models of the users being scored, up to a bound in
// bytes (the decoded size estimate, modelBytes), evicting the least
// recently used. A retrained model replaces the entry under the lock, so a
// scorer sees either the old or the new model, never a mix; a scorer that
// holds an evicted model keeps using it until its vector is done.
//
// The LRU list is written here because the libraries at hand bound a cache
// by entries (golang-lru) or admit entries by frequency (ristretto, otter),
// which would refuse the model a user's first vector just loaded; and an
// entry carries retraining state that changes under the cache's lock.
type modelCache struct {
	profiles store.Profiles
	stats    *Stats
	now      func() time.Time
	limit    int64
	mu       sync.Mutex
	m        map[string]*loaded
	lru      *list.List // of user names, the most recently used first
	bytes    int64
	invalid  map[string]invalidModel
	// loads makes concurrent loads of one user's model one store read.
	loads singleflight.Group
	// sem bounds the loads in flight (store reads and model decoding):
	// a thousand first vectors or logins at once queue here instead of
	// decoding a thousand models at once.
	sem chan struct{}
	// prefetch holds users whose login was just accepted, for the
	// prefetchers to load their models before their first vector.
	prefetch chan string
	// logger, when set, says once per model version that a model records
	// no decision policy it can use (noted remembers which).
	logger *slog.Logger
	noted  sync.Map // of "user/version"
}

// maxPrefetchQueue bounds the users waiting for a prefetch; when it is
// full a login's model is loaded by its first vector instead.
const maxPrefetchQueue = 4096

// invalidModel is a user's stored model that failed to load, remembered
// for invalidRetry so that each of the user's vectors does not load it
// again.
type invalidModel struct {
	err *ModelError
	at  time.Time
}

// invalidRetry is how long an invalid model is remembered before the
// store is asked again (an operator may have enrolled a good one).
const invalidRetry = 30 * time.Second

// ModelError is a user's stored model that the service refuses: it does
// not load (classify.Load's validation) or is not for the pipeline's
// features (account.CheckModel). The user's vectors are dead-lettered
// with class "model invalid" until a valid model is stored.
type ModelError struct {
	User    string
	Version int
	Err     error
}

func (e *ModelError) Error() string {
	return fmt.Sprintf("model of %s v%d: %v", e.User, e.Version, e.Err)
}
func (e *ModelError) Unwrap() error { return e.Err }

// newModelCache returns a cache of at most limit bytes of models that
// loads at most maxLoads models at once.
func newModelCache(p store.Profiles, stats *Stats, now func() time.Time, limit int64, maxLoads int) *modelCache {
	return &modelCache{profiles: p, stats: stats, now: now, limit: limit, m: map[string]*loaded{}, lru: list.New(),
		invalid: map[string]invalidModel{}, sem: make(chan struct{}, max(1, maxLoads)), prefetch: make(chan string, maxPrefetchQueue)}
}

// want asks for user's model to be loaded in the background, unless it is
// cached. It never blocks: with the queue full, the user's first vector
// loads it. A load already in flight is joined, not repeated.
func (c *modelCache) want(user string) {
	c.mu.Lock()
	_, cached := c.m[user]
	c.mu.Unlock()
	if cached {
		return
	}
	select {
	case c.prefetch <- user:
	default:
	}
}

// prefetcher loads the models asked for by want until ctx ends. Errors
// are left to the vectors, which load again and report them (an invalid
// model is remembered either way).
func (c *modelCache) prefetcher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case user := <-c.prefetch:
			_, _ = c.get(ctx, user)
		}
	}
}

// get returns user's model, loading it from the store on a miss; callers
// that miss at once share one load (singleflight). A model that fails to
// load is a *ModelError, remembered for invalidRetry. A load fails with
// the context of the caller that started it; the others then get its
// error and retry.
func (c *modelCache) get(ctx context.Context, user string) (*loaded, error) {
	c.mu.Lock()
	if l, ok := c.m[user]; ok {
		c.lru.MoveToFront(l.elem)
		c.mu.Unlock()
		c.stats.ModelCacheHits.Inc()
		return l, nil
	}
	if bad, ok := c.invalid[user]; ok && c.now().Sub(bad.at) < invalidRetry {
		c.mu.Unlock()
		return nil, bad.err
	}
	c.mu.Unlock()
	c.stats.ModelCacheMisses.Inc()
	ch := c.loads.DoChan(user, func() (any, error) {
		// A load that finished between the lookup above and this flight
		// cached the model already.
		c.mu.Lock()
		l, ok := c.m[user]
		c.mu.Unlock()
		if ok {
			return l, nil
		}
		l, err := c.load(ctx, user)
		var bad *ModelError
		switch {
		case err == nil:
			c.put(user, l, false)
		case errors.As(err, &bad):
			c.mu.Lock()
			c.invalid[user] = invalidModel{err: bad, at: c.now()}
			c.mu.Unlock()
		}
		return l, err
	})
	select {
	case r := <-ch:
		l, _ := r.Val.(*loaded)
		return l, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put installs l as user's model and evicts the least recently used
// others while the cache is over its bound (a model larger than the bound
// is kept alone). Unless replace, a model already cached (installed by a
// retraining while this one loaded) is kept instead.
func (c *modelCache) put(user string, l *loaded, replace bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.invalid, user)
	if old, ok := c.m[user]; ok {
		if !replace && old.version >= l.version {
			return
		}
		c.remove(user, old)
	}
	l.elem = c.lru.PushFront(user)
	c.m[user] = l
	c.bytes += l.bytes
	for c.bytes > c.limit && c.lru.Len() > 1 {
		victim := c.lru.Back().Value.(string)
		c.remove(victim, c.m[victim])
		c.stats.ModelCacheEvictions.Inc()
	}
	c.stats.ModelCacheBytes.Set(float64(c.bytes))
	c.stats.ModelCacheEntries.Set(float64(len(c.m)))
}

// remove drops user's entry l; c.mu is held.
func (c *modelCache) remove(user string, l *loaded) {
	c.lru.Remove(l.elem)
	delete(c.m, user)
	c.bytes -= l.bytes
}

func (c *modelCache) load(ctx context.Context, user string) (*loaded, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	sm, err := c.profiles.LatestModel(ctx, user)
	if err != nil {
		return nil, err
	}
	m, err := account.CheckModel(sm.Data)
	if err != nil {
		return nil, &ModelError{User: user, Version: sm.Version, Err: err}
	}
	c.stats.ModelLoads.Inc()
	l := newLoaded(sm.Version, m, sm.Vectors, sm.Created)
	c.note(user, l)
	return l, nil
}

// newLoaded is the cache entry of sm, version version of a user's model.
func newLoaded(version int, sm *classify.SavedModel, vectors int64, created time.Time) *loaded {
	p, note := policyOf(sm)
	return &loaded{version: version, model: sm.Model, saved: sm, policy: p, policyNote: note, vectors: vectors, created: created, bytes: modelBytes(sm)}
}

// note logs, once per user and model version, that l decides by
// decide.DefaultPolicy because its model records no policy it can use.
func (c *modelCache) note(user string, l *loaded) {
	if l.policyNote == "" || c.logger == nil {
		return
	}
	if _, seen := c.noted.LoadOrStore(user+"/"+strconv.Itoa(l.version), true); seen {
		return
	}
	c.logger.Warn("model records no usable decision policy: deciding by the default policy", "user", user, "version", l.version,
		"why", l.policyNote, "policy", l.policy.String())
}

// policyOf returns the decision policy sm records, or decide.DefaultPolicy
// and why when it records none (a model of `classify train`, or of a
// version before policies were recorded) or one that does not parse.
func policyOf(sm *classify.SavedModel) (p decide.Policy, note string) {
	if sm.Header.Decision == "" {
		return decide.DefaultPolicy(), "the model records no decision policy"
	}
	p, err := decide.ParsePolicy(sm.Header.Decision)
	if err != nil {
		return decide.DefaultPolicy(), err.Error()
	}
	return p, ""
}

// noteVector counts a new vector of user and reports whether a retraining
// should start now (it marks the entry as training). A user whose model
// was evicted counts again from 0 once it is loaded (MaxAge still
// applies).
func (c *modelCache) noteVector(user string, now time.Time, p RetrainPolicy) (start bool, version int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[user]
	if !ok {
		return false, 0
	}
	l.newSince++
	if l.training || p.Every < 0 {
		return false, 0
	}
	old := !l.created.IsZero() && now.Sub(l.created) > p.MaxAge
	if l.newSince >= p.Every || old {
		l.training = true
		return true, l.version
	}
	return false, 0
}

// swap installs a retrained model, or with m nil ends the retraining of
// the cached entry (its vectors count again from 0).
func (c *modelCache) swap(user string, m *loaded) {
	if m != nil {
		c.put(user, m, true)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.m[user]; ok {
		l.training = false
		l.newSince = 0
	}
}
