package deploy

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/segmentio/kafka-go/sasl"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
)

// Options describe a deployment: the broker, this program's client
// certificate and the stores. With no Brokers, the broker is embedded
// under State (created on first use, with its own CA).
type Options struct {
	State        string   // embedded state: pki/, kafka/, mouseauth.db
	Brokers      []string // external Kafka; empty: the embedded broker
	TLSDir       string   // pki folder with ca.crt and issued/NAME.{crt,key}; default State/pki
	TLSName      string   // this program's certificate name in TLSDir
	Partitions   int      // of each topic created
	TopicPerUser bool     // one feature topic per user
	Retention    time.Duration
	Stores       StoreOptions // State, TLS and Logger are filled in by Open
	// SASL is this program's SASL identity; see [SASLOptions].
	SASL SASLOptions
	// Group is the scorer's consumer group, whose grants the embedded
	// broker enforces (default topics.DefaultGroup).
	Group string
	// InputRetention is how long the embedded broker keeps the logins and
	// feature vectors; Retention the decisions, alerts and dead letters
	// (0: the defaults of cluster.Options).
	InputRetention time.Duration
}

// Env is an opened deployment.
type Env struct {
	Brokers     []string
	TLS         *tls.Config    // this program's client certificate
	SASL        sasl.Mechanism // this program's SASL identity; nil: the certificate is the principal
	Scorer      *tls.Config    // the scorer's (embedded: to run a service in process), else TLS
	ScorerSASL  sasl.Mechanism // the scorer's SASL identity (embedded), else SASL
	Cluster     *cluster.Cluster
	Profiles    store.Profiles
	Credentials store.Credentials
	Topics      topics.Names
	Where       []string // what runs where, for the user
	closers     []func()
	state       string
	keys        *live.Keys // the service's, loaded by Keys
}

// Close stops and closes what Open started, the last first.
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// Open starts or connects to what o describes: the broker (creating the
// shared topics on an external one) and the stores.
func Open(ctx context.Context, o Options, logger *slog.Logger) (_ *Env, err error) {
	e := &Env{Topics: topics.Default(), state: o.State}
	e.Topics.PerUser = o.TopicPerUser
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	tlsDir := o.TLSDir
	if len(o.Brokers) > 0 {
		if err := e.privateState(o); err != nil {
			return nil, err
		}
	} else {
		cl, err := cluster.Start(ctx, cluster.Options{Dir: o.State, Partitions: o.Partitions, Retention: o.Retention,
			InputRetention: o.InputRetention, Group: o.Group, TopicPerUser: o.TopicPerUser, Logger: logger})
		if err != nil {
			return nil, err
		}
		e.closers = append(e.closers, cl.Close)
		e.Cluster, e.Brokers = cl, cl.Brokers
		if tlsDir == "" {
			tlsDir = cl.PKIDir
		}
		e.Where = append(e.Where, fmt.Sprintf("embedded Kafka broker %s (mTLS + SASL/%s, per-role ACLs, data in %s)",
			cl.Brokers[0], cluster.Mechanism, filepath.Join(o.State, "kafka")))
		e.Scorer, e.ScorerSASL = cl.ScorerTLS, cl.ScorerSASL
	}
	if e.TLS, err = pki.ClientTLSFromDir(tlsDir, o.TLSName, ""); err != nil {
		return nil, fmt.Errorf("client certificate %q: %w", o.TLSName, err)
	}
	if e.SASL, err = e.saslIdentity(o); err != nil {
		return nil, err
	}
	if e.Scorer == nil {
		e.Scorer, e.ScorerSASL = e.TLS, e.SASL
	}
	if len(o.Brokers) > 0 {
		e.Brokers = o.Brokers
		e.Where = append(e.Where, "Kafka "+strings.Join(o.Brokers, ",")+" as "+principalOf(o, e.SASL))
		if err := topics.Ensure(ctx, e.Brokers, e.TLS, e.SASL, topics.Spec{Partitions: o.Partitions}, e.Topics.Shared()...); err != nil {
			return nil, explainConnect(err, o, e.SASL)
		}
	}
	if err := e.openStores(ctx, o, logger); err != nil {
		return nil, err
	}
	return e, nil
}

// OpenStores opens only the stores, for commands that do not touch Kafka.
func OpenStores(ctx context.Context, o Options) (_ *Env, err error) {
	e := &Env{state: o.State}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if err := e.privateState(o); err != nil {
		return nil, err
	}
	if e.TLS, err = ClientTLS(o); err != nil {
		return nil, err
	}
	if err := e.openStores(ctx, o, nil); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Env) openStores(ctx context.Context, o Options, logger *slog.Logger) error {
	so := o.Stores
	so.State, so.TLS, so.Logger = o.State, e.TLS, logger
	st, err := openStores(ctx, so)
	if err != nil {
		return err
	}
	e.closers = append(e.closers, st.Close)
	e.Profiles, e.Credentials, e.Where = st.Profiles, st.Credentials, append(e.Where, st.Where...)
	return nil
}

// ClientTLS is o.TLSName's certificate from o.TLSDir, or from the embedded
// default's PKI under o.State (created on first use) when TLSDir is empty.
func ClientTLS(o Options) (*tls.Config, error) {
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

// EnsureUserTopics creates the users' feature topics when the
// one-topic-per-user design is on, and does nothing otherwise. Each has one
// partition: a user's vectors all go to one partition anyway, and empty
// partitions cost fetch work (8 per topic made 100 users' topics saturate at
// a quarter of one keyed topic's rate).
func (e *Env) EnsureUserTopics(ctx context.Context, users []string) error {
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
	return topics.Ensure(ctx, e.Brokers, e.Scorer, e.ScorerSASL, topics.Spec{Partitions: 1}, names...)
}

// Keys are the scoring service's keys, from the state folder (created on
// first use, see [LoadKeys]); the first call adds a line to Where.
func (e *Env) Keys() (live.Keys, error) {
	if e.keys == nil {
		k, err := LoadKeys(e.state)
		if err != nil {
			return live.Keys{}, err
		}
		e.keys = &k
		e.Where = append(e.Where, describeKeys(e.state, k))
	}
	return *e.keys, nil
}

// ScorerPublicKey is the public key a client seals logins to: read from
// path, else the one of the service run in this process (when Keys was
// called), else the one the service on the state folder published
// ([PublicKeyPath]).
func (e *Env) ScorerPublicKey(path string) (*wire.PublicKey, error) {
	switch {
	case path != "":
		return ReadPublicKey(path)
	case e.keys != nil:
		return e.keys.Public(), nil
	}
	return ReadPublicKey(PublicKeyPath(e.state))
}

// ServiceConfig fills cfg's broker, certificate, topics, stores and keys
// from e. In the one-topic-per-user design the service creates the
// feature topics of enrolled users ([Env.EnsureUserTopics]; an external
// cluster's admin creates them where the scorer may not) and follows the
// per-user topics on the broker.
func (e *Env) ServiceConfig(cfg live.Config) (live.Config, error) {
	keys, err := e.Keys()
	if err != nil {
		return cfg, err
	}
	cfg.Brokers, cfg.TLS, cfg.Topics, cfg.Profiles, cfg.Credentials = e.Brokers, e.Scorer, e.Topics, e.Profiles, e.Credentials
	cfg.SASL = e.ScorerSASL
	cfg.Keys = keys
	if e.Topics.PerUser && cfg.CreateUserTopics == nil {
		cfg.CreateUserTopics = e.EnsureUserTopics
	}
	return cfg, nil
}

// StartService runs a scoring service on e in this process and returns
// once it consumes; stop drains it and returns Run's error.
func (e *Env) StartService(ctx context.Context, cfg live.Config) (stop func() error, err error) {
	if cfg, err = e.ServiceConfig(cfg); err != nil {
		return nil, err
	}
	svc, err := live.New(cfg)
	if err != nil {
		return nil, err
	}
	return svc.Start(ctx, nil)
}
