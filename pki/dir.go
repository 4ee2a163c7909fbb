package pki

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The workflows of `mouseauth pki` on a PKI directory. Each is one call,
// so tests and other programs run them without the command line.

// CreateCA makes a root CA and saves it in dir, refusing to overwrite one.
func CreateCA(dir string, o CAOptions) (*CA, error) {
	ca, err := NewCA(o)
	if err != nil {
		return nil, err
	}
	if err := ca.Save(dir); err != nil {
		return nil, err
	}
	return ca, nil
}

// IssueInDir loads dir's CA, makes a key and a certificate for r and saves
// both in dir (issued/NAME.crt, issued/NAME.key with mode 0600). It
// refuses ([ErrRefusedRequest]) what [Allowances] lists, a subject or
// common name already issued in dir included, unless r.Allow says so.
func IssueInDir(dir string, r IssueRequest) (*Issued, error) {
	ca, err := LoadCA(dir)
	if err != nil {
		return nil, err
	}
	is, err := ca.Issue(r)
	if err != nil {
		return nil, err
	}
	if err := checkPrincipal(dir, is.Name, is.Cert, r.Allow.DuplicatePrincipal); err != nil {
		return nil, fmt.Errorf("%s: %w", is.Name, err)
	}
	if err := is.Save(dir, ca.Cert); err != nil {
		return nil, err
	}
	return is, nil
}

// SignFileInDir loads dir's CA, signs the certificate request in csrPath
// (PEM or DER, made by OpenSSL or keytool -certreq) as [CA.SignCSR] does and
// saves the certificate in dir. Like [IssueInDir] it refuses wildcard names,
// unspecified addresses and an existing principal unless r.Allow says so.
// Errors about the request name the file.
func SignFileInDir(dir, csrPath string, r IssueRequest) (*Issued, error) {
	ca, err := LoadCA(dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(csrPath)
	if err != nil {
		return nil, err
	}
	is, err := ca.SignCSR(b, r)
	if err == nil {
		err = checkPrincipal(dir, is.Name, is.Cert, r.Allow.DuplicatePrincipal)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", csrPath, err)
	}
	if err := is.Save(dir, ca.Cert); err != nil {
		return nil, err
	}
	return is, nil
}

// KeystoreDir is where [WriteKeystores] writes by default, inside a PKI
// directory, and where `pki config kafka` points a broker.
const KeystoreDir = "keystores"

// KeystorePaths returns the keystore of NAME and the truststore in out.
func KeystorePaths(out, name string) (keystore, truststore string) {
	return filepath.Join(out, name+".p12"), filepath.Join(out, "truststore.p12")
}

// WriteKeystores writes out/NAME.p12 (NAME's key, certificate and the CA;
// mode 0600) and out/truststore.p12 (the CA as a trusted certificate) from
// dir, both protected by password, and reads the keystore back so a broken
// file is caught here. out defaults to dir/keystores. It returns the paths.
func WriteKeystores(dir, name, out, password string, enc Encoding) (keystore, truststore string, err error) {
	caCert, err := LoadCACert(dir)
	if err != nil {
		return "", "", err
	}
	crt, keyPath := CertPaths(dir, name)
	certs, err := ReadCerts(crt)
	if err != nil {
		return "", "", err
	}
	key, err := ReadKey(keyPath)
	if err != nil {
		return "", "", err
	}
	ks, err := Keystore(key, certs[0], []*x509.Certificate{caCert}, password, enc)
	if err != nil {
		return "", "", err
	}
	ts, err := Truststore([]*x509.Certificate{caCert}, password, enc)
	if err != nil {
		return "", "", err
	}
	if out == "" {
		out = filepath.Join(dir, KeystoreDir)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", "", err
	}
	keystore, truststore = KeystorePaths(out, name)
	if err := os.WriteFile(keystore, ks, 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(truststore, ts, 0o644); err != nil {
		return "", "", err
	}
	if _, _, _, err := ReadKeystore(keystore, password); err != nil {
		return "", "", err
	}
	return keystore, truststore, nil
}

// ServerFiles are the absolute paths a server's TLS configuration names.
type ServerFiles struct{ CA, Cert, Key string }

// ServerFilesOf returns the absolute paths of dir's CA certificate and of
// NAME's certificate and key, after checking that NAME's certificate reads.
func ServerFilesOf(dir, name string) (ServerFiles, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ServerFiles{}, err
	}
	crt, key := CertPaths(abs, name)
	if _, err := ReadCert(crt); err != nil {
		return ServerFiles{}, err
	}
	return ServerFiles{CA: filepath.Join(abs, CACertFile), Cert: crt, Key: key}, nil
}

// PrincipalOf returns the Kafka principal of dir's certificate NAME.
func PrincipalOf(dir, name string) (string, error) {
	crt, _ := CertPaths(dir, name)
	c, err := ReadCert(crt)
	if err != nil {
		return "", err
	}
	return KafkaPrincipal(c), nil
}

// MariaDBAccountFor returns [MariaDBCreateUser] for account user@host bound
// to dir's client certificate NAME and dir's CA.
func MariaDBAccountFor(dir, client, user, host, grant string) (string, error) {
	ca, err := LoadCACert(dir)
	if err != nil {
		return "", err
	}
	crt, _ := CertPaths(dir, client)
	c, err := ReadCert(crt)
	if err != nil {
		return "", err
	}
	return MariaDBCreateUser(user, host, c, ca, grant), nil
}

// Status is where a certificate stands in its validity period.
type Status string

// Statuses, as `pki show` prints them.
const (
	StatusValid       Status = "valid"
	StatusExpired     Status = "expired"
	StatusNotYetValid Status = "not yet valid"
	StatusExpiresSoon Status = "expires soon"
)

// ExpiresSoonWithin is how close to its end a certificate is reported as
// [StatusExpiresSoon].
const ExpiresSoonWithin = 30 * 24 * time.Hour

// Status reports where the certificate stands at now.
func (c CertInfo) Status(now time.Time) Status {
	switch {
	case now.After(c.NotAfter):
		return StatusExpired
	case now.Before(c.NotBefore):
		return StatusNotYetValid
	case c.NotAfter.Sub(now) < ExpiresSoonWithin:
		return StatusExpiresSoon
	}
	return StatusValid
}
