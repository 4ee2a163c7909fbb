package testutil

import (
	"testing"
	"time"
)

// Eventually waits until cond holds, checking it every few milliseconds
// (backing off to 100 ms), and fails t with what when timeout passes first.
// It is the one polling loop of the tests: for waits on a channel, select on
// the channel instead.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	EventuallyProgress(t, timeout, func() (bool, int64) { return cond(), 0 }, what)
}

// EventuallyProgress waits until cond reports done, and fails t with what
// only when idle passes without progress: cond's second result (a count
// that grows as the awaited work advances, such as decisions stored) resets
// the clock whenever it changes. The timeout thus follows the work, not the
// machine's speed: a slow but moving run (-race, a busy CPU) is not failed,
// a stuck one is failed after idle.
func EventuallyProgress(t testing.TB, idle time.Duration, cond func() (done bool, progress int64), what string) {
	t.Helper()
	poll := 2 * time.Millisecond
	var last int64
	moved := time.Now()
	for first := true; ; first = false {
		done, p := cond()
		if done {
			return
		}
		if first || p != last {
			last, moved = p, time.Now()
		} else if time.Since(moved) > idle {
			t.Fatalf("%s: no progress for %v (progress %d)", what, idle, p)
		}
		time.Sleep(poll)
		poll = min(2*poll, 100*time.Millisecond)
	}
}
