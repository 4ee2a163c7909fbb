package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/store/cassandra"
	mysqlstore "github.com/mouseauth/mouseauth/live/store/mysql"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// PKICheckOptions are the inputs of `mouseauth pki check`.
type PKICheckOptions struct {
	pkiCommon
	Output     string
	Name       string // the client certificate to connect with (--cert)
	ServerName string
	Brokers    []string // Kafka brokers, each checked
	MySQLDSN   string   // from --mysql-dsn-file or MOUSEAUTH_MYSQL_DSN, never a flag value
	Cassandra  []string // contact points, checked together
	// SASL, when User is set, authenticates the Kafka probe (the password
	// read from --sasl-password-file or MOUSEAUTH_SASL_PASSWORD).
	SASL deploy.SASLOptions
}

func newCmdPKICheck(f *cli.Factory, runF func(context.Context, *PKICheckOptions) error) *cobra.Command {
	o := &PKICheckOptions{pkiCommon: newPKICommon(f)}
	var dsnFile string
	var useMySQL bool
	var saslFlags SASLFlags
	cmd := &cobra.Command{
		Use:   "check --pki-dir DIR --cert NAME [--brokers ADDR] [--mysql] [--cassandra HOSTS]",
		Short: "Connect with an identity and report what TLS negotiated, or why it failed",
		Long: `Check connects to each target with NAME's certificate and our CA, and prints
the TLS version, cipher suite, peer subject and verified chain, or a sentence
saying why the connection was refused. It exits 1 when any target fails.

The MySQL DSN (user@tcp(host:port)/db) comes from --mysql-dsn-file or
$` + envMySQLDSN + `, never from a flag value; --mysql turns the check on.

With --sasl-user (SASL_SSL brokers, the embedded one included) the Kafka check
also authenticates: a wrong user or password fails after the TLS handshake.
The password comes from --sasl-password-file or $` + envSASLPassword + `. The
embedded broker's passwords are in STATE/sasl/USER.password (users scorer,
replay, admin).`,
		Example: `  mouseauth pki check --pki-dir mouseauth-pki --cert replay --brokers localhost:9093
  MOUSEAUTH_MYSQL_DSN='scorer@tcp(db-1:3306)/mouseauth' mouseauth pki check --pki-dir mouseauth-pki --cert scorer --mysql
  mouseauth pki check --pki-dir mouseauth-pki --cert scorer --cassandra cass-1:9042 --output json
  mouseauth pki check --pki-dir mouseauth-state/pki --cert replay --brokers 127.0.0.1:40123 \
    --sasl-user replay --sasl-password-file mouseauth-state/sasl/replay.password`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ValidateOutput(o.Output); err != nil {
				return err
			}
			if dsnFile != "" {
				useMySQL = true
				b, err := os.ReadFile(dsnFile)
				if err != nil {
					return cli.FlagErrorf("--mysql-dsn-file: %v", err)
				}
				o.MySQLDSN = strings.TrimSpace(string(b))
			} else if useMySQL {
				o.MySQLDSN = os.Getenv(envMySQLDSN)
			}
			if useMySQL && o.MySQLDSN == "" {
				return cli.FlagErrorf("--mysql needs a DSN in $%s or --mysql-dsn-file", envMySQLDSN)
			}
			if err := saslFlags.validate(true, os.Getenv); err != nil {
				return err
			}
			if saslFlags.User != "" && len(o.Brokers) == 0 {
				return cli.FlagErrorf("--sasl-user authenticates the Kafka check: give --brokers")
			}
			var err error
			if o.SASL, err = saslFlags.options(os.Getenv); err != nil {
				return cli.FlagErrorf("--sasl-password-file: %v", err)
			}
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKICheck)
		},
	}
	o.bindDir(cmd)
	cli.AddOutputFlag(cmd, &o.Output)
	cmd.Flags().StringVar(&o.Name, "cert", "", "client certificate to connect with: issued/NAME.crt of --pki-dir (required)")
	cli.Alias(cmd.Flags(), "name", "cert")
	cmd.Flags().StringVar(&o.ServerName, "server-name", "", "host name to verify on servers (default: the dialled host)")
	cmd.Flags().StringSliceVar(&o.Brokers, "brokers", nil, "Kafka brokers host:port, each checked")
	cli.Alias(cmd.Flags(), "kafka", "brokers")
	cmd.Flags().BoolVar(&useMySQL, "mysql", false, "check MySQL/MariaDB using $"+envMySQLDSN)
	cmd.Flags().StringVar(&dsnFile, "mysql-dsn-file", "", "file holding the MySQL DSN")
	cmd.Flags().StringSliceVar(&o.Cassandra, "cassandra", nil, "Cassandra contact points host:port")
	saslFlags.bind(cmd.Flags())
	markRequired(cmd, "cert")
	// What to check.
	cmd.MarkFlagsOneRequired("brokers", "mysql", "mysql-dsn-file", "cassandra")
	return cmd
}

// errCheckFailed is returned when a check target refused the connection; the
// table already says why.
var errCheckFailed = errors.New("pki check: at least one connection failed")

func runPKICheck(ctx context.Context, o *PKICheckOptions) error {
	cfg, err := pki.ClientTLSFromDir(o.Dir, o.Name, o.ServerName)
	if err != nil {
		return err
	}
	var res []pki.CheckResult
	var m sasl.Mechanism
	if o.SASL.User != "" {
		if m, err = topics.SASL(o.SASL.Mechanism, o.SASL.User, o.SASL.Password); err != nil {
			return err
		}
	}
	for _, b := range o.Brokers {
		res = append(res, pki.Check(ctx, "kafka", b, cfg, topics.Probe(b, m)))
	}
	if o.MySQLDSN != "" {
		res = append(res, pki.Check(ctx, "mysql", mysqlstore.Addr(o.MySQLDSN), cfg, mysqlstore.Probe(o.MySQLDSN)))
	}
	if len(o.Cassandra) > 0 {
		hosts := strings.Join(o.Cassandra, ",")
		res = append(res, pki.Check(ctx, "cassandra", hosts, cfg, cassandra.Probe(hosts)))
	}
	t := &cli.Table{Columns: []string{"target", "addr", "ok", "tls", "cipher", "peer", "verified_chain", "explanation"}}
	failed := false
	for _, r := range res {
		failed = failed || !r.OK
		t.Add(r.Target, r.Addr, r.OK, r.TLSVersion, r.Cipher, r.PeerSubject, strings.Join(r.Chain, " <- "), r.Explanation)
	}
	if err := cli.Render(o.IO.Out, o.Output, t); err != nil {
		return err
	}
	for _, r := range res {
		if !r.OK {
			fmt.Fprintf(o.IO.ErrOut, "%s %s: %s\n  (raw error: %s)\n", r.Target, r.Addr, r.Explanation, r.Error)
		}
	}
	if failed {
		return errCheckFailed
	}
	return nil
}
