package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"
)

// decisionJSON is the version 2 decision on the wire: one JSON object,
// every field always present, in this order.
type decisionJSON struct {
	V            int       `json:"v"`
	Kind         string    `json:"kind"`
	User         string    `json:"user"`
	Session      string    `json:"session"`
	Seq          int64     `json:"seq"`
	Accept       bool      `json:"accept"`
	Alert        bool      `json:"alert"`
	Reason       string    `json:"reason"`
	Score        float64   `json:"score"`
	Mean         float64   `json:"mean"`
	Window       int       `json:"window"`
	Threshold    float64   `json:"threshold"`
	ModelVersion int       `json:"model_version"`
	Sent         time.Time `json:"sent"`
	ServiceNanos int64     `json:"service_ns"`
	Redelivered  bool      `json:"redelivered"`
	MAC          []byte    `json:"mac"`
}

// Decision MAC flags.
const (
	flagAccept      = 1 << 0
	flagAlert       = 1 << 1
	flagRedelivered = 1 << 2
)

// canonicalZero maps -0 to +0: the MAC input and the JSON carry +0, since
// some JSON parsers read "-0" as the integer 0.
func canonicalZero(x float64) float64 {
	if x == 0 {
		return 0
	}
	return x
}

func checkDecision(d Decision) error {
	if err := checkNames2(d.User, d.Session); err != nil {
		return err
	}
	if err := checkText("reason", d.Reason, 0, MaxName); err != nil {
		return err
	}
	if d.Seq < LoginSeq {
		return malformed("seq %d (the login's is %d, vectors' from 0)", d.Seq, LoginSeq)
	}
	if d.Window < 0 || d.ModelVersion < 0 || d.ServiceNanos < 0 {
		return malformed("negative window %d, model version %d or service time %d", d.Window, d.ModelVersion, d.ServiceNanos)
	}
	for _, f := range []struct {
		name string
		x    float64
	}{{"score", d.Score}, {"mean", d.Mean}, {"threshold", d.Threshold}} {
		if math.IsNaN(f.x) || math.IsInf(f.x, 0) {
			return malformed("%s is %v", f.name, f.x)
		}
	}
	_, err := nanos("sent", d.Sent)
	return err
}

// appendDecisionMACInput appends the byte string a decision's MAC covers:
//
//	LabelDecisionMAC
//	uint16 len, user; uint16 len, session; int64 seq
//	uint8 flags (1 accept, 2 alert, 4 redelivered)
//	uint16 len, reason
//	float64 score, float64 mean, int64 window, float64 threshold
//	int64 model_version, int64 sent (Unix ns), int64 service_ns
//
// big-endian, floats as IEEE-754 bits with -0 written as +0. d must have
// passed checkDecision.
func appendDecisionMACInput(b []byte, d Decision) []byte {
	sent, _ := nanos("sent", d.Sent)
	b = append(b, LabelDecisionMAC...)
	b = appendStr16(b, d.User)
	b = appendStr16(b, d.Session)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Seq))
	var flags byte
	if d.Accept {
		flags |= flagAccept
	}
	if d.Alert {
		flags |= flagAlert
	}
	if d.Redelivered {
		flags |= flagRedelivered
	}
	b = append(b, flags)
	b = appendStr16(b, d.Reason)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(canonicalZero(d.Score)))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(canonicalZero(d.Mean)))
	b = binary.BigEndian.AppendUint64(b, uint64(int64(d.Window)))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(canonicalZero(d.Threshold)))
	b = binary.BigEndian.AppendUint64(b, uint64(int64(d.ModelVersion)))
	b = binary.BigEndian.AppendUint64(b, uint64(sent))
	b = binary.BigEndian.AppendUint64(b, uint64(d.ServiceNanos))
	return b
}

// decisionMACInputSize is the length of appendDecisionMACInput's bytes.
func decisionMACInputSize(d Decision) int {
	return len(LabelDecisionMAC) + 2 + len(d.User) + 2 + len(d.Session) + 8 + 1 + 2 + len(d.Reason) + 7*8
}

func appendStr16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func decisionMAC(d Decision, key SessionKey) [MACSize]byte {
	// A buffer of the input's exact size: one on the stack escapes through
	// the hash's Write, and a fixed 1 KiB one was most of a decision's
	// garbage.
	m := hmac.New(sha256.New, key[:])
	m.Write(appendDecisionMACInput(make([]byte, 0, decisionMACInputSize(d)), d))
	var out [MACSize]byte
	m.Sum(out[:0])
	return out
}

// SignDecision encodes d as a version 2 decision MAC'd under the session's
// key. The login's decision (Seq = [LoginSeq]) is signed the same way:
// only the scorer that opened the login knows the key, so a valid MAC
// proves the login reached it. It refuses what a decoder would refuse.
func SignDecision(d Decision, key SessionKey) ([]byte, error) {
	d.Score, d.Mean, d.Threshold = canonicalZero(d.Score), canonicalZero(d.Mean), canonicalZero(d.Threshold)
	if err := checkDecision(d); err != nil {
		return nil, err
	}
	mac := decisionMAC(d, key)
	return marshalJSON(decisionJSON{V: Version2, Kind: kindNameDecision, User: d.User, Session: d.Session, Seq: d.Seq,
		Accept: d.Accept, Alert: d.Alert, Reason: d.Reason, Score: d.Score, Mean: d.Mean, Window: d.Window,
		Threshold: d.Threshold, ModelVersion: d.ModelVersion, Sent: d.Sent.UTC(), ServiceNanos: d.ServiceNanos,
		Redelivered: d.Redelivered, MAC: mac[:]})
}

// SignedDecision is a decoded decision whose MAC is not checked yet. Use
// Unverified only to find the session key (User, Session) or to show the
// message to a person (`live tail`); a client acts only on Verify's result.
type SignedDecision struct {
	Unverified Decision
	mac        [MACSize]byte
}

// ParseDecision decodes a version 2 decision and checks its fields, but not
// its MAC: look the session key up, then call Verify.
func ParseDecision(p []byte) (SignedDecision, error) {
	// One pass for a decision: the strict decode reads "v" and "kind" with
	// the rest. Only what it refuses, or what is of another version or
	// kind, is read again by expectKind, for the error that says what the
	// message is (reading "v" and "kind" first, every time, took a third
	// of a client's CPU per decision).
	var j decisionJSON
	if len(p) > MaxDecisionSize || unmarshalStrict(p, KindDecision, &j) != nil || j.V != Version2 || j.Kind != kindNameDecision {
		if err := expectKind(p, KindDecision, MaxDecisionSize); err != nil {
			return SignedDecision{}, err
		}
		j = decisionJSON{}
		if err := unmarshalStrict(p, KindDecision, &j); err != nil {
			return SignedDecision{}, err
		}
	}
	d := Decision{User: j.User, Session: j.Session, Seq: j.Seq, Accept: j.Accept, Alert: j.Alert, Reason: j.Reason,
		Score: j.Score, Mean: j.Mean, Window: j.Window, Threshold: j.Threshold, ModelVersion: j.ModelVersion,
		Sent: j.Sent, ServiceNanos: j.ServiceNanos, Redelivered: j.Redelivered}
	if err := checkDecision(d); err != nil {
		return SignedDecision{}, err
	}
	if len(j.MAC) != MACSize {
		return SignedDecision{}, malformed("decision MAC of %d bytes (%d expected)", len(j.MAC), MACSize)
	}
	s := SignedDecision{Unverified: d}
	copy(s.mac[:], j.MAC)
	return s, nil
}

// Verify checks the decision's MAC under the session's key and returns the
// decision. An [ErrBadMAC] means forged or tampered with (any field), or
// moved from another session or seq: the client must ignore it.
func (s SignedDecision) Verify(key SessionKey) (Decision, error) {
	want := decisionMAC(s.Unverified, key)
	if !hmac.Equal(want[:], s.mac[:]) {
		d := s.Unverified
		return Decision{}, badMAC("decision %d of session %q of user %q", d.Seq, d.Session, d.User)
	}
	return s.Unverified, nil
}
