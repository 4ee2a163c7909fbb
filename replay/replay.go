package replay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"gonum.org/v1/gonum/stat"

	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
)

// Config configures [Run].
type Config struct {
	Brokers []string
	TLS     *tls.Config  // the replaying client's certificate; required
	Topics  topics.Names // default topics.Default()
	// Speed replays the recorded timing Speed times faster (default 1).
	// Ignored when Interval is set.
	Speed float64
	// Interval sends one vector every Interval per session instead of the
	// recorded timing (the enterprise design's rate, 10 per 5 s, is 500 ms).
	// Negative sends as fast as the service accepts.
	Interval time.Duration
	// Stagger is the pause between successive logins (default 10 ms).
	Stagger time.Duration
	// Wait bounds the wait for outstanding decisions after the last vector
	// is sent, and for each login's answer (default 60 s).
	Wait time.Duration
	// Progress, when set, is called about once a second.
	Progress func(sent, decided int64)
	// Client names the client address sent with logins (default "replay").
	Client string
}

func (c *Config) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("replay: no brokers")
	}
	if c.TLS == nil {
		return errors.New("replay: a TLS configuration is required")
	}
	if c.Topics.Logins == "" {
		per := c.Topics.PerUser
		c.Topics = topics.Default()
		c.Topics.PerUser = per
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
	if c.Client == "" {
		c.Client = "replay"
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
	Logins     int
	Refused    int // logins refused
	// Alerts by the session's kind.
	GenuineAlerts, ImpostorAlerts     int
	GenuineSessions, ImpostorSessions int
	Latency                           Summary // send to decision received
	Service                           Summary // the service's own time per vector
	Elapsed                           time.Duration
	// Span runs from the first vector sent to the last decision received.
	Span       time.Duration
	Throughput float64 // decisions per second over Span
}

// collector receives decisions and matches them to sent vectors.
type collector struct {
	mu       sync.Mutex
	got      map[string][]bool // per session, by seq: decided already
	logins   map[string]chan wire.Decision
	latency  *Sampler
	service  *Sampler
	perSess  map[string]*SessionResult
	dups     atomic.Int64
	nDecided atomic.Int64
	// firstSend and lastDecided bound the span throughput is measured over.
	firstSend, lastDecided time.Time
}

func (c *collector) receive(d wire.Decision, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.Seq == wire.LoginSeq {
		if ch, ok := c.logins[d.Session]; ok {
			select {
			case ch <- d:
			default:
			}
		}
		return
	}
	sr, ok := c.perSess[d.Session]
	if !ok {
		return // another client's session
	}
	got := c.got[d.Session]
	if d.Seq < 0 || d.Seq >= int64(len(got)) {
		return // not a seq this replay sent
	}
	if got[d.Seq] {
		c.dups.Add(1)
		return
	}
	got[d.Seq] = true
	c.nDecided.Add(1)
	c.lastDecided = now
	sr.Decided++
	if !d.Accept {
		sr.Rejected++
	}
	if d.Alert && sr.FirstAlert == 0 {
		sr.FirstAlert = int(d.Seq) + 1
	}
	if !d.Redelivered {
		c.latency.Add(now.Sub(d.Sent))
		c.service.Add(time.Duration(d.ServiceNanos))
	}
}

// Run replays sessions concurrently and waits for every decision (or
// cfg.Wait after the last send). Decisions are read from the decision topic
// from its end offsets when Run starts, so a replay counts only its own.
func Run(ctx context.Context, cfg Config, sessions []Session) (Result, error) {
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	start := time.Now()
	col := &collector{got: map[string][]bool{}, logins: map[string]chan wire.Decision{}, perSess: map[string]*SessionResult{},
		latency: NewSampler(1), service: NewSampler(2)}
	users := map[string]bool{}
	for _, s := range sessions {
		if _, dup := col.perSess[s.ID]; dup {
			return Result{}, fmt.Errorf("replay: session id %q used twice", s.ID)
		}
		col.perSess[s.ID] = &SessionResult{User: s.User, LoginAs: s.LoginAs, ID: s.ID, Impostor: s.Impostor()}
		col.logins[s.ID] = make(chan wire.Decision, 1)
		col.got[s.ID] = make([]bool, len(s.Vectors))
		users[s.LoginAs] = true
	}
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	readers, err := startReaders(readCtx, cfg, col)
	if err != nil {
		return Result{}, err
	}
	w := topics.NewWriter(cfg.Brokers, cfg.TLS)
	defer w.Close()

	var sent atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, len(sessions))
	progressDone, progressStopped := make(chan struct{}), make(chan struct{})
	if cfg.Progress == nil {
		close(progressStopped)
	} else {
		go func() {
			defer close(progressStopped)
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					cfg.Progress(sent.Load(), col.nDecided.Load())
				case <-progressDone:
					return
				}
			}
		}()
	}
	for i, s := range sessions {
		if i > 0 && cfg.Stagger > 0 {
			select {
			case <-time.After(cfg.Stagger):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := play(ctx, cfg, w, col, s, &sent); err != nil {
				errc <- fmt.Errorf("session %s: %w", s.ID, err)
			}
		}()
	}
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	// Wait for the outstanding decisions.
	deadline := time.Now().Add(cfg.Wait)
	for col.nDecided.Load() < sent.Load() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	// A little longer, to see redelivered duplicates that follow a restart.
	time.Sleep(50 * time.Millisecond)
	close(progressDone)
	<-progressStopped // Progress is never called twice at once
	if cfg.Progress != nil {
		cfg.Progress(sent.Load(), col.nDecided.Load())
	}
	stopReading()
	readers.Wait()

	col.mu.Lock()
	defer col.mu.Unlock()
	r := Result{Users: len(users), Sent: sent.Load(), Decided: col.nDecided.Load(), Duplicates: col.dups.Load(),
		Latency: col.latency.Summary(), Service: col.service.Summary(), Elapsed: time.Since(start)}
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
	if r.Decided < r.Sent && ctx.Err() == nil {
		errs = append(errs, fmt.Errorf("replay: %d of %d vectors got no decision within %v", r.Sent-r.Decided, r.Sent, cfg.Wait))
	}
	return r, errors.Join(append(errs, ctx.Err())...)
}

// play logs one session in, waits for the answer, then sends its vectors
// on their schedule.
func play(ctx context.Context, cfg Config, w *kafka.Writer, col *collector, s Session, sent *atomic.Int64) error {
	now := time.Now()
	l := wire.Login{User: s.LoginAs, Session: s.ID, Client: cfg.Client, Password: s.Password, Sent: now}
	if err := write(ctx, cfg, w, kafka.Message{Topic: cfg.Topics.Logins, Key: []byte(s.LoginAs), Value: wire.EncodeLogin(l)}); err != nil {
		return fmt.Errorf("send login: %w", err)
	}
	var ans wire.Decision
	select {
	case ans = <-col.logins[s.ID]:
	case <-time.After(cfg.Wait):
		return fmt.Errorf("no answer to the login within %v", cfg.Wait)
	case <-ctx.Done():
		return ctx.Err()
	}
	col.mu.Lock()
	sr := col.perSess[s.ID]
	sr.LoginAccepted, sr.LoginReason = ans.Accept, ans.Reason
	col.mu.Unlock()
	if !ans.Accept {
		return nil
	}
	topic := cfg.Topics.FeaturesFor(s.LoginAs)
	begin := time.Now()
	buf := make([]byte, 0, 512)
	for i, v := range s.Vectors {
		var due time.Duration
		switch {
		case cfg.Interval > 0:
			due = time.Duration(i) * cfg.Interval
		case cfg.Interval == 0:
			due = time.Duration(float64(v.At) / cfg.Speed)
		}
		if wait := time.Until(begin.Add(due)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		buf = wire.AppendVector(buf[:0], wire.Vector{User: s.LoginAs, Session: s.ID, Seq: int64(i), Sent: time.Now(), Values: v.Values})
		msg := kafka.Message{Topic: topic, Key: []byte(s.LoginAs), Value: append([]byte(nil), buf...)}
		if err := write(ctx, cfg, w, msg); err != nil {
			return fmt.Errorf("send vector %d: %w", i, err)
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

// write sends m, retrying for up to cfg.Wait: a broker restart delays a
// replay but does not end it.
func write(ctx context.Context, cfg Config, w *kafka.Writer, m kafka.Message) error {
	deadline := time.Now().Add(cfg.Wait)
	for {
		err := w.WriteMessages(ctx, m)
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// startReaders reads every partition of the decision topic from its
// current end.
func startReaders(ctx context.Context, cfg Config, col *collector) (*sync.WaitGroup, error) {
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: topics.Transport(cfg.TLS), Timeout: 15 * time.Second}
	topic := cfg.Topics.Decisions
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("replay: metadata of %s: %w", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		e := errors.New("missing")
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
	var wg sync.WaitGroup
	for _, po := range offs.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("replay: offset of %s/%d: %w", topic, po.Partition, po.Error)
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, Topic: topic, Partition: po.Partition,
			Dialer: topics.Dialer(cfg.TLS), MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 50 * time.Millisecond,
			ReadBackoffMin: 10 * time.Millisecond, ReadBackoffMax: 200 * time.Millisecond})
		if err := r.SetOffset(po.LastOffset); err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					return
				}
				d, err := wire.DecodeDecision(m.Value)
				if err != nil {
					continue
				}
				col.receive(d, time.Now())
			}
		}()
	}
	return &wg, nil
}
