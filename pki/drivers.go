package pki

import (
	"crypto/tls"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Kfake returns the embedded broker option serving TLS with cfg (from
// [ServerTLS]). kfake cannot map certificates to principals: it enforces only
// that the client presents a certificate issued by our CA.
func Kfake(cfg *tls.Config) kfake.Opt { return kfake.TLS(cfg) }

// KafkaTransport returns a kafka-go transport (for Writer and Client) using cfg.
func KafkaTransport(cfg *tls.Config) *kafka.Transport {
	return &kafka.Transport{TLS: cfg, DialTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
}

// KafkaDialer returns a kafka-go dialer (for Reader and Conn) using cfg.
func KafkaDialer(cfg *tls.Config) *kafka.Dialer {
	return &kafka.Dialer{TLS: cfg, Timeout: 5 * time.Second, DualStack: true}
}
