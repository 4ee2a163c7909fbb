package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/pki"
)

// PKIIssueOptions are the inputs of `mouseauth pki issue`.
type PKIIssueOptions struct {
	pkiCommon
	Name     string
	Subject  pki.Subject
	Algo     string
	Role     pki.Role
	DNS      []string
	IPs      []net.IP
	Validity time.Duration
	Allow    pki.Allowances
	// Binding makes a client identity (the shared replay identity: any
	// user; a workstation's: its users, though 'pki bundle' is the way).
	Binding *pki.Binding
}

func newCmdPKIIssue(f *cli.Factory, runF func(context.Context, *PKIIssueOptions) error) *cobra.Command {
	o := &PKIIssueOptions{pkiCommon: newPKICommon(f)}
	var cf certFlags
	var anyUser bool
	var users []string
	cmd := &cobra.Command{
		Use:   "issue NAME --pki-dir DIR --role server|client|both [--dns HOST]... [--ip ADDR]...",
		Short: "Make a key and a certificate signed by the CA",
		Long: `Issue writes DIR/issued/NAME.key (0600) and DIR/issued/NAME.crt (certificate
then CA). The role sets ExtKeyUsage: server (ServerAuth), client (ClientAuth)
or both. Server certificates need at least one --dns or --ip: clients verify
the host name they dial against them.

A client that logs users in (replay, a workstation) needs a client identity:
a client certificate bound to the users it may act for, which signs its
logins. --bind-any-user makes the shared replay identity of a real cluster
(replay and benchmarks only); --bind-users U1,U2 a workstation's ('mouseauth
pki bundle' makes one with everything else the workstation needs).

` + allowHelp,
		Example: `  mouseauth pki issue kafka-1 --pki-dir mouseauth-pki --role server --dns kafka-1.example --ip 127.0.0.1
  mouseauth pki issue replay --pki-dir mouseauth-pki --role client --bind-any-user
  mouseauth pki issue scorer --pki-dir mouseauth-pki --role client --ou live`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			var err error
			if o.Role, o.IPs, err = cf.parse(o.Validity); err != nil {
				return err
			}
			if err := checkAlgo(o.Algo); err != nil {
				return err
			}
			switch {
			case anyUser && len(users) > 0:
				return cli.FlagErrorf("--bind-any-user and --bind-users exclude each other")
			case anyUser:
				o.Binding = &pki.Binding{AnyUser: true}
			case len(users) > 0:
				o.Binding = &pki.Binding{Users: users}
			}
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKIIssue)
		},
	}
	o.bindDir(cmd)
	o.bindOutput(cmd)
	subjectFlags(cmd, &o.Subject, &o.Algo)
	cf.bind(cmd, &o.DNS, &o.Validity, "DNS name (repeatable)", "IP address (repeatable)")
	bindAllow(cmd, &o.Allow)
	cmd.Flags().BoolVar(&anyUser, "bind-any-user", false, "a client identity bound to every user: the shared replay identity")
	cmd.Flags().StringSliceVar(&users, "bind-users", nil, "users a client identity may act for, comma-separated")
	return cmd
}

func runPKIIssue(_ context.Context, o *PKIIssueOptions) error {
	is, err := pki.IssueInDir(o.Dir, pki.IssueRequest{Name: o.Name, Subject: o.Subject, Role: o.Role, DNS: o.DNS, IPs: o.IPs,
		Algo: pki.KeyAlgo(o.Algo), Validity: o.Validity, Now: o.Now(), Allow: o.Allow, Binding: o.Binding})
	if err != nil {
		return err
	}
	return printIssued(&o.pkiCommon, is)
}

// PKISignOptions are the inputs of `mouseauth pki sign`.
type PKISignOptions struct {
	pkiCommon
	CSRPath  string
	Name     string // default: the request's CN
	CN       string // default: the request's subject
	Role     pki.Role
	DNS      []string // default, with IPs: the request's SANs
	IPs      []net.IP
	Validity time.Duration
	Allow    pki.Allowances
}

func newCmdPKISign(f *cli.Factory, runF func(context.Context, *PKISignOptions) error) *cobra.Command {
	o := &PKISignOptions{pkiCommon: newPKICommon(f)}
	var cf certFlags
	cmd := &cobra.Command{
		Use:   "sign REQUEST.csr --pki-dir DIR --role server|client|both [--cert NAME]",
		Short: "Sign a certificate request made elsewhere (OpenSSL, keytool -certreq)",
		Long: `Sign checks the request's signature, then signs it with the CA. The subject
and SANs come from the request unless --cn/--dns/--ip are given. The
certificate is written to DIR/issued/NAME.crt (--cert NAME, default the
request's CN).

` + allowHelp,
		Example: `  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ext.key -out ext.csr -subj /CN=ext
  mouseauth pki sign ext.csr --pki-dir mouseauth-pki --role client
  keytool -certreq -alias kafka -keystore kafka.p12 -file kafka.csr
  mouseauth pki sign kafka.csr --pki-dir mouseauth-pki --role server --cert kafka-2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.CSRPath = args[0]
			var err error
			if o.Role, o.IPs, err = cf.parse(o.Validity); err != nil {
				return err
			}
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKISign)
		},
	}
	o.bindDir(cmd)
	o.bindOutput(cmd)
	cmd.Flags().StringVar(&o.Name, "cert", "", "name of the certificate written, issued/NAME.crt (default: the request's CN)")
	cli.Alias(cmd.Flags(), "name", "cert")
	cmd.Flags().StringVar(&o.CN, "cn", "", "override the request's common name")
	cf.bind(cmd, &o.DNS, &o.Validity, "override the request's DNS names", "override the request's IP addresses")
	bindAllow(cmd, &o.Allow)
	return cmd
}

func runPKISign(_ context.Context, o *PKISignOptions) error {
	req := pki.IssueRequest{Name: o.Name, Role: o.Role, DNS: o.DNS, IPs: o.IPs, Validity: o.Validity, Now: o.Now(), Allow: o.Allow}
	if o.CN != "" {
		req.Subject = pki.Subject{CommonName: o.CN}
	}
	is, err := pki.SignFileInDir(o.Dir, o.CSRPath, req)
	if err != nil {
		return err
	}
	return printIssued(&o.pkiCommon, is)
}

// printIssued reports a certificate written: a sentence and its files, or
// one row (name, subject, role, sans, not_after, cert, key; key empty when
// the key was made elsewhere).
func printIssued(c *pkiCommon, is *pki.Issued) error {
	crt, key := pki.CertPaths(c.Dir, is.Name)
	info := pki.Info(is.Name, is.Cert)
	text := fmt.Sprintf("issued %s: %s, role %s, SANs [%s], expires %s\n%s\n", is.Name, info.Subject, info.Role,
		strings.Join(info.SANs, " "), info.NotAfter.Format(time.DateOnly), crt)
	if is.Key != nil {
		text += key + " (mode 0600)\n"
	} else {
		key = ""
	}
	t := &cli.Table{Columns: []string{"name", "subject", "role", "sans", "not_after", "cert", "key"}}
	t.Add(is.Name, info.Subject, string(info.Role), strings.Join(info.SANs, " "), info.NotAfter.UTC().Format(time.RFC3339), crt, key)
	return c.report(text, t)
}

// allowHelp describes the refusals of issue and sign.
const allowHelp = `Refused unless allowed with a flag: a wildcard DNS name ('*', '*.example.com';
--allow-wildcard), an unspecified address (0.0.0.0, ::; --allow-unspecified-ip),
and a subject or common name that a certificate in DIR/issued already has, such
as the scorer's own (--allow-duplicate-principal): its holder would act as that
principal on Kafka and MariaDB.`

// bindAllow binds the flags that lift the refusals of issue and sign.
func bindAllow(c *cobra.Command, a *pki.Allowances) {
	c.Flags().BoolVar(&a.Wildcard, "allow-wildcard", false, "sign wildcard DNS names ('*', '*.example.com')")
	c.Flags().BoolVar(&a.UnspecifiedIP, "allow-unspecified-ip", false, "sign the unspecified addresses 0.0.0.0 and ::")
	c.Flags().BoolVar(&a.DuplicatePrincipal, "allow-duplicate-principal", false, "sign a subject or common name an issued certificate already has")
}
