package replay

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/wire"
)

func twoSessions(t *testing.T) *collector {
	t.Helper()
	c, err := newCollector([]Session{
		{User: "a", LoginAs: "a", ID: "s1", Vectors: make([]Timed, 3)},
		{User: "a", LoginAs: "b", ID: "s2", Vectors: make([]Timed, 2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.setKey("s1", key1)
	c.setKey("s2", key2)
	return c
}

var key1, key2, keyOther = wire.NewSessionKey(), wire.NewSessionKey(), wire.NewSessionKey()

// signed is d as the scorer publishes it, MAC'd under key.
func signed(t *testing.T, d wire.Decision, key wire.SessionKey) []byte {
	t.Helper()
	p, err := wire.SignDecision(d, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCollectorCountsEachVectorOnce(t *testing.T) {
	t.Parallel()
	c := twoSessions(t)
	now := time.Now()
	d := func(session string, seq int64, accept, alert, redelivered bool) wire.Decision {
		return wire.Decision{User: "a", Session: session, Seq: seq, Accept: accept, Alert: alert, Closed: alert, Redelivered: redelivered, Sent: now.Add(-time.Millisecond)}
	}
	for i, x := range []struct {
		d   wire.Decision
		key wire.SessionKey
	}{
		{d("s1", 0, true, false, false), key1}, {d("s1", 1, true, false, false), key1}, {d("s1", 1, true, false, true), key1}, // a redelivery
		{d("s2", 1, false, true, false), key2}, {d("s2", 7, true, false, false), key2}, // seq 7 was never sent
		{d("other", 0, true, false, false), keyOther}, // another client's session
	} {
		c.receive(0, int64(i+1), signed(t, x.d, x.key), now)
	}
	c.receive(0, 7, []byte("not a decision"), now) // only the position moves
	if n, dups := c.nDecided.Load(), c.dups.Load(); n != 3 || dups != 1 {
		t.Fatalf("decided %d, duplicates %d; want 3 and 1", n, dups)
	}
	if s := c.perSess["s2"]; s.Decided != 1 || s.Rejected != 1 || s.FirstAlert != 2 {
		t.Errorf("impostor session: %+v", *s)
	}
	if c.pos[0] != 7 || !c.reached(map[int]int64{0: 7}) || c.reached(map[int]int64{0: 8}) {
		t.Errorf("position %d", c.pos[0])
	}
	if c.forged.Load() != 0 {
		t.Errorf("%d forged decisions counted among genuine ones", c.forged.Load())
	}
	if _, err := newCollector([]Session{{ID: "x"}, {ID: "x"}}); err == nil {
		t.Error("a session id used twice was accepted")
	}
}

// TestCollectorIgnoresForgedDecisions: a decision for a replayed session
// that is not MAC'd under its session key (forged by anyone who can write
// to the decision topic, or tampered with) is counted as forged and
// changes nothing: not the login's answer, not a vector's verdict.
func TestCollectorIgnoresForgedDecisions(t *testing.T) {
	t.Parallel()
	c := twoSessions(t)
	now := time.Now()
	forgedLogin := wire.Decision{User: "a", Session: "s1", Seq: wire.LoginSeq, Accept: true, Sent: now}
	c.receive(0, 1, signed(t, forgedLogin, keyOther), now)
	select {
	case d := <-c.logins["s1"]:
		t.Fatalf("a forged login answer was taken: %+v", d)
	default:
	}
	c.receive(0, 2, signed(t, wire.Decision{User: "a", Session: "s1", Seq: 0, Accept: true, Sent: now}, key2), now) // another session's key
	tampered := signed(t, wire.Decision{User: "a", Session: "s1", Seq: 1, Accept: false, Sent: now}, key1)
	tampered = bytes.Replace(tampered, []byte(`"accept":false`), []byte(`"accept":true`), 1)
	c.receive(0, 3, tampered, now)
	if n, f, s := c.nDecided.Load(), c.forged.Load(), c.perSess["s1"].Forged; n != 0 || f != 3 || s != 3 {
		t.Fatalf("decided %d, forged %d (session s1: %d); want 0, 3 and 3", n, f, s)
	}
	c.receive(0, 4, signed(t, forgedLogin, key1), now)
	if d := <-c.logins["s1"]; !d.Accept {
		t.Fatalf("the genuine login answer: %+v", d)
	}
}

func TestCollectorAwaitWakesOnArrivalAndObeysTheDeadline(t *testing.T) {
	t.Parallel()
	c := twoSessions(t)
	got := make(chan error, 1)
	go func() { got <- c.await(context.Background(), func() bool { return c.nDecided.Load() >= 2 }) }()
	now := time.Now()
	c.receive(1, 1, signed(t, wire.Decision{User: "a", Session: "s1", Seq: 0, Sent: now}, key1), now)
	select {
	case err := <-got:
		t.Fatalf("await returned after 1 of 2 decisions: %v", err)
	default:
	}
	c.receive(1, 2, signed(t, wire.Decision{User: "a", Session: "s1", Seq: 2, Sent: now}, key1), now)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if err := c.await(ctx, func() bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("await past its deadline: %v", err)
	}
}

func TestMedianFirstAlertAndDescribe(t *testing.T) {
	t.Parallel()
	r := Result{GenuineSessions: 2, Sessions: []SessionResult{
		{User: "a", LoginAs: "b", ID: "i1", FirstAlert: 12, Impostor: true, LoginAccepted: true},
		{User: "b", LoginAs: "c", ID: "i2", FirstAlert: 9, Impostor: true, LoginAccepted: true},
		{User: "c", LoginAs: "a", ID: "i3", Sent: 40, Impostor: true, LoginAccepted: true},
		{User: "c", LoginAs: "d", ID: "i4", Impostor: true, LoginReason: "login refused"},
		{User: "a", LoginAs: "a", ID: "g1", FirstAlert: 30, Sent: 50},
		{User: "b", LoginAs: "b", ID: "g2", Sent: 50},
	}}
	if m, ok := r.MedianFirstAlert(); !ok || m != 12 {
		t.Errorf("median first alert %d %v, want 12 (of 9 and 12)", m, ok)
	}
	if _, ok := (Result{}).MedianFirstAlert(); ok {
		t.Error("a median without alerts")
	}
	var b bytes.Buffer
	r.DescribeImpostors(&b)
	for _, want := range []string{"impostor caught: a's session replayed as b raised an alert after 12 actions",
		"impostor NOT caught: c's session replayed as a, 40 actions", "impostor login refused: c's session replayed as d (login refused)", "genuine sessions with an alert: 1 of 2: g1 (after 30 of 50 actions)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

type counts map[string][2]int64

func (c counts) Counts(_ context.Context, user string) (int64, int64, error) {
	return c[user][0], c[user][1], nil
}

func TestRoundsRefusesMoreUsersThanPlanned(t *testing.T) {
	t.Parallel()
	_, err := Rounds(context.Background(), Config{}, counts{}, []string{"a", "b"}, nil, []int{3}, nil)
	if err == nil || !strings.Contains(err.Error(), "a round of 3 users, but 2 users were planned") {
		t.Fatalf("err %v", err)
	}
}
