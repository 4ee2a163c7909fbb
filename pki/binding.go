package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Client identities.
//
// A client identity is a client certificate that also names the users its
// holder may act for: a workstation's certificate names the people who
// work there, the shared replay identity names every user. The scoring
// service verifies each login's signature with the certificate the login
// carries, the certificate against the CA, and the user against the
// certificate's binding (docs/wire.md, version 3 logins).
//
// The binding is carried in the certificate's URI subject alternative
// names, which every X.509 library reads and `openssl x509 -text` shows:
//
//	mouseauth:user:NAME   the user NAME (percent-encoded as a URL path segment)
//	mouseauth:any-user    every user (the shared replay identity)
//
// A certificate with neither is no client identity. The identity's name is
// the certificate's common name: it names the client's decisions topic and,
// on a SASL_SSL cluster, its SASL user.

// URI scheme and forms of the binding.
const (
	bindingScheme = "mouseauth"
	bindingUser   = "user:"
	bindingAny    = "any-user"
)

// Binding is whom a client identity may act for: AnyUser, or exactly Users.
type Binding struct {
	AnyUser bool
	Users   []string
}

// MaxBoundUsers bounds the users one certificate names: a workstation has a
// few; more belong in the shared identity or in several certificates.
const MaxBoundUsers = 64

// maxUserName is the longest user name, in bytes, as the wire format's
// names (live/wire.MaxName).
const maxUserName = 256

// ErrNoBinding is wrapped when a certificate names no users: it is not a
// client identity.
var ErrNoBinding = errors.New("names no users (no mouseauth:user: or mouseauth:any-user URI)")

// Validate checks b: either AnyUser or 1 to MaxBoundUsers distinct user
// names (valid UTF-8 without control characters, 1 to 256 bytes).
func (b Binding) Validate() error {
	if b.AnyUser {
		if len(b.Users) > 0 {
			return errors.New("binding: any user, and a list of users")
		}
		return nil
	}
	if len(b.Users) == 0 {
		return errors.New("binding: no users")
	}
	if len(b.Users) > MaxBoundUsers {
		return fmt.Errorf("binding: %d users (at most %d)", len(b.Users), MaxBoundUsers)
	}
	seen := map[string]bool{}
	for _, u := range b.Users {
		if err := checkUserName(u); err != nil {
			return fmt.Errorf("binding: %w", err)
		}
		if seen[u] {
			return fmt.Errorf("binding: user %q twice", u)
		}
		seen[u] = true
	}
	return nil
}

func checkUserName(u string) error {
	if u == "" || len(u) > maxUserName {
		return fmt.Errorf("user name of %d bytes (1 to %d)", len(u), maxUserName)
	}
	if !utf8.ValidString(u) {
		return fmt.Errorf("user name %q is not valid UTF-8", u)
	}
	for _, r := range u {
		if unicode.IsControl(r) {
			return fmt.Errorf("user name %q has control character U+%04X", u, r)
		}
	}
	return nil
}

// Allows reports whether b lets its holder act for user.
func (b Binding) Allows(user string) bool { return b.AnyUser || slices.Contains(b.Users, user) }

// String is "any user" or the users, comma-separated.
func (b Binding) String() string {
	if b.AnyUser {
		return "any user"
	}
	return strings.Join(b.Users, ",")
}

// uris returns b as the certificate's URI SANs.
func (b Binding) uris() []*url.URL {
	if b.AnyUser {
		return []*url.URL{{Scheme: bindingScheme, Opaque: bindingAny}}
	}
	out := make([]*url.URL, len(b.Users))
	for i, u := range b.Users {
		out[i] = &url.URL{Scheme: bindingScheme, Opaque: bindingUser + url.PathEscape(u)}
	}
	return out
}

func (b *Binding) urisOrNil() []*url.URL {
	if b == nil {
		return nil
	}
	return b.uris()
}

// BindingOf reads the binding of a certificate; [ErrNoBinding] when it has
// none, another error when its mouseauth URIs are malformed.
func BindingOf(c *x509.Certificate) (Binding, error) {
	var b Binding
	found := false
	for _, u := range c.URIs {
		if u.Scheme != bindingScheme {
			continue
		}
		found = true
		switch {
		case u.Opaque == bindingAny:
			b.AnyUser = true
		case strings.HasPrefix(u.Opaque, bindingUser):
			name, err := url.PathUnescape(strings.TrimPrefix(u.Opaque, bindingUser))
			if err != nil {
				return Binding{}, fmt.Errorf("certificate %q: URI %s: %v", c.Subject.CommonName, u, err)
			}
			b.Users = append(b.Users, name)
		default:
			return Binding{}, fmt.Errorf("certificate %q: unknown mouseauth URI %s", c.Subject.CommonName, u)
		}
	}
	if !found {
		return Binding{}, fmt.Errorf("certificate %q %w", c.Subject.CommonName, ErrNoBinding)
	}
	if err := b.Validate(); err != nil {
		return Binding{}, fmt.Errorf("certificate %q: %w", c.Subject.CommonName, err)
	}
	return b, nil
}

// Identity is a verified client identity.
type Identity struct {
	Name    string // the certificate's common name
	Binding Binding
	Cert    *x509.Certificate
}

// ErrIdentity is wrapped by [VerifyIdentity] when a certificate is not a
// valid client identity of the CA.
var ErrIdentity = errors.New("not a client identity of this CA")

// VerifyIdentity parses a client certificate (DER) and checks that it is a
// client identity of roots at now: it chains to roots, allows client
// authentication, is valid at now, has an ECDSA P-256 key (the login
// signature's algorithm), a common name usable as a Kafka topic and SASL
// user name (1 to 64 letters, digits, '.', '_' or '-'), and a binding.
func VerifyIdentity(roots *x509.CertPool, der []byte, now time.Time) (Identity, error) {
	if roots == nil {
		// x509 would verify against the system's roots.
		return Identity{}, fmt.Errorf("%w: no CA to verify it against", ErrIdentity)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrIdentity, err)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return Identity{}, fmt.Errorf("%w: certificate %q: %v", ErrIdentity, c.Subject.CommonName, err)
	}
	if k, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		return Identity{}, fmt.Errorf("%w: certificate %q has a %v key; client identities sign with ECDSA P-256", ErrIdentity, c.Subject.CommonName, c.PublicKeyAlgorithm)
	}
	if !nameRE.MatchString(c.Subject.CommonName) {
		return Identity{}, fmt.Errorf("%w: common name %q is not 1-64 letters, digits, '.', '_' or '-'", ErrIdentity, c.Subject.CommonName)
	}
	b, err := BindingOf(c)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrIdentity, err)
	}
	return Identity{Name: c.Subject.CommonName, Binding: b, Cert: c}, nil
}
