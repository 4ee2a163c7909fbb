package wire

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sample() Vector {
	vals := make([]float64, 39)
	for i := range vals {
		vals[i] = math.Pi * float64(i) / 3
	}
	return Vector{User: "user7", Session: "s-12", Seq: 41, Sent: time.Unix(0, 1763800000123456789), Values: vals}
}

func TestVectorRoundTrip(t *testing.T) {
	t.Parallel()
	v := sample()
	got, err := DecodeVector(encodeV1Vector(v))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Sent.Equal(v.Sent) {
		t.Fatalf("sent %v, want %v", got.Sent, v.Sent)
	}
	got.Sent = v.Sent
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip: %+v\nwant %+v", got, v)
	}
}

func TestJSONRoundTrips(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	l := Login{User: "u", Session: "s", Client: "10.1.2.3:4000", Password: "pw", Sent: at}
	if got, err := DecodeLogin(encodeV1Login(l)); err != nil || got != l {
		t.Fatalf("login: %+v %v", got, err)
	}
	d := LegacyDecision{User: "u", Session: "s", Seq: 3, Accept: true, Score: 0.7, Mean: 0.6, Window: 3, Threshold: 0.5, Sent: at, ServiceNanos: 1234}
	if got, err := DecodeDecision(encodeV1Decision(d)); err != nil || got != d {
		t.Fatalf("decision: %+v %v", got, err)
	}
	a := Alert{User: "u", Session: "s", Seq: 9, Mean: 0.2, Threshold: 0.5, Window: 10, At: at}
	if got, err := DecodeAlert(encodeV1Alert(a)); err != nil || got != a {
		t.Fatalf("alert: %+v %v", got, err)
	}
	x := DeadLetter{Topic: "t", Partition: 2, Offset: 77, Key: "k", Reason: "r", Value: []byte{0, 1, 255}, At: at}
	if got, err := DecodeDeadLetter(encodeV1DeadLetter(x)); err != nil || !reflect.DeepEqual(got, x) {
		t.Fatalf("dead letter: %+v %v", got, err)
	}
}

func TestLoginStringHidesPassword(t *testing.T) {
	t.Parallel()
	l := Login{User: "u", Session: "s", Password: "hunter2-secret"}
	if s := l.String(); strings.Contains(s, "hunter2") {
		t.Fatalf("String() shows the password: %s", s)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	good := encodeV1Vector(sample())
	wrongVersion := append([]byte(nil), good...)
	wrongVersion[1] = 9
	truncated := good[:len(good)-5]
	nan := sample()
	nan.Values[4] = math.NaN()
	noUser := sample()
	noUser.User = ""
	for _, tc := range []struct {
		name string
		p    []byte
		is   error
		want string
	}{
		{"empty", nil, ErrMalformed, "no mouseauth header"},
		{"garbage", []byte("hello, world"), ErrMalformed, "no mouseauth header"},
		{"wrong version", wrongVersion, ErrVersion, "version 9"},
		{"unknown kind", []byte{Magic, Version, 'Q'}, ErrMalformed, "unknown kind 0x51"},
		{"truncated", truncated, ErrMalformed, "39 values announced"},
		{"login as vector", encodeV1Login(Login{User: "u", Session: "s"}), ErrMalformed, "a login where a vector"},
		{"NaN", encodeV1Vector(nan), ErrMalformed, "value 4 is NaN"},
		{"no user", encodeV1Vector(noUser), ErrMalformed, "user name of 0 bytes"},
		{"header only", []byte{Magic, Version, byte(KindVector)}, ErrMalformed, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeVector(tc.p)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
}

func FuzzDecodeVector(f *testing.F) {
	f.Add(encodeV1Vector(sample()))
	f.Add([]byte{Magic, Version, byte(KindVector), 0, 1, 'u'})
	f.Fuzz(func(t *testing.T, p []byte) {
		v, err := DecodeVector(p)
		if err != nil {
			return
		}
		again, err := DecodeVector(encodeV1Vector(v))
		if err != nil || !reflect.DeepEqual(again.Values, v.Values) || again.User != v.User || again.Seq != v.Seq {
			t.Fatalf("re-encoding a decoded vector changed it: %v", err)
		}
	})
}

func BenchmarkDecodeVector(b *testing.B) {
	p := encodeV1Vector(sample())
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, err := DecodeVector(p); err != nil {
			b.Fatal(err)
		}
	}
}
