package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/deploy"
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
	// Retention of the embedded broker's decisions, alerts and dead
	// letters; InputRetention of its logins and feature vectors.
	Retention, InputRetention time.Duration
	SASL                      SASLFlags
	// Group is the scorer's consumer group, whose grants the embedded
	// broker enforces; set by the command (serve's --group), not a flag.
	Group  string
	Getenv func(string) string
}

func (o *DeployOptions) bind(fs *pflag.FlagSet, certName string) {
	o.TLSName = certName
	fs.StringVar(&o.State, "state", "mouseauth-state", "folder of the embedded default: CA and certificates, broker data, database file")
	fs.StringSliceVar(&o.Brokers, "brokers", nil, "external Kafka brokers host:port (default: the embedded broker)")
	fs.StringVar(&o.TLSDir, "pki-dir", "", "PKI folder with ca.crt and issued/NAME.crt|key, as 'mouseauth pki' makes it (default: STATE/pki)")
	fs.StringVar(&o.TLSName, "cert", certName, "client certificate: issued/NAME.crt of --pki-dir")
	cli.Alias(fs, "tls-dir", "pki-dir")
	cli.Alias(fs, "tls-name", "cert")
	fs.IntVar(&o.Partitions, "partitions", 8, "partitions of each topic when creating topics")
	fs.StringVar(&o.Profiles, "profiles", "", "profile store: embedded, mysql or cassandra (default: cassandra with --cassandra, else mysql when a DSN is set, else embedded)")
	fs.StringVar(&o.MySQLDSNFile, "mysql-dsn-file", "", "file holding the MySQL DSN user@tcp(host:port)/db (or set MOUSEAUTH_MYSQL_DSN); credentials go there")
	fs.StringSliceVar(&o.Cassandra, "cassandra", nil, "Cassandra contact points host:port for profiles")
	fs.StringVar(&o.Keyspace, "keyspace", "mouseauth", "Cassandra keyspace")
	fs.StringVar(&o.Replication, "replication", "SimpleStrategy:1", "keyspace replication: SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,dc2=M")
	fs.StringVar(&o.ModelsDir, "models-dir", "", "keep models in this folder (file store) instead of the profile store")
	fs.BoolVar(&o.TopicPerUser, "topic-per-user", false, "one feature topic per user, as the enterprise design had")
	fs.DurationVar(&o.Retention, "retention", cluster.DefaultRetention, "how long the embedded broker keeps decisions, alerts and dead letters")
	fs.DurationVar(&o.InputRetention, "input-retention", cluster.DefaultInputRetention, "how long the embedded broker keeps logins and feature vectors, on disk too (sealed logins: keep it short)")
	o.SASL.bind(fs)
}

// benchRetention is the retention of a bench's embedded broker: the
// benches' state is their own, nobody reads their alerts, and at
// thousands of vectors a second days of decisions would fill the memory.
const benchRetention = 10 * time.Minute

// setBenchDefaults gives the deploy flags of a bench command its defaults:
// the retention above, and its own state folder (a bench enrols thousands
// of load users an operator's 'live status' must not list).
func setBenchDefaults(fs *pflag.FlagSet, state string) {
	defaults := map[string]string{"retention": benchRetention.String(), "input-retention": benchRetention.String()}
	if state != "" {
		defaults["state"] = state
	}
	for name, v := range defaults {
		f := fs.Lookup(name)
		if err := f.Value.Set(v); err != nil {
			panic(err)
		}
		f.DefValue = f.Value.String()
	}
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
		return cli.FlagErrorf("--brokers needs --pki-dir: the pipeline speaks only mutual TLS")
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
	if _, _, _, err := deploy.ParseReplication(o.Replication); err != nil {
		return cli.FlagErrorf("%v", err)
	}
	return o.SASL.validate(len(o.Brokers) > 0, o.Getenv)
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

// options are o for package deploy, with the DSN read from its secret
// source.
func (o *DeployOptions) options() (deploy.Options, error) {
	d := deploy.Options{State: o.State, Brokers: o.Brokers, TLSDir: o.TLSDir, TLSName: o.TLSName, Partitions: o.Partitions,
		TopicPerUser: o.TopicPerUser, Retention: o.Retention, InputRetention: o.InputRetention, Group: o.Group, Stores: deploy.StoreOptions{Profiles: o.Profiles, DSNSource: o.dsnSource(),
			Cassandra: o.Cassandra, Keyspace: o.Keyspace, Replication: o.Replication, ModelsDir: o.ModelsDir}}
	var err error
	if d.Stores.DSNSource != "" {
		if d.Stores.DSN, err = o.dsn(); err != nil {
			return d, err
		}
	}
	if d.SASL, err = o.SASL.options(o.Getenv); err != nil {
		return d, err
	}
	return d, nil
}

// open starts or connects to what o describes.
func (o *DeployOptions) open(ctx context.Context, logger *slog.Logger) (*deploy.Env, error) {
	d, err := o.options()
	if err != nil {
		return nil, err
	}
	return deploy.Open(ctx, d, logger)
}

// openStores opens only the stores (commands that do not touch Kafka).
func (o *DeployOptions) openStores(ctx context.Context) (*deploy.Env, error) {
	d, err := o.options()
	if err != nil {
		return nil, err
	}
	return deploy.OpenStores(ctx, d)
}

// clientTLS is the --cert certificate from --pki-dir, or from the
// embedded default's PKI (created on first use) when --tls-dir is empty.
func (o *DeployOptions) clientTLS() (*tls.Config, error) {
	d, _ := o.options()
	return deploy.ClientTLS(d)
}
