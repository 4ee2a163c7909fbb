package live

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
)

// Health checks, as /healthz reports them.
const (
	CheckConsumer  = "consumer"  // not consuming: joining the group, or rebalancing for longer than StallAfter
	CheckPartition = "partition" // a partition's current batch has not finished within StallAfter
	CheckStore     = "store"     // the store probe fails
	CheckBroker    = "broker"    // the broker probe fails
	CheckDisk      = "disk"      // the state folder's free space is below MinFreeBytes, or writes fail with ENOSPC
)

// HealthReport is what /healthz answers: Status "ok" (HTTP 200) or
// "unhealthy" (HTTP 503) with the reasons.
type HealthReport struct {
	Status  string         `json:"status"`
	Reasons []HealthReason `json:"reasons,omitempty"`
	// Group, Generation and Member describe the consumer group membership
	// (Generation 0 before the first join).
	Group      string `json:"group"`
	Generation int32  `json:"generation"`
	Member     string `json:"member,omitempty"`
	// Partitions are the partitions assigned to this instance, as
	// topic/partition, sorted.
	Partitions []string `json:"partitions"`
}

// HealthReason is one failing check.
type HealthReason struct {
	Check     string    `json:"check"`
	Topic     string    `json:"topic,omitempty"`
	Partition *int      `json:"partition,omitempty"`
	Offset    *int64    `json:"offset,omitempty"` // the first offset of a stalled partition's batch
	Since     time.Time `json:"since"`
	Seconds   float64   `json:"seconds"` // how long, at the time of the report
	Error     string    `json:"error"`
}

func (r HealthReason) String() string {
	where := r.Check
	if r.Topic != "" && r.Partition != nil {
		where = fmt.Sprintf("%s %s/%d", r.Check, r.Topic, *r.Partition)
	}
	return fmt.Sprintf("%s: %s (since %s, %.1f s)", where, r.Error, r.Since.UTC().Format(time.RFC3339), r.Seconds)
}

// condition is a check that is failing since a moment, or not.
type condition struct {
	mu    sync.Mutex
	since time.Time // zero while passing
	err   string
}

func (c *condition) fail(now time.Time, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.since.IsZero() {
		c.since = now
	}
	c.err = err.Error()
}

func (c *condition) pass() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.since, c.err = time.Time{}, ""
}

func (c *condition) get() (since time.Time, err string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.since, c.err
}

// partKey names a partition of a topic.
type partKey struct {
	topic     string
	partition int
}

func (k partKey) String() string { return fmt.Sprintf("%s/%d", k.topic, k.partition) }

// partState is what health knows of an assigned partition: whether a batch
// is in progress, since when, and the last error retried during it.
type partState struct {
	key    partKey
	busy   atomic.Int64 // unix nanoseconds the current batch started, 0 when idle
	offset atomic.Int64 // first offset of the current batch
	mu     sync.Mutex
	err    string // the last error retried during the current batch
}

func (p *partState) begin(now time.Time, offset int64) {
	p.offset.Store(offset)
	p.mu.Lock()
	p.err = ""
	p.mu.Unlock()
	p.busy.Store(now.UnixNano())
}

func (p *partState) end() { p.busy.Store(0) }

func (p *partState) retrying(err error) {
	p.mu.Lock()
	p.err = err.Error()
	p.mu.Unlock()
}

type partCtxKey struct{}

// withPart tags ctx with the partition whose message is being processed,
// so that retries deep in a store call are reported against it.
func withPart(ctx context.Context, p *partState) context.Context {
	return context.WithValue(ctx, partCtxKey{}, p)
}

func partOf(ctx context.Context) *partState {
	p, _ := ctx.Value(partCtxKey{}).(*partState)
	return p
}

// health holds the state behind [Service.HealthReport].
type health struct {
	store, broker, disk, space condition
	consumer                   condition // set while not in a generation
	mu                         sync.Mutex
	parts                      map[partKey]*partState
	generation                 int32
	member                     string
	joined                     bool
}

func newHealth(now time.Time) *health {
	h := &health{parts: map[partKey]*partState{}}
	h.consumer.fail(now, errors.New("joining the consumer group"))
	return h
}

func (h *health) assign(k partKey) *partState {
	p := &partState{key: k}
	h.mu.Lock()
	h.parts[k] = p
	h.mu.Unlock()
	return p
}

func (h *health) revoke(p *partState) {
	h.mu.Lock()
	if h.parts[p.key] == p {
		delete(h.parts, p.key)
	}
	h.mu.Unlock()
}

// HealthReport says whether the service is healthy and, if not, why: a
// partition stalled (its batch unfinished after StallAfter, with the
// error it retries), the store or the broker failing their probes, the
// state folder's disk full, or no consumer group membership.
func (s *Service) HealthReport() HealthReport {
	now := s.cfg.Now()
	h := s.health
	r := HealthReport{Status: "ok", Group: s.cfg.Group, Partitions: []string{}}
	add := func(check string, since time.Time, err string) {
		r.Reasons = append(r.Reasons, HealthReason{Check: check, Since: since, Seconds: now.Sub(since).Seconds(), Error: err})
	}
	if !s.running.Load() {
		add(CheckConsumer, now, errNotConsuming.Error())
	} else if since, err := h.consumer.get(); !since.IsZero() {
		// A rebalance is normal; one that lasts is not.
		h.mu.Lock()
		joined := h.joined
		h.mu.Unlock()
		if !joined || now.Sub(since) >= s.cfg.StallAfter {
			add(CheckConsumer, since, err)
		}
	}
	h.mu.Lock()
	r.Generation, r.Member = h.generation, h.member
	parts := make([]*partState, 0, len(h.parts))
	for _, p := range h.parts {
		parts = append(parts, p)
	}
	h.mu.Unlock()
	sort.Slice(parts, func(i, j int) bool {
		a, b := parts[i].key, parts[j].key
		return a.topic < b.topic || a.topic == b.topic && a.partition < b.partition
	})
	for _, p := range parts {
		r.Partitions = append(r.Partitions, p.key.String())
		busy := p.busy.Load()
		if busy == 0 {
			continue
		}
		since := time.Unix(0, busy)
		if now.Sub(since) < s.cfg.StallAfter {
			continue
		}
		p.mu.Lock()
		msg := p.err
		p.mu.Unlock()
		if msg == "" {
			msg = "batch unfinished and no call failed: a store or broker call hangs"
		} else {
			msg = "retrying: " + msg
		}
		part, off := p.key.partition, p.offset.Load()
		r.Reasons = append(r.Reasons, HealthReason{Check: CheckPartition, Topic: p.key.topic, Partition: &part, Offset: &off,
			Since: since, Seconds: now.Sub(since).Seconds(), Error: msg})
	}
	for _, c := range []struct {
		check string
		cond  *condition
	}{{CheckStore, &h.store}, {CheckBroker, &h.broker}, {CheckDisk, &h.disk}, {CheckDisk, &h.space}} {
		if since, err := c.cond.get(); !since.IsZero() {
			add(c.check, since, err)
		}
	}
	if len(r.Reasons) > 0 {
		r.Status = "unhealthy"
	}
	return r
}

// Health is nil while the service is healthy, else an error naming every
// reason of [Service.HealthReport].
func (s *Service) Health() error {
	r := s.HealthReport()
	if len(r.Reasons) == 0 {
		return nil
	}
	if len(r.Reasons) == 1 && r.Reasons[0].Error == errNotConsuming.Error() {
		return errNotConsuming
	}
	msgs := make([]string, len(r.Reasons))
	for i, x := range r.Reasons {
		msgs[i] = x.String()
	}
	return errors.New(strings.Join(msgs, "; "))
}

var errNotConsuming = errors.New("not consuming")

// probeUser is a user name no client can have (wire names are printable):
// looking it up costs one indexed read and answers not found.
const probeUser = "\x00mouseauth-health-probe"

// storeUp asks both stores a question they answer with not found when they
// work.
func (s *Service) storeUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HealthInterval+5*time.Second)
	defer cancel()
	if _, err := s.cfg.Credentials.Credential(ctx, probeUser); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("credential store: %w", err)
	}
	if _, err := s.cfg.Profiles.Session(ctx, probeUser, probeUser); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("profile store: %w", err)
	}
	return nil
}

// brokerUp asks the brokers for the metadata of the consumed topics, on a
// new connection each time: a kafka-go transport answers metadata requests
// from its cache, which outlives the broker.
func (s *Service) brokerUp(ctx context.Context, consumed []string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HealthInterval+5*time.Second)
	defer cancel()
	tr := topics.Transport(s.cfg.TLS, s.cfg.SASL)
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(s.cfg.Brokers...), Transport: tr}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: consumed})
	if err != nil {
		return fmt.Errorf("metadata from %s: %w", strings.Join(s.cfg.Brokers, ","), err)
	}
	for _, t := range md.Topics {
		if t.Error != nil {
			return fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			if p.Error != nil && !errors.Is(p.Error, kafka.ReplicaNotAvailable) {
				return fmt.Errorf("topic %s partition %d: %w", t.Name, p.ID, p.Error)
			}
		}
	}
	return nil
}

// diskUp checks the state folder's free space.
func (s *Service) diskUp() error {
	if s.cfg.StateDir == "" {
		return nil
	}
	free, err := s.cfg.FreeSpace(s.cfg.StateDir)
	if err != nil {
		return fmt.Errorf("free space of %s: %w", s.cfg.StateDir, err)
	}
	if free < s.cfg.MinFreeBytes {
		return fmt.Errorf("%s has %s free, below the %s the service needs", s.cfg.StateDir, mib(free), mib(s.cfg.MinFreeBytes))
	}
	return nil
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// probe runs the store, broker and disk checks every HealthInterval until
// ctx ends. The checks run whether or not messages flow, so an idle
// service whose store went away is reported too.
func (s *Service) probe(ctx context.Context, consumed func() []string) {
	check := func(c *condition, err error) {
		if ctx.Err() != nil {
			return // stopping: a cancelled probe says nothing
		}
		if err != nil {
			c.fail(s.cfg.Now(), err)
		} else {
			c.pass()
		}
	}
	t := time.NewTicker(s.cfg.HealthInterval)
	defer t.Stop()
	for {
		check(&s.health.store, s.storeUp(ctx))
		check(&s.health.broker, s.brokerUp(ctx, consumed()))
		check(&s.health.space, s.diskUp())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// diskFull reports whether err says a disk is full: ENOSPC from the file
// system, SQLite's SQLITE_FULL (13, with its extended codes), which the
// embedded store returns, or the text of ENOSPC passed on by a database
// server (MariaDB's "Errcode: 28 "No space left on device"").
func diskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == 13 && strings.Contains(err.Error(), "full") {
		return true
	}
	return strings.Contains(strings.ToLower(err.Error()), "no space left on device")
}
