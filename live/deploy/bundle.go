package deploy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/internal/secret"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
)

// A client bundle is what one client machine needs to log its users in
// and send their vectors, and nothing more: no key of the CA, the scorer,
// the admin or the broker, no password but its own SASL password, no state
// key, no database. The folder and every file are private (0700/0600):
//
//	ca.crt           the CA certificate (it verifies the brokers; no key)
//	client.crt       the client identity's certificate, bound to its users
//	client.key       its private key (the only copy)
//	sasl.password    its SASL/SCRAM password (the SASL user is its name)
//	scorer-hpke.pub  the scorer's public key, which logins are sealed to
//	bundle.json      brokers, the identity's name and users, topic names
//
// [WriteBundle] makes one on the scorer's side; [LoadBundle] reads it on
// the client's.

// Bundle files.
const (
	BundleCA        = "ca.crt"
	BundleCert      = "client.crt"
	BundleKey       = "client.key"
	BundlePassword  = "sasl.password"
	BundleScorerKey = PublicKeyFile
	BundleConfig    = "bundle.json"
)

// BundleFiles lists the files of a bundle, in the order they are written.
func BundleFiles() []string {
	return []string{BundleCA, BundleCert, BundleKey, BundlePassword, BundleScorerKey, BundleConfig}
}

// BundleConfigFile is bundle.json.
type BundleConfigFile struct {
	Version       int          `json:"version"` // 1
	Client        string       `json:"client"`  // the identity's name: certificate common name, SASL user
	Users         []string     `json:"users"`   // whom it may act for
	Brokers       []string     `json:"brokers"`
	SASLMechanism string       `json:"sasl_mechanism"`
	Topics        BundleTopics `json:"topics"`
	Created       time.Time    `json:"created"`
	Expires       time.Time    `json:"expires"` // the certificate's end
	Note          string       `json:"note,omitempty"`
}

// BundleTopics are the topic names a client uses.
type BundleTopics struct {
	Logins    string `json:"logins"`
	Features  string `json:"features"`
	PerUser   bool   `json:"per_user"`  // one feature topic per user (features + "." + user)
	Decisions string `json:"decisions"` // the identity's own decision topic
}

// BundleOptions configure [WriteBundle].
type BundleOptions struct {
	// State is the scorer's embedded state folder: its CA issues the
	// identity, its broker admits it (a running one within seconds), its
	// broker port and published scorer key go into the bundle.
	State string
	// PKIDir, Brokers and ScorerKey are for real clusters instead of
	// State: the PKI folder whose CA issues the identity (its certificate
	// is kept there, not its key), the brokers' addresses, and the
	// scorer's public key file. The cluster's admin then creates the SCRAM
	// user, the grants and the decision topic (WriteBundle says how).
	PKIDir    string
	Brokers   []string
	ScorerKey string
	// Client names the identity (1-64 letters, digits, '.', '_' or '-');
	// Users are whom it may act for.
	Client string
	Users  []string
	// Out is the bundle's folder; it must not exist, or be empty.
	Out          string
	Validity     time.Duration // of the certificate, default a year
	TopicPerUser bool
	Now          time.Time
}

// Bundle is a written or loaded bundle.
type Bundle struct {
	Dir    string
	Config BundleConfigFile
	// Loaded by LoadBundle:
	TLS       *tls.Config
	SASL      sasl.Mechanism
	ScorerKey *wire.PublicKey
	Identity  *wire.ClientSigner
}

// Names are the bundle's topic names, its decision topic included.
func (b *Bundle) Names() topics.Names {
	n := topics.Default()
	n.Logins, n.Features, n.PerUser, n.Decisions = b.Config.Topics.Logins, b.Config.Topics.Features, b.Config.Topics.PerUser, b.Config.Topics.Decisions
	return n
}

// WriteBundle registers a client identity and writes its bundle. With
// State, the identity is registered in the embedded state (see
// cluster.RegisterClient); with PKIDir, its certificate is issued by that
// CA and the cluster's admin registers it. It returns the bundle and,
// for real clusters, what the admin must run.
func WriteBundle(o BundleOptions) (*Bundle, []string, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if (o.State == "") == (o.PKIDir == "") {
		return nil, nil, errors.New("bundle: give the embedded state folder, or a PKI folder with the brokers")
	}
	if err := (pki.Binding{Users: o.Users}).Validate(); err != nil {
		return nil, nil, fmt.Errorf("bundle %s: %w", o.Client, err)
	}
	if err := emptyDir(o.Out); err != nil {
		return nil, nil, err
	}
	var (
		is       *pki.Issued
		caPEM    []byte
		password string
		brokers  = o.Brokers
		pubPath  = o.ScorerKey
		admin    []string
	)
	if o.State != "" {
		if pubPath == "" {
			pubPath = PublicKeyPath(o.State)
		}
		if len(brokers) == 0 {
			b, err := os.ReadFile(filepath.Join(o.State, "kafka.port"))
			if err != nil {
				return nil, nil, fmt.Errorf("bundle: the state folder %s has no broker port yet: run 'mouseauth live serve' there once: %w", o.State, err)
			}
			brokers = []string{net.JoinHostPort("127.0.0.1", strings.TrimSpace(string(b)))}
		}
		if _, err := ReadPublicKey(pubPath); err != nil {
			return nil, nil, err
		}
		r, err := cluster.RegisterClient(o.State, o.Client, o.Users, o.Validity, o.Now)
		if err != nil {
			return nil, nil, err
		}
		is, caPEM, password = r.Issued, r.CA, r.Password
	} else {
		if len(brokers) == 0 || pubPath == "" {
			return nil, nil, errors.New("bundle: a PKI folder needs the brokers and the scorer's public key")
		}
		if _, err := ReadPublicKey(pubPath); err != nil {
			return nil, nil, err
		}
		ca, err := pki.LoadCA(o.PKIDir)
		if err != nil {
			return nil, nil, err
		}
		if is, err = ca.Issue(pki.IssueRequest{Name: o.Client, Subject: pki.Subject{CommonName: o.Client, OrganizationalUnit: "clients"},
			Role: pki.RoleClient, Validity: o.Validity, Now: o.Now, Binding: &pki.Binding{Users: o.Users}}); err != nil {
			return nil, nil, err
		}
		if err := (&pki.Issued{Name: is.Name, Cert: is.Cert}).Save(o.PKIDir, ca.Cert); err != nil {
			return nil, nil, err
		}
		caPEM = pki.CertPEM(ca.Cert)
		if password, err = secret.Generate(); err != nil {
			return nil, nil, err
		}
		n := topics.Default()
		n.PerUser = o.TopicPerUser
		admin = []string{
			fmt.Sprintf("kafka-configs.sh --bootstrap-server %s --command-config admin.properties --alter --entity-type users --entity-name %s --add-config \"SCRAM-SHA-512=[password=$(cat %s)]\"",
				brokers[0], o.Client, filepath.Join(o.Out, BundlePassword)),
			fmt.Sprintf("kafka-topics.sh --bootstrap-server %s --command-config admin.properties --create --topic %s --partitions 1", brokers[0], n.DecisionsFor(o.Client)),
			fmt.Sprintf("mouseauth pki config acl --pki-dir %s --client %s --principal scorer=User:scorer --brokers %s | sh", o.PKIDir, o.Client, brokers[0]),
		}
	}
	pub, err := os.ReadFile(pubPath)
	if err != nil {
		return nil, nil, err
	}
	key, err := pki.KeyPEM(is.Key)
	if err != nil {
		return nil, nil, err
	}
	n := topics.Default()
	n.PerUser = o.TopicPerUser
	cfg := BundleConfigFile{Version: 1, Client: o.Client, Users: o.Users, Brokers: brokers, SASLMechanism: cluster.Mechanism,
		Topics:  BundleTopics{Logins: n.Logins, Features: n.Features, PerUser: n.PerUser, Decisions: n.DecisionsFor(o.Client)},
		Created: o.Now.UTC(), Expires: is.Cert.NotAfter.UTC(),
		Note: "mouseauth client bundle: this machine's identity, bound to its users. Keep it private; it holds no key but its own."}
	conf, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{BundleCA: caPEM, BundleCert: pki.CertPEM(is.Cert), BundleKey: key, BundlePassword: []byte(password + "\n"),
		BundleScorerKey: pub, BundleConfig: append(conf, '\n')}
	for _, name := range BundleFiles() {
		if err := writePrivate(filepath.Join(o.Out, name), files[name]); err != nil {
			return nil, nil, err
		}
	}
	return &Bundle{Dir: o.Out, Config: cfg}, admin, nil
}

// emptyDir makes dir (0700), or checks that it exists empty and makes it
// private.
func emptyDir(dir string) error {
	if dir == "" {
		return errors.New("bundle: no output folder")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("bundle: %s is not empty; give a new folder", dir)
	}
	return os.Chmod(dir, 0o700)
}

// writePrivate creates path (0600), refusing to overwrite.
func writePrivate(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// LoadBundle reads a client bundle: every file must be there and private
// (a file group or others may read is refused), bundle.json well formed
// (errors name the file and the member), the key must match the
// certificate, and the certificate must be a client identity of the
// bundle's CA.
func LoadBundle(dir string) (*Bundle, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("bundle %s: not a folder", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("bundle %s (mode %04o): %w", dir, st.Mode().Perm(), secret.ErrLoosePermissions)
	}
	for _, name := range BundleFiles() {
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("bundle: %s is not a regular file", p)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("bundle: %s (mode %04o): %w", p, fi.Mode().Perm(), secret.ErrLoosePermissions)
		}
	}
	b := &Bundle{Dir: dir}
	confPath := filepath.Join(dir, BundleConfig)
	raw, err := os.ReadFile(confPath)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&b.Config); err != nil {
		return nil, fmt.Errorf("%s: %s", confPath, jsonError(raw, err))
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: data after the JSON object", confPath)
	}
	c := b.Config
	switch {
	case c.Version != 1:
		return nil, fmt.Errorf("%s: version %d (this build reads 1)", confPath, c.Version)
	case c.Client == "":
		return nil, fmt.Errorf("%s: client: empty", confPath)
	case len(c.Brokers) == 0:
		return nil, fmt.Errorf("%s: brokers: none", confPath)
	case c.Topics.Logins == "" || c.Topics.Features == "" || c.Topics.Decisions == "":
		return nil, fmt.Errorf("%s: topics: logins, features and decisions are required", confPath)
	}
	for i, br := range c.Brokers {
		_, port, err := net.SplitHostPort(br)
		if err == nil {
			_, err = strconv.ParseUint(port, 10, 16)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: brokers[%d] %q: want host:port", confPath, i, br)
		}
	}
	caCerts, err := pki.ReadCerts(filepath.Join(dir, BundleCA))
	if err != nil {
		return nil, err
	}
	cert, err := pki.LoadKeyPair(filepath.Join(dir, BundleCert), filepath.Join(dir, BundleKey))
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCerts[0])
	id, err := pki.VerifyIdentity(roots, cert.Certificate[0], time.Now())
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %s: %w", dir, BundleCert, err)
	}
	if id.Name != c.Client || !slices.Equal(id.Binding.Users, c.Users) {
		return nil, fmt.Errorf("%s: client %q bound to %v, but %s is %q bound to %s", confPath, c.Client, c.Users, BundleCert, id.Name, id.Binding)
	}
	if b.TLS, err = pki.ClientTLS(pki.Config{CA: caCerts[0], Certificate: cert}); err != nil {
		return nil, err
	}
	pw, err := secret.Read(filepath.Join(dir, BundlePassword))
	if err != nil {
		return nil, err
	}
	if b.SASL, err = topics.SASL(c.SASLMechanism, c.Client, pw); err != nil {
		return nil, fmt.Errorf("%s: %w", confPath, err)
	}
	if b.ScorerKey, err = ReadPublicKey(filepath.Join(dir, BundleScorerKey)); err != nil {
		return nil, err
	}
	if b.Identity, err = wire.NewClientSigner(cert); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	return b, nil
}

// WaitAdmitted waits until the brokers admit the bundle's identity: it
// authenticates and its decision topic exists (the embedded broker makes
// both when it admits a registered identity), retrying until ctx ends.
func (b *Bundle) WaitAdmitted(ctx context.Context) error {
	tr := topics.Transport(b.TLS, b.SASL)
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(b.Config.Brokers...), Transport: tr, Timeout: 5 * time.Second}
	return retry.Do(ctx, retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second}, func() error {
		md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{b.Config.Topics.Decisions}})
		if err != nil {
			return err
		}
		if len(md.Topics) != 1 || md.Topics[0].Error != nil {
			return fmt.Errorf("topic %s: not there yet", b.Config.Topics.Decisions)
		}
		return nil
	})
}

// jsonError names the line and column of a JSON syntax error, and the
// member of a type error.
func jsonError(raw []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line := 1 + bytes.Count(raw[:se.Offset], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	case errors.As(err, &te):
		line := 1 + bytes.Count(raw[:te.Offset], []byte("\n"))
		return fmt.Sprintf("line %d: member %q: %s where %s was expected", line, te.Field, te.Value, te.Type)
	}
	return err.Error()
}

// Workstation registers the client identity name, bound to users, in the
// embedded state folder state, writes its bundle into out (empty or
// missing), waits until the running broker admits it and returns the
// loaded bundle: what the benches' simulated workstations log in with.
func Workstation(ctx context.Context, state, name string, users []string, out string) (*Bundle, error) {
	if _, _, err := WriteBundle(BundleOptions{State: state, Client: name, Users: users, Out: out}); err != nil {
		return nil, err
	}
	b, err := LoadBundle(out)
	if err != nil {
		return nil, err
	}
	return b, b.WaitAdmitted(ctx)
}
