package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/pki"
)

// PKI is a CA directory with a "server" certificate (localhost, 127.0.0.1)
// and "scorer" and "replay" client certificates.
type PKI struct {
	Dir    string
	CA     *pki.CA
	Issued map[string]*pki.Issued
}

// New makes the PKI in a temporary directory.
func New(t testing.TB) *PKI {
	t.Helper()
	now := time.Now()
	p := &PKI{Dir: t.TempDir(), Issued: map[string]*pki.Issued{}}
	var err error
	p.CA, err = pki.NewCA(pki.CAOptions{Subject: pki.Subject{CommonName: "mouseauth test CA", Organization: "mouseauth"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CA.Save(p.Dir); err != nil {
		t.Fatal(err)
	}
	for _, r := range []pki.IssueRequest{
		{Name: "server", DNS: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Role: pki.RoleServer},
		{Name: "scorer", Subject: pki.Subject{CommonName: "scorer", OrganizationalUnit: "live"}, Role: pki.RoleClient},
		{Name: "replay", Subject: pki.Subject{CommonName: "replay", OrganizationalUnit: "live"}, Role: pki.RoleClient},
	} {
		r.Now = now
		is, err := p.CA.Issue(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := is.Save(p.Dir, p.CA.Cert); err != nil {
			t.Fatal(err)
		}
		p.Issued[r.Name] = is
	}
	return p
}

// Server returns the server TLS configuration (client certificates required).
func (p *PKI) Server(t testing.TB) *tls.Config {
	t.Helper()
	c, err := pki.ServerTLSFromDir(p.Dir, "server")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Client returns the TLS configuration of client certificate name.
func (p *PKI) Client(t testing.TB, name string) *tls.Config {
	t.Helper()
	c, err := pki.ClientTLSFromDir(p.Dir, name, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Cert returns an issued certificate.
func (p *PKI) Cert(name string) *x509.Certificate { return p.Issued[name].Cert }

// MariaDB starts a private mariadbd with TLS required and creates account
// "scorer" bound to the scorer certificate's subject and the CA as issuer,
// with all privileges on databases named mouseauth%. It skips (or fails
// under MOUSEAUTH_REQUIRE_ALL=1) where mariadbd is missing.
func (p *PKI) MariaDB(t testing.TB) *testutil.MariaDB {
	t.Helper()
	crt, key := pki.CertPaths(p.Dir, "server")
	db := testutil.StartMariaDB(t, testutil.MariaDBOptions{CA: filepath.Join(p.Dir, pki.CACertFile), Cert: crt, Key: key})
	db.Exec(t, pki.MariaDBCreateUser("scorer", "%", p.Cert("scorer"), p.CA.Cert, "ALL PRIVILEGES ON `mouseauth%`.*"))
	return db
}
