package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/internal/sqlstore"
)

func fileSize(t testing.TB, path string) int64 {
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

// logRestarts reads the checkpoint sequence number in the header of the
// write-ahead log at path (bytes 12-15), which SQLite increments each time
// the log starts over from its beginning.
func logRestarts(t testing.TB, path string) uint32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h [16]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		t.Fatalf("the log's header: %v", err)
	}
	return binary.BigEndian.Uint32(h[12:])
}

// steadyWriters starts three writers on s, each with a call always
// queued, so the store's writer begins its next write as soon as one
// commits; 200 users, so a write dirties pages all over the tables. Each
// write's duration goes to took (when not nil). stop ends them and waits;
// it can be called more than once.
func steadyWriters(s *Store, took func(time.Duration)) (errs <-chan error, stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	failed := make(chan error, 3)
	vals := make([]float64, 39)
	for w := range 3 {
		wg.Go(func() {
			for seq := int64(0); ; seq++ {
				select {
				case <-done:
					return
				default:
				}
				vs := make([]store.Vector, 100)
				for i := range vs {
					vs[i] = store.Vector{User: fmt.Sprintf("u%d", i*2+w%2), Session: fmt.Sprintf("w%d", w), Seq: seq*100 + int64(i), Values: vals, At: time.UnixMilli(seq)}
				}
				t0 := time.Now()
				if _, _, err := s.PutBatch(context.Background(), vs, nil); err != nil {
					failed <- err
					return
				}
				if took != nil {
					took(time.Since(t0))
				}
			}
		})
	}
	var once sync.Once
	return failed, func() { once.Do(func() { close(done); wg.Wait() }) }
}

// TestLogStartsOverUnderSteadyWrites: writers that never pause kept the
// log from ever starting over (every checkpoint left frames written while
// it ran), so it grew without end: 3.5 GB in 30 s of bench pipeline at
// 12 000 vectors/s. Once the log is over the bound, the writer catches up
// before a write and the log starts over, writes going on all the while.
func TestLogStartsOverUnderSteadyWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := openStore(context.Background(), path, Readers, sqlstore.SQLite, restartPolicy{frames: 256, passes: defaultRestart.passes}) // 1 MiB
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	putMany(t, s, 100) // the log exists
	first := logRestarts(t, path+"-wal")

	errs, stop := steadyWriters(s, nil)
	defer stop()
	testutil.Eventually(t, 60*time.Second, func() bool {
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		return logRestarts(t, path+"-wal") >= first+2
	}, "the log to start over twice under writes that never pause")
}

// TestReadyToRestartLeavesTheWriterLittle: the writer's catchUp holds every
// partition's writes while it copies what the checkpointer's last pass
// left. With one pass per tick that was what a whole pass let through
// (about 1 000-3 000 frames, 55-106 ms of held writes in bench pipeline);
// over the bound the checkpointer now runs passes until one finds at most
// catchUpFrames new frames, within the policy's passes.
func TestReadyToRestartLeavesTheWriterLittle(t *testing.T) {
	t.Parallel()
	const bound = 1000
	boom := errors.New("disk I/O error")
	for _, tc := range []struct {
		name   string
		frames []int // the log's length at each pass's start
		errAt  int   // the pass (from 1) that fails; 0: none
		want   bool
		passes int
	}{
		{name: "under the bound", frames: []int{999}, want: false, passes: 1},
		{name: "the second pass finds little", frames: []int{1000, 1000 + catchUpFrames}, want: true, passes: 2},
		{name: "passes until one finds little", frames: []int{1000, 4000, 5500, 6000, 6100}, want: true, passes: 5},
		{name: "writes outpace the passes", frames: []int{1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000}, want: true, passes: 1 + defaultRestart.passes},
		{name: "the first pass fails", frames: []int{1000}, errAt: 1, want: false, passes: 1},
		{name: "a later pass fails", frames: []int{1000, 3000, 5000}, errAt: 3, want: false, passes: 3},
		{name: "the log started over between passes", frames: []int{1000, 40}, want: false, passes: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			pass := func() (int, error) {
				n++
				if n > len(tc.frames) {
					t.Fatalf("pass %d: the script has %d", n, len(tc.frames))
				}
				if n == tc.errAt {
					return 0, boom
				}
				return tc.frames[n-1], nil
			}
			if got := readyToRestart(pass, restartPolicy{frames: bound, passes: defaultRestart.passes}); got != tc.want || n != tc.passes {
				t.Errorf("readyToRestart = %v after %d passes, want %v after %d", got, n, tc.want, tc.passes)
			}
		})
	}
}

// BenchmarkLogRestart: how long the log's restart holds the store's writes.
// Three writers keep a call always queued, as in
// TestLogStartsOverUnderSteadyWrites, with the log's bound at 16 MiB; an
// op is one restart of the log. It reports the slowest write (max-put-ms)
// and the 99.9th percentile (p999-put-ms) while the log restarts. passes=0
// is the checkpointer before readyToRestart's extra passes, whose single
// pass per tick left the writer's catchUp a second's writes.
//
//	go test -run '^$' -bench LogRestart -benchtime 10x -count 3 ./live/store/embedded
func BenchmarkLogRestart(b *testing.B) {
	for _, passes := range []int{0, defaultRestart.passes} {
		b.Run(fmt.Sprintf("passes=%d", passes), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "m.db")
			s, err := openStore(context.Background(), path, Readers, sqlstore.SQLite, restartPolicy{frames: 4096, passes: passes})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var (
				mu        sync.Mutex
				took      []time.Duration
				measuring bool
			)
			errs, stop := steadyWriters(s, func(d time.Duration) {
				mu.Lock()
				if measuring {
					took = append(took, d)
				}
				mu.Unlock()
			})
			defer stop()
			// The log exists before the first op.
			testutil.Eventually(b, 30*time.Second, func() bool { return fileSize(b, path+"-wal") > 0 }, "the log")
			mu.Lock()
			measuring = true
			mu.Unlock()
			for b.Loop() {
				from := logRestarts(b, path+"-wal")
				for logRestarts(b, path+"-wal") == from {
					select {
					case err := <-errs:
						b.Fatal(err)
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
			stop()
			slices.Sort(took)
			if len(took) == 0 {
				b.Fatal("no write finished")
			}
			ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
			b.ReportMetric(ms(took[len(took)-1]), "max-put-ms")
			b.ReportMetric(ms(took[len(took)*999/1000]), "p999-put-ms")
			b.ReportMetric(ms(took[len(took)/2]), "p50-put-ms")
		})
	}
}
