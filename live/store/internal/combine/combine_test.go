package combine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/internal/keys"
)

// memory is a transactional backend in memory: a write stores all its rows
// or, when one is refused, none. It records the order rows were stored in
// and what each write held.
type memory struct {
	mu      sync.Mutex
	vectors map[keys.Key]float64 // the stored vector's mark
	decs    map[keys.Key]float64
	order   map[keys.Key]int // the write that stored the key's vector
	writes  int
	sizes   []int // calls' vectors per write
	refuse  keys.Key
	hold    chan struct{} // when set, the first write waits for it
	held    atomic.Bool
}

var errRefused = errors.New("row refused")

func newMemory() *memory {
	return &memory{vectors: map[keys.Key]float64{}, decs: map[keys.Key]float64{}, order: map[keys.Key]int{}, refuse: keys.Key{Seq: -1}}
}

func (m *memory) put(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	if m.hold != nil && m.held.CompareAndSwap(false, true) {
		select {
		case <-m.hold:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sizes = append(m.sizes, len(vs))
	for _, v := range vs {
		if keys.Of(v) == m.refuse {
			return nil, nil, fmt.Errorf("vector %v: %w", keys.Of(v), errRefused)
		}
	}
	m.writes++
	iv, id := make([]bool, len(vs)), make([]bool, len(ds))
	for i, v := range vs {
		k := keys.Of(v)
		if _, ok := m.vectors[k]; !ok {
			m.vectors[k], m.order[k], iv[i] = v.Values[0], m.writes, true
		}
	}
	for i, d := range ds {
		k := keys.Of(d)
		if _, ok := m.decs[k]; !ok {
			m.decs[k], id[i] = d.Statistic, true
		}
	}
	return iv, id, nil
}

func row(user string, seq int64, mark float64) (store.Vector, store.Decision) {
	return store.Vector{User: user, Session: "s", Seq: seq, Values: []float64{mark}},
		store.Decision{User: user, Session: "s", Seq: seq, Statistic: mark}
}

// TestConcurrentPartitions: eight partitions write their batches at once
// through a combiner whose first write is held, so the others queue and
// are merged. Each partition writes its own users' keys in order and
// repeats some keys of another partition (a redelivery after a
// rebalance) and one of its own within a batch. Checked: every key is
// reported inserted exactly once, to the call whose values are stored; a
// call that returns has all its rows stored; each partition's batches are
// stored in its order.
func TestConcurrentPartitions(t *testing.T) {
	t.Parallel()
	m := newMemory()
	m.hold = make(chan struct{})
	c := New(m.put, 64)
	defer c.Close()
	const partitions, batches, size = 8, 12, 10
	type told struct {
		partition int
		mark      float64
	}
	var mu sync.Mutex
	insertedV, insertedD := map[keys.Key][]told{}, map[keys.Key][]told{}
	var wg sync.WaitGroup
	errs := make(chan error, partitions)
	for p := range partitions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := 0 // the write that stored this partition's previous batch
			for b := range batches {
				var vs []store.Vector
				var ds []store.Decision
				for i := range size {
					seq := int64(b*size + i)
					user := fmt.Sprintf("p%d", p)
					if i == size-1 && b > 0 {
						// A key of the next partition's (it may or may
						// not have written it yet).
						user, seq = fmt.Sprintf("p%d", (p+1)%partitions), int64((b-1)*size)
					}
					v, d := row(user, seq, float64(p*1000+b))
					vs, ds = append(vs, v), append(ds, d)
				}
				v, d := row(fmt.Sprintf("p%d", p), int64(b*size), -1) // a repeat in the batch
				vs, ds = append(vs, v), append(ds, d)
				iv, id, err := c.PutBatch(context.Background(), vs, ds)
				if err == nil && (len(iv) != len(vs) || len(id) != len(ds)) {
					err = fmt.Errorf("answered %d and %d flags for %d rows", len(iv), len(id), len(vs))
				}
				if err == nil && (iv[len(vs)-1] || id[len(ds)-1]) {
					err = errors.New("the key repeated in a batch was reported inserted")
				}
				if err != nil {
					errs <- fmt.Errorf("partition %d batch %d: %w", p, b, err)
					return
				}
				m.mu.Lock()
				first := m.writes + 1
				for i, v := range vs {
					k := keys.Of(v)
					if _, ok := m.vectors[k]; !ok {
						err = fmt.Errorf("partition %d batch %d: key %v not stored when PutBatch returned", p, b, k)
					}
					if iv[i] && v.User == fmt.Sprintf("p%d", p) {
						first = min(first, m.order[k])
					}
				}
				m.mu.Unlock()
				if err == nil && first < last {
					err = fmt.Errorf("partition %d: batch %d stored by write %d, before batch %d's write %d", p, b, first, b-1, last)
				}
				if err != nil {
					errs <- err
					return
				}
				last = max(last, first)
				mu.Lock()
				for i := range vs {
					if iv[i] {
						insertedV[keys.Of(vs[i])] = append(insertedV[keys.Of(vs[i])], told{p, vs[i].Values[0]})
					}
					if id[i] {
						insertedD[keys.Of(ds[i])] = append(insertedD[keys.Of(ds[i])], told{p, ds[i].Statistic})
					}
				}
				mu.Unlock()
			}
		}()
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return c.Stats().Calls >= partitions },
		"waiting for every partition's first call")
	close(m.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for k, mark := range m.vectors {
		if got := insertedV[k]; len(got) != 1 || got[0].mark != mark {
			t.Errorf("vector %v: reported inserted to %v, stored mark %v", k, got, mark)
		}
		if got := insertedD[k]; len(got) != 1 || got[0].mark != m.decs[k] {
			t.Errorf("decision %v: reported inserted to %v, stored mark %v", k, got, m.decs[k])
		}
	}
	if want := partitions * (batches*(size-1) + 1); len(m.vectors) != want {
		t.Errorf("%d keys stored, want %d", len(m.vectors), want)
	}
	st := c.Stats()
	t.Logf("%+v; vectors per write %v", st, m.sizes)
	if st.Merged == 0 || st.Writes >= st.Calls {
		t.Errorf("%+v: the calls that waited were not merged", st)
	}
	for _, n := range m.sizes {
		if n > 64+size+1 {
			t.Errorf("a write of %d vectors, over the bound of 64 and one call", n)
		}
	}
}

// TestRefusedRowFailsOnlyItsCall: a row the backend refuses, in one of
// several calls merged into one write. The merged write fails and stores
// nothing; each call is then written alone: only the call holding the row
// fails, the others are stored and answered inserted, and nothing of the
// failing call is stored.
func TestRefusedRowFailsOnlyItsCall(t *testing.T) {
	t.Parallel()
	m := newMemory()
	m.hold = make(chan struct{})
	m.refuse = keys.Key{User: "p2", Session: "s", Seq: 3}
	c := New(m.put, 0)
	defer c.Close()
	// A first call to hold the writer, then five that queue behind it.
	first := make(chan error, 1)
	go func() {
		v, d := row("p0", 0, 1)
		_, _, err := c.PutBatch(context.Background(), []store.Vector{v}, []store.Decision{d})
		first <- err
	}()
	testutil.Eventually(t, 10*time.Second, m.held.Load, "waiting for the first write to be held")
	type result struct {
		iv, id []bool
		err    error
	}
	results := make([]chan result, 5)
	for p := 1; p <= 5; p++ {
		results[p-1] = make(chan result, 1)
		go func() {
			var vs []store.Vector
			var ds []store.Decision
			for seq := range int64(5) {
				v, d := row(fmt.Sprintf("p%d", p), seq, float64(p))
				vs, ds = append(vs, v), append(ds, d)
			}
			iv, id, err := c.PutBatch(context.Background(), vs, ds)
			results[p-1] <- result{iv, id, err}
		}()
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return c.Stats().Calls == 6 }, "waiting for the calls to queue")
	close(m.hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for p := 1; p <= 5; p++ {
		r := <-results[p-1]
		if p == 2 {
			if !errors.Is(r.err, errRefused) {
				t.Errorf("partition 2 (holding the refused row): err %v, want the refusal", r.err)
			}
			continue
		}
		if r.err != nil {
			t.Errorf("partition %d: %v; only the call holding the refused row may fail", p, r.err)
			continue
		}
		for i := range r.iv {
			if !r.iv[i] || !r.id[i] {
				t.Errorf("partition %d: row %d reported not inserted", p, i)
			}
		}
	}
	for seq := range int64(5) {
		if _, ok := m.vectors[keys.Key{User: "p2", Session: "s", Seq: seq}]; ok {
			t.Errorf("p2/%d stored: a failed call must store nothing", seq)
		}
	}
	if len(m.vectors) != 1+4*5 {
		t.Errorf("%d vectors stored, want %d", len(m.vectors), 1+4*5)
	}
	if st := c.Stats(); st.Split != 1 || st.Merged != 1 {
		t.Errorf("%+v: want one merged write, failed and split", st)
	}
}

// TestContextEnds: a queued call whose context ends returns at once and is
// never written; a merged write goes on while one of its callers still
// waits, and its context ends only when every caller's has.
func TestContextEnds(t *testing.T) {
	t.Parallel()
	m := newMemory()
	m.hold = make(chan struct{})
	c := New(m.put, 0)
	defer c.Close()
	go func() {
		v, d := row("hold", 0, 1)
		_, _, _ = c.PutBatch(context.Background(), []store.Vector{v}, []store.Decision{d})
	}()
	testutil.Eventually(t, 10*time.Second, m.held.Load, "waiting for the first write to be held")
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() {
		v, d := row("gone", 0, 1)
		_, _, err := c.PutBatch(ctx, []store.Vector{v}, []store.Decision{d})
		gone <- err
	}()
	testutil.Eventually(t, 10*time.Second, func() bool { return c.Stats().Calls == 2 }, "waiting for the call to queue")
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("a queued call whose context ended: %v, want context.Canceled", err)
	}
	close(m.hold)
	v, d := row("after", 0, 1)
	if _, _, err := c.PutBatch(context.Background(), []store.Vector{v}, []store.Decision{d}); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	_, stored := m.vectors[keys.Key{User: "gone", Session: "s", Seq: 0}]
	m.mu.Unlock()
	if stored {
		t.Error("a call dropped from the queue was written")
	}

	// The merged context: alive while one member's is.
	a, cancelA := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "a"))
	b, cancelB := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "b"))
	mctx, stop := merge([]*call{{ctx: a}, {ctx: b}})
	defer stop()
	if got := mctx.Value(ctxKey{}); got != "a" {
		t.Errorf("merged value %v, want the first member's", got)
	}
	cancelA()
	testutil.Eventually(t, 10*time.Second, func() bool { return mctx.left.Load() == 1 }, "waiting for the first member's end to be counted")
	if mctx.Err() != nil {
		t.Fatal("the merged context ended while a member still waits")
	}
	cancelB()
	testutil.Eventually(t, 10*time.Second, func() bool { return mctx.Err() != nil }, "waiting for the merged context to end")
}

type ctxKey struct{}

// TestClose: Close writes what is queued; calls after it fail.
func TestClose(t *testing.T) {
	t.Parallel()
	m := newMemory()
	c := New(m.put, 0)
	v, d := row("u", 0, 1)
	if _, _, err := c.PutBatch(context.Background(), []store.Vector{v}, []store.Decision{d}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close()
	if _, _, err := c.PutBatch(context.Background(), []store.Vector{v}, []store.Decision{d}); !errors.Is(err, ErrClosed) {
		t.Errorf("PutBatch after Close: %v, want ErrClosed", err)
	}
}
