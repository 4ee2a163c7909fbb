package retry

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fake is a clock that only moves when the retry loop sleeps.
type fake struct {
	now    time.Time
	slept  []time.Duration
	cancel func() // called at the nth sleep, when set
	at     int
}

func (f *fake) clock() time.Time { return f.now }

func (f *fake) sleep(ctx context.Context, d time.Duration) error {
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	if f.cancel != nil && len(f.slept) == f.at {
		f.cancel()
	}
	return ctx.Err()
}

func (f *fake) opts(r float64) []Option {
	return []Option{WithClock(f.clock), WithSleep(f.sleep), WithRand(func() float64 { return r })}
}

var errFlaky = errors.New("flaky")

// failing returns an op that fails n times, then succeeds, and counts calls.
func failing(n int, calls *int) func() error {
	return func() error {
		*calls++
		if *calls <= n {
			return errFlaky
		}
		return nil
	}
}

func TestBackoffGrowsToMaxWithJitter(t *testing.T) {
	t.Parallel()
	f := &fake{now: time.Unix(0, 0)}
	var calls int
	p := Policy{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2}
	var hooked []int
	err := Do(context.Background(), p, failing(6, &calls),
		append(f.opts(0.5), OnRetry(func(n int, err error, _ time.Duration) {
			if !errors.Is(err, errFlaky) {
				t.Errorf("hook got %v", err)
			}
			hooked = append(hooked, n)
		}))...)
	if err != nil || calls != 7 {
		t.Fatalf("err %v after %d calls, want success on the 7th", err, calls)
	}
	// Caps 100, 200, 400, 800, 1000, 1000 ms; the jitter draws 0.5 of each.
	want := []time.Duration{50, 100, 200, 400, 500, 500}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !reflect.DeepEqual(f.slept, want) {
		t.Errorf("waits %v, want %v", f.slept, want)
	}
	if !reflect.DeepEqual(hooked, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("OnRetry saw attempts %v", hooked)
	}
}

func TestFullJitterSpansZeroToCap(t *testing.T) {
	t.Parallel()
	for _, r := range []float64{0, 0.999} {
		f := &fake{}
		var calls int
		_ = Do(context.Background(), Policy{Initial: time.Second, Multiplier: 1}, failing(1, &calls), f.opts(r)...)
		if got, limit := f.slept[0], time.Second; got < 0 || got >= limit || (r == 0) != (got == 0) {
			t.Errorf("rand %v: wait %v, want in [0, %v) and 0 only for a draw of 0", r, got, limit)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	f := &fake{}
	var calls int
	_ = Do(context.Background(), Policy{}, failing(8, &calls), f.opts(0.999999)...)
	if first, last := f.slept[0], f.slept[len(f.slept)-1]; first > 50*time.Millisecond || first < 49*time.Millisecond || last > 2*time.Second || last < 1999*time.Millisecond {
		t.Errorf("default waits %v: want caps from 50 ms up to 2 s", f.slept)
	}
}

func TestPermanentErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	f := &fake{}
	errGone := errors.New("not found")
	calls := 0
	err := Do(context.Background(), Policy{}, func() error { calls++; return errGone },
		append(f.opts(0.5), Permanent(func(err error) bool { return errors.Is(err, errGone) }))...)
	if err != errGone || calls != 1 || len(f.slept) != 0 {
		t.Fatalf("err %v (want the permanent error itself), %d calls, waits %v", err, calls, f.slept)
	}
}

func TestMaxAttempts(t *testing.T) {
	t.Parallel()
	f := &fake{}
	calls := 0
	err := Do(context.Background(), Policy{MaxAttempts: 3}, failing(100, &calls), f.opts(0.5)...)
	if !errors.Is(err, errFlaky) || calls != 3 || len(f.slept) != 2 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err %v, %d calls, %d waits; want the last error after 3 attempts and 2 waits", err, calls, len(f.slept))
	}
}

func TestMaxElapsedMakesALastAttemptAtTheLimit(t *testing.T) {
	t.Parallel()
	f := &fake{now: time.Unix(100, 0)}
	calls := 0
	p := Policy{Initial: 400 * time.Millisecond, Multiplier: 1, MaxElapsed: time.Second}
	err := Do(context.Background(), p, failing(100, &calls), f.opts(0.999)...)
	// Waits of ~400, ~400, then the 200 left: 4 attempts in 1 s.
	if !errors.Is(err, errFlaky) || calls != 4 {
		t.Fatalf("err %v after %d calls, want the last error after 4", err, calls)
	}
	var total time.Duration
	for _, d := range f.slept {
		total += d
	}
	if total != time.Second {
		t.Errorf("waited %v in all (%v), want exactly the 1 s limit", total, f.slept)
	}
}

func TestContextEndsTheWait(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	f := &fake{cancel: cancel, at: 2}
	calls := 0
	err := Do(ctx, Policy{}, failing(100, &calls), f.opts(0.5)...)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errFlaky) || calls != 2 {
		t.Fatalf("err %v after %d calls; want Canceled wrapping the last error, after 2 calls", err, calls)
	}
}

func TestContextEndedDuringAttempt(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	f := &fake{}
	calls := 0
	err := Do(ctx, Policy{}, func() error { calls++; cancel(); return errFlaky }, f.opts(0.5)...)
	if !errors.Is(err, context.Canceled) || calls != 1 || len(f.slept) != 0 {
		t.Fatalf("err %v, %d calls, waits %v", err, calls, f.slept)
	}
}

func TestSleep(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on an ended context: %v", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}
