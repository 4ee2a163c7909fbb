package wire

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// TestDuplicateMembers: encoding/json keeps the last of two members of
// one name and matches names without regard to case, so a login with
// "user" twice (or "user" and "USER") was accepted and read as the last
// one, while a reader that keeps the first (jq, another language) read
// another user. Every decoder now refuses both.
func TestDuplicateMembers(t *testing.T) {
	t.Parallel()
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

// FuzzUnmarshalStrictPaths: the scan of member names (scanMembers, then
// json.Unmarshal) and the Token walk give the same error, or the same
// value, for every message type and any input. The seeds are the messages
// as written and the tricks the walk refuses or decides: names escaped,
// repeated, in capitals, nested objects and arrays, strings holding
// quotes, colons and braces, trailing data, no object at all.
func FuzzUnmarshalStrictPaths(f *testing.F) {
	scorer := fixedKey(f, "scorer")
	login, _ := mustSeal(f, scorer.Public(), sampleLogin())
	decision := mustSignDecision(f, sampleDecision(), keyA)
	for _, p := range [][]byte{
		login, decision, mustSignLegacy(f, sampleLegacy(), keyA), mustMarshalAlert(f),
		MarshalDeadLetter(DeadLetter{Topic: "t", Class: "c", Reason: "r", Value: []byte("v"), At: at}),
		bytes.Replace(decision, []byte(`"seq"`), []byte(`"se\u0071"`), 1),
		bytes.Replace(decision, []byte(`"seq"`), []byte(`"SEQ"`), 1),
		bytes.Replace(decision, []byte(`"accept":`), []byte(`"accept":false,"accept":`), 1),
		bytes.Replace(decision, []byte(`"reason":"`), []byte(`"reason":"a\":{[,\"seq\":1`), 1),
		bytes.Replace(decision, []byte(`"user":`), []byte(`"x":{"user":[1,{"seq":2}]},"user":`), 1),
		bytes.Replace(decision, []byte(`"user":`), []byte(` "user" :`), 1),
		append(append([]byte(nil), decision...), " {}"...),
		[]byte(`["v",3]`), []byte(`"kind"`), []byte(`{}`), []byte(`{"v":"3"}`), []byte(`{"v":1e400}`), []byte(" \t\n{\"kind\":\"decision\"}\r"),
	} {
		f.Add(p)
	}
	types := []func() any{
		func() any { return new(decisionJSON) }, func() any { return new(decisionJSONV2) }, func() any { return new(loginJSON) },
		func() any { return new(alertJSON) }, func() any { return new(alertJSONV2) }, func() any { return new(deadLetterJSON) },
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		for _, mk := range types {
			fast, walk := mk(), mk()
			errFast, errWalk := unmarshalStrict(p, KindDecision, fast), unmarshalStrictWalk(p, KindDecision, walk)
			if fmt.Sprint(errFast) != fmt.Sprint(errWalk) {
				t.Fatalf("%T: the scan says %v, the walk %v", fast, errFast, errWalk)
			}
			if errFast == nil && !reflect.DeepEqual(fast, walk) {
				t.Fatalf("%T: the scan decoded %+v, the walk %+v", fast, fast, walk)
			}
		}
	})
}
