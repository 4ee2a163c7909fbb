package pki

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Encoding selects the PKCS#12 algorithms.
type Encoding string

// Encodings. Modern (PBES2/AES-256, HMAC-SHA-256) is the default and is read
// by Java 11.0.12+/17 keytool; LegacyDES (3DES, SHA-1) is for older readers.
const (
	EncodingModern    Encoding = "modern"
	EncodingLegacyDES Encoding = "legacy-des"
)

func (e Encoding) encoder() (*pkcs12.Encoder, error) {
	switch e {
	case "", EncodingModern:
		return pkcs12.Modern2023, nil
	case EncodingLegacyDES:
		return pkcs12.LegacyDES, nil
	}
	return nil, fmt.Errorf("keystore encoding must be modern or legacy-des, not %q", e)
}

// ErrKeystorePassword is wrapped when a keystore cannot be opened with the
// given password.
var ErrKeystorePassword = errors.New("wrong keystore password (or the file is not a PKCS#12 keystore)")

// ErrEmptyPassword is returned for an empty keystore password: Java tools
// and Kafka refuse those.
var ErrEmptyPassword = errors.New("keystore password is empty")

// Keystore encodes key, its certificate and the chain above it (the CA) as
// a PKCS#12 keystore, the form Kafka (ssl.keystore.type=PKCS12) and Java read.
func Keystore(key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, password string, enc Encoding) ([]byte, error) {
	if password == "" {
		return nil, ErrEmptyPassword
	}
	e, err := enc.encoder()
	if err != nil {
		return nil, err
	}
	return e.Encode(key, cert, chain, password)
}

// Truststore encodes CA certificates as a PKCS#12 truststore whose entries
// Java lists as trustedCertEntry.
func Truststore(cas []*x509.Certificate, password string, enc Encoding) ([]byte, error) {
	if password == "" {
		return nil, ErrEmptyPassword
	}
	e, err := enc.encoder()
	if err != nil {
		return nil, err
	}
	return e.EncodeTrustStore(cas, password)
}

// ReadKeystore decodes a PKCS#12 keystore file, wrapping [ErrKeystorePassword]
// when the password is wrong.
func ReadKeystore(path, password string) (crypto.Signer, *x509.Certificate, []*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	k, c, chain, err := pkcs12.DecodeChain(b, password)
	if err != nil {
		return nil, nil, nil, keystoreErr(path, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, nil, fmt.Errorf("%s: key type %T cannot sign", path, k)
	}
	return s, c, chain, nil
}

func keystoreErr(path string, err error) error {
	if errors.Is(err, pkcs12.ErrIncorrectPassword) || strings.Contains(err.Error(), "password") {
		return fmt.Errorf("%s: %w", path, ErrKeystorePassword)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// ReadPassword returns a keystore password from a file (first line, trailing
// newline removed) or, when file is "", from env. Passwords never come from
// flag values.
func ReadPassword(file string, env func(string) string, envName string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		pw, _, _ := strings.Cut(string(b), "\n")
		pw = strings.TrimRight(pw, "\r")
		if pw == "" {
			return "", fmt.Errorf("%s: first line is empty: %w", file, ErrEmptyPassword)
		}
		return pw, nil
	}
	if env != nil {
		if pw := env(envName); pw != "" {
			return pw, nil
		}
	}
	return "", fmt.Errorf("%w: set %s or pass --password-file", ErrEmptyPassword, envName)
}
