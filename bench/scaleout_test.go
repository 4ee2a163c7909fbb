package bench

import (
	"fmt"
	"testing"
	"time"
)

// TestMonitorPhase: a phase counts each vector's first decision once, its
// latency from the send, and the longest time any partition went without a
// decision, including the stretch up to the phase's end.
func TestMonitorPhase(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	arr := func(ms, sentMs int, key string) arrival { return arrival{at: at(ms), sent: at(sentMs), key: key} }
	m := &monitor{per: map[int][]arrival{
		// Partition 0: steady every 100 ms.
		0: {arr(100, 90, "a/0"), arr(200, 190, "a/1"), arr(300, 290, "a/2"), arr(400, 390, "a/3"), arr(500, 490, "a/4")},
		// Partition 1: paused 2.1 s by a rebalance, then a redelivery of b/0.
		1: {arr(100, 50, "b/0"), arr(2200, 150, "b/1"), arr(2250, 2240, "b/0"), arr(2300, 2290, "b/2")},
	}}
	seen := map[string]bool{}
	decided, p50, p99, pause := m.phase(t0, at(2400), seen)
	if decided != 8 {
		t.Errorf("decided %d, want 8 (b/0 once)", decided)
	}
	if pause != 2100*time.Millisecond {
		t.Errorf("pause %v, want 2.1s (partition 1)", pause)
	}
	if p50 != 10 || p99 != 2050 {
		t.Errorf("latency p50 %v p99 %v, want 10 and 2050 ms", p50, p99)
	}
	// A later phase counts nothing seen before, and a partition idle to the
	// phase's end counts as paused to its end.
	decided, _, _, pause = m.phase(at(2400), at(5400), seen)
	if decided != 0 || pause != 3*time.Second {
		t.Errorf("idle phase: decided %d pause %v", decided, pause)
	}
	if d := m.duplicates(); d != 1 {
		t.Errorf("duplicates %d, want 1", d)
	}
	if got := fmt.Sprint(m.last().Sub(t0)); got != "2.3s" {
		t.Errorf("last arrival at %s, want 2.3s", got)
	}
}
