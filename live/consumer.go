package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/live/topics"
)

// The consumer: kafka-go's ConsumerGroup hands out generations (a set of
// assigned partitions, valid until the next rebalance); each assigned
// partition gets its own reader, fetch loop and worker, so a partition
// whose message is retried or hangs stalls only itself. Offsets are
// committed per generation by a committer, and only up to what the workers
// have finished: stored, published and acknowledged.

// newConsumerGroup and newPartitionReader are the only places that build
// Kafka consumers (one dialer, one set of timeouts).
func (s *Service) newConsumerGroup(consumed []string) (*kafka.ConsumerGroup, error) {
	c := s.cfg
	return kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.Group, Brokers: c.Brokers, Dialer: topics.Dialer(c.TLS, c.SASL), Topics: consumed,
		SessionTimeout: c.SessionTimeout, HeartbeatInterval: c.SessionTimeout / 5, RebalanceTimeout: c.SessionTimeout,
		JoinGroupBackoff: 500 * time.Millisecond, StartOffset: kafka.FirstOffset, Timeout: 10 * time.Second,
		Logger:      kafka.LoggerFunc(func(f string, a ...any) { c.Logger.Debug("kafka group: " + fmt.Sprintf(f, a...)) }),
		ErrorLogger: kafka.LoggerFunc(func(f string, a ...any) { c.Logger.Debug("kafka group error: " + fmt.Sprintf(f, a...)) }),
	})
}

func (s *Service) newPartitionReader(k partKey) *kafka.Reader {
	c := s.cfg
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.Brokers, Topic: k.topic, Partition: k.partition, Dialer: topics.Dialer(c.TLS, c.SASL),
		MinBytes: 1, MaxBytes: 4 << 20, MaxWait: topics.FetchMaxWait,
		ReadBackoffMin: 20 * time.Millisecond, ReadBackoffMax: 500 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(f string, a ...any) {
			c.Logger.Debug("kafka reader "+k.String()+": "+fmt.Sprintf(f, a...), "topic", k.topic, "partition", k.partition)
		}),
	})
}

// queueSize bounds the messages fetched ahead of a partition's worker.
const queueSize = 256

// consume joins the group and runs one generation after another until ctx
// ends; the generation running then is drained before consume returns.
func (s *Service) consume(ctx, work context.Context, group *kafka.ConsumerGroup) error {
	for {
		gen, err := group.Next(ctx)
		switch {
		case ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed):
			return nil
		case errors.Is(err, kafka.RebalanceInProgress):
			s.cfg.Logger.Debug("consumer group rebalancing", "group", s.cfg.Group)
			continue
		case err != nil:
			// kafka-go backs off and joins again; health reports it.
			s.health.consumer.fail(s.cfg.Now(), fmt.Errorf("joining group %s: %w", s.cfg.Group, err))
			s.cfg.Logger.Warn("joining the consumer group failed; trying again", "group", s.cfg.Group, "err", err)
			continue
		}
		s.generation(ctx, work, gen)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// generation runs gen's partitions and returns once all of them and the
// committer have stopped: the generation ended (a rebalance, a lost
// heartbeat) or ctx ended and the partitions drained.
func (s *Service) generation(ctx, work context.Context, gen *kafka.Generation) {
	h := s.health
	var keys []partKey
	for topic, parts := range gen.Assignments {
		for _, p := range parts {
			keys = append(keys, partKey{topic, p.ID})
		}
	}
	h.mu.Lock()
	h.generation, h.member, h.joined = gen.ID, gen.MemberID, true
	h.mu.Unlock()
	h.consumer.pass()
	s.cfg.Stats.Generations.Inc()
	s.cfg.Stats.Partitions.Set(float64(len(keys)))
	s.cfg.Logger.Info("consuming", "group", s.cfg.Group, "generation", gen.ID, "partitions", len(keys))

	c := &committer{s: s, gen: gen, next: map[partKey]int64{}}
	var parts sync.WaitGroup
	ended := make(chan struct{})
	for topic, assigned := range gen.Assignments {
		for _, a := range assigned {
			parts.Add(1)
			st := h.assign(partKey{topic, a.ID}) // before Ready: health lists every assigned partition
			gen.Start(func(gctx context.Context) {
				defer parts.Done()
				defer h.revoke(st)
				s.partition(ctx, gctx, work, c, st, a)
			})
		}
	}
	gen.Start(func(gctx context.Context) {
		defer close(ended)
		c.run(ctx, gctx, &parts)
	})
	s.once.Do(func() { close(s.ready) })
	<-ended
	parts.Wait()
	h.consumer.fail(s.cfg.Now(), fmt.Errorf("generation %d ended; rejoining group %s", gen.ID, s.cfg.Group))
	s.cfg.Stats.Partitions.Set(0)
}

// rebalanceGrace is how long a partition may finish its fetched messages
// after its generation ended, before it gives up on them (they are not
// committed, and the partition's next owner processes them again): a stalled
// partition must not hold up the group's rebalance beyond the broker's
// rebalance timeout.
func (s *Service) rebalanceGrace() time.Duration { return s.cfg.SessionTimeout / 2 }

// partition consumes one assigned partition from its committed offset
// until the generation or ctx ends: a fetch loop feeding a queue, and a
// worker processing the queue in batches. On ctx's end the worker
// finishes what was fetched (bounded by the drain timeout, through work);
// on the generation's end it has rebalanceGrace.
func (s *Service) partition(ctx, gctx, work context.Context, c *committer, st *partState, a kafka.PartitionAssignment) {
	k, topic := st.key, st.key.topic
	fetchCtx, stopFetch := context.WithCancel(ctx)
	defer stopFetch()
	defer context.AfterFunc(gctx, stopFetch)()
	proc, stopProc := context.WithCancel(work)
	defer context.AfterFunc(gctx, func() {
		if ctx.Err() != nil {
			return // a drain, bounded by the drain timeout
		}
		t := time.NewTimer(s.rebalanceGrace())
		defer t.Stop()
		select {
		case <-t.C:
			stopProc()
		case <-proc.Done():
		}
	})()
	defer stopProc()

	r := s.newPartitionReader(k)
	defer r.Close()
	if err := r.SetOffset(a.Offset); err != nil {
		s.cfg.Logger.Error("partition reader", "topic", topic, "partition", a.ID, "offset", a.Offset, "err", err)
		return
	}
	q := make(chan kafka.Message, queueSize)
	done := make(chan struct{})
	w := newWorker(s, st, func(next int64) { c.mark(k, next) })
	go func() {
		defer close(done)
		w.run(withPart(proc, st), q)
	}()
	defer func() { close(q); <-done }()
	for {
		m, err := r.FetchMessage(fetchCtx)
		if err != nil {
			if fetchCtx.Err() != nil {
				return
			}
			s.cfg.Logger.Warn("fetch failed; retrying", "topic", topic, "partition", a.ID, "err", err)
			if retry.Sleep(fetchCtx, 200*time.Millisecond) != nil {
				return
			}
			continue
		}
		select {
		case q <- m:
		case <-fetchCtx.Done():
			// m is not handed over: neither it nor anything after it is
			// committed, so it comes back.
			return
		}
	}
}

// committer commits the offsets the partitions of one generation have
// finished, every CommitInterval and once more when they all stopped. A
// crash loses at most CommitInterval of commits: those messages come back
// and the idempotent store recognises them.
type committer struct {
	s    *Service
	gen  *kafka.Generation
	mu   sync.Mutex
	next map[partKey]int64 // the next offset to consume, per partition
	sent map[partKey]int64 // what was committed
}

// mark records that everything before next in k is finished.
func (c *committer) mark(k partKey, next int64) {
	c.mu.Lock()
	c.next[k] = max(c.next[k], next)
	c.mu.Unlock()
}

func (c *committer) flush() error {
	c.mu.Lock()
	offsets := map[string]map[int]int64{}
	var keys []partKey
	for k, n := range c.next {
		if c.sent[k] == n {
			continue
		}
		if offsets[k.topic] == nil {
			offsets[k.topic] = map[int]int64{}
		}
		offsets[k.topic][k.partition] = n
		keys = append(keys, k)
	}
	c.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	if err := c.gen.CommitOffsets(offsets); err != nil {
		return err
	}
	c.mu.Lock()
	if c.sent == nil {
		c.sent = map[partKey]int64{}
	}
	for _, k := range keys {
		c.sent[k] = offsets[k.topic][k.partition]
	}
	c.mu.Unlock()
	c.s.cfg.Stats.Commits.Inc()
	return nil
}

// run commits periodically until the generation or ctx ends, waits for the
// partitions to stop and commits what they finished.
func (c *committer) run(ctx, gctx context.Context, parts *sync.WaitGroup) {
	s := c.s
	t := time.NewTicker(s.cfg.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := c.flush(); err != nil {
				s.cfg.Logger.Warn("commit failed; trying again", "generation", c.gen.ID, "err", err)
			}
			continue
		case <-gctx.Done():
		case <-ctx.Done():
		}
		break
	}
	parts.Wait()
	if err := c.flush(); err != nil {
		// The broker may have started a new generation already: the
		// uncommitted messages are processed again by their next owner.
		s.cfg.Logger.Warn("final commit of the generation failed; its last messages will be redelivered", "generation", c.gen.ID, "err", err)
	}
}
