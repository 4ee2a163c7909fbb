package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/store"
)

// training runs the tests of what retraining reads: LabeledVectors and
// SampleVectors.
func training(t *testing.T, open func(t *testing.T) store.Profiles) {
	ctx := context.Background()
	t.Run("LabeledVectors", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		// Three sessions of u1 (old, new, alerted), one of u2, and vectors
		// of a session that was never created (no login: left out).
		for _, x := range []store.Session{
			{ID: "old", User: "u1", Accepted: true, Started: t0},
			{ID: "new", User: "u1", Accepted: true, Started: t0.Add(time.Hour)},
			{ID: "bad", User: "u1", Accepted: true, Started: t0.Add(2 * time.Hour)},
			{ID: "other", User: "u2", Accepted: true, Started: t0.Add(3 * time.Hour)},
		} {
			if _, _, err := s.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkAlerted(ctx, "u1", "bad"); err != nil {
			t.Fatal(err)
		}
		var vs []store.Vector
		var ds []store.Decision
		for _, k := range []struct {
			user, session string
			n             int64
		}{{"u1", "old", 4}, {"u1", "new", 3}, {"u1", "bad", 2}, {"u2", "other", 2}, {"u1", "orphan", 2}} {
			for seq := range k.n {
				vs = append(vs, vec(k.user, k.session, seq))
				if !(k.session == "new" && seq == 1) { // one vector of "new" has no decision
					d := dec(k.user, k.session, seq, 0.25*float64(seq+1))
					d.Judged = seq%2 == 1
					ds = append(ds, d)
				}
			}
		}
		if _, _, err := s.PutBatch(ctx, vs, ds); err != nil {
			t.Fatal(err)
		}
		decided := map[string]store.Decision{}
		for _, d := range ds {
			decided[fmt.Sprintf("%s/%s/%d", d.User, d.Session, d.Seq)] = d
		}
		check := func(got []store.LabeledVector, alerted bool, want ...string) {
			t.Helper()
			var keys []string
			for _, x := range got {
				k := fmt.Sprintf("%s/%s/%d", x.User, x.Session, x.Seq)
				keys = append(keys, k)
				if want := vec(x.User, x.Session, x.Seq); !reflect.DeepEqual(x.Values, want.Values) || !sameTime(x.At, want.At) {
					t.Fatalf("vector %s did not round-trip: %+v", k, x.Vector)
				}
				if x.SessionAlerted != alerted {
					t.Fatalf("vector %s: SessionAlerted %v, want %v", k, x.SessionAlerted, alerted)
				}
				d, ok := decided[k]
				if x.Decided != ok {
					t.Fatalf("vector %s: Decided %v, want %v", k, x.Decided, ok)
				}
				if !ok {
					continue
				}
				if !sameTime(x.Decision.At, d.At) {
					t.Fatalf("decision %s: time %v, want %v", k, x.Decision.At, d.At)
				}
				x.Decision.At = d.At
				if !reflect.DeepEqual(x.Decision, d) {
					t.Fatalf("decision of %s = %+v\nwant %+v", k, x.Decision, d)
				}
			}
			if !reflect.DeepEqual(keys, want) {
				t.Fatalf("LabeledVectors = %q\nwant %q", keys, want)
			}
		}
		got, err := s.LabeledVectors(ctx, "u1", false, 100)
		if err != nil {
			t.Fatal(err)
		}
		// Newest session first, then seq; the alerted session, the orphan
		// vectors and u2's are left out.
		check(got, false, "u1/new/0", "u1/new/1", "u1/new/2", "u1/old/0", "u1/old/1", "u1/old/2", "u1/old/3")
		if got, err = s.LabeledVectors(ctx, "u1", false, 5); err != nil {
			t.Fatal(err)
		}
		check(got, false, "u1/new/0", "u1/new/1", "u1/new/2", "u1/old/0", "u1/old/1")
		if got, err = s.LabeledVectors(ctx, "u1", true, 100); err != nil {
			t.Fatal(err)
		}
		check(got, true, "u1/bad/0", "u1/bad/1")
		if got, err = s.LabeledVectors(ctx, "nobody", false, 100); err != nil || len(got) != 0 {
			t.Fatalf("LabeledVectors of an unknown user = %v, %v", got, err)
		}
	})
	t.Run("SampleVectors", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		if got, err := s.SampleVectors(ctx, 1, 10); err != nil || len(got) != 0 {
			t.Fatalf("SampleVectors of an empty store = %v, %v", got, err)
		}
		// 20 users, 2 sessions of 10 vectors each; the first session of
		// every fourth user alerted.
		var vs []store.Vector
		alerted := map[string]bool{}
		for u := range 20 {
			user := fmt.Sprintf("user%02d", u)
			for _, sess := range []string{"a", "b"} {
				if _, _, err := s.CreateSession(ctx, store.Session{ID: sess, User: user, Accepted: true, Started: t0}); err != nil {
					t.Fatal(err)
				}
				if u%4 == 0 && sess == "a" {
					if err := s.MarkAlerted(ctx, user, sess); err != nil {
						t.Fatal(err)
					}
					alerted[user+"/"+sess] = true
				}
				for seq := range int64(10) {
					vs = append(vs, vec(user, sess, seq))
				}
			}
		}
		if _, _, err := s.PutBatch(ctx, vs, nil); err != nil {
			t.Fatal(err)
		}
		const n = 64
		sample := func(seed int64) []store.Vector {
			t.Helper()
			got, err := s.SampleVectors(ctx, seed, n)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		got := sample(7)
		if len(got) != n {
			t.Fatalf("SampleVectors(n %d) of 400 stored vectors returned %d", n, len(got))
		}
		seen, users := map[string]bool{}, map[string]bool{}
		for _, v := range got {
			k := fmt.Sprintf("%s/%s/%d", v.User, v.Session, v.Seq)
			if seen[k] {
				t.Fatalf("vector %s sampled twice", k)
			}
			seen[k], users[v.User] = true, true
			if alerted[v.User+"/"+v.Session] {
				t.Fatalf("vector %s of an alerted session sampled", k)
			}
			if want := vec(v.User, v.Session, v.Seq); !reflect.DeepEqual(v.Values, want.Values) || !sameTime(v.At, want.At) {
				t.Fatalf("sampled vector %s did not round-trip", k)
			}
		}
		if len(users) < 3 {
			t.Fatalf("a sample of %d vectors holds %d users' of 20", n, len(users))
		}
		if again := sample(7); !reflect.DeepEqual(again, got) {
			t.Fatal("the same seed gave another sample")
		}
		if other := sample(8); reflect.DeepEqual(other, got) {
			t.Fatal("another seed gave the same sample")
		}
		if all, err := s.SampleVectors(ctx, 7, 10_000); err != nil || len(all) > 400-50 {
			t.Fatalf("SampleVectors(n 10000) of 350 vectors of sessions without an alert = %d, %v", len(all), err)
		}
	})
}
