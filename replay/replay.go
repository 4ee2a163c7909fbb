package replay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/stat"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
)

// Config configures [Run].
type Config struct {
	Brokers []string
	TLS     *tls.Config  // the replaying client's certificate; required
	Topics  topics.Names // default topics.Default()
	// SASL authenticates the client on a SASL_SSL listener (the embedded
	// broker; topics.SASL); nil on an mTLS-principal listener.
	SASL sasl.Mechanism
	// ScorerKey is the scorer's public key, which logins are sealed to;
	// required. `mouseauth live serve` writes it to its state folder
	// (scorer-hpke.pub).
	ScorerKey *wire.PublicKey
	// Speed replays the recorded timing Speed times faster (default 1).
	// Ignored when Interval is set.
	Speed float64
	// Interval sends one vector every Interval per session instead of the
	// recorded timing (the enterprise design's rate, 10 per 5 s, is 500 ms).
	// Negative sends as fast as the service accepts.
	Interval time.Duration
	// Stagger is the pause between successive logins (default 10 ms).
	Stagger time.Duration
	// LoginsFirst logs every session in before any sends a vector; the
	// sessions' schedules then start together, Stagger apart. A load test
	// sets it to measure its vector rate apart from the burst of logins
	// at its start, which otherwise delays the first vectors of the
	// sessions logged in last.
	LoginsFirst bool
	// Wait bounds the wait for outstanding decisions after the last vector
	// is sent, and for each login's answer (default 60 s).
	Wait time.Duration
	// Progress, when set, is called about once a second.
	Progress func(sent, decided int64)
	// Identity signs the logins (wire format 3): the client identity of
	// TLS's certificate unless set. Its binding says where the decisions
	// come: the shared topic for an identity bound to every user (the
	// shared replay identity), the identity's own topic otherwise
	// (topics.Names.DecisionsFor), unless Topics.Decisions names another.
	Identity *wire.ClientSigner
	// Logger receives restarts of the decision readers (default discard).
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("replay: no brokers")
	}
	if c.TLS == nil {
		return errors.New("replay: a TLS configuration is required")
	}
	if c.ScorerKey == nil {
		return errors.New("replay: the scorer's public key is required: logins are sealed to it")
	}
	if c.Topics.Logins == "" {
		per := c.Topics.PerUser
		c.Topics = topics.Default()
		c.Topics.PerUser = per
	}
	if len(c.TLS.Certificates) == 0 {
		return errors.New("replay: the TLS configuration has no client certificate")
	}
	if c.Identity == nil {
		var err error
		if c.Identity, err = wire.NewClientSigner(c.TLS.Certificates[0]); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	if c.Topics.Decisions == topics.Decisions {
		leaf := c.TLS.Certificates[0].Leaf
		if leaf == nil {
			var err error
			if leaf, err = x509.ParseCertificate(c.TLS.Certificates[0].Certificate[0]); err != nil {
				return fmt.Errorf("replay: client certificate: %w", err)
			}
		}
		b, err := pki.BindingOf(leaf)
		if err != nil {
			return fmt.Errorf("replay: the client certificate is no client identity (issue one with 'mouseauth pki bundle'): %w", err)
		}
		if !b.AnyUser {
			c.Topics.Decisions = c.Topics.DecisionsFor(c.Identity.Name())
		}
	}
	if c.Speed <= 0 {
		c.Speed = 1
	}
	if c.Stagger == 0 {
		c.Stagger = 10 * time.Millisecond
	}
	if c.Wait <= 0 {
		c.Wait = 60 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Summary describes a latency sample in milliseconds.
type Summary struct {
	N                             int
	Mean, Std, Min, P50, P99, Max float64
}

// Summarize computes a Summary of durations.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	x := make([]float64, len(d))
	for i, v := range d {
		x[i] = float64(v) / float64(time.Millisecond)
	}
	sort.Float64s(x)
	mean, std := stat.MeanStdDev(x, nil)
	if len(x) < 2 {
		std = 0
	}
	return Summary{N: len(x), Mean: mean, Std: std, Min: x[0], Max: x[len(x)-1],
		P50: stat.Quantile(0.5, stat.Empirical, x, nil), P99: stat.Quantile(0.99, stat.Empirical, x, nil)}
}

// SessionResult is what happened to one replayed session.
type SessionResult struct {
	User, LoginAs, ID string
	Impostor          bool
	LoginAccepted     bool
	LoginReason       string
	Sent, Decided     int
	Rejected          int // decisions below the threshold
	// Forged counts decisions of this session whose MAC did not verify
	// under its session key: forged or tampered with, and ignored.
	Forged int
	// FirstAlert is the number of actions sent when the alert came (the
	// alerting action's seq + 1), or 0 when no alert was raised.
	FirstAlert int
}

// Result is the outcome of a replay.
type Result struct {
	Sessions   []SessionResult
	Users      int
	Sent       int64 // vectors sent
	Decided    int64 // distinct vectors decided
	Duplicates int64 // decisions received again (redeliveries)
	// Forged counts decisions naming a replayed session whose MAC did not
	// verify: ignored, as a client must.
	Forged  int64
	Logins  int
	Refused int // logins refused
	// Alerts by the session's kind.
	GenuineAlerts, ImpostorAlerts     int
	GenuineSessions, ImpostorSessions int
	Latency                           Summary // send to decision received
	// LoginLatency is each login's send to its answer received.
	LoginLatency Summary
	// FirstSent is when the first vector was sent; LastLoginAnswer when
	// the last login's answer came (with LoginsFirst, not after FirstSent).
	FirstSent, LastLoginAnswer time.Time
	Service                    Summary // the service's own time per vector
	Elapsed                    time.Duration
	// Span runs from the first vector sent to the last decision received.
	Span       time.Duration
	Throughput float64 // decisions per second over Span
}

// Run replays sessions concurrently and waits for every decision (or
// cfg.Wait after the last send). Decisions are read from the decision topic
// from its end offsets when Run starts, so a replay counts only its own.
// The first session that fails (its login or a vector cannot be sent, or
// its login gets no answer within cfg.Wait) stops the others; Run then
// returns what was collected with the error.
func Run(ctx context.Context, cfg Config, sessions []Session) (Result, error) {
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	start := time.Now()
	col, err := newCollector(sessions)
	if err != nil {
		return Result{}, err
	}
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: topics.Transport(cfg.TLS, cfg.SASL), Timeout: 15 * time.Second}
	topic := cfg.Topics.Decisions
	ends, err := endOffsets(ctx, cfg, client, topic)
	if err != nil {
		return Result{}, err
	}

	// The background group: one reader per partition of the decision
	// topic, and the progress ticker. Stopped and waited for before Run
	// returns.
	readCtx, stopReading := context.WithCancel(ctx)
	bg, bgctx := errgroup.WithContext(readCtx)
	stopBackground := func() { stopReading(); _ = bg.Wait() }
	defer stopBackground()
	maps.Copy(col.pos, ends) // before the readers start
	for p, from := range ends {
		bg.Go(func() error { return col.read(bgctx, cfg, p, from) })
	}
	var sent atomic.Int64
	if cfg.Progress != nil {
		bg.Go(func() error {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					cfg.Progress(sent.Load(), col.nDecided.Load())
				case <-bgctx.Done():
					return nil
				}
			}
		})
	}

	w := topics.NewWriter(cfg.Brokers, cfg.TLS, cfg.SASL)
	defer w.Close()
	errs := []error{send(ctx, cfg, w, col, sessions, &sent)}
	if errs[0] == nil {
		errs = append(errs, awaitDecisions(ctx, cfg, client, col, sent.Load()))
	}
	stopBackground() // Progress is never called twice at once
	if cfg.Progress != nil {
		cfg.Progress(sent.Load(), col.nDecided.Load())
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	r := Result{Users: col.users, Sent: sent.Load(), Decided: col.nDecided.Load(), Duplicates: col.dups.Load(), Forged: col.forged.Load(),
		Latency: col.latency.Summary(), LoginLatency: col.loginLatency.Summary(), Service: col.service.Summary(),
		FirstSent: col.firstSend, LastLoginAnswer: col.lastLogin, Elapsed: time.Since(start)}
	for _, s := range sessions {
		sr := *col.perSess[s.ID]
		r.Sessions = append(r.Sessions, sr)
		r.Logins++
		if !sr.LoginAccepted {
			r.Refused++
		}
		if sr.Impostor {
			r.ImpostorSessions++
			if sr.FirstAlert > 0 {
				r.ImpostorAlerts++
			}
		} else {
			r.GenuineSessions++
			if sr.FirstAlert > 0 {
				r.GenuineAlerts++
			}
		}
	}
	if !col.firstSend.IsZero() && col.lastDecided.After(col.firstSend) {
		r.Span = col.lastDecided.Sub(col.firstSend)
		r.Throughput = float64(r.Decided) / r.Span.Seconds()
	}
	return r, errors.Join(append(errs, ctx.Err())...)
}

// send plays the sessions, cfg.Stagger apart, each in its own goroutine:
// a session logs in, then sends its vectors on its schedule. With
// cfg.LoginsFirst every session logs in first, and the schedules start
// together once every login is answered.
func send(ctx context.Context, cfg Config, w *kafka.Writer, col *collector, sessions []Session, sent *atomic.Int64) error {
	if !cfg.LoginsFirst {
		return staggered(ctx, cfg.Stagger, len(sessions), func(ctx context.Context, i int) error {
			key, ok, err := login(ctx, cfg, w, col, sessions[i])
			if err != nil || !ok {
				return err
			}
			return play(ctx, cfg, w, col, sessions[i], key, time.Now(), sent)
		})
	}
	keys := make([]*wire.SessionKey, len(sessions)) // nil: refused
	if err := staggered(ctx, cfg.Stagger, len(sessions), func(ctx context.Context, i int) error {
		key, ok, err := login(ctx, cfg, w, col, sessions[i])
		if ok {
			keys[i] = &key
		}
		return err
	}); err != nil {
		return err
	}
	begin := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range sessions {
		if keys[i] == nil {
			continue
		}
		g.Go(func() error {
			return play(gctx, cfg, w, col, s, *keys[i], begin.Add(time.Duration(i)*cfg.Stagger), sent)
		})
	}
	return g.Wait()
}

// staggered runs f for 0 to n-1, each in its own goroutine, started stagger
// apart, and returns the first error; that error stops the others.
func staggered(ctx context.Context, stagger time.Duration, n int, f func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	for i := range n {
		if i > 0 && stagger > 0 && retry.Sleep(gctx, stagger) != nil {
			break
		}
		g.Go(func() error { return f(gctx, i) })
	}
	return g.Wait()
}

// awaitDecisions waits, for up to cfg.Wait, until every vector sent is
// decided, and then until the readers have read the decision topic up to
// its end offsets as they are then: decisions published before the last
// one arrived (redeliveries republished after a restart) are counted as
// duplicates, with no fixed sleep.
func awaitDecisions(ctx context.Context, cfg Config, client *kafka.Client, col *collector, sent int64) error {
	wctx, cancel := context.WithTimeout(ctx, cfg.Wait)
	defer cancel()
	if err := col.await(wctx, func() bool { return col.nDecided.Load() >= sent }); err != nil {
		if ctx.Err() != nil {
			return nil // Run reports ctx's error
		}
		return fmt.Errorf("replay: %d of %d vectors got no decision within %v", sent-col.nDecided.Load(), sent, cfg.Wait)
	}
	topic := cfg.Topics.Decisions
	ends, err := endOffsets(wctx, cfg, client, topic)
	if err != nil {
		return err
	}
	if err := col.await(wctx, func() bool { return col.reached(ends) }); err != nil && ctx.Err() == nil {
		return fmt.Errorf("replay: every decision came, but reading %s to its end offsets %v took longer than %v", topic, ends, cfg.Wait)
	}
	return nil
}

// login logs session s in and waits for the answer: ok is whether it was
// accepted, key the session key that MACs its vectors and checks its
// decisions. The login is sealed to the scorer's key with that fresh key.
func login(ctx context.Context, cfg Config, w *kafka.Writer, col *collector, s Session) (key wire.SessionKey, ok bool, err error) {
	now := time.Now()
	sealed, key, err := wire.SealLogin(cfg.ScorerKey, wire.Login{User: s.LoginAs, Session: s.ID, Password: s.Password, Sent: now}, cfg.Identity)
	if err != nil {
		return key, false, fmt.Errorf("session %s: seal login: %w", s.ID, err)
	}
	col.setKey(s.ID, key)
	// A resend after a write error sends these same bytes (write retries
	// the message): a new seal would carry another session key.
	if err := write(ctx, cfg, w, kafka.Message{Topic: cfg.Topics.Logins, Key: []byte(s.LoginAs), Value: sealed}); err != nil {
		return key, false, fmt.Errorf("session %s: send login: %w", s.ID, err)
	}
	var ans wire.Decision
	timeout := time.NewTimer(cfg.Wait)
	defer timeout.Stop()
	select {
	case ans = <-col.logins[s.ID]:
	case <-timeout.C:
		return key, false, fmt.Errorf("session %s: no answer to the login within %v", s.ID, cfg.Wait)
	case <-ctx.Done():
		return key, false, ctx.Err()
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	sr := col.perSess[s.ID]
	sr.LoginAccepted, sr.LoginReason = ans.Accept, ans.Reason
	col.lastLogin = time.Now()
	col.loginLatency.Add(col.lastLogin.Sub(now))
	return key, ans.Accept, nil
}

// play sends the vectors of the logged-in session s on their schedule from
// begin, each MACed with key.
func play(ctx context.Context, cfg Config, w *kafka.Writer, col *collector, s Session, key wire.SessionKey, begin time.Time, sent *atomic.Int64) error {
	col.mu.Lock()
	sr := col.perSess[s.ID]
	col.mu.Unlock()
	topic := cfg.Topics.FeaturesFor(s.LoginAs)
	buf := make([]byte, 0, 512)
	var err error
	for i, v := range s.Vectors {
		var due time.Duration
		switch {
		case cfg.Interval > 0:
			due = time.Duration(i) * cfg.Interval
		case cfg.Interval == 0:
			due = time.Duration(float64(v.At) / cfg.Speed)
		}
		// The schedule, not a synchronisation: wait until the vector is due.
		if err := retry.Sleep(ctx, time.Until(begin.Add(due))); err != nil {
			return err
		}
		buf, err = wire.SignVector(buf[:0], wire.Vector{User: s.LoginAs, Session: s.ID, Seq: int64(i), Sent: time.Now(), Values: v.Values}, key)
		if err != nil {
			return fmt.Errorf("session %s: vector %d: %w", s.ID, i, err)
		}
		msg := kafka.Message{Topic: topic, Key: []byte(s.LoginAs), Value: append([]byte(nil), buf...)}
		if err := write(ctx, cfg, w, msg); err != nil {
			return fmt.Errorf("session %s: send vector %d: %w", s.ID, i, err)
		}
		sent.Add(1)
		col.mu.Lock()
		sr.Sent++
		if col.firstSend.IsZero() {
			col.firstSend = time.Now()
		}
		col.mu.Unlock()
	}
	return nil
}

// writePolicy paces resending a message that the writer's own retries gave
// up on: a broker restart delays a replay but does not end it.
var writePolicy = retry.Policy{Initial: 50 * time.Millisecond, Max: time.Second}

// write sends m, retrying for up to cfg.Wait.
func write(ctx context.Context, cfg Config, w *kafka.Writer, m kafka.Message) error {
	p := writePolicy
	p.MaxElapsed = cfg.Wait
	return retry.Do(ctx, p, func() error { return w.WriteMessages(ctx, m) })
}

// endOffsets returns the end offset of every partition of topic, retrying
// for up to cfg.Wait (a broker that restarts answers errors for a moment).
func endOffsets(ctx context.Context, cfg Config, client *kafka.Client, topic string) (ends map[int]int64, err error) {
	p := writePolicy
	p.MaxElapsed = cfg.Wait
	err = retry.Do(ctx, p, func() (err error) { ends, err = listEnds(ctx, client, topic); return err },
		retry.Permanent(func(err error) bool {
			return errors.Is(err, errNoTopic) || errors.Is(err, kafka.UnknownTopicOrPartition)
		}))
	return ends, err
}

var errNoTopic = errors.New("missing")

func listEnds(ctx context.Context, client *kafka.Client, topic string) (map[int]int64, error) {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("replay: metadata of %s: %w", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		e := errNoTopic
		if len(md.Topics) == 1 {
			e = md.Topics[0].Error
		}
		return nil, fmt.Errorf("replay: topic %s: %w", topic, e)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range md.Topics[0].Partitions {
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p.ID))
	}
	offs, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("replay: offsets of %s: %w", topic, err)
	}
	ends := map[int]int64{}
	for _, po := range offs.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("replay: offset of %s/%d: %w", topic, po.Partition, po.Error)
		}
		ends[po.Partition] = po.LastOffset
	}
	return ends, nil
}

// readerPolicy paces restarts of a decision reader that failed.
var readerPolicy = retry.Policy{Initial: 50 * time.Millisecond, Max: 2 * time.Second}

// read reads partition of the decision topic from offset from into c until
// ctx ends, restarting the reader where it stopped when it fails.
func (c *collector) read(ctx context.Context, cfg Config, partition int, from int64) error {
	next := from
	err := retry.Do(ctx, readerPolicy, func() error {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, Topic: cfg.Topics.Decisions, Partition: partition,
			Dialer: topics.Dialer(cfg.TLS, cfg.SASL), MinBytes: 1, MaxBytes: 8 << 20, MaxWait: topics.FetchMaxWait, // not shorter: see its comment
			ReadBackoffMin: 10 * time.Millisecond, ReadBackoffMax: 200 * time.Millisecond})
		defer r.Close()
		if err := r.SetOffset(next); err != nil {
			return err
		}
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				return err
			}
			next = m.Offset + 1
			c.receive(partition, next, m.Value, time.Now())
		}
	}, retry.Permanent(func(error) bool { return ctx.Err() != nil }),
		retry.OnRetry(func(_ int, err error, wait time.Duration) {
			cfg.Logger.Warn("replay: decision reader failed; restarting it", "topic", cfg.Topics.Decisions, "partition", partition, "offset", next, "err", err, "wait", wait)
		}))
	if ctx.Err() != nil {
		return nil // stopped
	}
	return err
}
