package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"runtime"
	"sort"
	"sync"
	"testing"
)

// memFS collects synthesized sessions in memory.
type memFS struct {
	mu    sync.Mutex
	files map[string]*bytes.Buffer
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func (m *memFS) create(user, session string) (io.WriteCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string]*bytes.Buffer{}
	}
	b := &bytes.Buffer{}
	m.files[user+"/"+session+".CSV"] = b
	return nopCloser{b}, nil
}

// hash is a digest of the whole tree: names and bytes in name order.
func (m *memFS) hash() [32]byte {
	names := make([]string, 0, len(m.files))
	for n := range m.files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n + "\x00"))
		h.Write(m.files[n].Bytes())
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func synthTree(t *testing.T, opts SynthOptions) *memFS {
	t.Helper()
	fs := &memFS{}
	if _, err := Synthesize(context.Background(), opts, fs.create, nil); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestSynthSameSeedSameBytes(t *testing.T) {
	opts := SynthOptions{Users: 5, Sessions: 2, Actions: 40, Seed: 42}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	opts.Workers = 1
	a := synthTree(t, opts)
	runtime.GOMAXPROCS(4)
	opts.Workers = 4
	b := synthTree(t, opts)
	if a.hash() != b.hash() {
		t.Fatal("same seed, different bytes (GOMAXPROCS/workers 1 vs 4)")
	}
	if len(a.files) != 10 {
		t.Errorf("files = %d, want 10", len(a.files))
	}
	opts.Seed = 43
	if c := synthTree(t, opts); c.hash() == a.hash() {
		t.Fatal("different seeds gave the same bytes")
	}
	// A user's data does not depend on how many users are generated.
	opts.Seed, opts.Users = 42, 2
	d := synthTree(t, opts)
	for n, buf := range d.files {
		if !bytes.Equal(buf.Bytes(), a.files[n].Bytes()) {
			t.Errorf("%s differs when fewer users are generated", n)
		}
	}
}

// TestSynthReadsBack checks the output is a valid DFL log: the reader finds
// no malformed rows, time never goes backwards except for the rare
// artefacts, and cleaning finds the artefacts the model writes.
func TestSynthReadsBack(t *testing.T) {
	t.Parallel()
	fs := synthTree(t, SynthOptions{Users: 3, Sessions: 1, Actions: 200, Seed: 7})
	for name, buf := range fs.files {
		r, err := NewReader(bytes.NewReader(buf.Bytes()), name, ReadOptions{Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.Format() != FormatDFL {
			t.Errorf("%s: format %v", name, r.Format())
		}
		c := NewCleaner(CleanOptions{})
		var states [8]int
		for {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if keep, _ := c.Push(ev); keep {
				states[ev.State]++
			}
		}
		if states[Pressed] == 0 || states[Released] != states[Pressed] || states[Drag] == 0 {
			t.Errorf("%s: states %v: want clicks and drags", name, states)
		}
		if c.Counts[DropBackwards] != 0 || c.Counts[DropOutOfRange] != 0 {
			t.Errorf("%s: drops %v: no backwards or out-of-range rows expected", name, c.Counts)
		}
		if c.Counts[DropRepeated]+c.Counts[DropSameTime] == 0 {
			t.Errorf("%s: no artefacts for cleaning to count", name)
		}
		if float64(dropped(c.Counts)) > 0.02*float64(c.Kept) {
			t.Errorf("%s: %d drops for %d kept rows: artefacts should be rare", name, dropped(c.Counts), c.Kept)
		}
	}
}

func BenchmarkSynth(b *testing.B) {
	n := 0
	for i := 0; i < b.N; i++ {
		n0, err := SynthSession(io.Discard, 1, NewProfile(1, 1), 1, 0, 300)
		if err != nil {
			b.Fatal(err)
		}
		n += n0
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSynthesize generates 200 users of one 50-action session each into
// io.Discard, with as many workers as GOMAXPROCS: the load-test path. The
// allocations per op show memory does not grow with the users (a 64 KiB
// buffer and a generator per session).
func BenchmarkSynthesize(b *testing.B) {
	create := func(string, string) (io.WriteCloser, error) { return discardCloser{}, nil }
	opts := SynthOptions{Users: 200, Sessions: 1, Actions: 50, Seed: 1, Workers: runtime.GOMAXPROCS(0)}
	b.ReportAllocs()
	n := 0
	for i := 0; i < b.N; i++ {
		st, err := Synthesize(context.Background(), opts, create, nil)
		if err != nil {
			b.Fatal(err)
		}
		n += st.Events
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

type discardCloser struct{}

func (discardCloser) Write(p []byte) (int, error) { return len(p), nil }
func (discardCloser) Close() error                { return nil }
