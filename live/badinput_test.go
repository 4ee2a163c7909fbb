package live_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/replay"
)

// readTopic reads n messages of topic from the start (all partitions).
func (e *env) readTopic(topic string, n int) []kafka.Message {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.cl.Brokers, GroupID: "test-" + e.t.Name() + topic, Topic: topic,
		Dialer: topics.Dialer(e.cl.ScorerTLS), StartOffset: kafka.FirstOffset, MaxWait: topics.FetchMaxWait})
	defer r.Close()
	var out []kafka.Message
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			e.t.Fatalf("read %s: got %d of %d messages: %v", topic, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

func TestPoisonMessagesAreDeadLettered(t *testing.T) {
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 2, 2, 30)
	ss := plan(t, e, us, 0)
	e.startService()
	// Log one session in so "no login" and "refused session" can be told apart.
	res := e.replay(ss[:1], replay.Config{})
	good := ss[0]
	vec := func(user, session string, seq int64, n int) []byte {
		return wire.EncodeVector(wire.Vector{User: user, Session: session, Seq: seq, Sent: time.Now(), Values: make([]float64, n)})
	}
	wrongVersion := vec(good.LoginAs, good.ID, 99, 39)
	wrongVersion[1] = 2
	nan := wire.Vector{User: good.LoginAs, Session: good.ID, Seq: 98, Values: make([]float64, 39)}
	nan.Values[3] = math.Inf(1)
	nanBytes := wire.EncodeVector(wire.Vector{User: nan.User, Session: nan.Session, Seq: nan.Seq, Values: make([]float64, 39)})
	copy(nanBytes[len(nanBytes)-8*36:], []byte{0x7f, 0xf0, 0, 0, 0, 0, 0, 0}) // value 3 = +Inf
	names := topics.Default()
	poison := []struct {
		topic, key string
		value      []byte
		class      string
		reason     string
	}{
		{names.Features, "x", []byte("\x00\xffgarbage bytes"), "malformed", "no mouseauth header"},
		{names.Features, good.LoginAs, wrongVersion, "version", "version 2"},
		{names.Features, good.LoginAs, vec(good.LoginAs, good.ID, 97, 12), "length", "vector of 12 values, want 39"},
		{names.Features, good.LoginAs, nanBytes, "malformed", "value 3 is +Inf"},
		{names.Features, "mallory", vec("mallory", "s1", 0, 39), "unknown user", "unknown user mallory"},
		{names.Features, good.LoginAs, vec(good.LoginAs, "never-logged-in", 0, 39), "no login", "no login for session never-logged-in"},
		{names.Logins, "x", []byte(`{"user":"u"}`), "malformed", "no mouseauth header"},
		{names.Logins, "x", append([]byte{'M', 1, 'L'}, "{not json"...), "malformed", "login body"},
	}
	w := topics.NewWriter(e.cl.Brokers, e.cl.ReplayTLS)
	defer w.Close()
	for _, p := range poison {
		if err := w.WriteMessages(context.Background(), kafka.Message{Topic: p.topic, Key: []byte(p.key), Value: p.value}); err != nil {
			t.Fatal(err)
		}
	}
	dead := e.readTopic(names.DeadLetter, len(poison))
	got := map[string]bool{}
	for _, m := range dead {
		x, err := wire.ParseDeadLetter(m.Value)
		if err != nil {
			t.Fatalf("dead letter does not decode: %v", err)
		}
		got[x.Reason] = true
		t.Logf("dead letter from %s/%d@%d (class %s, %d bytes): %s", x.Topic, x.Partition, x.Offset, x.Class, x.Size, x.Reason)
	}
	for _, p := range poison {
		found := false
		for r := range got {
			found = found || strings.Contains(r, p.reason)
		}
		if !found {
			t.Errorf("no dead letter with reason %q", p.reason)
		}
	}
	classes := map[string]int{}
	for _, p := range poison {
		classes[p.class]++
	}
	for c, n := range classes {
		if got := live.Value(e.svc.Stats().DeadLetters, "class", c); int(got) != n {
			t.Errorf("dead letters of class %q counted %v, want %d", c, got, n)
		}
	}
	// The service goes on: the rest of the sessions are decided.
	res2 := e.replay(ss[1:], replay.Config{})
	res.Sent += res2.Sent
	res.Decided += res2.Decided
	res.Sessions = append(res.Sessions, res2.Sessions...)
	e.checkExactlyOnce(ss, res)
}

func TestLoginLockout(t *testing.T) {
	e := startEnv(t, live.Config{Lockout: live.Lockout{MaxFailures: 3, LockFor: time.Hour}, Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 2, 2, 20)
	ss := planWith(t, e, us, 0, nil) // the first factor is under test: the real argon2 parameters
	e.startService()
	s := ss[0]
	right := s.Password
	login := func(id, password string) replay.SessionResult {
		x := s
		x.ID, x.Password = id, password
		res := e.replay([]replay.Session{x}, replay.Config{})
		return res.Sessions[0]
	}
	unknown := s
	unknown.ID, unknown.LoginAs = "unknown", "nobody"
	if r := e.replay([]replay.Session{unknown}, replay.Config{}).Sessions[0]; r.LoginAccepted || r.LoginReason != "unknown user" {
		t.Errorf("unknown user: accepted=%v reason %q", r.LoginAccepted, r.LoginReason)
	}
	for i := 0; i < 3; i++ {
		if r := login("bad"+string(rune('0'+i)), "wrong"); r.LoginAccepted || r.LoginReason != "wrong password" || r.Sent != 0 {
			t.Fatalf("wrong password %d: accepted=%v reason %q sent %d", i, r.LoginAccepted, r.LoginReason, r.Sent)
		}
	}
	if r := login("locked", right); r.LoginAccepted || r.LoginReason != "locked" {
		t.Fatalf("right password during the lock: accepted=%v reason %q", r.LoginAccepted, r.LoginReason)
	}
	c, err := e.creds.Credential(context.Background(), s.LoginAs)
	if err != nil || c.Failures != 3 || c.LockedUntil.IsZero() {
		t.Fatalf("credential after lockout: %+v %v", c, err)
	}
	if strings.Contains(c.Hash, right) {
		t.Fatal("the stored hash contains the password")
	}
	// The vectors of a refused session are dead-lettered, not scored.
	sess, err := e.st.Session(context.Background(), s.LoginAs, "locked")
	if err != nil || sess.Accepted || sess.Reason != "locked" {
		t.Fatalf("session of the locked login: %+v %v", sess, err)
	}
	if err := e.creds.SetFailures(context.Background(), s.LoginAs, 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if r := login("after-unlock", right); !r.LoginAccepted || r.Decided != len(s.Vectors) {
		t.Fatalf("after unlock: accepted=%v decided %d of %d", r.LoginAccepted, r.Decided, len(s.Vectors))
	}
	if _, err := e.st.Session(context.Background(), s.LoginAs, "never"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
}

func TestRetrainSwapsModel(t *testing.T) {
	// A low threshold: vectors of alerted sessions are (rightly) not trained
	// on, and this test wants every vector to count.
	e := startEnv(t, live.Config{Threshold: 0.01, Retrain: live.RetrainPolicy{Every: 30, Train: account.TrainOptions{Params: map[string]any{"trees": 20}, Seed: 3}}})
	us := synthUsers(t, 3, 3, 60)
	ss := plan(t, e, us, 0)
	// ss[0] and ss[1] are User1's two replayed sessions; the other users'
	// sessions come first so that retraining finds impostor vectors.
	e.startService()
	first := e.replay(append(append([]replay.Session(nil), ss[2:]...), ss[0]), replay.Config{})
	if n := first.Sessions[len(first.Sessions)-1].Sent; n < 30 {
		t.Fatalf("User1's first session has %d vectors, fewer than the retraining threshold", n)
	}
	// Retraining runs in the background: wait until User1's v2 is counted
	// (the service counts a retraining after swapping it in).
	var m store.Model
	testutil.Eventually(t, 60*time.Second, func() bool {
		m, _ = e.st.LatestModel(context.Background(), "User1")
		return m.Version >= 2 && live.Value(e.svc.Stats().Retrains, "result", "ok") >= 1
	}, "waiting for User1's model v2 (the service counts a retraining after swapping it in)")
	if m.Version < 2 || m.Vectors < 30 {
		t.Fatalf("the latest model of User1 is v%d trained on %d vectors; want v2+ on 30+ (retrains ok %v, skipped %v, errors %v)", m.Version, m.Vectors,
			live.Value(e.svc.Stats().Retrains, "result", "ok"), live.Value(e.svc.Stats().Retrains, "result", "skipped"), live.Value(e.svc.Stats().Retrains, "result", "error"))
	}
	var h classifyHeader
	if err := h.read(m.Data); err != nil || h.Genuine < 30 || h.Impostor == 0 {
		t.Fatalf("retrained model header: %+v %v", h, err)
	}
	t.Logf("User1 retrained: v%d on %d stored vectors (%d genuine, %d impostor rows); retrains %v",
		m.Version, m.Vectors, h.Genuine, h.Impostor, live.Value(e.svc.Stats().Retrains, "result", "ok"))
	res := e.replay(ss[1:2], replay.Config{})
	if res.Decided != res.Sent {
		t.Fatalf("decided %d of %d after retraining", res.Decided, res.Sent)
	}
	d, err := e.st.Decision(context.Background(), "User1", ss[1].ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.ModelVersion < m.Version {
		t.Fatalf("the first decision after retraining used model v%d; v%d was swapped in before", d.ModelVersion, m.Version)
	}
}

func TestTopicPerUser(t *testing.T) {
	perUser := topics.Default()
	perUser.PerUser = true
	e := startEnv(t, live.Config{Topics: perUser, Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 3, 2, 30)
	ss := plan(t, e, us, 1)
	var names []string
	for _, u := range us {
		names = append(names, perUser.FeaturesFor(u.User))
	}
	if err := e.cl.EnsureTopics(context.Background(), 1, names...); err != nil {
		t.Fatal(err)
	}
	e.startService()
	res := e.replay(ss, replay.Config{Topics: perUser})
	e.checkExactlyOnce(ss, res)
	if res.ImpostorAlerts != 1 {
		t.Errorf("impostor alerts %d of 1", res.ImpostorAlerts)
	}
}

type classifyHeader struct{ classify.Header }

func (h *classifyHeader) read(data []byte) error {
	sm, err := classify.Load(bytes.NewReader(data))
	if err != nil {
		return err
	}
	h.Header = sm.Header
	return nil
}
