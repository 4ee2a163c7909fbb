package deploy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/cassandra"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/store/file"
	"github.com/mouseauth/mouseauth/live/store/mysql"
)

// StoreOptions say where the stores are; see [Open] and [OpenStores].
type StoreOptions struct {
	State string // folder of the embedded database, mouseauth.db
	// Profiles is embedded, mysql or cassandra; empty picks cassandra when
	// Cassandra is set, else mysql when DSN is, else embedded.
	Profiles string
	// DSN of MySQL (user@tcp(host:port)/db); when set, credentials live
	// there. DSNSource says where it came from ("file", "env") for Where.
	DSN, DSNSource string
	Cassandra      []string // contact points host:port
	Keyspace       string
	Replication    string // SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,...
	ModelsDir      string // keep models in this folder instead
	TLS            *tls.Config
	Logger         *slog.Logger // of the MySQL store; nil: none
}

// Kind is the profile store o selects.
func (o StoreOptions) Kind() string {
	switch {
	case o.Profiles != "":
		return o.Profiles
	case len(o.Cassandra) > 0:
		return "cassandra"
	case o.DSN != "":
		return "mysql"
	}
	return "embedded"
}

// stores are opened stores; Close closes them all.
type stores struct {
	Profiles    store.Profiles
	Credentials store.Credentials
	Where       []string // what is where, for the user
	closers     []func()
}

// Close closes every store, the last opened first.
func (s *stores) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// openStores opens the credential and profile stores. Credentials live in
// MySQL when a DSN is given, else in the embedded database; profiles in
// o.Kind(). Schemas are created if missing.
func openStores(ctx context.Context, o StoreOptions) (_ *stores, err error) {
	s := &stores{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	kind := o.Kind()
	var ms *mysql.Store
	if o.DSN != "" {
		if ms, err = o.openMySQL(ctx); err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { ms.Close() })
		s.Credentials = ms
		s.Where = append(s.Where, "credentials in MySQL (DSN from "+o.DSNSource+")")
	}
	if s.Credentials == nil || kind == "embedded" {
		es, err := o.openEmbedded(ctx)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { es.Close() })
		if s.Credentials == nil {
			s.Credentials = es
			s.Where = append(s.Where, "credentials in "+o.embeddedPath())
		}
		if kind == "embedded" {
			s.Profiles = es
			s.Where = append(s.Where, "profiles in "+o.embeddedPath())
		}
	}
	switch kind {
	case "mysql":
		if ms == nil {
			return nil, fmt.Errorf("profiles in mysql need a DSN")
		}
		s.Profiles = ms
		s.Where = append(s.Where, "profiles in MySQL")
	case "cassandra":
		cs, err := o.openCassandra(ctx)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { cs.Close() })
		s.Profiles = cs
		s.Where = append(s.Where, "profiles in Cassandra "+strings.Join(o.Cassandra, ",")+" keyspace "+o.Keyspace)
	case "embedded":
	default:
		return nil, fmt.Errorf("profile store %q: want embedded, mysql or cassandra", kind)
	}
	if o.ModelsDir != "" {
		fs, err := file.Open(o.ModelsDir)
		if err != nil {
			return nil, err
		}
		s.Profiles = store.WithModels(s.Profiles, fs)
		s.Where = append(s.Where, "models in "+o.ModelsDir)
	}
	return s, nil
}

// ModelStores are the kinds of store [OpenModels] opens.
var ModelStores = []string{"file", "embedded", "mysql", "cassandra"}

// ErrNotConfigured is wrapped by [OpenModels] when o does not say where
// the store of the kind asked for is (no DSN, no Cassandra contact point).
var ErrNotConfigured = errors.New("store not configured")

// OpenModels opens one model store of kind, as [Open] opens it for the
// service: file (the folder o.Stores.ModelsDir), embedded
// (o.Stores.State/mouseauth.db, default o.State), mysql (o.Stores.DSN) or
// cassandra (o.Stores.Cassandra), creating schemas; the servers' client
// certificate is o.Stores.TLS, else [ClientTLS] of o.
func OpenModels(ctx context.Context, kind string, o Options) (store.Models, error) {
	so := o.Stores
	if so.State == "" {
		so.State = o.State
	}
	switch kind {
	case "file":
		if so.ModelsDir == "" {
			return nil, fmt.Errorf("file model store: %w: no models folder", ErrNotConfigured)
		}
		return file.Open(so.ModelsDir)
	case "embedded":
		return so.openEmbedded(ctx)
	case "mysql":
		if so.DSN == "" {
			return nil, fmt.Errorf("mysql model store: %w: no DSN", ErrNotConfigured)
		}
	case "cassandra":
		if len(so.Cassandra) == 0 {
			return nil, fmt.Errorf("cassandra model store: %w: no contact points", ErrNotConfigured)
		}
	default:
		return nil, fmt.Errorf("model store %q: want %s", kind, strings.Join(ModelStores, ", "))
	}
	if so.TLS == nil {
		var err error
		if so.TLS, err = ClientTLS(o); err != nil {
			return nil, err
		}
	}
	if kind == "mysql" {
		return so.openMySQL(ctx)
	}
	return so.openCassandra(ctx)
}

func (o StoreOptions) embeddedPath() string { return filepath.Join(o.State, "mouseauth.db") }

func (o StoreOptions) openEmbedded(ctx context.Context) (*embedded.Store, error) {
	return embedded.Open(ctx, o.embeddedPath())
}

func (o StoreOptions) openMySQL(ctx context.Context) (*mysql.Store, error) {
	return mysql.Open(ctx, mysql.Config{DSN: o.DSN, TLS: o.TLS, CreateSchema: true, Logger: o.Logger})
}

func (o StoreOptions) openCassandra(ctx context.Context) (*cassandra.Store, error) {
	return OpenCassandra(ctx, o.Cassandra, o.Keyspace, o.Replication, o.TLS)
}

// OpenCassandra opens the Cassandra profile store, creating the keyspace
// and tables if missing.
func OpenCassandra(ctx context.Context, hosts []string, keyspace, replication string, cfg *tls.Config) (*cassandra.Store, error) {
	strategy, factor, dcs, err := ParseReplication(replication)
	if err != nil {
		return nil, err
	}
	return cassandra.Open(ctx, cassandra.Config{Hosts: hosts, Keyspace: keyspace, Replication: strategy,
		Factor: factor, DCFactors: dcs, TLS: cfg, CreateSchema: true})
}

// ParseReplication reads a keyspace replication: SimpleStrategy:N or
// NetworkTopologyStrategy:dc1=N,dc2=M.
func ParseReplication(s string) (strategy string, factor int, dcs map[string]int, err error) {
	strategy, rest, _ := strings.Cut(s, ":")
	switch strategy {
	case "SimpleStrategy":
		factor = 1
		if rest != "" {
			if factor, err = strconv.Atoi(rest); err != nil || factor < 1 {
				return "", 0, nil, fmt.Errorf("--replication %q: SimpleStrategy:N with N >= 1", s)
			}
		}
	case "NetworkTopologyStrategy":
		dcs = map[string]int{}
		for _, kv := range strings.Split(rest, ",") {
			dc, n, ok := strings.Cut(kv, "=")
			f, err := strconv.Atoi(n)
			if !ok || dc == "" || err != nil || f < 1 {
				return "", 0, nil, fmt.Errorf("--replication %q: NetworkTopologyStrategy:dc1=N,dc2=M", s)
			}
			dcs[dc] = f
		}
	default:
		return "", 0, nil, fmt.Errorf("--replication %q: want SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=M", s)
	}
	return strategy, factor, dcs, nil
}
