package topics

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/segmentio/kafka-go"
)

// Transport returns a kafka-go transport (for Writer and Client) using cfg.
// Every request a Transport makes starts with a Metadata request for all
// topics, which needs no ACL: the broker leaves out what the principal may
// not describe.
func Transport(cfg *tls.Config) *kafka.Transport {
	return &kafka.Transport{TLS: cfg, DialTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
}

// Dialer returns a kafka-go dialer (for Reader and Conn) using cfg.
func Dialer(cfg *tls.Config) *kafka.Dialer {
	return &kafka.Dialer{TLS: cfg, Timeout: 5 * time.Second, DualStack: true}
}

// clientTimeout bounds each request of [Ensure]'s client.
const clientTimeout = 15 * time.Second

// Probe returns the check `mouseauth pki check --kafka` runs through
// pki.Check: connect to addr with the TLS configuration it is given and ask
// for the broker's API versions. It needs no ACL, so it tells TLS problems
// apart from authorization.
func Probe(addr string) func(ctx context.Context, cfg *tls.Config) error {
	return func(ctx context.Context, cfg *tls.Config) error {
		tr := Transport(cfg)
		defer tr.CloseIdleConnections()
		cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
		_, err := cl.ApiVersions(ctx, &kafka.ApiVersionsRequest{})
		return err
	}
}
