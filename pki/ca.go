package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// File names inside a PKI directory.
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
	IssuedDir  = "issued"
)

// KeyAlgo names a key type.
type KeyAlgo string

// Key types. [ECDSAP256] is the default.
const (
	ECDSAP256 KeyAlgo = "ecdsa-p256"
	RSA2048   KeyAlgo = "rsa2048"
	RSA4096   KeyAlgo = "rsa4096"
)

// ErrLoosePermissions is returned when a private key file can be read by
// group or others.
var ErrLoosePermissions = errors.New("private key file is readable by group or others (chmod 600 it)")

// ErrKeyMismatch is returned when a private key does not belong to its certificate.
var ErrKeyMismatch = errors.New("private key does not match the certificate's public key")

// Subject holds the distinguished-name fields mouseauth sets.
type Subject struct {
	CommonName         string
	Organization       string
	OrganizationalUnit string
	Country            string
	Province           string
	Locality           string
}

func (s Subject) name() pkix.Name {
	n := pkix.Name{CommonName: s.CommonName}
	add := func(dst *[]string, v string) {
		if v != "" {
			*dst = append(*dst, v)
		}
	}
	add(&n.Organization, s.Organization)
	add(&n.OrganizationalUnit, s.OrganizationalUnit)
	add(&n.Country, s.Country)
	add(&n.Province, s.Province)
	add(&n.Locality, s.Locality)
	return n
}

// CAOptions configure [NewCA].
type CAOptions struct {
	Subject  Subject       // CommonName defaults to "mouseauth root CA"
	Algo     KeyAlgo       // default ECDSAP256
	Validity time.Duration // default 10 years
	Now      time.Time     // NotBefore; required
	Rand     io.Reader     // default crypto/rand
}

// CA is a root certificate and its key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// GenerateKey makes a key of the given type (empty = ECDSAP256).
func GenerateKey(algo KeyAlgo, r io.Reader) (crypto.Signer, error) {
	if r == nil {
		r = rand.Reader
	}
	switch algo {
	case "", ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), r)
	case RSA2048:
		return rsa.GenerateKey(r, 2048)
	case RSA4096:
		return rsa.GenerateKey(r, 4096)
	}
	return nil, fmt.Errorf("unknown key type %q (want ecdsa-p256, rsa2048 or rsa4096)", algo)
}

// NewCA creates a self-signed root CA in memory.
func NewCA(o CAOptions) (*CA, error) {
	if o.Now.IsZero() {
		return nil, errors.New("pki.NewCA: Now is required")
	}
	if o.Subject.CommonName == "" {
		o.Subject.CommonName = "mouseauth root CA"
	}
	if o.Validity == 0 {
		o.Validity = 10 * 365 * 24 * time.Hour
	}
	if o.Validity < 0 {
		return nil, fmt.Errorf("validity %s is negative", o.Validity)
	}
	key, err := GenerateKey(o.Algo, o.Rand)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial(o.Rand)
	if err != nil {
		return nil, err
	}
	ski, err := keyID(key.Public())
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               o.Subject.name(),
		NotBefore:             o.Now.Add(-time.Minute),
		NotAfter:              o.Now.Add(o.Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(randOr(o.Rand), tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Save writes ca.crt (0644) and ca.key (0600) into dir. It refuses to
// overwrite an existing CA.
func (ca *CA) Save(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, IssuedDir), 0o755); err != nil {
		return err
	}
	keyPath := filepath.Join(dir, CAKeyFile)
	if _, err := os.Stat(keyPath); err == nil {
		return fmt.Errorf("%s exists: refusing to overwrite a CA", keyPath)
	}
	if err := WriteKey(keyPath, ca.Key); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, CACertFile), CertPEM(ca.Cert), 0o644)
}

// LoadCA reads dir/ca.crt and dir/ca.key, refusing a key with loose
// permissions or one that does not match the certificate.
func LoadCA(dir string) (*CA, error) {
	certPath := filepath.Join(dir, CACertFile)
	cert, err := ReadCert(certPath)
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, CAKeyFile)
	key, err := ReadKey(keyPath)
	if err != nil {
		return nil, err
	}
	if !samePublic(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("%s and %s: %w", keyPath, certPath, ErrKeyMismatch)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate", certPath)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// LoadCACert reads only dir/ca.crt (what clients and servers need to verify peers).
func LoadCACert(dir string) (*x509.Certificate, error) {
	return ReadCert(filepath.Join(dir, CACertFile))
}

func samePublic(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(eq)
	return ok && e.Equal(b)
}

func randOr(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

func newSerial(r io.Reader) (*big.Int, error) {
	return rand.Int(randOr(r), new(big.Int).Lsh(big.NewInt(1), 127))
}

func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	// RFC 5280 4.2.1.2 method (1): SHA-1 of the public key; not a security use.
	sum := sha1.Sum(der)
	return sum[:], nil
}

// CertPEM encodes a certificate as PEM.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// KeyPEM encodes a private key as PKCS#8 PEM.
func KeyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// WriteKey writes a private key as PKCS#8 PEM with mode 0600.
func WriteKey(path string, k crypto.Signer) error {
	b, err := KeyPEM(k)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadCert reads the first certificate of a PEM file.
func ReadCert(path string) (*x509.Certificate, error) {
	certs, err := ReadCerts(path)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// ReadCerts reads every certificate of a PEM file.
func ReadCerts(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for n := 1; ; n++ {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: PEM block %d: %w", path, n, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM CERTIFICATE block", path)
	}
	return out, nil
}

// ReadKey reads a PEM private key (PKCS#8, PKCS#1 or SEC1). It refuses a
// file that group or others can read, wrapping [ErrLoosePermissions].
func ReadKey(path string) (crypto.Signer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s has mode %04o: %w", path, st.Mode().Perm(), ErrLoosePermissions)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	var k any
	switch blk.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block %q is not a private key", path, blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported key type %T", path, k)
	}
	return s, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
