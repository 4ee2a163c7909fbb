package live

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

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
	// Users lists the users whose feature topics are consumed when
	// Topics.PerUser is set (default: every user with a model).
	Users []string
	Group string // consumer group, default topics.DefaultGroup

	Profiles    store.Profiles    // required
	Credentials store.Credentials // required

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
	bg      sync.WaitGroup // retrainings
}

// New validates cfg and returns a service; Run starts it.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg}
	s.models = newModelCache(cfg.Profiles, func() { cfg.Stats.ModelLoads.Inc() })
	return s, nil
}

// Stats returns the service's counters.
func (s *Service) Stats() *Stats { return s.cfg.Stats }

// Healthy reports whether the consume loop is running.
func (s *Service) Healthy() bool { return s.running.Load() }

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

// Run consumes until ctx is cancelled, then drains: messages already
// fetched are finished, their offsets committed, the group left and the
// producers flushed. It returns nil after a drain caused by ctx.
func (s *Service) Run(ctx context.Context) error {
	consumed, err := s.consumed(ctx)
	if err != nil {
		return err
	}
	s.reader = kafka.NewReader(kafka.ReaderConfig{
		Brokers: s.cfg.Brokers, GroupID: s.cfg.Group, GroupTopics: consumed,
		Dialer: topics.Dialer(s.cfg.TLS), MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 100 * time.Millisecond,
		CommitInterval: s.cfg.CommitInterval, SessionTimeout: s.cfg.SessionTimeout,
		HeartbeatInterval: s.cfg.SessionTimeout / 5, RebalanceTimeout: s.cfg.SessionTimeout,
		JoinGroupBackoff: 500 * time.Millisecond, StartOffset: kafka.FirstOffset,
		ReadBackoffMin: 20 * time.Millisecond, ReadBackoffMax: 500 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(f string, a ...any) { s.cfg.Logger.Debug("kafka reader: " + fmt.Sprintf(f, a...)) }),
	})
	s.writer = topics.NewWriter(s.cfg.Brokers, s.cfg.TLS)
	s.running.Store(true)
	defer s.running.Store(false)

	// One goroutine per partition keeps each partition in order, so an
	// offset is committed only when everything before it is stored.
	type key struct {
		topic string
		part  int
	}
	workers := map[key]chan kafka.Message{}
	var wg sync.WaitGroup
	// work is the context of processing: not cancelled by ctx, so fetched
	// messages finish during a drain; bounded by the drain timeout.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var fetchErr error
	for {
		m, err := s.reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				fetchErr = err
			}
			break
		}
		k := key{m.Topic, m.Partition}
		ch, ok := workers[k]
		if !ok {
			ch = make(chan kafka.Message, 256)
			workers[k] = ch
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := newWorker(s)
				batch := make([]kafka.Message, 0, maxBatch)
				for m := range ch {
					batch = append(batch[:0], m)
				fill:
					for len(batch) < maxBatch {
						select {
						case m, ok := <-ch:
							if !ok {
								break fill
							}
							batch = append(batch, m)
						default:
							break fill
						}
					}
					w.handleBatch(work, batch)
				}
			}()
		}
		ch <- m
	}
	s.cfg.Logger.Info("draining", "partitions", len(workers))
	for _, ch := range workers {
		close(ch)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); s.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		stopWork()
		<-done
	}
	errs := []error{fetchErr}
	errs = append(errs, s.reader.Close()) // commits pending offsets and leaves the group
	errs = append(errs, s.writer.Close())
	return errors.Join(errs...)
}

// publish writes messages, retrying until they are acknowledged or work
// ends: a decision must not be lost between the store and the topic.
func (s *Service) publish(ctx context.Context, msgs ...kafka.Message) error {
	for {
		err := s.writer.WriteMessages(ctx, msgs...)
		if err == nil || ctx.Err() != nil {
			return err
		}
		s.cfg.Logger.Warn("publish failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
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

// retryUntil runs f with backoff (50 ms doubling to 2 s) until it succeeds,
// final(err) holds or ctx ends. Each retry counts in StoreRetries: every
// failure it retries comes from a store.
func (s *Service) retryUntil(ctx context.Context, what string, f func() error, final func(error) bool) error {
	delay := 50 * time.Millisecond
	for {
		err := f()
		if err == nil || final(err) || ctx.Err() != nil {
			return err
		}
		s.cfg.Stats.StoreRetries.Inc()
		s.cfg.Logger.Warn("failed; retrying", "op", what, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}
