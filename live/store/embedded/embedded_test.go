package embedded

import (
	"context"
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
