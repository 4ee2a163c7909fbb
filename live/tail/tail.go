package tail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/live/topics"
)

// Source is a kind of topic the tail reads.
type Source string

// The sources, by the short names `live tail --topic` takes.
const (
	Decisions  Source = "decisions"
	Alerts     Source = "alerts"
	DeadLetter Source = "deadletter"
	Logins     Source = "logins"
	Features   Source = "features"
)

// Sources lists every source, in the order help texts name them.
func Sources() []Source { return []Source{Decisions, Alerts, DeadLetter, Logins, Features} }

// ParseSources reads a list of source names; a full topic name of names
// (mouseauth.alerts) is taken for its source.
func ParseSources(list []string, names topics.Names) ([]Source, error) {
	full := map[string]Source{names.Decisions: Decisions, names.Alerts: Alerts, names.DeadLetter: DeadLetter,
		names.Logins: Logins, names.Features: Features}
	var out []Source
	for _, s := range list {
		src := Source(strings.TrimSpace(s))
		if f, ok := full[string(src)]; ok {
			src = f
		}
		if !slices.Contains(Sources(), src) {
			var all []string
			for _, x := range Sources() {
				all = append(all, string(x))
			}
			return nil, fmt.Errorf("unknown topic %q: want %s", s, strings.Join(all, ", "))
		}
		if !slices.Contains(out, src) {
			out = append(out, src)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no topic to read")
	}
	return out, nil
}

// Config configures [Run].
type Config struct {
	Brokers []string
	TLS     *tls.Config
	// SASL authenticates after the TLS handshake (nil: the certificate is
	// the principal). The embedded broker needs it: it enforces ACLs per
	// SASL user.
	SASL sasl.Mechanism
	// Topics names the pipeline's topics (default topics.Default()); with
	// PerUser, the features source reads every per-user feature topic
	// that exists when the tail starts.
	Topics  topics.Names
	Sources []Source // default decisions and alerts
	// FromBeginning reads from the oldest record each partition keeps,
	// else from its end (only new records).
	FromBeginning bool
	// Follow waits for new records; without it the tail stops at the end
	// offsets the partitions had when it started.
	Follow bool
	// Max stops after this many lines (0: no limit).
	Max int
	// User, when set, keeps only the records keyed by this user.
	User string
	// Ready, when set, is called once every partition's start is known,
	// before the first line (tests produce then).
	Ready func(Start)
	// Logger receives restarts of partition readers (default: discard).
	Logger *slog.Logger
}

// Start says where a tail starts: the topics and, per topic, the number of
// partitions and records it will read before following (when it reads
// from the beginning).
type Start struct {
	Topics     []string
	Partitions map[string]int
	Backlog    int64 // records between the start and the end offsets
}

// partition is one partition to read, from offset from to end (the end
// offset when the tail started).
type partition struct {
	topic     string
	id        int
	from, end int64
}

// Run reads the configured topics and writes one line per record to w
// until ctx ends (it returns ctx's error), Max lines are written, or,
// without Follow, every partition is read to its end offset. It returns
// the number of lines written.
func Run(ctx context.Context, cfg Config, w io.Writer) (int, error) {
	if len(cfg.Brokers) == 0 || cfg.TLS == nil {
		return 0, errors.New("tail: brokers and a TLS configuration are required")
	}
	if cfg.Topics.Logins == "" {
		per := cfg.Topics.PerUser
		cfg.Topics = topics.Default()
		cfg.Topics.PerUser = per
	}
	if len(cfg.Sources) == 0 {
		cfg.Sources = []Source{Decisions, Alerts}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tr := topics.Transport(cfg.TLS, cfg.SASL)
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: tr, Timeout: 15 * time.Second}
	parts, start, err := plan(ctx, client, cfg)
	if err != nil {
		return 0, err
	}
	if cfg.Ready != nil {
		cfg.Ready(start)
	}

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	lines := make(chan []byte, 256)
	g, gctx := errgroup.WithContext(rctx)
	opts := Options{LoginTopic: cfg.Topics.Logins}
	for _, p := range parts {
		if !cfg.Follow && p.from >= p.end {
			continue
		}
		g.Go(func() error { return read(gctx, cfg, p, opts, lines) })
	}
	var readErr error
	done := make(chan struct{})
	go func() {
		readErr = g.Wait()
		close(lines)
		close(done)
	}()
	n := 0
	var writeErr error
	for line := range lines {
		if writeErr != nil || (cfg.Max > 0 && n >= cfg.Max) {
			continue // drain until the readers stop
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			writeErr = err
			stop()
			continue
		}
		n++
		if cfg.Max > 0 && n >= cfg.Max {
			stop()
		}
	}
	<-done
	switch {
	case writeErr != nil:
		return n, fmt.Errorf("tail: write: %w", writeErr)
	case ctx.Err() != nil:
		return n, ctx.Err()
	case readErr != nil && !errors.Is(readErr, context.Canceled):
		return n, readErr
	}
	return n, nil
}

// plan finds the partitions of the configured topics and where to read
// each from and to.
func plan(ctx context.Context, client *kafka.Client, cfg Config) ([]partition, Start, error) {
	var want []string
	perUser, perClient := false, false
	for _, s := range cfg.Sources {
		switch s {
		case Decisions:
			want = append(want, cfg.Topics.Decisions)
			perClient = true // and every client identity's (the ones this identity may describe)
		case Alerts:
			want = append(want, cfg.Topics.Alerts)
		case DeadLetter:
			want = append(want, cfg.Topics.DeadLetter)
		case Logins:
			want = append(want, cfg.Topics.Logins)
		case Features:
			if cfg.Topics.PerUser {
				perUser = true
			} else {
				want = append(want, cfg.Topics.Features)
			}
		}
	}
	req := &kafka.MetadataRequest{Topics: want}
	if perUser || perClient {
		req.Topics = nil // every topic, to find the per-user and per-client ones
	}
	var md *kafka.MetadataResponse
	err := retry.Do(ctx, retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second, MaxAttempts: 10}, func() (err error) {
		md, err = client.Metadata(ctx, req)
		return err
	}, retry.Permanent(func(error) bool { return ctx.Err() != nil }))
	if err != nil {
		return nil, Start{}, fmt.Errorf("tail: metadata from %s: %w", strings.Join(cfg.Brokers, ","), err)
	}
	byName := map[string]kafka.Topic{}
	for _, t := range md.Topics {
		byName[t.Name] = t
		if perUser && strings.HasPrefix(t.Name, cfg.Topics.PerUserPrefix()) && t.Error == nil ||
			perClient && strings.HasPrefix(t.Name, cfg.Topics.ClientDecisionsPrefix()) && t.Error == nil {
			want = append(want, t.Name)
		}
	}
	start := Start{Partitions: map[string]int{}}
	var parts []partition
	offsets := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	firsts := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, name := range want {
		t, ok := byName[name]
		switch {
		case !ok:
			return nil, Start{}, fmt.Errorf("tail: topic %s does not exist (or this identity may not describe it)", name)
		case t.Error != nil:
			return nil, Start{}, fmt.Errorf("tail: topic %s: %w%s", name, t.Error, authHint(t.Error, name))
		}
		start.Topics = append(start.Topics, name)
		start.Partitions[name] = len(t.Partitions)
		for _, p := range t.Partitions {
			offsets.Topics[name] = append(offsets.Topics[name], kafka.LastOffsetOf(p.ID))
			firsts.Topics[name] = append(firsts.Topics[name], kafka.FirstOffsetOf(p.ID))
			parts = append(parts, partition{topic: name, id: p.ID})
		}
	}
	last, err := client.ListOffsets(ctx, offsets)
	if err != nil {
		return nil, Start{}, fmt.Errorf("tail: end offsets: %w", err)
	}
	first, err := client.ListOffsets(ctx, firsts)
	if err != nil {
		return nil, Start{}, fmt.Errorf("tail: first offsets: %w", err)
	}
	at := func(resp *kafka.ListOffsetsResponse, topic string, id int, lastOffset bool) (int64, error) {
		for _, po := range resp.Topics[topic] {
			if po.Partition != id {
				continue
			}
			if po.Error != nil {
				return 0, fmt.Errorf("tail: offsets of %s/%d: %w%s", topic, id, po.Error, authHint(po.Error, topic))
			}
			if lastOffset {
				return po.LastOffset, nil
			}
			return po.FirstOffset, nil
		}
		return 0, fmt.Errorf("tail: no offsets for %s/%d", topic, id)
	}
	for i, p := range parts {
		if parts[i].end, err = at(last, p.topic, p.id, true); err != nil {
			return nil, Start{}, err
		}
		parts[i].from = parts[i].end
		if cfg.FromBeginning {
			if parts[i].from, err = at(first, p.topic, p.id, false); err != nil {
				return nil, Start{}, err
			}
		}
		start.Backlog += parts[i].end - parts[i].from
	}
	sort.Slice(parts, func(i, j int) bool {
		if parts[i].topic != parts[j].topic {
			return parts[i].topic < parts[j].topic
		}
		return parts[i].id < parts[j].id
	})
	return parts, start, nil
}

// authHint explains an authorization error.
func authHint(err error, topic string) string {
	if errors.Is(err, kafka.TopicAuthorizationFailed) {
		return fmt.Sprintf(" (the certificate given by --tls-name needs Read on topic %s)", topic)
	}
	return ""
}

// readerPolicy paces restarts of a partition reader that failed.
var readerPolicy = retry.Policy{Initial: 50 * time.Millisecond, Max: 2 * time.Second}

// read reads one partition from p.from into lines until ctx ends or,
// without cfg.Follow, up to p.end; it restarts its reader where it stopped
// when it fails (a broker restart).
func read(ctx context.Context, cfg Config, p partition, opts Options, lines chan<- []byte) error {
	next := p.from
	err := retry.Do(ctx, readerPolicy, func() error {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, Topic: p.topic, Partition: p.id,
			Dialer: topics.Dialer(cfg.TLS, cfg.SASL), MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 200 * time.Millisecond,
			ReadBackoffMin: 10 * time.Millisecond, ReadBackoffMax: 200 * time.Millisecond})
		defer r.Close()
		if err := r.SetOffset(next); err != nil {
			return err
		}
		for cfg.Follow || next < p.end {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				return err
			}
			next = m.Offset + 1
			if cfg.User != "" && string(m.Key) != cfg.User {
				continue
			}
			line := Decode(Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: m.Time, Key: m.Key, Value: m.Value}, opts)
			select {
			case lines <- line:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}, retry.Permanent(func(error) bool { return ctx.Err() != nil }),
		retry.OnRetry(func(_ int, err error, wait time.Duration) {
			cfg.Logger.Warn("tail: partition reader failed; restarting it", "topic", p.topic, "partition", p.id, "offset", next, "err", err, "wait", wait)
		}))
	if ctx.Err() != nil {
		return nil // stopped
	}
	return err
}
