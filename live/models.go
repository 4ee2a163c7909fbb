package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

// RetrainPolicy says when a user's model is retrained in the background.
type RetrainPolicy struct {
	Every      int64         // new vectors since the model was trained; default 1000, <0 never
	MaxAge     time.Duration // default 30 days
	MaxGenuine int           // most recent own vectors used; default 5000
	Train      account.TrainOptions
}

// loaded is a user's model in the cache.
type loaded struct {
	version  int
	model    classify.Model
	vectors  int64 // vectors stored when it was trained
	created  time.Time
	newSince int64
	training bool
}

// modelCache holds one model per user. A retrained model replaces the
// entry under the lock, so a scorer sees either the old or the new model,
// never a mix.
type modelCache struct {
	profiles store.Profiles
	mu       sync.Mutex
	m        map[string]*loaded
	loading  map[string]chan struct{}
	invalid  map[string]invalidModel
	loads    func() // metric hook
	now      func() time.Time
	// sem bounds the loads in flight (store reads and model decoding):
	// a thousand first vectors or logins at once queue here instead of
	// decoding a thousand models at once.
	sem chan struct{}
	// prefetch holds users whose login was just accepted, for the
	// prefetchers to load their models before their first vector.
	prefetch chan string
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

// newModelCache returns a cache that loads at most maxLoads models at once.
func newModelCache(p store.Profiles, loads func(), now func() time.Time, maxLoads int) *modelCache {
	return &modelCache{profiles: p, m: map[string]*loaded{}, loading: map[string]chan struct{}{},
		invalid: map[string]invalidModel{}, loads: loads, now: now,
		sem: make(chan struct{}, max(1, maxLoads)), prefetch: make(chan string, maxPrefetchQueue)}
}

// want asks for user's model to be loaded in the background, unless it is
// cached or loading. It never blocks: with the queue full, the user's
// first vector loads it.
func (c *modelCache) want(user string) {
	c.mu.Lock()
	_, cached := c.m[user]
	_, loading := c.loading[user]
	c.mu.Unlock()
	if cached || loading {
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

// get returns user's model, loading it from the store once. A model that
// fails to load is a *ModelError, remembered for invalidRetry.
func (c *modelCache) get(ctx context.Context, user string) (*loaded, error) {
	for {
		c.mu.Lock()
		if l, ok := c.m[user]; ok {
			c.mu.Unlock()
			return l, nil
		}
		if bad, ok := c.invalid[user]; ok && c.now().Sub(bad.at) < invalidRetry {
			c.mu.Unlock()
			return nil, bad.err
		}
		if ch, ok := c.loading[user]; ok {
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		c.loading[user] = ch
		c.mu.Unlock()
		l, err := c.load(ctx, user)
		c.mu.Lock()
		delete(c.loading, user)
		var bad *ModelError
		switch {
		case err == nil:
			c.m[user] = l
			delete(c.invalid, user)
		case errors.As(err, &bad):
			c.invalid[user] = invalidModel{err: bad, at: c.now()}
		}
		c.mu.Unlock()
		close(ch)
		return l, err
	}
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
	if c.loads != nil {
		c.loads()
	}
	return &loaded{version: sm.Version, model: m.Model, vectors: sm.Vectors, created: sm.Created}, nil
}

// noteVector counts a new vector and reports whether a retraining should
// start now (it marks the entry as training).
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

// swap installs a retrained model (or clears the training mark when m is nil).
func (c *modelCache) swap(user string, m *loaded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m == nil {
		if l, ok := c.m[user]; ok {
			l.training = false
			l.newSince = 0
		}
		return
	}
	c.m[user] = m
}

// retrain trains version+1 of user's model from the stored vectors.
func (c *modelCache) retrain(ctx context.Context, user string, version int, p RetrainPolicy, now time.Time) (*loaded, error) {
	own, err := c.profiles.Vectors(ctx, user, p.MaxGenuine)
	if err != nil {
		return nil, err
	}
	users, err := c.profiles.ModelUsers(ctx)
	if err != nil {
		return nil, err
	}
	var others [][]float64
	per := len(own)/max(1, len(users)-1) + 1
	for _, u := range users {
		if u == user {
			continue
		}
		vs, err := c.profiles.Vectors(ctx, u, per)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			others = append(others, v.Values)
		}
	}
	if len(own) == 0 || len(others) == 0 {
		return nil, fmt.Errorf("retrain %s: %d own and %d other vectors stored: %w", user, len(own), len(others), errNothingToTrain)
	}
	X := make([][]float64, len(own))
	for i, v := range own {
		X[i] = v.Values
	}
	nv, _, err := c.profiles.Counts(ctx, user)
	if err != nil {
		return nil, err
	}
	data, err := account.TrainModel(ctx, user, version+1, X, others, p.Train, now)
	if err != nil {
		return nil, err
	}
	err = c.profiles.PutModel(ctx, store.Model{User: user, Version: version + 1, Data: data, Created: now, Vectors: nv})
	if errors.Is(err, store.ErrVersionExists) {
		// Another instance retrained first: use its model.
		return c.load(ctx, user)
	}
	if err != nil {
		return nil, err
	}
	m, err := classify.Load(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return &loaded{version: version + 1, model: m.Model, vectors: nv, created: now}, nil
}

var errNothingToTrain = errors.New("not enough stored vectors to train")
