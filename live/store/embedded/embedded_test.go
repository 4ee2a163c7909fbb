package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mouseauth/mouseauth/live/store"
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
	storetest.Profiles(t, func(t *testing.T) store.Profiles { return open(t) })
}

func TestCredentials(t *testing.T) {
	storetest.Credentials(t, func(t *testing.T) store.Credentials { return open(t) })
}

// TestReopen checks the file keeps what was written (the embedded default
// survives a restart of the service).
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := s.PutVector(ctx, store.Vector{User: "u", Session: "s", Seq: int64(i), Values: []float64{1, 2}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ins, _ := s.PutVector(ctx, store.Vector{User: "u", Session: "s", Seq: 1}); ins {
		t.Fatal("a vector written before the restart was inserted again")
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
// sessions had a key and decisions a judged flag: Open adds the columns,
// old rows keep working (an old decision is not judged) and new rows store
// them.
func TestOpensOlderSchema(t *testing.T) {
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
	if ins, err := s.PutDecision(ctx, d); err != nil || !ins {
		t.Fatal(ins, err)
	}
	if got, err := s.Decision(ctx, "u", "new", 0); err != nil || !got.Judged || got.Flags != 5 {
		t.Fatalf("new decision read back as %+v, %v", got, err)
	}
}
