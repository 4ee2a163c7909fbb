package wire

// This file is format version 1. The service (live) and the client (replay)
// write and read version 2 only (v2.go and the files beside it). Version 1
// sent logins with the password in clear and vectors and decisions without
// a MAC, so version 2 decoders refuse it. Only its decoders are left, to
// read records of old topics; nothing writes version 1 any more (the tests
// that send version 1 records to check they are refused encode them
// themselves, v1enc_test.go).
//
// Version 1: every message value starts with a three-byte header:
//
//	byte 0  'M' (0x4D), magic
//	byte 1  format version, 1
//	byte 2  kind: 'L' login, 'V' vector, 'D' decision, 'A' alert, 'X' dead letter
//
// A vector is binary, big-endian: uint16 user length, user bytes, uint16
// session length, session bytes, int64 seq, int64 sent (Unix nanoseconds),
// uint16 n, then n float64. The other kinds are a JSON object after the
// header.

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Version is format version 1.
//
// Deprecated: version 1; version 2 is [Version2].
const Version = 1

// Peek returns the kind of a version 1 message after checking its header.
//
// Deprecated: version 1; use [KindOf].
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

// DecodeLogin decodes a version 1 login and checks its names.
//
// Deprecated: version 1; use [ParseLogin] and [OpenLogin].
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

// DecodeDecision decodes a version 1 decision.
//
// Deprecated: version 1; use [ParseDecision].
func DecodeDecision(p []byte) (LegacyDecision, error) {
	var d LegacyDecision
	err := decodeJSON(p, KindDecision, &d)
	return d, err
}

// DecodeAlert decodes a version 1 alert.
//
// Deprecated: version 1; use [ParseAlert].
func DecodeAlert(p []byte) (Alert, error) {
	var a Alert
	err := decodeJSON(p, KindAlert, &a)
	return a, err
}

// DecodeDeadLetter decodes a version 1 dead letter.
//
// Deprecated: version 1; use [ParseDeadLetter].
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

// DecodeVector decodes a version 1 vector. It checks lengths and names,
// not the number of values (the service compares it with the model's).
//
// Deprecated: version 1; use [ParseVector] and [SignedVector.Verify].
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
