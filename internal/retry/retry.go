package retry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy shapes the waits between attempts. Zero fields take the defaults
// noted; the limits are off when zero.
type Policy struct {
	Initial    time.Duration // cap of the first wait, default 50 ms
	Max        time.Duration // largest cap, default 2 s (at least Initial)
	Multiplier float64       // growth of the cap per attempt, default 2 (1: constant)
	// MaxElapsed stops retrying once this much time has passed since the
	// first attempt (a last attempt is made at the limit). 0: no limit.
	MaxElapsed time.Duration
	// MaxAttempts stops after this many attempts. 0: no limit.
	MaxAttempts int
}

func (p Policy) withDefaults() Policy {
	if p.Initial <= 0 {
		p.Initial = 50 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 2 * time.Second
	}
	p.Max = max(p.Max, p.Initial)
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	return p
}

// capOf is the cap of the wait after attempt n (1-based).
func (p Policy) capOf(n int) time.Duration {
	c := float64(p.Initial)
	for i := 1; i < n && c < float64(p.Max); i++ {
		c *= p.Multiplier
	}
	return time.Duration(min(c, float64(p.Max)))
}

type config struct {
	permanent func(error) bool
	onRetry   func(attempt int, err error, wait time.Duration)
	rand      func() float64
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
}

// Option adjusts [Do].
type Option func(*config)

// Permanent makes Do return at once, without retrying, the errors for which
// final returns true (not found, a version that exists, a malformed
// request).
func Permanent(final func(error) bool) Option { return func(c *config) { c.permanent = final } }

// OnRetry calls f before each wait with the attempt that failed (1-based),
// its error and the wait: the place for a metric or a log line.
func OnRetry(f func(attempt int, err error, wait time.Duration)) Option {
	return func(c *config) { c.onRetry = f }
}

// WithRand replaces the jitter's random source (uniform in [0, 1)).
func WithRand(f func() float64) Option { return func(c *config) { c.rand = f } }

// WithClock replaces time.Now, which MaxElapsed is measured with.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithSleep replaces the wait between attempts; it must return ctx's error
// when ctx ends first.
func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *config) { c.sleep = f }
}

// Sleep waits d or until ctx ends, whichever comes first, and returns
// ctx's error in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Do runs op until it returns nil, returns an error that is permanent, the
// policy's limit is reached or ctx ends. It returns nil, the permanent
// error, the last error (wrapped with the attempts made), or ctx's error
// wrapped with the last error; errors.Is sees through each wrapping.
func Do(ctx context.Context, p Policy, op func() error, opts ...Option) error {
	p = p.withDefaults()
	c := config{permanent: func(error) bool { return false }, rand: rand.Float64, now: time.Now, sleep: Sleep}
	for _, o := range opts {
		o(&c)
	}
	start := c.now()
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || c.permanent(err) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		}
		if p.MaxAttempts > 0 && attempt >= p.MaxAttempts {
			return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		wait := time.Duration(c.rand() * float64(p.capOf(attempt)))
		if p.MaxElapsed > 0 {
			left := p.MaxElapsed - c.now().Sub(start)
			if left <= 0 {
				return fmt.Errorf("%w (gave up after %d attempts in %v)", err, attempt, p.MaxElapsed)
			}
			wait = min(wait, left)
		}
		if c.onRetry != nil {
			c.onRetry(attempt, err, wait)
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (last error: %w)", serr, err)
		}
	}
}
