package live_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"
	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/replay"
)

// stalling hangs every vector write of one user until released, as a
// store whose node for that user's data stops answering would: no error,
// no answer.
type stalling struct {
	store.Profiles
	user    string
	release chan struct{}
	blocked atomic.Int64
}

func (s *stalling) hang(ctx context.Context, user string) error {
	if user != s.user {
		return nil
	}
	s.blocked.Add(1)
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *stalling) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	for _, v := range vs {
		if err := s.hang(ctx, v.User); err != nil {
			return nil, nil, err
		}
	}
	return s.Profiles.PutBatch(ctx, vs, ds)
}

// TestStalledPartitionDoesNotStallOthers: one user's vector writes hang,
// which stalls that user's partition. Before, the one fetch loop blocked
// once the stalled partition's queue was full, and every other partition
// stopped too (their logins got no answer). Now each partition fetches on
// its own: the other users' sessions are decided in full while the
// stalled partition still holds, /healthz names it, and after the release
// everything is decided exactly once.
func TestStalledPartitionDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}, StallAfter: 300 * time.Millisecond, HealthInterval: 50 * time.Millisecond})
	us := synthUsers(t, 6, 2, 40)
	ss := plan(t, e, us, 0)
	victim := ss[0]
	pv := partitionOf(victim.LoginAs, 4)
	var others []replay.Session
	for _, s := range ss[1:] {
		if partitionOf(s.LoginAs, 4) != pv {
			others = append(others, s)
		}
	}
	if len(others) < 2 {
		t.Fatalf("only %d users outside the victim's partition %d", len(others), pv)
	}
	// More vectors than the stalled partition's queue and fetch buffers
	// hold, so a shared fetch loop would block on it.
	long := victim.Vectors
	for len(victim.Vectors) < 1200 {
		victim.Vectors = append(victim.Vectors, long...)
	}
	st := &stalling{Profiles: e.st, user: victim.LoginAs, release: make(chan struct{})}
	released := false
	defer func() {
		if !released {
			close(st.release)
		}
	}()
	e.cfg.Profiles = st
	e.startService()

	var sent atomic.Int64
	victimDone := make(chan replay.Result, 1)
	go func() {
		res, err := replay.Run(context.Background(), replay.Config{Brokers: e.cl.Brokers, TLS: e.cl.ReplayTLS, SASL: e.cl.ReplaySASL, ScorerKey: e.cfg.Keys.Public(), Interval: -1, Wait: 5 * time.Minute,
			Progress: func(s, _ int64) { sent.Store(s) }}, []replay.Session{victim})
		if err != nil {
			t.Errorf("victim's replay: %v", err)
		}
		victimDone <- res
	}()
	testutil.EventuallyProgress(t, 30*time.Second, func() (bool, int64) {
		n := sent.Load()
		return n >= int64(len(victim.Vectors)) && st.blocked.Load() > 0, n
	}, "waiting until the victim's vectors are all sent and its partition hangs")
	t.Logf("victim %s (partition %d): %d vectors sent, its vector writes hang; replaying %d other users", victim.LoginAs, pv, sent.Load(), len(others))

	res := e.replay(others, replay.Config{})
	if res.Decided != res.Sent || res.Sent == 0 {
		t.Fatalf("other partitions: sent %d decided %d while one partition is stalled", res.Sent, res.Decided)
	}
	if _, nd, _ := e.st.Counts(context.Background(), victim.LoginAs); nd != 0 {
		t.Fatalf("the victim's partition decided %d vectors while its store hangs", nd)
	}
	t.Logf("while partition %d hangs, the other partitions decided %d of %d vectors (p99 %.0f ms)", pv, res.Decided, res.Sent, res.Latency.P99)
	checkStalledHealth(t, e, pv)

	close(st.release)
	released = true
	vres := <-victimDone
	all := replay.Result{Sent: res.Sent + vres.Sent, Decided: res.Decided + vres.Decided, Sessions: append(res.Sessions, vres.Sessions...)}
	e.checkExactlyOnce(append(others, victim), all)
	testutil.Eventually(t, time.Minute, func() bool { return e.svc.HealthReport().Status == "ok" }, "waiting for health to recover after the release")
}

// checkStalledHealth waits for the health report to name partition p of
// the features topic as stalled.
func checkStalledHealth(t *testing.T, e *env, p int) {
	t.Helper()
	var rep live.HealthReport
	testutil.Eventually(t, time.Minute, func() bool {
		rep = e.svc.HealthReport()
		for _, r := range rep.Reasons {
			if r.Check == live.CheckPartition && r.Topic == topics.Default().Features && r.Partition != nil && *r.Partition == p {
				return true
			}
		}
		return false
	}, "waiting for health to report the stalled partition")
	if rep.Status != "unhealthy" || len(rep.Reasons) != 1 {
		t.Errorf("health while one partition is stalled: %+v", rep)
	}
	r := rep.Reasons[0]
	if r.Since.IsZero() || r.Seconds < 0.3 || r.Offset == nil {
		t.Errorf("stalled partition reason: %+v", r)
	}
	t.Logf("health: %s", r)
}

// TestHugeMessageIsDeadLetteredNotStalled is the case of issue 11: a 900 KB
// message on a user's feature partition. Before, its version 1 dead letter
// (the whole value, base64) was larger than the broker takes, its publish
// was retried forever, and the partition never moved again: the user's
// later vectors got no decision and /healthz said ok. Now the dead letter
// keeps 4 KiB of the value with its size and SHA-256, and every later
// vector is decided.
func TestHugeMessageIsDeadLetteredNotStalled(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}, HealthInterval: 50 * time.Millisecond})
	us := synthUsers(t, 4, 2, 80)
	ss := plan(t, e, us, 0)
	e.startService()
	victim := ss[0].LoginAs
	huge := bytes.Repeat([]byte("not a vector; "), 900<<10/14)
	w := topics.NewWriter(e.cl.Brokers, e.cl.ReplayTLS, e.cl.ReplaySASL)
	defer w.Close()
	names := topics.Default()
	if err := w.WriteMessages(context.Background(), kafka.Message{Topic: names.Features, Key: []byte(victim), Value: huge}); err != nil {
		t.Fatalf("the broker refused the %d-byte message: %v", len(huge), err)
	}
	res := e.replay(ss, replay.Config{Wait: 2 * time.Minute})
	e.checkExactlyOnce(ss, res)
	t.Logf("after a %d-byte message on %s's partition: sent %d decided %d", len(huge), victim, res.Sent, res.Decided)
	dead := e.readTopic(names.DeadLetter, 1)
	x, err := wire.ParseDeadLetter(dead[0].Value)
	if err != nil {
		t.Fatalf("dead letter: %v", err)
	}
	if x.Size != len(huge) || !x.Truncated() || len(dead[0].Value) > wire.MaxDeadLetterSize || x.SHA256 != sha256.Sum256(huge) ||
		!bytes.Equal(x.Value, huge[:len(x.Value)]) || x.Partition != partitionOf(victim, 4) || x.Class != "too large" {
		t.Errorf("dead letter of %d bytes: topic %s/%d@%d class %q size %d kept %d truncated %v reason %q", len(dead[0].Value), x.Topic, x.Partition, x.Offset,
			x.Class, x.Size, len(x.Value), x.Truncated(), x.Reason)
	}
	t.Logf("dead letter: %d bytes on the topic for a %d-byte message (kept %d, sha256 %x...)", len(dead[0].Value), x.Size, len(x.Value), x.SHA256[:4])
	if r := e.svc.HealthReport(); r.Status != "ok" {
		t.Errorf("health after the replay: %+v", r.Reasons)
	}
}

// poisoned refuses one vector for good (as MariaDB refuses a row whose
// value does not fit its column) and works for everything else.
type poisoned struct {
	store.Profiles
	session string
	seq     int64
	refused atomic.Int64
}

var errRowRefused = &driver.MySQLError{Number: 1406, SQLState: [5]byte{'2', '2', '0', '0', '1'},
	Message: "Data too long for column 'values' at row 1"}

func (p *poisoned) PutBatch(ctx context.Context, vs []store.Vector, ds []store.Decision) ([]bool, []bool, error) {
	for _, v := range vs {
		if v.Session == p.session && v.Seq == p.seq {
			p.refused.Add(1)
			return nil, nil, errRowRefused
		}
	}
	return p.Profiles.PutBatch(ctx, vs, ds)
}

// TestPoisonVectorIsDeadLetteredAfterBoundedAttempts: a vector the store
// refuses every time while it answers everything else is dead-lettered as
// unprocessable after MaxAttempts, its partition goes on (the session's
// later vectors are decided) and nothing else is lost.
func TestPoisonVectorIsDeadLetteredAfterBoundedAttempts(t *testing.T) {
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}, MaxAttempts: 3, HealthInterval: 50 * time.Millisecond})
	us := synthUsers(t, 3, 2, 40)
	ss := plan(t, e, us, 0)
	s0 := ss[0]
	p := &poisoned{Profiles: e.st, session: s0.ID, seq: 5}
	e.cfg.Profiles = p
	e.startService()
	// The poisoned vector never gets a decision: the replay of its session
	// ends with a shortfall of one, which the store confirms below.
	res, err := replay.Run(context.Background(), replay.Config{Brokers: e.cl.Brokers, TLS: e.cl.ReplayTLS, SASL: e.cl.ReplaySASL, ScorerKey: e.cfg.Keys.Public(), Interval: -1, Wait: 5 * time.Second}, ss)
	t.Logf("replay: sent %d decided %d: %v", res.Sent, res.Decided, err)
	names := topics.Default()
	dead := e.readTopic(names.DeadLetter, 1)
	x, perr := wire.ParseDeadLetter(dead[0].Value)
	if perr != nil || x.Class != "unprocessable" || !strings.Contains(x.Reason, "Data too long") || x.Topic != names.Features {
		t.Fatalf("dead letter %+v: %v", x.WithoutValue(), perr)
	}
	sv, verr := wire.ParseVector(x.Value)
	v := sv.Unverified
	if verr != nil || v.Session != s0.ID || v.Seq != 5 {
		t.Errorf("the dead letter holds %+v (%v), want seq 5 of %s", v, verr, s0.ID)
	}
	t.Logf("dead letter after %d refusals: %s", p.refused.Load(), x.Reason)
	if n := p.refused.Load(); n < 3 || n > 10 {
		t.Errorf("the poisoned vector was attempted %d times, want about MaxAttempts (3)", n)
	}
	var want int64
	for _, s := range ss {
		want += int64(len(s.Vectors))
	}
	testutil.EventuallyProgress(t, 30*time.Second, func() (bool, int64) {
		var n int64
		for _, u := range us {
			_, nd, _ := e.st.Counts(context.Background(), u.User)
			n += nd
		}
		return n == want-1, n
	}, "waiting for every vector but the poisoned one to be decided")
	if got := live.Value(e.svc.Stats().DeadLetters); got != 1 {
		t.Errorf("%v dead letters, want 1", got)
	}
}
