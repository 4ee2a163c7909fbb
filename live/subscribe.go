package live

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// subscription is the list of topics the consumer group reads and the
// group reading them. In the one-topic-per-user design without a fixed
// list of users (Config.Users) it follows the per-user feature topics:
// watchTopics looks for them every TopicRefresh, creating first the topics
// of users enrolled since (Config.CreateUserTopics), and a change of the
// list closes the group, whose generation drains as in a rebalance, and
// the service joins again with the new list. kafka-go's ConsumerGroup
// reads a fixed list of topics and has no pattern subscription: following
// new topics costs one rebalance of the group per change, at most one per
// TopicRefresh, and a Metadata request of every topic per look.
type subscription struct {
	mu     sync.Mutex
	topics []string
	group  *kafka.ConsumerGroup
	closed bool
}

// current returns the topics read now.
func (sub *subscription) current() []string {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.topics
}

// change makes topics the list to read, closing the group that reads
// another list; consume then returns and renew joins with the new list.
func (sub *subscription) change(topics []string) bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed || slices.Equal(topics, sub.topics) {
		return false
	}
	sub.topics = topics
	if g := sub.group; g != nil {
		go g.Close() // Close waits for the generation to drain
	}
	return true
}

// renew makes a group for the current list, unless the subscription is
// closed.
func (sub *subscription) renew(s *Service) (*kafka.ConsumerGroup, error) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return nil, kafka.ErrGroupClosed
	}
	g, err := s.newConsumerGroup(sub.topics)
	if err != nil {
		return nil, err
	}
	sub.group = g
	return g, nil
}

// close closes the group for good (a drain): it leaves the consumer group
// once its generation drained.
func (sub *subscription) close() error {
	sub.mu.Lock()
	sub.closed = true
	g := sub.group
	sub.mu.Unlock()
	if g == nil {
		return nil
	}
	return g.Close()
}

// followsTopics reports whether the consumed topics follow the per-user
// topics on the brokers.
func (s *Service) followsTopics() bool { return s.cfg.Topics.PerUser && len(s.cfg.Users) == 0 }

// consumed returns the topics to consume: the logins and the features
// topic, or in the one-topic-per-user design the logins and the features
// topics of Config.Users, else every per-user features topic on the
// brokers, after creating those of the users with a model that have none
// when Config.CreateUserTopics is set. A creation that fails (an identity
// that may not create topics) is logged: an admin creates them, and a
// later look finds them.
func (s *Service) consumed(ctx context.Context) ([]string, error) {
	t := s.cfg.Topics
	if !t.PerUser {
		return []string{t.Logins, t.Features}, nil
	}
	if len(s.cfg.Users) > 0 {
		out := []string{t.Logins}
		for _, u := range s.cfg.Users {
			out = append(out, t.FeaturesFor(u))
		}
		return out, nil
	}
	var users []string
	if s.cfg.CreateUserTopics != nil {
		var err error
		if users, err = s.cfg.Profiles.ModelUsers(ctx); err != nil {
			return nil, err
		}
	}
	list := func() ([]string, error) { return t.PerUserTopics(ctx, s.cfg.Brokers, s.cfg.TLS, s.cfg.SASL) }
	found, err := list()
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, u := range users {
		if _, ok := slices.BinarySearch(found, t.FeaturesFor(u)); !ok {
			missing = append(missing, u)
		}
	}
	if len(missing) > 0 {
		if err := s.cfg.CreateUserTopics(ctx, missing); err != nil {
			s.cfg.Logger.Warn("creating the feature topics of enrolled users failed; they are consumed once they exist", "users", len(missing), "err", err)
		} else {
			s.cfg.Logger.Info("created the feature topics of enrolled users", "users", len(missing), "first", missing[0])
		}
		if found, err = list(); err != nil {
			return nil, err
		}
	}
	return append([]string{t.Logins}, found...), nil
}

// watchTopics looks for new per-user topics every TopicRefresh until ctx
// ends and resubscribes when the list changed.
func (s *Service) watchTopics(ctx context.Context, sub *subscription) {
	t := time.NewTicker(s.cfg.TopicRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		topics, err := s.consumed(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.cfg.Logger.Warn("looking for new per-user topics failed; trying again", "err", err, "in", s.cfg.TopicRefresh)
		case sub.change(topics):
			s.cfg.Logger.Info("the per-user topics changed; joining the group again with them", "topics", len(topics)-1)
		}
	}
}

// consumeAll runs consume on the subscription's groups, one after another
// as the list of topics changes, until ctx ends.
func (s *Service) consumeAll(ctx, work context.Context, sub *subscription) error {
	sub.mu.Lock()
	group := sub.group
	sub.mu.Unlock()
	for {
		if err := s.consume(ctx, work, group); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		var err error
		if group, err = sub.renew(s); errors.Is(err, kafka.ErrGroupClosed) {
			return nil
		} else if err != nil {
			return err
		}
	}
}
