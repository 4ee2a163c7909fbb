package pki

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDirWorkflows runs what `mouseauth pki init/issue/sign/keystore` do,
// without the command line.
func TestDirWorkflows(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pki")
	now := time.Now()
	ca, err := CreateCA(dir, CAOptions{Subject: Subject{CommonName: "test root", Organization: "mouseauth"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if RFC2253(ca.Cert) != "CN=test root,O=mouseauth" {
		t.Fatalf("CA subject %s", RFC2253(ca.Cert))
	}
	if _, err := CreateCA(dir, CAOptions{Now: now}); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second CreateCA: %v", err)
	}
	if _, err := IssueInDir(dir, IssueRequest{Name: "broker", Role: RoleServer, DNS: []string{"localhost"}, Now: now}); err != nil {
		t.Fatal(err)
	}
	sc, err := IssueInDir(dir, IssueRequest{Name: "scorer", Role: RoleClient, Subject: Subject{OrganizationalUnit: "live"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := IssueInDir(dir, IssueRequest{Name: "scorer", Role: RoleClient, Now: now}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("issuing over an existing name: %v", err)
	}
	if _, err := IssueInDir(t.TempDir(), IssueRequest{Name: "x", Role: RoleClient, Now: now}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("issue without a CA: %v", err)
	}

	if openssl, err := exec.LookPath("openssl"); err == nil {
		d := t.TempDir()
		csr := filepath.Join(d, "ext.csr")
		if b, err := exec.Command(openssl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			"-keyout", filepath.Join(d, "ext.key"), "-out", csr, "-subj", "/CN=external").CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, b)
		}
		is, err := SignFileInDir(dir, csr, IssueRequest{Role: RoleClient, Now: now})
		if err != nil || is.Name != "external" || is.Key != nil {
			t.Fatalf("sign: %+v, %v", is, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.csr")
	os.WriteFile(bad, []byte("not a request"), 0o644)
	if _, err := SignFileInDir(dir, bad, IssueRequest{Role: RoleClient, Now: now}); !errors.Is(err, ErrBadCSR) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("bad CSR: %v, want ErrBadCSR naming the file", err)
	}

	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]CertInfo{}
	for _, c := range list {
		byName[c.Name] = c
	}
	if b := byName["broker"]; b.Role != RoleServer || strings.Join(b.SANs, ",") != "localhost" || !b.HasKey || b.Status(now) != StatusValid {
		t.Errorf("broker %+v", b)
	}
	if s := byName["scorer"]; s.Subject != "CN=scorer,OU=live,O=mouseauth" || s.Role != RoleClient {
		t.Errorf("scorer %+v", s)
	}
	if p, err := PrincipalOf(dir, "scorer"); err != nil || p != KafkaPrincipal(sc.Cert) || p != "User:CN=scorer,OU=live,O=mouseauth" {
		t.Errorf("PrincipalOf = %q, %v", p, err)
	}
	if _, err := PrincipalOf(dir, "nope"); err == nil {
		t.Error("PrincipalOf a missing certificate succeeded")
	}

	ks, ts, err := WriteKeystores(dir, "broker", "", "ks-pass-1", EncodingModern)
	if err != nil {
		t.Fatal(err)
	}
	if ks != filepath.Join(dir, KeystoreDir, "broker.p12") || ts != filepath.Join(dir, KeystoreDir, "truststore.p12") {
		t.Errorf("keystores at %s, %s", ks, ts)
	}
	if st, err := os.Stat(ks); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("keystore mode %v, %v", st.Mode(), err)
	}
	if _, _, _, err := ReadKeystore(ks, "ks-pass-1"); err != nil {
		t.Error(err)
	}
	if kt, err := exec.LookPath("keytool"); err == nil {
		b, err := exec.Command(kt, "-list", "-storetype", "PKCS12", "-keystore", ks, "-storepass", "ks-pass-1").CombinedOutput()
		if err != nil || !strings.Contains(string(b), "PrivateKeyEntry") {
			t.Fatalf("keytool: %v\n%s", err, b)
		}
	}
	if _, _, err := WriteKeystores(dir, "external", t.TempDir(), "pw", EncodingModern); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("keystore of a certificate without a key: %v", err)
	}
	if _, _, err := WriteKeystores(dir, "broker", t.TempDir(), "", EncodingModern); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("empty password: %v", err)
	}

	files, err := ServerFilesOf(dir, "broker")
	if err != nil || !filepath.IsAbs(files.CA) || filepath.Base(files.Cert) != "broker.crt" || filepath.Base(files.Key) != "broker.key" {
		t.Errorf("ServerFilesOf = %+v, %v", files, err)
	}
	if _, err := ServerFilesOf(dir, "nope"); err == nil {
		t.Error("ServerFilesOf a missing certificate succeeded")
	}
	stmt, err := MariaDBAccountFor(dir, "scorer", "scorer", "%", "")
	if err != nil || !strings.Contains(stmt, "REQUIRE SUBJECT '/O=mouseauth/OU=live/CN=scorer' AND ISSUER '/O=mouseauth/CN=test root'") {
		t.Errorf("MariaDBAccountFor = %q, %v", stmt, err)
	}
}

func TestCertStatus(t *testing.T) {
	t.Parallel()
	c := CertInfo{NotBefore: testNow, NotAfter: testNow.Add(90 * 24 * time.Hour)}
	for _, tc := range []struct {
		at   time.Time
		want Status
	}{
		{testNow.Add(-time.Second), StatusNotYetValid},
		{testNow, StatusValid},
		{c.NotAfter.Add(-ExpiresSoonWithin - time.Second), StatusValid},
		{c.NotAfter.Add(-ExpiresSoonWithin + time.Second), StatusExpiresSoon},
		{c.NotAfter, StatusExpiresSoon},
		{c.NotAfter.Add(time.Second), StatusExpired},
	} {
		if got := c.Status(tc.at); got != tc.want {
			t.Errorf("Status(%s) = %q, want %q", tc.at, got, tc.want)
		}
	}
}
