package pki

import (
	"crypto/tls"
	"fmt"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/go-sql-driver/mysql"
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

// RegisterMySQL registers cfg with the MySQL driver under name and returns
// dsn with tls=name set (replacing any tls= parameter).
func RegisterMySQL(name string, cfg *tls.Config, dsn string) (string, error) {
	if err := mysql.RegisterTLSConfig(name, cfg.Clone()); err != nil {
		return "", fmt.Errorf("register MySQL TLS config %q: %w", name, err)
	}
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("MySQL DSN: %w", err)
	}
	mc.TLS = nil
	mc.TLSConfig = name
	out := mc.FormatDSN()
	return out, nil
}

// Gocql returns gocql SSL options using cfg, with host verification on.
// When cfg has no ServerName, gocql verifies each host's address.
func Gocql(cfg *tls.Config) *gocql.SslOptions {
	return &gocql.SslOptions{Config: cfg.Clone(), EnableHostVerification: true}
}
