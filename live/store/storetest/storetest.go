package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/store"
)

// t0 is a fixed time with millisecond precision, the coarsest any backend
// keeps (Cassandra timestamps).
var t0 = time.Date(2026, 11, 22, 10, 30, 0, 123_000_000, time.UTC)

func vec(user, session string, seq int64) store.Vector {
	vals := make([]float64, 39)
	for i := range vals {
		vals[i] = float64(seq)*1.5 + float64(i)/7 + math.Pi // not exactly representable in decimal
	}
	vals[3] = -0.0001234567890123
	vals[38] = 1e300
	return store.Vector{User: user, Session: session, Seq: seq, At: t0.Add(time.Duration(seq) * time.Millisecond), Values: vals}
}

func dec(user, session string, seq int64, score float64) store.Decision {
	return store.Decision{User: user, Session: session, Seq: seq, Score: score, Statistic: score/2 - 3.25, Window: int(seq%10) + 1,
		Threshold: 0.5, Accept: score >= 0.5, Alert: seq == 7, Judged: seq >= 5, Flags: int(seq % 8), ModelVersion: 3,
		At: t0.Add(time.Duration(seq) * time.Second)}
}

func sameTime(a, b time.Time) bool { return a.UnixMilli() == b.UnixMilli() }

// Models runs the model-store tests. open returns a new empty store; the
// suite closes it.
func Models(t *testing.T, open func(t *testing.T) store.Models) {
	ctx := context.Background()
	t.Run("LatestModelMissing", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		if _, err := s.LatestModel(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LatestModel of unknown user: err = %v, want ErrNotFound", err)
		}
		users, err := s.ModelUsers(ctx)
		if err != nil || len(users) != 0 {
			t.Fatalf("ModelUsers of empty store = %v, %v", users, err)
		}
	})
	t.Run("VersionsAndUsers", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		data := make([]byte, 300_000) // a real forest is this size
		for i := range data {
			data[i] = byte(i * 7)
		}
		for _, m := range []store.Model{
			{User: "user7", Version: 1, Data: []byte("v1"), Created: t0},
			{User: "user7", Version: 2, Data: data, Created: t0.Add(time.Hour), Vectors: 1000},
			{User: "user12", Version: 1, Data: []byte{0, 1, 2, 255}, Created: t0},
		} {
			if err := s.PutModel(ctx, m); err != nil {
				t.Fatalf("PutModel %s v%d: %v", m.User, m.Version, err)
			}
		}
		m, err := s.LatestModel(ctx, "user7")
		if err != nil {
			t.Fatal(err)
		}
		if m.Version != 2 || m.User != "user7" || m.Vectors != 1000 || !sameTime(m.Created, t0.Add(time.Hour)) || string(m.Data) != string(data) {
			t.Fatalf("LatestModel(user7) = v%d user %q vectors %d created %v, %d bytes; want v2 with the 300 kB payload",
				m.Version, m.User, m.Vectors, m.Created, len(m.Data))
		}
		err = s.PutModel(ctx, store.Model{User: "user7", Version: 2, Data: []byte("other"), Created: t0})
		if !errors.Is(err, store.ErrVersionExists) {
			t.Fatalf("second PutModel of user7 v2: err = %v, want ErrVersionExists", err)
		}
		if m, _ := s.LatestModel(ctx, "user7"); string(m.Data) != string(data) {
			t.Fatal("a refused PutModel replaced the stored model")
		}
		users, err := s.ModelUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(users, []string{"user12", "user7"}) {
			t.Fatalf("ModelUsers = %q, want [user12 user7]", users)
		}
	})
}

// Option adapts the suite to a backend.
type Option func(*options)

type options struct{ partialBatches bool }

// PartialBatches tells the suite that a PutBatch that fails may have stored
// part of its rows (Cassandra: one batch per user and table), so the suite
// checks that a retry completes it rather than that nothing was stored.
func PartialBatches() Option { return func(o *options) { o.partialBatches = true } }

// putVector stores v alone, through PutBatch, and reports whether it was
// inserted.
func putVector(ctx context.Context, s store.Profiles, v store.Vector) (bool, error) {
	ins, _, err := s.PutBatch(ctx, []store.Vector{v}, nil)
	if err != nil {
		return false, err
	}
	return ins[0], nil
}

// putDecision stores d alone, through PutBatch.
func putDecision(ctx context.Context, s store.Profiles, d store.Decision) (bool, error) {
	_, ins, err := s.PutBatch(ctx, nil, []store.Decision{d})
	if err != nil {
		return false, err
	}
	return ins[0], nil
}

// Profiles runs the model tests and the vector, decision, batch and session
// tests.
func Profiles(t *testing.T, open func(t *testing.T) store.Profiles, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	t.Run("Models", func(t *testing.T) {
		Models(t, func(t *testing.T) store.Models { return open(t) })
	})
	t.Run("VectorsIdempotent", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		for seq := int64(0); seq < 5; seq++ {
			ins, err := putVector(ctx, s, vec("u1", "s1", seq))
			if err != nil || !ins {
				t.Fatalf("putVector seq %d: inserted=%v err=%v", seq, ins, err)
			}
		}
		dup := vec("u1", "s1", 3)
		dup.Values[0] = 42 // a redelivery never replaces the first write
		ins, err := putVector(ctx, s, dup)
		if err != nil || ins {
			t.Fatalf("second putVector of (u1,s1,3): inserted=%v err=%v, want false, nil", ins, err)
		}
		if ins, err := putVector(ctx, s, vec("u1", "s2", 3)); err != nil || !ins {
			t.Fatalf("same seq in another session: inserted=%v err=%v", ins, err)
		}
		if ins, err := putVector(ctx, s, vec("u2", "s1", 3)); err != nil || !ins {
			t.Fatalf("same session and seq for another user: inserted=%v err=%v", ins, err)
		}
		nv, nd, err := s.Counts(ctx, "u1")
		if err != nil || nv != 6 || nd != 0 {
			t.Fatalf("Counts(u1) = %d vectors, %d decisions, %v; want 6, 0", nv, nd, err)
		}
		got, err := s.Vectors(ctx, "u1", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 6 {
			t.Fatalf("Vectors(u1) returned %d, want 6", len(got))
		}
		for _, v := range got {
			want := vec("u1", v.Session, v.Seq)
			if v.User != "u1" || !reflect.DeepEqual(v.Values, want.Values) || !sameTime(v.At, want.At) {
				t.Fatalf("vector (%s,%d) did not round-trip: %+v", v.Session, v.Seq, v)
			}
		}
		if got, _ := s.Vectors(ctx, "u1", 2); len(got) != 2 {
			t.Fatalf("Vectors(u1, limit 2) returned %d", len(got))
		}
	})
	t.Run("VectorsSkipAlertedSessions", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		for _, sess := range []store.Session{
			{ID: "good", User: "u1", Accepted: true, Started: t0},
			{ID: "bad", User: "u1", Accepted: true, Started: t0},
		} {
			if _, _, err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkAlerted(ctx, "u1", "bad"); err != nil {
			t.Fatal(err)
		}
		for seq := int64(0); seq < 3; seq++ {
			for _, sess := range []string{"good", "bad"} {
				if _, err := putVector(ctx, s, vec("u1", sess, seq)); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := s.Vectors(ctx, "u1", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("Vectors returned %d vectors, want the 3 of the session without an alert", len(got))
		}
		for _, v := range got {
			if v.Session != "good" {
				t.Fatalf("Vectors returned a vector of alerted session %q", v.Session)
			}
		}
	})
	t.Run("RecentVectors", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		for seq := int64(0); seq < 6; seq++ {
			for _, sess := range []string{"s1", "s2"} {
				if _, _, err := s.PutBatch(ctx, []store.Vector{vec("u1", sess, seq)}, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := s.RecentVectors(ctx, "u1", "s1", 5, 3)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, v := range got {
			seqs = append(seqs, v.Seq)
			want := vec("u1", "s1", v.Seq)
			if v.User != "u1" || v.Session != "s1" || !reflect.DeepEqual(v.Values, want.Values) || !sameTime(v.At, want.At) {
				t.Fatalf("RecentVectors row %+v, want %+v", v, want)
			}
		}
		if !reflect.DeepEqual(seqs, []int64{2, 3, 4}) {
			t.Fatalf("RecentVectors(before 5, n 3) seqs = %v, want [2 3 4]", seqs)
		}
		if r, err := s.RecentVectors(ctx, "u1", "s1", 0, 3); err != nil || len(r) != 0 {
			t.Fatalf("RecentVectors before 0 = %v, %v", r, err)
		}
		if r, err := s.RecentVectors(ctx, "u1", "none", 10, 3); err != nil || len(r) != 0 {
			t.Fatalf("RecentVectors of a session without vectors = %v, %v", r, err)
		}
	})
	t.Run("DecisionsIdempotent", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		for seq := int64(0); seq < 10; seq++ {
			ins, err := putDecision(ctx, s, dec("u1", "s1", seq, float64(seq)/10))
			if err != nil || !ins {
				t.Fatalf("putDecision seq %d: inserted=%v err=%v", seq, ins, err)
			}
		}
		ins, err := putDecision(ctx, s, dec("u1", "s1", 4, 0.99))
		if err != nil || ins {
			t.Fatalf("second putDecision of seq 4: inserted=%v err=%v, want false, nil", ins, err)
		}
		d, err := s.Decision(ctx, "u1", "s1", 4)
		if err != nil {
			t.Fatal(err)
		}
		want := dec("u1", "s1", 4, 0.4)
		if !sameTime(d.At, want.At) {
			t.Fatalf("decision time %v, want %v", d.At, want.At)
		}
		d.At = want.At
		if !reflect.DeepEqual(d, want) {
			t.Fatalf("Decision(u1,s1,4) = %+v\nwant %+v", d, want)
		}
		if d, _ := s.Decision(ctx, "u1", "s1", 7); !d.Alert || !d.Accept {
			t.Fatalf("decision 7 lost its alert flag: %+v", d)
		}
		if _, err := s.Decision(ctx, "u1", "s1", 99); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Decision of a missing seq: err = %v, want ErrNotFound", err)
		}
		recent, err := s.RecentDecisions(ctx, "u1", "s1", 8, 3)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, d := range recent {
			seqs = append(seqs, d.Seq)
		}
		if !reflect.DeepEqual(seqs, []int64{5, 6, 7}) {
			t.Fatalf("RecentDecisions(before 8, n 3) seqs = %v, want [5 6 7]", seqs)
		}
		if recent[0].Score != 0.5 {
			t.Fatalf("RecentDecisions score = %v, want 0.5", recent[0].Score)
		}
		if r, err := s.RecentDecisions(ctx, "u1", "s1", 0, 3); err != nil || len(r) != 0 {
			t.Fatalf("RecentDecisions before 0 = %v, %v", r, err)
		}
		if _, nd, err := s.Counts(ctx, "u1"); err != nil || nd != 10 {
			t.Fatalf("Counts(u1) decisions = %d, %v; want 10", nd, err)
		}
	})
	t.Run("Sessions", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		if _, err := s.Session(ctx, "u1", "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Session of unknown id: err = %v, want ErrNotFound", err)
		}
		want := store.Session{ID: "sess-1", User: "u1", Client: "10.0.0.7:5123", Accepted: true, Started: t0,
			Key: []byte{0, 1, 2, 0xff, 0}}
		if created, _, err := s.CreateSession(ctx, want); err != nil || !created {
			t.Fatalf("CreateSession: created %v, %v", created, err)
		}
		got, err := s.Session(ctx, "u1", "sess-1")
		if err != nil {
			t.Fatal(err)
		}
		if !sameSession(got, want) {
			t.Fatalf("Session = %+v, want %+v", got, want)
		}
	})
	t.Run("ConcurrentWrites", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		// Eight writers race on the same 50 keys, as redeliveries to two
		// consumers might: each key must be inserted exactly once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		inserted := map[int64]int{}
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seq := int64(0); seq < 50; seq++ {
					ins, err := putDecision(ctx, s, dec("race", "s", seq, 0.6))
					if err != nil {
						errs <- fmt.Errorf("seq %d: %w", seq, err)
						return
					}
					if ins {
						mu.Lock()
						inserted[seq]++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for seq := int64(0); seq < 50; seq++ {
			if inserted[seq] != 1 {
				t.Fatalf("decision %d reported inserted %d times, want 1", seq, inserted[seq])
			}
		}
		if _, nd, _ := s.Counts(ctx, "race"); nd != 50 {
			t.Fatalf("Counts(race) decisions = %d, want 50", nd)
		}
	})
	t.Run("Batches", func(t *testing.T) { batches(t, open, o) })
	t.Run("SessionsFirstWriteWins", func(t *testing.T) { sessionsFirstWriteWins(t, open) })
	t.Run("Training", func(t *testing.T) { training(t, open) })
}

// Credentials runs the credential-store tests.
func Credentials(t *testing.T, open func(t *testing.T) store.Credentials) {
	ctx := context.Background()
	s := open(t)
	defer s.Close()
	if _, err := s.Credential(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Credential of unknown user: err = %v, want ErrNotFound", err)
	}
	c := store.Credential{User: "user7", Department: "finance", Hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}
	if err := s.PutCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Credential(ctx, "user7")
	if err != nil || got.User != c.User || got.Department != c.Department || got.Hash != c.Hash || got.Failures != 0 || !got.LastFailure.IsZero() {
		t.Fatalf("Credential(user7) = %+v, %v; want %+v", got, err, c)
	}
	c.Hash = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXI$bmV3"
	if err := s.PutCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Credential(ctx, "user7"); got.Hash != c.Hash {
		t.Fatalf("PutCredential did not replace the hash: %+v", got)
	}
	lockout(t, open)
}

// Bench measures what the service writes per action: a vector and its
// decision. "batch=N" is one PutBatch of N actions (batch=1: one action
// per call, as one partition's worker wrote before group commit). Each reports ns/vector, the wall time per action, and
// cpu-ns/vector, the CPU time this process spent per action (user and
// system, all threads): on a machine busy with other work the second moves
// less, and for a server store it leaves out the server's share.
func Bench(b *testing.B, open func(b *testing.B) store.Profiles) {
	ctx := context.Background()
	// Every run writes a new session, so a database that outlives the run
	// (MariaDB's) never turns the inserts into duplicates.
	session := func(name string) string { return fmt.Sprintf("%s-%d", name, time.Now().UnixNano()) }
	for _, n := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s := open(b)
			defer s.Close()
			sess := session(fmt.Sprintf("batch%d", n))
			vs, ds := make([]store.Vector, n), make([]store.Decision, n)
			for i := range vs {
				vs[i], ds[i] = vec("bench", sess, 0), dec("bench", sess, 0, 0.7)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			var seq int64
			for b.Loop() {
				for i := range vs {
					vs[i].Seq, ds[i].Seq = seq, seq
					seq++
				}
				iv, id, err := s.PutBatch(ctx, vs, ds)
				if err != nil {
					b.Fatal(err)
				}
				if !iv[n-1] || !id[n-1] {
					b.Fatal("a new key was not inserted")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/vector")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*n), "cpu-ns/vector")
		})
	}
}

// PutBatchFunc is a PutBatch, a backend's or a wrapper's.
type PutBatchFunc func(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error)

// BenchPartitions measures PutBatch as the live service calls it:
// partitions goroutines (a service's partition workers) each write batches
// of batch vectors with their decisions, back to back, each vector of a
// user drawn from the partition's share of users (so a batch touches rows
// all over the tables, as 10 000 users sending at once do), into tables
// that hold stored rows per user already (a store some seconds into a
// run). put is the PutBatch measured (the store's own, or a wrapper's), s
// the store it writes (for nothing else than closing); settle, when set,
// runs after the tables are filled (a store that copies its log in the
// background copies it then, not while measured). Reports as Bench.
func BenchPartitions(b *testing.B, s store.Profiles, put PutBatchFunc, settle func(), partitions, batch, users, stored int) {
	ctx := context.Background()
	defer s.Close()
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	seqs := make([]int64, users)
	var vs []store.Vector
	var ds []store.Decision
	for range max(stored, 1) {
		for u := range users {
			user := fmt.Sprintf("u%05d", u)
			vs, ds = append(vs, vec(user, run, seqs[u])), append(ds, dec(user, run, seqs[u], 0.7))
			seqs[u]++
			if len(vs) == 500 || u == users-1 {
				if _, _, err := s.PutBatch(ctx, vs, ds); err != nil {
					b.Fatal(err)
				}
				vs, ds = vs[:0], ds[:0]
			}
		}
	}
	if settle != nil {
		settle()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	var next sync.Mutex // hands out batches: b.N in all
	left := b.N
	// A reader beside the writers, a read per millisecond, as a login's
	// credential or a session's state is read: how long a read waits for
	// the writes.
	stop := make(chan struct{})
	readsDone := make(chan []time.Duration)
	go func() {
		var waits []time.Duration
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for u := 0; ; u = (u + 7919) % users {
			select {
			case <-stop:
				readsDone <- waits
				return
			case <-tick.C:
			}
			t := time.Now()
			if _, err := s.Decision(ctx, fmt.Sprintf("u%05d", u), run, 0); err != nil {
				b.Error(err)
			}
			waits = append(waits, time.Since(t))
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, partitions)
	for p := range partitions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := users / partitions
			vs, ds := make([]store.Vector, batch), make([]store.Decision, batch)
			r := uint64(p)*0x9e3779b97f4a7c15 + 1
			for {
				next.Lock()
				if left == 0 {
					next.Unlock()
					return
				}
				left--
				next.Unlock()
				for i := range vs {
					r ^= r << 13
					r ^= r >> 7
					r ^= r << 17
					u := p + partitions*int(r%uint64(mine))
					user := fmt.Sprintf("u%05d", u)
					vs[i], ds[i] = vec(user, run, seqs[u]), dec(user, run, seqs[u], 0.7)
					seqs[u]++ // only partition p touches u
				}
				iv, id, err := put(ctx, vs, ds)
				if err == nil && (!iv[0] || !id[0]) {
					err = errors.New("a new key was not inserted")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	waits := <-readsDone
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/vector")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*batch), "cpu-ns/vector")
	if len(waits) > 0 {
		slices.Sort(waits)
		b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds()), "read-p99-µs")
	}
}
