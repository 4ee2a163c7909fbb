package topics

import (
	"crypto/tls"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Balancer is the partitioner every producer uses: murmur2 of the key, as
// Java clients do, so a user's logins, vectors and decisions share a
// partition number in every topic with the same partition count.
func Balancer() kafka.Balancer { return &kafka.Murmur2Balancer{} }

// NewWriter returns a producer for any of the topics (the topic is set per
// message) with a small batch timeout (kafka-go's default of 1 s would add
// a second to every decision), connecting with cfg and SASL mechanism m
// (nil: none). It sends Metadata and Produce requests only (no idempotent
// producer, so no InitProducerId).
func NewWriter(brokers []string, cfg *tls.Config, m sasl.Mechanism) *kafka.Writer {
	return &kafka.Writer{Addr: kafka.TCP(brokers...), Transport: Transport(cfg, m), Balancer: Balancer(),
		BatchTimeout: 2 * time.Millisecond, RequiredAcks: kafka.RequireAll, MaxAttempts: 10,
		WriteBackoffMin: 50 * time.Millisecond, WriteBackoffMax: time.Second}
}
