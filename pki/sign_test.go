package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCSR writes a PEM certificate request for subject and SANs.
func writeCSR(t *testing.T, subject pkix.Name, dns []string, ips []net.IP) string {
	t.Helper()
	key, err := GenerateKey(ECDSAP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(nil, &x509.CertificateRequest{Subject: subject, DNSNames: dns, IPAddresses: ips}, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "req.csr")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSignRefusals: the attacks of issue 11 on `pki sign` (a wildcard, an
// unspecified address, the scorer's own subject), each refused with a
// message naming the problem and the flag that allows it, and signed when
// that flag is given. Before the fix every one was signed without a word.
func TestSignRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := CreateCA(dir, CAOptions{Subject: Subject{CommonName: "root", Organization: "mouseauth"}, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	if _, err := IssueInDir(dir, IssueRequest{Name: "scorer", Role: RoleClient, Subject: Subject{CommonName: "scorer", OrganizationalUnit: "live"}, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	scorerSubject := pkix.Name{CommonName: "scorer", OrganizationalUnit: []string{"live"}, Organization: []string{"mouseauth"}}
	for _, tc := range []struct {
		name     string
		subject  pkix.Name
		dns      []string
		ips      []net.IP
		role     Role
		want     []string // in the refusal
		allowIt  Allowances
		fileName string
	}{
		{name: "wildcard *", subject: pkix.Name{CommonName: "w1"}, dns: []string{"*"}, role: RoleServer,
			want: []string{`wildcard DNS name "*"`, "--allow-wildcard"}, allowIt: Allowances{Wildcard: true}},
		{name: "wildcard *.example.com", subject: pkix.Name{CommonName: "w2"}, dns: []string{"kafka.example.com", "*.example.com"}, role: RoleServer,
			want: []string{`"*.example.com"`, "--allow-wildcard"}, allowIt: Allowances{Wildcard: true}},
		{name: "0.0.0.0", subject: pkix.Name{CommonName: "u4"}, ips: []net.IP{net.IPv4zero}, role: RoleServer,
			want: []string{"0.0.0.0 is the unspecified address", "--allow-unspecified-ip"}, allowIt: Allowances{UnspecifiedIP: true}},
		{name: "::", subject: pkix.Name{CommonName: "u6"}, ips: []net.IP{net.IPv6loopback, net.IPv6unspecified}, role: RoleServer,
			want: []string{":: is the unspecified address"}, allowIt: Allowances{UnspecifiedIP: true}},
		{name: "the scorer's subject", subject: scorerSubject, role: RoleClient, fileName: "scorer2",
			want:    []string{`subject "CN=scorer,OU=live,O=mouseauth" is the principal of the issued certificate "scorer"`, "--allow-duplicate-principal"},
			allowIt: Allowances{DuplicatePrincipal: true}},
		{name: "the scorer's common name", subject: pkix.Name{CommonName: "scorer", Organization: []string{"evil"}}, role: RoleClient, fileName: "scorer3",
			want: []string{`common name "scorer" is that of the issued certificate "scorer"`}, allowIt: Allowances{DuplicatePrincipal: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csr := writeCSR(t, tc.subject, tc.dns, tc.ips)
			_, err := SignFileInDir(dir, csr, IssueRequest{Name: tc.fileName, Role: tc.role, Now: testNow})
			if !errors.Is(err, ErrRefusedRequest) {
				t.Fatalf("signed: err = %v, want ErrRefusedRequest", err)
			}
			for _, w := range append(tc.want, csr) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q lacks %q", err, w)
				}
			}
			if crt, _ := CertPaths(dir, tc.subject.CommonName); tc.fileName == "" && exists(crt) {
				t.Errorf("a refused request left %s", crt)
			}
			is, err := SignFileInDir(dir, csr, IssueRequest{Name: tc.fileName, Role: tc.role, Now: testNow, Allow: tc.allowIt})
			if err != nil {
				t.Fatalf("with %+v: %v", tc.allowIt, err)
			}
			t.Logf("refused, then signed with %+v as %s", tc.allowIt, RFC2253(is.Cert))
		})
	}
	// The same checks guard IssueInDir.
	if _, err := IssueInDir(dir, IssueRequest{Name: "web", Role: RoleServer, DNS: []string{"*.example.com"}, Now: testNow}); !errors.Is(err, ErrRefusedRequest) {
		t.Errorf("issue with a wildcard: %v", err)
	}
	if _, err := IssueInDir(dir, IssueRequest{Name: "scorer-copy", Role: RoleClient, Subject: Subject{CommonName: "scorer", OrganizationalUnit: "live"}, Now: testNow}); !errors.Is(err, ErrRefusedRequest) {
		t.Errorf("issue of the scorer's subject under another name: %v", err)
	}
	if _, err := IssueInDir(dir, IssueRequest{Name: "kafka-1", Role: RoleServer, DNS: []string{"kafka-1.example.com"}, IPs: []net.IP{net.IPv4(10, 0, 0, 1)}, Now: testNow}); err != nil {
		t.Errorf("an ordinary server certificate: %v", err)
	}
}
