package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// Config is everything needed to build a *tls.Config. It is validated in
// one place, [Config.validate], by both [ServerTLS] and [ClientTLS].
type Config struct {
	// CA is our root; the only certificate authority trusted for peers.
	CA *x509.Certificate
	// Certificate is this end's identity (leaf first, then the CA).
	Certificate tls.Certificate
	// ServerName is the host name a client verifies on the server's
	// certificate. Empty lets kafka-go and gocql fill in the dialled host;
	// the MySQL driver fills in the DSN host.
	ServerName string
}

// LoadConfig reads dir/ca.crt and dir/issued/NAME.{crt,key}. The key must
// be mode 0600 and match the certificate.
func LoadConfig(dir, name string) (Config, error) {
	ca, err := LoadCACert(dir)
	if err != nil {
		return Config{}, err
	}
	crt, key := CertPaths(dir, name)
	cert, err := LoadKeyPair(crt, key)
	if err != nil {
		return Config{}, err
	}
	return Config{CA: ca, Certificate: cert}, nil
}

// LoadKeyPair reads a PEM certificate chain and its key, refusing a key with
// loose permissions or one that does not match.
func LoadKeyPair(crtPath, keyPath string) (tls.Certificate, error) {
	certs, err := ReadCerts(crtPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := ReadKey(keyPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	if !samePublic(certs[0].PublicKey, key.Public()) {
		return tls.Certificate{}, fmt.Errorf("%s and %s: %w", keyPath, crtPath, ErrKeyMismatch)
	}
	tc := tls.Certificate{PrivateKey: key, Leaf: certs[0]}
	for _, c := range certs {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return tc, nil
}

func (c Config) validate(server bool) error {
	if c.CA == nil {
		return errors.New("pki: no CA certificate to verify peers against")
	}
	if !c.CA.IsCA {
		return errors.New("pki: the CA certificate is not a CA")
	}
	if len(c.Certificate.Certificate) == 0 || c.Certificate.PrivateKey == nil {
		if server {
			return errors.New("pki: a server needs a certificate and key")
		}
		return errors.New("pki: a client needs a certificate and key (servers require client certificates)")
	}
	leaf := c.Certificate.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate.Certificate[0]); err != nil {
			return err
		}
	}
	want := RoleClient
	if server {
		want = RoleServer
	}
	if r := RoleOf(leaf); r != want && r != RoleBoth {
		return fmt.Errorf("pki: certificate %q has role %q, not usable as a %s", leaf.Subject.CommonName, r, want)
	}
	return nil
}

func (c Config) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.CA)
	return p
}

// ServerTLS builds a server's *tls.Config: TLS 1.2 minimum, our CA only,
// client certificates required and verified.
func ServerTLS(c Config) (*tls.Config, error) {
	if err := c.validate(true); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{c.Certificate},
		ClientCAs:    c.pool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}, nil
}

// ClientTLS builds a client's *tls.Config: TLS 1.2 minimum, our CA only, our
// client certificate, server host name verified (ServerName, or the dialled
// host when empty; InsecureSkipVerify is never set).
func ClientTLS(c Config) (*tls.Config, error) {
	if err := c.validate(false); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{c.Certificate},
		RootCAs:      c.pool(),
		ServerName:   c.ServerName,
	}, nil
}

// ServerTLSFromDir is LoadConfig followed by ServerTLS.
func ServerTLSFromDir(dir, name string) (*tls.Config, error) {
	c, err := LoadConfig(dir, name)
	if err != nil {
		return nil, err
	}
	return ServerTLS(c)
}

// ClientTLSFromDir is LoadConfig followed by ClientTLS with serverName.
func ClientTLSFromDir(dir, name, serverName string) (*tls.Config, error) {
	c, err := LoadConfig(dir, name)
	if err != nil {
		return nil, err
	}
	c.ServerName = serverName
	return ClientTLS(c)
}
