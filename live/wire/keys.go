package wire

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
)

// The HPKE suite of version 2 (RFC 9180 identifiers):
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
//
// X25519 is the most widely implemented KEM (TLS, ECH, MLS's default
// suite), constant-time, with 32-byte keys and ~128-bit security; AES-128-GCM
// matches that level, is hardware-accelerated on amd64 and arm64, and is
// the one AEAD that browsers' WebCrypto offers next to X25519 and HKDF, so
// a browser client can seal a login with no extra library. A login is
// sealed once per session, so the choice costs nothing on the hot path.
// The key id in every login lets a later version add a post-quantum KEM
// (crypto/hpke has MLKEM768X25519) by rotating keys.
const (
	HPKEKEM  = 0x0020 // DHKEM(X25519, HKDF-SHA256)
	HPKEKDF  = 0x0001 // HKDF-SHA256
	HPKEAEAD = 0x0001 // AES-128-GCM
)

func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.AES128GCM() }

// SessionKeySize is the size of a session key in bytes.
const SessionKeySize = 32

// SessionKey is the secret a client generates per session and seals into
// its login; vectors and decisions are MAC'd with it. It formats as
// "<session key>" so it never reaches a log by accident.
type SessionKey [SessionKeySize]byte

// NewSessionKey returns a fresh random session key (crypto/rand, which
// never fails since Go 1.24).
func NewSessionKey() SessionKey {
	var k SessionKey
	rand.Read(k[:])
	return k
}

// String hides the key from %v, %s and %x.
func (SessionKey) String() string { return "<session key>" }

// GoString hides the key from %#v.
func (SessionKey) GoString() string { return "wire.SessionKey{<hidden>}" }

// LogValue hides the key from slog.
func (SessionKey) LogValue() slog.Value { return slog.StringValue("<session key>") }

// IsZero reports whether k is all zeros (never a generated key).
func (k SessionKey) IsZero() bool { return k == SessionKey{} }

// KeyIDSize is the size of a scorer key id in bytes.
const KeyIDSize = 8

// KeyID names a scorer key pair: the first 8 bytes of SHA-256 of the raw
// 32-byte X25519 public key. It lets the scorer keep the previous keys
// while clients move to a new one. It is not a security boundary: HPKE binds
// the public key into the shared secret, and the id into the AAD.
type KeyID [KeyIDSize]byte

// String is the id in lower-case hex, as in logins and logs.
func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

func parseKeyID(s string) (KeyID, error) {
	var id KeyID
	if len(s) != 2*KeyIDSize {
		return id, fmt.Errorf("key id %q: want %d hex digits", s, 2*KeyIDSize)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("key id %q: %v", s, err)
	}
	return id, nil
}

// PublicKey is the scorer's public key, which clients seal logins to.
type PublicKey struct {
	pub *ecdh.PublicKey
	pk  hpke.PublicKey
	id  KeyID
}

// PrivateKey is the scorer's key pair. Keep it in the service's state
// folder, mode 0600.
type PrivateKey struct {
	priv *ecdh.PrivateKey
	sk   hpke.PrivateKey
	pub  *PublicKey
}

func newPublicKey(pub *ecdh.PublicKey) (*PublicKey, error) {
	if pub.Curve() != ecdh.X25519() {
		return nil, errors.New("not an X25519 key")
	}
	pk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pub.Bytes())
	return &PublicKey{pub: pub, pk: pk, id: KeyID(sum[:KeyIDSize])}, nil
}

func newPrivateKey(priv *ecdh.PrivateKey) (*PrivateKey, error) {
	if priv.Curve() != ecdh.X25519() {
		return nil, errors.New("not an X25519 key")
	}
	sk, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pub, err := newPublicKey(priv.PublicKey())
	if err != nil {
		return nil, err
	}
	return &PrivateKey{priv: priv, sk: sk, pub: pub}, nil
}

// GenerateKey returns a new scorer key pair.
func GenerateKey() (*PrivateKey, error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return newPrivateKey(priv)
}

// Public returns the public half of k.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// ID returns the key id of k.
func (k *PrivateKey) ID() KeyID { return k.pub.id }

// String names the key by id only.
func (k *PrivateKey) String() string { return "scorer private key " + k.pub.id.String() }

// LogValue names the key by id only.
func (k *PrivateKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// ID returns the key id of k.
func (k *PublicKey) ID() KeyID { return k.id }

// Bytes returns the raw 32-byte X25519 public key (RFC 9180
// SerializePublicKey).
func (k *PublicKey) Bytes() []byte { return k.pub.Bytes() }

// String names the key by id.
func (k *PublicKey) String() string { return "scorer public key " + k.id.String() }

// Equal reports whether k and o are the same key.
func (k *PublicKey) Equal(o *PublicKey) bool { return o != nil && k.pub.Equal(o.pub) }

// PEM block types of the key files: the standard SubjectPublicKeyInfo and
// PKCS #8 encodings of an X25519 key (RFC 8410), readable by openssl and
// any X.509 library; the HPKE KDF and AEAD are fixed by the format version.
const (
	pemPublic  = "PUBLIC KEY"
	pemPrivate = "PRIVATE KEY"
)

// MarshalPublicKey encodes k as a PEM "PUBLIC KEY" block (X.509
// SubjectPublicKeyInfo, RFC 8410), the file clients are given.
func MarshalPublicKey(k *PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(k.pub)
	if err != nil {
		panic(err) // an X25519 key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der})
}

// ParsePublicKey decodes a PEM "PUBLIC KEY" block holding an X25519 key.
func ParsePublicKey(p []byte) (*PublicKey, error) {
	der, err := pemBlock(p, pemPublic)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("scorer public key: %w", err)
	}
	pub, ok := key.(*ecdh.PublicKey)
	if !ok || pub.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("scorer public key: a %T, want an X25519 key", key)
	}
	return newPublicKey(pub)
}

// MarshalPrivateKey encodes k as a PEM "PRIVATE KEY" block (PKCS #8, RFC
// 8410). Write it with mode 0600.
func MarshalPrivateKey(k *PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		panic(err) // an X25519 key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der})
}

// ParsePrivateKey decodes a PEM "PRIVATE KEY" block holding an X25519 key.
func ParsePrivateKey(p []byte) (*PrivateKey, error) {
	der, err := pemBlock(p, pemPrivate)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("scorer private key: %w", err)
	}
	priv, ok := key.(*ecdh.PrivateKey)
	if !ok || priv.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("scorer private key: a %T, want an X25519 key", key)
	}
	return newPrivateKey(priv)
}

func pemBlock(p []byte, typ string) ([]byte, error) {
	b, rest := pem.Decode(p)
	if b == nil {
		return nil, fmt.Errorf("scorer key: no PEM block (want %q)", typ)
	}
	if b.Type != typ {
		return nil, fmt.Errorf("scorer key: a PEM %q block, want %q", b.Type, typ)
	}
	if len(b.Headers) != 0 {
		return nil, fmt.Errorf("scorer key: PEM headers are not allowed")
	}
	for _, c := range rest {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return nil, fmt.Errorf("scorer key: data after the PEM block")
		}
	}
	return b.Bytes, nil
}
