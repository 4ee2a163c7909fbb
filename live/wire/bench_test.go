package wire

import (
	"encoding/json"
	"testing"
)

// The cost of version 2 per login and per vector. Run with
//
//	go test ./live/wire -run '^$' -bench . -benchmem

func BenchmarkSealLogin(b *testing.B) {
	pub := fixedKey(b, "scorer").Public()
	l := sampleLogin()
	id := newTestSigner(b, "ws1")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := SealLogin(pub, l, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenLogin is the scorer's cost per login: decode and open.
func BenchmarkOpenLogin(b *testing.B) {
	k := fixedKey(b, "scorer")
	p, _ := mustSeal(b, k.Public(), sampleLogin())
	b.ReportAllocs()
	for b.Loop() {
		s, err := ParseLogin(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := OpenLogin(s, k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVectorMAC is the HMAC-SHA256 alone, over a 39-value vector.
func BenchmarkVectorMAC(b *testing.B) {
	p := mustSignVector(b, sample2(), keyA)
	body := p[:len(p)-MACSize]
	var buf [MACSize]byte
	b.Run("sign", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			appendVectorMAC(buf[:0], body, keyA)
		}
	})
	s, err := ParseVector(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := s.Verify(keyA); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSignVector is the client's cost per vector: encode and MAC.
func BenchmarkSignVector(b *testing.B) {
	v := sample2()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = SignVector(buf[:0], v, keyA); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVerifyVector is the scorer's cost per vector: decode and
// verify the MAC.
func BenchmarkParseVerifyVector(b *testing.B) {
	p := mustSignVector(b, sample2(), keyA)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		s, err := ParseVector(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Verify(keyA); err != nil {
			b.Fatal(err)
		}
	}
}

// jsonVector is what a JSON vector would be, for BenchmarkVectorCodec.
type jsonVector struct {
	V       int       `json:"v"`
	Kind    string    `json:"kind"`
	User    string    `json:"user"`
	Session string    `json:"session"`
	Seq     int64     `json:"seq"`
	Sent    int64     `json:"sent_ns"`
	Values  []float64 `json:"values"`
	MAC     []byte    `json:"mac"`
}

// BenchmarkVectorCodec compares encoding and decoding a 39-value vector in
// the binary layout and in JSON, without the MAC (the same in both; JSON
// would need a canonical byte string for it on top).
func BenchmarkVectorCodec(b *testing.B) {
	v := sample2()
	mac := make([]byte, MACSize)
	b.Run("binary", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			buf = append(appendVectorBody(buf[:0], v, v.Sent.UnixNano()), mac...)
			s, err := ParseVector(buf)
			if err != nil {
				b.Fatal(err)
			}
			_ = s
		}
		b.ReportMetric(float64(len(buf)), "bytes/msg")
	})
	b.Run("json", func(b *testing.B) {
		var n int
		b.ReportAllocs()
		for b.Loop() {
			p, err := json.Marshal(jsonVector{V: 2, Kind: "vector", User: v.User, Session: v.Session, Seq: v.Seq, Sent: v.Sent.UnixNano(), Values: v.Values, MAC: mac})
			if err != nil {
				b.Fatal(err)
			}
			var got jsonVector
			if err := json.Unmarshal(p, &got); err != nil {
				b.Fatal(err)
			}
			if err := checkFinite(got.Values); err != nil {
				b.Fatal(err)
			}
			n = len(p)
		}
		b.ReportMetric(float64(n), "bytes/msg")
	})
}

// BenchmarkSignDecision is the scorer's cost per decision: MAC and JSON.
func BenchmarkSignDecision(b *testing.B) {
	d := sampleDecision()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignDecision(d, keyA); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVerifyDecision is the client's cost per decision.
func BenchmarkParseVerifyDecision(b *testing.B) {
	p := mustSignDecision(b, sampleDecision(), keyA)
	b.ReportAllocs()
	for b.Loop() {
		s, err := ParseDecision(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Verify(keyA); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalDeadLetter(b *testing.B) {
	x := DeadLetter{Topic: "mouseauth.features", Key: "user7", Class: "too large", Reason: "too large", Value: make([]byte, 900<<10), At: at}
	b.ReportAllocs()
	for b.Loop() {
		MarshalDeadLetter(x)
	}
}
