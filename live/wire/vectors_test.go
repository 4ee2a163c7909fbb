package wire

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"math"
	"math/big"
	mathrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"
)

// The test vectors of docs/wire.md. Regenerate after a format change with
//
//	go test ./live/wire -run TestVectors -update
//
// Without -update, TestVectors checks that testdata/vectors.json and the
// generated parts of docs/wire.md agree with the code.

var update = flag.Bool("update", false, "rewrite testdata/vectors.json and the generated parts of docs/wire.md")

const (
	vectorsFile = "testdata/vectors.json"
	docFile     = "../../docs/wire.md"
)

// tvFile is testdata/vectors.json. Byte strings are lower-case hex, JSON
// messages are their exact text.
type tvFile struct {
	Comment     string       `json:"comment"`
	Version     int          `json:"version"`
	Keys        tvKeys       `json:"keys"`
	HPKE        tvHPKE       `json:"hpke"`
	Labels      tvLabels     `json:"labels"`
	Vectors     []tvVector   `json:"vectors"`
	Decisions   []tvDecision `json:"decisions"`
	Logins      []tvLogin    `json:"logins"`
	Alerts      []tvPlain    `json:"alerts"`
	DeadLetters []tvPlain    `json:"dead_letters"`
	Invalid     []tvInvalid  `json:"invalid"`
}

type tvKeys struct {
	ScorerPrivate    string `json:"scorer_private_key_hex"`
	ScorerPublic     string `json:"scorer_public_key_hex"`
	ScorerKeyID      string `json:"scorer_key_id"`
	ScorerPrivatePEM string `json:"scorer_private_key_pem"`
	ScorerPublicPEM  string `json:"scorer_public_key_pem"`
	Session          string `json:"session_key_hex"`
	OtherSession     string `json:"other_session_key_hex"`
	// The client identity of the version 3 logins: a CA, and a client
	// certificate of it bound to users (see docs/wire.md).
	ClientCAPEM   string `json:"client_ca_pem"`
	ClientCert    string `json:"client_cert_hex"`
	ClientPrivate string `json:"client_private_key_hex"`
}

type tvHPKE struct {
	Mode int    `json:"mode"`
	KEM  uint16 `json:"kem_id"`
	KDF  uint16 `json:"kdf_id"`
	AEAD uint16 `json:"aead_id"`
	Info string `json:"info_hex"`
}

type tvLabels struct {
	VectorMAC     string `json:"vector_mac_hex"`
	DecisionMAC   string `json:"decision_mac_hex"`    // version 3
	DecisionMACV2 string `json:"decision_mac_v2_hex"` // version 2, decoded only
}

type tvVector struct {
	Name       string    `json:"name"`
	User       string    `json:"user"`
	Session    string    `json:"session"`
	Seq        int64     `json:"seq"`
	SentNs     int64     `json:"sent_ns"`
	Values     []float64 `json:"values"`
	ValuesBits []string  `json:"values_bits"`
	MACInput   string    `json:"mac_input_hex"`
	MAC        string    `json:"mac_hex"`
	Message    string    `json:"message_hex"`
}

type tvDecision struct {
	Name     string `json:"name"`
	MACInput string `json:"mac_input_hex"`
	MAC      string `json:"mac_hex"`
	Message  string `json:"message"`
}

type tvLogin struct {
	Name       string `json:"name"`
	Version    int    `json:"version"`
	User       string `json:"user"`
	Session    string `json:"session"`
	Client     string `json:"client"`
	SentNs     int64  `json:"sent_ns"`
	Password   string `json:"password"`
	SessionKey string `json:"session_key_hex"`
	AAD        string `json:"aad_hex"`
	Plaintext  string `json:"plaintext_hex"`
	// Randomised by the HPKE sender: checked by opening, not by equality.
	EphemeralPrivate string `json:"ephemeral_private_key_hex"`
	Enc              string `json:"enc_hex"`
	CT               string `json:"ct_hex"`
	// Version 3: the signature's input and the signature (ECDSA P-256,
	// SHA-256, ASN.1 DER; deterministic, RFC 6979).
	SignatureInput string `json:"signature_input_hex,omitempty"`
	Signature      string `json:"signature_hex,omitempty"`
	Message        string `json:"message"`
}

type tvPlain struct {
	Name           string `json:"name"`
	OriginalSize   int    `json:"original_size,omitempty"`
	OriginalSHA256 string `json:"original_sha256,omitempty"`
	Message        string `json:"message"`
}

type tvInvalid struct {
	Name string `json:"name"`
	// Kind is what the message claims to be; Class the ErrorClass a
	// decoder must refuse it with.
	Kind    string `json:"kind"`
	Class   string `json:"error_class"`
	Message string `json:"message_hex"`
	// Key verifies it: a session key, or for logins the scorer's key.
	Key string `json:"key_hex,omitempty"`
}

func tvScorerKey(tb testing.TB) *PrivateKey {
	return fixedKey(tb, "mouseauth/v2 test vectors: scorer key")
}

var (
	tvSession      = fixedSessionKey("mouseauth/v2 test vectors: session key")
	tvOtherSession = fixedSessionKey("mouseauth/v2 test vectors: another session key")
	tvSent         = time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)
)

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// clientKeyBytes is the signer's P-256 private scalar.
func clientKeyBytes(t *testing.T, id *ClientSigner) []byte {
	b, err := id.key.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tvIdentity is the client identity of the version 3 vectors: fixed keys,
// and certificates signed with the randomness of a fixed seed. It returns
// the CA and the signer (which signs deterministically, RFC 6979).
func tvIdentity(t *testing.T) (*x509.Certificate, *ClientSigner) {
	t.Helper()
	key := func(seed string) *ecdsa.PrivateKey {
		sum := sha256.Sum256([]byte(seed))
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, clientKey := key("mouseauth/v3 test vectors: CA key"), key("mouseauth/v3 test vectors: client key")
	cryptotest.SetGlobalRandom(t, 1000)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mouseauth test vectors CA", Organization: []string{"mouseauth"}},
		NotBefore: from, NotAfter: from.AddDate(30, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ws1", OrganizationalUnit: []string{"clients"}, Organization: []string{"mouseauth"}},
		NotBefore: from, NotAfter: from.AddDate(30, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs: []*url.URL{{Scheme: "mouseauth", Opaque: "user:user7"}, {Scheme: "mouseauth", Opaque: "user:" + url.PathEscape("émilie")}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewClientSigner(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: clientKey})
	if err != nil {
		t.Fatal(err)
	}
	id.rand = nil
	return ca, id
}

// generateVectors builds the test vectors from fixed keys. The HPKE sender's
// randomness comes from cryptotest.SetGlobalRandom, one seed per login, so
// the ephemeral key can be published.
func generateVectors(t *testing.T) tvFile {
	k := tvScorerKey(t)
	ca, id := tvIdentity(t)
	kdf, aead := suite()
	f := tvFile{
		Comment: "mouseauth wire format test vectors: version 2, and version 3 logins, decisions and alerts; docs/wire.md explains every field. Generated by `go test ./live/wire -run TestVectors -update`.",
		Version: Version2,
		Keys: tvKeys{ScorerPrivate: hexOf(k.priv.Bytes()), ScorerPublic: hexOf(k.Public().Bytes()), ScorerKeyID: k.ID().String(),
			ScorerPrivatePEM: string(MarshalPrivateKey(k)), ScorerPublicPEM: string(MarshalPublicKey(k.Public())),
			Session: hexOf(tvSession[:]), OtherSession: hexOf(tvOtherSession[:]),
			ClientCAPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})), ClientCert: hexOf(id.cert), ClientPrivate: hexOf(clientKeyBytes(t, id))},
		HPKE:   tvHPKE{Mode: 0, KEM: HPKEKEM, KDF: kdf.ID(), AEAD: aead.ID(), Info: hexOf([]byte(HPKEInfo))},
		Labels: tvLabels{VectorMAC: hexOf([]byte(LabelVectorMAC)), DecisionMAC: hexOf([]byte(LabelDecisionMAC3)), DecisionMACV2: hexOf([]byte(LabelDecisionMAC))},
	}
	if f.HPKE.KDF != HPKEKDF || f.HPKE.AEAD != HPKEAEAD || k.sk.KEM().ID() != HPKEKEM {
		t.Fatal("the suite constants disagree with suite()")
	}
	pi := make([]float64, 39)
	for i := range pi {
		pi[i] = math.Pi * float64(i) / 3
	}
	for _, c := range []struct {
		name string
		v    Vector
	}{
		{"39 values", Vector{User: "user7", Session: "s-12", Seq: 41, Sent: tvSent, Values: pi}},
		{"first of a session, non-ASCII user, edge values", Vector{User: "émilie", Session: "b3c1e0f2-7a4d-4f7e-9d1a-5c2b8e6f0a91", Seq: 0, Sent: tvSent,
			Values: []float64{0, math.Copysign(0, -1), 1, -1.5, math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 1e-300}}},
		{"no values, sent before 1970", Vector{User: "u", Session: "s", Seq: 9, Sent: time.Unix(0, -1), Values: []float64{}}},
	} {
		p := mustSignVector(t, c.v, tvSession)
		body := p[:len(p)-MACSize]
		tv := tvVector{Name: c.name, User: c.v.User, Session: c.v.Session, Seq: c.v.Seq, SentNs: c.v.Sent.UnixNano(),
			Values: c.v.Values, ValuesBits: []string{}, MACInput: hexOf(append([]byte(LabelVectorMAC), body...)), MAC: hexOf(p[len(body):]), Message: hexOf(p)}
		for _, x := range c.v.Values {
			tv.ValuesBits = append(tv.ValuesBits, fmt.Sprintf("%016x", math.Float64bits(x)))
		}
		f.Vectors = append(f.Vectors, tv)
	}
	for _, c := range []struct {
		name string
		d    Decision
	}{
		{"login accepted", Decision{User: "user7", Session: "s-12", Seq: LoginSeq, Accept: true, Sent: tvSent}},
		{"login refused", Decision{User: "user7", Session: "s-13", Seq: LoginSeq, Reason: "refused", Sent: tvSent}},
		{"vector accepted", Decision{User: "user7", Session: "s-12", Seq: 41, Accept: true, Sent: tvSent, ServiceNanos: 812345}},
		{"vector refused", Decision{User: "user7", Session: "s-12", Seq: 42, Sent: tvSent, ServiceNanos: 790112}},
		{"alert, redelivered, non-ASCII", Decision{User: "émilie", Session: "s\"<&>\u2028", Seq: 9, Alert: true, Closed: true, Redelivered: true,
			Sent: time.Unix(0, 0), ServiceNanos: 1}},
		{"after the alert", Decision{User: "user7", Session: "s-12", Seq: 43, Closed: true, Sent: tvSent, ServiceNanos: 801000}},
	} {
		p := mustSignDecision(t, c.d, tvSession)
		mac := decisionMAC(c.d, tvSession)
		f.Decisions = append(f.Decisions, tvDecision{Name: c.name, MACInput: hexOf(appendDecisionMACInput(nil, c.d)), MAC: hexOf(mac[:]), Message: string(p)})
	}
	for _, c := range []struct {
		name string
		l    LegacyDecision
	}{
		{"version 2 (decoded only): vector accepted", LegacyDecision{User: "user7", Session: "s-12", Seq: 41, Accept: true, Score: 0.71, Mean: 0.6425, Window: 10,
			Threshold: 0.5, ModelVersion: 3, Sent: tvSent, ServiceNanos: 812345}},
		{"version 2 (decoded only): alert, redelivered, non-ASCII", LegacyDecision{User: "émilie", Session: "s\"<&>\u2028", Seq: 9, Alert: true, Redelivered: true, Score: 1e-7,
			Mean: 0.25, Window: 10, Threshold: 0.5, ModelVersion: 1, Sent: time.Unix(0, 0), ServiceNanos: 1}},
	} {
		p, err := signDecisionV2(c.l, tvSession)
		if err != nil {
			t.Fatal(err)
		}
		mac := decisionMACV2(c.l, tvSession)
		f.Decisions = append(f.Decisions, tvDecision{Name: c.name, MACInput: hexOf(appendDecisionMACInputV2(nil, c.l)), MAC: hexOf(mac[:]), Message: string(p)})
	}
	for i, c := range []struct {
		name string
		l    Login
		id   *ClientSigner
	}{
		{"typical, signed", Login{User: "user7", Session: "s-12", Client: id.Name(), Password: "correct horse battery staple", Sent: tvSent}, id},
		{"long password, signed", Login{User: "émilie", Session: "s-1", Client: id.Name(), Password: strings.Repeat("pässwörd-", 8), Sent: tvSent}, id},
		{"version 2, unsigned", Login{User: "user7", Session: "s-12", Client: "10.1.2.3:4000", Password: "correct horse battery staple", Sent: tvSent}, nil},
		{"version 2, long password, empty client", Login{User: "émilie", Session: "s-1", Password: strings.Repeat("pässwörd-", 8), Sent: tvSent}, nil},
	} {
		seed := uint64(i + 1)
		cryptotest.SetGlobalRandom(t, seed)
		p, err := sealLogin(k.Public(), c.l, tvSession, c.id)
		if err != nil {
			t.Fatal(err)
		}
		version := byte(Version2)
		if c.id != nil {
			version = Version3
		}
		var j loginJSON
		if err := json.Unmarshal(p, &j); err != nil {
			t.Fatal(err)
		}
		// The sender drew its ephemeral key as the first 32 bytes of the
		// seeded stream; publish it if that is still how Go does it.
		var s [32]byte
		binary.LittleEndian.PutUint64(s[:], seed)
		var skE [32]byte
		mathrand.NewChaCha8(s).Read(skE[:])
		eph := ""
		if e, err := ecdh.X25519().NewPrivateKey(skE[:]); err == nil && bytes.Equal(e.PublicKey().Bytes(), j.Enc) {
			eph = hexOf(skE[:])
		} else {
			t.Logf("login %q: the ephemeral key is not the seeded stream's first 32 bytes; published without it", c.name)
		}
		aad := loginAAD(version, k.ID(), c.l.User, c.l.Session, c.l.Client, c.l.Sent.UnixNano())
		tl := tvLogin{Name: c.name, Version: int(version), User: c.l.User, Session: c.l.Session, Client: c.l.Client, SentNs: c.l.Sent.UnixNano(),
			Password: c.l.Password, SessionKey: hexOf(tvSession[:]), AAD: hexOf(aad),
			Plaintext: hexOf(loginPlaintext(tvSession, c.l.Password)), EphemeralPrivate: eph, Enc: hexOf(j.Enc), CT: hexOf(j.CT), Message: string(p)}
		if c.id != nil {
			tl.SignatureInput, tl.Signature = hexOf(loginSignatureInput(j.Cert, aad, j.Enc, j.CT)), hexOf(j.Sig)
		}
		f.Logins = append(f.Logins, tl)
	}
	alert, err := MarshalAlert(Alert{User: "user7", Session: "s-12", Seq: 5,
		Policy:    "decide/1 rule=sequential n=10 agg=logodds threshold=0.5 bias=0.25 step=0.75 ceiling=16 accept=1 alert=4 start=0 memory=32 repeat=0.001",
		Statistic: -4, Score: 0.0031, Flags: "repeated", ModelVersion: 2, At: tvSent})
	if err != nil {
		t.Fatal(err)
	}
	f.Alerts = append(f.Alerts, tvPlain{Name: "alert", Message: string(alert)})
	alert2, err := marshalAlertV2(Alert{User: "user7", Session: "s-12", Seq: 9, Mean: 0.31, Threshold: 0.5, Window: 10, At: tvSent})
	if err != nil {
		t.Fatal(err)
	}
	f.Alerts = append(f.Alerts, tvPlain{Name: "version 2 (decoded only)", Message: string(alert2)})
	big := bytes.Repeat([]byte("0123456789abcdef"), 5000/16+1)[:5000]
	for _, c := range []struct {
		name    string
		x       DeadLetter
		noValue bool
	}{
		{"bad MAC", DeadLetter{Topic: "mouseauth.features", Partition: 3, Offset: 77, Key: "user7", Class: "bad mac",
			Reason: `bad MAC: vector 41 of session "s-12" of user "user7"`, Value: []byte("M\x02V\x00\x05user7"), At: tvSent}, false},
		{"truncated", DeadLetter{Topic: "mouseauth.features", Partition: 1, Offset: 5, Key: "user7", Class: "too large",
			Reason: "message too large", Value: big, At: tvSent}, false},
		{"login, kept without its bytes", DeadLetter{Topic: "mouseauth.logins", Partition: 0, Offset: 12, Key: "user7", Class: "version",
			Reason: "unsupported message version: version 1", Value: encodeV1Login(Login{User: "user7", Session: "s-12", Password: "pw", Sent: tvSent}), At: tvSent}, true},
	} {
		sum := sha256.Sum256(c.x.Value)
		x := c.x
		if c.noValue {
			x = x.WithoutValue()
		}
		f.DeadLetters = append(f.DeadLetters, tvPlain{Name: c.name, OriginalSize: len(c.x.Value), OriginalSHA256: hexOf(sum[:]), Message: string(MarshalDeadLetter(x))})
	}

	// Invalid messages a decoder must refuse, with the class it refuses them with.
	v0 := mustSignVector(t, Vector{User: "user7", Session: "s-12", Seq: 41, Sent: tvSent, Values: pi}, tvSession)
	flipped := func(p []byte, i int) []byte { p = bytes.Clone(p); p[i] ^= 0x01; return p }
	seqAt := 3 + 2 + len("user7") + 2 + len("s-12") + 7 // the last byte of seq
	d0 := []byte(f.Decisions[2].Message)
	dClosed := []byte(f.Decisions[5].Message)
	d2 := []byte(f.Decisions[6].Message) // version 2
	l3 := []byte(f.Logins[0].Message)
	l0 := []byte(f.Logins[2].Message) // version 2
	ks, kt := hexOf(tvSession[:]), hexOf(k.priv.Bytes())
	nan := append(appendVectorBody(nil, Vector{User: "u", Session: "s", Values: []float64{math.NaN()}}, 0), make([]byte, MACSize)...)
	f.Invalid = []tvInvalid{
		{Name: "vector: seq changed (41 to 40)", Kind: "vector", Class: "bad mac", Message: hexOf(flipped(v0, seqAt)), Key: ks},
		{Name: "vector: a value changed", Kind: "vector", Class: "bad mac", Message: hexOf(flipped(v0, len(v0)-MACSize-1)), Key: ks},
		{Name: "vector: MAC changed", Kind: "vector", Class: "bad mac", Message: hexOf(flipped(v0, len(v0)-1)), Key: ks},
		{Name: "vector: another session's key", Kind: "vector", Class: "bad mac", Message: hexOf(v0), Key: hexOf(tvOtherSession[:])},
		{Name: "vector: truncated", Kind: "vector", Class: "malformed", Message: hexOf(v0[:len(v0)-1]), Key: ks},
		{Name: "vector: version 1", Kind: "vector", Class: "version", Message: hexOf(encodeV1Vector(Vector{User: "user7", Session: "s-12", Seq: 41, Sent: tvSent, Values: pi})), Key: ks},
		{Name: "vector: NaN", Kind: "vector", Class: "malformed", Message: hexOf(nan), Key: ks},
		{Name: "decision: accept changed to false", Kind: "decision", Class: "bad mac", Message: hexOf(bytes.Replace(d0, []byte(`"accept":true`), []byte(`"accept":false`), 1)), Key: ks},
		{Name: "decision: seq changed", Kind: "decision", Class: "bad mac", Message: hexOf(bytes.Replace(d0, []byte(`"seq":41`), []byte(`"seq":42`), 1)), Key: ks},
		{Name: "decision: another session's key", Kind: "decision", Class: "bad mac", Message: hexOf(d0), Key: hexOf(tvOtherSession[:])},
		{Name: "decision: unknown field", Kind: "decision", Class: "malformed", Message: hexOf(bytes.Replace(d0, []byte(`"accept":true`), []byte(`"accept":true,"admin":true`), 1)), Key: ks},
		{Name: "decision: a score added", Kind: "decision", Class: "malformed", Message: hexOf(bytes.Replace(d0, []byte(`"accept":true`), []byte(`"accept":true,"score":0.9`), 1)), Key: ks},
		{Name: "decision: closed and accepted", Kind: "decision", Class: "malformed", Message: hexOf(bytes.Replace(dClosed, []byte(`"accept":false`), []byte(`"accept":true`), 1)), Key: ks},
		{Name: "decision: closed changed to false", Kind: "decision", Class: "bad mac", Message: hexOf(bytes.Replace(dClosed, []byte(`"closed":true`), []byte(`"closed":false`), 1)), Key: ks},
		{Name: "decision, version 2: score changed", Kind: "decision", Class: "bad mac", Message: hexOf(bytes.Replace(d2, []byte(`"score":0.71`), []byte(`"score":0.99`), 1)), Key: ks},
		{Name: "decision: version 4", Kind: "decision", Class: "version", Message: hexOf(bytes.Replace(d0, []byte(`"v":3`), []byte(`"v":4`), 1)), Key: ks},
		{Name: "decision: version 1", Kind: "decision", Class: "version", Message: hexOf(encodeV1Decision(LegacyDecision{User: "user7", Session: "s-12", Seq: 41, Accept: true, Sent: tvSent})), Key: ks},
		{Name: "login: moved to another user", Kind: "login", Class: "bad seal", Message: hexOf(bytes.Replace(l0, []byte(`"user":"user7"`), []byte(`"user":"user8"`), 1)), Key: kt},
		{Name: "login: moved to another session", Kind: "login", Class: "bad seal", Message: hexOf(bytes.Replace(l0, []byte(`"session":"s-12"`), []byte(`"session":"s-99"`), 1)), Key: kt},
		{Name: "login: another scorer's key", Kind: "login", Class: "unknown key", Message: hexOf(l0), Key: hexOf(fixedKey(t, "another scorer").priv.Bytes())},
		{Name: "login: version 1, password in clear", Kind: "login", Class: "version", Message: hexOf(encodeV1Login(Login{User: "user7", Session: "s-12", Password: "pw", Sent: tvSent})), Key: kt},
		{Name: "login, version 3: moved to another user", Kind: "login", Class: "bad signature", Message: hexOf(bytes.Replace(l3, []byte(`"user":"user7"`), []byte(`"user":"user8"`), 1)), Key: kt},
		{Name: "login, version 3: another client named", Kind: "login", Class: "bad signature", Message: hexOf(bytes.Replace(l3, []byte(`"client":"ws1"`), []byte(`"client":"ws2"`), 1)), Key: kt},
		{Name: "login, version 3: signature removed", Kind: "login", Class: "malformed", Message: hexOf(regexp.MustCompile(`,"sig":"[^"]*"`).ReplaceAll(l3, nil)), Key: kt},
		{Name: "login, version 3: marked version 2", Kind: "login", Class: "malformed", Message: hexOf(bytes.Replace(l3, []byte(`"v":3`), []byte(`"v":2`), 1)), Key: kt},
	}
	return f
}

// checkInvalid decodes c with the Go decoders and returns the error class.
func checkInvalid(t *testing.T, c tvInvalid) string {
	t.Helper()
	p, err := hex.DecodeString(c.Message)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(c.Key)
	if err != nil || len(key) != 32 {
		t.Fatalf("invalid case %q: key %q", c.Name, c.Key)
	}
	switch c.Kind {
	case "vector":
		s, err := ParseVector(p)
		if err == nil {
			_, err = s.Verify(SessionKey(key))
		}
		return ErrorClass(err)
	case "decision":
		s, err := ParseDecision(p)
		if err == nil {
			_, err = s.Verify(SessionKey(key))
		}
		return ErrorClass(err)
	case "login":
		priv, err := ecdh.X25519().NewPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		sk, err := newPrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseLogin(p)
		if err == nil && s.Version == Version3 {
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(s.Cert); err == nil {
				err = s.VerifySignature(c)
			}
		}
		if err == nil {
			_, err = OpenLogin(s, sk)
		}
		return ErrorClass(err)
	}
	t.Fatalf("invalid case %q: unknown kind %q", c.Name, c.Kind)
	return ""
}

// verifyStored checks a vectors file with the Go decoders alone: every
// message decodes to its published fields, every MAC verifies, every
// sealed login opens with the published scorer key to the published
// plaintext, and every invalid message is refused with its class.
func verifyStored(t *testing.T, f tvFile) {
	t.Helper()
	k := tvScorerKey(t)
	if f.Keys.ScorerPrivate != hexOf(k.priv.Bytes()) || f.Keys.Session != hexOf(tvSession[:]) {
		t.Fatal("the published keys are not the test keys")
	}
	for _, c := range f.Vectors {
		p, _ := hex.DecodeString(c.Message)
		s, err := ParseVector(p)
		if err != nil {
			t.Fatalf("vector %q: %v", c.Name, err)
		}
		v, err := s.Verify(tvSession)
		if err != nil || v.User != c.User || v.Session != c.Session || v.Seq != c.Seq || v.Sent.UnixNano() != c.SentNs || len(v.Values) != len(c.ValuesBits) {
			t.Fatalf("vector %q: %+v %v", c.Name, v, err)
		}
		for i, b := range c.ValuesBits {
			if fmt.Sprintf("%016x", math.Float64bits(v.Values[i])) != b {
				t.Fatalf("vector %q value %d: %x, want %s", c.Name, i, math.Float64bits(v.Values[i]), b)
			}
		}
		in, _ := hex.DecodeString(c.MACInput)
		m := hmac.New(sha256.New, tvSession[:])
		m.Write(in)
		if hexOf(m.Sum(nil)) != c.MAC || !strings.HasSuffix(c.Message, c.MAC) {
			t.Fatalf("vector %q: the MAC is not HMAC-SHA256 of the published input", c.Name)
		}
	}
	for _, c := range f.Decisions {
		s, err := ParseDecision([]byte(c.Message))
		if err != nil {
			t.Fatalf("decision %q: %v", c.Name, err)
		}
		if _, err := s.Verify(tvSession); err != nil {
			t.Fatalf("decision %q: %v", c.Name, err)
		}
		in := appendDecisionMACInput(nil, s.Unverified)
		if s.Legacy != nil {
			in = appendDecisionMACInputV2(nil, *s.Legacy)
		}
		if got := hexOf(in); got != c.MACInput {
			t.Fatalf("decision %q: MAC input %s, published %s", c.Name, got, c.MACInput)
		}
		if hexOf(s.mac[:]) != c.MAC {
			t.Fatalf("decision %q: MAC differs from the published one", c.Name)
		}
	}
	for _, c := range f.Logins {
		s, err := ParseLogin([]byte(c.Message))
		if err != nil {
			t.Fatalf("login %q: %v", c.Name, err)
		}
		if s.Version != c.Version {
			t.Fatalf("login %q: version %d, published %d", c.Name, s.Version, c.Version)
		}
		if s.Version == Version3 {
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM([]byte(f.Keys.ClientCAPEM)) || hexOf(s.Cert) != f.Keys.ClientCert {
				t.Fatalf("login %q: the published CA does not read, or the login carries another certificate", c.Name)
			}
			cert, err := x509.ParseCertificate(s.Cert)
			if err == nil {
				_, err = cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: tvSent, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			}
			if err == nil {
				err = s.VerifySignature(cert)
			}
			if err != nil {
				t.Fatalf("login %q: %v", c.Name, err)
			}
			if got := hexOf(loginSignatureInput(s.Cert, s.aad(), s.enc, s.ct)); got != c.SignatureInput || hexOf(s.sig) != c.Signature {
				t.Fatalf("login %q: the signature or its input differ from the published ones", c.Name)
			}
		}
		l, err := OpenLogin(s, k)
		if err != nil {
			t.Fatalf("login %q does not open with the published scorer key: %v", c.Name, err)
		}
		if l.User != c.User || l.Session != c.Session || l.Client != c.Client || l.Password != c.Password || l.Sent.UnixNano() != c.SentNs || hexOf(l.Key[:]) != c.SessionKey {
			t.Fatalf("login %q opens to %v", c.Name, l)
		}
		if hexOf(s.enc) != c.Enc || hexOf(s.ct) != c.CT || hexOf(s.aad()) != c.AAD {
			t.Fatalf("login %q: enc, ct or AAD differ from the message's", c.Name)
		}
		if c.EphemeralPrivate != "" {
			skE, _ := hex.DecodeString(c.EphemeralPrivate)
			e, err := ecdh.X25519().NewPrivateKey(skE)
			if err != nil || hexOf(e.PublicKey().Bytes()) != c.Enc {
				t.Fatalf("login %q: the published ephemeral key does not give enc", c.Name)
			}
		}
	}
	for _, c := range f.Alerts {
		if _, err := ParseAlert([]byte(c.Message)); err != nil {
			t.Fatalf("alert %q: %v", c.Name, err)
		}
	}
	for _, c := range f.DeadLetters {
		x, err := ParseDeadLetter([]byte(c.Message))
		if err != nil || x.Size != c.OriginalSize || hexOf(x.SHA256[:]) != c.OriginalSHA256 {
			t.Fatalf("dead letter %q: %+v %v", c.Name, x, err)
		}
	}
	for _, c := range f.Invalid {
		if got := checkInvalid(t, c); got != c.Class {
			t.Errorf("invalid %q: refused as %q, published %q", c.Name, got, c.Class)
		}
	}
}

// deterministic blanks what HPKE randomises, for comparing two files.
func deterministic(f tvFile) tvFile {
	f.Logins = append([]tvLogin(nil), f.Logins...)
	for i := range f.Logins {
		f.Logins[i].EphemeralPrivate, f.Logins[i].Enc, f.Logins[i].CT, f.Logins[i].Message = "", "", "", ""
		f.Logins[i].SignatureInput, f.Logins[i].Signature = "", ""
	}
	// The certificates are signed with Go's seeded randomness.
	f.Keys.ClientCAPEM, f.Keys.ClientCert = "", ""
	f.Invalid = append([]tvInvalid(nil), f.Invalid...)
	for i := range f.Invalid {
		if f.Invalid[i].Kind == "login" && f.Invalid[i].Class != "version" {
			f.Invalid[i].Message = ""
		}
	}
	return f
}

// TestVectors is not parallel: generateVectors sets the process's random
// source (cryptotest.SetGlobalRandom).
func TestVectors(t *testing.T) {
	gen := generateVectors(t)
	verifyStored(t, gen)
	if *update {
		b, err := json.MarshalIndent(gen, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored := loadVectors(t)
	verifyStored(t, stored)
	if !reflect.DeepEqual(deterministic(stored), deterministic(gen)) {
		a, _ := json.MarshalIndent(deterministic(stored), "", "  ")
		b, _ := json.MarshalIndent(deterministic(gen), "", "  ")
		t.Fatalf("%s disagrees with the code; run go test ./live/wire -run TestVectors -update\n%s", vectorsFile, firstDiff(string(a), string(b)))
	}

	doc, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	want := string(doc)
	for _, blk := range []struct{ name, body string }{{"constants", renderConstants()}, {"vectors", renderVectors(stored)}} {
		want, err = replaceBlock(want, blk.name, blk.body)
		if err != nil {
			t.Fatalf("%s: %v", docFile, err)
		}
	}
	if want != string(doc) {
		if !*update {
			t.Fatalf("%s disagrees with the code; run go test ./live/wire -run TestVectors -update\n%s", docFile, firstDiff(string(doc), want))
		}
		if err := os.WriteFile(docFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func loadVectors(t *testing.T) tvFile {
	t.Helper()
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatalf("%v (generate it with go test ./live/wire -run TestVectors -update)", err)
	}
	var f tvFile
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&f); err != nil {
		t.Fatalf("%s: %v", vectorsFile, err)
	}
	return f
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  have %q\n  want %q", i+1, x, y)
		}
	}
	return "(no difference)"
}

// replaceBlock replaces the text between the markers of block name.
func replaceBlock(doc, name, body string) (string, error) {
	begin := "<!-- BEGIN GENERATED " + name + ": go test ./live/wire -run TestVectors -update -->\n"
	end := "<!-- END GENERATED " + name + " -->"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("no block %q (markers %q ... %q)", name, strings.TrimSpace(begin), end)
	}
	return doc[:i+len(begin)] + body + doc[j:], nil
}

// wrapHex breaks a hex string into lines of 64 digits.
func wrapHex(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s)
	return b.String()
}

func renderConstants() string {
	var b strings.Builder
	row := func(name, value, what string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", name, value, what) }
	b.WriteString("| Name | Value | Meaning |\n|---|---|---|\n")
	row("version", fmt.Sprint(Version2), "byte 1 of a vector, `\"v\"` of a dead letter")
	row("login, decision and alert version", fmt.Sprint(Version3), "`\"v\"` of a signed login, a decision without scores, an alert with the rule's statistic (version 2 of each is decoded; the scorer refuses a version 2 login)")
	row("HPKE mode", "0x00 (base)", "RFC 9180 mode_base: no PSK, no sender key")
	row("HPKE KEM", fmt.Sprintf("0x%04x", HPKEKEM), "DHKEM(X25519, HKDF-SHA256); Nenc = 32")
	row("HPKE KDF", fmt.Sprintf("0x%04x", HPKEKDF), "HKDF-SHA256")
	row("HPKE AEAD", fmt.Sprintf("0x%04x", HPKEAEAD), "AES-128-GCM; Nt = 16")
	row("HPKE info", fmt.Sprintf("`%s`<br>hex `%s`", HPKEInfo3, hexOf([]byte(HPKEInfo3))), "info of a version 3 login's HPKE context")
	row("HPKE info, version 2", fmt.Sprintf("`%s`<br>hex `%s`", HPKEInfo, hexOf([]byte(HPKEInfo))), "info of a version 2 login's HPKE context")
	row("login signature label", fmt.Sprintf("`%s` then a NUL byte<br>hex `%s`", strings.TrimSuffix(LabelLoginSignature, "\x00"), hexOf([]byte(LabelLoginSignature))), "first bytes of a version 3 login's signature input")
	row("vector MAC label", fmt.Sprintf("`%s` then a NUL byte<br>hex `%s`", strings.TrimSuffix(LabelVectorMAC, "\x00"), hexOf([]byte(LabelVectorMAC))), "first bytes of a vector's MAC input")
	row("decision MAC label", fmt.Sprintf("`%s` then a NUL byte<br>hex `%s`", strings.TrimSuffix(LabelDecisionMAC3, "\x00"), hexOf([]byte(LabelDecisionMAC3))), "first bytes of a version 3 decision's MAC input")
	row("decision MAC label, version 2", fmt.Sprintf("`%s` then a NUL byte<br>hex `%s`", strings.TrimSuffix(LabelDecisionMAC, "\x00"), hexOf([]byte(LabelDecisionMAC))), "first bytes of a version 2 decision's MAC input")
	for _, c := range []struct {
		name string
		v    int
		what string
	}{
		{"MACSize", MACSize, "bytes of an HMAC-SHA256 tag, sent whole"},
		{"SessionKeySize", SessionKeySize, "bytes of a session key"},
		{"KeyIDSize", KeyIDSize, "bytes of a scorer key id (16 hex digits in a login)"},
		{"MaxName", MaxName, "bytes of a user, session, client, decision reason or dead letter topic"},
		{"MaxValues", MaxValues, "values in a vector"},
		{"MaxPassword", MaxPassword, "bytes of a sealed password"},
		{"login padding", loginPad, "the sealed plaintext is zero-padded to a multiple of this"},
		{"MaxReason", MaxReason, "bytes of a dead letter's reason"},
		{"MaxClass", MaxClass, "bytes of a dead letter's class"},
		{"MaxDeadLetterValue", MaxDeadLetterValue, "bytes of the original message a dead letter keeps"},
		{"MaxDeadLetterKey", MaxDeadLetterKey, "bytes of the original record key a dead letter keeps"},
		{"MaxVectorSize", MaxVectorSize, "bytes of a vector message"},
		{"MaxLoginSize", MaxLoginSize, "bytes of a login message"},
		{"MaxClientCert", MaxClientCert, "bytes of the client certificate (DER) a version 3 login carries"},
		{"MaxDecisionSize", MaxDecisionSize, "bytes of a decision message"},
		{"MaxAlertSize", MaxAlertSize, "bytes of an alert message"},
		{"MaxPolicy", MaxPolicy, "bytes of an alert's policy"},
		{"MaxDeadLetterSize", MaxDeadLetterSize, "bytes of a dead letter message, whatever the original"},
	} {
		row("`"+c.name+"`", fmt.Sprint(c.v), c.what)
	}
	return b.String()
}

func renderVectors(f tvFile) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	code := func(s string) { p("```\n%s\n```\n\n", s) }
	p("The complete set, with the invalid messages and the class each must be refused with, is\n")
	p("[`live/wire/testdata/vectors.json`](../live/wire/testdata/vectors.json). Keys (for tests only):\n\n")
	p("- scorer private key (X25519 scalar): `%s`\n", f.Keys.ScorerPrivate)
	p("- scorer public key: `%s`, key id `%s`\n", f.Keys.ScorerPublic, f.Keys.ScorerKeyID)
	p("- session key: `%s`\n\n", f.Keys.Session)
	v := f.Vectors[0]
	p("### Vector: %s\n\n", v.Name)
	p("user `%s`, session `%s`, seq %d, sent %d ns, values π·i/3 for i = 0..%d.\n\n", v.User, v.Session, v.Seq, v.SentNs, len(v.Values)-1)
	p("MAC input (label, then the message without its MAC):\n\n")
	code(wrapHex(v.MACInput))
	p("HMAC-SHA256 under the session key: `%s`\n\nMessage (%d bytes):\n\n", v.MAC, len(v.Message)/2)
	code(wrapHex(v.Message))
	for _, i := range []int{2, 5, 0, 6} {
		d := f.Decisions[i]
		p("### Decision: %s\n\n", d.Name)
		code(d.Message)
		p("MAC input:\n\n")
		code(wrapHex(d.MACInput))
		p("HMAC-SHA256 under the session key: `%s` (base64 in `\"mac\"`).\n\n", d.MAC)
	}
	l := f.Logins[0]
	p("### Login: %s\n\n", l.Name)
	p("user `%s`, session `%s`, client `%s`, sent %d ns, password `%s`, the session key above. The client identity (test keys):\n\n", l.User, l.Session, l.Client, l.SentNs, l.Password)
	p("- client private key (P-256 scalar): `%s`\n", f.Keys.ClientPrivate)
	p("- the CA:\n\n")
	code(strings.TrimSpace(f.Keys.ClientCAPEM))
	p("- the client certificate (DER; common name `ws1`, bound to `user7` and `émilie`):\n\n")
	code(wrapHex(f.Keys.ClientCert))
	p("AAD:\n\n")
	code(wrapHex(l.AAD))
	p("Plaintext (session key, password length, password, zero padding):\n\n")
	code(wrapHex(l.Plaintext))
	if l.EphemeralPrivate != "" {
		p("Ephemeral private key skE, for libraries that accept a fixed one in tests: `%s`\n\n", l.EphemeralPrivate)
	}
	p("enc: `%s`\n\nct:\n\n", l.Enc)
	code(wrapHex(l.CT))
	p("Signature input (label, SHA-256 of the certificate, AAD, enc, length and ct):\n\n")
	code(wrapHex(l.SignatureInput))
	p("Signature (ECDSA P-256 over SHA-256 of the input, ASN.1 DER; this one deterministic, RFC 6979): `%s`\n\n", l.Signature)
	p("Message (verifies with the CA above, opens with the scorer private key above):\n\n")
	code(l.Message)
	p("### Alert\n\n")
	code(f.Alerts[0].Message)
	p("### Alert: %s\n\n", f.Alerts[1].Name)
	code(f.Alerts[1].Message)
	d := f.DeadLetters[0]
	p("### Dead letter: %s\n\n", d.Name)
	code(d.Message)
	return b.String()
}
