package tail

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/mouseauth/mouseauth/live/wire"
)

// Version 1, as the service and replay wrote it before version 2: a
// three-byte header 'M' 0x01 kind ('L' login, 'V' vector, 'D' decision,
// 'A' alert, 'X' dead letter), then, for a vector, big-endian binary
// (uint16 length and user, uint16 length and session, int64 seq, int64
// sent in Unix ns, uint16 n, n float64) and for the other kinds a JSON
// object. Nothing is signed; a login holds the password in clear.
//
// This reader is the tail's own, independent of package wire's version 1
// code, so the tail shows the version 1 records a topic may still hold from
// before the service switched to version 2, without their passwords.

// v1Login is a version 1 login without its password: the member is never
// decoded, so it cannot be shown.
type v1Login struct {
	User    string    `json:"user"`
	Session string    `json:"session"`
	Client  string    `json:"client"`
	Sent    time.Time `json:"sent"`
}

type v1DeadLetter struct {
	Topic     string    `json:"topic"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	Value     []byte    `json:"value"`
	At        time.Time `json:"at"`
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{wire.ErrMalformed}, args...)...)
}

func errTooLarge(n int) error {
	return fmt.Errorf("%w (%w): record of %d bytes (the tail reads at most %d)", wire.ErrTooLarge, wire.ErrMalformed, n, maxRecord)
}

func decodeV1(p []byte, o Options, pos Position) (any, error) {
	kind, body := wire.Kind(p[2]), p[3:]
	if kind == wire.KindVector {
		v, err := decodeV1Vector(body)
		if err != nil {
			return nil, err
		}
		return newVectorLine(1, v, pos), nil
	}
	unmarshal := func(v any) error {
		if err := json.Unmarshal(body, v); err != nil {
			if kind == wire.KindLogin { // a syntax error quotes a byte of the body: maybe of a password
				return malformed("version 1 login: not a JSON object of the login's members")
			}
			return malformed("version 1 %v: %v", kind, err)
		}
		return nil
	}
	names := func(user, session string) error {
		if !validName(user) || !validName(session) {
			return malformed("version 1 %v: user %q or session %q is not a name of 1 to %d bytes of UTF-8", kind, user, session, wire.MaxName)
		}
		return nil
	}
	switch kind {
	case wire.KindDecision:
		var d wire.LegacyDecision
		if err := unmarshal(&d); err != nil {
			return nil, err
		}
		if err := names(d.User, d.Session); err != nil {
			return nil, err
		}
		return newDecisionLineV2(1, d, pos), nil
	case wire.KindAlert:
		var a wire.Alert
		if err := unmarshal(&a); err != nil {
			return nil, err
		}
		if err := names(a.User, a.Session); err != nil {
			return nil, err
		}
		return newAlertLine(1, a, pos), nil
	case wire.KindDeadLetter:
		var x v1DeadLetter
		if err := unmarshal(&x); err != nil {
			return nil, err
		}
		return newDeadLetterLine(1, wire.DeadLetter{Topic: x.Topic, Partition: x.Partition, Offset: x.Offset,
			Key: x.Key, Reason: x.Reason, Value: x.Value, At: x.At}, o, pos), nil
	case wire.KindLogin:
		var l v1Login
		if err := unmarshal(&l); err != nil {
			return nil, err
		}
		if err := names(l.User, l.Session); err != nil {
			return nil, err
		}
		return loginLine{V: 1, Kind: KindLogin, User: l.User, Session: l.Session, Client: l.Client, Sent: l.Sent.UTC(),
			Sealed: false, Note: "version 1: the password travelled in clear (not shown)", Kafka: pos}, nil
	}
	return nil, malformed("version 1 message of unknown kind 0x%02x", byte(kind))
}

func decodeV1Vector(p []byte) (wire.Vector, error) {
	var v wire.Vector
	str := func() (string, bool) {
		if len(p) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(p))
		if len(p) < 2+n {
			return "", false
		}
		s := string(p[2 : 2+n])
		p = p[2+n:]
		return s, true
	}
	var ok1, ok2 bool
	v.User, ok1 = str()
	v.Session, ok2 = str()
	if !ok1 || !ok2 || len(p) < 18 {
		return v, malformed("version 1 vector is truncated")
	}
	if !validName(v.User) || !validName(v.Session) {
		return v, malformed("version 1 vector: user %q or session %q is not a name of 1 to %d bytes of UTF-8", v.User, v.Session, wire.MaxName)
	}
	v.Seq = int64(binary.BigEndian.Uint64(p))
	v.Sent = time.Unix(0, int64(binary.BigEndian.Uint64(p[8:])))
	n := int(binary.BigEndian.Uint16(p[16:]))
	p = p[18:]
	if n > wire.MaxValues {
		return v, malformed("version 1 vector of %d values (at most %d)", n, wire.MaxValues)
	}
	if len(p) != 8*n {
		return v, malformed("version 1 vector: %d values announced, %d bytes follow", n, len(p))
	}
	v.Values = make([]float64, n)
	for i := range v.Values {
		x := math.Float64frombits(binary.BigEndian.Uint64(p[8*i:]))
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return v, malformed("version 1 vector: value %d is %v", i, x) // JSON has no NaN
		}
		v.Values[i] = x
	}
	return v, nil
}
