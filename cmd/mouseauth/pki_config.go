package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/pki"
)

func newCmdPKIConfig(f *cli.Factory, runF func(context.Context, any) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config kafka|mariadb|cassandra|acl --pki-dir DIR [flags]",
		Short: "Print TLS configuration for Kafka, MariaDB, Cassandra and Kafka ACLs",
		Long: `Config prints configuration that uses the PKI directory's files:

  kafka      SSL part of a broker's server.properties (--cert: broker keystore NAME)
  mariadb    [mariadbd] ssl_ca/ssl_cert/ssl_key, require_secure_transport=ON, tls_version
             (--cert: server certificate), and with --client NAME --account USER:
             CREATE USER ... REQUIRE SUBJECT '/.../CN=...' AND ISSUER '/.../CN=...'
  cassandra  client_encryption_options with require_client_auth: true (--cert: node)
  acl        kafka-acls.sh commands rendered from the pipeline's ACL specification;
             principals are certificate subjects in RFC 2253 form (User:CN=replay,O=...)
             on an SSL listener, SASL users (--principal scorer=User:scorer) on SASL_SSL

The embedded broker (live serve or replay without --brokers)
cannot map certificates to principals, so it runs SASL_SSL (our CA's
certificate, then SCRAM-SHA-512) and enforces the same grants for its SASL
users scorer and replay.`,
		Example: `  mouseauth pki config kafka --pki-dir mouseauth-pki --cert kafka-1 --listener 0.0.0.0:9093
  mouseauth pki config mariadb --pki-dir mouseauth-pki --cert db-1 --client scorer --account scorer --grant "SELECT, INSERT ON mouseauth.*"
  mouseauth pki config cassandra --pki-dir mouseauth-pki --cert cass-1
  mouseauth pki config acl --pki-dir mouseauth-pki --replay replay --scorer scorer --group mouseauth-live`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("config: want kafka, mariadb, cassandra or acl, not %q", args[0])
			}
			return nil
		},
		// Report an unknown kind rather than a flag it does not know.
		FParseErrWhitelist: cobra.FParseErrWhitelist{UnknownFlags: true},
		RunE:               func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCmdPKIConfigKafka(f, hook[PKIConfigKafkaOptions](runF)),
		newCmdPKIConfigMariaDB(f, hook[PKIConfigMariaDBOptions](runF)),
		newCmdPKIConfigCassandra(f, hook[PKIConfigCassandraOptions](runF)),
		newCmdPKIConfigACL(f, hook[PKIConfigACLOptions](runF)))
	return cmd
}

// PKIConfigKafkaOptions are the inputs of `mouseauth pki config kafka`.
type PKIConfigKafkaOptions struct {
	pkiCommon
	Name     string // the broker's keystore, written by `pki keystore NAME`
	Listener string
}

func newCmdPKIConfigKafka(f *cli.Factory, runF func(context.Context, *PKIConfigKafkaOptions) error) *cobra.Command {
	o := &PKIConfigKafkaOptions{pkiCommon: newPKICommon(f)}
	cmd := &cobra.Command{
		Use:     "kafka --pki-dir DIR --cert NAME [--listener HOST:PORT]",
		Short:   "SSL part of a broker's server.properties (passwords from a secrets file)",
		Example: `  mouseauth pki config kafka --pki-dir mouseauth-pki --cert kafka-1 --listener 0.0.0.0:9093`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKIConfigKafka)
		},
	}
	o.bindDir(cmd)
	cmd.Flags().StringVar(&o.Name, "cert", "", "the broker's certificate, whose keystore 'pki keystore NAME' wrote (required)")
	cli.Alias(cmd.Flags(), "name", "cert")
	markRequired(cmd, "cert")
	cmd.Flags().StringVar(&o.Listener, "listener", "0.0.0.0:9093", "SSL listener host:port")
	return cmd
}

func runPKIConfigKafka(_ context.Context, o *PKIConfigKafkaOptions) error {
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	ks, ts := pki.KeystorePaths(filepath.Join(abs, pki.KeystoreDir), o.Name)
	return pki.KafkaServerProperties(o.IO.Out, pki.KafkaServerOptions{Listener: o.Listener, Keystore: ks, Truststore: ts})
}

// PKIConfigMariaDBOptions are the inputs of `mouseauth pki config mariadb`.
type PKIConfigMariaDBOptions struct {
	pkiCommon
	Name         string // the server certificate
	Client, User string // with both: an account bound to the client certificate
	Host, Grant  string
}

func newCmdPKIConfigMariaDB(f *cli.Factory, runF func(context.Context, *PKIConfigMariaDBOptions) error) *cobra.Command {
	o := &PKIConfigMariaDBOptions{pkiCommon: newPKICommon(f)}
	cmd := &cobra.Command{
		Use:     "mariadb --pki-dir DIR --cert NAME [--client NAME --account USER [--host HOST] [--grant PRIVILEGES]]",
		Short:   "[mariadbd] TLS options, and an account bound to a client certificate",
		Example: `  mouseauth pki config mariadb --pki-dir mouseauth-pki --cert db-1 --client scorer --account scorer --grant "SELECT, INSERT ON mouseauth.*"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKIConfigMariaDB)
		},
	}
	o.bindDir(cmd)
	cmd.Flags().StringVar(&o.Name, "cert", "", "the server's certificate (required)")
	cli.Alias(cmd.Flags(), "name", "cert")
	markRequired(cmd, "cert")
	cmd.Flags().StringVar(&o.Client, "client", "", "client certificate bound to the account")
	cmd.Flags().StringVar(&o.User, "account", "", "MariaDB account name")
	cli.Alias(cmd.Flags(), "user", "account")
	cmd.Flags().StringVar(&o.Host, "host", "%", "account host")
	cmd.Flags().StringVar(&o.Grant, "grant", "", "privileges to grant, e.g. \"SELECT ON mouseauth.*\"")
	cmd.MarkFlagsRequiredTogether("client", "account")
	return cmd
}

func runPKIConfigMariaDB(_ context.Context, o *PKIConfigMariaDBOptions) error {
	files, err := pki.ServerFilesOf(o.Dir, o.Name)
	if err != nil {
		return err
	}
	if err := pki.MariaDBOptions(o.IO.Out, files.CA, files.Cert, files.Key); err != nil || o.Client == "" {
		return err
	}
	stmt, err := pki.MariaDBAccountFor(o.Dir, o.Client, o.User, o.Host, o.Grant)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.IO.Out, "\n-- account bound to %s's certificate\n%s", o.Client, stmt)
	return err
}

// PKIConfigCassandraOptions are the inputs of `mouseauth pki config cassandra`.
type PKIConfigCassandraOptions struct {
	pkiCommon
	Name string // the node's certificate
}

func newCmdPKIConfigCassandra(f *cli.Factory, runF func(context.Context, *PKIConfigCassandraOptions) error) *cobra.Command {
	o := &PKIConfigCassandraOptions{pkiCommon: newPKICommon(f)}
	cmd := &cobra.Command{
		Use:     "cassandra --pki-dir DIR --cert NAME",
		Short:   "cassandra.yaml client_encryption_options (require_client_auth: true)",
		Example: `  mouseauth pki config cassandra --pki-dir mouseauth-pki --cert cass-1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKIConfigCassandra)
		},
	}
	o.bindDir(cmd)
	cmd.Flags().StringVar(&o.Name, "cert", "", "the node's certificate (required)")
	cli.Alias(cmd.Flags(), "name", "cert")
	markRequired(cmd, "cert")
	return cmd
}

func runPKIConfigCassandra(_ context.Context, o *PKIConfigCassandraOptions) error {
	files, err := pki.ServerFilesOf(o.Dir, o.Name)
	if err != nil {
		return err
	}
	return pki.CassandraOptions(o.IO.Out, files.CA, files.Cert, files.Key)
}
