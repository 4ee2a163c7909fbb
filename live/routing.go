package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/metadata"

	"github.com/mouseauth/mouseauth/live/topics"
)

// A user's state (lockout, session windows, the last seq of a session,
// the alert) lives with the one partition worker that sees all of the
// user's messages, in order. That holds only if every message of a user
// arrives on the partition its key hashes to, which the pipeline's
// producers ensure (topics.Balancer) and an attacker need not: a login or
// vector on another partition would be processed by another worker, beside
// the first one's state (8 windows for one session, 8 lockout counters).
// So the service refuses it as misrouted. Lockout counts are also atomic
// in the store (RecordFailure), so even two workers that both see a user
// (during a rebalance) count every failure.

// errNoTopic: the broker does not have the topic (or does not let the
// scorer describe it).
var errNoTopic = errors.New("no such topic")

// router knows the partition counts of the consumed topics, to tell where
// a user's messages belong.
type router struct {
	mu     sync.Mutex
	client *kafka.Client
	counts map[string]routeCount
	misses map[string]time.Time
	now    func() time.Time
}

type routeCount struct {
	n  int
	at time.Time
}

// routeRefresh is how often a topic's partition count may be read again
// when a message looks misrouted or comes from a partition beyond the
// known count (partitions were added), so a flood of misrouted messages
// costs at most one metadata request per topic per interval.
const routeRefresh = 10 * time.Second

// routeMiss is how often the broker itself is asked about a topic the
// transport's cache does not know.
const routeMiss = time.Second

func newRouter(client *kafka.Client, now func() time.Time) *router {
	return &router{client: client, counts: map[string]routeCount{}, misses: map[string]time.Time{}, now: now}
}

// brokerMetadata asks the broker, past the transport's cache, for one
// topic's partitions (kafka.Client's Metadata cannot set the flag that
// does it).
func (r *router) brokerMetadata(ctx context.Context, topic string) (*kafka.MetadataResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, r.client.Timeout)
	defer cancel()
	res, err := r.client.Transport.RoundTrip(ctx, r.client.Addr, &metadata.Request{TopicNames: []string{topic}, AllowAutoTopicCreation: true})
	if err != nil {
		return nil, err
	}
	m, ok := res.(*metadata.Response)
	if !ok {
		return nil, fmt.Errorf("metadata: unexpected answer %T", res)
	}
	md := &kafka.MetadataResponse{}
	for _, t := range m.Topics {
		mt := kafka.Topic{Name: t.Name, Error: errorOf(t.ErrorCode)}
		for _, p := range t.Partitions {
			mt.Partitions = append(mt.Partitions, kafka.Partition{Topic: t.Name, ID: int(p.PartitionIndex)})
		}
		md.Topics = append(md.Topics, mt)
	}
	return md, nil
}

// errorOf is a Kafka error code as kafka-go's error (nil for 0).
func errorOf(code int16) error {
	if code == 0 {
		return nil
	}
	return kafka.Error(code)
}

// unknown says whether a metadata answer for one topic says it does not
// exist.
func unknown(md *kafka.MetadataResponse) bool {
	if len(md.Topics) != 1 {
		return true
	}
	t := md.Topics[0]
	return len(t.Partitions) == 0 && (t.Error == nil || errors.Is(t.Error, kafka.UnknownTopicOrPartition))
}

// router returns the service's router, made on first use with the
// transport of the service's producer (so the same certificate and
// credentials).
func (s *Service) router() *router {
	s.routesOnce.Do(func() {
		s.routes = newRouter(&kafka.Client{Addr: s.writer.Addr, Transport: s.writer.Transport, Timeout: 10 * time.Second}, s.cfg.Now)
	})
	return s.routes
}

// partitions returns topic's partition count, reading it again when fresh
// is set and the known count is older than routeRefresh.
func (r *router) partitions(ctx context.Context, topic string, fresh bool) (int, error) {
	r.mu.Lock()
	c, ok := r.counts[topic]
	r.mu.Unlock()
	if ok && (!fresh || r.now().Sub(c.at) < routeRefresh) {
		return c.n, nil
	}
	md, err := r.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err == nil && unknown(md) {
		// kafka-go answers metadata requests from its transport's cache,
		// refreshed every few seconds, so a topic created a moment ago
		// (a client identity just admitted) looks unknown. Only a request
		// that allows creation goes to the broker, and its answer refreshes
		// the cache the producer writes through. The scorer holds no right
		// to create topics, so nothing is created; a miss is asked of the
		// broker at most once per routeMiss.
		r.mu.Lock()
		last, asked := r.misses[topic]
		r.mu.Unlock()
		if !asked || r.now().Sub(last) >= routeMiss {
			r.mu.Lock()
			r.misses[topic] = r.now()
			r.mu.Unlock()
			md, err = r.brokerMetadata(ctx, topic)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("live: partitions of %s: %w", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) == 0 {
		var terr error
		if len(md.Topics) == 1 {
			terr = md.Topics[0].Error
		}
		if terr == nil || errors.Is(terr, kafka.UnknownTopicOrPartition) {
			return 0, fmt.Errorf("live: partitions of %s: %w", topic, errNoTopic)
		}
		return 0, fmt.Errorf("live: partitions of %s: %w", topic, terr)
	}
	c = routeCount{n: len(md.Topics[0].Partitions), at: r.now()}
	r.mu.Lock()
	r.counts[topic] = c
	r.mu.Unlock()
	return c.n, nil
}

// home is the partition of a topic of n partitions that user's messages
// belong to: what the producers' balancer picks for the key.
func home(user string, n int) int {
	ps := make([]int, n)
	for i := range ps {
		ps[i] = i
	}
	return topics.Balancer().Balance(kafka.Message{Key: []byte(user)}, ps...)
}

// misrouted returns why m, a message of user, is not where user's
// messages belong ("" when it is). want is the topic user's messages of
// this kind go to. An error (the broker's metadata cannot be read) is
// retried by the caller.
func (r *router) misrouted(ctx context.Context, m kafka.Message, user, want string) (string, error) {
	if m.Topic != want {
		return fmt.Sprintf("misrouted: a message of user %q on topic %s; the user's go to %s", user, m.Topic, want), nil
	}
	n, err := r.partitions(ctx, m.Topic, false)
	if err != nil {
		return "", err
	}
	h := home(user, n)
	if m.Partition == h && m.Partition < n {
		return "", nil
	}
	// Partitions may have been added since the count was read: read it
	// again (at most every routeRefresh) before refusing.
	if n, err = r.partitions(ctx, m.Topic, true); err != nil {
		return "", err
	}
	if h = home(user, n); m.Partition == h {
		return "", nil
	}
	return fmt.Sprintf("misrouted: a message of user %q on partition %d of %s; the user's key hashes to partition %d of %d", user, m.Partition, m.Topic, h, n), nil
}
