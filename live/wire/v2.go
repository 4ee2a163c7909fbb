package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Version2 is the format version this package writes and reads.
const Version2 = 2

// Errors of the version 2 decoders and verifiers, for errors.Is. Every
// decoder error wraps exactly one of them, except an oversized message,
// which wraps both ErrTooLarge and ErrMalformed. [ErrorClass] names them.
var (
	// ErrTooLarge: the message or one of its fields exceeds a limit.
	ErrTooLarge = errors.New("message too large")
	// ErrBadMAC: a vector's or decision's MAC does not match the session
	// key: forged, tampered with, moved to another session, or the wrong key.
	ErrBadMAC = errors.New("bad MAC")
	// ErrBadSeal: a sealed login does not open with the scorer key its key
	// id names: forged, tampered with, or moved to another user or session.
	ErrBadSeal = errors.New("sealed login does not open")
	// ErrUnknownKey: a login is sealed to a scorer key id the scorer does
	// not hold (the client has an old or a foreign public key).
	ErrUnknownKey = errors.New("unknown scorer key")
)

// ErrorClass returns a short label for err, for metrics and dead letters:
// "version", "too large", "malformed", "bad mac", "bad seal", "unknown key",
// "unsigned", "bad signature", "error" for anything else, and "" for nil.
func ErrorClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrVersion):
		return "version"
	case errors.Is(err, ErrTooLarge):
		return "too large"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrBadMAC):
		return "bad mac"
	case errors.Is(err, ErrBadSeal):
		return "bad seal"
	case errors.Is(err, ErrUnknownKey):
		return "unknown key"
	case errors.Is(err, ErrUnsigned):
		return "unsigned"
	case errors.Is(err, ErrBadSignature):
		return "bad signature"
	}
	return "error"
}

// Limits of version 2. Names (user, session, client, a decision's reason)
// are 1 to MaxName bytes of UTF-8 without control characters (client and
// reason may be empty); a vector has at most MaxValues values. Every
// decoder refuses a message longer than its kind's maximum before parsing
// it; every encoder's output fits that maximum.
const (
	// MACSize is the size of an HMAC-SHA256 tag; version 2 sends it whole.
	MACSize = sha256.Size
	// MaxPassword is the longest password a login can seal, in bytes.
	MaxPassword = 1024
	// MaxReason bounds a dead letter's reason, in bytes.
	MaxReason = 1024
	// MaxDeadLetterValue is how much of the original message a dead letter
	// keeps, in bytes.
	MaxDeadLetterValue = 4096
	// MaxDeadLetterKey is how much of the original record key a dead letter
	// keeps, in bytes.
	MaxDeadLetterKey = 256
	// MaxClass bounds a dead letter's class label, in bytes.
	MaxClass = 64

	// MaxVectorSize is the largest vector encoding: header, two names of
	// MaxName bytes, seq, sent, MaxValues values and the MAC.
	MaxVectorSize = 3 + 2 + MaxName + 2 + MaxName + 8 + 8 + 2 + 8*MaxValues + MACSize
	// MaxLoginSize, MaxDecisionSize and MaxAlertSize bound the JSON kinds.
	MaxLoginSize    = 8192 // version 3 carries the client's certificate
	MaxDecisionSize = 4096
	MaxAlertSize    = 4096
	// MaxDeadLetterSize bounds a dead letter's encoding whatever the
	// original message, far below Kafka's default 1 MiB message limit.
	MaxDeadLetterSize = 16384
)

// Domain-separation labels and the HPKE info string. Each label ends in a
// NUL byte, so no label is a prefix of another.
const (
	LabelVectorMAC   = "mouseauth/v2 vector mac\x00"
	LabelDecisionMAC = "mouseauth/v2 decision mac\x00" // version 2 decisions, decoded only
	// LabelDecisionMAC3 opens the MAC input of a version 3 decision.
	LabelDecisionMAC3 = "mouseauth/v3 decision mac\x00"
	HPKEInfo          = "mouseauth/v2 login"
)

// JSON kind names of version 2.
const (
	kindNameLogin      = "login"
	kindNameDecision   = "decision"
	kindNameAlert      = "alert"
	kindNameDeadLetter = "dead_letter"
)

func kindName(k Kind) string {
	switch k {
	case KindLogin:
		return kindNameLogin
	case KindDecision:
		return kindNameDecision
	case KindAlert:
		return kindNameAlert
	case KindDeadLetter:
		return kindNameDeadLetter
	case KindVector:
		return "vector"
	}
	return k.String()
}

// errorf returns an error wrapping kind with a message.
func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)
}

// article prefixes a kind name with "a" or "an".
func article(name string) string {
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

func malformed(format string, args ...any) error { return errorf(ErrMalformed, format, args...) }

func tooLarge(format string, args ...any) error {
	return fmt.Errorf("%w (%w): "+format, append([]any{ErrTooLarge, ErrMalformed}, args...)...)
}

func versionError(v string) error {
	if v == "1" {
		return fmt.Errorf("%w: version 1 (this build reads version %d, and logins, decisions and alerts of version %d; version 1 sent passwords in clear and nothing signed)", ErrVersion, Version2, Version3)
	}
	return fmt.Errorf("%w: version %s (this build reads version %d, and logins, decisions and alerts of version %d)", ErrVersion, v, Version2, Version3)
}

// KindOf returns the kind of a version 2 message: a binary vector ('M', 2,
// 'V', ...) or a JSON object whose "v" is 2 and whose "kind" is "login",
// "decision", "alert" or "dead_letter" (a login, a decision or an alert
// may also be version 3).
// Any other version, version 1 included, is an [ErrVersion]; anything else
// an [ErrMalformed]. It checks the framing only, not the body.
func KindOf(p []byte) (Kind, error) {
	if len(p) == 0 {
		return 0, malformed("empty message")
	}
	switch p[0] {
	case Magic:
		if len(p) < 3 {
			return 0, malformed("binary header of %d bytes (3 expected)", len(p))
		}
		if p[1] != Version2 {
			return 0, versionError(strconv.Itoa(int(p[1])))
		}
		if k := Kind(p[2]); k != KindVector {
			return 0, malformed("binary %v: version %d sends only vectors in binary", k, Version2)
		}
		return KindVector, nil
	case '{':
		return jsonKind(p)
	}
	return 0, malformed("not a mouseauth message (first byte 0x%02x; want 'M' or '{')", p[0])
}

// jsonKind reads "v" and "kind" of a JSON message.
func jsonKind(p []byte) (Kind, error) {
	var h struct {
		V    json.RawMessage `json:"v"`
		Kind *string         `json:"kind"`
	}
	if err := json.Unmarshal(p, &h); err != nil {
		return 0, malformed("JSON: %v", err)
	}
	if h.V == nil {
		return 0, malformed(`JSON message without "v"`)
	}
	v := string(h.V)
	if v != strconv.Itoa(Version2) && !(v == strconv.Itoa(Version3) && h.Kind != nil &&
		(*h.Kind == kindNameLogin || *h.Kind == kindNameDecision || *h.Kind == kindNameAlert)) {
		return 0, versionError(v)
	}
	if h.Kind == nil {
		return 0, malformed(`JSON message without "kind"`)
	}
	switch *h.Kind {
	case kindNameLogin:
		return KindLogin, nil
	case kindNameDecision:
		return KindDecision, nil
	case kindNameAlert:
		return KindAlert, nil
	case kindNameDeadLetter:
		return KindDeadLetter, nil
	}
	return 0, malformed("unknown kind %q", *h.Kind)
}

// expectKind checks that p is a version 2 message of kind want and at most
// max bytes long.
func expectKind(p []byte, want Kind, max int) error {
	if len(p) > max {
		return tooLarge("%s of %d bytes (at most %d)", kindName(want), len(p), max)
	}
	k, err := KindOf(p)
	if err != nil {
		return err
	}
	if k != want {
		return malformed("%s where %s was expected", article(kindName(k)), article(kindName(want)))
	}
	return nil
}

// marshalJSON encodes v without HTML escaping (so jq shows < > & as they
// are) and without the encoder's trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// unmarshalStrict decodes exactly one JSON object into v, refusing unknown
// fields, member names that differ from v's tags (encoding/json would
// match "USER" to "user"), a member given twice (encoding/json keeps the
// last) and trailing data: a signed message has no unsigned extras, and no
// two readers of a message may see different values in it.
func unmarshalStrict(p []byte, k Kind, v any) error {
	// A message that json.Unmarshal decodes (it checks the syntax and
	// refuses trailing data) and whose member names hold no escape has its
	// names checked by one scan (scanMembers). Anything else is decoded
	// again from zero by the Token walk below, which says what is wrong:
	// a wrong name comes before a wrong value. Both give the same result
	// (FuzzUnmarshalStrictPaths).
	if json.Unmarshal(p, v) == nil {
		if plain, err := scanMembers(p, memberNames(v)); plain {
			if err != nil {
				return malformed("%s: %v", kindName(k), err)
			}
			return nil
		}
	}
	reflect.ValueOf(v).Elem().SetZero()
	return unmarshalStrictWalk(p, k, v)
}

// unmarshalStrictWalk is unmarshalStrict by json.Decoder: its member names
// walked token by token (checkMembers), then decoded, then the end checked.
func unmarshalStrictWalk(p []byte, k Kind, v any) error {
	if err := checkMembers(p, v); err != nil {
		return malformed("%s: %v", kindName(k), err)
	}
	d := json.NewDecoder(bytes.NewReader(p))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return malformed("%s: %v", kindName(k), err)
	}
	if _, err := d.Token(); err != io.EOF {
		return malformed("%s: data after the JSON object", kindName(k))
	}
	return nil
}

// checkText checks a name-like field: valid UTF-8, no control characters,
// min to max bytes.
func checkText(field, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		if len(s) > max {
			return tooLarge("%s of %d bytes (%d to %d)", field, len(s), min, max)
		}
		return malformed("%s of %d bytes (%d to %d)", field, len(s), min, max)
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return malformed("%s is not valid UTF-8 (byte %d)", field, i)
			}
		}
		if unicode.IsControl(r) {
			return malformed("%s has control character U+%04X at byte %d", field, r, i)
		}
	}
	return nil
}

func checkNames2(user, session string) error {
	if err := CheckUser(user); err != nil {
		return err
	}
	return checkText("session", session, 1, MaxName)
}

// CheckUser checks a user name as every message of the format does: 1 to
// [MaxName] bytes of valid UTF-8 without control characters. Enrolment
// calls it too, so that no user is enrolled whom no login can name.
func CheckUser(user string) error { return checkText("user", user, 1, MaxName) }

// nanos returns t as Unix nanoseconds, the form MACs and AADs use; times
// outside int64 nanoseconds (1677-09-21 to 2262-04-11) are refused.
func nanos(field string, t time.Time) (int64, error) {
	n := t.UnixNano()
	if !time.Unix(0, n).Equal(t) {
		return 0, malformed("%s %v outside 1677-09-21..2262-04-11", field, t)
	}
	return n, nil
}

// clip returns s as valid UTF-8 of at most max bytes, cut at a character
// boundary.
func clip(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// checkMembers walks p's top-level object with json.Decoder.Token and
// refuses a member name that is not exactly one of v's json tags, or that
// appears twice. encoding/json/v2 refuses duplicates itself but is behind
// GOEXPERIMENT=jsonv2 in Go 1.26; encoding/json does not, hence this walk.
// The messages are flat: a value that is an object or an array is skipped
// whole (and refused by the decoder, whose types have none).
func checkMembers(p []byte, v any) error {
	names := memberNames(v)
	d := json.NewDecoder(bytes.NewReader(p))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil // not an object: the decoder says why
	}
	var seen uint64
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil
		}
		name, _ := t.(string)
		if err := admitMember(names, &seen, []byte(name)); err != nil {
			return err
		}
		for depth := 0; ; {
			t, err := d.Token()
			if err != nil {
				return nil
			}
			switch t {
			case json.Delim('{'), json.Delim('['):
				depth++
			case json.Delim('}'), json.Delim(']'):
				depth--
			}
			if depth == 0 {
				break
			}
		}
	}
	return nil
}

// scanMembers checks the member names of p's top-level object as
// checkMembers does (admitMember), for p that json.Unmarshal decoded, so
// valid JSON. By hand,
// because json.Decoder.Token allocates per token: the walk was two thirds
// of a client's 14 µs per decision. Valid JSON needs only its strings
// skipped and its depth counted; a string at depth 1 followed by a colon
// is a member name. plain is false, and nothing is checked, when p is not
// an object or a name holds an escape or a byte outside ASCII (whose
// decoded form is what counts, invalid UTF-8 included): the walk then
// decides.
func scanMembers(p []byte, names map[string]uint64) (plain bool, err error) {
	i := skipSpace(p, 0)
	if i == len(p) || p[i] != '{' {
		return false, nil
	}
	var seen uint64
	for depth := 0; i < len(p); i++ {
		switch p[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			j, plainName := i+1, true
			for p[j] != '"' { // valid JSON: the string ends
				switch {
				case p[j] == '\\':
					plainName = false
					j++
				case p[j] >= utf8.RuneSelf:
					plainName = false
				}
				j++
			}
			if k := skipSpace(p, j+1); depth == 1 && p[k] == ':' {
				if !plainName {
					return false, nil
				}
				if err := admitMember(names, &seen, p[i+1:j]); err != nil {
					return true, err
				}
			}
			i = j
		}
	}
	return true, nil
}

// admitMember refuses the member name unless it is one of names (a name to
// its bit) and not in seen yet, and adds it to seen.
func admitMember(names map[string]uint64, seen *uint64, name []byte) error {
	bit, ok := names[string(name)]
	switch {
	case !ok:
		return fmt.Errorf("unknown field %q (member names are exact, lower case)", name)
	case *seen&bit != 0:
		return fmt.Errorf("member %q given twice", name)
	}
	*seen |= bit
	return nil
}

// skipSpace returns the index of the first byte of p at or after i that is
// not JSON white space (len(p) when there is none).
func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// memberNames returns the json tag names of the struct v points to, each
// to a bit of its own (the structs have fewer than 64 fields).
func memberNames(v any) map[string]uint64 {
	t := reflect.TypeOf(v).Elem()
	if m, ok := memberCache.Load(t); ok {
		return m.(map[string]uint64)
	}
	m := map[string]uint64{}
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = 1 << len(m)
		}
	}
	if len(m) > 64 {
		panic("wire: a message type with more than 64 members")
	}
	memberCache.Store(t, m)
	return m
}

var memberCache sync.Map // reflect.Type -> map[string]uint64
