package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"time"
)

// Alerts and dead letters are for operators, who have no session keys:
// they carry no MAC. Only the scorer may write their topics (broker ACLs).

// alertJSON is the version 3 alert on the wire.
type alertJSON struct {
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
}

// alertJSONV2 is the version 2 alert on the wire, decoded only.
type alertJSONV2 struct {
	V         int       `json:"v"`
	Kind      string    `json:"kind"`
	User      string    `json:"user"`
	Session   string    `json:"session"`
	Seq       int64     `json:"seq"`
	Mean      float64   `json:"mean"`
	Threshold float64   `json:"threshold"`
	Window    int       `json:"window"`
	At        time.Time `json:"at"`
}

// MaxPolicy bounds an alert's policy text, in bytes (a model records at
// most 512).
const MaxPolicy = 512

func checkAlert(a Alert) error {
	if err := checkNames2(a.User, a.Session); err != nil {
		return err
	}
	if a.Seq < 0 || a.Window < 0 || a.ModelVersion < 0 {
		return malformed("negative seq %d, window %d or model version %d", a.Seq, a.Window, a.ModelVersion)
	}
	for _, f := range []struct {
		name string
		x    float64
	}{{"mean", a.Mean}, {"threshold", a.Threshold}, {"statistic", a.Statistic}, {"score", a.Score}} {
		if math.IsNaN(f.x) || math.IsInf(f.x, 0) {
			return malformed("%s is %v", f.name, f.x)
		}
	}
	if err := checkText("policy", a.Policy, 0, MaxPolicy); err != nil {
		return err
	}
	if err := checkText("flags", a.Flags, 0, MaxClass); err != nil {
		return err
	}
	_, err := nanos("at", a.At)
	return err
}

// MarshalAlert encodes a as a version 3 alert (its Mean, Threshold and
// Window are version 2's and are not written). It refuses what a decoder
// would refuse.
func MarshalAlert(a Alert) ([]byte, error) {
	if err := checkAlert(a); err != nil {
		return nil, err
	}
	return marshalJSON(alertJSON{V: Version3, Kind: kindNameAlert, User: a.User, Session: a.Session, Seq: a.Seq,
		Policy: a.Policy, Statistic: canonicalZero(a.Statistic), Score: canonicalZero(a.Score), Flags: a.Flags,
		ModelVersion: a.ModelVersion, At: a.At.UTC()})
}

// ParseAlert decodes a version 3 or version 2 alert; Version says which.
func ParseAlert(p []byte) (Alert, error) {
	if err := expectKind(p, KindAlert, MaxAlertSize); err != nil {
		return Alert{}, err
	}
	v, err := jsonVersion(p)
	if err != nil {
		return Alert{}, err
	}
	var a Alert
	if v == Version2 {
		var j alertJSONV2
		if err := unmarshalStrict(p, KindAlert, &j); err != nil {
			return Alert{}, err
		}
		a = Alert{Version: Version2, User: j.User, Session: j.Session, Seq: j.Seq, Mean: j.Mean, Threshold: j.Threshold, Window: j.Window, At: j.At}
	} else {
		var j alertJSON
		if err := unmarshalStrict(p, KindAlert, &j); err != nil {
			return Alert{}, err
		}
		a = Alert{Version: Version3, User: j.User, Session: j.Session, Seq: j.Seq, Policy: j.Policy, Statistic: j.Statistic,
			Score: j.Score, Flags: j.Flags, ModelVersion: j.ModelVersion, At: j.At}
	}
	if err := checkAlert(a); err != nil {
		return Alert{}, err
	}
	return a, nil
}

// deadLetterJSON is the version 2 dead letter on the wire. Key and Value
// are base64 (the original bytes need not be text); sha256 is hex, as
// sha256sum prints it.
type deadLetterJSON struct {
	V         int       `json:"v"`
	Kind      string    `json:"kind"`
	Topic     string    `json:"topic"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Class     string    `json:"class"`
	Reason    string    `json:"reason"`
	Key       []byte    `json:"key"`
	KeySize   int       `json:"key_size"`
	Value     []byte    `json:"value"`
	Size      int       `json:"size"`
	SHA256    string    `json:"sha256"`
	Truncated bool      `json:"truncated"`
	At        time.Time `json:"at"`
}

// MarshalDeadLetter encodes x as a version 2 dead letter. It never fails
// and never exceeds [MaxDeadLetterSize] bytes, whatever x holds: it keeps
// the first [MaxDeadLetterValue] bytes of x.Value and [MaxDeadLetterKey] of
// x.Key with their full sizes and the value's SHA-256, and clips Topic and Class to [MaxName] and [MaxClass]
// bytes and Reason to [MaxReason] bytes of valid UTF-8. An At outside int64
// nanoseconds is written as the Unix epoch.
func MarshalDeadLetter(x DeadLetter) []byte {
	if x.Size <= len(x.Value) { // Value is the original message
		x.Size, x.SHA256 = len(x.Value), sha256.Sum256(x.Value)
	}
	x.KeySize = max(x.KeySize, len(x.Key))
	value := x.Value[:min(len(x.Value), MaxDeadLetterValue)]
	key := x.Key[:min(len(x.Key), MaxDeadLetterKey)]
	at := x.At.UTC()
	if _, err := nanos("at", at); err != nil {
		at = time.Unix(0, 0).UTC()
	}
	p, err := marshalJSON(deadLetterJSON{V: Version2, Kind: kindNameDeadLetter, Topic: clip(x.Topic, MaxName),
		Partition: x.Partition, Offset: x.Offset, Class: clip(x.Class, MaxClass), Reason: clip(x.Reason, MaxReason),
		Key: []byte(key), KeySize: x.KeySize, Value: value, Size: x.Size,
		SHA256: hex.EncodeToString(x.SHA256[:]), Truncated: x.Size > len(value), At: at})
	if err != nil {
		panic(err) // strings, integers, bytes and an in-range time always encode
	}
	return p
}

// ParseDeadLetter decodes a version 2 dead letter: Value holds the kept
// bytes, Size and SHA256 describe the original (Size > len(Value) when it
// was truncated; when it was not, SHA256 is checked against Value).
func ParseDeadLetter(p []byte) (DeadLetter, error) {
	if err := expectKind(p, KindDeadLetter, MaxDeadLetterSize); err != nil {
		return DeadLetter{}, err
	}
	var j deadLetterJSON
	if err := unmarshalStrict(p, KindDeadLetter, &j); err != nil {
		return DeadLetter{}, err
	}
	x := DeadLetter{Topic: j.Topic, Partition: j.Partition, Offset: j.Offset, Class: j.Class, Reason: j.Reason,
		Key: string(j.Key), KeySize: j.KeySize, Value: j.Value, Size: j.Size, At: j.At}
	switch {
	case len(j.Value) > MaxDeadLetterValue || len(j.Key) > MaxDeadLetterKey:
		return DeadLetter{}, tooLarge("dead letter keeps %d value and %d key bytes (at most %d and %d)", len(j.Value), len(j.Key), MaxDeadLetterValue, MaxDeadLetterKey)
	case len(j.Topic) > MaxName || len(j.Class) > MaxClass || len(j.Reason) > MaxReason:
		return DeadLetter{}, tooLarge("dead letter topic, class or reason too long")
	case j.Size < len(j.Value) || j.KeySize < len(j.Key):
		return DeadLetter{}, malformed("dead letter size %d below its %d kept bytes, or key size %d below %d", j.Size, len(j.Value), j.KeySize, len(j.Key))
	case j.Truncated != (j.Size > len(j.Value)):
		return DeadLetter{}, malformed("dead letter truncated=%v but size %d and %d kept bytes", j.Truncated, j.Size, len(j.Value))
	}
	if len(j.SHA256) != 2*sha256.Size {
		return DeadLetter{}, malformed("dead letter sha256 of %d hex digits (%d expected)", len(j.SHA256), 2*sha256.Size)
	}
	if _, err := hex.Decode(x.SHA256[:], []byte(j.SHA256)); err != nil {
		return DeadLetter{}, malformed("dead letter sha256: %v", err)
	}
	if !j.Truncated && sha256.Sum256(j.Value) != x.SHA256 {
		return DeadLetter{}, malformed("dead letter sha256 does not match its untruncated value")
	}
	if _, err := nanos("at", j.At); err != nil {
		return DeadLetter{}, err
	}
	return x, nil
}

// WithoutValue returns x keeping none of the original message's bytes,
// only its size and SHA-256: for the login topic, where a message that
// fails to decode may be a version 1 login with a clear password.
func (x DeadLetter) WithoutValue() DeadLetter {
	if x.Size <= len(x.Value) {
		x.Size, x.SHA256 = len(x.Value), sha256.Sum256(x.Value)
	}
	x.Value = nil
	return x
}

// Truncated reports whether a decoded dead letter kept only part of the
// original message.
func (x DeadLetter) Truncated() bool { return x.Size > len(x.Value) }
