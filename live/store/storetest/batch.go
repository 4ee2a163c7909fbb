package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/internal/faultpoint"
)

func sameSession(a, b store.Session) bool {
	return a.ID == b.ID && a.User == b.User && a.Client == b.Client && a.Accepted == b.Accepted && a.Reason == b.Reason &&
		a.Alerted == b.Alerted && sameTime(a.Started, b.Started) && bytes.Equal(a.Key, b.Key)
}

// marked returns a vector and a decision of key (user, session, seq) that
// carry mark, so the suite can tell which write is stored.
func marked(user, session string, seq int64, mark float64) (store.Vector, store.Decision) {
	v := vec(user, session, seq)
	v.Values[0] = mark
	d := dec(user, session, seq, 0.6)
	d.Statistic = mark
	return v, d
}

// storedMarks returns the mark of every stored vector and decision of user,
// by "session/seq".
func storedMarks(t *testing.T, s store.Profiles, user string) (vectors, decisions map[string]float64) {
	t.Helper()
	ctx := context.Background()
	vs, err := s.Vectors(ctx, user, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	vectors, decisions = map[string]float64{}, map[string]float64{}
	for _, v := range vs {
		vectors[fmt.Sprintf("%s/%d", v.Session, v.Seq)] = v.Values[0]
	}
	for _, v := range vs {
		if d, err := s.Decision(ctx, user, v.Session, v.Seq); err == nil {
			decisions[fmt.Sprintf("%s/%d", v.Session, v.Seq)] = d.Statistic
		} else if !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	return vectors, decisions
}

func batches(t *testing.T, open func(t *testing.T) store.Profiles, o options) {
	ctx := context.Background()
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		iv, id, err := s.PutBatch(ctx, nil, nil)
		if err != nil || len(iv) != 0 || len(id) != 0 {
			t.Fatalf("PutBatch(nil, nil) = %v, %v, %v", iv, id, err)
		}
		v, _ := marked("u1", "s1", 0, 1)
		iv, id, err = s.PutBatch(ctx, []store.Vector{v}, nil)
		if err != nil || !reflect.DeepEqual(iv, []bool{true}) || len(id) != 0 {
			t.Fatalf("PutBatch of one vector and no decision = %v, %v, %v", iv, id, err)
		}
	})
	t.Run("MixedNewExistingAndDuplicates", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		for seq := int64(0); seq < 3; seq++ {
			v, _ := marked("u1", "s1", seq, -1)
			if ins, err := putVector(ctx, s, v); err != nil || !ins {
				t.Fatalf("putVector: %v %v", ins, err)
			}
		}
		_, d1 := marked("u1", "s1", 1, -1)
		if ins, err := putDecision(ctx, s, d1); err != nil || !ins {
			t.Fatalf("putDecision: %v %v", ins, err)
		}
		var vs []store.Vector
		var ds []store.Decision
		for _, k := range []struct {
			user, session string
			seq           int64
			mark          float64
		}{
			{"u1", "s1", 2, 10}, // stored before
			{"u1", "s1", 3, 11}, // new
			{"u1", "s1", 3, 12}, // the same key again in this batch
			{"u2", "s1", 0, 13}, // new, another user
			{"u1", "s2", 0, 14}, // new, another session
			{"u1", "s1", 0, 15}, // stored before
		} {
			v, _ := marked(k.user, k.session, k.seq, k.mark)
			vs = append(vs, v)
		}
		for _, k := range []struct {
			user string
			seq  int64
			mark float64
		}{{"u1", 1, 20}, {"u1", 2, 21}, {"u2", 0, 22}, {"u1", 2, 23}} {
			_, d := marked(k.user, "s1", k.seq, k.mark)
			ds = append(ds, d)
		}
		iv, id, err := s.PutBatch(ctx, vs, ds)
		if err != nil {
			t.Fatal(err)
		}
		if want := []bool{false, true, false, true, true, false}; !reflect.DeepEqual(iv, want) {
			t.Fatalf("inserted vectors %v, want %v", iv, want)
		}
		if want := []bool{false, true, true, false}; !reflect.DeepEqual(id, want) {
			t.Fatalf("inserted decisions %v, want %v", id, want)
		}
		gotV, gotD := storedMarks(t, s, "u1")
		wantV := map[string]float64{"s1/0": -1, "s1/1": -1, "s1/2": -1, "s1/3": 11, "s2/0": 14}
		wantD := map[string]float64{"s1/1": -1, "s1/2": 21}
		if !reflect.DeepEqual(gotV, wantV) || !reflect.DeepEqual(gotD, wantD) {
			t.Fatalf("stored marks of u1: vectors %v decisions %v\nwant vectors %v decisions %v (a batch must never replace a row)",
				gotV, gotD, wantV, wantD)
		}
		gotV, gotD = storedMarks(t, s, "u2")
		if !reflect.DeepEqual(gotV, map[string]float64{"s1/0": 13}) || !reflect.DeepEqual(gotD, map[string]float64{"s1/0": 22}) {
			t.Fatalf("stored marks of u2: vectors %v decisions %v", gotV, gotD)
		}
		d, err := s.Decision(ctx, "u1", "s1", 2)
		if _, want := marked("u1", "s1", 2, 21); err != nil || !sameTime(d.At, want.At) || d.Score != want.Score ||
			d.Window != want.Window || d.Threshold != want.Threshold || d.Accept != want.Accept || d.ModelVersion != want.ModelVersion {
			t.Fatalf("batched decision did not round-trip: %+v, %v", d, err)
		}

		// The whole batch delivered again stores nothing.
		iv, id, err = s.PutBatch(ctx, vs, ds)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(iv, make([]bool, len(vs))) || !reflect.DeepEqual(id, make([]bool, len(ds))) {
			t.Fatalf("redelivered batch: inserted %v %v, want none", iv, id)
		}
		if nv, nd, err := s.Counts(ctx, "u1"); err != nil || nv != 5 || nd != 2 {
			t.Fatalf("Counts(u1) = %d, %d, %v; want 5, 2", nv, nd, err)
		}
	})
	t.Run("ConcurrentOverlapping", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		// Eight writers, each going round all 144 keys (3 users x 48) in
		// batches of 24 that start at another offset per writer, so the
		// batches overlap in part; each batch also repeats its first key.
		const users, perUser, size, writers = 3, 48, 24, 8
		type key struct {
			user string
			seq  int64
		}
		var all []key
		for u := 0; u < users; u++ {
			for seq := int64(0); seq < perUser; seq++ {
				all = append(all, key{fmt.Sprintf("race%d", u), seq})
			}
		}
		var mu sync.Mutex
		// Writers that were told "inserted", per key, for vectors and
		// decisions.
		byV, byD := map[key][]int{}, map[key][]int{}
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := 0; b < len(all)/size; b++ {
					var vs []store.Vector
					var ds []store.Decision
					var ks []key
					for i := 0; i < size; i++ {
						k := all[(w*7+b*size+i)%len(all)]
						v, d := marked(k.user, "s", k.seq, float64(w))
						vs, ds, ks = append(vs, v), append(ds, d), append(ks, k)
					}
					v, d := marked(ks[0].user, "s", ks[0].seq, float64(100+w))
					vs, ds = append(vs, v), append(ds, d)
					iv, id, err := s.PutBatch(ctx, vs, ds)
					if err == nil && (iv[size] || id[size]) {
						err = errors.New("the repeated key was reported inserted")
					}
					for i, k := range ks {
						if err == nil && !o.partialBatches && iv[i] != id[i] {
							// One transaction: both rows are new or both seen.
							err = fmt.Errorf("key %v: vector inserted %v, decision inserted %v", k, iv[i], id[i])
						}
					}
					if err != nil {
						errs <- fmt.Errorf("writer %d batch %d: %w", w, b, err)
						return
					}
					mu.Lock()
					for i, k := range ks {
						if iv[i] {
							byV[k] = append(byV[k], w)
						}
						if id[i] {
							byD[k] = append(byD[k], w)
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for u := 0; u < users; u++ {
			user := fmt.Sprintf("race%d", u)
			gotV, gotD := storedMarks(t, s, user)
			for seq := int64(0); seq < perUser; seq++ {
				k := key{user, seq}
				if len(byV[k]) != 1 || len(byD[k]) != 1 {
					t.Fatalf("key %v reported inserted by writers %v (vector) and %v (decision), want exactly one each", k, byV[k], byD[k])
				}
				name := fmt.Sprintf("s/%d", seq)
				if gotV[name] != float64(byV[k][0]) || gotD[name] != float64(byD[k][0]) {
					t.Fatalf("key %v: writers %d and %d were told they inserted its vector and decision, but the stored ones carry marks %v and %v",
						k, byV[k][0], byD[k][0], gotV[name], gotD[name])
				}
			}
			if nv, nd, err := s.Counts(ctx, user); err != nil || nv != perUser || nd != perUser {
				t.Fatalf("Counts(%s) = %d, %d, %v; want %d each", user, nv, nd, err, perUser)
			}
		}
	})
	t.Run("FailureAtomicity", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		var vs []store.Vector
		var ds []store.Decision
		for _, user := range []string{"f1", "f2"} {
			for seq := int64(0); seq < 4; seq++ {
				v, d := marked(user, "s", seq, 1)
				vs, ds = append(vs, v), append(ds, d)
			}
		}
		errFault := errors.New("injected fault")
		_, _, err := s.PutBatch(faultpoint.With(ctx, faultpoint.BatchVectorsWritten, errFault), vs, ds)
		if !errors.Is(err, errFault) {
			t.Fatalf("PutBatch failing after the vectors: err = %v, want the injected fault", err)
		}
		before := map[string]bool{}
		for _, user := range []string{"f1", "f2"} {
			nv, nd, err := s.Counts(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			if !o.partialBatches && (nv != 0 || nd != 0) {
				t.Fatalf("a failed PutBatch left %d vectors and %d decisions of %s, want none (one transaction)", nv, nd, user)
			}
			got, _ := storedMarks(t, s, user)
			for k := range got {
				before[user+"/"+k] = true
			}
		}
		iv, id, err := s.PutBatch(ctx, vs, ds)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vs {
			if stored := before[fmt.Sprintf("%s/%s/%d", v.User, v.Session, v.Seq)]; iv[i] == stored {
				t.Fatalf("retry: vector %s/%d inserted=%v, but stored by the failed attempt=%v", v.User, v.Seq, iv[i], stored)
			}
		}
		if !reflect.DeepEqual(id, []bool{true, true, true, true, true, true, true, true}) {
			t.Fatalf("retry: inserted decisions %v, want all", id)
		}
		for _, user := range []string{"f1", "f2"} {
			if nv, nd, err := s.Counts(ctx, user); err != nil || nv != 4 || nd != 4 {
				t.Fatalf("after the retry Counts(%s) = %d, %d, %v; want 4, 4", user, nv, nd, err)
			}
		}
	})
}

func sessionsFirstWriteWins(t *testing.T, open func(t *testing.T) store.Profiles) {
	ctx := context.Background()
	s := open(t)
	defer s.Close()
	key := make([]byte, 60)
	for i := range key {
		key[i] = byte(i * 37)
	}
	victim := store.Session{ID: "s1", User: "u1", Client: "10.0.0.1:4000", Accepted: true, Started: t0, Key: key}
	created, stored, err := s.CreateSession(ctx, victim)
	if err != nil || !created || !sameSession(stored, victim) {
		t.Fatalf("CreateSession(new) = %v, %+v, %v", created, stored, err)
	}
	// A refused login for the same id, as an attacker would send it.
	attacker := store.Session{ID: "s1", User: "u1", Client: "6.6.6.6:6", Reason: "wrong password", Started: t0.Add(time.Second), Key: []byte("other")}
	created, stored, err = s.CreateSession(ctx, attacker)
	if err != nil || created || !sameSession(stored, victim) {
		t.Fatalf("CreateSession(existing id) = created %v, stored %+v, %v; want false and the first session", created, stored, err)
	}
	if got, err := s.Session(ctx, "u1", "s1"); err != nil || !sameSession(got, victim) {
		t.Fatalf("Session after a second CreateSession = %+v, %v; want the first", got, err)
	}
	if created, _, err := s.CreateSession(ctx, store.Session{ID: "s1", User: "u2", Accepted: true, Started: t0}); err != nil || !created {
		t.Fatalf("CreateSession of the same id for another user: %v, %v", created, err)
	}
	if _, _, err := s.CreateSession(ctx, store.Session{ID: "nokey", User: "u1", Accepted: true, Started: t0}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, "u1", "nokey"); err != nil || len(got.Key) != 0 {
		t.Fatalf("session without a key read back as %+v, %v", got, err)
	}

	// Alerts are sticky.
	for i := 0; i < 2; i++ {
		if err := s.MarkAlerted(ctx, "u1", "s1"); err != nil {
			t.Fatalf("MarkAlerted (%d): %v", i+1, err)
		}
	}
	want := victim
	want.Alerted = true
	if got, err := s.Session(ctx, "u1", "s1"); err != nil || !sameSession(got, want) {
		t.Fatalf("after MarkAlerted: %+v, %v; want %+v", got, err, want)
	}
	if _, stored, err := s.CreateSession(ctx, victim); err != nil || !stored.Alerted {
		t.Fatalf("a login delivered again returned %+v, %v: the alert must stay", stored, err)
	}
	if got, _ := s.Session(ctx, "u2", "s1"); got.Alerted {
		t.Fatal("MarkAlerted flagged another user's session with the same id")
	}
	for _, k := range [][2]string{{"u1", "nope"}, {"nobody", "s1"}} {
		if err := s.MarkAlerted(ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("MarkAlerted(%s, %s): err = %v, want ErrNotFound", k[0], k[1], err)
		}
		if _, err := s.Session(ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("MarkAlerted(%s, %s) created a session: %v", k[0], k[1], err)
		}
	}
	v, _ := marked("u1", "s1", 0, 1)
	if _, err := putVector(ctx, s, v); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Vectors(ctx, "u1", 10); err != nil || len(got) != 0 {
		t.Fatalf("Vectors returned %d vectors of a session marked alerted (%v)", len(got), err)
	}

	// Eight logins race for one id: one wins, all see the winner.
	var wg sync.WaitGroup
	type result struct {
		created bool
		stored  store.Session
		err     error
	}
	results := make([]result, 8)
	for w := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, st, err := s.CreateSession(ctx, store.Session{ID: "race", User: "u3", Client: fmt.Sprint(w), Accepted: w%2 == 0, Started: t0})
			results[w] = result{c, st, err}
		}()
	}
	wg.Wait()
	winner := -1
	for w, r := range results {
		if r.err != nil {
			t.Fatalf("CreateSession %d: %v", w, r.err)
		}
		if r.created {
			if winner >= 0 {
				t.Fatalf("CreateSession reported created to logins %d and %d", winner, w)
			}
			winner = w
		}
	}
	if winner < 0 {
		t.Fatal("no racing CreateSession reported created")
	}
	for w, r := range results {
		if r.stored.Client != fmt.Sprint(winner) {
			t.Fatalf("login %d was told the stored session is from client %q, but %d won", w, r.stored.Client, winner)
		}
	}
	if got, err := s.Session(ctx, "u3", "race"); err != nil || got.Client != fmt.Sprint(winner) || got.Accepted != (winner%2 == 0) {
		t.Fatalf("stored race session %+v, %v; want the winner %d's", got, err, winner)
	}
}

// lockout tests the failure counts the service's backoff is derived from:
// per user and per (user, client), atomic, cleared by a success or an
// operator's unlock.
func lockout(t *testing.T, open func(t *testing.T) store.Credentials) {
	ctx := context.Background()
	hash := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
	t.Run("RecordFailure", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		c := store.Credential{User: "user7", Department: "finance", Hash: hash}
		if err := s.PutCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		if f, err := s.ClientFailures(ctx, "user7", "ws-1"); err != nil || f != (store.ClientFailures{User: "user7", Client: "ws-1"}) {
			t.Fatalf("ClientFailures of a pair never seen = %+v, %v; want the zero record", f, err)
		}
		for _, step := range []struct {
			client       string
			now          time.Time
			wantUser     int
			wantPair     int
			wantUserLast time.Time
			wantPairLast time.Time
		}{
			{"ws-1", t0, 1, 1, t0, t0},
			{"ws-1", t0.Add(time.Second), 2, 2, t0.Add(time.Second), t0.Add(time.Second)},
			{"ws-2", t0.Add(2 * time.Second), 3, 1, t0.Add(2 * time.Second), t0.Add(2 * time.Second)}, // another client counts on its own
			{"ws-1", t0, 4, 3, t0.Add(2 * time.Second), t0.Add(time.Second)},                          // an earlier clock never moves a time back
		} {
			u, p, err := s.RecordFailure(ctx, "user7", step.client, step.now)
			if err != nil || u.Failures != step.wantUser || p.Failures != step.wantPair || !sameTime(u.LastFailure, step.wantUserLast) ||
				!sameTime(p.LastFailure, step.wantPairLast) || p.User != "user7" || p.Client != step.client || !p.LastSuccess.IsZero() {
				t.Fatalf("RecordFailure(%s, %v) = user %+v, pair %+v, %v; want %d and %d failures, last %v and %v",
					step.client, step.now, u, p, err, step.wantUser, step.wantPair, step.wantUserLast, step.wantPairLast)
			}
		}
		got, err := s.Credential(ctx, "user7")
		if err != nil || got.Failures != 4 || !sameTime(got.LastFailure, t0.Add(2*time.Second)) || got.Hash != c.Hash || got.Department != c.Department {
			t.Fatalf("Credential after 4 failures = %+v, %v", got, err)
		}
		if f, err := s.ClientFailures(ctx, "user7", "ws-2"); err != nil || f.Failures != 1 || !sameTime(f.LastFailure, t0.Add(2*time.Second)) {
			t.Fatalf("ClientFailures(ws-2) = %+v, %v", f, err)
		}
		locks, err := s.Lockouts(ctx)
		if err != nil || len(locks) != 3 || locks[0].Client != "" || locks[0].Failures != 4 || locks[1].Client != "ws-1" || locks[1].Failures != 3 ||
			locks[2].Client != "ws-2" || locks[2].Failures != 1 {
			t.Fatalf("Lockouts = %+v, %v; want the user's 4, ws-1's 3 and ws-2's 1", locks, err)
		}
		// A success from ws-1 clears the user's count and ws-1's, not ws-2's.
		for range 2 { // the second changes nothing and is no error
			if err := s.RecordSuccess(ctx, "user7", "ws-1", t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := s.Credential(ctx, "user7"); got.Failures != 0 || got.Hash != c.Hash {
			t.Fatalf("after RecordSuccess: %+v", got)
		}
		if f, _ := s.ClientFailures(ctx, "user7", "ws-1"); f.Failures != 0 || !sameTime(f.LastSuccess, t0.Add(time.Minute)) || !sameTime(f.LastFailure, t0.Add(time.Second)) {
			t.Fatalf("ws-1 after RecordSuccess: %+v", f)
		}
		if f, _ := s.ClientFailures(ctx, "user7", "ws-2"); f.Failures != 1 {
			t.Fatalf("ws-2 after ws-1's success: %+v", f)
		}
		// A success from a client never seen before creates its record.
		if err := s.RecordSuccess(ctx, "user7", "ws-3", t0); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.ClientFailures(ctx, "user7", "ws-3"); f.Failures != 0 || !sameTime(f.LastSuccess, t0) {
			t.Fatalf("ws-3 after its first success: %+v", f)
		}
		if err := s.RecordSuccess(ctx, "user7", "ws-3", t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.ClientFailures(ctx, "user7", "ws-3"); !sameTime(f.LastSuccess, t0) {
			t.Fatalf("an earlier success moved LastSuccess back: %+v", f)
		}
		// Unlocking one pair leaves the others; unlocking the user clears all.
		if _, _, err := s.RecordFailure(ctx, "user7", "ws-1", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Unlock(ctx, "user7", "ws-2"); err != nil {
			t.Fatal(err)
		}
		if locks, _ := s.Lockouts(ctx); len(locks) != 2 || locks[1].Client != "ws-1" {
			t.Fatalf("Lockouts after unlocking ws-2 = %+v", locks)
		}
		if err := s.Unlock(ctx, "user7", ""); err != nil {
			t.Fatal(err)
		}
		if locks, _ := s.Lockouts(ctx); len(locks) != 0 {
			t.Fatalf("Lockouts after unlocking the user = %+v", locks)
		}
		if f, _ := s.ClientFailures(ctx, "user7", "ws-1"); f.Failures != 0 || !sameTime(f.LastSuccess, t0.Add(time.Minute)) {
			t.Fatalf("unlock changed more than the count: %+v", f)
		}
		// Re-enrolment replaces the hash, not the per-client records.
		c.Hash = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXI$bmV3"
		if err := s.PutCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.ClientFailures(ctx, "user7", "ws-3"); !sameTime(f.LastSuccess, t0) {
			t.Fatalf("PutCredential cleared the per-client records: %+v", f)
		}
		// Names are kept exactly: a client name that differs only in case
		// or by a trailing space is another client.
		for _, cl := range []string{"WS-1", "ws-1 ", "ws-1\u00e9"} {
			if f, err := s.ClientFailures(ctx, "user7", cl); err != nil || !f.LastSuccess.IsZero() {
				t.Fatalf("ClientFailures(%q) = %+v, %v; want none", cl, f, err)
			}
		}
		if _, _, err := s.RecordFailure(ctx, "nobody", "ws-1", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("RecordFailure of unknown user: err = %v, want ErrNotFound", err)
		}
		if err := s.RecordSuccess(ctx, "nobody", "ws-1", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("RecordSuccess of unknown user: err = %v, want ErrNotFound", err)
		}
		if err := s.Unlock(ctx, "nobody", ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Unlock of unknown user: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Credential(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("RecordFailure or RecordSuccess created a credential: %v", err)
		}
		if f, _ := s.ClientFailures(ctx, "nobody", "ws-1"); f.Failures != 0 || !f.LastSuccess.IsZero() {
			t.Fatalf("RecordFailure or RecordSuccess of an unknown user stored a record: %+v", f)
		}
	})
	t.Run("RecordFailureConcurrent", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		if err := s.PutCredential(ctx, store.Credential{User: "victim", Hash: "h"}); err != nil {
			t.Fatal(err)
		}
		// Eight guessers (partitions, or instances) fail three times each at
		// once, half from one client and half from clients of their own,
		// whose records do not exist yet: every failure counts, each count
		// is seen once.
		const guessers, each = 8, 3
		var mu sync.Mutex
		seen := map[int]bool{}
		shared := map[int]bool{}
		var wg sync.WaitGroup
		errs := make(chan error, guessers)
		for g := 0; g < guessers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := "shared"
				if g%2 == 1 {
					client = fmt.Sprintf("own-%d", g)
				}
				for i := 0; i < each; i++ {
					u, p, err := s.RecordFailure(ctx, "victim", client, t0.Add(time.Duration(i)*time.Second))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					if seen[u.Failures] {
						errs <- fmt.Errorf("two failures were both told they were failure %d of the user", u.Failures)
					}
					seen[u.Failures] = true
					if client == "shared" {
						if shared[p.Failures] {
							errs <- fmt.Errorf("two failures were both told they were failure %d of the shared client", p.Failures)
						}
						shared[p.Failures] = true
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != guessers*each || len(shared) != guessers/2*each {
			t.Fatalf("counts seen: user %v, shared client %v", seen, shared)
		}
		got, err := s.Credential(ctx, "victim")
		if err != nil || got.Failures != guessers*each || !sameTime(got.LastFailure, t0.Add(2*time.Second)) {
			t.Fatalf("Credential after %d concurrent failures = %+v, %v", guessers*each, got, err)
		}
		for g := 1; g < guessers; g += 2 {
			if f, _ := s.ClientFailures(ctx, "victim", fmt.Sprintf("own-%d", g)); f.Failures != each {
				t.Fatalf("own-%d after %d failures: %+v", g, each, f)
			}
		}
	})
}

// OldCredential checks user's credential as a database of the versions
// that locked an account for a fixed time left it (5 failures, locked until
// 2100), once the store has opened and migrated it: the count is kept, the
// old lock is no longer read, and failures, successes and unlocks work.
func OldCredential(t *testing.T, s store.Credentials, user string) {
	t.Helper()
	ctx := context.Background()
	c, err := s.Credential(ctx, user)
	if err != nil || c.Failures != 5 || !c.LastFailure.IsZero() || c.Department != "finance" {
		t.Fatalf("the old credential read back as %+v, %v; want 5 failures and no last failure", c, err)
	}
	if locks, err := s.Lockouts(ctx); err != nil || len(locks) != 1 || locks[0].User != user || locks[0].Client != "" || locks[0].Failures != 5 {
		t.Fatalf("Lockouts of the old database = %+v, %v", locks, err)
	}
	if u, p, err := s.RecordFailure(ctx, user, "ws", t0); err != nil || u.Failures != 6 || p.Failures != 1 || !sameTime(u.LastFailure, t0) {
		t.Fatalf("RecordFailure on the old credential = %+v, %+v, %v", u, p, err)
	}
	if err := s.RecordSuccess(ctx, user, "ws", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(ctx, user, ""); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Credential(ctx, user); err != nil || c.Failures != 0 || c.Hash != "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" {
		t.Fatalf("the old credential after a success = %+v, %v", c, err)
	}
}
