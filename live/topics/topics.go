// Package topics is the Kafka side of the live pipeline's contract, shared by
// the producers (replay, any client) and the scoring service: the topic
// names, how topics are created, the partitioner and a low-latency producer.
// It consumes broker addresses and a TLS configuration and produces topics
// and writers.
package topics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/pki"
)

// Names are the pipeline's topics.
type Names struct {
	Logins, Features, Decisions, Alerts, DeadLetter string
	// PerUser reproduces the enterprise design's one feature topic per
	// user (Features + "." + user) instead of one topic keyed by user.
	PerUser bool
}

// Default returns the names the ACLs in pki cover.
func Default() Names {
	return Names{Logins: pki.TopicLogins, Features: pki.TopicFeatures, Decisions: pki.TopicDecisions,
		Alerts: pki.TopicAlerts, DeadLetter: pki.TopicDeadLetter}
}

// FeaturesFor is the topic a user's vectors go to.
func (t Names) FeaturesFor(user string) string {
	if t.PerUser {
		return t.Features + "." + user
	}
	return t.Features
}

// Shared lists the topics that do not depend on users.
func (t Names) Shared() []string {
	out := []string{t.Logins, t.Decisions, t.Alerts, t.DeadLetter}
	if !t.PerUser {
		out = append(out, t.Features)
	}
	return out
}

// Spec is how [Ensure] creates topics.
type Spec struct {
	Partitions int           // default 8
	Replicas   int           // replication factor, default 1
	Retention  time.Duration // retention.ms; 0 leaves the broker's default
}

// Ensure creates the topics that do not exist yet. Neither the
// embedded broker nor a locked-down cluster creates topics on first use, so
// both go through here.
func Ensure(ctx context.Context, brokers []string, cfg *tls.Config, spec Spec, names ...string) error {
	partitions, replicas := spec.Partitions, spec.Replicas
	if partitions <= 0 {
		partitions = 8
	}
	if replicas <= 0 {
		replicas = 1
	}
	var entries []kafka.ConfigEntry
	if spec.Retention > 0 {
		entries = append(entries, kafka.ConfigEntry{ConfigName: "retention.ms", ConfigValue: strconv.FormatInt(spec.Retention.Milliseconds(), 10)})
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: pki.KafkaTransport(cfg), Timeout: 15 * time.Second}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range names {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: replicas, ConfigEntries: entries})
	}
	var resp *kafka.CreateTopicsResponse
	// The broker may still be starting: retry connection errors briefly.
	err := retry.Do(ctx, retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second, MaxAttempts: 20}, func() (err error) {
		resp, err = c.CreateTopics(ctx, req)
		return err
	}, retry.Permanent(func(err error) bool {
		var ne net.Error
		return !(errors.As(err, &ne) || errors.Is(err, kafka.BrokerNotAvailable))
	}))
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	for t, e := range resp.Errors {
		if e != nil && !errors.Is(e, kafka.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", t, e)
		}
	}
	return nil
}

// Balancer is the partitioner every producer uses: murmur2 of the key, as
// Java clients do, so a user's logins, vectors and decisions share a
// partition number in every topic with the same partition count.
func Balancer() kafka.Balancer { return &kafka.Murmur2Balancer{} }

// NewWriter returns a producer for any of the topics (the topic is set per
// message) with a small batch timeout (kafka-go's default of 1 s would add
// a second to every decision).
func NewWriter(brokers []string, cfg *tls.Config) *kafka.Writer {
	return &kafka.Writer{Addr: kafka.TCP(brokers...), Transport: pki.KafkaTransport(cfg), Balancer: Balancer(),
		BatchTimeout: 2 * time.Millisecond, RequiredAcks: kafka.RequireAll, MaxAttempts: 10,
		WriteBackoffMin: 50 * time.Millisecond, WriteBackoffMax: time.Second}
}
