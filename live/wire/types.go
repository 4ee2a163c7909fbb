package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Magic opens every binary message: all of version 1, vectors in version 2.
const Magic = 'M'

// Kind is a message kind.
type Kind byte

// Message kinds.
const (
	KindLogin      Kind = 'L'
	KindVector     Kind = 'V'
	KindDecision   Kind = 'D'
	KindAlert      Kind = 'A'
	KindDeadLetter Kind = 'X'
)

func (k Kind) String() string {
	switch k {
	case KindLogin:
		return "login"
	case KindVector:
		return "vector"
	case KindDecision:
		return "decision"
	case KindAlert:
		return "alert"
	case KindDeadLetter:
		return "dead letter"
	}
	return fmt.Sprintf("kind 0x%02x", byte(k))
}

// Errors of the decoders.
var (
	ErrMalformed = errors.New("malformed message")
	ErrVersion   = errors.New("unsupported message version")
)

// Limits that keep a hostile message from allocating much.
const (
	MaxName   = 256
	MaxValues = 1024
)

// Login is the first factor, sent once per session. In version 2 it is
// sealed to the scorer's public key ([SealLogin], [OpenLogin]) and Key is
// the session key the client generated for it; version 1 sent Password in
// clear and has no Key. The password and key are never stored or logged:
// String and LogValue hide them.
type Login struct {
	User     string    `json:"user"`
	Session  string    `json:"session"`
	Client   string    `json:"client"`
	Password string    `json:"password"`
	Sent     time.Time `json:"sent"`
	// Key is the session key sealed with the password (version 2 only).
	Key SessionKey `json:"-"`
}

// String keeps the password out of %v output.
func (l Login) String() string {
	return fmt.Sprintf("login{user=%s session=%s client=%s password=<redacted>}", l.User, l.Session, l.Client)
}

// GoString keeps the password and key out of %#v output.
func (l Login) GoString() string {
	return fmt.Sprintf("wire.Login{User:%q, Session:%q, Client:%q, Password:<redacted>, Sent:%v, Key:<hidden>}", l.User, l.Session, l.Client, l.Sent)
}

// LogValue keeps the password out of slog output.
func (l Login) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", l.User), slog.String("session", l.Session), slog.String("client", l.Client))
}

// Vector is one action's feature vector.
type Vector struct {
	User, Session string
	Seq           int64
	Sent          time.Time
	Values        []float64
}

// Decision answers a login (Seq = -1) or a vector: what a client may know,
// and nothing more. It says accept or refuse and whether the session's
// alert is raised, never how the vector scored: a score, a mean or a
// threshold would let the client hill-climb to an accepted vector (issue
// 18). Operators read the scores in the store, the metrics and the alerts.
type Decision struct {
	User    string `json:"user"`
	Session string `json:"session"`
	Seq     int64  `json:"seq"` // -1 for the login
	Accept  bool   `json:"accept"`
	// Alert: this decision raised the session's alert.
	Alert bool `json:"alert,omitempty"`
	// Closed: the session's alert is raised (by this decision or an
	// earlier one). Every later vector of the session is refused with a
	// decision that says only this, whatever it holds; the client ends
	// the session (a new login starts another).
	Closed       bool      `json:"closed,omitempty"`
	Reason       string    `json:"reason,omitempty"`      // why a login was refused
	Sent         time.Time `json:"sent"`                  // the client's send time, echoed for latency
	ServiceNanos int64     `json:"service_ns"`            // fetch to decision stored, in the service
	Redelivered  bool      `json:"redelivered,omitempty"` // a repeat of a stored decision
}

// LoginSeq is the Seq of a login decision.
const LoginSeq = -1

// Alert is raised once per session, when the decision rule alerts. For
// operators (the alerts topic, which no client may read): it says what the
// rule saw. Versions 1 and 2 carried Mean, Threshold and Window only (the
// window rule's); version 3 carries the rest.
type Alert struct {
	User    string `json:"user"`
	Session string `json:"session"`
	Seq     int64  `json:"seq"`

	// Versions 1 and 2: the window's mean, the threshold and the scores in
	// the window.
	Mean      float64 `json:"mean"`
	Threshold float64 `json:"threshold"`
	Window    int     `json:"window"`

	At time.Time `json:"at"` // the scorer's clock

	// Version 3.
	Version int `json:"-"` // the message's, set by the decoder
	// Policy is the decision rule and its parameters (decide.Policy's
	// text), what Statistic is compared with.
	Policy string `json:"-"`
	// Statistic is the rule's statistic after the alerting action: the
	// sequential rule's trust, or the window's aggregate.
	Statistic float64 `json:"-"`
	// Score is the alerting action's score; Flags why it counted against
	// the session ("implausible", "novel", "repeated" joined by "+", or
	// "none").
	Score        float64 `json:"-"`
	Flags        string  `json:"-"`
	ModelVersion int     `json:"-"`
}

// DeadLetter wraps a message the service could not process.
//
// In version 2 ([MarshalDeadLetter]) Value is the original message when
// encoding; the encoding keeps at most [MaxDeadLetterValue] bytes of it and
// its full Size and SHA256, so a dead letter always fits. A decoded dead
// letter ([ParseDeadLetter]) has the kept bytes in Value. Key, Reason,
// Class and Topic are clipped the same way (KeySize keeps the key's size).
// The fields tagged "-" exist only in version 2, which encodes through its
// own JSON layout.
type DeadLetter struct {
	Topic     string    `json:"topic"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	Value     []byte    `json:"value"` // the original bytes, base64 in JSON
	At        time.Time `json:"at"`

	// Class is the reason's short class, e.g. "bad mac" (version 2).
	Class string `json:"-"`
	// KeySize, Size and SHA256 describe the original key and value; a
	// decoded dead letter whose Size exceeds len(Value) was truncated
	// (version 2). MarshalDeadLetter computes them from Key and Value,
	// unless Size exceeds len(Value) (a decoded dead letter sent on).
	KeySize int      `json:"-"`
	Size    int      `json:"-"`
	SHA256  [32]byte `json:"-"`
}

type reader struct {
	p   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.p) < n {
		r.err = errors.New("truncated")
		return nil
	}
	b := r.p[:n]
	r.p = r.p[n:]
	return b
}

func (r *reader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) str() string {
	n := int(r.u16())
	if n > MaxName {
		r.err = fmt.Errorf("name of %d bytes (at most %d)", n, MaxName)
		return ""
	}
	return string(r.take(n))
}
