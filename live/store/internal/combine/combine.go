package combine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mouseauth/mouseauth/live/store"
)

// PutBatch is a backend's own store.Profiles.PutBatch, which the combiner
// calls with one call's rows or with several calls' rows merged.
type PutBatch func(ctx context.Context, vs []store.Vector, ds []store.Decision) (iv, id []bool, err error)

// ErrClosed is the error of a call made after Close.
var ErrClosed = errors.New("store closed")

// DefaultMaxVectors bounds the vectors of one merged write; a call larger
// than the bound is written alone. A write holds the store's one write
// connection, which a login's session insert waits for: 512 vectors are
// some 20 ms of SQLite on a quiet core, and merging more shares few more
// pages (BenchmarkWALFrames in live/store/embedded: 2.7 pages per vector
// at 128, 2.2 at 1024).
const DefaultMaxVectors = 512

// Stats count what a Combiner did since it started.
type Stats struct {
	Calls  int64 // PutBatch calls
	Writes int64 // calls of the backend's PutBatch, merged or not
	Merged int64 // of them, writes of more than one call
	Split  int64 // merged writes that failed and were written again call by call
}

// Combiner merges the PutBatch calls that wait while a write runs into
// one write. Its methods are safe for concurrent use.
type Combiner struct {
	put PutBatch
	max int

	mu      sync.Mutex
	queue   []*call
	closed  bool
	stats   Stats
	wake    chan struct{} // buffered 1: the queue went from empty to not
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// call is one PutBatch call waiting for, or in, a write.
type call struct {
	ctx    context.Context
	vs     []store.Vector
	ds     []store.Decision
	iv, id []bool
	err    error
	done   chan struct{} // closed when iv, id and err are set
}

// New starts the writer goroutine of a Combiner over put. maxVectors
// bounds the vectors of a merged write (0: DefaultMaxVectors).
func New(put PutBatch, maxVectors int) *Combiner {
	if maxVectors <= 0 {
		maxVectors = DefaultMaxVectors
	}
	c := &Combiner{put: put, max: maxVectors, wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run()
	return c
}

// PutBatch queues the call for the writer and waits for its answer: the
// backend's answer for exactly this call's rows, in its order, whether it
// was written alone or merged with others. When ctx ends first it returns
// ctx's error: a call still queued is then never written, one being
// written may be stored or not (as when a backend's answer is lost; a
// retry reports its stored keys not inserted).
func (c *Combiner) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	x := &call{ctx: ctx, vs: vs, ds: ds, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil, ErrClosed
	}
	c.stats.Calls++
	c.queue = append(c.queue, x)
	if len(c.queue) == 1 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	select {
	case <-x.done:
		return x.iv, x.id, x.err
	case <-ctx.Done():
		c.mu.Lock()
		for i, y := range c.queue {
			if y == x {
				c.queue = append(c.queue[:i], c.queue[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return nil, nil, ctx.Err()
	}
}

// Stats returns the counts so far.
func (c *Combiner) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Close stops the writer once the calls queued are written; later calls
// fail with ErrClosed. It does not close the backend.
func (c *Combiner) Close() {
	c.once.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.stop)
		<-c.stopped
	})
}

func (c *Combiner) run() {
	defer close(c.stopped)
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			c.drain()
			return
		}
		c.drain()
	}
}

// drain writes what is queued, a group at a time, until the queue is
// empty.
func (c *Combiner) drain() {
	for {
		group := c.take()
		if len(group) == 0 {
			return
		}
		c.write(group)
	}
}

// take removes from the queue the calls of the next write: the oldest
// call, and the following ones while their vectors fit in the bound.
func (c *Combiner) take() []*call {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, rows := 0, 0
	for _, x := range c.queue {
		if n > 0 && rows+len(x.vs) > c.max {
			break
		}
		n, rows = n+1, rows+len(x.vs)
	}
	group := append([]*call(nil), c.queue[:n]...)
	c.queue = append(c.queue[:0], c.queue[n:]...)
	return group
}

// write writes a group: alone a call is written as it came; several are
// written as one call of their rows in order, and when that fails each
// is written again alone, so a row the backend refuses fails only the
// calls that hold it.
func (c *Combiner) write(group []*call) {
	live := group[:0]
	for _, x := range group {
		if err := x.ctx.Err(); err != nil {
			x.finish(nil, nil, err)
			continue
		}
		live = append(live, x)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		c.count(func(s *Stats) { s.Writes++ })
		live[0].finish(c.put(live[0].ctx, live[0].vs, live[0].ds))
		return
	}
	var vs []store.Vector
	var ds []store.Decision
	for _, x := range live {
		vs, ds = append(vs, x.vs...), append(ds, x.ds...)
	}
	ctx, cancel := merge(live)
	iv, id, err := c.put(ctx, vs, ds)
	cancel()
	if err == nil && (len(iv) != len(vs) || len(id) != len(ds)) {
		err = errors.New("the store answered for another number of rows")
	}
	c.count(func(s *Stats) { s.Writes++; s.Merged++ })
	if err == nil {
		for _, x := range live {
			x.finish(iv[:len(x.vs):len(x.vs)], id[:len(x.ds):len(x.ds)], nil)
			iv, id = iv[len(x.vs):], id[len(x.ds):]
		}
		return
	}
	c.count(func(s *Stats) { s.Split++ })
	for _, x := range live {
		if err := x.ctx.Err(); err != nil {
			x.finish(nil, nil, err)
			continue
		}
		c.count(func(s *Stats) { s.Writes++ })
		x.finish(c.put(x.ctx, x.vs, x.ds))
	}
}

func (c *Combiner) count(f func(*Stats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

func (x *call) finish(iv, id []bool, err error) {
	x.iv, x.id, x.err = iv, id, err
	close(x.done)
}

// merged is the context of a merged write: it ends when every member's
// context has ended (a write is abandoned only when no caller waits for
// it), and a value is the first member's that has one (the store's fault
// points, armed per call in tests, still fire).
type merged struct {
	context.Context
	members []*call
	left    *atomic.Int64 // members whose context has not ended
}

func merge(members []*call) (merged, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	left := new(atomic.Int64)
	left.Store(int64(len(members)))
	stops := make([]func() bool, len(members))
	for i, x := range members {
		stops[i] = context.AfterFunc(x.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return merged{ctx, members, left}, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

func (m merged) Value(key any) any {
	for _, x := range m.members {
		if v := x.ctx.Value(key); v != nil {
			return v
		}
	}
	return nil
}

// Deadline is the latest of the members' deadlines, none when one has
// none.
func (m merged) Deadline() (time.Time, bool) {
	var last time.Time
	for _, x := range m.members {
		d, ok := x.ctx.Deadline()
		if !ok {
			return time.Time{}, false
		}
		if d.After(last) {
			last = d
		}
	}
	return last, true
}
