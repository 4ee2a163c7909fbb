package embedded

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/store"
)

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// putMany writes n vectors and their decisions in batches of 100.
func putMany(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	vals := make([]float64, 39)
	for i := 0; i < n; i += 100 {
		var vs []store.Vector
		var ds []store.Decision
		for j := i; j < i+100 && j < n; j++ {
			vs = append(vs, store.Vector{User: "u", Session: "s", Seq: int64(j), Values: vals, At: time.UnixMilli(int64(j))})
			ds = append(ds, store.Decision{User: "u", Session: "s", Seq: int64(j), Score: 0.5, Accept: true, At: time.UnixMilli(int64(j))})
		}
		if _, _, err := s.PutBatch(ctx, vs, ds); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckpointerCopiesTheLog: the store's own connection never
// checkpoints (wal_autocheckpoint off, so no commit pays for one); the
// background checkpointer copies the log into the database file while the
// store is open. Without it the file would stay at its size after Open
// until Close.
func TestCheckpointerCopiesTheLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := fileSize(t, path)
	putMany(t, s, 5000)
	if wal := fileSize(t, path+"-wal"); wal < 1<<20 {
		t.Fatalf("the log holds %d bytes after 5000 vectors and decisions: the writes did not go through it", wal)
	}
	testutil.Eventually(t, 30*time.Second, func() bool { return fileSize(t, path) > before+1<<20 },
		"the database file to grow by the checkpointed log")
}

// TestCloseEmptiesTheLog: a closed store leaves its data in the database
// file and an empty (or no) log, so a stopped state folder is one file.
func TestCloseEmptiesTheLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	putMany(t, s, 2000)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if wal := fileSize(t, path+"-wal"); wal != 0 {
		t.Errorf("after Close the log holds %d bytes", wal)
	}
	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if nv, nd, err := s.Counts(context.Background(), "u"); nv != 2000 || nd != 2000 || err != nil {
		t.Fatalf("after reopening: %d vectors, %d decisions, %v", nv, nd, err)
	}
}
