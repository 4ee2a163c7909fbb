package wire

import (
	"bytes"
	"testing"
)

// TestDuplicateMembers: encoding/json keeps the last of two members of
// one name and matches names without regard to case, so a login with
// "user" twice (or "user" and "USER") was accepted and read as the last
// one, while a reader that keeps the first (jq, another language) read
// another user. Every decoder now refuses both.
func TestDuplicateMembers(t *testing.T) {
	scorer := fixedKey(t, "scorer")
	login, _ := mustSeal(t, scorer.Public(), sampleLogin())
	decision := mustSignDecision(t, sampleDecision(), keyA)
	alert := mustMarshalAlert(t)
	dead := MarshalDeadLetter(DeadLetter{Topic: "t", Class: "c", Reason: "r", Value: []byte("v"), At: at})
	insert := func(p []byte, member string) []byte {
		i := bytes.IndexByte(p, '{')
		return append(append(append([]byte(nil), p[:i+1]...), member+","...), p[i+1:]...)
	}
	for _, tc := range []struct {
		name, want string
		p          []byte
		parse      func([]byte) error
	}{
		{"login user twice", `member "user" given twice`, bytes.Replace(login, []byte(`"user":"user7"`), []byte(`"user":"user7","user":"mallory"`), 1),
			func(p []byte) error { _, err := ParseLogin(p); return err }},
		{"login user in capitals", `unknown field "USER"`, insert(login, `"USER":"mallory"`),
			func(p []byte) error { _, err := ParseLogin(p); return err }},
		{"login client twice", `member "client" given twice`, insert(login, `"client":"elsewhere"`),
			func(p []byte) error { _, err := ParseLogin(p); return err }},
		{"login kid with a Kelvin sign", "unknown field \"\u212aid\"", insert(login, "\"\u212aid\":\"x\""),
			func(p []byte) error { _, err := ParseLogin(p); return err }},
		{"decision accept twice", `member "accept" given twice`, insert(decision, `"accept":false`),
			func(p []byte) error { _, err := ParseDecision(p); return err }},
		{"alert seq twice", `member "seq" given twice`, insert(alert, `"seq":0`),
			func(p []byte) error { _, err := ParseAlert(p); return err }},
		{"dead letter class twice", `member "class" given twice`, insert(dead, `"class":"other"`),
			func(p []byte) error { _, err := ParseDeadLetter(p); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.parse(tc.p), ErrMalformed, tc.want)
		})
	}
	// The messages as written still parse.
	if _, err := ParseLogin(login); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseDecision(decision); err != nil {
		t.Fatal(err)
	}
}
