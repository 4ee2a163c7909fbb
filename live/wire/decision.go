package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"time"
)

// Version3Decision is the version of the decision the scorer writes: accept
// or refuse, the alert, whether the session is closed, and nothing about
// how the vector scored. Versions 1 and 2 also carried the vector's score,
// the window's mean and the threshold: a score oracle that let an impostor
// hill-climb to an accepted vector (issue 18). A version 2 decision still
// decodes and verifies (the tail of an old topic; [LegacyDecision]).
const Version3Decision = 3

// decisionJSON is the version 3 decision on the wire: one JSON object,
// every field always present, in this order.
type decisionJSON struct {
	V            int       `json:"v"`
	Kind         string    `json:"kind"`
	User         string    `json:"user"`
	Session      string    `json:"session"`
	Seq          int64     `json:"seq"`
	Accept       bool      `json:"accept"`
	Alert        bool      `json:"alert"`
	Closed       bool      `json:"closed"`
	Reason       string    `json:"reason"`
	Sent         time.Time `json:"sent"`
	ServiceNanos int64     `json:"service_ns"`
	Redelivered  bool      `json:"redelivered"`
	MAC          []byte    `json:"mac"`
}

// decisionJSONV2 is the version 2 decision on the wire, decoded only.
type decisionJSONV2 struct {
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
	flagClosed      = 1 << 3 // version 3
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
	if d.ServiceNanos < 0 {
		return malformed("negative service time %d", d.ServiceNanos)
	}
	_, err := nanos("sent", d.Sent)
	return err
}

// checkClosed checks what version 3 says of a closed session: the alert
// closes it, and a closed session accepts nothing.
func checkClosed(d Decision) error {
	if d.Alert && !d.Closed {
		return malformed("a decision that raises the alert closes the session")
	}
	if d.Closed && d.Accept {
		return malformed("a decision of a closed session accepts nothing")
	}
	return nil
}

func checkLegacy(l LegacyDecision) error {
	if l.Window < 0 || l.ModelVersion < 0 {
		return malformed("negative window %d or model version %d", l.Window, l.ModelVersion)
	}
	for _, f := range []struct {
		name string
		x    float64
	}{{"score", l.Score}, {"mean", l.Mean}, {"threshold", l.Threshold}} {
		if math.IsNaN(f.x) || math.IsInf(f.x, 0) {
			return malformed("%s is %v", f.name, f.x)
		}
	}
	return nil
}

// appendDecisionMACInput appends the byte string a version 3 decision's
// MAC covers:
//
//	LabelDecisionMAC3
//	uint16 len, user; uint16 len, session; int64 seq
//	uint8 flags (1 accept, 2 alert, 4 redelivered, 8 closed)
//	uint16 len, reason
//	int64 sent (Unix ns), int64 service_ns
//
// big-endian. d must have passed checkDecision.
func appendDecisionMACInput(b []byte, d Decision) []byte {
	sent, _ := nanos("sent", d.Sent)
	b = appendDecisionHead(b, LabelDecisionMAC3, d)
	b = binary.BigEndian.AppendUint64(b, uint64(sent))
	b = binary.BigEndian.AppendUint64(b, uint64(d.ServiceNanos))
	return b
}

// appendDecisionHead appends what both versions' MAC inputs begin with:
// the label, then user, session, seq, the flags byte and the reason.
func appendDecisionHead(b []byte, label string, d Decision) []byte {
	b = append(b, label...)
	b = appendStr16(b, d.User)
	b = appendStr16(b, d.Session)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Seq))
	b = append(b, decisionFlags(d))
	return appendStr16(b, d.Reason)
}

func decisionFlags(d Decision) byte {
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
	if d.Closed {
		flags |= flagClosed
	}
	return flags
}

// appendDecisionMACInputV2 appends the byte string a version 2 decision's
// MAC covers (docs/wire.md keeps its layout):
//
//	LabelDecisionMAC
//	uint16 len, user; uint16 len, session; int64 seq
//	uint8 flags (1 accept, 2 alert, 4 redelivered)
//	uint16 len, reason
//	float64 score, float64 mean, int64 window, float64 threshold
//	int64 model_version, int64 sent (Unix ns), int64 service_ns
//
// big-endian, floats as IEEE-754 bits with -0 written as +0.
func appendDecisionMACInputV2(b []byte, l LegacyDecision) []byte {
	sent, _ := nanos("sent", l.Sent)
	b = appendDecisionHead(b, LabelDecisionMAC, Decision{User: l.User, Session: l.Session, Seq: l.Seq,
		Accept: l.Accept, Alert: l.Alert, Redelivered: l.Redelivered, Reason: l.Reason})
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(canonicalZero(l.Score)))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(canonicalZero(l.Mean)))
	b = binary.BigEndian.AppendUint64(b, uint64(int64(l.Window)))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(canonicalZero(l.Threshold)))
	b = binary.BigEndian.AppendUint64(b, uint64(int64(l.ModelVersion)))
	b = binary.BigEndian.AppendUint64(b, uint64(sent))
	b = binary.BigEndian.AppendUint64(b, uint64(l.ServiceNanos))
	return b
}

// decisionMACInputSize is the length of appendDecisionMACInput's bytes,
// decisionMACInputSizeV2 of appendDecisionMACInputV2's.
func decisionMACInputSize(d Decision) int {
	return len(LabelDecisionMAC3) + 2 + len(d.User) + 2 + len(d.Session) + 8 + 1 + 2 + len(d.Reason) + 2*8
}

func decisionMACInputSizeV2(l LegacyDecision) int {
	return len(LabelDecisionMAC) + 2 + len(l.User) + 2 + len(l.Session) + 8 + 1 + 2 + len(l.Reason) + 7*8
}

func appendStr16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func mac(key SessionKey, input []byte) [MACSize]byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(input)
	var out [MACSize]byte
	m.Sum(out[:0])
	return out
}

// The MAC inputs are built in buffers of their exact size: one on the
// stack escapes through the hash's Write, and a fixed 1 KiB one was most
// of a decision's garbage.
func decisionMAC(d Decision, key SessionKey) [MACSize]byte {
	return mac(key, appendDecisionMACInput(make([]byte, 0, decisionMACInputSize(d)), d))
}

func decisionMACV2(l LegacyDecision, key SessionKey) [MACSize]byte {
	return mac(key, appendDecisionMACInputV2(make([]byte, 0, decisionMACInputSizeV2(l)), l))
}

// SignDecision encodes d as a version 3 decision MAC'd under the session's
// key. The login's decision (Seq = [LoginSeq]) is signed the same way:
// only the scorer that opened the login knows the key, so a valid MAC
// proves the login reached it. It refuses what a decoder would refuse.
// A [Decision] has no member for a score: nothing this writes can tell a
// client how its vector scored.
func SignDecision(d Decision, key SessionKey) ([]byte, error) {
	if err := checkDecision(d); err != nil {
		return nil, err
	}
	if err := checkClosed(d); err != nil {
		return nil, err
	}
	m := decisionMAC(d, key)
	return marshalJSON(decisionJSON{V: Version3Decision, Kind: kindNameDecision, User: d.User, Session: d.Session, Seq: d.Seq,
		Accept: d.Accept, Alert: d.Alert, Closed: d.Closed, Reason: d.Reason, Sent: d.Sent.UTC(), ServiceNanos: d.ServiceNanos,
		Redelivered: d.Redelivered, MAC: m[:]})
}

// SignedDecision is a decoded decision whose MAC is not checked yet. Use
// Unverified only to find the session key (User, Session) or to show the
// message to a person (`live tail`); a client acts only on Verify's result.
type SignedDecision struct {
	Unverified Decision
	// Version is the message's: 3, or 2 for a decision an older scorer
	// wrote.
	Version int
	// Legacy is a version 2 decision whole, with the score, mean and
	// threshold it told the client; nil for version 3.
	Legacy *LegacyDecision
	mac    [MACSize]byte
}

// ParseDecision decodes a version 3 or version 2 decision and checks its
// fields, but not its MAC: look the session key up, then call Verify.
func ParseDecision(p []byte) (SignedDecision, error) {
	// One pass for a version 3 decision: the strict decode reads "v" and
	// "kind" with the rest. Only what it refuses, or what is of another
	// version or kind, is read again by expectKind, for the error that
	// says what the message is, and then as a version 2 decision (reading
	// "v" and "kind" first, every time, took a third of a client's CPU per
	// decision).
	var j decisionJSON
	if len(p) <= MaxDecisionSize && unmarshalStrict(p, KindDecision, &j) == nil && j.V == Version3Decision && j.Kind == kindNameDecision {
		return parsedDecision(j)
	}
	if err := expectKind(p, KindDecision, MaxDecisionSize); err != nil {
		return SignedDecision{}, err
	}
	v, err := jsonVersion(p)
	if err != nil {
		return SignedDecision{}, err
	}
	if v != Version2 {
		j = decisionJSON{}
		if err := unmarshalStrict(p, KindDecision, &j); err != nil {
			return SignedDecision{}, err
		}
		return parsedDecision(j)
	}
	var j2 decisionJSONV2
	if err := unmarshalStrict(p, KindDecision, &j2); err != nil {
		return SignedDecision{}, err
	}
	l := LegacyDecision{User: j2.User, Session: j2.Session, Seq: j2.Seq, Accept: j2.Accept, Alert: j2.Alert, Reason: j2.Reason,
		Score: j2.Score, Mean: j2.Mean, Window: j2.Window, Threshold: j2.Threshold, ModelVersion: j2.ModelVersion,
		Sent: j2.Sent, ServiceNanos: j2.ServiceNanos, Redelivered: j2.Redelivered}
	if err := checkLegacy(l); err != nil {
		return SignedDecision{}, err
	}
	return withMAC(SignedDecision{Unverified: l.decision(), Version: Version2, Legacy: &l}, j2.MAC)
}

// parsedDecision checks a decoded version 3 decision.
func parsedDecision(j decisionJSON) (SignedDecision, error) {
	s := SignedDecision{Version: Version3Decision, Unverified: Decision{User: j.User, Session: j.Session, Seq: j.Seq, Accept: j.Accept,
		Alert: j.Alert, Closed: j.Closed, Reason: j.Reason, Sent: j.Sent, ServiceNanos: j.ServiceNanos, Redelivered: j.Redelivered}}
	if err := checkClosed(s.Unverified); err != nil {
		return SignedDecision{}, err
	}
	return withMAC(s, j.MAC)
}

// withMAC checks s's fields and tag, and sets its MAC to tag.
func withMAC(s SignedDecision, tag []byte) (SignedDecision, error) {
	if err := checkDecision(s.Unverified); err != nil {
		return SignedDecision{}, err
	}
	if len(tag) != MACSize {
		return SignedDecision{}, malformed("decision MAC of %d bytes (%d expected)", len(tag), MACSize)
	}
	copy(s.mac[:], tag)
	return s, nil
}

// Verify checks the decision's MAC under the session's key and returns the
// decision. An [ErrBadMAC] means forged or tampered with (any field), or
// moved from another session or seq: the client must ignore it.
func (s SignedDecision) Verify(key SessionKey) (Decision, error) {
	var want [MACSize]byte
	if s.Legacy != nil {
		want = decisionMACV2(*s.Legacy, key)
	} else {
		want = decisionMAC(s.Unverified, key)
	}
	if !hmac.Equal(want[:], s.mac[:]) {
		d := s.Unverified
		return Decision{}, badMAC("decision %d of session %q of user %q", d.Seq, d.Session, d.User)
	}
	return s.Unverified, nil
}

// jsonVersion returns the "v" of a JSON message KindOf accepted.
func jsonVersion(p []byte) (int, error) {
	var h struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(p, &h); err != nil {
		return 0, malformed("JSON: %v", err)
	}
	return h.V, nil
}

// LegacyDecision is a decision of version 1 or 2, which also told the
// client its vector's score, the window's mean and size, the threshold and
// the model's version. The scorer no longer writes one; readers decode it
// to show old topics.
type LegacyDecision struct {
	User         string    `json:"user"`
	Session      string    `json:"session"`
	Seq          int64     `json:"seq"` // -1 for the login
	Accept       bool      `json:"accept"`
	Alert        bool      `json:"alert,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Score        float64   `json:"score"`
	Mean         float64   `json:"mean"`
	Window       int       `json:"window"`
	Threshold    float64   `json:"threshold"`
	ModelVersion int       `json:"model_version,omitempty"`
	Sent         time.Time `json:"sent"`
	ServiceNanos int64     `json:"service_ns"`
	Redelivered  bool      `json:"redelivered,omitempty"`
}

// decision is what l says in version 3's terms: the decision that raised
// the alert closed the session then too (the later ones did not say).
func (l LegacyDecision) decision() Decision {
	return Decision{User: l.User, Session: l.Session, Seq: l.Seq, Accept: l.Accept, Alert: l.Alert, Closed: l.Alert && !l.Accept,
		Reason: l.Reason, Sent: l.Sent, ServiceNanos: l.ServiceNanos, Redelivered: l.Redelivered}
}

// Decision is the client-visible part of l.
func (l LegacyDecision) Decision() Decision { return l.decision() }
