package tail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mouseauth/mouseauth/live/wire"
)

// Record is one Kafka record to decode.
type Record struct {
	Topic     string
	Partition int
	Offset    int64
	Time      time.Time
	Key       []byte
	Value     []byte
}

// Position is where a line's record was read, the "kafka" member of every
// line.
type Position struct {
	Topic     string    `json:"topic"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Time      time.Time `json:"time"`
}

// Options configure [Decode].
type Options struct {
	// LoginTopic is the login topic's name: none of the bytes of its
	// records, or of their dead letters, are ever shown.
	LoginTopic string
}

// The lines, one type per kind and format. Member names and order follow
// the wire format (docs/wire.md): a decision of version 3 has no score
// (clients are not told it), one of version 1 or 2 shows the score, mean
// and threshold it carried; an alert of version 3 shows the rule's policy
// and statistic; members that only version 2 has are omitted from version 1
// lines.

// decisionLine is a decision of version 3: what the client was told.
type decisionLine struct {
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
	Kafka        Position  `json:"kafka"`
}

// decisionLineV2 is a decision of version 1 or 2, which also told the
// client the vector's score, the window's mean and the threshold.
type decisionLineV2 struct {
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
	Kafka        Position  `json:"kafka"`
}

// alertLine is an alert of version 3: the decision rule's policy and
// statistic, the alerting action's score and flags (operators only).
type alertLine struct {
	V            int       `json:"v"`
	Kind         string    `json:"kind"`
	User         string    `json:"user"`
	Session      string    `json:"session"`
	Seq          int64     `json:"seq"`
	Policy       string    `json:"policy"`
	Statistic    float64   `json:"statistic"`
	Score        float64   `json:"score"`
	Flags        string    `json:"flags"`
	ModelVersion int       `json:"model_version"`
	At           time.Time `json:"at"`
	Kafka        Position  `json:"kafka"`
}

// alertLineV2 is an alert of version 1 or 2 (the window rule's mean).
type alertLineV2 struct {
	V         int       `json:"v"`
	Kind      string    `json:"kind"`
	User      string    `json:"user"`
	Session   string    `json:"session"`
	Seq       int64     `json:"seq"`
	Mean      float64   `json:"mean"`
	Threshold float64   `json:"threshold"`
	Window    int       `json:"window"`
	At        time.Time `json:"at"`
	Kafka     Position  `json:"kafka"`
}

type deadLetterLine struct {
	V         int    `json:"v"`
	Kind      string `json:"kind"`
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Class     string `json:"class,omitempty"`
	Reason    string `json:"reason"`
	// Key is the original record key as text (a user name), with invalid
	// UTF-8 replaced.
	Key     string `json:"key"`
	KeySize int    `json:"key_size"`
	// Value is the kept bytes of the original message (base64), unless
	// ValueOmitted says why they are not shown.
	Value        []byte    `json:"value,omitempty"`
	ValueOmitted string    `json:"value_omitted,omitempty"`
	Size         int       `json:"size"`
	SHA256       string    `json:"sha256"`
	Truncated    bool      `json:"truncated"`
	At           time.Time `json:"at"`
	Kafka        Position  `json:"kafka"`
}

type loginLine struct {
	V       int       `json:"v"`
	Kind    string    `json:"kind"`
	User    string    `json:"user"`
	Session string    `json:"session"`
	Client  string    `json:"client"`
	Sent    time.Time `json:"sent"`
	KeyID   string    `json:"kid,omitempty"`
	// Sealed is false for a version 1 login, whose password travelled in
	// clear (and is not shown).
	Sealed bool `json:"sealed"`
	// CertSHA256 is the SHA-256 of the client identity's certificate a
	// version 3 login carries (its signature is not verified here).
	CertSHA256 string   `json:"cert_sha256,omitempty"`
	Note       string   `json:"note,omitempty"`
	Kafka      Position `json:"kafka"`
}

type vectorLine struct {
	V       int       `json:"v"`
	Kind    string    `json:"kind"`
	User    string    `json:"user"`
	Session string    `json:"session"`
	Seq     int64     `json:"seq"`
	Sent    time.Time `json:"sent"`
	Count   int       `json:"count"`
	Values  []float64 `json:"values"`
	Kafka   Position  `json:"kafka"`
}

// errorLine is a record that does not decode. It never holds the record's
// bytes, only their size and hash: a record of the login topic may be a
// login with a clear password.
type errorLine struct {
	V      int      `json:"v,omitempty"` // the version, when the framing told it
	Kind   string   `json:"kind"`        // "error"
	Class  string   `json:"class"`       // wire.ErrorClass: malformed, version, too large
	Error  string   `json:"error"`
	Size   int      `json:"size"`
	SHA256 string   `json:"sha256"`
	Kafka  Position `json:"kafka"`
}

// Kind names of the lines; "error" for a record that does not decode.
const (
	KindDecision   = "decision"
	KindAlert      = "alert"
	KindDeadLetter = "dead_letter"
	KindLogin      = "login"
	KindVector     = "vector"
	KindError      = "error"
)

// maxRecord bounds what Decode reads; larger records are reported, not
// parsed. Every kind of either version is far smaller.
const maxRecord = 1 << 20

// Decode returns the line of one record, without a newline: one JSON
// object. It never fails: a record that does not decode gives a line of
// kind "error".
func Decode(r Record, o Options) []byte {
	pos := Position{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Time: r.Time.UTC()}
	line, err := decode(r, o, pos)
	if err != nil {
		e := errorLine{Kind: KindError, Class: wire.ErrorClass(err), Error: err.Error(), Size: len(r.Value),
			SHA256: hexSum(r.Value), Kafka: pos}
		if o.LoginTopic != "" && r.Topic == o.LoginTopic {
			// A decoder's message may quote a byte or a member of the
			// record, and a login record may hold a clear password.
			e.Error = "a record of the login topic that does not decode (" + e.Class + "); details not shown: it may hold a password"
		}
		if len(r.Value) >= 2 && r.Value[0] == wire.Magic && (r.Value[1] == 1 || r.Value[1] == wire.Version2) {
			e.V = int(r.Value[1])
		}
		line = e
	}
	b, err := marshal(line)
	if err != nil { // only a value the decoders let through could do this
		b, _ = marshal(errorLine{Kind: KindError, Class: "error", Error: "encode: " + err.Error(), Size: len(r.Value),
			SHA256: hexSum(r.Value), Kafka: pos})
	}
	return b
}

func decode(r Record, o Options, pos Position) (any, error) {
	p := r.Value
	if len(p) > maxRecord {
		return nil, errTooLarge(len(p))
	}
	if len(p) >= 3 && p[0] == wire.Magic && p[1] == 1 {
		return decodeV1(p, o, pos)
	}
	k, err := wire.KindOf(p)
	if err != nil {
		return nil, err
	}
	switch k {
	case wire.KindDecision:
		s, err := wire.ParseDecision(p)
		if err != nil {
			return nil, err
		}
		if s.Legacy != nil {
			return newDecisionLineV2(s.Version, *s.Legacy, pos), nil
		}
		return newDecisionLine(s.Version, s.Unverified, pos), nil
	case wire.KindAlert:
		a, err := wire.ParseAlert(p)
		if err != nil {
			return nil, err
		}
		return newAlertLine(a.Version, a, pos), nil
	case wire.KindDeadLetter:
		x, err := wire.ParseDeadLetter(p)
		if err != nil {
			return nil, err
		}
		return newDeadLetterLine(wire.Version2, x, o, pos), nil
	case wire.KindLogin:
		l, err := wire.ParseLogin(p)
		if err != nil {
			return nil, err
		}
		line := loginLine{V: l.Version, Kind: KindLogin, User: l.User, Session: l.Session, Client: l.Client,
			Sent: l.Sent.UTC(), KeyID: l.KeyID.String(), Sealed: true, Kafka: pos}
		if l.Cert != nil {
			sum := sha256.Sum256(l.Cert)
			line.CertSHA256 = hex.EncodeToString(sum[:])
		}
		return line, nil
	case wire.KindVector:
		s, err := wire.ParseVector(p)
		if err != nil {
			return nil, err
		}
		return newVectorLine(wire.Version2, s.Unverified, pos), nil
	}
	return nil, errors.New("unknown kind") // KindOf returns only the kinds above
}

func newDecisionLine(v int, d wire.Decision, pos Position) decisionLine {
	return decisionLine{V: v, Kind: KindDecision, User: d.User, Session: d.Session, Seq: d.Seq, Accept: d.Accept,
		Alert: d.Alert, Closed: d.Closed, Reason: d.Reason, Sent: d.Sent.UTC(), ServiceNanos: d.ServiceNanos, Redelivered: d.Redelivered, Kafka: pos}
}

func newDecisionLineV2(v int, d wire.LegacyDecision, pos Position) decisionLineV2 {
	return decisionLineV2{V: v, Kind: KindDecision, User: d.User, Session: d.Session, Seq: d.Seq, Accept: d.Accept,
		Alert: d.Alert, Reason: d.Reason, Score: d.Score, Mean: d.Mean, Window: d.Window, Threshold: d.Threshold,
		ModelVersion: d.ModelVersion, Sent: d.Sent.UTC(), ServiceNanos: d.ServiceNanos, Redelivered: d.Redelivered, Kafka: pos}
}

// newAlertLine shows a: version 3's members, or versions 1 and 2's.
func newAlertLine(v int, a wire.Alert, pos Position) any {
	if v < wire.Version3 {
		return alertLineV2{V: v, Kind: KindAlert, User: a.User, Session: a.Session, Seq: a.Seq, Mean: a.Mean,
			Threshold: a.Threshold, Window: a.Window, At: a.At.UTC(), Kafka: pos}
	}
	return alertLine{V: v, Kind: KindAlert, User: a.User, Session: a.Session, Seq: a.Seq, Policy: a.Policy, Statistic: a.Statistic,
		Score: a.Score, Flags: a.Flags, ModelVersion: a.ModelVersion, At: a.At.UTC(), Kafka: pos}
}

func newVectorLine(v int, x wire.Vector, pos Position) vectorLine {
	values := x.Values
	if values == nil {
		values = []float64{}
	}
	return vectorLine{V: v, Kind: KindVector, User: x.User, Session: x.Session, Seq: x.Seq, Sent: x.Sent.UTC(),
		Count: len(values), Values: values, Kafka: pos}
}

// newDeadLetterLine shows x, without the original's bytes when they may
// hold a secret.
func newDeadLetterLine(v int, x wire.DeadLetter, o Options, pos Position) deadLetterLine {
	size, sum := x.Size, x.SHA256
	if v == 1 { // version 1 keeps the whole original and no size or hash
		size, sum = len(x.Value), sha256.Sum256(x.Value)
	}
	l := deadLetterLine{V: v, Kind: KindDeadLetter, Topic: x.Topic, Partition: x.Partition, Offset: x.Offset,
		Class: x.Class, Reason: x.Reason, Key: strings.ToValidUTF8(x.Key, "\uFFFD"), KeySize: max(x.KeySize, len(x.Key)),
		Value: x.Value, Size: size, SHA256: hex.EncodeToString(sum[:]), Truncated: size > len(x.Value), At: x.At.UTC(), Kafka: pos}
	switch {
	case len(x.Value) == 0:
	case o.LoginTopic != "" && x.Topic == o.LoginTopic:
		l.Value, l.ValueOmitted = nil, "a message of the login topic"
	case looksLikeLogin(x.Value):
		l.Value, l.ValueOmitted = nil, "looks like a login"
	}
	return l
}

// looksLikeLogin reports whether p may be a login of any version, or
// anything with a password member: such bytes are never shown.
func looksLikeLogin(p []byte) bool {
	if len(p) >= 3 && p[0] == wire.Magic && p[2] == byte(wire.KindLogin) {
		return true
	}
	return bytes.Contains(bytes.ToLower(p), []byte("password")) || bytes.Contains(p, []byte(`"login"`))
}

func hexSum(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:])
}

// marshal encodes a line without HTML escaping, so jq and people see
// < > & as they are.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// validName reports whether s is a name the wire format allows (version 1
// checked only lengths; the tail shows what it finds, escaped by JSON).
func validName(s string) bool { return s != "" && len(s) <= wire.MaxName && utf8.ValidString(s) }
