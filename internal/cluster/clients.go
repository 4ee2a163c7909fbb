package cluster

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/secret"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// Client identities of the embedded broker.
//
// A client identity is one workstation's: a certificate of the state's CA
// bound to the users it may act for (pki.Binding), and a SASL user of the
// same name holding the client role's grants for those users
// (topics.RoleClient): write logins and its users' vectors, read its own
// decision topic (topics.Names.DecisionsFor). [RegisterClient] makes one:
// it keeps the certificate in STATE/pki/issued/NAME.crt and the SASL
// password in STATE/sasl/NAME.password; the private key goes only to the
// client (the caller writes it into the client's bundle). The broker
// admits every such identity at start, and a running broker admits one
// registered meanwhile within [Options.ClientsCheck]: it adds the SCRAM
// credential, the grants and the decision topic. Deleting the certificate
// (or the password file) revokes the identity: the running broker removes
// its SCRAM credential and grants at its next check.

// registered is a client identity of the state folder.
type registered struct {
	topics.Client
	password string
}

func specClients(rs []registered) []topics.Client {
	out := make([]topics.Client, len(rs))
	for i, r := range rs {
		out[i] = r.Client
	}
	return out
}

// reserved are names no client identity may take: the roles' users and
// certificates, and the broker's.
func reserved(name string) bool {
	return slices.Contains(Users(), name) || name == UserBroker || name == CertServer
}

// clientsOf lists the client identities of the state folder dir: the
// issued certificates bound to listed users (not the shared replay
// identity, bound to every user) whose SASL password exists. A certificate
// that does not read is an error naming it.
func clientsOf(dir string) ([]registered, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "pki", pki.IssuedDir, "*.crt"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var out []registered
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".crt")
		if reserved(name) {
			continue
		}
		r, err := clientOf(dir, name)
		if errors.Is(err, errNotClient) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

var errNotClient = errors.New("not a client identity")

// clientOf reads the client identity name of the state folder dir.
func clientOf(dir, name string) (registered, error) {
	crt, _ := pki.CertPaths(filepath.Join(dir, "pki"), name)
	c, err := pki.ReadCert(crt)
	if errors.Is(err, fs.ErrNotExist) {
		return registered{}, fmt.Errorf("client identity %q: %w", name, errNotClient)
	}
	if err != nil {
		return registered{}, err
	}
	b, err := pki.BindingOf(c)
	if errors.Is(err, pki.ErrNoBinding) || err == nil && b.AnyUser {
		return registered{}, fmt.Errorf("client identity %q: %w", name, errNotClient)
	}
	if err != nil {
		return registered{}, fmt.Errorf("%s: %w", crt, err)
	}
	if c.Subject.CommonName != name {
		return registered{}, fmt.Errorf("%s: common name %q is not the identity's name %q", crt, c.Subject.CommonName, name)
	}
	pw, err := secret.ReadState(PasswordPath(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return registered{}, fmt.Errorf("client identity %q has no SASL password: %w", name, errNotClient)
	}
	if err != nil {
		return registered{}, err
	}
	return registered{Client: topics.Client{Name: name, Users: b.Users}, password: pw}, nil
}

// ErrClientExists is wrapped by [RegisterClient] when the name is taken.
var ErrClientExists = errors.New("client identity exists")

// Registration is a client identity [RegisterClient] made: its certificate
// and key (the key is nowhere else), and its SASL password (also kept in
// the state folder, for the broker).
type Registration struct {
	Issued   *pki.Issued
	CA       []byte // the CA certificate, PEM
	Password string
}

// RegisterClient makes the client identity name, bound to users, in the
// state folder dir (its CA must exist: a state a `live serve` made): it
// issues the certificate (ECDSA P-256, client role, valid for validity,
// default a year) and keeps it, without its key, in STATE/pki/issued, and
// generates the SASL password into STATE/sasl/NAME.password. A broker
// running on dir admits the identity within Options.ClientsCheck. The name
// must be a certificate name (1-64 letters, digits, '.', '_' or '-') and
// none of the roles' ([ErrClientExists] when taken).
func RegisterClient(dir, name string, users []string, validity time.Duration, now time.Time) (*Registration, error) {
	if reserved(name) {
		return nil, fmt.Errorf("client identity %q: the name of a role of the embedded broker; pick another", name)
	}
	pkiDir := filepath.Join(dir, "pki")
	ca, err := pki.LoadCA(pkiDir)
	if err != nil {
		return nil, fmt.Errorf("client identity %q: the state folder %s has no CA (run 'mouseauth live serve' there first): %w", name, dir, err)
	}
	crt, _ := pki.CertPaths(pkiDir, name)
	if _, err := os.Stat(crt); err == nil {
		return nil, fmt.Errorf("client identity %q: %w (%s); delete that certificate and %s to revoke it, then register it again",
			name, ErrClientExists, crt, PasswordPath(dir, name))
	}
	is, err := ca.Issue(pki.IssueRequest{Name: name, Subject: pki.Subject{CommonName: name, OrganizationalUnit: "clients", Organization: "mouseauth"},
		Role: pki.RoleClient, Validity: validity, Now: now, Binding: &pki.Binding{Users: users}})
	if err != nil {
		return nil, fmt.Errorf("client identity %q: %w", name, err)
	}
	// A password file without a certificate is a revoked identity's
	// leftover: a new identity gets a new password.
	if err := os.Remove(PasswordPath(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if _, err := secret.Ensure(PasswordPath(dir, name)); err != nil {
		return nil, fmt.Errorf("client identity %q: %w", name, err)
	}
	pw, err := secret.ReadState(PasswordPath(dir, name))
	if err != nil {
		return nil, err
	}
	// The certificate last: the broker admits an identity once its
	// certificate and password are both there.
	certOnly := &pki.Issued{Name: is.Name, Cert: is.Cert}
	if err := certOnly.Save(pkiDir, ca.Cert); err != nil {
		return nil, fmt.Errorf("client identity %q: %w", name, err)
	}
	return &Registration{Issued: is, CA: pki.CertPEM(ca.Cert), Password: pw}, nil
}

// fingerprint identifies a set of client identities, passwords included.
func fingerprint(rs []registered) string {
	var b strings.Builder
	for _, r := range rs {
		sum := sha256.Sum256([]byte(r.password))
		fmt.Fprintf(&b, "%s\x00%s\x00%x\n", r.Name, strings.Join(r.Users, "\x00"), sum)
	}
	return b.String()
}

// admitClients makes the broker's SCRAM credentials, grants and decision
// topics those of clients, as the broker's own principal (and the admin,
// for the topics); was are the identities admitted before.
func (c *Cluster) admitClients(ctx context.Context, clients, was []registered) error {
	cl, closeClient := c.internalClient()
	defer closeClient()
	req := &kafka.AlterUserScramCredentialsRequest{}
	pw := map[string]string{}
	for _, r := range was {
		pw[r.Name] = r.password
	}
	keep := map[string]bool{}
	for _, r := range clients {
		keep[r.Name] = true
		if old, ok := pw[r.Name]; ok && old == r.password {
			continue
		}
		salt := make([]byte, 16)
		rand.Read(salt)
		salted, err := pbkdf2.Key(sha512.New, r.password, salt, scramIterations, sha512.Size)
		if err != nil {
			return err
		}
		req.Upsertions = append(req.Upsertions, kafka.UserScramCredentialsUpsertion{Name: r.Name, Mechanism: kafka.ScramMechanismSha512,
			Iterations: scramIterations, Salt: salt, SaltedPassword: salted})
	}
	for _, r := range was {
		if !keep[r.Name] {
			req.Deletions = append(req.Deletions, kafka.UserScramCredentialsDeletion{Name: r.Name, Mechanism: kafka.ScramMechanismSha512})
		}
	}
	if len(req.Upsertions)+len(req.Deletions) > 0 {
		res, err := cl.AlterUserScramCredentials(ctx, req)
		if err != nil {
			return fmt.Errorf("client identities: SCRAM credentials: %w", err)
		}
		for _, u := range res.Results {
			if u.Error != nil {
				return fmt.Errorf("client identity %s: SCRAM credential: %w", u.User, u.Error)
			}
		}
	}
	added, removed, err := c.reconcileACLs(ctx, specClients(clients))
	if err != nil {
		return err
	}
	if len(added)+len(removed) > 0 {
		c.opts.Logger.Info("embedded broker: ACLs set to the specification", "group", c.opts.Group, "clients", len(clients), "added", len(added), "removed", len(removed))
	}
	var names []string
	for _, r := range clients {
		names = append(names, topics.Default().DecisionsFor(r.Name))
	}
	return c.EnsureTopics(ctx, 1, names...)
}

// scramIterations is the SCRAM iteration count of the client identities'
// credentials (kfake's, Kafka's minimum).
const scramIterations = 4096

// watchClients admits the client identities registered, and drops those
// removed, while the broker runs, checking every Options.ClientsCheck.
func (c *Cluster) watchClients(ctx context.Context, admitted []registered) {
	t := time.NewTicker(c.opts.ClientsCheck)
	defer t.Stop()
	have := fingerprint(admitted)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := clientsOf(c.Dir)
		if err != nil {
			c.opts.Logger.Warn("embedded broker: client identities not read", "err", err)
			continue
		}
		if fingerprint(now) == have {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = c.admitClients(actx, now, admitted)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				c.opts.Logger.Warn("embedded broker: client identities not admitted; trying again", "err", err)
			}
			continue
		}
		var names []string
		for _, r := range now {
			names = append(names, r.Name)
		}
		c.opts.Logger.Info("embedded broker: client identities admitted", "clients", names)
		admitted, have = now, fingerprint(now)
	}
}
