package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

func TestIssueRolesAndUsages(t *testing.T) {
	t.Parallel()
	ca, err := NewCA(CAOptions{Now: testNow, Subject: Subject{Organization: "mouseauth"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role Role
		want []x509.ExtKeyUsage
	}{
		{RoleServer, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{RoleClient, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{RoleBoth, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			is, err := ca.Issue(IssueRequest{Name: "n-" + string(tc.role), Role: tc.role, DNS: []string{"kafka.local"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if len(is.Cert.ExtKeyUsage) != len(tc.want) || RoleOf(is.Cert) != tc.role {
				t.Fatalf("ExtKeyUsage %v, role %q", is.Cert.ExtKeyUsage, RoleOf(is.Cert))
			}
			pool := x509.NewCertPool()
			pool.AddCert(ca.Cert)
			if _, err := is.Cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: testNow, DNSName: "kafka.local", KeyUsages: tc.want}); err != nil {
				t.Fatal(err)
			}
			if is.Cert.Subject.Organization[0] != "mouseauth" {
				t.Errorf("organization %v not inherited from the CA", is.Cert.Subject.Organization)
			}
		})
	}
	if _, err := ca.Issue(IssueRequest{Name: "srv", Role: RoleServer, Now: testNow}); err == nil {
		t.Error("a server certificate without SANs was issued")
	}
	if _, err := ca.Issue(IssueRequest{Name: "../evil", Role: RoleClient, Now: testNow}); err == nil {
		t.Error("a name with a path was accepted")
	}
}

func TestRSAKeys(t *testing.T) {
	t.Parallel()
	ca, err := NewCA(CAOptions{Now: testNow, Algo: RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	if ca.Cert.PublicKeyAlgorithm != x509.RSA {
		t.Fatalf("CA key %v", ca.Cert.PublicKeyAlgorithm)
	}
	if _, err := NewCA(CAOptions{Now: testNow, Algo: "dsa"}); err == nil {
		t.Error("unknown key type accepted")
	}
}

func TestSaveLoadShowRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, err := NewCA(CAOptions{Now: testNow, Subject: Subject{CommonName: "rt CA", Organization: "mouseauth", Country: "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := ca.Save(dir); err == nil {
		t.Error("Save overwrote an existing CA")
	}
	st, err := os.Stat(filepath.Join(dir, CAKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key mode %v, err %v", st.Mode(), err)
	}
	loaded, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.Cert.Equal(ca.Cert) {
		t.Fatal("loaded CA differs")
	}
	is, err := loaded.Issue(IssueRequest{Name: "kafka-1", Role: RoleServer, DNS: []string{"kafka-1.example"}, IPs: []net.IP{net.ParseIP("10.1.2.3")}, Now: testNow, Validity: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := is.Save(dir, loaded.Cert); err != nil {
		t.Fatal(err)
	}
	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("List = %v", list)
	}
	got := list[0]
	if got.Name != "kafka-1" || got.Subject != "CN=kafka-1,O=mouseauth" || got.Role != RoleServer ||
		strings.Join(got.SANs, ",") != "kafka-1.example,10.1.2.3" || !got.HasKey ||
		!got.NotAfter.Equal(testNow.Add(90*24*time.Hour)) || got.Issuer != "CN=rt CA,O=mouseauth,C=DE" {
		t.Fatalf("List = %+v", got)
	}
	if _, err := LoadConfig(dir, "kafka-1"); err != nil {
		t.Fatal(err)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, _ := NewCA(CAOptions{Now: testNow})
	if err := ca.Save(dir); err != nil {
		t.Fatal(err)
	}

	t.Run("CSR with a bad signature", func(t *testing.T) {
		key, _ := GenerateKey(ECDSAP256, nil)
		der, err := x509.CreateCertificateRequest(nil, &x509.CertificateRequest{Subject: Subject{CommonName: "evil"}.name()}, key)
		if err != nil {
			t.Fatal(err)
		}
		der[len(der)-5] ^= 0xff // inside the signature
		_, err = ca.SignCSR(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), IssueRequest{Role: RoleClient, Now: testNow})
		if !errors.Is(err, ErrBadCSR) {
			t.Fatalf("err = %v, want ErrBadCSR", err)
		}
	})

	t.Run("CA key that does not match its certificate", func(t *testing.T) {
		d := t.TempDir()
		other, _ := NewCA(CAOptions{Now: testNow})
		if err := other.Save(d); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, CACertFile))
		os.WriteFile(filepath.Join(d, CACertFile), b, 0o644)
		_, err := LoadCA(d)
		if !errors.Is(err, ErrKeyMismatch) || !strings.Contains(err.Error(), CAKeyFile) {
			t.Fatalf("err = %v, want ErrKeyMismatch naming ca.key", err)
		}
	})

	t.Run("key file with loose permissions", func(t *testing.T) {
		p := filepath.Join(dir, CAKeyFile)
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(p, 0o600)
		_, err := LoadCA(dir)
		if !errors.Is(err, ErrLoosePermissions) || !strings.Contains(err.Error(), "0644") {
			t.Fatalf("err = %v, want ErrLoosePermissions naming the mode", err)
		}
	})

	t.Run("wrong keystore password", func(t *testing.T) {
		is, _ := ca.Issue(IssueRequest{Name: "c", Role: RoleClient, Now: testNow})
		ks, err := Keystore(is.Key, is.Cert, []*x509.Certificate{ca.Cert}, "right-password", EncodingModern)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "c.p12")
		os.WriteFile(p, ks, 0o600)
		if _, _, _, err := ReadKeystore(p, "wrong-password"); !errors.Is(err, ErrKeystorePassword) || !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v, want ErrKeystorePassword naming the file", err)
		}
		if _, err := Keystore(is.Key, is.Cert, nil, "", EncodingModern); !errors.Is(err, ErrEmptyPassword) {
			t.Fatalf("empty password: %v", err)
		}
	})
}

func TestSignCSRFromOpenSSL(t *testing.T) {
	t.Parallel()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	d := t.TempDir()
	ca, _ := NewCA(CAOptions{Now: testNow})
	csr := filepath.Join(d, "r.csr")
	out, err := exec.Command(openssl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", filepath.Join(d, "r.key"), "-out", csr, "-subj", "/O=partner/CN=kafka-ext",
		"-addext", "subjectAltName=DNS:kafka-ext.example").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(csr)
	is, err := ca.SignCSR(b, IssueRequest{Role: RoleServer, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if is.Name != "kafka-ext" || is.Cert.DNSNames[0] != "kafka-ext.example" || is.Cert.Subject.Organization[0] != "partner" || is.Key != nil {
		t.Fatalf("signed %+v %v", is.Cert.Subject, is.Cert.DNSNames)
	}
}

func keytool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("keytool")
	if err != nil {
		t.Skip("keytool (Java) not installed; keystores checked with go-pkcs12 only")
	}
	return p
}

func TestKeystoresReadByKeytool(t *testing.T) {
	t.Parallel()
	ca, _ := NewCA(CAOptions{Now: time.Now(), Subject: Subject{CommonName: "kt CA", Organization: "mouseauth"}})
	is, _ := ca.Issue(IssueRequest{Name: "broker", Role: RoleBoth, DNS: []string{"localhost"}, Now: time.Now()})
	kt := keytool(t)
	for _, enc := range []Encoding{EncodingModern, EncodingLegacyDES} {
		t.Run(string(enc), func(t *testing.T) {
			d := t.TempDir()
			ks, err := Keystore(is.Key, is.Cert, []*x509.Certificate{ca.Cert}, "s3cret-pw", enc)
			if err != nil {
				t.Fatal(err)
			}
			ts, err := Truststore([]*x509.Certificate{ca.Cert}, "s3cret-pw", enc)
			if err != nil {
				t.Fatal(err)
			}
			ksp, tsp := filepath.Join(d, "broker.p12"), filepath.Join(d, "truststore.p12")
			os.WriteFile(ksp, ks, 0o600)
			os.WriteFile(tsp, ts, 0o644)
			for _, c := range []struct{ path, want string }{{ksp, "PrivateKeyEntry"}, {tsp, "trustedCertEntry"}} {
				out, err := exec.Command(kt, "-list", "-v", "-storetype", "PKCS12", "-keystore", c.path, "-storepass", "s3cret-pw").CombinedOutput()
				if err != nil {
					t.Fatalf("keytool -list %s: %v\n%s", c.path, err, out)
				}
				if !bytes.Contains(out, []byte(c.want)) || !bytes.Contains(out, []byte("kt CA")) {
					t.Fatalf("keytool output lacks %q:\n%s", c.want, out)
				}
			}
			out, err := exec.Command(kt, "-list", "-storetype", "PKCS12", "-keystore", ksp, "-storepass", "wrong-pw").CombinedOutput()
			if err == nil {
				t.Fatalf("keytool accepted a wrong password:\n%s", out)
			}
			// And back through our reader.
			k, c, chain, err := ReadKeystore(ksp, "s3cret-pw")
			if err != nil || !c.Equal(is.Cert) || len(chain) != 1 || !samePublic(c.PublicKey, k.Public()) {
				t.Fatalf("ReadKeystore: %v", err)
			}
			tsb, _ := os.ReadFile(tsp)
			cas, err := pkcs12.DecodeTrustStore(tsb, "s3cret-pw")
			if err != nil || len(cas) != 1 || !cas[0].Equal(ca.Cert) {
				t.Fatalf("DecodeTrustStore: %v", err)
			}
		})
	}
}

func TestSignCSRFromKeytool(t *testing.T) {
	t.Parallel()
	kt := keytool(t)
	d := t.TempDir()
	ks := filepath.Join(d, "java.p12")
	out, err := exec.Command(kt, "-genkeypair", "-alias", "svc", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=java-svc, O=partner",
		"-storetype", "PKCS12", "-keystore", ks, "-storepass", "changeit", "-ext", "SAN=dns:java-svc.example").CombinedOutput()
	if err != nil {
		t.Fatalf("keytool -genkeypair: %v\n%s", err, out)
	}
	csr := filepath.Join(d, "svc.csr")
	out, err = exec.Command(kt, "-certreq", "-alias", "svc", "-keystore", ks, "-storepass", "changeit", "-file", csr, "-ext", "SAN=dns:java-svc.example").CombinedOutput()
	if err != nil {
		t.Fatalf("keytool -certreq: %v\n%s", err, out)
	}
	ca, _ := NewCA(CAOptions{Now: testNow})
	b, _ := os.ReadFile(csr)
	is, err := ca.SignCSR(b, IssueRequest{Role: RoleBoth, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if is.Cert.Subject.CommonName != "java-svc" || len(is.Cert.DNSNames) != 1 {
		t.Fatalf("signed subject %v SANs %v", is.Cert.Subject, is.Cert.DNSNames)
	}
}

func TestGeneratedConfig(t *testing.T) {
	t.Parallel()
	ca, _ := NewCA(CAOptions{Now: testNow, Subject: Subject{CommonName: "mouseauth CA", Organization: "mouseauth"}})
	replay, _ := ca.Issue(IssueRequest{Name: "replay", Role: RoleClient, Now: testNow})
	scorer, _ := ca.Issue(IssueRequest{Name: "scorer", Subject: Subject{CommonName: "scorer", OrganizationalUnit: "live"}, Role: RoleClient, Now: testNow})

	var b bytes.Buffer
	if err := KafkaServerProperties(&b, KafkaServerOptions{Keystore: "/etc/kafka/broker.p12", Truststore: "/etc/kafka/truststore.p12"}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"ssl.client.auth=required", "listeners=SSL://0.0.0.0:9093", "ssl.keystore.type=PKCS12",
		"ssl.truststore.location=/etc/kafka/truststore.p12", "ssl.endpoint.identification.algorithm=https"} {
		if !strings.Contains(b.String(), w+"\n") {
			t.Errorf("server.properties lacks %q", w)
		}
	}
	if got := MariaDBCreateUser("scorer", "", scorer.Cert, ca.Cert, "SELECT ON mouseauth.*"); got !=
		"CREATE USER IF NOT EXISTS 'scorer'@'%' REQUIRE SUBJECT '/O=mouseauth/OU=live/CN=scorer' AND ISSUER '/O=mouseauth/CN=mouseauth CA';\n"+
			"GRANT SELECT ON mouseauth.* TO 'scorer'@'%';\n" {
		t.Errorf("CREATE USER = %q", got)
	}
	if got := KafkaPrincipal(scorer.Cert); got != "User:CN=scorer,OU=live,O=mouseauth" {
		t.Errorf("KafkaPrincipal = %q", got)
	}
	if got := KafkaPrincipal(replay.Cert); got != "User:CN=replay,O=mouseauth" {
		t.Errorf("KafkaPrincipal = %q", got)
	}
	b.Reset()
	CassandraOptions(&b, "/c/ca.crt", "/c/node.crt", "/c/node.key")
	if !strings.Contains(b.String(), "require_client_auth: true") {
		t.Error("cassandra options lack require_client_auth: true")
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	ca, _ := NewCA(CAOptions{Now: testNow})
	srv, _ := ca.Issue(IssueRequest{Name: "s", Role: RoleServer, DNS: []string{"x"}, Now: testNow})
	cl, _ := ca.Issue(IssueRequest{Name: "c", Role: RoleClient, Now: testNow})
	if _, err := ClientTLS(Config{CA: ca.Cert}); err == nil {
		t.Error("client config without a certificate built")
	}
	if _, err := ServerTLS(Config{CA: ca.Cert, Certificate: tlsCert(cl)}); err == nil {
		t.Error("server config with a client-only certificate built")
	}
	if _, err := ClientTLS(Config{Certificate: tlsCert(cl)}); err == nil {
		t.Error("client config without a CA built")
	}
	s, err := ServerTLS(Config{CA: ca.Cert, Certificate: tlsCert(srv)})
	if err != nil || s.MinVersion != 0x0303 || s.ClientAuth.String() != "RequireAndVerifyClientCert" {
		t.Fatalf("server config %v %v", s, err)
	}
	c, err := ClientTLS(Config{CA: ca.Cert, Certificate: tlsCert(cl), ServerName: "x"})
	if err != nil || c.InsecureSkipVerify || c.ServerName != "x" || c.MinVersion != 0x0303 {
		t.Fatalf("client config %v %v", c, err)
	}
}

func TestExplainPlainErrors(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"EOF": "closed the connection during the handshake",
		"remote error: tls: certificate required":                    "requires a client certificate and none was sent",
		"x509: certificate signed by unknown authority":              "not issued by our CA",
		"x509: certificate has expired or is not yet valid: bla":     "expired",
		"x509: certificate is valid for a.example, not b.example":    "server name does not match",
		"Error 1045 (28000): Access denied for user 'x'@'127.0.0.1'": "refused the account",
		"remote error: tls: bad certificate":                         "rejected our client certificate",
	} {
		if got := Explain(errors.New(raw)); !strings.Contains(got, want) {
			t.Errorf("Explain(%q) = %q, want it to contain %q", raw, got, want)
		}
	}
	if Explain(nil) != "" {
		t.Error("Explain(nil) not empty")
	}
}
