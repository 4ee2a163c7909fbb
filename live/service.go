package live

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/internal/retry"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Config configures a [Service]. Zero values take the documented defaults;
// [New] validates it in one place.
type Config struct {
	Brokers []string
	TLS     *tls.Config  // required: the scorer's client certificate
	Topics  topics.Names // default topics.Default()
	// SASL authenticates the scorer where the brokers' listener is SASL_SSL
	// (the embedded broker; topics.SASL): the principal is then the SASL
	// user. nil on an mTLS-principal listener.
	SASL sasl.Mechanism
	// Users lists the users whose feature topics are consumed when
	// Topics.PerUser is set (default: every user with a model).
	Users []string
	Group string // consumer group, default topics.DefaultGroup

	Profiles    store.Profiles    // required
	Credentials store.Credentials // required
	// Keys open the sealed logins and seal the stored session keys;
	// required (live/deploy keeps them in the state folder).
	Keys Keys

	Window      int     // actions per window, default 10
	Threshold   float64 // alert when the window mean is below it, default 0.5
	NumFeatures int     // values per vector, default len(preprocess.FeatureNames)
	Lockout     Lockout
	Retrain     RetrainPolicy

	// CommitInterval batches offset commits (default 500 ms). Offsets are
	// handed to the committer only after the decision is stored, so a crash
	// redelivers at most this much, which the idempotent store absorbs.
	CommitInterval time.Duration
	// SessionTimeout is the consumer group session timeout (default 10 s):
	// how long a killed instance's partitions wait before reassignment.
	SessionTimeout time.Duration

	Logger *slog.Logger       // default discard
	Now    func() time.Time   // default time.Now
	Stats  *Stats             // default a new one
	Hooks  func(stage string) // test hook called at pipeline stages; nil in production
}

func (c *Config) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("live: no brokers")
	}
	if c.TLS == nil {
		return errors.New("live: a TLS configuration is required (the pipeline speaks only mTLS)")
	}
	if c.Profiles == nil || c.Credentials == nil {
		return errors.New("live: a profile store and a credential store are required")
	}
	if err := c.Keys.validate(); err != nil {
		return err
	}
	if c.Lockout.MaxFailures <= 0 {
		c.Lockout.MaxFailures = 5
	}
	if c.Lockout.LockFor <= 0 {
		c.Lockout.LockFor = 15 * time.Minute
	}
	if c.Topics.Logins == "" {
		per := c.Topics.PerUser
		c.Topics = topics.Default()
		c.Topics.PerUser = per
	}
	if c.Group == "" {
		c.Group = topics.DefaultGroup
	}
	if c.Window == 0 {
		c.Window = 10
	}
	if c.Window < 1 {
		return fmt.Errorf("live: window %d < 1", c.Window)
	}
	if c.Threshold == 0 {
		c.Threshold = 0.5
	}
	if c.Threshold < 0 || c.Threshold > 1 {
		return fmt.Errorf("live: threshold %v outside [0, 1]", c.Threshold)
	}
	if c.NumFeatures == 0 {
		c.NumFeatures = preprocess.NumFeatures
	}
	if c.Retrain.Every == 0 {
		c.Retrain.Every = 1000
	}
	if c.Retrain.MaxAge == 0 {
		c.Retrain.MaxAge = 30 * 24 * time.Hour
	}
	if c.Retrain.MaxGenuine == 0 {
		c.Retrain.MaxGenuine = 5000
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = 500 * time.Millisecond
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Stats == nil {
		c.Stats = NewStats()
	}
	return nil
}

// Service is the scoring service: it consumes logins and vectors, applies
// both factors, stores vectors and decisions, and publishes decisions,
// alerts and dead letters.
type Service struct {
	cfg     Config
	models  *modelCache
	writer  *kafka.Writer
	reader  *kafka.Reader
	running atomic.Bool
	ready   chan struct{} // closed when the consume loop starts
	once    sync.Once     // closes ready
	// work holds the partition workers and the retrainings of a Run: they
	// finish during a drain instead of being cancelled with ctx.
	work *errgroup.Group
	// sealer seals the session keys kept in the profile store; routes
	// knows the consumed topics' partition counts (made on first use).
	sealer     *keySealer
	routes     *router
	routesOnce sync.Once
}

// New validates cfg and returns a service; Run starts it.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sealer, err := newKeySealer(cfg.Keys.State)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, ready: make(chan struct{}), sealer: sealer}
	s.models = newModelCache(cfg.Profiles, func() { cfg.Stats.ModelLoads.Inc() }, cfg.Now)
	return s, nil
}

// Stats returns the service's counters.
func (s *Service) Stats() *Stats { return s.cfg.Stats }

// Ready is closed once the consume loop runs: the reader is set up and
// fetching. It is never closed if Run fails before that; wait on Run's
// result beside it (as [Service.Start] does).
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Health is nil while the service consumes, else the reason it is not
// healthy (served on /healthz).
func (s *Service) Health() error {
	if !s.running.Load() {
		return errNotConsuming
	}
	return nil
}

var errNotConsuming = errors.New("not consuming")

func (s *Service) consumed(ctx context.Context) ([]string, error) {
	t := s.cfg.Topics
	if !t.PerUser {
		return []string{t.Logins, t.Features}, nil
	}
	users := s.cfg.Users
	if len(users) == 0 {
		var err error
		if users, err = s.cfg.Profiles.ModelUsers(ctx); err != nil {
			return nil, err
		}
	}
	out := []string{t.Logins}
	for _, u := range users {
		out = append(out, t.FeaturesFor(u))
	}
	return out, nil
}

// drainTimeout bounds the drain: fetched messages that are not finished by
// then are cancelled, left uncommitted and redelivered after a restart.
const drainTimeout = 30 * time.Second

// Run consumes until ctx is cancelled, then drains: messages already
// fetched are finished, their offsets committed, the group left and the
// producers flushed. It returns nil after a drain caused by ctx.
func (s *Service) Run(ctx context.Context) error { return s.run(ctx, nil) }

// Serve is Run with /metrics and /healthz ([Handler]) served on ln for as
// long as the service consumes. A serving error stops the service and is
// returned; when ctx ends the HTTP server shuts down gracefully while the
// service drains. Serve closes ln.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error { return s.run(ctx, ln) }

// Start runs the service in the background (Serve on ln when ln is not
// nil, else Run) and returns once it is ready, or with Run's error if it
// stops first. stop cancels it, waits for the drain and returns Run's
// error.
func (s *Service) Start(ctx context.Context, ln net.Listener) (stop func() error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, ln) }()
	select {
	case <-s.ready:
	case err := <-done:
		cancel()
		return nil, err
	}
	return func() error { cancel(); return <-done }, nil
}

func (s *Service) run(ctx context.Context, ln net.Listener) error {
	if ln != nil {
		defer ln.Close() // in case serving never started
	}
	consumed, err := s.consumed(ctx)
	if err != nil {
		return err
	}
	s.reader = kafka.NewReader(kafka.ReaderConfig{
		Brokers: s.cfg.Brokers, GroupID: s.cfg.Group, GroupTopics: consumed,
		Dialer: topics.Dialer(s.cfg.TLS, s.cfg.SASL), MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 100 * time.Millisecond,
		CommitInterval: s.cfg.CommitInterval, SessionTimeout: s.cfg.SessionTimeout,
		HeartbeatInterval: s.cfg.SessionTimeout / 5, RebalanceTimeout: s.cfg.SessionTimeout,
		JoinGroupBackoff: 500 * time.Millisecond, StartOffset: kafka.FirstOffset,
		ReadBackoffMin: 20 * time.Millisecond, ReadBackoffMax: 500 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(f string, a ...any) { s.cfg.Logger.Debug("kafka reader: " + fmt.Sprintf(f, a...)) }),
	})
	s.writer = topics.NewWriter(s.cfg.Brokers, s.cfg.TLS, s.cfg.SASL)

	// work is the context of processing: not cancelled by ctx, so fetched
	// messages finish during a drain; cancelled when the drain times out.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	s.work = new(errgroup.Group)
	g, gctx := errgroup.WithContext(ctx)
	if ln != nil {
		serveHTTP(g, gctx, ln, Handler(s))
	}
	g.Go(func() error {
		err := s.fetch(gctx, work)
		s.running.Store(false)
		s.cfg.Logger.Info("draining")
		t := time.AfterFunc(drainTimeout, func() {
			s.cfg.Logger.Warn("drain timed out; unfinished messages will be redelivered after a restart", "after", drainTimeout)
			stopWork()
		})
		defer t.Stop()
		_ = s.work.Wait() // workers and retrainings log their errors and return nil
		return err
	})
	err = g.Wait()
	// Closing the reader commits pending offsets and leaves the group.
	return errors.Join(err, s.reader.Close(), s.writer.Close())
}

// serveHTTP serves h on ln in g until gctx ends, then shuts the server down
// gracefully. A serving error ends the group.
func serveHTTP(g *errgroup.Group, gctx context.Context, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("live: serving %s: %w", ln.Addr(), err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	})
}

// fetch hands fetched messages to one worker per partition until ctx ends
// or fetching fails. One goroutine per partition keeps each partition in
// order, so an offset is committed only when everything before it is
// stored. The workers run in s.work on the work context; fetch closes
// their queues when it returns, and they finish what was queued.
func (s *Service) fetch(ctx, work context.Context) error {
	type key struct {
		topic string
		part  int
	}
	queues := map[key]chan kafka.Message{}
	defer func() {
		s.cfg.Logger.Info("stopped fetching", "partitions", len(queues))
		for _, q := range queues {
			close(q)
		}
	}()
	s.running.Store(true)
	s.once.Do(func() { close(s.ready) })
	for {
		m, err := s.reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("live: fetch: %w", err)
		}
		k := key{m.Topic, m.Partition}
		q, ok := queues[k]
		if !ok {
			q = make(chan kafka.Message, 256)
			queues[k] = q
			w := newWorker(s)
			s.work.Go(func() error { w.run(work, q); return nil })
		}
		select {
		case q <- m:
		case <-ctx.Done():
			// m is not handed over: neither it nor anything after it in
			// its partition is committed, so it comes back after a restart.
			return nil
		}
	}
}

// storePolicy paces retries of store operations and of whole messages: a
// store that restarts (MariaDB, a Cassandra node) is waited for.
var storePolicy = retry.Policy{Initial: 50 * time.Millisecond, Max: 2 * time.Second}

// publishPolicy paces retries of a produce request that the writer's own
// retries gave up on (a broker restart).
var publishPolicy = retry.Policy{Initial: 100 * time.Millisecond, Max: 2 * time.Second}

// publish writes messages, retrying until they are acknowledged or work
// ends: a decision must not be lost between the store and the topic.
func (s *Service) publish(ctx context.Context, msgs ...kafka.Message) error {
	return retry.Do(ctx, publishPolicy, func() error { return s.writer.WriteMessages(ctx, msgs...) },
		retry.OnRetry(func(_ int, err error, _ time.Duration) { s.cfg.Logger.Warn("publish failed; retrying", "err", err) }))
}

// retry runs a store operation until it succeeds, fails for good (not
// found, version exists) or ctx ends: a store that is restarting (MariaDB, a
// Cassandra node) stalls the partition instead of losing the message.
func (s *Service) retry(ctx context.Context, what string, f func() error) error {
	return s.retryUntil(ctx, what, f, func(err error) bool {
		return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrVersionExists)
	})
}

// retryUntil runs f with storePolicy's backoff until it succeeds, final(err)
// holds or ctx ends. Each retry counts in StoreRetries: every failure it
// retries comes from a store.
func (s *Service) retryUntil(ctx context.Context, what string, f func() error, final func(error) bool) error {
	return retry.Do(ctx, storePolicy, f, retry.Permanent(final), retry.OnRetry(func(attempt int, err error, wait time.Duration) {
		s.cfg.Stats.StoreRetries.Inc()
		s.cfg.Logger.Warn("failed; retrying", "op", what, "err", err, "attempt", attempt, "wait", wait)
	}))
}
