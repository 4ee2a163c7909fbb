package wire

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fixedKey returns the scorer key whose private scalar is SHA-256(seed).
func fixedKey(tb testing.TB, seed string) *PrivateKey {
	tb.Helper()
	sum := sha256.Sum256([]byte(seed))
	priv, err := ecdh.X25519().NewPrivateKey(sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	k, err := newPrivateKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func fixedSessionKey(seed string) SessionKey { return SessionKey(sha256.Sum256([]byte(seed))) }

var (
	keyA = fixedSessionKey("session key A")
	keyB = fixedSessionKey("session key B")
	at   = time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)
)

func sample2() Vector {
	v := sample()
	v.Sent = at
	return v
}

func mustSignVector(t testing.TB, v Vector, key SessionKey) []byte {
	t.Helper()
	p, err := SignVector(nil, v, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sampleDecision() Decision {
	return Decision{User: "user7", Session: "s-12", Seq: 41, Accept: true, Sent: at, ServiceNanos: 812345}
}

// sampleLegacy is a version 2 decision, with the scores it told the client.
func sampleLegacy() LegacyDecision {
	return LegacyDecision{User: "user7", Session: "s-12", Seq: 41, Accept: true, Score: 0.71, Mean: 0.64, Window: 10,
		Threshold: 0.5, ModelVersion: 3, Sent: at, ServiceNanos: 812345}
}

func mustSignLegacy(t testing.TB, l LegacyDecision, key SessionKey) []byte {
	t.Helper()
	p, err := signDecisionV2(l, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustSignDecision(t testing.TB, d Decision, key SessionKey) []byte {
	t.Helper()
	p, err := SignDecision(d, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sampleLogin() Login {
	return Login{User: "user7", Session: "s-12", Client: "10.1.2.3:4000", Password: "correct horse battery staple", Sent: at}
}

func mustSeal(t testing.TB, pub *PublicKey, l Login) ([]byte, SessionKey) {
	t.Helper()
	p, k, err := SealLoginV2(pub, l)
	if err != nil {
		t.Fatal(err)
	}
	return p, k
}

// wantErr fails t unless err wraps is and its message contains want.
func wantErr(t *testing.T, err, is error, want string) {
	t.Helper()
	if err == nil || !errors.Is(err, is) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %v containing %q", err, is, want)
	}
}

func TestVectorV2RoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []Vector{
		sample2(),
		{User: "émilie", Session: "9f1c", Seq: 0, Sent: time.Unix(0, 0), Values: []float64{0, math.Copysign(0, -1), -1.5, math.MaxFloat64, math.SmallestNonzeroFloat64}},
		{User: "u", Session: "s", Seq: math.MaxInt64, Sent: time.Unix(0, math.MinInt64), Values: []float64{}},
		{User: strings.Repeat("u", MaxName), Session: strings.Repeat("s", MaxName), Seq: 1, Sent: at, Values: make([]float64, MaxValues)},
	} {
		p := mustSignVector(t, v, keyA)
		if len(p) > MaxVectorSize {
			t.Fatalf("vector of %d bytes exceeds MaxVectorSize %d", len(p), MaxVectorSize)
		}
		if k, err := KindOf(p); err != nil || k != KindVector {
			t.Fatalf("KindOf = %v, %v", k, err)
		}
		s, err := ParseVector(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Verify(keyA)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Sent.Equal(v.Sent) {
			t.Fatalf("sent %v, want %v", got.Sent, v.Sent)
		}
		got.Sent = v.Sent
		if got.User != v.User || got.Session != v.Session || got.Seq != v.Seq || len(got.Values) != len(v.Values) {
			t.Fatalf("round trip: %+v\nwant %+v", got, v)
		}
		for i := range v.Values { // bit for bit, -0 included
			if math.Float64bits(got.Values[i]) != math.Float64bits(v.Values[i]) {
				t.Fatalf("value %d: %v, want %v", i, got.Values[i], v.Values[i])
			}
		}
	}
}

// TestVectorTampering flips every byte of a signed vector in turn: each
// flip must be refused, by the decoder or by the MAC, and never accepted.
func TestVectorTampering(t *testing.T) {
	t.Parallel()
	p := mustSignVector(t, sample2(), keyA)
	byMAC := 0
	for i := range p {
		q := bytes.Clone(p)
		q[i] ^= 0x01
		s, err := ParseVector(q)
		if err != nil {
			continue // refused by the decoder: a wrong length, a control character, ...
		}
		if _, err := s.Verify(keyA); !errors.Is(err, ErrBadMAC) {
			t.Fatalf("byte %d flipped: Verify = %v, want ErrBadMAC", i, err)
		}
		byMAC++
	}
	if byMAC < len(p)-10 {
		t.Fatalf("only %d of %d flips reached the MAC check", byMAC, len(p))
	}
}

func TestVectorMACNegatives(t *testing.T) {
	t.Parallel()
	v := sample2()
	p := mustSignVector(t, v, keyA)
	s, err := ParseVector(p)
	if err != nil {
		t.Fatal(err)
	}
	// The same vector checked with another session's key.
	_, err = s.Verify(keyB)
	wantErr(t, err, ErrBadMAC, `vector 41 of session "s-12" of user "user7"`)

	// Fields rewritten by an attacker who does not hold the key: the MAC of
	// the original is kept, the field changed (lengths included).
	resign := func(mutate func(*Vector)) []byte {
		w := sample2()
		mutate(&w)
		q := mustSignVector(t, w, keyB)                          // any key: the MAC is replaced below
		return append(q[:len(q)-MACSize], p[len(p)-MACSize:]...) // the original MAC
	}
	for name, q := range map[string][]byte{
		"user":        resign(func(w *Vector) { w.User = "user8" }),
		"longer user": resign(func(w *Vector) { w.User = "user77" }),
		"session":     resign(func(w *Vector) { w.Session = "s-13" }),
		"seq":         resign(func(w *Vector) { w.Seq = 42 }),
		"sent":        resign(func(w *Vector) { w.Sent = w.Sent.Add(time.Nanosecond) }),
		"value":       resign(func(w *Vector) { w.Values[7] = math.Nextafter(w.Values[7], 10) }),
		"one less":    resign(func(w *Vector) { w.Values = w.Values[:38] }),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := ParseVector(q)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Verify(keyA)
			wantErr(t, err, ErrBadMAC, "vector")
		})
	}
	// A vector signed with session A's key presented as session B's:
	// whoever holds only A's key cannot speak for B.
	moved := sample2()
	moved.Session = "s-other"
	s, err = ParseVector(mustSignVector(t, moved, keyA))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(keyB); !errors.Is(err, ErrBadMAC) {
		t.Fatalf("vector signed with A's key verified with B's: %v", err)
	}
	// A zero SignedVector never verifies.
	if _, err := (SignedVector{}).Verify(keyA); !errors.Is(err, ErrMalformed) {
		t.Fatalf("zero SignedVector: %v", err)
	}
}

func TestParseVectorRejects(t *testing.T) {
	t.Parallel()
	good := mustSignVector(t, sample2(), keyA)
	withHeader := func(v, k byte) []byte { q := bytes.Clone(good); q[1], q[2] = v, k; return q }
	nan := sample2()
	nan.Values[4] = math.NaN()
	nanBytes := appendVectorBody(nil, nan, at.UnixNano())
	nanBytes = append(nanBytes, make([]byte, MACSize)...)
	inf := appendVectorBody(nil, Vector{User: "u", Session: "s", Values: []float64{math.Inf(-1)}}, 0)
	inf = append(inf, make([]byte, MACSize)...)
	ctl := appendVectorBody(nil, Vector{User: "u\x1b[31m", Session: "s"}, 0)
	ctl = append(ctl, make([]byte, MACSize)...)
	bad := appendVectorBody(nil, Vector{User: "u\xff", Session: "s"}, 0)
	bad = append(bad, make([]byte, MACSize)...)
	neg := appendVectorBody(nil, Vector{User: "u", Session: "s", Seq: -3}, 0)
	neg = append(neg, make([]byte, MACSize)...)
	v1 := encodeV1Vector(sample())
	for _, tc := range []struct {
		name string
		p    []byte
		is   error
		want string
	}{
		{"empty", nil, ErrMalformed, "empty message"},
		{"garbage", []byte("hello, world"), ErrMalformed, "not a mouseauth message"},
		{"version 1", v1, ErrVersion, "version 1"},
		{"version 3", withHeader(3, 'V'), ErrVersion, "version 3"},
		{"binary decision", withHeader(2, 'D'), ErrMalformed, "sends only vectors in binary"},
		{"header only", []byte{Magic, Version2, byte(KindVector)}, ErrMalformed, "truncated"},
		{"truncated", good[:len(good)-5], ErrMalformed, "values announced"},
		{"no MAC", good[:len(good)-MACSize], ErrMalformed, "values announced"},
		{"extra byte", append(bytes.Clone(good), 0), ErrMalformed, "values announced"},
		{"oversized", append(bytes.Clone(good), make([]byte, MaxVectorSize)...), ErrTooLarge, "at most"},
		{"NaN", nanBytes, ErrMalformed, "value 4 is NaN"},
		{"-Inf", inf, ErrMalformed, "value 0 is -Inf"},
		{"control character", ctl, ErrMalformed, "user has control character U+001B"},
		{"invalid UTF-8", bad, ErrMalformed, "user is not valid UTF-8"},
		{"negative seq", neg, ErrMalformed, "negative seq -3"},
		{"a decision", mustSignDecision(t, sampleDecision(), keyA), ErrMalformed, "a decision where a vector was expected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseVector(tc.p)
			wantErr(t, err, tc.is, tc.want)
		})
	}
	// Every prefix of a good vector is refused, none panics.
	for i := range good {
		if _, err := ParseVector(good[:i]); err == nil {
			t.Fatalf("prefix of %d bytes accepted", i)
		}
	}
}

func TestSignVectorRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*Vector)
		is     error
		want   string
	}{
		{"NaN", func(v *Vector) { v.Values[2] = math.NaN() }, ErrMalformed, "value 2 is NaN"},
		{"+Inf", func(v *Vector) { v.Values[0] = math.Inf(1) }, ErrMalformed, "value 0 is +Inf"},
		{"long user", func(v *Vector) { v.User = strings.Repeat("x", MaxName+1) }, ErrTooLarge, "user of 257 bytes"},
		{"no session", func(v *Vector) { v.Session = "" }, ErrMalformed, "session of 0 bytes"},
		{"too many values", func(v *Vector) { v.Values = make([]float64, MaxValues+1) }, ErrTooLarge, "1025 values"},
		{"negative seq", func(v *Vector) { v.Seq = -1 }, ErrMalformed, "negative seq"},
		{"zero time", func(v *Vector) { v.Sent = time.Time{} }, ErrMalformed, "sent 0001-01-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := sample2()
			tc.mutate(&v)
			dst := []byte("keep")
			out, err := SignVector(dst, v, keyA)
			wantErr(t, err, tc.is, tc.want)
			if string(out) != "keep" {
				t.Fatalf("SignVector changed dst on error: %q", out)
			}
		})
	}
}

func TestDecisionRoundTrip(t *testing.T) {
	t.Parallel()
	login := Decision{User: "user7", Session: "s-12", Seq: LoginSeq, Accept: true, Sent: at}
	refused := Decision{User: "user7", Session: "s-12", Seq: LoginSeq, Reason: "refused", Sent: at}
	alert := sampleDecision()
	alert.Accept, alert.Alert, alert.Closed, alert.Redelivered = false, true, true, true
	closed := sampleDecision()
	closed.Seq, closed.Accept, closed.Closed = 42, false, true
	for _, d := range []Decision{sampleDecision(), login, refused, alert, closed} {
		p := mustSignDecision(t, d, keyA)
		if !bytes.HasPrefix(p, []byte(`{"v":3,"kind":"decision",`)) || !json.Valid(p) || len(p) > MaxDecisionSize {
			t.Fatalf("not a plain version 3 JSON object of at most %d bytes: %s", MaxDecisionSize, p)
		}
		for _, member := range []string{"score", "mean", "window", "threshold", "model_version"} {
			if bytes.Contains(p, []byte(`"`+member+`"`)) {
				t.Fatalf("a version 3 decision tells the client its %s: %s", member, p)
			}
		}
		s, err := ParseDecision(p)
		if err != nil {
			t.Fatal(err)
		}
		if s.Version != Version3Decision || s.Legacy != nil {
			t.Fatalf("version %d, legacy %v", s.Version, s.Legacy)
		}
		got, err := s.Verify(keyA)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Sent.Equal(d.Sent) {
			t.Fatalf("sent %v, want %v", got.Sent, d.Sent)
		}
		got.Sent = d.Sent
		if got != d {
			t.Fatalf("round trip: %+v\nwant %+v", got, d)
		}
	}
}

// TestDecisionVersion2StillVerifies: a decision an older scorer wrote
// (version 2, with the score) decodes, verifies under its key, keeps what
// it told the client in Legacy, and refuses a tampered score.
func TestDecisionVersion2StillVerifies(t *testing.T) {
	l := sampleLegacy()
	p := mustSignLegacy(t, l, keyA)
	if !bytes.HasPrefix(p, []byte(`{"v":2,"kind":"decision",`)) || !bytes.Contains(p, []byte(`"score":0.71`)) {
		t.Fatalf("version 2 decision: %s", p)
	}
	s, err := ParseDecision(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != Version2 || s.Legacy == nil {
		t.Fatalf("version %d, legacy %v", s.Version, s.Legacy)
	}
	got := *s.Legacy
	got.Sent = l.Sent
	if got != l {
		t.Fatalf("legacy %+v, want %+v", got, l)
	}
	d, err := s.Verify(keyA)
	if err != nil {
		t.Fatal(err)
	}
	if d.Accept != l.Accept || d.Seq != l.Seq || d.Closed {
		t.Fatalf("version 2 decision as version 3's: %+v", d)
	}
	for name, edit := range map[string][2]string{
		"score":     {`"score":0.71`, `"score":0.72`},
		"mean":      {`"mean":0.64`, `"mean":0.65`},
		"window":    {`"window":10`, `"window":11`},
		"threshold": {`"threshold":0.5`, `"threshold":0.4`},
		"model":     {`"model_version":3`, `"model_version":4`},
		"accept":    {`"accept":true`, `"accept":false`},
	} {
		q := bytes.Replace(p, []byte(edit[0]), []byte(edit[1]), 1)
		s, err := ParseDecision(q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := s.Verify(keyA); !errors.Is(err, ErrBadMAC) {
			t.Errorf("version 2 decision with its %s changed verified: %v", name, err)
		}
	}
	// The version 2 MAC does not verify a version 3 decision of the same
	// fields (the labels differ).
	v3 := mustSignDecision(t, l.Decision(), keyA)
	var j struct{ MAC []byte }
	if err := json.Unmarshal(p, &j); err != nil {
		t.Fatal(err)
	}
	var k struct{ MAC []byte }
	if err := json.Unmarshal(v3, &k); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(j.MAC, k.MAC) {
		t.Fatal("versions 2 and 3 give the same MAC")
	}
}

func TestDecisionNegatives(t *testing.T) {
	t.Parallel()
	d := sampleDecision()
	p := mustSignDecision(t, d, keyA)
	s, err := ParseDecision(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(keyB); !errors.Is(err, ErrBadMAC) {
		t.Fatalf("decision verified with another session's key: %v", err)
	}
	refused := sampleDecision()
	refused.Accept = false
	r := mustSignDecision(t, refused, keyA)
	// A forger rewrites a field of a genuine decision and keeps its MAC.
	for name, edit := range map[string][3]string{
		"accept":      {"", `"accept":true`, `"accept":false`},
		"user":        {"", `"user":"user7"`, `"user":"user8"`},
		"session":     {"", `"session":"s-12"`, `"session":"s-13"`},
		"seq":         {"", `"seq":41`, `"seq":42`},
		"sent":        {"", `.123456789Z`, `.123456788Z`},
		"service_ns":  {"", `"service_ns":812345`, `"service_ns":1`},
		"redelivered": {"", `"redelivered":false`, `"redelivered":true`},
		"reason":      {"", `"reason":""`, `"reason":"x"`},
		"closed":      {"refused", `"closed":false`, `"closed":true`},
		"alert":       {"refused", `"alert":false,"closed":false`, `"alert":true,"closed":true`},
	} {
		t.Run(name, func(t *testing.T) {
			from := p
			if edit[0] == "refused" {
				from = r
			}
			q := bytes.Replace(from, []byte(edit[1]), []byte(edit[2]), 1)
			if bytes.Equal(q, from) {
				t.Fatalf("%s not in %s", edit[1], from)
			}
			s, err := ParseDecision(q)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Verify(keyA)
			wantErr(t, err, ErrBadMAC, "decision")
		})
	}
	// A genuine login decision moved to another seq or session.
	ld := mustSignDecision(t, Decision{User: "user7", Session: "s-12", Seq: LoginSeq, Accept: true, Sent: at}, keyA)
	for _, q := range [][]byte{
		bytes.Replace(ld, []byte(`"seq":-1`), []byte(`"seq":0`), 1),
		bytes.Replace(ld, []byte(`"session":"s-12"`), []byte(`"session":"s-99"`), 1),
	} {
		s, err := ParseDecision(q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(keyA); !errors.Is(err, ErrBadMAC) {
			t.Fatalf("moved login decision verified: %s", q)
		}
	}
	// A forged decision with no or a zero MAC.
	noMAC := bytes.Replace(p, p[bytes.Index(p, []byte(`"mac":`)):len(p)-1], []byte(`"mac":""`), 1)
	_, err = ParseDecision(noMAC)
	wantErr(t, err, ErrMalformed, "MAC of 0 bytes")
	if _, err := (SignedDecision{Unverified: d}).Verify(keyA); !errors.Is(err, ErrBadMAC) {
		t.Fatalf("zero MAC verified: %v", err)
	}
}

func TestDecisionCanonicalZero(t *testing.T) {
	t.Parallel()
	l := sampleLegacy()
	l.Score, l.Mean = math.Copysign(0, -1), math.Copysign(0, -1)
	p := mustSignLegacy(t, l, keyA)
	if bytes.Contains(p, []byte("-0")) {
		t.Fatalf("-0 sent: %s", p)
	}
	s, err := ParseDecision(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(keyA); err != nil {
		t.Fatal(err)
	}
	// A decoder that reads "-0" (as Go does) must still verify: the MAC
	// input writes -0 as +0.
	q := bytes.Replace(p, []byte(`"score":0,`), []byte(`"score":-0,`), 1)
	s, err = ParseDecision(q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(keyA); err != nil {
		t.Fatalf("-0 in the JSON: %v", err)
	}
}

func TestParseDecisionRejects(t *testing.T) {
	t.Parallel()
	p := mustSignDecision(t, sampleDecision(), keyA)
	repl := func(old, new string) []byte { return bytes.Replace(p, []byte(old), []byte(new), 1) }
	v2 := mustSignLegacy(t, sampleLegacy(), keyA)
	for _, tc := range []struct {
		name string
		p    []byte
		is   error
		want string
	}{
		{"version 1", encodeV1Decision(sampleLegacy()), ErrVersion, "version 1"},
		{"version 4", repl(`"v":3`, `"v":4`), ErrVersion, "version 4"},
		{"version as string", repl(`"v":3`, `"v":"3"`), ErrVersion, `version "3"`},
		{"no version", repl(`"v":3,`, ``), ErrMalformed, `without "v"`},
		{"no kind", bytes.Replace(v2, []byte(`"kind":"decision",`), nil, 1), ErrMalformed, `without "kind"`},
		{"unknown kind", bytes.Replace(v2, []byte(`"kind":"decision"`), []byte(`"kind":"verdict"`), 1), ErrMalformed, `unknown kind "verdict"`},
		{"version 3 without kind", repl(`"kind":"decision",`, ``), ErrVersion, `version 3`},
		{"an alert", mustMarshalAlert(t), ErrMalformed, "an alert where a decision was expected"},
		{"a vector", mustSignVector(t, sample2(), keyA), ErrMalformed, "a vector where a decision was expected"},
		{"unknown field", repl(`"accept":true`, `"accept":true,"admin":true`), ErrMalformed, `unknown field "admin"`},
		{"a score in version 3", repl(`"accept":true`, `"accept":true,"score":0.9`), ErrMalformed, `unknown field "score"`},
		{"version 2 members as version 3", bytes.Replace(v2, []byte(`"v":2`), []byte(`"v":3`), 1), ErrMalformed, `unknown field "score"`},
		{"version 3 members as version 2", repl(`"v":3`, `"v":2`), ErrMalformed, `unknown field "closed"`},
		{"trailing data", append(bytes.Clone(p), []byte(`{}`)...), ErrMalformed, "after top-level value"},
		{"truncated", p[:len(p)-2], ErrMalformed, "JSON"},
		{"oversized", append(bytes.Clone(p), bytes.Repeat([]byte(" "), MaxDecisionSize)...), ErrTooLarge, "at most 4096"},
		{"huge number", repl(`"service_ns":812345`, `"service_ns":1e999`), ErrMalformed, "decision"},
		{"string number", repl(`"service_ns":812345`, `"service_ns":"1"`), ErrMalformed, "decision"},
		{"version 2 NaN string", bytes.Replace(v2, []byte(`"score":0.71`), []byte(`"score":"NaN"`), 1), ErrMalformed, "decision"},
		{"seq -2", repl(`"seq":41`, `"seq":-2`), ErrMalformed, "seq -2"},
		{"closed and accepted", repl(`"closed":false`, `"closed":true`), ErrMalformed, "accepts nothing"},
		{"control character", repl(`"user":"user7"`, `"user":"user\u0007"`), ErrMalformed, "control character U+0007"},
		{"year 9999", repl(`"sent":"2026`, `"sent":"9999`), ErrMalformed, "outside 1677-09-21..2262-04-11"},
		{"short MAC", repl(`"mac":"`, `"mac":"AAAA`), ErrMalformed, "decision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDecision(tc.p)
			wantErr(t, err, tc.is, tc.want)
		})
	}
}

func TestSignDecisionRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*Decision)
		want   string
	}{
		{"alert without closing", func(d *Decision) { d.Accept, d.Alert = false, true }, "closes the session"},
		{"closed and accepted", func(d *Decision) { d.Closed = true }, "accepts nothing"},
		{"negative service time", func(d *Decision) { d.ServiceNanos = -1 }, "negative service time"},
		{"zero sent", func(d *Decision) { d.Sent = time.Time{} }, "sent 0001-01-01"},
		{"seq -2", func(d *Decision) { d.Seq = -2 }, "seq -2"},
		{"long reason", func(d *Decision) { d.Reason = strings.Repeat("r", MaxName+1) }, "reason of 257 bytes"},
		{"newline in reason", func(d *Decision) { d.Reason = "a\nb" }, "reason has control character U+000A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := sampleDecision()
			tc.mutate(&d)
			_, err := SignDecision(d, keyA)
			wantErr(t, err, ErrMalformed, tc.want)
		})
	}
	l := sampleLegacy()
	l.Score = math.NaN()
	if _, err := signDecisionV2(l, keyA); err == nil || !strings.Contains(err.Error(), "score is NaN") {
		t.Errorf("version 2 with a NaN score: %v", err)
	}
}

func sampleAlert() Alert {
	return Alert{User: "user7", Session: "s-12", Seq: 9, Policy: "decide/1 rule=sequential n=10 agg=logodds threshold=0.5 bias=0.25",
		Statistic: -4.25, Score: 0.03, Flags: "novel", ModelVersion: 2, At: at}
}

func mustMarshalAlert(t testing.TB) []byte {
	t.Helper()
	p, err := MarshalAlert(sampleAlert())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAlertRoundTrip(t *testing.T) {
	t.Parallel()
	a := sampleAlert()
	p := mustMarshalAlert(t)
	if !bytes.HasPrefix(p, []byte(`{"v":3,"kind":"alert",`)) || len(p) > MaxAlertSize {
		t.Fatalf("alert: %s", p)
	}
	got, err := ParseAlert(p)
	if err != nil || !got.At.Equal(a.At) {
		t.Fatalf("alert: %+v %v", got, err)
	}
	got.At, a.Version = a.At, Version3
	if got != a {
		t.Fatalf("alert: %+v, want %+v", got, a)
	}
	old := Alert{User: "user7", Session: "s-12", Seq: 9, Mean: 0.2, Threshold: 0.5, Window: 10, At: at}
	q, err := marshalAlertV2(old)
	if err != nil {
		t.Fatal(err)
	}
	got, err = ParseAlert(q)
	if err != nil {
		t.Fatal(err)
	}
	got.At, old.Version = old.At, Version2
	if got != old {
		t.Fatalf("version 2 alert: %+v, want %+v", got, old)
	}
	_, err = ParseAlert(encodeV1Alert(old))
	wantErr(t, err, ErrVersion, "version 1")
	_, err = ParseAlert(mustSignDecision(t, sampleDecision(), keyA))
	wantErr(t, err, ErrMalformed, "a decision where an alert")
	_, err = ParseAlert(bytes.Replace(p, []byte(`"v":3`), []byte(`"v":2`), 1))
	wantErr(t, err, ErrMalformed, `unknown field "policy"`)
	bad := a
	bad.Statistic = math.NaN()
	_, err = MarshalAlert(bad)
	wantErr(t, err, ErrMalformed, "statistic is NaN")
	bad = a
	bad.Flags = "a\nb"
	_, err = MarshalAlert(bad)
	wantErr(t, err, ErrMalformed, "control character")
}

func TestDeadLetterAlwaysFits(t *testing.T) {
	t.Parallel()
	ctl := strings.Repeat("\x01", 1<<20)
	for _, tc := range []struct {
		name string
		x    DeadLetter
	}{
		{"small", DeadLetter{Topic: "mouseauth.features", Partition: 3, Offset: 77, Key: "user7", Class: "bad mac", Reason: "bad MAC: vector 3", Value: []byte{0, 1, 255}, At: at}},
		{"900 KB vector", DeadLetter{Topic: "mouseauth.features", Key: "user7", Class: "too large", Reason: "too large", Value: bytes.Repeat([]byte{0xAB}, 900<<10), At: at}},
		// Every text field at its worst: control characters escape to six bytes each.
		{"worst case", DeadLetter{Topic: ctl, Partition: math.MaxInt, Offset: math.MinInt64, Key: ctl, Class: ctl, Reason: ctl,
			Value: bytes.Repeat([]byte{0xff}, 1<<20), KeySize: math.MaxInt, At: time.Unix(0, math.MinInt64)}},
		{"invalid UTF-8", DeadLetter{Topic: "\xff\xfe", Key: "\xff", Class: "\xc3", Reason: strings.Repeat("\xe2\x82", 4000), Value: nil, At: at}},
		{"zero time", DeadLetter{Reason: "r"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := MarshalDeadLetter(tc.x)
			if len(p) > MaxDeadLetterSize {
				t.Fatalf("dead letter of %d bytes exceeds %d", len(p), MaxDeadLetterSize)
			}
			if !bytes.HasPrefix(p, []byte(`{"v":2,"kind":"dead_letter",`)) {
				t.Fatalf("dead letter: %.80s", p)
			}
			x, err := ParseDeadLetter(p)
			if err != nil {
				t.Fatalf("dead letter does not decode: %v", err)
			}
			orig := tc.x.Value
			if x.Size != len(orig) || x.SHA256 != sha256.Sum256(orig) {
				t.Fatalf("size %d hash %x, want %d %x", x.Size, x.SHA256, len(orig), sha256.Sum256(orig))
			}
			if !bytes.HasPrefix(orig, x.Value) || len(x.Value) != min(len(orig), MaxDeadLetterValue) || x.Truncated() != (len(orig) > MaxDeadLetterValue) {
				t.Fatalf("kept %d bytes of %d, truncated %v", len(x.Value), len(orig), x.Truncated())
			}
			if x.KeySize < len(tc.x.Key) || !strings.HasPrefix(tc.x.Key, x.Key) {
				t.Fatalf("key size %d, key %q", x.KeySize, x.Key)
			}
			// Sent on again (a dead letter of a dead letter), it keeps the
			// original's size and hash.
			again, err := ParseDeadLetter(MarshalDeadLetter(x))
			if err != nil || again.Size != x.Size || again.SHA256 != x.SHA256 {
				t.Fatalf("re-encoded: %v size %d", err, again.Size)
			}
		})
	}
	p := MarshalDeadLetter(DeadLetter{Value: []byte("abc"), At: at})
	for _, tc := range []struct {
		name, old, new string
		want           string
	}{
		{"hash of untruncated value", `"sha256":"ba`, `"sha256":"bb`, "does not match"},
		{"truncated flag", `"truncated":false`, `"truncated":true`, "truncated=true"},
		{"size below kept", `"size":3`, `"size":2`, "size 2 below"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := bytes.Replace(p, []byte(tc.old), []byte(tc.new), 1)
			if bytes.Equal(p, q) {
				t.Fatalf("%s not in %s", tc.old, p)
			}
			_, err := ParseDeadLetter(q)
			wantErr(t, err, ErrMalformed, tc.want)
		})
	}
	_, err := ParseDeadLetter(encodeV1DeadLetter(DeadLetter{Value: []byte("abc")}))
	wantErr(t, err, ErrVersion, "version 1")
}

// TestDeadLoginKeepsNoBytes: a v1 login (clear password) dead-lettered
// WithoutValue keeps its size and hash, not the password.
func TestDeadLoginKeepsNoBytes(t *testing.T) {
	t.Parallel()
	v1 := encodeV1Login(Login{User: "u", Session: "s", Password: "hunter2-secret"})
	p := MarshalDeadLetter(DeadLetter{Topic: "mouseauth.logins", Key: "u", Class: "version", Reason: "version 1", Value: v1, At: at}.WithoutValue())
	if bytes.Contains(p, []byte("hunter2")) || bytes.Contains(p, []byte("aHVudGVyMi")) {
		t.Fatalf("the dead letter shows the password: %s", p)
	}
	x, err := ParseDeadLetter(p)
	if err != nil || len(x.Value) != 0 || x.Size != len(v1) || x.SHA256 != sha256.Sum256(v1) || !x.Truncated() {
		t.Fatalf("dead login: %+v %v", x, err)
	}
}

func TestLoginSealOpen(t *testing.T) {
	t.Parallel()
	scorer := fixedKey(t, "scorer")
	for _, l := range []Login{
		sampleLogin(),
		{User: "émilie", Session: "9f1c", Client: "", Password: "", Sent: time.Unix(0, 0)},
		{User: "u", Session: "s", Password: strings.Repeat("p", MaxPassword), Sent: at},
		{User: "u", Session: "s", Password: "pä\x00ss\xff", Sent: at},
	} {
		p, key := mustSeal(t, scorer.Public(), l)
		if len(p) > MaxLoginSize || !bytes.HasPrefix(p, []byte(`{"v":2,"kind":"login",`)) {
			t.Fatalf("login of %d bytes: %.60s", len(p), p)
		}
		if l.Password != "" && bytes.Contains(p, []byte(l.Password)) {
			t.Fatalf("the password is readable in the login: %s", p)
		}
		s, err := ParseLogin(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := OpenLogin(s, fixedKey(t, "old scorer"), scorer)
		if err != nil {
			t.Fatal(err)
		}
		if got.Key != key || key.IsZero() {
			t.Fatal("the opened session key differs from the sealed one")
		}
		if !got.Sent.Equal(l.Sent) {
			t.Fatalf("sent %v, want %v", got.Sent, l.Sent)
		}
		got.Sent, got.Key = l.Sent, SessionKey{}
		if got != l {
			t.Fatalf("opened %+v, want %+v", got, l)
		}
	}
	// Two seals of one login differ and carry different keys.
	p1, k1 := mustSeal(t, scorer.Public(), sampleLogin())
	p2, k2 := mustSeal(t, scorer.Public(), sampleLogin())
	if bytes.Equal(p1, p2) || k1 == k2 {
		t.Fatal("two seals are equal")
	}
}

// TestLoginPaddingHidesLength: passwords of 0 to 30 bytes give logins of
// one size.
func TestLoginPaddingHidesLength(t *testing.T) {
	t.Parallel()
	scorer := fixedKey(t, "scorer")
	sizes := map[int]bool{}
	for n := 0; n <= 30; n++ {
		l := sampleLogin()
		l.Password = strings.Repeat("x", n)
		p, _ := mustSeal(t, scorer.Public(), l)
		sizes[len(p)] = true
	}
	if len(sizes) != 1 {
		t.Fatalf("login sizes %v for passwords of 0..30 bytes", sizes)
	}
}

func TestLoginNegatives(t *testing.T) {
	t.Parallel()
	scorer, other := fixedKey(t, "scorer"), fixedKey(t, "other scorer")
	p, _ := mustSeal(t, scorer.Public(), sampleLogin())
	open := func(q []byte, keys ...*PrivateKey) error {
		s, err := ParseLogin(q)
		if err != nil {
			return err
		}
		_, err = OpenLogin(s, keys...)
		return err
	}
	repl := func(old, new string) []byte {
		q := bytes.Replace(p, []byte(old), []byte(new), 1)
		if bytes.Equal(p, q) {
			t.Fatalf("%s not in %s", old, p)
		}
		return q
	}
	var j loginJSON
	if err := json.Unmarshal(p, &j); err != nil {
		t.Fatal(err)
	}
	p2, _ := mustSeal(t, scorer.Public(), Login{User: "mallory", Session: "m-1", Password: "x", Sent: at})
	var j2 loginJSON
	if err := json.Unmarshal(p2, &j2); err != nil {
		t.Fatal(err)
	}
	withSealed := func(enc, ct []byte) []byte {
		k := j
		k.Enc, k.CT = enc, ct
		q, err := marshalJSON(k)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 1; return b }
	for _, tc := range []struct {
		name string
		p    []byte
		keys []*PrivateKey
		is   error
		want string
	}{
		{"moved to another user", repl(`"user":"user7"`, `"user":"admin"`), nil, ErrBadSeal, `user "admin"`},
		{"moved to another session", repl(`"session":"s-12"`, `"session":"s-13"`), nil, ErrBadSeal, "does not open"},
		{"another client", repl(`"client":"10.1.2.3:4000"`, `"client":"10.6.6.6:1"`), nil, ErrBadSeal, "does not open"},
		{"another send time", repl(`.123456789Z`, `.123456780Z`), nil, ErrBadSeal, "does not open"},
		{"another user's sealed part", withSealed(j2.Enc, j2.CT), nil, ErrBadSeal, "does not open"},
		{"tampered enc", withSealed(flip(j.Enc, 5), j.CT), nil, ErrBadSeal, "does not open"},
		{"tampered ct", withSealed(j.Enc, flip(j.CT, 40)), nil, ErrBadSeal, "does not open"},
		{"low-order enc", withSealed(make([]byte, 32), j.CT), nil, ErrBadSeal, "does not open"},
		{"wrong scorer key", p, []*PrivateKey{other}, ErrUnknownKey, "this scorer holds " + other.ID().String()},
		{"no scorer key", p, []*PrivateKey{}, ErrUnknownKey, "sealed to scorer key " + scorer.ID().String()},
		{"key id of another key", repl(scorer.ID().String(), other.ID().String()), []*PrivateKey{other}, ErrBadSeal, "does not open"},
		{"version 1", encodeV1Login(sampleLogin()), nil, ErrVersion, "version 1"},
		{"version 4", repl(`"v":2`, `"v":4`), nil, ErrVersion, "version 4"},
		{"a decision", mustSignDecision(t, sampleDecision(), keyA), nil, ErrMalformed, "a decision where a login"},
		{"short enc", withSealed(j.Enc[:31], j.CT), nil, ErrMalformed, "enc of 31 bytes"},
		{"truncated ct", withSealed(j.Enc, j.CT[:len(j.CT)-1]), nil, ErrMalformed, "ct of 79 bytes"},
		{"bad kid", repl(`"kid":"`, `"kid":"zz`), nil, ErrMalformed, "key id"},
		{"password field", repl(`"client"`, `"password":"x","client"`), nil, ErrMalformed, `unknown field "password"`},
		{"truncated", p[:len(p)-1], nil, ErrMalformed, "JSON"},
		{"oversized", append(bytes.Clone(p), bytes.Repeat([]byte(" "), MaxLoginSize)...), nil, ErrTooLarge, "at most 8192"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := tc.keys
			if keys == nil {
				keys = []*PrivateKey{scorer}
			}
			wantErr(t, open(tc.p, keys...), tc.is, tc.want)
		})
	}
	if _, err := OpenLogin(SealedLogin{}, scorer); !errors.Is(err, ErrMalformed) {
		t.Fatalf("zero SealedLogin: %v", err)
	}
	for _, tc := range []struct {
		name string
		l    Login
		is   error
		want string
	}{
		{"long password", Login{User: "u", Session: "s", Password: strings.Repeat("p", MaxPassword+1), Sent: at}, ErrTooLarge, "password of 1025 bytes"},
		{"no user", Login{Session: "s", Sent: at}, ErrMalformed, "user of 0 bytes"},
		{"zero time", Login{User: "u", Session: "s"}, ErrMalformed, "sent 0001-01-01"},
		{"newline in client", Login{User: "u", Session: "s", Client: "a\nb", Sent: at}, ErrMalformed, "client has control character"},
	} {
		t.Run("seal "+tc.name, func(t *testing.T) {
			_, _, err := SealLoginV2(scorer.Public(), tc.l)
			wantErr(t, err, tc.is, tc.want)
		})
	}
}

// TestOpenLoginPayload seals payloads a conforming client would not send:
// they open, and are refused as malformed.
func TestOpenLoginPayload(t *testing.T) {
	t.Parallel()
	scorer := fixedKey(t, "scorer")
	l := sampleLogin()
	for _, tc := range []struct {
		name string
		pt   func() []byte
		want string
	}{
		{"password longer than the payload", func() []byte { b := loginPlaintext(keyA, "pw"); b[33] = 200; return b }, "sealed password of 200 bytes in a payload of 64"},
		{"password over the limit", func() []byte { b := loginPlaintext(keyA, "pw"); b[32], b[33] = 0xff, 0xff; return b }, "sealed password of 65535 bytes"},
		{"non-zero padding", func() []byte { b := loginPlaintext(keyA, "pw"); b[63] = 1; return b }, "padding is not zeros"},
		{"too much padding", func() []byte { return append(loginPlaintext(keyA, "pw"), make([]byte, 64)...) }, "padded beyond"},
		{"zero session key", func() []byte { return loginPlaintext(SessionKey{}, "pw") }, "all-zero session key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sealRaw(t, scorer.Public(), l, tc.pt())
			s, err := ParseLogin(p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = OpenLogin(s, scorer)
			wantErr(t, err, ErrMalformed, tc.want)
		})
	}
}

// sealRaw seals the plaintext pt as l's login, like a non-conforming client.
func sealRaw(t *testing.T, pub *PublicKey, l Login, pt []byte) []byte {
	t.Helper()
	kdf, aead := suite()
	enc, s, err := hpke.NewSender(pub.pk, kdf, aead, []byte(HPKEInfo))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := s.Seal(loginAAD(Version2, pub.ID(), l.User, l.Session, l.Client, l.Sent.UnixNano()), pt)
	if err != nil {
		t.Fatal(err)
	}
	p, err := marshalJSON(loginJSON{V: Version2, Kind: kindNameLogin, User: l.User, Session: l.Session, Client: l.Client,
		Sent: l.Sent.UTC(), KeyID: pub.ID().String(), Enc: enc, CT: ct})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSecretsStayHidden(t *testing.T) {
	t.Parallel()
	scorer := fixedKey(t, "scorer")
	p, key := mustSeal(t, scorer.Public(), sampleLogin())
	s, err := ParseLogin(p)
	if err != nil {
		t.Fatal(err)
	}
	l, err := OpenLogin(s, scorer)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("login", "login", l, "key", key, "scorer", scorer)
	secrets := []string{"correct horse", fmt.Sprintf("%x", key[:]), fmt.Sprintf("%x", key[:4]), fmt.Sprint(key[:4])}
	secrets = append(secrets, fmt.Sprintf("%x", scorer.priv.Bytes()[:8]))
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s %x", l, l, l, l, l), fmt.Sprintf("%v %+v %#v %s %x %q", key, key, key, key, key, key),
		fmt.Sprintf("%v %+v %s", scorer, scorer, scorer), logged.String()} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("a secret (%q) is shown: %s", s, out)
			}
		}
	}
}

func TestKeyFiles(t *testing.T) {
	t.Parallel()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := MarshalPrivateKey(k), MarshalPublicKey(k.Public())
	if !bytes.HasPrefix(priv, []byte("-----BEGIN PRIVATE KEY-----\n")) || !bytes.HasPrefix(pub, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Fatalf("PEM: %s\n%s", priv, pub)
	}
	k2, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ID() != k.ID() || p2.ID() != k.ID() || !p2.Equal(k.Public()) {
		t.Fatal("key ids differ after a round trip")
	}
	// A login sealed to the parsed public key opens with the parsed private key.
	msg, key := mustSeal(t, p2, sampleLogin())
	s, err := ParseLogin(msg)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := OpenLogin(s, k2); err != nil || l.Key != key {
		t.Fatalf("open with the parsed key: %v", err)
	}

	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKIXPublicKey(ed)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	p256, _ := ecdh.P256().GenerateKey(rand.Reader)
	p256DER, _ := x509.MarshalPKCS8PrivateKey(p256)
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	for _, tc := range []struct {
		name string
		p    []byte
		priv bool
		want string
	}{
		{"garbage", []byte("not a key"), false, "no PEM block"},
		{"private as public", priv, false, `a PEM "PRIVATE KEY" block, want "PUBLIC KEY"`},
		{"public as private", pub, true, `a PEM "PUBLIC KEY" block, want "PRIVATE KEY"`},
		{"ed25519 public", pemOf("PUBLIC KEY", edDER), false, "want an X25519 key"},
		{"ecdsa private", pemOf("PRIVATE KEY", ecDER), true, "want an X25519 key"},
		{"P-256 ecdh private", pemOf("PRIVATE KEY", p256DER), true, "want an X25519 key"},
		{"truncated DER", pemOf("PUBLIC KEY", edDER[:10]), false, "scorer public key"},
		{"trailing data", append(bytes.Clone(pub), "x"...), false, "data after the PEM block"},
		{"headers", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"a": "b"}, Bytes: edDER}), false, "headers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.priv {
				_, err = ParsePrivateKey(tc.p)
			} else {
				_, err = ParsePublicKey(tc.p)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	scorer := fixedKey(t, "scorer")
	login, _ := mustSeal(t, scorer.Public(), sampleLogin())
	for _, tc := range []struct {
		p    []byte
		want Kind
	}{
		{mustSignVector(t, sample2(), keyA), KindVector},
		{login, KindLogin},
		{mustSignDecision(t, sampleDecision(), keyA), KindDecision},
		{mustMarshalAlert(t), KindAlert},
		{MarshalDeadLetter(DeadLetter{}), KindDeadLetter},
	} {
		if k, err := KindOf(tc.p); err != nil || k != tc.want {
			t.Errorf("KindOf(%.30q) = %v, %v; want %v", tc.p, k, err, tc.want)
		}
	}
	for _, p := range [][]byte{encodeV1Login(sampleLogin()), encodeV1Vector(sample()), encodeV1Decision(sampleLegacy()),
		encodeV1Alert(Alert{}), encodeV1DeadLetter(DeadLetter{})} {
		_, err := KindOf(p)
		wantErr(t, err, ErrVersion, "version 1")
	}
}

func TestErrorClass(t *testing.T) {
	t.Parallel()
	for want, err := range map[string]error{
		"version":     versionError("1"),
		"too large":   tooLarge("x"),
		"malformed":   malformed("x"),
		"bad mac":     badMAC("x"),
		"bad seal":    errorf(ErrBadSeal, "x"),
		"unknown key": errorf(ErrUnknownKey, "x"),
		"error":       errors.New("x"),
	} {
		if got := ErrorClass(err); got != want {
			t.Errorf("ErrorClass(%v) = %q, want %q", err, got, want)
		}
	}
	if !errors.Is(tooLarge("x"), ErrMalformed) {
		t.Error("an oversized message is not also malformed")
	}
}

func TestRoundTripKeepsVector(t *testing.T) {
	t.Parallel()
	v := sample2()
	s, err := ParseVector(mustSignVector(t, v, keyA))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Verify(keyA)
	got.Sent = v.Sent
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("%+v\nwant %+v", got, v)
	}
}

// TestDecisionMACInputSize: decisionMAC sizes its buffer with
// decisionMACInputSize, which must match what is appended.
func TestDecisionMACInputSize(t *testing.T) {
	t.Parallel()
	refused := sampleDecision()
	refused.Seq, refused.Accept, refused.Reason = LoginSeq, false, "refused: a reason of some length"
	for _, d := range []Decision{sampleDecision(), refused, {User: "u", Session: "s"}} {
		if got, want := len(appendDecisionMACInput(nil, d)), decisionMACInputSize(d); got != want {
			t.Errorf("%+v: %d bytes of MAC input, decisionMACInputSize says %d", d, got, want)
		}
	}
}
