package live

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
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
	// Topics.PerUser is set. Empty (the default): every per-user feature
	// topic on the brokers, looked for again every TopicRefresh so that
	// users enrolled later are consumed (subscribe.go).
	Users []string
	// CreateUserTopics, when set, creates the feature topics of users (in
	// the per-user design, Users empty): at the start and every
	// TopicRefresh the service asks the profile store for the users with a
	// model and creates the topics they lack. nil: an admin creates them.
	// live/deploy sets it.
	CreateUserTopics func(ctx context.Context, users []string) error
	// TopicRefresh is how often the per-user topics are looked for
	// (default 10 s).
	TopicRefresh time.Duration
	Group        string // consumer group, default topics.DefaultGroup

	Profiles    store.Profiles    // required
	Credentials store.Credentials // required
	// Keys open the sealed logins and seal the stored session keys;
	// required (live/deploy keeps them in the state folder).
	Keys Keys
	// ClientCAs verify the client identities that sign the logins (see
	// identity.go); default TLS.RootCAs, the CA the scorer trusts for the
	// brokers. With neither, every login is dead-lettered (never the
	// system's roots).
	ClientCAs *x509.CertPool

	// The decision rule is not configured here: each user's model records
	// the policy it was enrolled with (decision.go).
	NumFeatures int // values per vector, default len(preprocess.FeatureNames)
	Lockout     Lockout
	Retrain     RetrainPolicy
	// Budget bounds the argon2id checks logins cost (budget.go).
	Budget LoginBudget
	// ModelCacheBytes bounds the decoded models kept in memory (their
	// estimated size); the least recently used are evicted beyond it.
	// Default DefaultModelCacheBytes.
	ModelCacheBytes int64

	// CommitInterval batches offset commits (default 500 ms). A message's
	// offset is handed to the committer only once it is finished (its
	// decision stored and published, or it was dead-lettered), so a crash
	// redelivers at most this much, which the idempotent store absorbs.
	CommitInterval time.Duration
	// SessionTimeout is the consumer group session timeout (default 10 s):
	// how long a killed instance's partitions wait before reassignment. It
	// is also the group's rebalance timeout; a partition whose generation
	// ended gets half of it to finish its fetched messages.
	SessionTimeout time.Duration

	// MaxAttempts bounds the attempts at processing one message while the
	// store answers (default 10, about 5 s with the backoff): a message
	// whose own processing keeps failing (a panic, a row the store refuses,
	// a model that does not load) is then dead-lettered, so it never
	// blocks its partition for good. While the store or the broker is down
	// (their probes fail) or the disk is full, attempts are not counted:
	// the partition stalls, health says so, and nothing is dead-lettered.
	MaxAttempts int
	// StallAfter is how long a partition's batch may be in progress before
	// health reports the partition stalled, and how long a rebalance may
	// last before health reports the consumer (default 10 s).
	StallAfter time.Duration
	// HealthInterval paces the store, broker and disk probes (default 5 s).
	HealthInterval time.Duration
	// StateDir is the folder whose file system must keep MinFreeBytes free
	// (the embedded database and broker data); empty: no free-space check.
	StateDir     string
	MinFreeBytes uint64                           // default 256 MiB
	FreeSpace    func(dir string) (uint64, error) // default: statfs

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
	if c.ClientCAs == nil {
		c.ClientCAs = c.TLS.RootCAs // nil still: every login is refused (identity.go)
	}
	c.Lockout.defaults()
	c.Budget.defaults()
	if c.Topics.Logins == "" {
		per := c.Topics.PerUser
		c.Topics = topics.Default()
		c.Topics.PerUser = per
	}
	if c.Group == "" {
		c.Group = topics.DefaultGroup
	}
	if c.NumFeatures == 0 {
		c.NumFeatures = preprocess.NumFeatures
	}
	if err := c.Retrain.defaults(); err != nil {
		return err
	}
	if c.ModelCacheBytes == 0 {
		c.ModelCacheBytes = DefaultModelCacheBytes
	}
	if c.ModelCacheBytes < 0 {
		return fmt.Errorf("live: model cache bound %d bytes < 0", c.ModelCacheBytes)
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = 500 * time.Millisecond
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 10
	}
	if c.MaxAttempts < 1 {
		return fmt.Errorf("live: max attempts %d < 1", c.MaxAttempts)
	}
	if c.StallAfter == 0 {
		c.StallAfter = 10 * time.Second
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = 5 * time.Second
	}
	if c.TopicRefresh == 0 {
		c.TopicRefresh = 10 * time.Second
	}
	if c.StallAfter < 0 || c.HealthInterval < 0 || c.SessionTimeout < 0 || c.CommitInterval < 0 || c.TopicRefresh < 0 {
		return errors.New("live: negative durations in the configuration")
	}
	if c.MinFreeBytes == 0 {
		c.MinFreeBytes = 256 << 20
	}
	if c.FreeSpace == nil {
		c.FreeSpace = freeSpace
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
	health  *health
	running atomic.Bool
	ready   chan struct{} // closed when the first generation of the group starts
	once    sync.Once     // closes ready
	// retrainer queues and runs the retrainings.
	retrainer *retrainer
	// sealer seals the session keys kept in the profile store; routes
	// knows the consumed topics' partition counts (made on first use).
	sealer     *keySealer
	routes     *router
	routesOnce sync.Once
	// fresh hands the sessions the logins created to the vector workers.
	fresh *freshSessions
	// first holds the first factor's budgets, check pool and backoffs.
	first *firstFactor
	// identities remembers the client certificates verified.
	identities *identities
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
	s := &Service{cfg: cfg, ready: make(chan struct{}), sealer: sealer, health: newHealth(cfg.Now()), fresh: newFreshSessions(),
		identities: newIdentities(), first: newFirstFactor(&cfg)}
	s.models = newModelCache(cfg.Profiles, cfg.Stats, cfg.Now, cfg.ModelCacheBytes, maxModelLoads())
	s.models.logger = cfg.Logger
	s.retrainer = newRetrainer(s)
	return s, nil
}

// maxModelLoads bounds the models loaded at once: decoding is CPU work, and
// more loads than twice the cores only queue in the scheduler.
func maxModelLoads() int { return 2 * runtime.GOMAXPROCS(0) }

// Stats returns the service's counters.
func (s *Service) Stats() *Stats { return s.cfg.Stats }

// Ready is closed once the service consumes: it joined the consumer group
// and its first generation's partitions (possibly none, when the group has
// more members than partitions) are assigned. It is never closed if Run
// fails before that; wait on Run's result beside it (as [Service.Start]
// does).
func (s *Service) Ready() <-chan struct{} { return s.ready }

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
	sub := &subscription{topics: consumed}
	if _, err := sub.renew(s); err != nil {
		return fmt.Errorf("live: consumer group: %w", err)
	}
	s.writer = topics.NewWriter(s.cfg.Brokers, s.cfg.TLS, s.cfg.SASL)

	// work is the context of processing: not cancelled by ctx, so fetched
	// messages finish during a drain; cancelled when the drain times out.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	g, gctx := errgroup.WithContext(ctx)
	if ln != nil {
		serveHTTP(g, gctx, ln, Handler(s))
	}
	g.Go(func() error { s.probe(gctx, sub.current); return nil })
	if s.followsTopics() {
		g.Go(func() error { s.watchTopics(gctx, sub); return nil })
	}
	for range cap(s.models.sem) {
		g.Go(func() error { s.models.prefetcher(gctx); return nil })
	}
	for range s.cfg.Retrain.Workers {
		g.Go(func() error { s.retrainer.run(gctx); return nil })
	}
	drained := make(chan struct{})
	// When gctx ends: leave the group once the partitions drained (Close
	// waits for them), and bound the drain.
	stopDrain := context.AfterFunc(gctx, func() {
		s.cfg.Logger.Info("draining")
		go func() { _ = sub.close() }()
		t := time.NewTimer(drainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			s.cfg.Logger.Warn("drain timed out; unfinished messages will be redelivered after a restart", "after", drainTimeout)
			stopWork()
		case <-drained:
		}
	})
	defer stopDrain()
	g.Go(func() error {
		s.running.Store(true)
		err := s.consumeAll(gctx, work, sub)
		s.running.Store(false)
		close(drained)
		return err
	})
	err = g.Wait()
	// Closing the group leaves it (the partitions committed what they
	// finished when their generation ended).
	return errors.Join(err, sub.close(), s.writer.Close())
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

// storePolicy paces retries of store operations and of whole messages: a
// store that restarts (MariaDB, a Cassandra node) is waited for.
var storePolicy = retry.Policy{Initial: 50 * time.Millisecond, Max: 2 * time.Second}

// publishPolicy paces retries of a produce request that the writer's own
// retries gave up on (a broker restart).
var publishPolicy = retry.Policy{Initial: 100 * time.Millisecond, Max: 2 * time.Second}

// publish writes messages, retrying until they are acknowledged, refused
// for good ([refusedForGood]: no retry can make the broker take them) or
// ctx ends: a decision must not be lost between the store and the topic.
// A broker that is down stalls the partition, and health says so.
func (s *Service) publish(ctx context.Context, msgs ...kafka.Message) error {
	return retry.Do(ctx, publishPolicy, func() error { return s.writer.WriteMessages(ctx, msgs...) },
		retry.Permanent(refusedForGood),
		retry.OnRetry(func(attempt int, err error, wait time.Duration) {
			s.noteRetry(ctx, "publish", err)
			s.cfg.Logger.Warn("publish failed; retrying", "err", err, "attempt", attempt, "wait", wait)
		}))
}

// refusedForGood reports whether a produce error is about the messages
// themselves (too large for the writer or the broker, an invalid record),
// which no retry cures, rather than about the broker's availability.
func refusedForGood(err error) bool {
	var tooLarge kafka.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return true
	}
	var each kafka.WriteErrors
	if errors.As(err, &each) {
		for _, e := range each {
			if e != nil && refusedForGood(e) {
				return true
			}
		}
		return false
	}
	for _, code := range []kafka.Error{kafka.MessageSizeTooLarge, kafka.RecordListTooLarge, kafka.InvalidMessageSize, kafka.InvalidRecord} {
		if errors.Is(err, code) {
			return true
		}
	}
	return false
}

// noteRetry records a retried failure for health: against the partition
// whose message it delays, and as a full disk when it says so.
func (s *Service) noteRetry(ctx context.Context, what string, err error) {
	if p := partOf(ctx); p != nil {
		p.retrying(fmt.Errorf("%s: %w", what, err))
	}
	if diskFull(err) {
		s.health.disk.fail(s.cfg.Now(), fmt.Errorf("%s: %w", what, err))
	}
}

// retry runs a store operation until it succeeds, fails for good (not
// found, version exists) or ctx ends: a store that is restarting (MariaDB, a
// Cassandra node) stalls the partition instead of losing the message.
func (s *Service) retry(ctx context.Context, what string, f func() error) error {
	return s.retryUntil(ctx, what, f, func(err error) bool {
		return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrVersionExists)
	})
}

// unprocessableError says that an operation of one message failed
// MaxAttempts times while the store answered its probe: the message, not
// the store, is the problem, and it goes to the dead-letter topic.
type unprocessableError struct {
	what     string
	attempts int
	err      error
}

func (e *unprocessableError) Error() string {
	return fmt.Sprintf("%s failed %d times while the store answers: %v", e.what, e.attempts, e.err)
}

func (e *unprocessableError) Unwrap() error { return e.err }

// retryUntil runs f with storePolicy's backoff until it succeeds, final(err)
// holds or ctx ends. Each retry counts in StoreRetries and is reported
// against the message's partition (health). While processing a message
// (ctx carries its partition), an operation that failed MaxAttempts times
// although the store answers its probe, and fails again right after that
// probe, ends with an *unprocessableError; a store that does not answer,
// or a full disk, is waited for without limit.
func (s *Service) retryUntil(ctx context.Context, what string, f func() error, final func(error) bool) error {
	return s.retryAttempts(ctx, what, s.cfg.MaxAttempts, f, final)
}

// retryAttempts is retryUntil with maxAttempts in place of MaxAttempts
// (a batch's write gives up sooner and is split instead).
func (s *Service) retryAttempts(ctx context.Context, what string, maxAttempts int, f func() error, final func(error) bool) error {
	inMessage := partOf(ctx) != nil
	failures, full := 0, false
	op := func() error {
		err := f()
		if err == nil || final(err) {
			return err
		}
		failures++
		full = full || diskFull(err)
		if inMessage && failures >= maxAttempts && !diskFull(err) && s.storeUp(ctx) == nil {
			if err = f(); err == nil || final(err) {
				return err
			}
			return &unprocessableError{what: what, attempts: failures + 1, err: err}
		}
		return err
	}
	var unprocessable *unprocessableError
	err := retry.Do(ctx, storePolicy, op, retry.Permanent(func(err error) bool { return final(err) || errors.As(err, &unprocessable) }),
		retry.OnRetry(func(attempt int, err error, wait time.Duration) {
			s.cfg.Stats.StoreRetries.Inc()
			s.noteRetry(ctx, what, err)
			s.cfg.Logger.Warn("failed; retrying", "op", what, "err", err, "attempt", attempt, "wait", wait)
		}))
	if full && (err == nil || final(err)) {
		s.health.disk.pass() // the write that found the disk full went through
	}
	return err
}
