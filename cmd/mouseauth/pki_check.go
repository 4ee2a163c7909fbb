package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/store/cassandra"
	mysqlstore "github.com/mouseauth/mouseauth/live/store/mysql"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// PKICheckOptions are the inputs of `mouseauth pki check`.
type PKICheckOptions struct {
	pkiCommon
	Output     string
	Name       string // the client certificate to connect with
	ServerName string
	Kafka      string
	MySQLDSN   string // from --mysql-dsn-file or MOUSEAUTH_MYSQL_DSN, never a flag value
	Cassandra  string
}

func newCmdPKICheck(f *cli.Factory, runF func(context.Context, *PKICheckOptions) error) *cobra.Command {
	o := &PKICheckOptions{pkiCommon: newPKICommon(f)}
	var dsnFile string
	var useMySQL bool
	cmd := &cobra.Command{
		Use:   "check --dir DIR --name NAME [--kafka ADDR] [--mysql] [--cassandra HOSTS]",
		Short: "Connect with an identity and report what TLS negotiated, or why it failed",
		Long: `Check connects to each target with NAME's certificate and our CA, and prints
the TLS version, cipher suite, peer subject and verified chain, or a sentence
saying why the connection was refused. It exits 1 when any target fails.

The MySQL DSN (user@tcp(host:port)/db) comes from --mysql-dsn-file or
$` + envMySQLDSN + `, never from a flag value; --mysql turns the check on.

Against the embedded broker, a refusal means the certificate is not from our
CA (it cannot check principals).`,
		Example: `  mouseauth pki check --dir pki --name replay --kafka localhost:9093
  MOUSEAUTH_MYSQL_DSN='scorer@tcp(db-1:3306)/mouseauth' mouseauth pki check --dir pki --name scorer --mysql
  mouseauth pki check --dir pki --name scorer --cassandra cass-1:9042 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ValidateOutput(o.Output); err != nil {
				return err
			}
			if o.Name == "" {
				return cli.FlagErrorf("--name is required: the client certificate to connect with")
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
			if o.Kafka == "" && o.MySQLDSN == "" && o.Cassandra == "" {
				return cli.FlagErrorf("nothing to check: give --kafka, --mysql or --cassandra")
			}
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKICheck)
		},
	}
	o.bindDir(cmd)
	cli.AddOutputFlag(cmd, &o.Output)
	cmd.Flags().StringVar(&o.Name, "name", "", "client certificate to connect with (required)")
	cmd.Flags().StringVar(&o.ServerName, "server-name", "", "host name to verify on servers (default: the dialled host)")
	cmd.Flags().StringVar(&o.Kafka, "kafka", "", "Kafka broker host:port")
	cmd.Flags().BoolVar(&useMySQL, "mysql", false, "check MySQL/MariaDB using $"+envMySQLDSN)
	cmd.Flags().StringVar(&dsnFile, "mysql-dsn-file", "", "file holding the MySQL DSN")
	cmd.Flags().StringVar(&o.Cassandra, "cassandra", "", "Cassandra hosts, host:port[,host:port]")
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
	if o.Kafka != "" {
		res = append(res, pki.Check(ctx, "kafka", o.Kafka, cfg, topics.Probe(o.Kafka)))
	}
	if o.MySQLDSN != "" {
		res = append(res, pki.Check(ctx, "mysql", mysqlstore.Addr(o.MySQLDSN), cfg, mysqlstore.Probe(o.MySQLDSN)))
	}
	if o.Cassandra != "" {
		res = append(res, pki.Check(ctx, "cassandra", o.Cassandra, cfg, cassandra.Probe(o.Cassandra)))
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
