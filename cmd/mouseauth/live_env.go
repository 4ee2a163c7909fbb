package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/store/file"
	"github.com/mouseauth/mouseauth/live/store/mysql"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// DeployOptions say where the live pipeline's broker and stores are. With
// none of the cluster flags, everything is embedded under State.
type DeployOptions struct {
	State        string   // embedded state: pki/, kafka/, mouseauth.db
	Brokers      []string // external Kafka; empty = the embedded broker
	TLSDir       string   // pki directory with ca.crt and issued/NAME.{crt,key}
	TLSName      string   // certificate name, default per command (scorer, replay)
	Partitions   int
	Profiles     string // embedded | mysql | cassandra
	MySQLDSNFile string // file holding the DSN; else $MOUSEAUTH_MYSQL_DSN
	Cassandra    []string
	Keyspace     string
	Replication  string
	ModelsDir    string
	TopicPerUser bool
	Retention    time.Duration // of the embedded broker's topics
	Getenv       func(string) string
}

func (o *DeployOptions) bind(fs *pflag.FlagSet, certName string) {
	o.TLSName = certName
	fs.StringVar(&o.State, "state", "mouseauth-state", "folder of the embedded default: CA and certificates, broker data, database file")
	fs.StringSliceVar(&o.Brokers, "brokers", nil, "external Kafka brokers host:port (default: the embedded broker)")
	fs.StringVar(&o.TLSDir, "tls-dir", "", "pki folder with ca.crt and issued/NAME.crt|key (default: STATE/pki)")
	fs.StringVar(&o.TLSName, "tls-name", certName, "client certificate name in --tls-dir")
	fs.IntVar(&o.Partitions, "partitions", 8, "partitions of each topic when creating topics")
	fs.StringVar(&o.Profiles, "profiles", "", "profile store: embedded, mysql or cassandra (default: cassandra with --cassandra, else mysql when a DSN is set, else embedded)")
	fs.StringVar(&o.MySQLDSNFile, "mysql-dsn-file", "", "file holding the MySQL DSN user@tcp(host:port)/db (or set MOUSEAUTH_MYSQL_DSN); credentials go there")
	fs.StringSliceVar(&o.Cassandra, "cassandra", nil, "Cassandra contact points host:port for profiles")
	fs.StringVar(&o.Keyspace, "keyspace", "mouseauth", "Cassandra keyspace")
	fs.StringVar(&o.Replication, "replication", "SimpleStrategy:1", "keyspace replication: SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=M")
	fs.StringVar(&o.ModelsDir, "models-dir", "", "keep models in this folder (file store) instead of the profile store")
	fs.BoolVar(&o.TopicPerUser, "topic-per-user", false, "one feature topic per user, as the enterprise design had")
	fs.DurationVar(&o.Retention, "retention", 10*time.Minute, "how long the embedded broker keeps messages")
}

// validate checks the combination before any work.
func (o *DeployOptions) validate() error {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	switch o.Profiles {
	case "", "embedded", "mysql", "cassandra":
	default:
		return cli.FlagErrorf("--profiles %q: want embedded, mysql or cassandra", o.Profiles)
	}
	if len(o.Brokers) > 0 && o.TLSDir == "" {
		return cli.FlagErrorf("--brokers needs --tls-dir: the pipeline speaks only mutual TLS")
	}
	if o.Profiles == "cassandra" && len(o.Cassandra) == 0 {
		return cli.FlagErrorf("--profiles cassandra needs --cassandra host:port")
	}
	if o.Profiles == "mysql" && o.dsnSource() == "" {
		return cli.FlagErrorf("--profiles mysql needs --mysql-dsn-file or MOUSEAUTH_MYSQL_DSN")
	}
	if o.Partitions < 1 {
		return cli.FlagErrorf("--partitions must be at least 1")
	}
	if _, _, _, err := parseReplication(o.Replication); err != nil {
		return cli.FlagErrorf("%v", err)
	}
	return nil
}

// validateWith validates the deploy flags and an --output format, the
// checks every command that prints results from the pipeline makes.
func (o *DeployOptions) validateWith(output string) error {
	if err := o.validate(); err != nil {
		return err
	}
	return cli.ValidateOutput(output)
}

func (o *DeployOptions) dsnSource() string {
	if o.MySQLDSNFile != "" {
		return "file"
	}
	if o.Getenv != nil && o.Getenv("MOUSEAUTH_MYSQL_DSN") != "" {
		return "env"
	}
	return ""
}

func (o *DeployOptions) dsn() (string, error) {
	if o.MySQLDSNFile != "" {
		b, err := os.ReadFile(o.MySQLDSNFile)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return o.Getenv("MOUSEAUTH_MYSQL_DSN"), nil
}

// deployEnv is an opened pipeline environment.
type deployEnv struct {
	Brokers  []string
	TLS      *tls.Config // this command's client certificate
	Scorer   *tls.Config // the scorer's (embedded only, to run a service in process)
	Cluster  *cluster.Cluster
	Profiles store.Profiles
	Creds    store.Credentials
	Topics   topics.Names
	Where    []string // what runs where, for the user
	closers  []func()
}

// EnsureUserTopics creates the users' feature topics when the
// one-topic-per-user design is on, and does nothing otherwise. Each has one
// partition: a user's vectors all go to one partition anyway, and empty
// partitions cost fetch work (8 per topic made 100 users' topics saturate at
// a quarter of one keyed topic's rate).
func (e *deployEnv) EnsureUserTopics(ctx context.Context, users []string) error {
	if !e.Topics.PerUser {
		return nil
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = e.Topics.FeaturesFor(u)
	}
	if e.Cluster != nil {
		return e.Cluster.EnsureTopics(ctx, 1, names...) // with the embedded retention
	}
	return topics.Ensure(ctx, e.Brokers, e.Scorer, topics.Spec{Partitions: 1}, names...)
}

// StartService runs a scoring service on e in this process and returns
// once it consumes; stop drains it and returns Run's error.
func (e *deployEnv) StartService(ctx context.Context, cfg live.Config) (stop func() error, err error) {
	cfg.Brokers, cfg.TLS, cfg.Topics, cfg.Profiles, cfg.Credentials = e.Brokers, e.Scorer, e.Topics, e.Profiles, e.Creds
	svc, err := live.New(cfg)
	if err != nil {
		return nil, err
	}
	return svc.Start(ctx, nil)
}

// pipeline is e for the benches.
func (e *deployEnv) pipeline() bench.Pipeline {
	p := bench.Pipeline{Brokers: e.Brokers, Client: e.TLS, Scorer: e.Scorer, Topics: e.Topics, Profiles: e.Profiles, Credentials: e.Creds}
	if e.Topics.PerUser {
		p.EnsureUserTopics = e.EnsureUserTopics
	}
	return p
}

func (e *deployEnv) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// open starts or connects to what o describes.
func (o *DeployOptions) open(ctx context.Context, logger *slog.Logger) (_ *deployEnv, err error) {
	e := &deployEnv{Topics: topics.Default()}
	e.Topics.PerUser = o.TopicPerUser
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	tlsDir := o.TLSDir
	if len(o.Brokers) == 0 {
		cl, err := cluster.Start(ctx, cluster.Options{Dir: o.State, Partitions: o.Partitions, Retention: o.Retention})
		if err != nil {
			return nil, err
		}
		e.closers = append(e.closers, cl.Close)
		e.Cluster, e.Brokers = cl, cl.Brokers
		if tlsDir == "" {
			tlsDir = cl.PKIDir
		}
		e.Where = append(e.Where, fmt.Sprintf("embedded Kafka broker %s (mTLS, data in %s)", cl.Brokers[0], filepath.Join(o.State, "kafka")))
		e.Scorer = cl.ScorerTLS
	} else {
		e.Brokers = o.Brokers
		e.Where = append(e.Where, "Kafka "+strings.Join(o.Brokers, ","))
	}
	if e.TLS, err = pki.ClientTLSFromDir(tlsDir, o.TLSName, ""); err != nil {
		return nil, fmt.Errorf("client certificate %q: %w", o.TLSName, err)
	}
	if e.Scorer == nil {
		e.Scorer = e.TLS
	}
	if len(o.Brokers) > 0 {
		if err := topics.Ensure(ctx, e.Brokers, e.TLS, topics.Spec{Partitions: o.Partitions}, e.Topics.Shared()...); err != nil {
			return nil, err
		}
	}

	if err := o.stores(ctx, e, logger); err != nil {
		return nil, err
	}
	return e, nil
}

// openStores opens only the stores (commands that do not touch Kafka).
func (o *DeployOptions) openStores(ctx context.Context) (_ *deployEnv, err error) {
	e := &deployEnv{}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if e.TLS, err = o.clientTLS(); err != nil {
		return nil, err
	}
	if err := o.stores(ctx, e, nil); err != nil {
		return nil, err
	}
	return e, nil
}

// clientTLS is the --tls-name certificate from --tls-dir, or from the
// embedded default's PKI (created on first use) when --tls-dir is empty.
func (o *DeployOptions) clientTLS() (*tls.Config, error) {
	tlsDir := o.TLSDir
	if tlsDir == "" {
		tlsDir = filepath.Join(o.State, "pki")
		if _, err := cluster.EnsurePKI(tlsDir, time.Now()); err != nil {
			return nil, err
		}
	}
	cfg, err := pki.ClientTLSFromDir(tlsDir, o.TLSName, "")
	if err != nil {
		return nil, fmt.Errorf("client certificate %q: %w", o.TLSName, err)
	}
	return cfg, nil
}

// stores opens the credential and profile stores into e. Credentials live
// in MySQL when a DSN is given, else in the embedded database; profiles in
// --profiles, defaulting to Cassandra with --cassandra, else MySQL with a
// DSN, else the embedded database.
func (o *DeployOptions) stores(ctx context.Context, e *deployEnv, logger *slog.Logger) error {
	kind := o.Profiles
	switch {
	case kind != "":
	case len(o.Cassandra) > 0:
		kind = "cassandra"
	case o.dsnSource() != "":
		kind = "mysql"
	default:
		kind = "embedded"
	}
	var ms *mysql.Store
	if src := o.dsnSource(); src != "" {
		dsn, err := o.dsn()
		if err != nil {
			return err
		}
		if ms, err = mysql.Open(ctx, mysql.Config{DSN: dsn, TLS: e.TLS, CreateSchema: true, Logger: logger}); err != nil {
			return err
		}
		e.closers = append(e.closers, func() { ms.Close() })
		e.Creds = ms
		e.Where = append(e.Where, "credentials in MySQL (DSN from "+src+")")
	}
	if e.Creds == nil || kind == "embedded" {
		path := filepath.Join(o.State, "mouseauth.db")
		es, err := embedded.Open(ctx, path)
		if err != nil {
			return err
		}
		e.closers = append(e.closers, func() { es.Close() })
		if e.Creds == nil {
			e.Creds = es
			e.Where = append(e.Where, "credentials in "+path)
		}
		if kind == "embedded" {
			e.Profiles = es
			e.Where = append(e.Where, "profiles in "+path)
		}
	}
	switch kind {
	case "mysql":
		e.Profiles = ms
		e.Where = append(e.Where, "profiles in MySQL")
	case "cassandra":
		cs, err := openCassandra(ctx, o, e.TLS)
		if err != nil {
			return err
		}
		e.closers = append(e.closers, func() { cs.Close() })
		e.Profiles = cs
		e.Where = append(e.Where, "profiles in Cassandra "+strings.Join(o.Cassandra, ",")+" keyspace "+o.Keyspace)
	}
	if o.ModelsDir != "" {
		fs, err := file.Open(o.ModelsDir)
		if err != nil {
			return err
		}
		e.Profiles = store.WithModels(e.Profiles, fs)
		e.Where = append(e.Where, "models in "+o.ModelsDir)
	}
	return nil
}
