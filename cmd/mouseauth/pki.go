package main

import (
	"context"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/pki"
)

// Environment variables read by `mouseauth pki` (secrets never come from flag values).
const (
	envKeystorePassword = "MOUSEAUTH_KEYSTORE_PASSWORD"
	envMySQLDSN         = "MOUSEAUTH_MYSQL_DSN"
	envPKIDir           = "MOUSEAUTH_PKI_DIR"
)

// NewCmdPKI builds `mouseauth pki`.
func NewCmdPKI(f *cli.Factory) *cobra.Command { return newCmdPKI(f, nil) }

// newCmdPKI builds the group. When runF is not nil, every subcommand hands
// it its options (a *PKI...Options) instead of running: tests check the
// flag parsing that way.
func newCmdPKI(f *cli.Factory, runF func(context.Context, any) error) *cobra.Command {
	g := group("pki", "Private CA, certificates, keystores, TLS configuration",
		`  mouseauth pki init --pki-dir mouseauth-pki
  mouseauth pki issue kafka-1 --pki-dir mouseauth-pki --role server --dns localhost --ip 127.0.0.1
  mouseauth pki issue replay --pki-dir mouseauth-pki --role client --bind-any-user
  mouseauth pki show --pki-dir mouseauth-pki
  mouseauth pki check --pki-dir mouseauth-pki --cert replay --brokers localhost:9093`,
		newCmdPKIInit(f, hook[PKIInitOptions](runF)),
		newCmdPKIIssue(f, hook[PKIIssueOptions](runF)),
		newCmdPKISign(f, hook[PKISignOptions](runF)),
		newCmdPKIShow(f, hook[PKIShowOptions](runF)),
		newCmdPKIKeystore(f, hook[PKIKeystoreOptions](runF)),
		newCmdPKIConfig(f, runF),
		newCmdPKICheck(f, hook[PKICheckOptions](runF)),
		newCmdPKIBundle(f, hook[PKIBundleOptions](runF)))
	g.Long = `pki keeps a private root CA and the certificates it issues in one directory
(--pki-dir, or $` + envPKIDir + `): ca.crt, ca.key (0600), issued/NAME.crt and NAME.key
(0600). Keys readable by group or others are refused.

Every mouseauth connection (Kafka, MariaDB, Cassandra, the embedded broker)
uses TLS 1.2 or later (1.3 when both ends offer it), trusts only this CA,
verifies the server's host name, and servers require client certificates.

The embedded broker enforces the same per-role ACLs as 'pki config acl'
renders for a real cluster. It cannot map a certificate to a principal, so it
runs SASL_SSL: a client certificate of our CA, then SASL/SCRAM-SHA-512 with one
user per role (scorer, replay, admin, operator) and per client identity
('pki bundle'), whose user is the principal.`
	return g
}

// hook adapts a test's runF to one subcommand's options type.
func hook[T any](runF func(context.Context, any) error) func(context.Context, *T) error {
	if runF == nil {
		return nil
	}
	return func(ctx context.Context, o *T) error { return runF(ctx, o) }
}

// pkiCommon is what every pki subcommand's options hold.
type pkiCommon struct {
	IO  *cli.IOStreams
	Now func() time.Time
	Dir string // the PKI folder: --pki-dir, else $MOUSEAUTH_PKI_DIR
	// Output is the format of what init, issue, sign and keystore wrote
	// ("" or table: sentences; csv, json: one row).
	Output string
}

// bindOutput binds -o for a command that reports the files it wrote.
func (c *pkiCommon) bindOutput(cmd *cobra.Command) { cli.AddOutputFlag(cmd, &c.Output) }

// report prints what a command wrote: text for people with -o table, else
// t, its one row, as CSV or JSON.
func (c *pkiCommon) report(text string, t *cli.Table) error {
	if c.Output == "" || c.Output == cli.FormatTable {
		_, err := io.WriteString(c.IO.Out, text)
		return err
	}
	return cli.Render(c.IO.Out, c.Output, t)
}

func newPKICommon(f *cli.Factory) pkiCommon {
	now := f.Now
	if now == nil {
		now = time.Now
	}
	return pkiCommon{IO: f.IO, Now: now, Dir: os.Getenv(envPKIDir)}
}

func (c *pkiCommon) bindDir(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.Dir, "pki-dir", c.Dir, "PKI folder: ca.crt, ca.key, issued/NAME.crt|key (default $"+envPKIDir+")")
	cli.Alias(cmd.Flags(), "dir", "pki-dir")
}

// run checks the directory and --output and runs o with runF (tests) or
// run.
func runPKI[T any](ctx context.Context, c *pkiCommon, o *T, runF, run func(context.Context, *T) error) error {
	if c.Output != "" {
		if err := cli.ValidateOutput(c.Output); err != nil {
			return err
		}
	}
	if c.Dir == "" {
		return cli.FlagErrorf("--pki-dir is required (or set %s): the PKI folder", envPKIDir)
	}
	if runF != nil {
		return runF(ctx, o)
	}
	return run(ctx, o)
}

// subjectFlags binds the subject and key-type flags of init and issue.
func subjectFlags(c *cobra.Command, s *pki.Subject, algo *string) {
	c.Flags().StringVar(&s.CommonName, "cn", "", "subject common name")
	c.Flags().StringVar(&s.Organization, "org", "", "subject organization")
	c.Flags().StringVar(&s.OrganizationalUnit, "ou", "", "subject organizational unit")
	c.Flags().StringVar(&s.Country, "country", "", "subject country (two letters)")
	c.Flags().StringVar(algo, "key", string(pki.ECDSAP256), "key type: ecdsa-p256, rsa2048 or rsa4096")
}

func checkAlgo(a string) error {
	switch pki.KeyAlgo(a) {
	case pki.ECDSAP256, pki.RSA2048, pki.RSA4096:
		return nil
	}
	return cli.FlagErrorf("--key must be ecdsa-p256, rsa2048 or rsa4096, not %q", a)
}

// certFlags are the flags issue and sign share: --role, --ip, --validity.
type certFlags struct {
	role string
	ips  []string
}

func (cf *certFlags) bind(c *cobra.Command, dns *[]string, validity *time.Duration, dnsUsage, ipUsage string) {
	c.Flags().StringVar(&cf.role, "role", "", "server, client or both (required)")
	c.Flags().StringSliceVar(dns, "dns", nil, dnsUsage)
	c.Flags().StringSliceVar(&cf.ips, "ip", nil, ipUsage)
	c.Flags().DurationVar(validity, "validity", 365*24*time.Hour, "certificate validity")
}

// parse returns the role and IP addresses, checking the validity too.
func (cf *certFlags) parse(validity time.Duration) (pki.Role, []net.IP, error) {
	if cf.role == "" {
		return "", nil, cli.FlagErrorf("--role is required: server, client or both")
	}
	r, err := pki.ParseRole(cf.role)
	if err != nil {
		return "", nil, cli.FlagErrorf("--role: %v", err)
	}
	var ips []net.IP
	for _, s := range cf.ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return "", nil, cli.FlagErrorf("--ip %q is not an IP address", s)
		}
		ips = append(ips, ip)
	}
	if validity <= 0 {
		return "", nil, cli.FlagErrorf("--validity must be positive")
	}
	return r, ips, nil
}
