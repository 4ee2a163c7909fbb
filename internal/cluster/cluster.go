// Package cluster runs the embedded default of the live pipeline in one
// process: a private CA and certificates (created on first use), the
// in-process Kafka broker (kfake) serving mutual TLS with a data directory,
// and the pipeline's topics, created by the admin identity as the ACL
// specification of live/topics says ([KfakeACLs] converts that
// specification for kfake's SASL users). It consumes a state directory and produces
// broker addresses and *tls.Config values; the embedded store is opened
// from the same directory by the caller.
package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// Options configure [Start].
type Options struct {
	// Dir holds pki/, kafka/ and the embedded store; created if missing.
	Dir string
	// Partitions of each topic, default 8.
	Partitions int
	// Port of the broker; 0 reuses the port of the last run (kept in
	// Dir/kafka.port) or picks a free one.
	Port int
	// Topics to create, default topics.Default().Shared().
	Topics []string
	// Retention of the topics' messages, default 10 minutes: the embedded
	// broker keeps messages in memory, and a long replay must not grow it
	// without bound. Messages are consumed within milliseconds.
	Retention time.Duration
	Now       func() time.Time
}

// Cluster is a running embedded broker.
type Cluster struct {
	Dir       string
	PKIDir    string
	StorePath string // Dir/mouseauth.db
	Brokers   []string
	ServerTLS *tls.Config
	ScorerTLS *tls.Config // the scoring service's client certificate (topics.RoleScorer)
	ReplayTLS *tls.Config // the replaying client's certificate (topics.RoleClient)
	// AdminTLS is the bootstrap identity that creates the topics
	// (topics.RoleAdmin); neither the scorer nor the clients create topics.
	AdminTLS *tls.Config
	opts     Options
	port     int
	kc       *kfake.Cluster
}

// Certificates the embedded default issues: the broker's, and one client
// certificate per role of the ACL specification (live/topics).
const (
	CertServer = "broker"
	CertScorer = "scorer"
	CertReplay = "replay"
	CertAdmin  = "admin"
)

// EnsurePKI creates dir's CA and the broker, scorer, replay and admin
// certificates unless they exist. It reports what it created.
func EnsurePKI(dir string, now time.Time) (created []string, err error) {
	ca, err := pki.LoadCA(dir)
	if errors.Is(err, fs.ErrNotExist) {
		ca, err = pki.NewCA(pki.CAOptions{Subject: pki.Subject{CommonName: "mouseauth embedded CA", Organization: "mouseauth"}, Now: now})
		if err == nil {
			err = ca.Save(dir)
		}
		created = append(created, "CA")
	}
	if err != nil {
		return nil, fmt.Errorf("embedded PKI %s: %w", dir, err)
	}
	for _, r := range []pki.IssueRequest{
		{Name: CertServer, DNS: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, Role: pki.RoleServer},
		{Name: CertScorer, Subject: pki.Subject{CommonName: "scorer", OrganizationalUnit: "live", Organization: "mouseauth"}, Role: pki.RoleClient},
		{Name: CertReplay, Subject: pki.Subject{CommonName: "replay", OrganizationalUnit: "live", Organization: "mouseauth"}, Role: pki.RoleClient},
		{Name: CertAdmin, Subject: pki.Subject{CommonName: "admin", OrganizationalUnit: "live", Organization: "mouseauth"}, Role: pki.RoleClient},
	} {
		crt, _ := pki.CertPaths(dir, r.Name)
		if _, err := os.Stat(crt); err == nil {
			continue
		}
		r.Now = now
		is, err := ca.Issue(r)
		if err != nil {
			return nil, fmt.Errorf("embedded PKI: issue %s: %w", r.Name, err)
		}
		if err := is.Save(dir, ca.Cert); err != nil {
			return nil, fmt.Errorf("embedded PKI: %w", err)
		}
		created = append(created, r.Name)
	}
	return created, nil
}

// Start creates what is missing in o.Dir and starts the broker.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if o.Dir == "" {
		return nil, errors.New("embedded cluster: no state directory")
	}
	if o.Partitions <= 0 {
		o.Partitions = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Retention <= 0 {
		o.Retention = 10 * time.Minute
	}
	if len(o.Topics) == 0 {
		o.Topics = topics.Default().Shared()
	}
	c := &Cluster{Dir: o.Dir, PKIDir: filepath.Join(o.Dir, "pki"), StorePath: filepath.Join(o.Dir, "mouseauth.db"), opts: o}
	if err := os.MkdirAll(c.PKIDir, 0o700); err != nil {
		return nil, err
	}
	if _, err := EnsurePKI(c.PKIDir, o.Now()); err != nil {
		return nil, err
	}
	var err error
	if c.ServerTLS, err = pki.ServerTLSFromDir(c.PKIDir, CertServer); err != nil {
		return nil, err
	}
	if c.ScorerTLS, err = pki.ClientTLSFromDir(c.PKIDir, CertScorer, ""); err != nil {
		return nil, err
	}
	if c.ReplayTLS, err = pki.ClientTLSFromDir(c.PKIDir, CertReplay, ""); err != nil {
		return nil, err
	}
	if c.AdminTLS, err = pki.ClientTLSFromDir(c.PKIDir, CertAdmin, ""); err != nil {
		return nil, err
	}
	c.port = o.Port
	portFile := filepath.Join(o.Dir, "kafka.port")
	if c.port == 0 {
		if b, err := os.ReadFile(portFile); err == nil {
			c.port, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	if err := c.start(); err != nil && o.Port == 0 && c.port != 0 {
		// The remembered port is taken: pick a new one.
		c.port = 0
		if err = c.start(); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	_ = os.WriteFile(portFile, []byte(strconv.Itoa(c.port)+"\n"), 0o644)
	if err := c.EnsureTopics(ctx, 0, o.Topics...); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start() error {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.TLS(c.ServerTLS), kfake.DataDir(filepath.Join(c.Dir, "kafka")),
		kfake.GroupMinSessionTimeout(time.Second),
		// Apply retention every 10 s (Kafka's default is hourly).
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": "10000"})}
	if c.port != 0 {
		opts = append(opts, kfake.Ports(c.port))
	}
	kc, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	c.kc = kc
	c.Brokers = kc.ListenAddrs()
	if _, p, err := net.SplitHostPort(c.Brokers[0]); err == nil {
		c.port, _ = strconv.Atoi(p)
	}
	return nil
}

// EnsureTopics creates more topics (the per-user feature topics) with the
// cluster's retention and partitions partitions (0: the cluster's default),
// as the admin role.
func (c *Cluster) EnsureTopics(ctx context.Context, partitions int, names ...string) error {
	if partitions <= 0 {
		partitions = c.opts.Partitions
	}
	return topics.Ensure(ctx, c.Brokers, c.AdminTLS, topics.Spec{Partitions: partitions, Retention: c.opts.Retention}, names...)
}

// Restart stops the broker and starts it again on the same port from its
// data directory, as an operator's restart would.
func (c *Cluster) Restart() error {
	c.kc.Close()
	// The port may linger briefly.
	return retry.Do(context.Background(), retry.Policy{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond, MaxElapsed: 10 * time.Second}, c.start)
}

// Close stops the broker; its data directory stays.
func (c *Cluster) Close() {
	if c.kc != nil {
		c.kc.Close()
	}
}
