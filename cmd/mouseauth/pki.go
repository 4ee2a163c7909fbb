package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/store/cassandra"
	mysqlstore "github.com/mouseauth/mouseauth/live/store/mysql"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// Environment variables read by `mouseauth pki` (secrets never come from flag values).
const (
	envKeystorePassword = "MOUSEAUTH_KEYSTORE_PASSWORD"
	envMySQLDSN         = "MOUSEAUTH_MYSQL_DSN"
	envPKIDir           = "MOUSEAUTH_PKI_DIR"
)

// PKIOptions are the inputs of every `mouseauth pki` subcommand; Action
// names the subcommand (init, issue, sign, show, keystore, config, check).
type PKIOptions struct {
	IO     *cli.IOStreams
	Now    func() time.Time
	Action string
	Dir    string
	Output string

	// init, issue, sign
	Name     string
	Algo     string
	CN, Org  string
	OU       string
	Country  string
	Validity time.Duration
	DNS      []string
	IPs      []net.IP
	Role     pki.Role
	CSRPath  string

	// keystore
	Password string // resolved from --password-file or MOUSEAUTH_KEYSTORE_PASSWORD
	Encoding pki.Encoding
	Out      string

	// config
	Kind       string // kafka, mariadb, cassandra, acl
	Client     string // mariadb: client certificate bound to the account
	User, Host string
	Grant      string
	Listener   string
	Replay     string // acl
	Scorer     string // acl
	Group      string
	Bootstrap  string

	// check
	ServerName string
	Kafka      string
	MySQLDSN   string // resolved from --mysql-dsn-file or MOUSEAUTH_MYSQL_DSN
	Cassandra  string
}

// NewCmdPKI builds `mouseauth pki`.
func NewCmdPKI(f *cli.Factory) *cobra.Command { return newCmdPKI(f, nil) }

func newCmdPKI(f *cli.Factory, runF func(context.Context, *PKIOptions) error) *cobra.Command {
	now := f.Now
	if now == nil {
		now = time.Now
	}
	mk := func(action string) *PKIOptions {
		return &PKIOptions{IO: f.IO, Now: now, Action: action, Dir: os.Getenv(envPKIDir)}
	}
	run := func(cmd *cobra.Command, o *PKIOptions) error {
		if o.Dir == "" {
			return cli.FlagErrorf("--dir is required (or set %s): the PKI directory", envPKIDir)
		}
		if runF != nil {
			return runF(cmd.Context(), o)
		}
		return pkiRun(cmd.Context(), o)
	}
	dirFlag := func(c *cobra.Command, o *PKIOptions) {
		c.Flags().StringVar(&o.Dir, "dir", o.Dir, "PKI directory (default $"+envPKIDir+")")
	}
	subjectFlags := func(c *cobra.Command, o *PKIOptions) {
		c.Flags().StringVar(&o.CN, "cn", "", "subject common name")
		c.Flags().StringVar(&o.Org, "org", "", "subject organization")
		c.Flags().StringVar(&o.OU, "ou", "", "subject organizational unit")
		c.Flags().StringVar(&o.Country, "country", "", "subject country (two letters)")
		c.Flags().StringVar(&o.Algo, "key", "ecdsa-p256", "key type: ecdsa-p256, rsa2048 or rsa4096")
	}

	// init
	initO := mk("init")
	initCmd := &cobra.Command{
		Use:   "init --dir DIR",
		Short: "Create a private root CA (ca.crt, ca.key with mode 0600)",
		Example: `  mouseauth pki init --dir pki
  mouseauth pki init --dir pki --key rsa4096 --cn "Example root" --org Example --validity 87600h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkAlgo(initO.Algo); err != nil {
				return err
			}
			return run(cmd, initO)
		},
	}
	dirFlag(initCmd, initO)
	subjectFlags(initCmd, initO)
	initCmd.Flags().DurationVar(&initO.Validity, "validity", 10*365*24*time.Hour, "CA validity")

	// issue
	issueO := mk("issue")
	var ipStrs []string
	var role string
	issueCmd := &cobra.Command{
		Use:   "issue NAME --dir DIR --role server|client|both [--dns HOST]... [--ip ADDR]...",
		Short: "Make a key and a certificate signed by the CA",
		Long: `Issue writes DIR/issued/NAME.key (0600) and DIR/issued/NAME.crt (certificate
then CA). The role sets ExtKeyUsage: server (ServerAuth), client (ClientAuth)
or both. Server certificates need at least one --dns or --ip: clients verify
the host name they dial against them.`,
		Example: `  mouseauth pki issue kafka-1 --dir pki --role server --dns kafka-1.example --ip 127.0.0.1
  mouseauth pki issue replay --dir pki --role client
  mouseauth pki issue scorer --dir pki --role client --ou live`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			issueO.Name = args[0]
			if err := parseIssueFlags(issueO, role, ipStrs); err != nil {
				return err
			}
			return run(cmd, issueO)
		},
	}
	dirFlag(issueCmd, issueO)
	subjectFlags(issueCmd, issueO)
	issueCmd.Flags().StringVar(&role, "role", "", "server, client or both (required)")
	issueCmd.Flags().StringSliceVar(&issueO.DNS, "dns", nil, "DNS name (repeatable)")
	issueCmd.Flags().StringSliceVar(&ipStrs, "ip", nil, "IP address (repeatable)")
	issueCmd.Flags().DurationVar(&issueO.Validity, "validity", 365*24*time.Hour, "certificate validity")

	// sign
	signO := mk("sign")
	var signIPs []string
	var signRole string
	signCmd := &cobra.Command{
		Use:   "sign REQUEST.csr --dir DIR --role server|client|both [--name NAME]",
		Short: "Sign a certificate request made elsewhere (OpenSSL, keytool -certreq)",
		Long: `Sign checks the request's signature, then signs it with the CA. The subject
and SANs come from the request unless --cn/--dns/--ip are given. The
certificate is written to DIR/issued/NAME.crt (NAME defaults to the request's CN).`,
		Example: `  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ext.key -out ext.csr -subj /CN=ext
  mouseauth pki sign ext.csr --dir pki --role client
  keytool -certreq -alias kafka -keystore kafka.p12 -file kafka.csr
  mouseauth pki sign kafka.csr --dir pki --role server --name kafka-2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			signO.CSRPath = args[0]
			if err := parseIssueFlags(signO, signRole, signIPs); err != nil {
				return err
			}
			return run(cmd, signO)
		},
	}
	dirFlag(signCmd, signO)
	signCmd.Flags().StringVar(&signO.Name, "name", "", "file name stem (default: the request's CN)")
	signCmd.Flags().StringVar(&signRole, "role", "", "server, client or both (required)")
	signCmd.Flags().StringVar(&signO.CN, "cn", "", "override the request's common name")
	signCmd.Flags().StringSliceVar(&signO.DNS, "dns", nil, "override the request's DNS names")
	signCmd.Flags().StringSliceVar(&signIPs, "ip", nil, "override the request's IP addresses")
	signCmd.Flags().DurationVar(&signO.Validity, "validity", 365*24*time.Hour, "certificate validity")

	// show
	showO := mk("show")
	showCmd := &cobra.Command{
		Use:   "show --dir DIR",
		Short: "List issued certificates: subject, SANs, role, expiry",
		Example: `  mouseauth pki show --dir pki
  mouseauth pki show --dir pki --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ValidateOutput(showO.Output); err != nil {
				return err
			}
			return run(cmd, showO)
		},
	}
	dirFlag(showCmd, showO)
	cli.AddOutputFlag(showCmd, &showO.Output)

	// keystore
	ksO := mk("keystore")
	var pwFile, enc string
	ksCmd := &cobra.Command{
		Use:   "keystore NAME --dir DIR [--password-file FILE] [--out DIR]",
		Short: "Write PKCS#12 keystore (key + chain) and truststore (the CA) for Java/Kafka",
		Long: `Keystore writes OUT/NAME.p12 (NAME's key, certificate and the CA) and
OUT/truststore.p12 (the CA as a trusted certificate). OUT defaults to DIR/keystores.

The password comes from the first line of --password-file or from
$` + envKeystorePassword + `; never from a flag value. The default encoding
(modern: PBES2/AES-256, HMAC-SHA-256) is read by Java 17 keytool and Kafka;
--encoding legacy-des writes 3DES/SHA-1 for older Java.`,
		Example: `  MOUSEAUTH_KEYSTORE_PASSWORD=... mouseauth pki keystore kafka-1 --dir pki
  mouseauth pki keystore kafka-1 --dir pki --password-file secrets/ks.pass
  keytool -list -storetype PKCS12 -keystore pki/keystores/kafka-1.p12`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ksO.Name = args[0]
			ksO.Encoding = pki.Encoding(enc)
			if enc != string(pki.EncodingModern) && enc != string(pki.EncodingLegacyDES) {
				return cli.FlagErrorf("--encoding must be modern or legacy-des, not %q", enc)
			}
			pw, err := pki.ReadPassword(pwFile, os.Getenv, envKeystorePassword)
			if err != nil {
				return cli.FlagErrorf("%v", err)
			}
			ksO.Password = pw
			return run(cmd, ksO)
		},
	}
	dirFlag(ksCmd, ksO)
	ksCmd.Flags().StringVar(&pwFile, "password-file", "", "file whose first line is the keystore password (default $"+envKeystorePassword+")")
	ksCmd.Flags().StringVar(&enc, "encoding", string(pki.EncodingModern), "modern or legacy-des")
	ksCmd.Flags().StringVar(&ksO.Out, "out", "", "output directory (default DIR/keystores)")

	// config
	cfgO := mk("config")
	cfgCmd := &cobra.Command{
		Use:   "config kafka|mariadb|cassandra|acl --dir DIR [flags]",
		Short: "Print TLS configuration for Kafka, MariaDB, Cassandra and Kafka ACLs",
		Long: `Config prints configuration that uses the PKI directory's files:

  kafka      SSL part of a broker's server.properties (--name: broker keystore NAME)
  mariadb    [mariadbd] ssl_ca/ssl_cert/ssl_key, require_secure_transport=ON, tls_version
             (--name: server certificate), and with --client NAME --user USER:
             CREATE USER ... REQUIRE SUBJECT '/.../CN=...' AND ISSUER '/.../CN=...'
  cassandra  client_encryption_options with require_client_auth: true (--name: node)
  acl        kafka-acls.sh commands rendered from the pipeline's ACL specification
             (live/topics); principals are certificate subjects in RFC 2253 form
             (User:CN=replay,O=...). --replay NAME may produce logins and vectors
             (also per-user topics) and read mouseauth.decisions; --scorer NAME
             may consume logins and vectors in --group and produce decisions,
             alerts and dead letters. Neither creates topics.

The embedded broker (live serve or replay without --brokers)
cannot map certificates to principals: it enforces only "a client certificate
issued by our CA". The ACLs apply to a real Kafka cluster.`,
		Example: `  mouseauth pki config kafka --dir pki --name kafka-1 --listener 0.0.0.0:9093
  mouseauth pki config mariadb --dir pki --name db-1 --client scorer --user scorer --grant "SELECT, INSERT ON mouseauth.*"
  mouseauth pki config cassandra --dir pki --name cass-1
  mouseauth pki config acl --dir pki --replay replay --scorer scorer --group mouseauth-live`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"kafka", "mariadb", "cassandra", "acl"},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfgO.Kind = args[0]
			switch cfgO.Kind {
			case "kafka", "mariadb", "cassandra":
				if cfgO.Name == "" {
					return cli.FlagErrorf("config %s: --name is required (the server's certificate)", cfgO.Kind)
				}
				if cfgO.Kind == "mariadb" && (cfgO.Client == "") != (cfgO.User == "") {
					return cli.FlagErrorf("config mariadb: --client and --user go together")
				}
			case "acl":
				if cfgO.Replay == "" || cfgO.Scorer == "" {
					return cli.FlagErrorf("config acl: --replay and --scorer are required")
				}
			default:
				return cli.FlagErrorf("config: want kafka, mariadb, cassandra or acl, not %q", cfgO.Kind)
			}
			return run(cmd, cfgO)
		},
	}
	dirFlag(cfgCmd, cfgO)
	cfgCmd.Flags().StringVar(&cfgO.Name, "name", "", "server certificate / keystore name")
	cfgCmd.Flags().StringVar(&cfgO.Listener, "listener", "0.0.0.0:9093", "kafka: SSL listener host:port")
	cfgCmd.Flags().StringVar(&cfgO.Client, "client", "", "mariadb: client certificate bound to the account")
	cfgCmd.Flags().StringVar(&cfgO.User, "user", "", "mariadb: account name")
	cfgCmd.Flags().StringVar(&cfgO.Host, "host", "%", "mariadb: account host")
	cfgCmd.Flags().StringVar(&cfgO.Grant, "grant", "", "mariadb: privileges to grant, e.g. \"SELECT ON mouseauth.*\"")
	cfgCmd.Flags().StringVar(&cfgO.Replay, "replay", "", "acl: certificate of the replaying client")
	cfgCmd.Flags().StringVar(&cfgO.Scorer, "scorer", "", "acl: certificate of the scoring service")
	cfgCmd.Flags().StringVar(&cfgO.Group, "group", topics.DefaultGroup, "acl: the scorer's consumer group")
	cfgCmd.Flags().StringVar(&cfgO.Bootstrap, "bootstrap-server", "localhost:9093", "acl: broker address for kafka-acls.sh")

	// check
	chkO := mk("check")
	var dsnFile string
	chkCmd := &cobra.Command{
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
			if err := cli.ValidateOutput(chkO.Output); err != nil {
				return err
			}
			if chkO.Name == "" {
				return cli.FlagErrorf("--name is required: the client certificate to connect with")
			}
			useMySQL, _ := cmd.Flags().GetBool("mysql")
			if dsnFile != "" {
				useMySQL = true
				b, err := os.ReadFile(dsnFile)
				if err != nil {
					return cli.FlagErrorf("--mysql-dsn-file: %v", err)
				}
				chkO.MySQLDSN = strings.TrimSpace(string(b))
			} else if useMySQL {
				chkO.MySQLDSN = os.Getenv(envMySQLDSN)
			}
			if useMySQL && chkO.MySQLDSN == "" {
				return cli.FlagErrorf("--mysql needs a DSN in $%s or --mysql-dsn-file", envMySQLDSN)
			}
			if chkO.Kafka == "" && chkO.MySQLDSN == "" && chkO.Cassandra == "" {
				return cli.FlagErrorf("nothing to check: give --kafka, --mysql or --cassandra")
			}
			return run(cmd, chkO)
		},
	}
	dirFlag(chkCmd, chkO)
	cli.AddOutputFlag(chkCmd, &chkO.Output)
	chkCmd.Flags().StringVar(&chkO.Name, "name", "", "client certificate to connect with (required)")
	chkCmd.Flags().StringVar(&chkO.ServerName, "server-name", "", "host name to verify on servers (default: the dialled host)")
	chkCmd.Flags().StringVar(&chkO.Kafka, "kafka", "", "Kafka broker host:port")
	chkCmd.Flags().Bool("mysql", false, "check MySQL/MariaDB using $"+envMySQLDSN)
	chkCmd.Flags().StringVar(&dsnFile, "mysql-dsn-file", "", "file holding the MySQL DSN")
	chkCmd.Flags().StringVar(&chkO.Cassandra, "cassandra", "", "Cassandra hosts, host:port[,host:port]")

	g := group("pki", "Private CA, certificates, keystores, TLS configuration",
		`  mouseauth pki init --dir pki
  mouseauth pki issue kafka-1 --dir pki --role server --dns localhost --ip 127.0.0.1
  mouseauth pki issue replay --dir pki --role client
  mouseauth pki show --dir pki
  mouseauth pki check --dir pki --name replay --kafka localhost:9093`,
		initCmd, issueCmd, signCmd, showCmd, ksCmd, cfgCmd, chkCmd)
	g.Long = `pki keeps a private root CA and the certificates it issues in one directory
(--dir, or $` + envPKIDir + `): ca.crt, ca.key (0600), issued/NAME.crt and NAME.key
(0600). Keys readable by group or others are refused.

Every mouseauth connection (Kafka, MariaDB, Cassandra, the embedded broker)
uses TLS 1.2 or later (1.3 when both ends offer it), trusts only this CA,
verifies the server's host name, and servers require client certificates.

The embedded broker cannot map certificates to Kafka principals: in embedded
mode the only rule enforced is "a client certificate issued by our CA". The
per-principal ACLs of 'pki config acl' apply to a real Kafka cluster.`
	return g
}

func checkAlgo(a string) error {
	switch pki.KeyAlgo(a) {
	case pki.ECDSAP256, pki.RSA2048, pki.RSA4096:
		return nil
	}
	return cli.FlagErrorf("--key must be ecdsa-p256, rsa2048 or rsa4096, not %q", a)
}

func parseIssueFlags(o *PKIOptions, role string, ips []string) error {
	if role == "" {
		return cli.FlagErrorf("--role is required: server, client or both")
	}
	r, err := pki.ParseRole(role)
	if err != nil {
		return cli.FlagErrorf("--role: %v", err)
	}
	o.Role = r
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return cli.FlagErrorf("--ip %q is not an IP address", s)
		}
		o.IPs = append(o.IPs, ip)
	}
	if o.Algo != "" {
		if err := checkAlgo(o.Algo); err != nil {
			return err
		}
	}
	if o.Validity <= 0 {
		return cli.FlagErrorf("--validity must be positive")
	}
	return nil
}

func pkiRun(ctx context.Context, o *PKIOptions) error {
	switch o.Action {
	case "init":
		return pkiInit(o)
	case "issue", "sign":
		return pkiIssue(o)
	case "show":
		return pkiShow(o)
	case "keystore":
		return pkiKeystore(o)
	case "config":
		return pkiConfig(o)
	case "check":
		return pkiCheck(ctx, o)
	}
	return fmt.Errorf("pki: unknown action %q", o.Action)
}

func pkiInit(o *PKIOptions) error {
	ca, err := pki.NewCA(pki.CAOptions{Algo: pki.KeyAlgo(o.Algo), Validity: o.Validity, Now: o.Now(),
		Subject: pki.Subject{CommonName: o.CN, Organization: o.Org, OrganizationalUnit: o.OU, Country: o.Country}})
	if err != nil {
		return err
	}
	if err := ca.Save(o.Dir); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "created CA %s (%s, expires %s)\n", pki.RFC2253(ca.Cert), ca.Cert.PublicKeyAlgorithm, ca.Cert.NotAfter.UTC().Format(time.DateOnly))
	fmt.Fprintf(o.IO.Out, "%s\n%s (mode 0600)\n", filepath.Join(o.Dir, pki.CACertFile), filepath.Join(o.Dir, pki.CAKeyFile))
	return nil
}

func pkiIssue(o *PKIOptions) error {
	ca, err := pki.LoadCA(o.Dir)
	if err != nil {
		return err
	}
	req := pki.IssueRequest{Name: o.Name, Role: o.Role, DNS: o.DNS, IPs: o.IPs, Algo: pki.KeyAlgo(o.Algo),
		Validity: o.Validity, Now: o.Now(),
		Subject: pki.Subject{CommonName: o.CN, Organization: o.Org, OrganizationalUnit: o.OU, Country: o.Country}}
	var is *pki.Issued
	if o.Action == "sign" {
		b, err := os.ReadFile(o.CSRPath)
		if err != nil {
			return err
		}
		if o.CN == "" && o.Org == "" && o.OU == "" && o.Country == "" {
			req.Subject = pki.Subject{}
		}
		if is, err = ca.SignCSR(b, req); err != nil {
			return fmt.Errorf("%s: %w", o.CSRPath, err)
		}
	} else if is, err = ca.Issue(req); err != nil {
		return err
	}
	if err := is.Save(o.Dir, ca.Cert); err != nil {
		return err
	}
	crt, key := pki.CertPaths(o.Dir, is.Name)
	info := pki.Info(is.Name, is.Cert)
	fmt.Fprintf(o.IO.Out, "issued %s: %s, role %s, SANs [%s], expires %s\n%s\n", is.Name, info.Subject, info.Role,
		strings.Join(info.SANs, " "), info.NotAfter.Format(time.DateOnly), crt)
	if is.Key != nil {
		fmt.Fprintf(o.IO.Out, "%s (mode 0600)\n", key)
	}
	return nil
}

func pkiShow(o *PKIOptions) error {
	list, err := pki.List(o.Dir)
	if err != nil {
		return err
	}
	if o.Output == cli.FormatJSON {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if list == nil {
			list = []pki.CertInfo{}
		}
		return enc.Encode(list)
	}
	now := o.Now()
	t := &cli.Table{Columns: []string{"name", "subject", "sans", "role", "not_after", "status", "key"}}
	for _, c := range list {
		status := "valid"
		switch {
		case now.After(c.NotAfter):
			status = "expired"
		case now.Before(c.NotBefore):
			status = "not yet valid"
		case c.NotAfter.Sub(now) < 30*24*time.Hour:
			status = "expires soon"
		}
		key := "-"
		if c.HasKey {
			key = "yes"
		}
		t.Add(c.Name, c.Subject, strings.Join(c.SANs, " "), string(c.Role), c.NotAfter.Format(time.RFC3339), status, key)
	}
	return cli.Render(o.IO.Out, o.Output, t)
}

func pkiKeystore(o *PKIOptions) error {
	caCert, err := pki.LoadCACert(o.Dir)
	if err != nil {
		return err
	}
	crt, keyPath := pki.CertPaths(o.Dir, o.Name)
	certs, err := pki.ReadCerts(crt)
	if err != nil {
		return err
	}
	key, err := pki.ReadKey(keyPath)
	if err != nil {
		return err
	}
	ks, err := pki.Keystore(key, certs[0], []*x509.Certificate{caCert}, o.Password, o.Encoding)
	if err != nil {
		return err
	}
	ts, err := pki.Truststore([]*x509.Certificate{caCert}, o.Password, o.Encoding)
	if err != nil {
		return err
	}
	out := o.Out
	if out == "" {
		out = filepath.Join(o.Dir, "keystores")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	ksPath, tsPath := filepath.Join(out, o.Name+".p12"), filepath.Join(out, "truststore.p12")
	if err := os.WriteFile(ksPath, ks, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(tsPath, ts, 0o644); err != nil {
		return err
	}
	// Read back what was written, so a broken file is caught here.
	if _, _, _, err := pki.ReadKeystore(ksPath, o.Password); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "keystore %s (PKCS12, %s: key, certificate, CA)\ntruststore %s (PKCS12, %s: CA)\n", ksPath, o.Encoding, tsPath, o.Encoding)
	return nil
}

func pkiConfig(o *PKIOptions) error {
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	caPath := filepath.Join(abs, pki.CACertFile)
	switch o.Kind {
	case "kafka":
		return pki.KafkaServerProperties(o.IO.Out, pki.KafkaServerOptions{Listener: o.Listener,
			Keystore: filepath.Join(abs, "keystores", o.Name+".p12"), Truststore: filepath.Join(abs, "keystores", "truststore.p12")})
	case "mariadb", "cassandra":
		crt, key := pki.CertPaths(abs, o.Name)
		if _, err := pki.ReadCert(crt); err != nil {
			return err
		}
		if o.Kind == "cassandra" {
			return pki.CassandraOptions(o.IO.Out, caPath, crt, key)
		}
		if err := pki.MariaDBOptions(o.IO.Out, caPath, crt, key); err != nil {
			return err
		}
		if o.Client == "" {
			return nil
		}
		ca, err := pki.ReadCert(caPath)
		if err != nil {
			return err
		}
		ccrt, _ := pki.CertPaths(abs, o.Client)
		client, err := pki.ReadCert(ccrt)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.IO.Out, "\n-- account bound to %s's certificate\n%s", o.Client, pki.MariaDBCreateUser(o.User, o.Host, client, ca, o.Grant))
		return nil
	case "acl":
		principals := topics.Principals{}
		for _, c := range []struct {
			role topics.Role
			name string
		}{{topics.RoleScorer, o.Scorer}, {topics.RoleClient, o.Replay}} {
			crt, _ := pki.CertPaths(abs, c.name)
			cert, err := pki.ReadCert(crt)
			if err != nil {
				return err
			}
			principals[c.role] = pki.KafkaPrincipal(cert)
		}
		return topics.WriteACLCommands(o.IO.Out, topics.Default().ACLs(o.Group), principals, topics.ACLCommandOptions{Brokers: o.Bootstrap})
	}
	return fmt.Errorf("config: unknown kind %q", o.Kind)
}

// errCheckFailed is returned when a check target refused the connection; the
// table already says why.
var errCheckFailed = errors.New("pki check: at least one connection failed")

func pkiCheck(ctx context.Context, o *PKIOptions) error {
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
