package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/safefs"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/internal/combine"
	"github.com/mouseauth/mouseauth/live/store/internal/faultpoint"
	"github.com/mouseauth/mouseauth/live/store/internal/sqlstore"
	"github.com/mouseauth/mouseauth/live/store/storetest"
)

func open(t *testing.T) *Store {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "mouseauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	storetest.Profiles(t, func(t *testing.T) store.Profiles { return open(t) })
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	storetest.Credentials(t, func(t *testing.T) store.Credentials { return open(t) })
}

// TestReopen checks the file keeps what was written (the embedded default
// survives a restart of the service).
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, _, err := s.PutBatch(ctx, []store.Vector{{User: "u", Session: "s", Seq: int64(i), Values: []float64{1, 2}}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ins, _, err := s.PutBatch(ctx, []store.Vector{{User: "u", Session: "s", Seq: 1}}, nil); err != nil || ins[0] {
		t.Fatalf("a vector written before the restart was inserted again (%v)", err)
	}
	if nv, _, err := s.Counts(ctx, "u"); nv != 3 || err != nil {
		t.Fatal(fmt.Sprint(nv, err))
	}
}

func BenchmarkWrites(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Profiles {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// TestOpensOlderSchema opens a database written by the version before
// sessions had a key, decisions a judged flag and failures were counted
// per client: Open adds the columns and the table, old rows keep working
// (an old decision is not judged; an old lock is lifted with its count
// kept) and new rows store them.
func TestOpensOlderSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		// The sessions table exactly as the previous version created it.
		`CREATE TABLE sessions (uid TEXT NOT NULL, id TEXT NOT NULL, client TEXT NOT NULL,
			accepted SMALLINT NOT NULL, reason TEXT NOT NULL, alerted SMALLINT NOT NULL, started BIGINT NOT NULL,
			PRIMARY KEY (uid, id))`,
		`INSERT INTO sessions VALUES ('u', 'old', '10.0.0.1:1', 1, '', 0, 1700000000000)`,
		// The credentials table of the versions that locked an account for
		// a fixed time, with a user locked until 2100.
		`CREATE TABLE credentials (uid TEXT NOT NULL, department TEXT NOT NULL,
			hash TEXT NOT NULL, failures INT NOT NULL, locked_until BIGINT NOT NULL, PRIMARY KEY (uid))`,
		`INSERT INTO credentials VALUES ('u', 'finance', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 5, 4102444800000)`,
		// The decisions table before decisions were marked judged.
		`CREATE TABLE decisions (uid TEXT NOT NULL, session TEXT NOT NULL, seq BIGINT NOT NULL,
			score DOUBLE PRECISION NOT NULL, mean DOUBLE PRECISION NOT NULL, win INT NOT NULL, threshold DOUBLE PRECISION NOT NULL,
			accept SMALLINT NOT NULL, alert SMALLINT NOT NULL, model_version INT NOT NULL, at BIGINT NOT NULL,
			PRIMARY KEY (uid, session, seq))`,
		`INSERT INTO decisions VALUES ('u', 'old', 0, 0.9, 0.9, 10, 0.5, 1, 0, 1, 1700000000000)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a database of the previous version: %v", err)
	}
	defer s.Close()
	got, err := s.Session(ctx, "u", "old")
	if err != nil || !got.Accepted || got.Client != "10.0.0.1:1" || got.Key != nil {
		t.Fatalf("old session read back as %+v, %v", got, err)
	}
	if created, _, err := s.CreateSession(ctx, store.Session{ID: "old", User: "u", Reason: "wrong password"}); err != nil || created {
		t.Fatalf("CreateSession over an old session: created %v, %v", created, err)
	}
	if _, _, err := s.CreateSession(ctx, store.Session{ID: "new", User: "u", Accepted: true, Key: []byte{9, 8, 7}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, "u", "new"); err != nil || string(got.Key) != "\x09\x08\x07" {
		t.Fatalf("new session read back as %+v, %v", got, err)
	}
	if err := s.MarkAlerted(ctx, "u", "old"); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Decision(ctx, "u", "old", 0); err != nil || d.Judged || d.Flags != 0 || !d.Accept || d.Window != 10 {
		t.Fatalf("old decision read back as %+v, %v", d, err)
	}
	d := store.Decision{User: "u", Session: "new", Seq: 0, Window: 3, Judged: true, Flags: 5}
	if _, ins, err := s.PutBatch(ctx, nil, []store.Decision{d}); err != nil || !ins[0] {
		t.Fatal(ins, err)
	}
	if got, err := s.Decision(ctx, "u", "new", 0); err != nil || !got.Judged || got.Flags != 5 {
		t.Fatalf("new decision read back as %+v, %v", got, err)
	}
	storetest.OldCredential(t, s, "u")
}

// TestRefusesLinks: a database path, or its write-ahead log, that is a
// symbolic link would keep the database wherever the link leads.
func TestRefusesLinks(t *testing.T) {
	t.Parallel()
	for _, planted := range []string{"m.db", "m.db-wal", "m.db-shm"} {
		dir, elsewhere := t.TempDir(), t.TempDir()
		if err := os.Symlink(filepath.Join(elsewhere, "x"), filepath.Join(dir, planted)); err != nil {
			t.Fatal(err)
		}
		s, err := Open(context.Background(), filepath.Join(dir, "m.db"))
		if err == nil {
			s.Close()
		}
		if !errors.Is(err, safefs.ErrLink) {
			t.Errorf("Open with %s a link: err = %v", planted, err)
		}
		if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
			t.Errorf("Open with %s a link created %d files elsewhere", planted, len(ents))
		}
	}
}

// BenchmarkPartitions: 8 partitions writing batches of 16 and of 128
// vectors of 10 000 users at once into tables that hold 20 rows per user,
// and a reader beside them (storetest.BenchPartitions): as before this
// package merged writes (one transaction per call, reads on the write
// connection), merged writes alone, and merged writes with the reader
// connections (Open).
//
//	go test ./live/store/embedded -run '^$' -bench Partitions -benchtime 400x -count 3
func BenchmarkPartitions(b *testing.B) {
	for _, mode := range []string{"per-call", "merged", "merged+readers"} {
		for _, batch := range []int{16, 128} {
			b.Run(fmt.Sprintf("%s/batch=%d", mode, batch), func(b *testing.B) {
				readers := 0
				if mode == "merged+readers" {
					readers = Readers
				}
				s, err := openStore(context.Background(), filepath.Join(b.TempDir(), "bench.db"), readers, sqlstore.SQLite, defaultRestart)
				if err != nil {
					b.Fatal(err)
				}
				put := storetest.PutBatchFunc(s.PutBatch)
				if mode == "per-call" {
					put = s.Store.PutBatch
				}
				settle := func() {
					if _, err := s.ckpt.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
						b.Fatal(err)
					}
				}
				storetest.BenchPartitions(b, s, put, settle, 8, batch, 10_000, 20)
			})
		}
	}
}

// BenchmarkPointReads: a login's reads (its user's credential, then the
// session), with each statement parsed per call, as before, and prepared
// once (sqlstore.Dialect.Prepare).
//
//	go test ./live/store/embedded -run '^$' -bench PointReads -count 3
func BenchmarkPointReads(b *testing.B) {
	ctx := context.Background()
	for _, prepare := range []bool{false, true} {
		b.Run(fmt.Sprintf("prepared=%v", prepare), func(b *testing.B) {
			d := sqlstore.SQLite
			d.Prepare = prepare
			s, err := openStore(ctx, filepath.Join(b.TempDir(), "reads.db"), Readers, d, defaultRestart)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			const users = 1000
			for u := range users {
				user := fmt.Sprintf("u%04d", u)
				if err := s.PutCredential(ctx, store.Credential{User: user, Hash: "hash"}); err != nil {
					b.Fatal(err)
				}
				if _, _, err := s.CreateSession(ctx, store.Session{User: user, ID: "s", Accepted: true}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			u := 0
			for b.Loop() {
				user := fmt.Sprintf("u%04d", u%users)
				if _, err := s.Credential(ctx, user); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Session(ctx, user, "s"); err != nil {
					b.Fatal(err)
				}
				u++
			}
		})
	}
}

// TestMergedWriteFailsOnlyTheFaultyCall: six partitions' calls merged into
// one transaction, one of them armed to fail inside the transaction (as a
// row SQLite refuses would). The merged transaction rolls back, each call
// is written again alone: the armed call fails and stores nothing, the
// other five are stored and answered inserted.
func TestMergedWriteFailsOnlyTheFaultyCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	defer s.Close()
	// The store's combiner, its first write held until the calls queued.
	release, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.comb.Close()
	s.comb = combine.New(func(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
		once.Do(func() { close(held); <-release })
		return s.Store.PutBatch(ctx, vs, ds)
	}, 0)
	first := make(chan error, 1)
	go func() {
		_, _, err := s.PutBatch(ctx, []store.Vector{vec("hold", 0)}, []store.Decision{{User: "hold", Session: "s"}})
		first <- err
	}()
	<-held
	errFault := errors.New("injected fault")
	type result struct {
		iv, id []bool
		err    error
	}
	results := make([]chan result, 5)
	for p := range results {
		results[p] = make(chan result, 1)
		go func() {
			user := fmt.Sprintf("p%d", p)
			var vs []store.Vector
			var ds []store.Decision
			for seq := range int64(4) {
				vs, ds = append(vs, vec(user, seq)), append(ds, store.Decision{User: user, Session: "s", Seq: seq, Score: 0.5})
			}
			cctx := ctx
			if p == 3 {
				cctx = faultpoint.With(ctx, faultpoint.BatchVectorsWritten, errFault)
			}
			iv, id, err := s.PutBatch(cctx, vs, ds)
			results[p] <- result{iv, id, err}
		}()
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return s.comb.Stats().Calls == 6 }, "waiting for the calls to queue")
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for p := range results {
		r := <-results[p]
		user := fmt.Sprintf("p%d", p)
		nv, nd, err := s.Counts(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if p == 3 {
			if !errors.Is(r.err, errFault) || nv != 0 || nd != 0 {
				t.Errorf("the armed call: err %v, %d vectors and %d decisions stored; want the fault and nothing stored", r.err, nv, nd)
			}
			continue
		}
		if r.err != nil || nv != 4 || nd != 4 || !reflect.DeepEqual(r.iv, []bool{true, true, true, true}) || !reflect.DeepEqual(r.id, r.iv) {
			t.Errorf("%s: err %v, inserted %v %v, stored %d vectors and %d decisions; want all four inserted and stored", user, r.err, r.iv, r.id, nv, nd)
		}
	}
	if st := s.comb.Stats(); st.Merged != 1 || st.Split != 1 {
		t.Errorf("%+v: want one merged transaction, failed and split", st)
	}
}

func vec(user string, seq int64) store.Vector {
	return store.Vector{User: user, Session: "s", Seq: seq, Values: []float64{1, 2, 3}, At: time.UnixMilli(seq)}
}

// BenchmarkWALFrames counts the log frames (pages written at commit) per
// vector when each transaction holds batch vectors of users drawn at
// random from 10 000, each with a session of 20 rows stored already (a
// store some seconds into bench pipeline): a commit writes one page per
// distinct leaf it touches, so merging transactions shares few pages when
// the users are many. The checkpointer is stopped while it runs, so the
// log keeps every frame: keep -benchtime small.
//
//	go test ./live/store/embedded -run '^$' -bench WALFrames -benchtime 20x
func BenchmarkWALFrames(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		batch int
		one   bool // every vector of one session, as BenchmarkWrites
	}{{16, false}, {128, false}, {1024, false}, {256, true}} {
		batch := c.batch
		name := fmt.Sprintf("users=10000/batch=%d", batch)
		if c.one {
			name = fmt.Sprintf("one-session/batch=%d", batch)
		}
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "frames.db")
			s, err := Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			const users = 10_000
			seqs := make([]int64, users)
			row := func(u int) (store.Vector, store.Decision) {
				user, session := fmt.Sprintf("u%05d", u), fmt.Sprintf("%032x", u*7919)
				seq := seqs[u]
				seqs[u]++
				return store.Vector{User: user, Session: session, Seq: seq, Values: make([]float64, 39)},
					store.Decision{User: user, Session: session, Seq: seq, Score: 0.5}
			}
			var vs []store.Vector
			var ds []store.Decision
			for range 20 {
				for u := range users {
					v, d := row(u)
					vs, ds = append(vs, v), append(ds, d)
				}
				if _, _, err := s.Store.PutBatch(ctx, vs, ds); err != nil {
					b.Fatal(err)
				}
				vs, ds = vs[:0], ds[:0]
			}
			s.ckpt.stop() // copies the log into the file and empties it
			r := uint64(1)
			for b.Loop() {
				vs, ds = vs[:0], ds[:0]
				for range batch {
					r ^= r << 13
					r ^= r >> 7
					r ^= r << 17
					u := int(r % users)
					if c.one {
						u = 0
					}
					v, d := row(u)
					vs, ds = append(vs, v), append(ds, d)
				}
				if _, _, err := s.Store.PutBatch(ctx, vs, ds); err != nil {
					b.Fatal(err)
				}
			}
			db, err := openDB(path)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			var busy, frames, done int
			if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(frames)/float64(b.N*batch), "frames/vector")
		})
	}
}

// endsAfter is a context that ends at the n-th time it is asked whether it
// ended: in the middle of a batch, whose rows check it one by one.
type endsAfter struct {
	context.Context
	mu   sync.Mutex
	n    int
	done chan struct{}
}

func newEndsAfter(n int) *endsAfter {
	return &endsAfter{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *endsAfter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n > 0 {
		if c.n--; c.n == 0 {
			close(c.done)
		}
		return nil
	}
	return context.Canceled
}

func (c *endsAfter) Done() <-chan struct{} { return c.done }

// TestPutBatchEndsWithItsContext: a PutBatch whose context ends while its
// rows are written (the statements run under a context that cannot end,
// and the rows check the caller's between them) returns the context's
// error and stores none of its rows.
func TestPutBatchEndsWithItsContext(t *testing.T) {
	t.Parallel()
	s := open(t)
	defer s.Close()
	var vs []store.Vector
	var ds []store.Decision
	for i := range 50 {
		vs = append(vs, store.Vector{User: "u", Session: "s", Seq: int64(i), Values: []float64{1}})
		ds = append(ds, store.Decision{User: "u", Session: "s", Seq: int64(i)})
	}
	for _, n := range []int{20, 70} { // in the vectors, in the decisions
		ctx := newEndsAfter(n)
		if _, _, err := s.Store.PutBatch(ctx, vs, ds); !errors.Is(err, context.Canceled) {
			t.Fatalf("ended after %d checks: err %v, want context.Canceled", n, err)
		}
	}
	ctx := context.Background()
	if nv, nd, err := s.Counts(ctx, "u"); nv != 0 || nd != 0 || err != nil {
		t.Fatalf("after the ended batches %d vectors and %d decisions stored (%v), want none", nv, nd, err)
	}
	iv, id, err := s.PutBatch(ctx, vs, ds)
	if err != nil || !iv[49] || !id[49] {
		t.Fatalf("the batch written again: %v %v %v", iv, id, err)
	}
}
