package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/internal/safefs"
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
	// Retention is how long the topics people read keep their records:
	// decisions, alerts and dead letters. Default [DefaultRetention] (7
	// days), so an alert is still there while an engineer investigates
	// it. The embedded broker keeps records in memory: under a sustained
	// load, shorten it.
	Retention time.Duration
	// InputRetention is how long the logins and the feature vectors (the
	// shared topic and every per-user one) are kept. Default
	// [DefaultInputRetention] (10 minutes): the scorer consumes them within
	// milliseconds, and a sealed login must not stay long, since a leaked
	// scorer key opens every login still stored (docs/wire.md).
	InputRetention time.Duration
	// Group is the scorer's consumer group, whose grants the broker
	// enforces (default topics.DefaultGroup).
	Group string
	// Logger receives the broker's refusals (connections that fail SASL
	// authentication or speak before it) and warnings, and the ACL changes
	// made at start. Default: discard.
	Logger *slog.Logger
	Now    func() time.Time
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
	// The SASL identities of the scorer, replay and the admin: every
	// connection to the broker authenticates with one of them, and the
	// broker authorizes its requests as that user (see [Users]).
	ScorerSASL, ReplaySASL, AdminSASL sasl.Mechanism
	opts                              Options
	port                              int
	kc                                *kfake.Cluster
	lock                              *StateLock
	releaseUmask                      func()
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

// Start creates what is missing in o.Dir and starts the broker. It makes
// o.Dir private ([SecureState]), takes its lock ([LockState]: a second
// Start on the same folder fails naming the holder's pid) and holds a
// private umask ([HoldPrivateUmask]) until [Cluster.Close].
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
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
		o.Retention = DefaultRetention
	}
	if o.InputRetention <= 0 {
		o.InputRetention = DefaultInputRetention
	}
	if len(o.Topics) == 0 {
		o.Topics = topics.Default().Shared()
	}
	if o.Group == "" {
		o.Group = topics.DefaultGroup
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cluster{Dir: o.Dir, PKIDir: filepath.Join(o.Dir, "pki"), StorePath: filepath.Join(o.Dir, "mouseauth.db"), opts: o}
	if err := SecureState(o.Dir); err != nil {
		return nil, err
	}
	if c.lock, err = LockState(o.Dir); err != nil {
		return nil, err
	}
	c.releaseUmask = HoldPrivateUmask()
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if err := safefs.Dir(c.PKIDir, 0o700); err != nil {
		return nil, err
	}
	if _, err := EnsurePKI(c.PKIDir, o.Now()); err != nil {
		return nil, err
	}
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
	if _, err := EnsurePasswords(o.Dir); err != nil {
		return nil, err
	}
	for _, id := range []struct {
		user string
		m    *sasl.Mechanism
	}{{UserScorer, &c.ScorerSASL}, {UserReplay, &c.ReplaySASL}, {UserAdmin, &c.AdminSASL}} {
		if *id.m, err = Credentials(o.Dir, id.user); err != nil {
			return nil, err
		}
	}
	c.port = o.Port
	portFile := filepath.Join(o.Dir, "kafka.port")
	if c.port == 0 {
		if b, err := safefs.ReadFile(portFile); err == nil {
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
	_ = safefs.WriteFile(portFile, []byte(strconv.Itoa(c.port)+"\n"), 0o600)
	added, removed, err := c.reconcileACLs(ctx, o.Group)
	if err != nil {
		return nil, err
	}
	if len(added)+len(removed) > 0 {
		o.Logger.Info("embedded broker: ACLs set to the specification", "group", o.Group, "added", len(added), "removed", len(removed))
		for _, a := range removed {
			o.Logger.Debug("embedded broker: ACL removed", "acl", a)
		}
	}
	if err := c.EnsureTopics(ctx, 0, o.Topics...); err != nil {
		return nil, err
	}
	// Topics made by an earlier start keep the retention they were made
	// with: set the options' (a state of 10-minute decisions gets 7 days).
	if err := c.setRetention(ctx, o.Topics...); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start() error {
	dataDir := filepath.Join(c.Dir, "kafka")
	if err := safefs.Dir(dataDir, 0o700); err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	if err := forgetPersistedSASL(dataDir); err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	auth, err := saslOpts(c.Dir, c.opts.Group)
	if err != nil {
		return err
	}
	opts := append([]kfake.Opt{kfake.NumBrokers(1), kfake.TLS(c.ServerTLS), kfake.DataDir(dataDir),
		kfake.GroupMinSessionTimeout(time.Second), kfake.WithLogger(brokerLogger{c.opts.Logger}),
		// Apply retention every 10 s (Kafka's default is hourly).
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": "10000"})}, auth...)
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
	if err := c.advertiseSASLHandshakeV0(context.Background()); err != nil {
		kc.Close()
		c.kc = nil
		return err
	}
	return nil
}

// EnsureTopics creates more topics (the per-user feature topics) with the
// retention of their kind ([Cluster.RetentionOf]) and partitions
// partitions (0: the cluster's default), as the admin role.
func (c *Cluster) EnsureTopics(ctx context.Context, partitions int, names ...string) error {
	if partitions <= 0 {
		partitions = c.opts.Partitions
	}
	byRetention := map[time.Duration][]string{}
	for _, n := range names {
		r := c.RetentionOf(n)
		byRetention[r] = append(byRetention[r], n)
	}
	for r, names := range byRetention {
		if err := topics.Ensure(ctx, c.Brokers, c.AdminTLS, c.AdminSASL, topics.Spec{Partitions: partitions, Retention: r}, names...); err != nil {
			return err
		}
	}
	return nil
}

// Restart stops the broker and starts it again on the same port from its
// data directory, as an operator's restart would. After [Cluster.Close] it
// takes the state folder's lock and the private umask again first.
func (c *Cluster) Restart() error {
	if c.kc != nil {
		c.kc.Close()
		c.kc = nil
	}
	if c.lock == nil {
		lock, err := LockState(c.Dir)
		if err != nil {
			return err
		}
		c.lock, c.releaseUmask = lock, HoldPrivateUmask()
	}
	// The port may linger briefly.
	return retry.Do(context.Background(), retry.Policy{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond, MaxElapsed: 10 * time.Second}, c.start)
}

// Close stops the broker (kfake saves its state to the data directory,
// still under the private umask), then releases the umask and the state
// lock. The data directory stays.
func (c *Cluster) Close() {
	if c.kc != nil {
		c.kc.Close()
		c.kc = nil
	}
	if c.releaseUmask != nil {
		c.releaseUmask()
		c.releaseUmask = nil
	}
	c.lock.Unlock()
	c.lock = nil
}

// Credentials returns the TLS configuration and SASL mechanism of the
// embedded broker's user (see [Users]), whose certificate has the same name.
func (c *Cluster) Credentials(user string) (*tls.Config, sasl.Mechanism, error) {
	switch user {
	case UserScorer:
		return c.ScorerTLS, c.ScorerSASL, nil
	case UserReplay:
		return c.ReplayTLS, c.ReplaySASL, nil
	case UserAdmin:
		return c.AdminTLS, c.AdminSASL, nil
	}
	return nil, nil, fmt.Errorf("the embedded broker has no SASL user %q (it has %v)", user, Users())
}

// brokerLogger forwards kfake's log lines: errors and warnings as such;
// of the informational lines only the refused connections ("request unable
// to be handled": a failed SASL authentication, a request before it, a
// malformed request), as warnings. kfake does not log ACL refusals; the
// client receives TOPIC_AUTHORIZATION_FAILED or GROUP_AUTHORIZATION_FAILED.
type brokerLogger struct{ l *slog.Logger }

func (b brokerLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	switch {
	case level == kfake.LogLevelError:
		b.l.Error("kafka broker: " + fmt.Sprintf(format, args...))
	case level == kfake.LogLevelWarn:
		b.l.Warn("kafka broker: " + fmt.Sprintf(format, args...))
	case level == kfake.LogLevelInfo && strings.Contains(format, "unable to be handled"):
		b.l.Warn("kafka broker: refused: " + fmt.Sprintf(format, args...))
	}
}
