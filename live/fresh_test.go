package live

import (
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/wire"
)

func TestFreshSessions(t *testing.T) {
	t.Parallel()
	f := newFreshSessions()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	key := wire.NewSessionKey()
	f.put("u", "s", key, "r", t0)
	if _, ok := f.take("u", "other", t0, t0); ok {
		t.Fatal("took a session that was never put")
	}
	// A worker that started after the login was processed (a rebalance in
	// between) must read the store instead.
	if _, ok := f.take("u", "s", t0.Add(time.Millisecond), t0.Add(time.Second)); ok {
		t.Fatal("took an entry made before the worker's generation")
	}
	f.put("u", "s", key, "r", t0)
	if got, ok := f.take("u", "s", t0, t0.Add(time.Second)); !ok || got.key != key || got.route != "r" {
		t.Fatalf("take = %v, %v; want the key", got, ok)
	}
	if _, ok := f.take("u", "s", t0, t0.Add(time.Second)); ok {
		t.Fatal("an entry was taken twice")
	}
	f.put("u", "late", key, "r", t0)
	if _, ok := f.take("u", "late", t0, t0.Add(freshTTL+time.Second)); ok {
		t.Fatal("took an entry older than freshTTL")
	}
	// Expired entries are swept as new ones come in; the map stays bounded.
	for i := range 3000 {
		f.put("u", string(rune('a'+i%26))+time.Duration(i).String(), key, "r", t0)
	}
	f.put("u", "new", key, "r", t0.Add(2*freshTTL))
	for i := range 2000 {
		f.put("v", time.Duration(i).String(), key, "r", t0.Add(2*freshTTL))
	}
	if n := len(f.m); n > 2100 {
		t.Errorf("%d entries after the old ones expired, want about 2001", n)
	}
}
