package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Role says which side of a TLS connection a certificate may take.
type Role string

// Roles map to ExtKeyUsage ServerAuth, ClientAuth or both.
const (
	RoleServer Role = "server"
	RoleClient Role = "client"
	RoleBoth   Role = "both"
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleServer, RoleClient, RoleBoth:
		return r, nil
	}
	return "", fmt.Errorf("role must be server, client or both, not %q", s)
}

func (r Role) extKeyUsage() []x509.ExtKeyUsage {
	switch r {
	case RoleServer:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	case RoleClient:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
}

// RoleOf derives the role from a certificate's ExtKeyUsage.
func RoleOf(c *x509.Certificate) Role {
	s := slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	cl := slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	switch {
	case s && cl:
		return RoleBoth
	case s:
		return RoleServer
	case cl:
		return RoleClient
	}
	return ""
}

// IssueRequest describes a certificate to issue.
type IssueRequest struct {
	Name     string  // file name stem; also the CommonName when Subject.CommonName is empty
	Subject  Subject // Organization defaults to the CA's
	DNS      []string
	IPs      []net.IP
	Role     Role          // default RoleBoth
	Algo     KeyAlgo       // key type when mouseauth makes the key; default ECDSAP256
	Validity time.Duration // default 1 year
	Now      time.Time     // NotBefore; required
	Rand     io.Reader
	// Allow lifts the refusals of [ErrRefusedRequest] one by one.
	Allow Allowances
	// Binding, when set, makes the certificate a client identity that
	// may act for these users (see [Binding]): the role must be client
	// and the key ECDSA P-256.
	Binding *Binding
}

// Allowances lift the checks that make [CA.Issue], [CA.SignCSR],
// [IssueInDir] and [SignFileInDir] refuse a request ([ErrRefusedRequest]).
type Allowances struct {
	// Wildcard allows DNS names with '*' ("*", "*.example.com"): such a
	// certificate is valid for every host the pattern covers.
	Wildcard bool
	// UnspecifiedIP allows 0.0.0.0 and :: as IP SANs, which name no host
	// and are what a misconfigured "listen on all" leaks into a request.
	UnspecifiedIP bool
	// DuplicatePrincipal allows a subject (or common name) that a
	// certificate already issued in the PKI directory has: the new holder
	// would be that principal to Kafka and MariaDB (IssueInDir and
	// SignFileInDir only).
	DuplicatePrincipal bool
}

// ErrRefusedRequest is wrapped when a request asks for what the CA signs
// only when told to (see [Allowances]).
var ErrRefusedRequest = errors.New("refused")

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (r *IssueRequest) validate(ca *CA) error {
	if !nameRE.MatchString(r.Name) {
		return fmt.Errorf("name %q: use 1-64 letters, digits, '.', '_' or '-'", r.Name)
	}
	if r.Now.IsZero() {
		return errors.New("pki: IssueRequest.Now is required")
	}
	if r.Role == "" {
		r.Role = RoleBoth
	}
	if _, err := ParseRole(string(r.Role)); err != nil {
		return err
	}
	if r.Validity == 0 {
		r.Validity = 365 * 24 * time.Hour
	}
	if r.Subject.CommonName == "" {
		r.Subject.CommonName = r.Name
	}
	if r.Subject.Organization == "" && len(ca.Cert.Subject.Organization) > 0 {
		r.Subject.Organization = ca.Cert.Subject.Organization[0]
	}
	if r.Binding != nil {
		if err := r.Binding.Validate(); err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		if r.Role != RoleClient {
			return fmt.Errorf("%s: a client identity (bound to users) must have the client role, not %s", r.Name, r.Role)
		}
		if r.Algo != "" && r.Algo != ECDSAP256 {
			return fmt.Errorf("%s: a client identity signs logins with ECDSA P-256, not %s", r.Name, r.Algo)
		}
	}
	if (r.Role == RoleServer || r.Role == RoleBoth) && len(r.DNS) == 0 && len(r.IPs) == 0 {
		return fmt.Errorf("%s: a server certificate needs at least one --dns or --ip", r.Name)
	}
	for _, d := range r.DNS {
		if strings.Contains(d, "*") && !r.Allow.Wildcard {
			return fmt.Errorf("%s: %w: wildcard DNS name %q would be valid for every host it matches; "+
				"name each host, or pass --allow-wildcard to mean it", r.Name, ErrRefusedRequest, d)
		}
	}
	for _, ip := range r.IPs {
		if ip.IsUnspecified() && !r.Allow.UnspecifiedIP {
			return fmt.Errorf("%s: %w: IP address %s is the unspecified address, not a host (a listen-on-all address); "+
				"name the host's address, or pass --allow-unspecified-ip to mean it", r.Name, ErrRefusedRequest, ip)
		}
	}
	return nil
}

// checkPrincipal refuses a certificate whose subject, or whose common
// name, an issued certificate of dir already has, unless allowed: to Kafka
// (User:<subject>, or the CN under a principal mapping rule) and to
// MariaDB (REQUIRE SUBJECT) its holder would be that principal.
// (A certificate of the same name is left to [Issued.Save], which refuses
// to overwrite it.)
func checkPrincipal(dir, name string, c *x509.Certificate, allow bool) error {
	if allow {
		return nil
	}
	list, err := List(dir)
	if err != nil {
		return err
	}
	subject := RFC2253(c)
	for _, o := range list {
		if o.Name == name {
			continue
		}
		oc, err := ReadCert(filepath.Join(dir, IssuedDir, o.Name+".crt"))
		if err != nil {
			return err
		}
		switch {
		case o.Subject == subject:
			return fmt.Errorf("%w: subject %q is the principal of the issued certificate %q; "+
				"a second holder would act as it. Use another subject (--cn), or pass --allow-duplicate-principal to mean it",
				ErrRefusedRequest, subject, o.Name)
		case oc.Subject.CommonName != "" && oc.Subject.CommonName == c.Subject.CommonName:
			return fmt.Errorf("%w: common name %q is that of the issued certificate %q (%s); "+
				"a broker mapping principals by CN would take one for the other. Use another --cn, or pass --allow-duplicate-principal to mean it",
				ErrRefusedRequest, c.Subject.CommonName, o.Name, o.Subject)
		}
	}
	return nil
}

// Issued is a certificate signed by the CA, with its key when mouseauth made it.
type Issued struct {
	Name string
	Cert *x509.Certificate
	Key  crypto.Signer // nil for a signed CSR
}

// Issue makes a key and a certificate signed by ca.
func (ca *CA) Issue(r IssueRequest) (*Issued, error) {
	if err := r.validate(ca); err != nil {
		return nil, err
	}
	key, err := GenerateKey(r.Algo, r.Rand)
	if err != nil {
		return nil, err
	}
	cert, err := ca.sign(key.Public(), r)
	if err != nil {
		return nil, err
	}
	return &Issued{Name: r.Name, Cert: cert, Key: key}, nil
}

// ErrBadCSR is wrapped by [CA.SignCSR] when a request cannot be used.
var ErrBadCSR = errors.New("bad certificate signing request")

// SignCSR signs a PEM or DER certificate request made elsewhere (OpenSSL,
// keytool -certreq) after checking its signature. The subject and SANs of
// the request are used unless r sets them; r.Name names the files.
func (ca *CA) SignCSR(csr []byte, r IssueRequest) (*Issued, error) {
	if blk, _ := pem.Decode(csr); blk != nil {
		if blk.Type != "CERTIFICATE REQUEST" && blk.Type != "NEW CERTIFICATE REQUEST" {
			return nil, fmt.Errorf("%w: PEM block is %q, not CERTIFICATE REQUEST", ErrBadCSR, blk.Type)
		}
		csr = blk.Bytes
	}
	req, err := x509.ParseCertificateRequest(csr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: signature does not verify: %v", ErrBadCSR, err)
	}
	if r.Subject == (Subject{}) {
		r.Subject = subjectOf(req.Subject)
	}
	if len(r.DNS) == 0 && len(r.IPs) == 0 {
		r.DNS, r.IPs = req.DNSNames, req.IPAddresses
	}
	if r.Name == "" {
		r.Name = strings.Map(func(c rune) rune {
			if strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", c) {
				return c
			}
			return '-'
		}, req.Subject.CommonName)
	}
	if err := r.validate(ca); err != nil {
		return nil, err
	}
	if k, ok := req.PublicKey.(*ecdsa.PublicKey); r.Binding != nil && (!ok || k.Curve != elliptic.P256()) {
		return nil, fmt.Errorf("%w: a client identity signs logins with ECDSA P-256; the request's key is %v", ErrBadCSR, req.PublicKeyAlgorithm)
	}
	cert, err := ca.sign(req.PublicKey, r)
	if err != nil {
		return nil, err
	}
	return &Issued{Name: r.Name, Cert: cert}, nil
}

func subjectOf(n pkix.Name) Subject {
	first := func(s []string) string {
		if len(s) == 0 {
			return ""
		}
		return s[0]
	}
	return Subject{CommonName: n.CommonName, Organization: first(n.Organization),
		OrganizationalUnit: first(n.OrganizationalUnit), Country: first(n.Country),
		Province: first(n.Province), Locality: first(n.Locality)}
}

func (ca *CA) sign(pub crypto.PublicKey, r IssueRequest) (*x509.Certificate, error) {
	serial, err := newSerial(r.Rand)
	if err != nil {
		return nil, err
	}
	ski, err := keyID(pub)
	if err != nil {
		return nil, err
	}
	ku := x509.KeyUsageDigitalSignature
	if _, isRSA := pub.(interface{ Size() int }); isRSA {
		ku |= x509.KeyUsageKeyEncipherment
	}
	notAfter := r.Now.Add(r.Validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               r.Subject.name(),
		NotBefore:             r.Now.Add(-time.Minute),
		NotAfter:              notAfter,
		KeyUsage:              ku,
		ExtKeyUsage:           r.Role.extKeyUsage(),
		BasicConstraintsValid: true,
		DNSNames:              r.DNS,
		IPAddresses:           r.IPs,
		URIs:                  r.Binding.urisOrNil(),
		SubjectKeyId:          ski,
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(randOr(r.Rand), tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", r.Name, err)
	}
	return x509.ParseCertificate(der)
}

// Save writes issued/NAME.crt (the certificate followed by the CA) and, when
// mouseauth made the key, issued/NAME.key (0600). It refuses to overwrite.
func (is *Issued) Save(dir string, ca *x509.Certificate) error {
	d := filepath.Join(dir, IssuedDir)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	crt := filepath.Join(d, is.Name+".crt")
	if exists(crt) {
		return fmt.Errorf("%s exists: pick another name", crt)
	}
	if is.Key != nil {
		if err := WriteKey(filepath.Join(d, is.Name+".key"), is.Key); err != nil {
			return err
		}
	}
	return os.WriteFile(crt, append(CertPEM(is.Cert), CertPEM(ca)...), 0o644)
}

// CertPaths returns the certificate and key paths of NAME in a PKI directory.
func CertPaths(dir, name string) (crt, key string) {
	d := filepath.Join(dir, IssuedDir)
	return filepath.Join(d, name+".crt"), filepath.Join(d, name+".key")
}

// CertInfo summarises an issued certificate for `pki show`.
type CertInfo struct {
	Name      string    `json:"name"`
	Subject   string    `json:"subject"` // RFC 2253, as Kafka prints principals
	Issuer    string    `json:"issuer"`
	SANs      []string  `json:"sans"`
	Role      Role      `json:"role"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Serial    string    `json:"serial"`
	HasKey    bool      `json:"has_key"`
	KeyAlgo   string    `json:"key_algo"`
	// Users is whom a client identity may act for ("any user", or the
	// users); empty for other certificates.
	Users string `json:"users,omitempty"`
}

// Info describes a certificate.
func Info(name string, c *x509.Certificate) CertInfo {
	var sans []string
	sans = append(sans, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		sans = append(sans, ip.String())
	}
	info := CertInfo{Name: name, Subject: RFC2253(c), Issuer: rfc2253(c.RawIssuer), SANs: sans,
		Role: RoleOf(c), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		Serial: fmt.Sprintf("%x", c.SerialNumber), KeyAlgo: c.PublicKeyAlgorithm.String()}
	if b, err := BindingOf(c); err == nil {
		info.Users = b.String()
	}
	return info
}

// List reads every issued/*.crt of a PKI directory, sorted by name. It
// checks that each key present matches its certificate.
func List(dir string) ([]CertInfo, error) {
	paths, err := filepath.Glob(filepath.Join(dir, IssuedDir, "*.crt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []CertInfo
	for _, p := range paths {
		c, err := ReadCert(p)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(p), ".crt")
		info := Info(name, c)
		_, keyPath := CertPaths(dir, name)
		if exists(keyPath) {
			k, err := ReadKey(keyPath)
			if err != nil {
				return nil, err
			}
			if !samePublic(c.PublicKey, k.Public()) {
				return nil, fmt.Errorf("%s: %w", keyPath, ErrKeyMismatch)
			}
			info.HasKey = true
		}
		out = append(out, info)
	}
	return out, nil
}

// RFC2253 returns the certificate subject in RFC 2253 order, the form Kafka
// uses for SSL principals (User:CN=...,O=...).
func RFC2253(c *x509.Certificate) string { return rfc2253(c.RawSubject) }

func rfc2253(raw []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return ""
	}
	return seq.String()
}

// OpenSSLOneline returns a distinguished name as OpenSSL's X509_NAME_oneline
// prints it ("/C=DE/O=mouseauth/CN=scorer"), in certificate order. MariaDB
// compares REQUIRE SUBJECT and REQUIRE ISSUER against this form.
func OpenSSLOneline(raw []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return ""
	}
	short := map[string]string{"2.5.4.6": "C", "2.5.4.8": "ST", "2.5.4.7": "L", "2.5.4.10": "O",
		"2.5.4.11": "OU", "2.5.4.3": "CN", "2.5.4.9": "street", "2.5.4.17": "postalCode",
		"2.5.4.5": "serialNumber", "1.2.840.113549.1.9.1": "emailAddress"}
	var b strings.Builder
	for _, rdn := range seq {
		for i, atv := range rdn {
			if i == 0 {
				b.WriteByte('/')
			} else {
				b.WriteByte('+')
			}
			k, ok := short[atv.Type.String()]
			if !ok {
				k = atv.Type.String()
			}
			fmt.Fprintf(&b, "%s=%v", k, atv.Value)
		}
	}
	return b.String()
}
