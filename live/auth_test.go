package live

import (
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

var cheap = account.Argon2Params{Memory: 64, Time: 1, Threads: 1} // tests need no real cost

func TestCheckLogin(t *testing.T) {
	h, _ := account.HashPassword("pw", cheap)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	l := Lockout{MaxFailures: 3, LockFor: time.Hour}
	c := store.Credential{User: "u", Hash: h}
	for i := 1; i <= 3; i++ {
		r := CheckLogin(c, "nope", now, l)
		if r.Accept || r.Failures != i || r.Reason != "wrong password" {
			t.Fatalf("failure %d: %+v", i, r)
		}
		if (i == 3) == r.LockedUntil.IsZero() {
			t.Fatalf("failure %d: locked until %v", i, r.LockedUntil)
		}
		c.Failures, c.LockedUntil = r.Failures, r.LockedUntil
	}
	if r := CheckLogin(c, "pw", now.Add(time.Minute), l); r.Accept || r.Reason != "locked" {
		t.Fatalf("right password while locked: %+v", r)
	}
	if r := CheckLogin(c, "pw", now.Add(61*time.Minute), l); !r.Accept || r.Failures != 0 || !r.LockedUntil.IsZero() {
		t.Fatalf("right password after the lock: %+v", r)
	}
	c.Hash = "garbage"
	if r := CheckLogin(c, "pw", now.Add(2*time.Hour), l); r.Accept {
		t.Fatal("a bad stored hash accepted a login")
	}
}

func TestWindowAndDecide(t *testing.T) {
	w := NewWindow(3)
	for i, tc := range []struct {
		score   float64
		mean    float64
		full    bool
		verdict Verdict
		alerted bool
	}{
		{0.1, 0.1, false, Verdict{Accept: true}, false},
		{0.2, 0.15, false, Verdict{Accept: true}, false},
		{0.3, 0.2, true, Verdict{Accept: false, Alert: true}, false},
		{0.9, (0.2 + 0.3 + 0.9) / 3, true, Verdict{Accept: false}, true}, // already alerted: no second alert
		{0.9, 0.7, true, Verdict{Accept: true}, true},
	} {
		w.Push(tc.score)
		if d := w.Mean() - tc.mean; d > 1e-12 || d < -1e-12 || w.Full() != tc.full {
			t.Fatalf("step %d: mean %v full %v, want %v %v", i, w.Mean(), w.Full(), tc.mean, tc.full)
		}
		if v := Decide(w, 0.5, tc.alerted); v != tc.verdict {
			t.Fatalf("step %d: %+v, want %+v", i, v, tc.verdict)
		}
	}
}

func BenchmarkWindowPushDecide(b *testing.B) {
	w := NewWindow(10)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w.Push(float64(i%7) / 7)
		_ = Decide(w, 0.5, false)
		i++
	}
}
