package wire

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// newTestSigner returns a client identity with a self-signed certificate
// whose common name is name (the wire format checks the signature and the
// name; the CA and the binding are package pki's).
func newTestSigner(tb testing.TB, name string) *ClientSigner {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return signerOf(tb, name, key, &key.PublicKey)
}

// signerOf makes a self-signed certificate for pub (signed by signKey) and
// returns NewClientSigner's result for it with key.
func signerOf(tb testing.TB, name string, key *ecdsa.PrivateKey, pub any) *ClientSigner {
	tb.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: at.Add(-time.Hour), NotAfter: at.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewClientSigner(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func parseCert(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLoginV3RoundTrip: a signed login decodes as version 3, names its
// signer as the client whatever the caller put there, verifies with the
// certificate it carries, and opens to the password and session key.
func TestLoginV3RoundTrip(t *testing.T) {
	scorer := fixedKey(t, "scorer")
	id := newTestSigner(t, "ws1")
	l := sampleLogin()
	l.Client = "something else"
	p, key, err := SealLogin(scorer.Public(), l, id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(p, []byte(`{"v":3,"kind":"login",`)) || len(p) > MaxLoginSize {
		t.Fatalf("login of %d bytes: %s", len(p), p)
	}
	s, err := ParseLogin(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != Version3 || s.Client != "ws1" || !bytes.Equal(s.Cert, id.cert) {
		t.Fatalf("decoded %+v", s)
	}
	if err := s.VerifySignature(parseCert(t, s.Cert)); err != nil {
		t.Fatal(err)
	}
	got, err := OpenLogin(s, scorer)
	if err != nil {
		t.Fatal(err)
	}
	if got.Password != l.Password || got.Key != key || got.Client != "ws1" || got.User != l.User {
		t.Fatalf("opened %#v", got)
	}
	if k, err := KindOf(p); err != nil || k != KindLogin {
		t.Fatalf("KindOf: %v %v", k, err)
	}
}

// TestLoginV3Refused: what an attacker holding one client identity, or
// none, might send, and the error each is refused with.
func TestLoginV3Refused(t *testing.T) {
	scorer := fixedKey(t, "scorer")
	ws1, ws2 := newTestSigner(t, "ws1"), newTestSigner(t, "ws2")
	p, _, err := SealLogin(scorer.Public(), sampleLogin(), ws1)
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(p, &j); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		m := map[string]any{}
		for k, v := range j {
			m[k] = v
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	v2, _, err := SealLoginV2(scorer.Public(), sampleLogin())
	if err != nil {
		t.Fatal(err)
	}
	verify := func(p []byte) error {
		s, err := ParseLogin(p)
		if err != nil {
			return err
		}
		var c *x509.Certificate
		if s.Cert != nil {
			if c, err = x509.ParseCertificate(s.Cert); err != nil {
				return err
			}
		}
		if err := s.VerifySignature(c); err != nil {
			return err
		}
		_, err = OpenLogin(s, scorer)
		return err
	}
	sig := j["sig"].(string)
	// Another base64 character in the middle (a flipped bit could make
	// the text invalid base64, depending on the random signature).
	flippedSig := []byte(sig)
	if flippedSig[10] == 'A' {
		flippedSig[10] = 'B'
	} else {
		flippedSig[10] = 'A'
	}
	for _, tc := range []struct {
		name string
		p    []byte
		is   error
		want string
	}{
		{"version 2 (unsigned)", v2, ErrUnsigned, "carries no client identity"},
		{"signature changed", edit(func(m map[string]any) { m["sig"] = string(flippedSig) }), ErrBadSignature, "does not verify"},
		{"moved to another user", edit(func(m map[string]any) { m["user"] = "user8" }), ErrBadSignature, "does not verify"},
		{"another client named", edit(func(m map[string]any) { m["client"] = "ws2" }), ErrBadSignature, `names client "ws2"`},
		{"another identity's certificate", edit(func(m map[string]any) { m["cert"] = ws2.cert; m["client"] = "ws2" }), ErrBadSignature, "does not verify"},
		{"version 3 without signature", edit(func(m map[string]any) { delete(m, "sig") }), ErrMalformed, `without "cert" or "sig"`},
		{"version 3 without certificate", edit(func(m map[string]any) { delete(m, "cert") }), ErrMalformed, `without "cert" or "sig"`},
		{"version 2 with a certificate", edit(func(m map[string]any) { m["v"] = 2 }), ErrMalformed, `version 2 login with "cert"`},
		{"certificate too large", edit(func(m map[string]any) { m["cert"] = make([]byte, MaxClientCert+1) }), ErrTooLarge, "login cert of 4097 bytes"},
		{"signature too large", edit(func(m map[string]any) { m["sig"] = make([]byte, 73) }), ErrMalformed, "login sig of 73 bytes"},
		{"version 3 dead letter", []byte(`{"v":3,"kind":"dead_letter"}`), ErrVersion, "version 3"},
		{"version 3 decision", []byte(`{"v":3,"kind":"decision"}`), ErrMalformed, "a decision where a login was expected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verify(tc.p)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
	// The signature changed in its bytes (valid base64, valid DER or not):
	// never accepted.
	for i := range 8 {
		m := edit(func(m map[string]any) {})
		s, err := ParseLogin(m)
		if err != nil {
			t.Fatal(err)
		}
		s.sig = bytes.Clone(s.sig)
		s.sig[len(s.sig)-1-i] ^= 0x40
		if err := s.VerifySignature(parseCert(t, s.Cert)); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("signature byte %d flipped: %v", i, err)
		}
	}
}

// TestClientSignerRefuses keys and certificates that cannot sign logins.
func TestClientSignerRefuses(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ws"}, NotBefore: at, NotAfter: at.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rk.PublicKey, rk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewClientSigner(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: rk}); err == nil || !strings.Contains(err.Error(), "not ECDSA P-256") {
		t.Errorf("RSA key: %v", err)
	}
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k1.PublicKey, k1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewClientSigner(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k2}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatched key: %v", err)
	}
	if _, err := NewClientSigner(tls.Certificate{}); err == nil {
		t.Error("no certificate accepted")
	}
	if _, _, err := SealLogin(fixedKey(t, "scorer").Public(), sampleLogin(), nil); err == nil {
		t.Error("SealLogin without an identity")
	}
}
