package live

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
)

// testIdentity returns a fresh CA (as a pool) and a client identity of it
// bound as b.
func testIdentity(tb testing.TB, b pki.Binding) (*x509.CertPool, *wire.ClientSigner) {
	tb.Helper()
	ca, err := pki.NewCA(pki.CAOptions{Now: time.Now()})
	if err != nil {
		tb.Fatal(err)
	}
	is, err := ca.Issue(pki.IssueRequest{Name: "ws1", Role: pki.RoleClient, Now: time.Now(), Binding: &b})
	if err != nil {
		tb.Fatal(err)
	}
	id, err := wire.NewClientSigner(tls.Certificate{Certificate: [][]byte{is.Cert.Raw}, PrivateKey: is.Key, Leaf: is.Cert})
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	return roots, id
}

// TestKeySealer: a stored session key opens only under the state key it
// was sealed with and only for its own user and session, so a row copied to
// another session (or a store read without the state folder) gives nothing;
// the session's decision topic is sealed with it, so the store cannot send
// a session's decisions to another client's topic; keys sealed before
// routes existed (version 2) still open, routed to the shared topic.
func TestKeySealer(t *testing.T) {
	t.Parallel()
	keys, err := GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	k, err := newKeySealer(keys.State)
	if err != nil {
		t.Fatal(err)
	}
	sk := wire.NewSessionKey()
	const route = "mouseauth.decisions.ws1"
	sealed := k.seal("alice", "s1", sk, route)
	if len(sealed) != 12+32+len(route)+16 {
		t.Fatalf("sealed key of %d bytes", len(sealed))
	}
	if bytes.Contains(sealed, sk[:]) || bytes.Contains(sealed, []byte(route)) {
		t.Fatal("the sealed key holds the key or the route")
	}
	got, gotRoute, err := k.open("alice", "s1", sealed)
	if err != nil || got != sk || gotRoute != route {
		t.Fatalf("open: %v, route %q", err, gotRoute)
	}
	// A version 2 sealed key: no route.
	nonce := make([]byte, 12)
	v2 := k.aead.Seal(append([]byte(nil), nonce...), nonce, sk[:], sessionKeyAAD(sessionKeyLabelV2, "alice", "s1"))
	if got, gotRoute, err := k.open("alice", "s1", v2); err != nil || got != sk || gotRoute != "" {
		t.Fatalf("open a version 2 sealed key: %v, route %q", err, gotRoute)
	}
	other, _ := GenerateKeys()
	k2, _ := newKeySealer(other.State)
	open := func(k *keySealer, user, session string, b []byte) func() error {
		return func() error { _, _, err := k.open(user, session, b); return err }
	}
	flipped := func(i int) []byte { b := append([]byte(nil), sealed...); b[i] ^= 1; return b }
	for name, open := range map[string]func() error{
		"another session":        open(k, "alice", "s2", sealed),
		"another user":           open(k, "bob", "s1", sealed),
		"user/session edge":      open(k, "alices", "1", sealed),
		"another state key":      open(k2, "alice", "s1", sealed),
		"truncated":              open(k, "alice", "s1", sealed[:40]),
		"cut to a version 2 key": open(k, "alice", "s1", sealed[:12+32+16]),
		"flipped bit in the key": open(k, "alice", "s1", flipped(20)),
		"route changed":          open(k, "alice", "s1", flipped(12+32+3)),
	} {
		if err := open(); !errors.Is(err, errSessionKey) {
			t.Errorf("%s: err = %v, want errSessionKey", name, err)
		}
	}
	if _, err := New(Config{Brokers: []string{"x:1"}, TLS: &tls.Config{}, Profiles: nil}); err == nil {
		t.Error("New without stores or keys")
	}
	bad := keys
	bad.State = bad.State[:16]
	if err := bad.validate(); err == nil || !strings.Contains(err.Error(), "16 bytes") {
		t.Errorf("a 16-byte state key: %v", err)
	}
	if err := (Keys{State: keys.State}).validate(); err == nil || !strings.Contains(err.Error(), "no scorer key") {
		t.Errorf("no scorer key: %v", err)
	}
}

// TestHomeIsTheProducersPartition: the partition the service expects a
// user's messages on is the one the pipeline's producers pick.
func TestHomeIsTheProducersPartition(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 4, 8, 13} {
		ps := make([]int, n)
		for i := range ps {
			ps[i] = i
		}
		for _, u := range []string{"User1", "alice", "load00042", "ü", ""} {
			want := (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: []byte(u)}, ps...)
			if got := home(u, n); got != want {
				t.Errorf("home(%q, %d) = %d, the producers pick %d", u, n, got, want)
			}
		}
	}
}

// BenchmarkLoginCost is the scorer's work per login in wire format 3 beside
// the password check it always does: verifying the client identity (the
// certificate against the CA once, the signature every time), opening the
// sealed login (HPKE) and sealing its session key for the store
// (AES-256-GCM), then an argon2id verification with the default
// parameters.
//
//	go test ./live -run '^$' -bench LoginCost -benchmem
func BenchmarkLoginCost(b *testing.B) {
	keys, err := GenerateKeys()
	if err != nil {
		b.Fatal(err)
	}
	sealer, err := newKeySealer(keys.State)
	if err != nil {
		b.Fatal(err)
	}
	roots, id := testIdentity(b, pki.Binding{Users: []string{"User1"}})
	msg, _, err := wire.SealLogin(keys.Public(), wire.Login{User: "User1", Session: "0123456789abcdef0123456789abcdef",
		Password: "correct horse battery staple", Sent: time.Now()}, id)
	if err != nil {
		b.Fatal(err)
	}
	s := &Service{cfg: Config{ClientCAs: roots}, identities: newIdentities()}
	for _, c := range []struct {
		name      string
		remembers bool
	}{{"verify the client identity, first login", false}, {"verify the client identity, later logins", true}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			sl, err := wire.ParseLogin(msg)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if !c.remembers {
					clear(s.identities.known)
				}
				if _, _, err := s.verifyIdentity(sl, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("open and seal the session key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sl, err := wire.ParseLogin(msg)
			if err != nil {
				b.Fatal(err)
			}
			l, err := wire.OpenLogin(sl, keys.Scorer...)
			if err != nil {
				b.Fatal(err)
			}
			_ = sealer.seal(l.User, l.Session, l.Key, "mouseauth.decisions")
		}
	})
	hash, err := account.HashPassword("correct horse battery staple", account.DefaultArgon2)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("argon2id verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := account.VerifyPassword("correct horse battery staple", hash); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
