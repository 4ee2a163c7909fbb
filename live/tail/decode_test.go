package tail_test

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/tail"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
)

const secret = "hunter2-Tr0ub4dor" // a password that must never be shown

var (
	at   = time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)
	opts = tail.Options{LoginTopic: topics.Logins}
)

// The version 1 encodings, written here by hand so that these tests do not
// depend on package wire's deprecated version 1 code.

func v1JSON(kind byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return append([]byte{'M', 1, kind}, b...)
}

func v1Vector(user, session string, seq int64, sent time.Time, values ...float64) []byte {
	b := []byte{'M', 1, 'V'}
	b = binary.BigEndian.AppendUint16(b, uint16(len(user)))
	b = append(b, user...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(session)))
	b = append(b, session...)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = binary.BigEndian.AppendUint64(b, uint64(sent.UnixNano()))
	b = binary.BigEndian.AppendUint16(b, uint16(len(values)))
	for _, x := range values {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func v1Login() []byte {
	return v1JSON('L', map[string]any{"user": "user7", "session": "s-1", "client": "10.0.0.1", "password": secret, "sent": at})
}

// line decodes value as a record of topic and returns the line's members.
func line(t *testing.T, topic string, value []byte) (map[string]any, string) {
	t.Helper()
	b := tail.Decode(tail.Record{Topic: topic, Partition: 3, Offset: 17, Time: at, Key: []byte("user7"), Value: value}, opts)
	if strings.Contains(string(b), "\n") {
		t.Fatalf("a line with a newline: %q", b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, b)
	}
	k, ok := m["kafka"].(map[string]any)
	if !ok || k["topic"] != topic || k["partition"] != 3.0 || k["offset"] != 17.0 || k["time"] != "2026-11-22T10:00:00.123456789Z" {
		t.Errorf("kafka member %v", m["kafka"])
	}
	return m, string(b)
}

// want checks members of a line.
func want(t *testing.T, m map[string]any, kv ...any) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		if got := m[kv[i].(string)]; got != kv[i+1] {
			t.Errorf("%s = %#v, want %#v (line %v)", kv[i], got, kv[i+1], m)
		}
	}
}

// publishedMessage is a message of the wire format's test vectors
// (live/wire/testdata/vectors.json) by its group and name.
func publishedMessage(t *testing.T, group, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../wire/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Name, Message string }
	if err := json.Unmarshal(f[group], &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Name == name {
			return []byte(c.Message)
		}
	}
	t.Fatalf("no %s %q in the test vectors", group, name)
	return nil
}

func TestDecodeVersion2(t *testing.T) {
	t.Parallel()
	key := wire.NewSessionKey()
	d := wire.Decision{User: "user7", Session: "s-12", Seq: 41, Accept: false, Alert: true, Closed: true, Sent: at, ServiceNanos: 812345}
	p, err := wire.SignDecision(d, key)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := line(t, topics.Decisions, p)
	want(t, m, "v", 3.0, "kind", "decision", "user", "user7", "session", "s-12", "seq", 41.0, "accept", false, "alert", true,
		"closed", true, "service_ns", 812345.0, "sent", "2026-11-22T10:00:00.123456789Z", "redelivered", false, "reason", "")
	for _, member := range []string{"score", "mean", "window", "threshold", "model_version"} {
		if _, ok := m[member]; ok {
			t.Errorf("a version 3 decision's line has a %s", member)
		}
	}
	// A version 2 decision of an old topic: the score it told the client.
	m, _ = line(t, topics.Decisions, publishedMessage(t, "decisions", "version 2 (decoded only): vector accepted"))
	want(t, m, "v", 2.0, "kind", "decision", "user", "user7", "session", "s-12", "seq", 41.0, "accept", true, "alert", false,
		"score", 0.71, "mean", 0.6425, "window", 10.0, "threshold", 0.5, "model_version", 3.0, "service_ns", 812345.0,
		"sent", "2026-11-22T10:00:00.123456789Z", "redelivered", false, "reason", "")

	p, err = wire.MarshalAlert(wire.Alert{User: "user7", Session: "s-12", Seq: 9, Policy: "decide/1 rule=sequential", Statistic: -4.5,
		Score: 0.02, Flags: "novel", ModelVersion: 2, At: at})
	if err != nil {
		t.Fatal(err)
	}
	m, _ = line(t, topics.Alerts, p)
	want(t, m, "v", 3.0, "kind", "alert", "user", "user7", "seq", 9.0, "policy", "decide/1 rule=sequential", "statistic", -4.5,
		"score", 0.02, "flags", "novel", "model_version", 2.0, "at", "2026-11-22T10:00:00.123456789Z")
	m, _ = line(t, topics.Alerts, publishedMessage(t, "alerts", "version 2 (decoded only)"))
	want(t, m, "v", 2.0, "kind", "alert", "user", "user7", "seq", 9.0, "mean", 0.31, "threshold", 0.5, "window", 10.0,
		"at", "2026-11-22T10:00:00.123456789Z")

	vec := wire.Vector{User: "user7", Session: "s-12", Seq: 5, Sent: at, Values: []float64{1.5, -2, 0}}
	p, err = wire.SignVector(nil, vec, key)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = line(t, topics.Features, p)
	want(t, m, "v", 2.0, "kind", "vector", "user", "user7", "session", "s-12", "seq", 5.0, "count", 3.0)
	if vs, _ := m["values"].([]any); len(vs) != 3 || vs[0] != 1.5 || vs[1] != -2.0 {
		t.Errorf("values %v", m["values"])
	}

	x := wire.DeadLetter{Topic: topics.Features, Partition: 1, Offset: 77, Key: "user7", Class: "bad mac", Reason: "bad MAC", Value: p, At: at}
	m, _ = line(t, topics.DeadLetter, wire.MarshalDeadLetter(x))
	want(t, m, "v", 2.0, "kind", "dead_letter", "topic", topics.Features, "offset", 77.0, "class", "bad mac", "key", "user7",
		"size", float64(len(p)), "truncated", false, "value", base64.StdEncoding.EncodeToString(p))
}

func TestDecodeVersion2LoginShowsNoSecret(t *testing.T) {
	t.Parallel()
	k, err := wire.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := wire.SealLoginV2(k.Public(), wire.Login{User: "user7", Session: "s-1", Client: "10.0.0.1", Password: secret, Sent: at})
	if err != nil {
		t.Fatal(err)
	}
	m, s := line(t, topics.Logins, p)
	want(t, m, "v", 2.0, "kind", "login", "user", "user7", "session", "s-1", "client", "10.0.0.1", "sealed", true, "kid", k.ID().String())
	if _, ok := m["ct"]; ok {
		t.Errorf("the sealed part is shown: %s", s)
	}
	if _, ok := m["enc"]; ok {
		t.Errorf("the encapsulated key is shown: %s", s)
	}
	// Its dead letter (a v2 service keeps no bytes of a login, but an
	// older one did) shows none either.
	dl := wire.MarshalDeadLetter(wire.DeadLetter{Topic: topics.Logins, Key: "user7", Class: "bad seal", Reason: "x", Value: p, At: at})
	m, _ = line(t, topics.DeadLetter, dl)
	if _, ok := m["value"]; ok || m["value_omitted"] == nil {
		t.Errorf("a dead letter of the login topic shows its bytes: %v", m)
	}
}

// TestDecodeVersion3Login: a signed login shows its client identity (the
// signer's name and its certificate's fingerprint), and no secret.
func TestDecodeVersion3Login(t *testing.T) {
	k, err := wire.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.NewCA(pki.CAOptions{Now: at})
	if err != nil {
		t.Fatal(err)
	}
	is, err := ca.Issue(pki.IssueRequest{Name: "ws1", Role: pki.RoleClient, Now: at, Binding: &pki.Binding{Users: []string{"user7"}}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := wire.NewClientSigner(tls.Certificate{Certificate: [][]byte{is.Cert.Raw}, PrivateKey: is.Key})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := wire.SealLogin(k.Public(), wire.Login{User: "user7", Session: "s-1", Password: secret, Sent: at}, id)
	if err != nil {
		t.Fatal(err)
	}
	m, s := line(t, topics.Logins, p)
	sum := sha256.Sum256(is.Cert.Raw)
	want(t, m, "v", 3.0, "kind", "login", "user", "user7", "client", "ws1", "sealed", true, "cert_sha256", hex.EncodeToString(sum[:]))
	for _, member := range []string{"ct", "enc", "sig", "cert"} {
		if _, ok := m[member]; ok {
			t.Errorf("%s is shown: %s", member, s)
		}
	}
	if strings.Contains(s, secret) {
		t.Errorf("the password is shown: %s", s)
	}
}

func TestDecodeVersion1(t *testing.T) {
	t.Parallel()
	m, _ := line(t, topics.Decisions, v1JSON('D', wire.LegacyDecision{User: "user7", Session: "s-1", Seq: 4, Accept: true,
		Score: 0.9, Mean: 0.8, Window: 5, Threshold: 0.5, Sent: at, ServiceNanos: 1000}))
	want(t, m, "v", 1.0, "kind", "decision", "user", "user7", "seq", 4.0, "accept", true, "score", 0.9, "service_ns", 1000.0)
	if _, ok := m["mac"]; ok {
		t.Error("a version 1 decision has a mac member")
	}
	m, _ = line(t, topics.Alerts, v1JSON('A', wire.Alert{User: "user7", Session: "s-1", Seq: 9, Mean: 0.3, Threshold: 0.5, Window: 10, At: at}))
	want(t, m, "v", 1.0, "kind", "alert", "seq", 9.0, "mean", 0.3)
	vec := v1Vector("user7", "s-1", 2, at, 0.5, 1e300)
	m, _ = line(t, topics.Features, vec)
	want(t, m, "v", 1.0, "kind", "vector", "user", "user7", "seq", 2.0, "count", 2.0, "sent", "2026-11-22T10:00:00.123456789Z")
	// A version 1 dead letter keeps the whole original: shown, with its
	// size and hash, unless it may be a login.
	m, _ = line(t, topics.DeadLetter, v1JSON('X', map[string]any{"topic": topics.Features, "partition": 2, "offset": 5,
		"key": "user7", "reason": "length", "value": vec, "at": at}))
	want(t, m, "v", 1.0, "kind", "dead_letter", "reason", "length", "size", float64(len(vec)), "truncated", false,
		"value", base64.StdEncoding.EncodeToString(vec))
	if _, ok := m["class"]; ok {
		t.Error("a version 1 dead letter has a class")
	}
}

func TestDecodeVersion1LoginsShowNoPassword(t *testing.T) {
	t.Parallel()
	m, s := line(t, topics.Logins, v1Login())
	want(t, m, "v", 1.0, "kind", "login", "user", "user7", "session", "s-1", "sealed", false)
	if strings.Contains(s, secret) || strings.Contains(s, "password\"") {
		t.Errorf("a version 1 login shows its password: %s", s)
	}
	if !strings.Contains(s, "clear") {
		t.Errorf("no note that the password travelled in clear: %s", s)
	}
	b64 := base64.StdEncoding.EncodeToString(v1Login())
	for _, dl := range []struct {
		name  string
		topic string
		value []byte
	}{
		{"of the login topic", topics.Logins, v1Login()},
		{"of another topic, holding a login", topics.Features, v1Login()},
		{"of another topic, holding a password member", topics.Features, []byte(`{"user":"u","Password":"` + secret + `"}`)},
	} {
		m, s := line(t, topics.DeadLetter, v1JSON('X', map[string]any{"topic": dl.topic, "key": "user7",
			"reason": "bad", "value": dl.value, "at": at}))
		if strings.Contains(s, secret) || strings.Contains(s, b64) || m["value"] != nil || m["value_omitted"] == nil {
			t.Errorf("dead letter %s: %s", dl.name, s)
		}
		if m["size"] != float64(len(dl.value)) || m["sha256"] == "" {
			t.Errorf("dead letter %s lost its size or hash: %s", dl.name, s)
		}
	}
}

func TestDecodeBadRecords(t *testing.T) {
	t.Parallel()
	key := wire.NewSessionKey()
	good, _ := wire.SignVector(nil, wire.Vector{User: "u", Session: "s", Seq: 1, Sent: at, Values: []float64{1}}, key)
	for _, tc := range []struct {
		name, topic, class string
		value              []byte
	}{
		{"empty", topics.Decisions, "malformed", nil},
		{"text", topics.Decisions, "malformed", []byte("hello")},
		{"version 3", topics.Features, "version", []byte{'M', 3, 'V', 0}},
		{"unknown JSON kind", topics.Alerts, "malformed", []byte(`{"v":2,"kind":"nope"}`)},
		{"v2 JSON version 7", topics.Alerts, "version", []byte(`{"v":7,"kind":"alert"}`)},
		{"truncated v2 vector", topics.Features, "malformed", good[:len(good)-40]},
		{"truncated v1 vector", topics.Features, "malformed", v1Vector("u", "s", 1, at, 1, 2)[:30]},
		{"v1 vector, count mismatch", topics.Features, "malformed", append(v1Vector("u", "s", 1, at, 1), 0, 0)},
		{"v1 vector, NaN", topics.Features, "malformed", v1Vector("u", "s", 1, at, math.NaN())},
		{"v1 vector, empty user", topics.Features, "malformed", v1Vector("", "s", 1, at, 1)},
		{"v1 unknown kind", topics.Decisions, "malformed", []byte("M\x01Q{}")},
		{"v1 decision, bad JSON", topics.Decisions, "malformed", []byte("M\x01D{")},
		{"v1 decision, no user", topics.Decisions, "malformed", v1JSON('D', map[string]any{"seq": 1})},
		{"too large", topics.Decisions, "too large", make([]byte, 1<<20+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := line(t, tc.topic, tc.value)
			want(t, m, "kind", "error", "class", tc.class, "size", float64(len(tc.value)))
			if e, _ := m["error"].(string); e == "" {
				t.Errorf("no error text: %v", m)
			}
		})
	}
}

func TestDecodeBadLoginRecordsQuoteNothing(t *testing.T) {
	t.Parallel()
	for _, p := range [][]byte{
		[]byte("M\x01L{\"password\":\"" + secret), // cut v1 login
		[]byte(`{"v":"` + secret + `","kind":"login"}`),
		[]byte(`{"v":2,"kind":"login","user":"u","password":"` + secret + `"}`),
		[]byte(secret),
	} {
		_, s := line(t, topics.Logins, p)
		if strings.Contains(s, secret) || strings.Contains(s, secret[:4]) || !strings.Contains(s, `"kind":"error"`) {
			t.Errorf("%q gives %s", p, s)
		}
	}
}

// FuzzDecode: no input crashes Decode, every line is one JSON object, and
// nothing of a record of the login topic is shown but its size and hash.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("M\x01L{}"), true)
	f.Add(v1Login(), true)
	f.Add(v1Vector("u", "s", 1, at, 1, 2), false)
	f.Add([]byte(`{"v":2,"kind":"decision"}`), false)
	f.Add([]byte(`{"v":2,"kind":"dead_letter","topic":"mouseauth.logins","value":"TQFM"}`), false)
	f.Fuzz(func(t *testing.T, p []byte, login bool) {
		topic := topics.Decisions
		if login {
			topic = topics.Logins
		}
		b := tail.Decode(tail.Record{Topic: topic, Time: at, Value: p}, opts)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%q: not JSON: %v\n%s", p, err, b)
		}
		if login && m["kind"] == "error" && len(p) >= 8 && strings.Contains(string(b), string(p)) {
			t.Fatalf("a bad login record is quoted: %s", b)
		}
	})
}
