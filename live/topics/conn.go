package topics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// SASL mechanisms the pipeline speaks. Both are SCRAM (RFC 5802, 7677): the
// password never crosses the wire, and the broker stores only a salted
// verifier. PLAIN is not offered.
const (
	SCRAMSHA512 = "SCRAM-SHA-512" // the default
	SCRAMSHA256 = "SCRAM-SHA-256"
)

// SASL returns the SCRAM mechanism that authenticates as user with
// password; mechanism is [SCRAMSHA512] (also when empty) or [SCRAMSHA256].
//
// Where the brokers' listener is SASL_SSL (the embedded broker, or a real
// cluster configured so), the principal of every request is "User:" + user,
// and the client certificate only proves membership of our CA. On an SSL
// listener with client authentication the principal is the certificate's
// subject and no SASL mechanism is used (nil).
func SASL(mechanism, user, password string) (sasl.Mechanism, error) {
	if user == "" || password == "" {
		return nil, fmt.Errorf("SASL %s: a user and a password are required", mechanism)
	}
	algo := scram.SHA512
	switch mechanism {
	case "", SCRAMSHA512:
	case SCRAMSHA256:
		algo = scram.SHA256
	default:
		return nil, fmt.Errorf("SASL mechanism %q: want %s or %s", mechanism, SCRAMSHA512, SCRAMSHA256)
	}
	return scram.Mechanism(algo, user, password)
}

// Transport returns a kafka-go transport (for Writer and Client) using cfg
// and, when m is not nil, authenticating every connection with m.
// Every request a Transport makes starts with a Metadata request for all
// topics, which needs no ACL: the broker leaves out what the principal may
// not describe.
func Transport(cfg *tls.Config, m sasl.Mechanism) *kafka.Transport {
	return &kafka.Transport{TLS: cfg, SASL: m, DialTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
}

// Dialer returns a kafka-go dialer (for Reader and Conn) using cfg and,
// when m is not nil, authenticating every connection with m.
func Dialer(cfg *tls.Config, m sasl.Mechanism) *kafka.Dialer {
	return &kafka.Dialer{TLS: cfg, SASLMechanism: m, Timeout: 5 * time.Second, DualStack: true}
}

// clientTimeout bounds each request of [Ensure]'s client.
const clientTimeout = 15 * time.Second

// ErrSASLRefused is wrapped by [Probe] when the TLS handshake succeeds but
// the broker refuses the SASL credentials (kfake and Kafka close the
// connection, so the client sees only an EOF).
var ErrSASLRefused = errors.New("SASL authentication refused")

// Probe returns the check `mouseauth pki check --kafka` runs through
// pki.Check: connect to addr with the TLS configuration it is given and ask
// for the broker's API versions. That needs no ACL and no SASL (brokers
// answer ApiVersions before authentication), so it tells TLS problems apart
// from everything else. With m, a second connection then authenticates with
// m first: a wrong SASL user or password fails the probe with
// [ErrSASLRefused].
func Probe(addr string, m sasl.Mechanism) func(ctx context.Context, cfg *tls.Config) error {
	versions := func(ctx context.Context, cfg *tls.Config, m sasl.Mechanism) error {
		tr := Transport(cfg, m)
		defer tr.CloseIdleConnections()
		cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
		_, err := cl.ApiVersions(ctx, &kafka.ApiVersionsRequest{})
		return err
	}
	return func(ctx context.Context, cfg *tls.Config) error {
		if err := versions(ctx, cfg, nil); err != nil || m == nil {
			return err
		}
		if err := versions(ctx, cfg, m); err != nil {
			return fmt.Errorf("%w (%s, after a successful TLS handshake): %v", ErrSASLRefused, m.Name(), err)
		}
		return nil
	}
}
