package wire

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// loginJSON is a login on the wire: the clear fields routing needs, the
// HPKE encapsulated key and ciphertext (base64), and in version 3 the
// client identity's certificate and signature (base64).
type loginJSON struct {
	V       int       `json:"v"`
	Kind    string    `json:"kind"`
	User    string    `json:"user"`
	Session string    `json:"session"`
	Client  string    `json:"client"`
	Sent    time.Time `json:"sent"`
	KeyID   string    `json:"kid"`
	Enc     []byte    `json:"enc"`
	CT      []byte    `json:"ct"`
	Cert    []byte    `json:"cert,omitempty"`
	Sig     []byte    `json:"sig,omitempty"`
}

// Version3 is the version of the signed login: a version 2 login plus the
// client identity's certificate and its signature. Only the login changed;
// every other kind is still version 2.
const Version3 = 3

// Errors of signed logins.
var (
	// ErrUnsigned: a version 2 login, which carries no client identity:
	// the scorer cannot tell whom it may act for.
	ErrUnsigned = errors.New("unsigned login")
	// ErrBadSignature: a version 3 login whose signature does not verify
	// with the certificate it carries, or whose client is not that
	// certificate's common name.
	ErrBadSignature = errors.New("bad login signature")
)

// MaxClientCert bounds the certificate a version 3 login carries (DER).
const MaxClientCert = 4096

// LabelLoginSignature opens the input of a version 3 login's signature.
const LabelLoginSignature = "mouseauth/v3 login signature\x00"

// HPKEInfo3 is the info of a version 3 login's HPKE context.
const HPKEInfo3 = "mouseauth/v3 login"

// Sizes of the sealed part.
const (
	// loginPad: the sealed plaintext is padded with zeros to a multiple of
	// 64 bytes, so a ciphertext tells the length of no password under 30
	// bytes.
	loginPad      = 64
	loginPlainMin = loginPad
	loginPlainMax = (SessionKeySize + 2 + MaxPassword + loginPad - 1) / loginPad * loginPad
	hpkeEncSize   = 32 // X25519 public key
	aeadTagSize   = 16 // AES-128-GCM
)

// SealedLogin is a decoded login (version 2 or 3) before it is opened:
// the clear fields, which are what the sealed part is bound to, and for
// version 3 the client identity's certificate.
type SealedLogin struct {
	Version               int
	User, Session, Client string
	Sent                  time.Time
	KeyID                 KeyID
	// Cert is the client identity's certificate (DER) of a version 3
	// login, unverified; nil for version 2.
	Cert         []byte
	enc, ct, sig []byte
}

// loginAAD returns the AEAD associated data of a login of version 2 or 3:
//
//	'M' version 'L' || kid (8 bytes) || uint16 len, user || uint16 len, session
//	|| uint16 len, client || int64 sent (Unix ns)
//
// big-endian. It binds the sealed password and session key to this user,
// session, client, send time, scorer key and format version.
func loginAAD(version byte, kid KeyID, user, session, client string, sent int64) []byte {
	b := make([]byte, 0, 3+KeyIDSize+6+len(user)+len(session)+len(client)+8)
	b = append(b, Magic, version, byte(KindLogin))
	b = append(b, kid[:]...)
	b = appendStr16(b, user)
	b = appendStr16(b, session)
	b = appendStr16(b, client)
	return binary.BigEndian.AppendUint64(b, uint64(sent))
}

// loginPlaintext returns what a login seals:
//
//	session key (32 bytes) || uint16 len, password || zeros to a multiple of 64 bytes
func loginPlaintext(key SessionKey, password string) []byte {
	n := (SessionKeySize + 2 + len(password) + loginPad - 1) / loginPad * loginPad
	b := make([]byte, 0, n)
	b = append(b, key[:]...)
	b = appendStr16(b, password)
	return b[:n] // the capacity's bytes are zeros
}

func checkLoginClear(user, session, client string) error {
	if err := checkNames2(user, session); err != nil {
		return err
	}
	return checkText("client", client, 0, MaxName)
}

// ClientSigner is a client identity that signs logins (version 3): the
// client certificate of a TLS configuration, whose key is ECDSA P-256 and
// whose common name is the identity's name. The scorer checks the
// certificate against its CA and the user against the users it names
// (package pki: Binding, VerifyIdentity).
type ClientSigner struct {
	name string
	cert []byte // DER
	key  *ecdsa.PrivateKey
	// rand is the signature's randomness; nil signs deterministically
	// (RFC 6979), as the test vectors do.
	rand io.Reader
}

// NewClientSigner returns the signer of a TLS client certificate (the
// first of its chain and its private key).
func NewClientSigner(c tls.Certificate) (*ClientSigner, error) {
	if len(c.Certificate) == 0 {
		return nil, errors.New("client identity: no certificate")
	}
	leaf := c.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("client identity: %w", err)
		}
	}
	key, ok := c.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("client identity %q: its key is %T, not ECDSA P-256 (logins are signed with ECDSA P-256)", leaf.Subject.CommonName, c.PrivateKey)
	}
	if !key.PublicKey.Equal(leaf.PublicKey) {
		return nil, fmt.Errorf("client identity %q: the key does not match the certificate", leaf.Subject.CommonName)
	}
	if len(c.Certificate[0]) > MaxClientCert {
		return nil, tooLarge("client certificate of %d bytes (at most %d)", len(c.Certificate[0]), MaxClientCert)
	}
	if err := checkText("client", leaf.Subject.CommonName, 1, MaxName); err != nil {
		return nil, fmt.Errorf("client identity: common name: %w", err)
	}
	return &ClientSigner{name: leaf.Subject.CommonName, cert: c.Certificate[0], key: key, rand: rand.Reader}, nil
}

// Name is the identity's name: its certificate's common name, the client
// member of the logins it signs.
func (c *ClientSigner) Name() string { return c.name }

// loginSignatureInput is what a version 3 login's signature covers:
//
//	"mouseauth/v3 login signature" 0x00 || SHA-256(cert) || AAD
//	|| enc (32 bytes) || uint16 len, ct
func loginSignatureInput(cert, aad, enc, ct []byte) []byte {
	h := sha256.Sum256(cert)
	b := make([]byte, 0, len(LabelLoginSignature)+len(h)+len(aad)+len(enc)+2+len(ct))
	b = append(b, LabelLoginSignature...)
	b = append(b, h[:]...)
	b = append(b, aad...)
	b = append(b, enc...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ct)))
	return append(b, ct...)
}

// SealLogin seals l (its Password, and a fresh session key it generates)
// to the scorer's public key, signs it with the client identity id and
// returns the version 3 login and that key; l.Client is replaced by
// id.Name(). The client keeps the key for the session: it signs the
// session's vectors ([SignVector]) and verifies its decisions
// ([SignedDecision.Verify]). To resend a login (a write that may have
// failed), resend the same bytes: a new seal carries a new key, which the
// scorer refuses for a session it knows. l.Key is ignored.
func SealLogin(pub *PublicKey, l Login, id *ClientSigner) ([]byte, SessionKey, error) {
	if id == nil {
		return nil, SessionKey{}, errors.New("seal login: no client identity to sign it with")
	}
	l.Client = id.name
	key := NewSessionKey()
	p, err := sealLogin(pub, l, key, id)
	if err != nil {
		return nil, SessionKey{}, err
	}
	return p, key, nil
}

// SealLoginV2 seals l as an unsigned version 2 login, which a scorer of
// version 3 refuses ([ErrUnsigned]): for tests and for tools that speak
// version 2.
func SealLoginV2(pub *PublicKey, l Login) ([]byte, SessionKey, error) {
	key := NewSessionKey()
	p, err := sealLogin(pub, l, key, nil)
	if err != nil {
		return nil, SessionKey{}, err
	}
	return p, key, nil
}

func sealLogin(pub *PublicKey, l Login, key SessionKey, id *ClientSigner) ([]byte, error) {
	if err := checkLoginClear(l.User, l.Session, l.Client); err != nil {
		return nil, err
	}
	if len(l.Password) > MaxPassword {
		return nil, tooLarge("password of %d bytes (at most %d)", len(l.Password), MaxPassword)
	}
	sent, err := nanos("sent", l.Sent)
	if err != nil {
		return nil, err
	}
	version, info := byte(Version2), HPKEInfo
	if id != nil {
		version, info = Version3, HPKEInfo3
	}
	kdf, aead := suite()
	enc, sender, err := hpke.NewSender(pub.pk, kdf, aead, []byte(info))
	if err != nil {
		return nil, err
	}
	pt := loginPlaintext(key, l.Password)
	aad := loginAAD(version, pub.id, l.User, l.Session, l.Client, sent)
	ct, err := sender.Seal(aad, pt)
	clear(pt)
	if err != nil {
		return nil, err
	}
	j := loginJSON{V: int(version), Kind: kindNameLogin, User: l.User, Session: l.Session, Client: l.Client,
		Sent: l.Sent.UTC(), KeyID: pub.id.String(), Enc: enc, CT: ct}
	if id != nil {
		digest := sha256.Sum256(loginSignatureInput(id.cert, aad, enc, ct))
		if j.Sig, err = id.key.Sign(id.rand, digest[:], crypto.SHA256); err != nil {
			return nil, fmt.Errorf("sign login: %w", err)
		}
		j.Cert = id.cert
	}
	return marshalJSON(j)
}

// ParseLogin decodes a login of version 2 or 3 and checks its clear fields
// and the sizes of its sealed part and signature. The clear fields are for
// routing and logs only until the signature is verified
// ([SealedLogin.VerifySignature]) and [OpenLogin] succeeds.
func ParseLogin(p []byte) (SealedLogin, error) {
	if err := expectKind(p, KindLogin, MaxLoginSize); err != nil {
		return SealedLogin{}, err
	}
	var j loginJSON
	if err := unmarshalStrict(p, KindLogin, &j); err != nil {
		return SealedLogin{}, err
	}
	switch {
	case j.V == Version2 && (j.Cert != nil || j.Sig != nil):
		return SealedLogin{}, malformed(`version 2 login with "cert" or "sig" (members of version 3)`)
	case j.V == Version3 && (len(j.Cert) == 0 || len(j.Sig) == 0):
		return SealedLogin{}, malformed(`version 3 login without "cert" or "sig"`)
	case len(j.Cert) > MaxClientCert:
		return SealedLogin{}, tooLarge("login cert of %d bytes (at most %d)", len(j.Cert), MaxClientCert)
	case len(j.Sig) > maxSignature:
		return SealedLogin{}, malformed("login sig of %d bytes (at most %d)", len(j.Sig), maxSignature)
	}
	if err := checkLoginClear(j.User, j.Session, j.Client); err != nil {
		return SealedLogin{}, err
	}
	if _, err := nanos("sent", j.Sent); err != nil {
		return SealedLogin{}, err
	}
	kid, err := parseKeyID(j.KeyID)
	if err != nil {
		return SealedLogin{}, malformed("login: %v", err)
	}
	if len(j.Enc) != hpkeEncSize {
		return SealedLogin{}, malformed("login enc of %d bytes (%d expected)", len(j.Enc), hpkeEncSize)
	}
	if n := len(j.CT) - aeadTagSize; n < loginPlainMin || n > loginPlainMax || n%loginPad != 0 {
		return SealedLogin{}, malformed("login ct of %d bytes (%d+%d to %d+%d, in steps of %d)", len(j.CT), loginPlainMin, aeadTagSize, loginPlainMax, aeadTagSize, loginPad)
	}
	return SealedLogin{Version: j.V, User: j.User, Session: j.Session, Client: j.Client, Sent: j.Sent, KeyID: kid, Cert: j.Cert,
		enc: j.Enc, ct: j.CT, sig: j.Sig}, nil
}

// maxSignature bounds an ECDSA P-256 signature in ASN.1 DER (72 bytes at
// most).
const maxSignature = 72

// aad is the login's AEAD associated data.
func (s SealedLogin) aad() []byte {
	sent, _ := nanos("sent", s.Sent) // checked by ParseLogin
	return loginAAD(byte(s.Version), s.KeyID, s.User, s.Session, s.Client, sent)
}

// VerifySignature checks a version 3 login's signature with cert, the
// certificate the login carries ([SealedLogin.Cert]) once the caller has
// checked it against the CA (package pki: VerifyIdentity), and that the
// login's client is cert's common name. Errors: [ErrUnsigned] for a
// version 2 login, [ErrBadSignature] otherwise.
func (s SealedLogin) VerifySignature(cert *x509.Certificate) error {
	if s.Version != Version3 {
		return errorf(ErrUnsigned, "version %d login of user %q, session %q carries no client identity", s.Version, s.User, s.Session)
	}
	if cert == nil || !bytesEqual(cert.Raw, s.Cert) {
		return errorf(ErrBadSignature, "login of user %q, session %q: not verified with the certificate it carries", s.User, s.Session)
	}
	if cert.Subject.CommonName != s.Client {
		return errorf(ErrBadSignature, "login of user %q, session %q names client %q, but its certificate is %q's", s.User, s.Session, s.Client, cert.Subject.CommonName)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return errorf(ErrBadSignature, "login of user %q, session %q: certificate key %v is not ECDSA P-256", s.User, s.Session, cert.PublicKeyAlgorithm)
	}
	digest := sha256.Sum256(loginSignatureInput(s.Cert, s.aad(), s.enc, s.ct))
	if !ecdsa.VerifyASN1(pub, digest[:], s.sig) {
		return errorf(ErrBadSignature, "login of user %q, session %q: the signature does not verify with client %q's certificate", s.User, s.Session, s.Client)
	}
	return nil
}

// OpenLogin opens a sealed login with the scorer key its key id names,
// among keys (the current key and any previous ones kept for rotation),
// and returns the login with its Password and session Key. Errors:
// [ErrUnknownKey] when no key has that id; [ErrBadSeal] when it does not
// open (forged, tampered with, moved to another user, session, client or
// send time); [ErrMalformed] when it opens but holds no valid payload.
func OpenLogin(s SealedLogin, keys ...*PrivateKey) (Login, error) {
	if s.enc == nil {
		return Login{}, malformed("login not decoded by ParseLogin")
	}
	var k *PrivateKey
	var held []string
	for _, c := range keys {
		if c == nil {
			continue
		}
		if c.ID() == s.KeyID {
			k = c
			break
		}
		held = append(held, c.ID().String())
	}
	if k == nil {
		return Login{}, errorf(ErrUnknownKey, "login of user %q, session %q is sealed to scorer key %s; this scorer holds %s",
			s.User, s.Session, s.KeyID, strings.Join(held, ", "))
	}
	info := HPKEInfo
	if s.Version == Version3 {
		info = HPKEInfo3
	}
	kdf, aead := suite()
	r, err := hpke.NewRecipient(s.enc, k.sk, kdf, aead, []byte(info))
	var pt []byte
	if err == nil {
		pt, err = r.Open(s.aad(), s.ct)
	}
	if err != nil {
		return Login{}, errorf(ErrBadSeal, "login of user %q, session %q does not open with scorer key %s (forged, tampered with, or moved from another user or session)",
			s.User, s.Session, s.KeyID)
	}
	defer clear(pt)
	l := Login{User: s.User, Session: s.Session, Client: s.Client, Sent: s.Sent}
	if len(pt) < SessionKeySize+2 || len(pt)%loginPad != 0 {
		return Login{}, malformed("sealed login payload of %d bytes", len(pt))
	}
	copy(l.Key[:], pt)
	n := int(binary.BigEndian.Uint16(pt[SessionKeySize:]))
	end := SessionKeySize + 2 + n
	switch {
	case n > MaxPassword:
		return Login{}, tooLarge("sealed password of %d bytes (at most %d)", n, MaxPassword)
	case end > len(pt):
		return Login{}, malformed("sealed password of %d bytes in a payload of %d", n, len(pt))
	case end+loginPad <= len(pt):
		return Login{}, malformed("sealed login padded beyond the next multiple of %d bytes", loginPad)
	case l.Key.IsZero():
		return Login{}, malformed("sealed login with an all-zero session key")
	}
	for _, c := range pt[end:] {
		if c != 0 {
			return Login{}, malformed("sealed login padding is not zeros")
		}
	}
	l.Password = string(pt[SessionKeySize+2 : end])
	return l, nil
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
