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

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/internal/safefs"
	"github.com/mouseauth/mouseauth/internal/secret"
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
	// it. The embedded broker keeps its records in memory as well as in
	// its data directory: under a sustained load, shorten it.
	Retention time.Duration
	// InputRetention is how long the logins and the feature vectors (the
	// shared topic and every per-user one) are kept, in the data
	// directory's files too (within 3 RetentionCheck, see retention.go). Default
	// [DefaultInputRetention] (10 minutes): the scorer consumes them within
	// milliseconds, and a sealed login must not stay long, since a leaked
	// scorer key opens every login still stored (docs/wire.md).
	InputRetention time.Duration
	// RetentionCheck is how often the broker drops records past their
	// topic's retention and sizes the input segments (default
	// [DefaultRetentionCheck]).
	RetentionCheck time.Duration
	// ClientsCheck is how often a running broker looks for client
	// identities registered or removed in the state folder (default 2 s).
	ClientsCheck time.Duration
	// TopicPerUser says the feature topics are one per user: the client
	// identities' grants name their users' topics (see topics.Names.ACLs).
	TopicPerUser bool
	// Group is the scorer's consumer group, whose grants the broker
	// enforces (default topics.DefaultGroup).
	Group string
	// segments overrides how input segments are sized (benchmarks):
	// "" sizes them by time (the default), "fixed" keeps kfake's 100 MiB,
	// "per-batch" gives each batch a segment.
	segments string
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
	// ReplayTLS is the shared client identity's certificate
	// (topics.RoleReplay, bound to every user): replay and the benchmarks.
	ReplayTLS *tls.Config
	// AdminTLS is the identity that creates the topics (topics.RoleAdmin);
	// neither the scorer nor the clients create topics.
	AdminTLS *tls.Config
	// OperatorTLS reads decisions, alerts and dead letters
	// (topics.RoleOperator, live tail).
	OperatorTLS *tls.Config
	// The SASL identities of the roles: every connection to the broker
	// authenticates with one of them (or a client identity's), and the
	// broker authorizes its requests as that user (see [Users]).
	ScorerSASL, ReplaySASL, AdminSASL, OperatorSASL sasl.Mechanism
	opts                                            Options
	port                                            int
	kc                                              *kfake.Cluster
	brokerSASL                                      sasl.Mechanism // UserBroker's, this start's password
	stopSizer                                       func()         // stops sizeSegments
	stopWatch                                       func()         // stops watchClients
	lock                                            *StateLock
	releaseUmask                                    func()
}

// Certificates the embedded default issues: the broker's, and one client
// certificate per role of the ACL specification (live/topics).
const (
	CertServer   = "broker"
	CertScorer   = "scorer"
	CertReplay   = "replay"
	CertAdmin    = "admin"
	CertOperator = "operator"
)

// EnsurePKI creates dir's CA and the broker, scorer, replay, admin and
// operator certificates unless they exist. The replay certificate is the
// shared client identity, bound to every user (pki.Binding); one made
// before client identities existed is issued again with its binding. It
// reports what it created.
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
		{Name: CertReplay, Subject: pki.Subject{CommonName: "replay", OrganizationalUnit: "live", Organization: "mouseauth"}, Role: pki.RoleClient,
			Binding: &pki.Binding{AnyUser: true}},
		{Name: CertAdmin, Subject: pki.Subject{CommonName: "admin", OrganizationalUnit: "live", Organization: "mouseauth"}, Role: pki.RoleClient},
		{Name: CertOperator, Subject: pki.Subject{CommonName: "operator", OrganizationalUnit: "live", Organization: "mouseauth"}, Role: pki.RoleClient},
	} {
		crt, key := pki.CertPaths(dir, r.Name)
		if c, err := pki.ReadCert(crt); err == nil {
			if _, berr := pki.BindingOf(c); r.Binding == nil || berr == nil {
				continue
			}
			// A replay certificate of an older state: no binding.
			if err := errors.Join(os.Remove(crt), os.Remove(key)); err != nil {
				return nil, fmt.Errorf("embedded PKI: reissue %s with its binding: %w", r.Name, err)
			}
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
	if o.RetentionCheck <= 0 {
		o.RetentionCheck = DefaultRetentionCheck
	}
	if o.ClientsCheck <= 0 {
		o.ClientsCheck = 2 * time.Second
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
	if c.OperatorTLS, err = pki.ClientTLSFromDir(c.PKIDir, CertOperator, ""); err != nil {
		return nil, err
	}
	if _, err := EnsurePasswords(o.Dir); err != nil {
		return nil, err
	}
	for _, id := range []struct {
		user string
		m    *sasl.Mechanism
	}{{UserScorer, &c.ScorerSASL}, {UserReplay, &c.ReplaySASL}, {UserAdmin, &c.AdminSASL}, {UserOperator, &c.OperatorSASL}} {
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
	if err := c.startBackground(ctx, o.Topics); err != nil {
		return nil, err
	}
	return c, nil
}

// startBackground sets the ACLs, creates the topics names and the client
// identities' decision topics, sets the topics' configs, deletes the
// inputs consumed or expired while no broker ran, then starts the segment
// sizer and the client watcher.
func (c *Cluster) startBackground(ctx context.Context, names []string) error {
	clients, err := clientsOf(c.Dir)
	if err != nil {
		return err
	}
	// The ACLs: kfake seeds them only into an empty data directory.
	added, removed, err := c.reconcileACLs(ctx, specClients(clients))
	if err != nil {
		return err
	}
	if len(added)+len(removed) > 0 {
		c.opts.Logger.Info("embedded broker: ACLs set to the specification", "group", c.opts.Group, "clients", len(clients), "added", len(added), "removed", len(removed))
		for _, a := range removed {
			c.opts.Logger.Debug("embedded broker: ACL removed", "acl", a)
		}
	}
	if err := c.EnsureTopics(ctx, 0, names...); err != nil {
		return err
	}
	// Topics made by an earlier start keep the retention they were made
	// with: set the options' (a state of 10-minute decisions gets 7 days).
	if err := c.setRetention(ctx, names...); err != nil {
		return err
	}
	var decisions []string
	for _, r := range clients {
		decisions = append(decisions, topics.Default().DecisionsFor(r.Name))
	}
	if err := c.EnsureTopics(ctx, 1, decisions...); err != nil {
		return err
	}
	c.trimConsumed()
	if err := c.resumeCommits(ctx); err != nil {
		// A consumer already joined (a broker restarted under a running
		// scorer): it recovers from an offset past the end itself.
		c.opts.Logger.Warn("embedded broker: offsets not moved", "err", err)
	}
	c.startSizer()
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.watchClients(wctx, clients) }()
	c.stopWatch = func() { cancel(); <-done }
	return nil
}

// stopBackground stops what startBackground started.
func (c *Cluster) stopBackground() {
	if c.stopWatch != nil {
		c.stopWatch()
		c.stopWatch = nil
	}
	c.stopSizing()
}

func (c *Cluster) start() error {
	dataDir := filepath.Join(c.Dir, "kafka")
	if err := safefs.Dir(dataDir, 0o700); err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	if err := forgetPersistedSASL(dataDir); err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	clients, err := clientsOf(c.Dir)
	if err != nil {
		return err
	}
	// The broker's own principal: a new password at every start, in
	// memory only.
	brokerPW, err := secret.Generate()
	if err != nil {
		return err
	}
	if c.brokerSASL, err = topics.SASL(Mechanism, UserBroker, brokerPW); err != nil {
		return err
	}
	auth, err := c.saslOpts(clients, brokerPW)
	if err != nil {
		return err
	}
	opts := append([]kfake.Opt{kfake.NumBrokers(1), kfake.TLS(c.ServerTLS), kfake.DataDir(dataDir),
		kfake.GroupMinSessionTimeout(time.Second), kfake.WithLogger(brokerLogger{c.opts.Logger}),
		// Apply retention every RetentionCheck (Kafka's default is hourly).
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": strconv.FormatInt(c.opts.RetentionCheck.Milliseconds(), 10)})}, auth...)
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
// configs of their kind ([Cluster.topicConfigs]) and partitions
// partitions (0: the cluster's default), as the admin role.
func (c *Cluster) EnsureTopics(ctx context.Context, partitions int, names ...string) error {
	if partitions <= 0 {
		partitions = c.opts.Partitions
	}
	for _, n := range names {
		p := partitions
		if strings.HasPrefix(n, topics.Default().ClientDecisionsPrefix()) {
			p = 1 // one workstation's decisions
		}
		if err := topics.Ensure(ctx, c.Brokers, c.AdminTLS, c.AdminSASL, topics.Spec{Partitions: p, Configs: c.topicConfigs(n)}, n); err != nil {
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
		c.stopBackground()
		c.trimConsumed()
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
	if err := retry.Do(context.Background(), retry.Policy{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond, MaxElapsed: 10 * time.Second}, c.start); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.startBackground(ctx, nil)
}

// startSizer starts sizing the input topics' segments (see "Inputs on
// disk" in retention.go) until stopSizing.
func (c *Cluster) startSizer() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.sizeSegments(ctx) }()
	c.stopSizer = func() { cancel(); <-done }
}

func (c *Cluster) stopSizing() {
	if c.stopSizer != nil {
		c.stopSizer()
		c.stopSizer = nil
	}
}

// internalClient is a client of the broker as its own principal
// (UserBroker, a super user), for the broker's own administration; close
// is its transport's CloseIdleConnections.
func (c *Cluster) internalClient() (cl *kafka.Client, close func()) {
	tr := topics.Transport(c.AdminTLS, c.brokerSASL)
	return &kafka.Client{Addr: kafka.TCP(c.Brokers...), Transport: tr, Timeout: 10 * time.Second}, tr.CloseIdleConnections
}

// Close deletes the inputs the scorer has consumed (see [IsInput]), stops
// the broker (kfake saves its state to the data directory, still under the
// private umask), then releases the umask and the state lock. The data
// directory stays.
func (c *Cluster) Close() {
	if c.kc != nil {
		c.stopBackground()
		c.trimConsumed()
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
	case UserOperator:
		return c.OperatorTLS, c.OperatorSASL, nil
	}
	return nil, nil, fmt.Errorf("the embedded broker has no SASL user %q (it has %v)", user, Users())
}

// Superuser returns the broker's own principal (UserBroker, a super user,
// with the admin's certificate), whose password was generated at this
// start and exists only in this process: for tests that must see every
// topic, and nothing else. No role holds what it may do.
func (c *Cluster) Superuser() (*tls.Config, sasl.Mechanism) { return c.AdminTLS, c.brokerSASL }

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
