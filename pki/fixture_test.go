package pki

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// fixture is a PKI directory with everything the rejection matrix needs.
type fixture struct {
	dir     string
	ca      *CA
	other   *CA // an unrelated CA
	issued  map[string]*Issued
	otherIs map[string]*Issued
}

var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	now := time.Now() // servers check expiry against the real clock
	f := &fixture{dir: t.TempDir(), issued: map[string]*Issued{}, otherIs: map[string]*Issued{}}
	var err error
	f.ca, err = NewCA(CAOptions{Subject: Subject{CommonName: "mouseauth test CA", Organization: "mouseauth"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ca.Save(f.dir); err != nil {
		t.Fatal(err)
	}
	f.other, err = NewCA(CAOptions{Subject: Subject{CommonName: "intruder CA", Organization: "elsewhere"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	lo := []net.IP{net.IPv4(127, 0, 0, 1)}
	for _, r := range []IssueRequest{
		{Name: "server", DNS: []string{"localhost"}, IPs: lo, Role: RoleServer},
		{Name: "wrongname", DNS: []string{"db.elsewhere.example"}, Role: RoleServer},
		{Name: "replay", Role: RoleClient},
		{Name: "scorer", Subject: Subject{CommonName: "scorer", OrganizationalUnit: "live"}, Role: RoleClient},
		{Name: "intruder", Role: RoleClient},
		{Name: "expired", Role: RoleClient, Now: now.Add(-48 * time.Hour), Validity: time.Hour},
	} {
		if r.Now.IsZero() {
			r.Now = now
		}
		is, err := f.ca.Issue(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := is.Save(f.dir, f.ca.Cert); err != nil {
			t.Fatal(err)
		}
		f.issued[r.Name] = is
	}
	for _, r := range []IssueRequest{
		{Name: "server", DNS: []string{"localhost"}, IPs: lo, Role: RoleServer},
		{Name: "client", Role: RoleClient},
	} {
		r.Now = now
		is, err := f.other.Issue(r)
		if err != nil {
			t.Fatal(err)
		}
		f.otherIs[r.Name] = is
	}
	return f
}

func (f *fixture) path(name string) string { return filepath.Join(f.dir, name) }

func tlsCert(is *Issued) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{is.Cert.Raw}, PrivateKey: is.Key, Leaf: is.Cert}
}

func (f *fixture) server(t *testing.T, name string) *tls.Config {
	t.Helper()
	cfg, err := ServerTLSFromDir(f.dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (f *fixture) client(t *testing.T, name string) *tls.Config {
	t.Helper()
	cfg, err := ClientTLSFromDir(f.dir, name, "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// raw client configurations the builders refuse to make, for rejection tests.
func (f *fixture) clientNoCert(t *testing.T) *tls.Config {
	c := f.client(t, "replay")
	c.Certificates = nil
	return c
}

func (f *fixture) clientOtherCA(t *testing.T) *tls.Config {
	c := f.client(t, "replay")
	// Go's client sends no certificate when none matches the server's CA
	// list; force it so the server has to reject a foreign certificate.
	other := tlsCert(f.otherIs["client"])
	c.Certificates = nil
	c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &other, nil }
	return c
}

func (f *fixture) otherServer(t *testing.T) *tls.Config {
	t.Helper()
	cfg, err := ServerTLS(Config{CA: f.ca.Cert, Certificate: tlsCert(f.otherIs["server"])})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// matrixCase is one row of a rejection matrix.
type matrixCase struct {
	name    string
	cfg     *tls.Config
	addr    string
	wantOK  bool
	explain []string // the explanation must contain one of these
}
