package wire

import (
	"bytes"
	"crypto/sha256"
	"math"
	"testing"
	"time"
)

// Fuzz targets for every version 2 decoder. Run one with e.g.
//
//	go test ./live/wire -run '^$' -fuzz '^FuzzParseVector$' -fuzztime 1m
//
// Each checks that no input panics and that whatever a decoder accepts
// re-encodes to the same values (the encoders accept all the decoders do).

func FuzzKindOf(f *testing.F) {
	f.Add(mustSignVector(f, sample2(), keyA))
	f.Add(mustSignDecision(f, sampleDecision(), keyA))
	f.Add([]byte(`{"v":2,"kind":"alert"}`))
	f.Add([]byte(`{"v":1}`))
	f.Add(encodeV1Login(sampleLogin()))
	f.Fuzz(func(t *testing.T, p []byte) {
		k, err := KindOf(p)
		if err != nil {
			return
		}
		if (k == KindVector) != (p[0] == Magic) {
			t.Fatalf("kind %v for a message starting %q", k, p[0])
		}
	})
}

func FuzzParseVector(f *testing.F) {
	f.Add(mustSignVector(f, sample2(), keyA))
	f.Add(mustSignVector(f, Vector{User: "é", Session: "s", Sent: time.Unix(0, -1), Values: []float64{math.Copysign(0, -1)}}, keyB))
	f.Add(encodeV1Vector(sample()))
	f.Add([]byte{Magic, Version2, byte(KindVector), 0, 1, 'u'})
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := ParseVector(p)
		if err != nil {
			return
		}
		v := s.Unverified
		if _, err := s.Verify(keyA); err == nil && !bytes.Equal(p, mustSignVector(t, v, keyA)) {
			t.Fatal("a vector that verifies differs from its canonical encoding")
		}
		// The decoder accepted it, so the encoder must, and to the same bytes.
		q, err := SignVector(nil, v, keyA)
		if err != nil {
			t.Fatalf("a decoded vector does not encode: %v", err)
		}
		if !bytes.Equal(q[:len(q)-MACSize], p[:len(p)-MACSize]) {
			t.Fatalf("re-encoding changed the vector:\n%x\n%x", p, q)
		}
	})
}

func FuzzParseDecision(f *testing.F) {
	f.Add(mustSignDecision(f, sampleDecision(), keyA))
	f.Add(mustSignDecision(f, Decision{User: "u", Session: "s", Seq: LoginSeq, Reason: "refused", Sent: time.Unix(0, 0)}, keyB))
	f.Add(mustSignLegacy(f, sampleLegacy(), keyA))
	f.Add(encodeV1Decision(sampleLegacy()))
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := ParseDecision(p)
		if err != nil {
			return
		}
		if s.Version == Version2 {
			l := *s.Legacy
			q, err := signDecisionV2(l, keyA)
			if err != nil {
				t.Fatalf("a decoded version 2 decision does not encode: %v", err)
			}
			s2, err := ParseDecision(q)
			if err != nil || s2.Legacy == nil {
				t.Fatalf("a re-encoded version 2 decision does not decode: %v", err)
			}
			if _, err := s2.Verify(keyA); err != nil {
				t.Fatal(err)
			}
			got := *s2.Legacy
			got.Sent, l.Sent = got.Sent.UTC(), l.Sent.UTC()
			l.Score, l.Mean, l.Threshold = canonicalZero(l.Score), canonicalZero(l.Mean), canonicalZero(l.Threshold)
			if got != l {
				t.Fatalf("re-encoding changed the decision: %+v\n%+v", got, l)
			}
			return
		}
		d := s.Unverified
		q, err := SignDecision(d, keyA)
		if err != nil {
			t.Fatalf("a decoded decision does not encode: %v", err)
		}
		s2, err := ParseDecision(q)
		if err != nil {
			t.Fatalf("a re-encoded decision does not decode: %v", err)
		}
		got, err := s2.Verify(keyA)
		if err != nil {
			t.Fatal(err)
		}
		got.Sent, d.Sent = got.Sent.UTC(), d.Sent.UTC()
		if got != d {
			t.Fatalf("re-encoding changed the decision: %+v\n%+v", got, d)
		}
	})
}

func FuzzParseLogin(f *testing.F) {
	k := fixedKey(f, "scorer")
	p, _ := mustSeal(f, k.Public(), sampleLogin())
	f.Add(p)
	f.Add(encodeV1Login(sampleLogin()))
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := ParseLogin(p)
		if err != nil {
			return
		}
		l, err := OpenLogin(s, k)
		if err != nil {
			return
		}
		if len(l.Password) > MaxPassword || l.Key.IsZero() || l.User != s.User || l.Session != s.Session {
			t.Fatalf("opened an invalid login: %v", l)
		}
	})
}

// FuzzOpenLogin seals arbitrary payloads (as a hostile client holding the
// public key can) and opens them.
func FuzzOpenLogin(f *testing.F) {
	k := fixedKey(f, "scorer")
	f.Add(loginPlaintext(keyA, "pw"))
	f.Add(loginPlaintext(keyA, string(make([]byte, 100))))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, pt []byte) {
		s, err := ParseLogin(sealRaw(t, k.Public(), sampleLogin(), pt))
		if err != nil {
			return // a payload size no client sends
		}
		l, err := OpenLogin(s, k)
		if err != nil {
			return
		}
		if !bytes.Equal(pt, loginPlaintext(l.Key, l.Password)) {
			t.Fatalf("accepted a non-canonical payload %x", pt)
		}
	})
}

func FuzzParseAlert(f *testing.F) {
	f.Add(mustMarshalAlert(f))
	if p, err := marshalAlertV2(Alert{User: "u", Session: "s", Mean: 0.2, At: at}); err == nil {
		f.Add(p)
	}
	f.Add(encodeV1Alert(Alert{}))
	f.Fuzz(func(t *testing.T, p []byte) {
		a, err := ParseAlert(p)
		if err != nil {
			return
		}
		q, err := MarshalAlert(a)
		if err != nil {
			t.Fatalf("a decoded alert does not encode: %v", err)
		}
		b, err := ParseAlert(q)
		if err != nil || !b.At.Equal(a.At) {
			t.Fatalf("re-encoded alert: %v", err)
		}
	})
}

func FuzzParseDeadLetter(f *testing.F) {
	f.Add(MarshalDeadLetter(DeadLetter{Topic: "t", Key: "k", Reason: "r", Class: "c", Value: []byte{1, 2}, At: at}))
	f.Add(MarshalDeadLetter(DeadLetter{Value: make([]byte, MaxDeadLetterValue+1)}))
	f.Add(encodeV1DeadLetter(DeadLetter{}))
	f.Fuzz(func(t *testing.T, p []byte) {
		x, err := ParseDeadLetter(p)
		if err != nil {
			return
		}
		y, err := ParseDeadLetter(MarshalDeadLetter(x))
		if err != nil {
			t.Fatalf("a decoded dead letter does not re-encode: %v", err)
		}
		if y.Size != x.Size || y.SHA256 != x.SHA256 || !bytes.Equal(y.Value, x.Value) || y.Key != x.Key || y.Reason != x.Reason {
			t.Fatalf("re-encoding changed the dead letter: %+v\n%+v", x, y)
		}
	})
}

// FuzzMarshalDeadLetter: whatever the service puts in a dead letter, it
// fits and decodes.
func FuzzMarshalDeadLetter(f *testing.F) {
	f.Add("mouseauth.features", "user7", "bad mac", "bad MAC", []byte{1}, 3, int64(7), int64(0))
	f.Add("\x00\xff", "\xff", "\x01", "\"\\<>&\u2028", make([]byte, 5000), -1, int64(-1), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, topic, key, class, reason string, value []byte, partition int, offset, atNs int64) {
		p := MarshalDeadLetter(DeadLetter{Topic: topic, Key: key, Class: class, Reason: reason, Value: value,
			Partition: partition, Offset: offset, At: time.Unix(0, atNs)})
		if len(p) > MaxDeadLetterSize {
			t.Fatalf("dead letter of %d bytes", len(p))
		}
		x, err := ParseDeadLetter(p)
		if err != nil {
			t.Fatalf("dead letter does not decode: %v", err)
		}
		if x.Size != len(value) || x.SHA256 != sha256.Sum256(value) || !bytes.HasPrefix(value, x.Value) || x.Partition != partition || x.Offset != offset {
			t.Fatalf("dead letter lost its facts: %+v", x)
		}
	})
}

func FuzzParseKeys(f *testing.F) {
	k := fixedKey(f, "scorer")
	f.Add(MarshalPublicKey(k.Public()))
	f.Add(MarshalPrivateKey(k))
	f.Fuzz(func(t *testing.T, p []byte) {
		if pub, err := ParsePublicKey(p); err == nil && len(pub.Bytes()) != 32 {
			t.Fatal("public key of the wrong size")
		}
		if priv, err := ParsePrivateKey(p); err == nil {
			again, err := ParsePrivateKey(MarshalPrivateKey(priv))
			if err != nil || again.ID() != priv.ID() {
				t.Fatalf("a parsed private key does not survive a round trip: %v", err)
			}
		}
	})
}
