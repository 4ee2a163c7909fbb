// Package wire is the message encoding of the live pipeline's Kafka topics:
// logins, feature vectors, decisions, alerts and dead letters. It consumes
// and produces plain values; both the replaying client and the scoring
// service import it, and nothing else.
//
// # Format, version 1
//
// Every message value starts with a three-byte header:
//
//	byte 0  'M' (0x4D), magic
//	byte 1  format version, 1
//	byte 2  kind: 'L' login, 'V' vector, 'D' decision, 'A' alert, 'X' dead letter
//
// A vector, the hot path, is binary, big-endian:
//
//	uint16 user length, user bytes (UTF-8)
//	uint16 session length, session bytes
//	int64  seq (position of the action in its session, from 0)
//	int64  sent (client clock, Unix nanoseconds)
//	uint16 n, then n float64 (IEEE-754 bits) in preprocess.FeatureNames order
//
// The other kinds are a JSON object after the header (the field names are
// the json tags below), so an operator can read them with any Kafka
// console consumer. The record key is the user name, so all of a user's
// messages land in one partition, in order. A reader refuses an unknown
// magic, version or kind with an error wrapping [ErrMalformed] or
// [ErrVersion]; the service sends such messages to the dead-letter topic.
//
// Hand-written rather than protobuf or Avro: it is 40 lines, needs no code
// generator or schema registry, and the vector codec allocates once.
package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Magic and Version open every message.
const (
	Magic   = 'M'
	Version = 1
)

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

// Login is the first factor, sent once per session. Password travels only
// inside mTLS and is never stored or logged: Login has no String method
// that shows it, and LogValue hides it.
type Login struct {
	User     string    `json:"user"`
	Session  string    `json:"session"`
	Client   string    `json:"client"`
	Password string    `json:"password"`
	Sent     time.Time `json:"sent"`
}

// String keeps the password out of %v output.
func (l Login) String() string {
	return fmt.Sprintf("login{user=%s session=%s client=%s password=<redacted>}", l.User, l.Session, l.Client)
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

// Decision answers a login (Seq = -1) or a vector.
type Decision struct {
	User         string    `json:"user"`
	Session      string    `json:"session"`
	Seq          int64     `json:"seq"` // -1 for the login
	Accept       bool      `json:"accept"`
	Alert        bool      `json:"alert,omitempty"`
	Reason       string    `json:"reason,omitempty"` // why a login was refused
	Score        float64   `json:"score"`
	Mean         float64   `json:"mean"`
	Window       int       `json:"window"`
	Threshold    float64   `json:"threshold"`
	ModelVersion int       `json:"model_version,omitempty"`
	Sent         time.Time `json:"sent"`                  // the client's send time, echoed for latency
	ServiceNanos int64     `json:"service_ns"`            // fetch to decision stored, in the service
	Redelivered  bool      `json:"redelivered,omitempty"` // a repeat of a stored decision
}

// LoginSeq is the Seq of a login decision.
const LoginSeq = -1

// Alert is raised once per session when the window mean falls below the
// threshold.
type Alert struct {
	User      string    `json:"user"`
	Session   string    `json:"session"`
	Seq       int64     `json:"seq"`
	Mean      float64   `json:"mean"`
	Threshold float64   `json:"threshold"`
	Window    int       `json:"window"`
	At        time.Time `json:"at"`
}

// DeadLetter wraps a message the service could not process.
type DeadLetter struct {
	Topic     string    `json:"topic"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	Value     []byte    `json:"value"` // the original bytes, base64 in JSON
	At        time.Time `json:"at"`
}

func header(k Kind) []byte { return []byte{Magic, Version, byte(k)} }

// Peek returns the kind of an encoded message after checking its header.
func Peek(p []byte) (Kind, error) {
	if len(p) < 3 || p[0] != Magic {
		return 0, fmt.Errorf("%w: no mouseauth header", ErrMalformed)
	}
	if p[1] != Version {
		return 0, fmt.Errorf("%w: version %d (this build reads %d)", ErrVersion, p[1], Version)
	}
	switch k := Kind(p[2]); k {
	case KindLogin, KindVector, KindDecision, KindAlert, KindDeadLetter:
		return k, nil
	default:
		return 0, fmt.Errorf("%w: unknown %v", ErrMalformed, k)
	}
}

func encodeJSON(k Kind, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs are encoded
	}
	return append(header(k), b...)
}

func decodeJSON(p []byte, k Kind, v any) error {
	got, err := Peek(p)
	if err != nil {
		return err
	}
	if got != k {
		return fmt.Errorf("%w: a %v where a %v was expected", ErrMalformed, got, k)
	}
	if err := json.Unmarshal(p[3:], v); err != nil {
		return fmt.Errorf("%w: %v body: %v", ErrMalformed, k, err)
	}
	return nil
}

// EncodeLogin encodes l.
func EncodeLogin(l Login) []byte { return encodeJSON(KindLogin, l) }

// DecodeLogin decodes a login and checks its names.
func DecodeLogin(p []byte) (Login, error) {
	var l Login
	if err := decodeJSON(p, KindLogin, &l); err != nil {
		return l, err
	}
	if err := checkNames(l.User, l.Session); err != nil {
		return l, err
	}
	return l, nil
}

// EncodeDecision encodes d.
func EncodeDecision(d Decision) []byte { return encodeJSON(KindDecision, d) }

// DecodeDecision decodes a decision.
func DecodeDecision(p []byte) (Decision, error) {
	var d Decision
	err := decodeJSON(p, KindDecision, &d)
	return d, err
}

// EncodeAlert encodes a.
func EncodeAlert(a Alert) []byte { return encodeJSON(KindAlert, a) }

// DecodeAlert decodes an alert.
func DecodeAlert(p []byte) (Alert, error) {
	var a Alert
	err := decodeJSON(p, KindAlert, &a)
	return a, err
}

// EncodeDeadLetter encodes x.
func EncodeDeadLetter(x DeadLetter) []byte { return encodeJSON(KindDeadLetter, x) }

// DecodeDeadLetter decodes a dead letter.
func DecodeDeadLetter(p []byte) (DeadLetter, error) {
	var x DeadLetter
	err := decodeJSON(p, KindDeadLetter, &x)
	return x, err
}

func checkNames(user, session string) error {
	if user == "" || len(user) > MaxName {
		return fmt.Errorf("%w: user name of %d bytes (1 to %d)", ErrMalformed, len(user), MaxName)
	}
	if session == "" || len(session) > MaxName {
		return fmt.Errorf("%w: session id of %d bytes (1 to %d)", ErrMalformed, len(session), MaxName)
	}
	return nil
}

// AppendVector appends the encoding of v to dst.
func AppendVector(dst []byte, v Vector) []byte {
	dst = append(dst, Magic, Version, byte(KindVector))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v.User)))
	dst = append(dst, v.User...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v.Session)))
	dst = append(dst, v.Session...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(v.Seq))
	dst = binary.BigEndian.AppendUint64(dst, uint64(v.Sent.UnixNano()))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v.Values)))
	for _, x := range v.Values {
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst
}

// EncodeVector encodes v. Names longer than MaxName and more than MaxValues
// values are a programmer error.
func EncodeVector(v Vector) []byte {
	if len(v.User) > MaxName || len(v.Session) > MaxName || len(v.Values) > MaxValues {
		panic("wire: vector exceeds the format's limits")
	}
	return AppendVector(make([]byte, 0, 3+4+len(v.User)+len(v.Session)+18+8*len(v.Values)), v)
}

// DecodeVector decodes a vector. It checks lengths and names, not the
// number of values (the service compares it with the model's).
func DecodeVector(p []byte) (Vector, error) {
	var v Vector
	k, err := Peek(p)
	if err != nil {
		return v, err
	}
	if k != KindVector {
		return v, fmt.Errorf("%w: a %v where a vector was expected", ErrMalformed, k)
	}
	r := reader{p: p[3:]}
	v.User = r.str()
	v.Session = r.str()
	v.Seq = int64(r.u64())
	v.Sent = time.Unix(0, int64(r.u64()))
	n := int(r.u16())
	if r.err == nil && n > MaxValues {
		return v, fmt.Errorf("%w: %d values (at most %d)", ErrMalformed, n, MaxValues)
	}
	if r.err == nil && len(r.p) != 8*n {
		return v, fmt.Errorf("%w: %d values announced, %d bytes follow", ErrMalformed, n, len(r.p))
	}
	if r.err != nil {
		return v, fmt.Errorf("%w: vector: %v", ErrMalformed, r.err)
	}
	v.Values = make([]float64, n)
	for i := range v.Values {
		v.Values[i] = math.Float64frombits(r.u64())
	}
	if err := checkNames(v.User, v.Session); err != nil {
		return v, err
	}
	if v.Seq < 0 {
		return v, fmt.Errorf("%w: negative seq %d", ErrMalformed, v.Seq)
	}
	for i, x := range v.Values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return v, fmt.Errorf("%w: value %d is %v", ErrMalformed, i, x)
		}
	}
	return v, nil
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
