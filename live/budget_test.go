package live

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/store"
)

var tb0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestLockoutWait(t *testing.T) {
	t.Parallel()
	l := Lockout{}
	l.defaults()
	if l.MaxFailures != 5 || l.LockFor != 15*time.Minute || l.UserFailures != 20 {
		t.Fatalf("defaults: %+v", l)
	}
	for _, tc := range []struct {
		failures, free int
		want           time.Duration
	}{
		{0, 5, 0}, {4, 5, 0}, {5, 5, time.Second}, {6, 5, 2 * time.Second}, {9, 5, 16 * time.Second},
		{14, 5, 512 * time.Second}, {15, 5, 15 * time.Minute}, {40, 5, 15 * time.Minute}, {1 << 30, 5, 15 * time.Minute},
		{1, 1, time.Second}, {20, 20, time.Second},
	} {
		if got := l.Wait(tc.failures, tc.free); got != tc.want {
			t.Errorf("Wait(%d, %d) = %v, want %v", tc.failures, tc.free, got, tc.want)
		}
	}
	pair := store.ClientFailures{Failures: 6, LastFailure: tb0}
	if got := l.ClientUntil(pair); !got.Equal(tb0.Add(2 * time.Second)) {
		t.Errorf("ClientUntil(6 failures) = %v", got)
	}
	if got := l.ClientUntil(store.ClientFailures{Failures: 6}); !got.IsZero() {
		t.Errorf("ClientUntil without a last failure = %v", got)
	}
	if got := l.UserUntil(store.Credential{Failures: 19, LastFailure: tb0}); !got.Equal(tb0) {
		t.Errorf("UserUntil(19 failures) = %v, want no wait", got)
	}
	if got := l.UserUntil(store.Credential{Failures: 22, LastFailure: tb0}); !got.Equal(tb0.Add(4 * time.Second)) {
		t.Errorf("UserUntil(22 failures) = %v", got)
	}
}

func TestBudgetDefaults(t *testing.T) {
	t.Parallel()
	b := LoginBudget{Slots: 3}
	b.defaults()
	if b.Queue != 12 || b.Overall != (Rate{24, 24}) || b.PerClient != (Rate{1, 10}) || b.PerUser != (Rate{0.1, 10}) {
		t.Fatalf("defaults: %+v", b)
	}
	off := LoginBudget{Overall: Rate{PerSecond: -1}}
	off.defaults()
	if off.Overall.PerSecond != -1 || off.Slots < 1 {
		t.Fatalf("a disabled bucket was given a rate: %+v", off)
	}
}

// TestBudgetsTake plays logins against the buckets, one step at a time.
func TestBudgetsTake(t *testing.T) {
	t.Parallel()
	cfg := LoginBudget{Slots: 1, Overall: Rate{4, 4}, PerClient: Rate{1, 3}, PerUser: Rate{0.5, 2}}
	cfg.defaults()
	type step struct {
		dt           time.Duration // before the step
		client, user string
		cost         float64
		good         bool
		want         string
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"the client's burst, then its refill", []step{
			{0, "a", "u1", 1, false, ""}, {0, "a", "u2", 1, false, ""}, {0, "a", "u3", 1, false, ""},
			{0, "a", "u4", 1, false, scopeClient},
			{time.Second, "a", "u4", 1, false, ""},
		}},
		{"the user's burst from many clients", []step{
			{0, "a", "u", 1, false, ""}, {0, "b", "u", 1, false, ""}, {0, "c", "u", 1, false, scopeUser},
			{0, "c", "v", 1, false, ""},
		}},
		{"overall", []step{
			{0, "a", "u1", 1, false, ""}, {0, "b", "u2", 1, false, ""}, {0, "c", "u3", 1, false, ""}, {0, "d", "u4", 1, false, ""},
			{0, "e", "u5", 1, false, scopeOverall},
			{250 * time.Millisecond, "e", "u5", 1, false, ""},
		}},
		{"good standing overdraws by a burst", []step{
			{0, "a", "u", 1, false, ""}, {0, "b", "u", 1, false, ""},
			{0, "c", "u", 1, false, scopeUser},
			{0, "c", "u", 1, true, ""}, {0, "d", "u", 1, true, ""},
			{0, "e", "u", 1, true, scopeUser}, // the reserve is spent too
		}},
		{"good standing is never refused overall, but draws on it", []step{
			{0, "a", "u1", 1, true, ""}, {0, "b", "u2", 1, true, ""}, {0, "c", "u3", 1, true, ""}, {0, "d", "u4", 1, true, ""},
			{0, "e", "u5", 1, true, ""}, {0, "f", "u6", 1, true, ""}, {0, "h", "u8", 1, true, ""}, {0, "i", "u9", 1, true, ""},
			{0, "g", "u7", 1, false, scopeOverall},
			{time.Second, "g", "u7", 1, false, scopeOverall}, // 4 in debt, 4 refilled: 0, below 1
			{time.Second, "g", "u7", 1, false, ""},
		}},
		{"cheap hashes cost a fraction", []step{
			{0, "a", "u", 0.25, false, ""}, {0, "a", "u", 0.25, false, ""}, {0, "a", "u", 0.25, false, ""}, {0, "a", "u", 0.25, false, ""},
			{0, "a", "u", 0.25, false, ""}, {0, "a", "u", 0.25, false, ""}, {0, "a", "u", 0.25, false, ""}, {0, "a", "u", 0.25, false, ""},
			{0, "a", "u", 0.25, false, scopeUser},
		}},
		{"a cost above the burst needs a full bucket", []step{
			{0, "a", "u", 9, false, ""}, // takes the user's 2 and more: in debt
			{0, "b", "v", 1, false, scopeOverall},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBudgets(cfg, tb0)
			now := tb0
			for i, s := range tc.steps {
				now = now.Add(s.dt)
				scope, refund := b.take(s.client, s.user, s.cost, s.good, now)
				if scope != s.want {
					t.Fatalf("step %d (%+v): scope %q", i, s, scope)
				}
				if (scope == "") != (refund != nil) {
					t.Fatalf("step %d: refund %v with scope %q", i, refund != nil, scope)
				}
			}
		})
	}
	t.Run("refund", func(t *testing.T) {
		b := newBudgets(cfg, tb0)
		for range 3 {
			_, refund := b.take("a", "u"+strings.Repeat("x", 1), 1, false, tb0)
			if refund == nil {
				t.Fatal("refused")
			}
			refund()
		}
		if scope, _ := b.take("a", "ux", 1, false, tb0); scope != "" {
			t.Fatalf("refunded tokens were not given back: %q", scope)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		off := cfg
		off.Overall, off.PerUser = Rate{PerSecond: -1}, Rate{PerSecond: -1}
		b := newBudgets(off, tb0)
		for i := range 3 {
			if scope, _ := b.take(string(rune('a'+i)), "u", 100, false, tb0); scope != "" {
				t.Fatalf("login %d refused by %q", i, scope)
			}
		}
	})
}

// TestBudgetsBounded: a flood of names never seen keeps at most maxKeyed
// buckets per kind; once they are all in use, a new name is refused unless
// in good standing.
func TestBudgetsBounded(t *testing.T) {
	t.Parallel()
	cfg := LoginBudget{Overall: Rate{PerSecond: -1}, PerClient: Rate{1, 1}, PerUser: Rate{PerSecond: -1}}
	cfg.defaults()
	b := newBudgets(cfg, tb0)
	name := func(i int) string { return string(rune(0x1000+i/4096)) + string(rune(0x2000+i%4096)) }
	for i := range maxKeyed {
		if scope, _ := b.take(name(i), "u", 1, false, tb0); scope != "" {
			t.Fatalf("client %d refused: %q", i, scope)
		}
	}
	if scope, _ := b.take("one more", "u", 1, false, tb0); scope != scopeClient {
		t.Fatalf("a client beyond the bound: %q", scope)
	}
	if scope, _ := b.take("one more", "u", 1, true, tb0); scope != "" {
		t.Fatalf("a client in good standing beyond the bound: %q", scope)
	}
	// A second later every bucket is full again and is dropped.
	if scope, _ := b.take("one more", "u", 1, false, tb0.Add(2*time.Second)); scope != "" || len(b.clients.m) != 1 {
		t.Fatalf("after the refill: %q, %d buckets kept", scope, len(b.clients.m))
	}
}

// TestCheckPool: at most slots checks at once; logins in good standing
// first; at most queue others wait; a waiter whose ctx ends leaves.
func TestCheckPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newCheckPool(1, 2)
	release, ok, err := p.acquire(ctx, false)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	start := func(name string, good bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, ok, err := p.acquire(ctx, good)
			if !ok || err != nil {
				t.Errorf("%s: %v %v", name, ok, err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			r()
		}()
	}
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for p.waiting() != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d waiting, want %d", p.waiting(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	start("rest-1", false)
	waitFor(1)
	start("rest-2", false)
	waitFor(2)
	if _, ok, _ := p.acquire(ctx, false); ok {
		t.Fatal("a third login not in good standing was queued beyond the bound of 2")
	}
	start("good-1", true) // never refused for the queue's length, and served first
	waitFor(3)
	start("good-2", true)
	waitFor(4)
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan error, 1)
	go func() { _, _, err := p.acquire(cctx, true); gone <- err }()
	waitFor(5)
	cancel()
	if err := <-gone; err == nil {
		t.Fatal("a waiter whose ctx ended got a slot")
	}
	waitFor(4)
	release()
	wg.Wait()
	if got := strings.Join(order, ","); got != "good-1,good-2,rest-1,rest-2" {
		t.Fatalf("served %s; want good-1,good-2,rest-1,rest-2", got)
	}
	// Every slot is back.
	r, ok, _ := p.acquire(ctx, false)
	if !ok {
		t.Fatal("a slot was lost")
	}
	// Openings (lane) wait in order with the checks of logins not in good
	// standing and are never refused for the queue's length.
	order = nil
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := p.lane(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, fmt.Sprint("lane-", i))
			mu.Unlock()
			release()
		}()
		waitFor(i + 1)
	}
	start("rest-3", false)
	waitFor(5)
	start("good-3", true)
	waitFor(6)
	r()
	wg.Wait()
	if got := strings.Join(order, ","); got != "good-3,lane-0,lane-1,lane-2,lane-3,rest-3" {
		t.Fatalf("served %s", got)
	}
}

// TestBurstLog: a flood of refusals writes a line at its start and one a
// minute, counting what it did not log; a quiet spell starts a new burst.
func TestBurstLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := newBurstLog(slog.New(slog.NewTextHandler(&buf, nil)))
	now := tb0
	for range 1000 {
		now = now.Add(10 * time.Millisecond) // 10 s of refusals
		l.refused(now, "login budget spent", scopeOverall, "u", "c")
	}
	for range 6000 {
		now = now.Add(10 * time.Millisecond) // a minute more
		l.refused(now, "login budget spent", scopeOverall, "u", "c")
	}
	l.refused(now, "login budget spent", scopeUser, "u", "c") // another scope: its own burst
	now = now.Add(time.Minute)
	l.refused(now, "login budget spent", scopeOverall, "u", "c") // after a quiet minute: a new burst
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines for 7,002 refusals, want 4:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[1], "refused=6000") || !strings.Contains(lines[2], "scope=user") || !strings.Contains(lines[3], "once per burst") {
		t.Fatalf("lines:\n%s", buf.String())
	}
}

func TestUnknownFailuresBounded(t *testing.T) {
	t.Parallel()
	u := newUnknownFailures()
	for i := range 3 {
		u.fail("ghost", "c", tb0.Add(time.Duration(i)*time.Second))
	}
	c, p := u.get("ghost", "c")
	if c.Failures != 3 || p.Failures != 3 || !p.LastFailure.Equal(tb0.Add(2*time.Second)) || p.Client != "c" {
		t.Fatalf("records: %+v %+v", c, p)
	}
	if _, p := u.get("ghost", "other"); p.Failures != 0 {
		t.Fatalf("another client's record: %+v", p)
	}
	for i := range maxUnknown + 1 {
		u.fail(string(rune(0x1000+i/4096))+string(rune(0x2000+i%4096)), "c", tb0)
	}
	if len(u.users) > maxUnknown || len(u.pairs) > maxUnknown {
		t.Fatalf("%d users, %d pairs kept", len(u.users), len(u.pairs))
	}
}
