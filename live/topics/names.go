package topics

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// The pipeline's topics and the scorer's consumer group.
const (
	Logins     = "mouseauth.logins"
	Features   = "mouseauth.features"
	Decisions  = "mouseauth.decisions"
	Alerts     = "mouseauth.alerts"
	DeadLetter = "mouseauth.deadletter"

	// DefaultGroup is the scoring service's consumer group.
	DefaultGroup = "mouseauth-live"
)

// Names are the pipeline's topics.
type Names struct {
	Logins, Features, Decisions, Alerts, DeadLetter string
	// PerUser reproduces the enterprise design's one feature topic per
	// user (Features + "." + user) instead of one topic keyed by user.
	PerUser bool
}

// Default returns the pipeline's topic names (the ones [Names.ACLs]
// covers), one features topic keyed by user.
func Default() Names {
	return Names{Logins: Logins, Features: Features, Decisions: Decisions, Alerts: Alerts, DeadLetter: DeadLetter}
}

// PerUserPrefix is the prefix of every per-user feature topic.
func (t Names) PerUserPrefix() string { return t.Features + "." }

// FeaturesFor is the topic a user's vectors go to.
func (t Names) FeaturesFor(user string) string {
	if t.PerUser {
		return t.PerUserPrefix() + user
	}
	return t.Features
}

// ClientDecisionsPrefix is the prefix of every client identity's decision
// topic.
func (t Names) ClientDecisionsPrefix() string { return t.Decisions + "." }

// DecisionsFor is the decision topic of the client identity named client
// (its certificate's common name): the decisions of the sessions it opens
// go there, and only it (and the operators) may read them.
func (t Names) DecisionsFor(client string) string { return t.ClientDecisionsPrefix() + client }

// Shared lists the topics that do not depend on users.
func (t Names) Shared() []string {
	out := []string{t.Logins, t.Decisions, t.Alerts, t.DeadLetter}
	if !t.PerUser {
		out = append(out, t.Features)
	}
	return out
}

// all lists every topic that does not depend on users, in both designs.
func (t Names) all() []string {
	return []string{t.Logins, t.Features, t.Decisions, t.Alerts, t.DeadLetter}
}

// PerUserTopics lists the per-user feature topics on the brokers that the
// identity of cfg and m may describe, sorted: one Metadata request for
// every topic on a new connection (a kafka-go transport answers from a
// cache that would hide a topic created a moment ago). kafka-go's consumer
// group takes a fixed list of topics, not a pattern: the scorer calls this
// again and again to follow the topics created for new users.
func (t Names) PerUserTopics(ctx context.Context, brokers []string, cfg *tls.Config, m sasl.Mechanism) ([]string, error) {
	tr := Transport(cfg, m)
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: clientTimeout}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return nil, fmt.Errorf("list the per-user topics: %w", err)
	}
	var out []string
	for _, x := range md.Topics {
		if x.Error == nil && strings.HasPrefix(x.Name, t.PerUserPrefix()) && len(x.Name) > len(t.PerUserPrefix()) {
			out = append(out, x.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}
