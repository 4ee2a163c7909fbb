package cassandra

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Probe returns a probe for pki.Check: it connects to hosts
// (comma-separated host:port) over cfg, with host verification, which reads
// system.local and system.peers, and closes.
func Probe(hosts string) func(ctx context.Context, cfg *tls.Config) error {
	return func(ctx context.Context, cfg *tls.Config) error {
		hs := strings.Split(hosts, ",")
		cl := gocql.NewCluster(hs...)
		if h, p, err := net.SplitHostPort(hs[0]); err == nil {
			var port int
			fmt.Sscan(p, &port)
			cl.Hosts = []string{h}
			cl.Port = port
		}
		cl.ProtoVersion = 4
		cl.Timeout = 5 * time.Second
		cl.ConnectTimeout = 5 * time.Second
		cl.NumConns = 1
		cl.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 0, Interval: time.Second}
		cl.SslOpts = &gocql.SslOptions{Config: cfg.Clone(), EnableHostVerification: true}
		s, err := cl.CreateSession()
		if err == nil {
			s.Close()
		}
		return err
	}
}
