package testutil

import (
	"sync/atomic"
	"testing"
	"time"
)

// fatalRecorder records Fatalf instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	failed atomic.Bool
	msg    string
}

func (r *fatalRecorder) Helper() {}
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.failed.Store(true)
	r.msg = format
	panic(r) // stop the loop as t.Fatalf's Goexit would
}

func catchFatal(r *fatalRecorder, f func()) {
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
	}()
	f()
}

func TestEventuallyReturnsWhenTheConditionHolds(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	go func() {
		for i := 0; i < 5; i++ {
			time.Sleep(time.Millisecond)
			n.Add(1)
		}
	}()
	Eventually(t, 10*time.Second, func() bool { return n.Load() == 5 }, "counter")
}

func TestEventuallyFailsWhenStuck(t *testing.T) {
	t.Parallel()
	r := &fatalRecorder{TB: t}
	catchFatal(r, func() { Eventually(r, 20*time.Millisecond, func() bool { return false }, "never") })
	if !r.failed.Load() {
		t.Fatal("a condition that never holds did not fail")
	}
}

// TestEventuallyProgressWaitsWhileMoving is not parallel: it times 5 ms
// steps against a 30 ms limit.
func TestEventuallyProgressWaitsWhileMoving(t *testing.T) {
	// Progress every ~5 ms for ~60 ms: more than the idle limit of 30 ms in
	// all, never idle that long.
	start := time.Now()
	r := &fatalRecorder{TB: t}
	catchFatal(r, func() {
		EventuallyProgress(r, 30*time.Millisecond, func() (bool, int64) {
			el := time.Since(start)
			return el > 60*time.Millisecond, int64(el / (5 * time.Millisecond))
		}, "moving")
	})
	if r.failed.Load() {
		t.Fatal("failed while progress was being made")
	}
	r = &fatalRecorder{TB: t}
	catchFatal(r, func() {
		EventuallyProgress(r, 30*time.Millisecond, func() (bool, int64) { return false, 7 }, "stuck")
	})
	if !r.failed.Load() {
		t.Fatal("no failure without progress")
	}
}
