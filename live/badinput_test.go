package live_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
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
		Dialer: topics.Dialer(e.cl.Superuser()), StartOffset: kafka.FirstOffset, MaxWait: topics.FetchMaxWait})
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
	t.Parallel()
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 2, 2, 30)
	ss := plan(t, e, us, 0)
	e.startService()
	// Log one session in so "no login" and "refused session" can be told apart.
	res := e.replay(ss[:1], replay.Config{})
	good := ss[0]
	c := newClient(e)
	c.login(good.LoginAs, "own", good.Password, byKey)
	if d := c.loginAnswer("own"); !d.Accept {
		t.Fatalf("login: %+v", d)
	}
	key, _ := c.key("own")
	vec := func(user, session string, seq int64, n int, key wire.SessionKey) []byte {
		return c.signed(user, session, seq, make([]float64, n), key)
	}
	inf := vec(good.LoginAs, "own", 98, 39, key)
	copy(inf[len(inf)-wire.MACSize-8*36:], []byte{0x7f, 0xf0, 0, 0, 0, 0, 0, 0}) // value 3 = +Inf
	badMAC := vec(good.LoginAs, "own", 96, 39, key)
	badMAC[len(badMAC)-1] ^= 1
	other, err := wire.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	unknownKey, _, err := wire.SealLogin(other.Public(), wire.Login{User: good.LoginAs, Session: "k", Password: good.Password, Sent: time.Now()}, e.replayIdentity())
	if err != nil {
		t.Fatal(err)
	}
	badSeal := c.seal(good.LoginAs, "t", good.Password)
	var sealed struct{ CT []byte }
	if err := json.Unmarshal(badSeal, &sealed); err != nil {
		t.Fatal(err)
	}
	ct := base64.StdEncoding.EncodeToString(sealed.CT)
	sealed.CT[3] ^= 1 // one bit of the ciphertext
	badSeal = bytes.Replace(badSeal, []byte(ct), []byte(base64.StdEncoding.EncodeToString(sealed.CT)), 1)
	huge := make([]byte, 900<<10)
	copy(huge, vec(good.LoginAs, "own", 95, 39, key))
	names := topics.Default()
	poison := []struct {
		topic, key string
		value      []byte
		class      string
		reason     string
	}{
		{names.Features, "x", []byte("\x00\xffgarbage bytes"), "malformed", "malformed"},
		{names.Features, good.LoginAs, v1Vector(wire.Vector{User: good.LoginAs, Session: "own", Seq: 99, Values: make([]float64, 39)}), "version", "version 1"},
		{names.Features, good.LoginAs, vec(good.LoginAs, "own", 97, 12, key), "length", "vector of 12 values, want 39"},
		{names.Features, good.LoginAs, inf, "malformed", "+Inf"},
		{names.Features, good.LoginAs, badMAC, "bad mac", "bad MAC: vector 96"},
		{names.Features, good.LoginAs, huge, "too large", "too large"},
		{names.Features, "mallory", vec("mallory", "s1", 0, 39, key), "unknown user", "unknown user mallory"},
		{names.Features, good.LoginAs, vec(good.LoginAs, "never-logged-in", 0, 39, key), "no login", "no login for session never-logged-in"},
		{names.Logins, "x", []byte(`{"user":"u"}`), "malformed", "malformed"},
		{names.Logins, "x", append([]byte{'M', 1, 'L'}, "{not json"...), "version", "version 1"},
		{names.Logins, good.LoginAs, unknownKey, "unknown key", "unknown scorer key"},
		// The signature covers the ciphertext: a bit of it changed is
		// caught there, before the seal is opened.
		{names.Logins, good.LoginAs, badSeal, "bad signature", "does not verify"},
	}
	for _, p := range poison {
		c.write(p.topic, p.key, p.value, byKey)
	}
	dead := e.readTopic(names.DeadLetter, len(poison))
	got := map[[32]byte]wire.DeadLetter{} // by the original's hash
	for _, m := range dead {
		if len(m.Value) > wire.MaxDeadLetterSize {
			t.Errorf("a dead letter of %d bytes", len(m.Value))
		}
		x, err := wire.ParseDeadLetter(m.Value)
		if err != nil {
			t.Fatalf("dead letter does not decode: %v", err)
		}
		got[x.SHA256] = x
		t.Logf("dead letter from %s/%d@%d: %s: %s (%d bytes, %d kept)", x.Topic, x.Partition, x.Offset, x.Class, x.Reason, x.Size, len(x.Value))
	}
	for _, p := range poison {
		x, ok := got[sha256.Sum256(p.value)]
		switch {
		case !ok:
			t.Errorf("no dead letter of the %s message of class %q (%s)", p.topic, p.class, p.reason)
		case x.Class != p.class || !strings.Contains(x.Reason, p.reason) || x.Size != len(p.value) || x.Topic != p.topic:
			t.Errorf("dead letter of class %q, reason %q, size %d of %s; want class %q, a reason saying %q, size %d of %s",
				x.Class, x.Reason, x.Size, x.Topic, p.class, p.reason, len(p.value), p.topic)
		case p.topic == names.Logins && len(x.Value) != 0:
			t.Errorf("the dead letter of a login keeps %d of its bytes", len(x.Value))
		case p.topic != names.Logins && !bytes.Equal(x.Value, p.value[:min(len(p.value), wire.MaxDeadLetterValue)]):
			t.Errorf("the dead letter of a vector does not keep its first bytes")
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
	for _, s := range res.Sessions {
		if s.Forged != 0 {
			t.Errorf("session %s: %d forged decisions", s.ID, s.Forged)
		}
	}
	e.checkExactlyOnce(ss, res)
}

// TestLoginLockout: after MaxFailures wrong passwords a client backs off
// (its logins refused unchecked, the right password included) until its
// wait has passed; an operator's unlock clears it at once; a good login
// resets the count.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	clock := newManualClock()
	e := startEnv(t, live.Config{Now: clock.Now, Lockout: live.Lockout{MaxFailures: 3, LockFor: time.Hour}, Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 2, 2, 20)
	ss := planWith(t, e, us, 0, nil) // the first factor is under test: the real argon2 parameters
	e.startService()
	s := ss[0]
	right := s.Password
	c := newClient(e)
	login := func(user, id, password string) wire.Decision {
		c.login(user, id, password, byKey)
		return c.loginAnswer(id)
	}
	if d := login("nobody", "unknown", right); d.Accept || d.Reason != live.RefusedReason {
		t.Errorf("unknown user: %+v", d)
	}
	for i := 0; i < 3; i++ {
		if d := login(s.LoginAs, "bad"+string(rune('0'+i)), "wrong"); d.Accept || d.Reason != live.RefusedReason {
			t.Fatalf("wrong password %d: %+v", i, d)
		}
	}
	if d := login(s.LoginAs, "locked", right); d.Accept || d.Reason != live.RefusedReason {
		t.Fatalf("right password during the backoff: %+v", d)
	}
	st := e.svc.Stats()
	for r, n := range map[string]float64{"unknown user": 1, "wrong password": 3, live.LoginBackoff: 1, "accepted": 0} {
		if got := live.Value(st.Logins, "result", r); got != n {
			t.Errorf("logins{result=%q} = %v, want %v", r, got, n)
		}
	}
	cred, err := e.creds.Credential(context.Background(), s.LoginAs)
	if err != nil || cred.Failures != 3 || cred.LastFailure.IsZero() {
		t.Fatalf("credential after 3 failures: %+v %v", cred, err)
	}
	if f, err := e.creds.ClientFailures(context.Background(), s.LoginAs, sharedClient); err != nil || f.Failures != 3 {
		t.Fatalf("the client's failures: %+v %v", f, err)
	}
	if strings.Contains(cred.Hash, right) {
		t.Fatal("the stored hash contains the password")
	}
	// A refused login stores no session; its vectors are dead-lettered.
	if _, err := e.st.Session(context.Background(), s.LoginAs, "locked"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session of the refused login: %v", err)
	}
	// The wait after the third failure is 1 s: then the right password is
	// checked and accepted.
	clock.Advance(time.Second)
	if d := login(s.LoginAs, "after-wait", right); !d.Accept {
		t.Fatalf("the right password once the backoff passed: %+v", d)
	}
	// Three failures again, and an operator's unlock (a minute later: the
	// user's login budget, 10 checks, refills 1 every 10 s).
	clock.Advance(time.Minute)
	for i := 0; i < 4; i++ {
		login(s.LoginAs, fmt.Sprintf("again-%d", i), "wrong")
	}
	if got := live.Value(st.Logins, "result", live.LoginBackoff); got != 2 {
		t.Errorf("logins{result=%q} = %v, want 2", live.LoginBackoff, got)
	}
	if err := e.creds.Unlock(context.Background(), s.LoginAs, sharedClient); err != nil {
		t.Fatal(err)
	}
	if d := login(s.LoginAs, "ok", right); !d.Accept {
		t.Fatalf("after unlock: %+v", d)
	}
	// Two wrong passwords, then the right one: the count starts again.
	login(s.LoginAs, "w1", "wrong")
	login(s.LoginAs, "w2", "wrong")
	if d := login(s.LoginAs, "ok2", right); !d.Accept {
		t.Fatalf("the right password after 2 failures: %+v", d)
	}
	if cred, err := e.creds.Credential(context.Background(), s.LoginAs); err != nil || cred.Failures != 0 {
		t.Fatalf("failures after a good login: %+v %v", cred, err)
	}
	res := e.replay([]replay.Session{s}, replay.Config{})
	if r := res.Sessions[0]; !r.LoginAccepted || r.Decided != len(s.Vectors) {
		t.Fatalf("replayed afterwards: accepted=%v decided %d of %d", r.LoginAccepted, r.Decided, len(s.Vectors))
	}
}

func TestRetrainSwapsModel(t *testing.T) {
	t.Parallel()
	// A low threshold (models that decide by a window of 10 against 0.01):
	// vectors of alerted sessions are (rightly) not trained on, and this
	// test wants every judged vector to count: one session may give all the
	// rows, it counts as over at once, and the regression check (TestRetrain*
	// in retrain_test.go) is off.
	logger, _ := capturedLog(t) // the retrainings' lines, shown if the test fails
	e := startEnv(t, live.Config{Retrain: live.RetrainPolicy{Every: 40, MaxShare: 1, Quiet: -1, Margin: -1, Tolerance: 1,
		Train: account.TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": 20}, Seed: 3}},
		Logger: logger})
	us := synthUsers(t, 3, 3, 60)
	ss := planPolicy(t, e, us, 0, decide.WindowPolicy(10, decide.AggMean, 0.01))
	// ss[0] and ss[1] are User1's two replayed sessions; the other users'
	// sessions come first so that retraining finds impostor vectors.
	e.startService()
	first := e.replay(append(append([]replay.Session(nil), ss[2:]...), ss[0]), replay.Config{})
	if n := first.Sessions[len(first.Sessions)-1].Sent; n < 40 {
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
	t.Parallel()
	perUser := topics.Default()
	perUser.PerUser = true
	e := startEnv(t, live.Config{Topics: perUser, Retrain: live.RetrainPolicy{Every: -1}})
	us := synthUsers(t, 3, 2, 30)
	// Routing is the subject: models that decide by the published window
	// of 10, which alerts this 30-action impostor session (the default
	// sequential rule's figures are the attack tests').
	ss := planPolicy(t, e, us, 1, legacyWindow())
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
	for _, s := range res.Sessions {
		if s.Impostor {
			t.Logf("impostor session: %d sent, %d refused, alerted after %d", s.Sent, s.Rejected, s.FirstAlert)
		}
	}
}

// TestTopicPerUserFollowsEnrolment: in the one-topic-per-user design a
// service started before any user is enrolled creates the feature topics
// of the users enrolled later, joins the group again with them, and
// decides their vectors; users whose topics an admin created are found by
// their prefix too.
func TestTopicPerUserFollowsEnrolment(t *testing.T) {
	t.Parallel()
	perUser := topics.Default()
	perUser.PerUser = true
	var e *env
	var created sync.Map
	e = startEnv(t, live.Config{Topics: perUser, Retrain: live.RetrainPolicy{Every: -1}, TopicRefresh: 100 * time.Millisecond,
		CreateUserTopics: func(ctx context.Context, users []string) error {
			var names []string
			for _, u := range users {
				names = append(names, perUser.FeaturesFor(u))
				created.Store(u, true)
			}
			return e.cl.EnsureTopics(ctx, 1, names...)
		}})
	e.startService()
	if n := len(e.svc.HealthReport().Partitions); n != e.partitions {
		t.Fatalf("before any enrolment %d partitions are assigned, want the logins' %d", n, e.partitions)
	}
	// User3's topic is made by an admin: found by its prefix. Then the
	// three users are enrolled.
	if err := e.cl.EnsureTopics(context.Background(), 1, perUser.FeaturesFor("User3")); err != nil {
		t.Fatal(err)
	}
	ss := planPolicy(t, e, synthUsers(t, 3, 2, 30), 1, legacyWindow()) // as TestTopicPerUser
	testutil.Eventually(t, 30*time.Second, func() bool {
		got := e.svc.HealthReport().Partitions
		for _, u := range []string{"User1", "User2", "User3"} {
			if !slices.Contains(got, perUser.FeaturesFor(u)+"/0") {
				return false
			}
		}
		return true
	}, "waiting for the service to consume the new users' topics")
	for u, want := range map[string]bool{"User1": true, "User2": true, "User3": false} {
		if _, ok := created.Load(u); ok != want {
			t.Errorf("the service created the topic of %s: %v, want %v", u, ok, want)
		}
	}
	res := e.replay(ss, replay.Config{Topics: perUser})
	e.checkExactlyOnce(ss, res)
	if res.ImpostorAlerts != 1 {
		t.Errorf("impostor alerts %d of 1", res.ImpostorAlerts)
	}
	for _, s := range res.Sessions {
		if s.Impostor {
			t.Logf("impostor session: %d sent, %d refused, alerted after %d", s.Sent, s.Rejected, s.FirstAlert)
		}
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
