package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/replay"
)

// benchModel is a default enrolment model (a 100-tree forest) of a
// synthetic user and one of the user's vectors.
func benchModel(b *testing.B) (classify.Model, []float64) {
	b.Helper()
	us, err := replay.Synthetic(context.Background(), 3, 2, 100, 1)
	if err != nil {
		b.Fatal(err)
	}
	var own, others [][]float64
	for i, u := range us {
		for _, v := range u.Sessions[0] {
			if i == 0 {
				own = append(own, v.Values)
			} else {
				others = append(others, v.Values)
			}
		}
	}
	data, err := account.TrainModel(context.Background(), us[0].User, 1, own, others, account.TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": 100}, Seed: 1}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	sm, err := account.CheckModel(data)
	if err != nil {
		b.Fatal(err)
	}
	return sm.Model, us[0].Sessions[1][0].Values
}

// BenchmarkServicePerVector measures what the service does per vector
// apart from the store and the broker (parse, verify the MAC, score, sign
// the decision) beside scoring alone: the cryptography's share of the
// scorer's CPU per vector. The store's write (130-200 µs per vector,
// docs/wire.md) comes on top.
//
//	go test ./live -run '^$' -bench ServicePerVector -benchmem -count 5
func BenchmarkServicePerVector(b *testing.B) {
	model, values := benchModel(b)
	key := wire.NewSessionKey()
	v := wire.Vector{User: "User1", Session: "0123456789abcdef0123456789abcdef", Seq: 41, Sent: time.Now(), Values: values}
	decision := func(score float64) wire.Decision {
		return wire.Decision{User: v.User, Session: v.Session, Seq: v.Seq, Accept: score >= 0.5, Sent: v.Sent, ServiceNanos: 812345}
	}
	b.Run("v2", func(b *testing.B) {
		msg, err := wire.SignVector(nil, v, key)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			sv, err := wire.ParseVector(msg)
			if err != nil {
				b.Fatal(err)
			}
			x, err := sv.Verify(key)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := wire.SignDecision(decision(model.Score(x.Values)), key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("score only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = model.Score(values)
		}
	})
}
