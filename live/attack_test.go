package live_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/replay"
)

// The attack suite of issue 11. Each test plays an attacker who holds one
// valid client certificate (the replay client's) against the embedded
// service, with raw kafka-go producers that choose their partition, and
// states the attack, the refusal expected and what the service logged.
// None depends on broker authorization: every message here is one a client
// may send.

// logBuf collects the service's log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the log lines containing every one of subs.
func (l *logBuf) lines(subs ...string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		ok := line != ""
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

const attackPartitions = 8

// startAttackEnv is startEnv with 8 partitions per topic and the service's
// log captured.
func startAttackEnv(t *testing.T, cfg live.Config) (*env, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if cfg.Retrain.Every == 0 {
		cfg.Retrain.Every = -1
	}
	e := startEnvPartitions(t, cfg, attackPartitions)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	return e, logs
}

// partitionOf is the partition the pipeline's producers pick for user:
// murmur2 of the key, as topics.Balancer does.
func partitionOf(user string, n int) int {
	ps := make([]int, n)
	for i := range ps {
		ps[i] = i
	}
	return (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: []byte(user)}, ps...)
}

// client writes raw messages as any holder of the replay certificate can:
// to the partition it chooses (byKey: the one the key hashes to).
type client struct {
	e       *env
	mu      sync.Mutex
	writers map[int]*kafka.Writer
}

const byKey = -1

func newClient(e *env) *client {
	c := &client{e: e, writers: map[int]*kafka.Writer{}}
	e.t.Cleanup(func() {
		for _, w := range c.writers {
			w.Close()
		}
	})
	return c
}

func (c *client) writer(partition int) *kafka.Writer {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.writers[partition]
	if w == nil {
		w = topics.NewWriter(c.e.cl.Brokers, c.e.cl.ReplayTLS)
		if partition != byKey {
			w.Balancer = kafka.BalancerFunc(func(kafka.Message, ...int) int { return partition })
		}
		c.writers[partition] = w
	}
	return w
}

func (c *client) write(topic, key string, value []byte, partition int) {
	c.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.writer(partition).WriteMessages(ctx, kafka.Message{Topic: topic, Key: []byte(key), Value: value}); err != nil {
		c.e.t.Fatalf("write to %s/%d: %v", topic, partition, err)
	}
}

// login sends a login for (user, session) with password.
func (c *client) login(user, session, password string, partition int) {
	c.write(topics.Logins, user, wire.EncodeLogin(wire.Login{User: user, Session: session, Client: "attacker", Password: password, Sent: time.Now()}), partition)
}

// vector sends one vector of (user, session).
func (c *client) vector(user, session string, seq int64, values []float64, partition int) {
	c.write(topics.Features, user, wire.EncodeVector(wire.Vector{User: user, Session: session, Seq: seq, Sent: time.Now(), Values: values}), partition)
}

// watcher reads every partition of a topic from its start, in the
// background, for as long as the test runs.
type watcher struct {
	mu   sync.Mutex
	msgs []kafka.Message
	wake chan struct{}
}

func (e *env) watch(topic string) *watcher {
	e.t.Helper()
	w := &watcher{wake: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	e.t.Cleanup(func() { cancel(); wg.Wait() })
	for p := 0; p < e.partitions; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.cl.Brokers, Topic: topic, Partition: p,
				Dialer: topics.Dialer(e.cl.ScorerTLS), MaxWait: 50 * time.Millisecond})
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					return
				}
				w.mu.Lock()
				w.msgs = append(w.msgs, m)
				close(w.wake)
				w.wake = make(chan struct{})
				w.mu.Unlock()
			}
		}()
	}
	return w
}

// await waits until cond holds over the messages read so far, or timeout
// passes; it reports whether cond held.
func (w *watcher) await(timeout time.Duration, cond func([]kafka.Message) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		ok, wake := cond(w.msgs), w.wake
		w.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-wake:
		case <-deadline.C:
			return false
		}
	}
}

// decisions waits until want decisions of session have been published (or
// timeout passes) and returns those read.
func (e *env) decisions(session string, want int, timeout time.Duration) []wire.Decision {
	e.t.Helper()
	if e.decided == nil {
		e.decided = e.watch(topics.Decisions)
	}
	var out []wire.Decision
	e.decided.await(timeout, func(msgs []kafka.Message) bool {
		out = out[:0]
		for _, m := range msgs {
			if d, err := wire.DecodeDecision(m.Value); err == nil && d.Session == session {
				out = append(out, d)
			}
		}
		return len(out) >= want
	})
	return out
}

// loginAnswers waits for want answers to logins of session.
func (e *env) loginAnswers(session string, want int) []wire.Decision {
	e.t.Helper()
	if e.decided == nil {
		e.decided = e.watch(topics.Decisions)
	}
	var out []wire.Decision
	e.decided.await(30*time.Second, func(msgs []kafka.Message) bool {
		out = out[:0]
		for _, m := range msgs {
			if d, err := wire.DecodeDecision(m.Value); err == nil && d.Session == session && d.Seq == wire.LoginSeq {
				out = append(out, d)
			}
		}
		return len(out) >= want
	})
	if len(out) < want {
		e.t.Fatalf("%d answers to logins of session %s, want %d", len(out), session, want)
	}
	return out
}

func loginAnswer(t *testing.T, e *env, session string) wire.Decision {
	t.Helper()
	return e.loginAnswers(session, 1)[0]
}

// checkHonest replays honest sessions and checks sent = stored = decided
// for each of them.
func checkHonest(t *testing.T, e *env, ss []replay.Session) {
	t.Helper()
	res := e.replay(ss, replay.Config{})
	for _, s := range res.Sessions {
		stored, err := e.st.RecentDecisions(context.Background(), s.LoginAs, s.ID, 1<<62, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if !s.LoginAccepted || s.Sent == 0 || s.Decided != s.Sent || len(stored) != s.Sent {
			t.Errorf("honest session %s: login accepted %v, sent %d, decided %d, stored %d decisions", s.ID, s.LoginAccepted, s.Sent, s.Decided, len(stored))
		}
	}
}

// TestAttackWrongPasswordOnExistingSession: an attacker who knows the id of
// a victim's accepted session sends a login for it with a wrong password.
// It was answered accept: true, redelivered: true (the stored answer was
// republished without checking the password). It must be refused, the
// victim's session left as it was, and the service must log the refusal
// as a wrong password.
func TestAttackWrongPasswordOnExistingSession(t *testing.T) {
	e, logs := startAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	victim := ss[0]
	checkHonest(t, e, ss[:1])
	c := newClient(e)
	c.login(victim.LoginAs, victim.ID, "not the password", byKey)
	answers := e.loginAnswers(victim.ID, 2)
	got := answers[1]
	if got.Accept {
		t.Fatalf("a wrong password for the victim's existing session was answered %+v", got)
	}
	sess, err := e.st.Session(context.Background(), victim.LoginAs, victim.ID)
	if err != nil || !sess.Accepted || sess.Alerted {
		t.Fatalf("the victim's session after the attack: %+v %v", sess, err)
	}
	if l := logs.lines("login", "user="+victim.LoginAs, "wrong password"); len(l) != 1 {
		t.Errorf("want one log line of the wrong password; got %q", l)
	}
	t.Logf("attacker's login answered accept=%v reason=%q redelivered=%v", got.Accept, got.Reason, got.Redelivered)
	checkHonest(t, e, ss[1:2])
}

// TestAttackSessionIdSquatting: an attacker sends a login with a wrong
// password for the id of a session the victim is about to open. Its
// refusal was stored under that id and the victim's real login was then
// answered as a redelivery of the refusal. The victim's login must be
// accepted and the victim's vectors decided.
func TestAttackSessionIdSquatting(t *testing.T) {
	e, logs := startAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	victim := ss[0]
	c := newClient(e)
	c.login(victim.LoginAs, victim.ID, "guess", byKey)
	if d := loginAnswer(t, e, victim.ID); d.Accept {
		t.Fatalf("the squatter's login was accepted: %+v", d)
	}
	res := e.replay([]replay.Session{victim}, replay.Config{Wait: 30 * time.Second})
	r := res.Sessions[0]
	if !r.LoginAccepted || r.Decided != len(victim.Vectors) {
		t.Fatalf("victim after the squatter: login accepted %v (%q), decided %d of %d", r.LoginAccepted, r.LoginReason, r.Decided, len(victim.Vectors))
	}
	t.Logf("log: %q", logs.lines("login", "session="+victim.ID))
}

// TestAttackLockoutAcrossPartitions: the lockout allows 5 failures; the
// attacker sends 5 wrong passwords to each of the 8 partitions of the
// login topic at once, then 3 more and the right password to the right
// one. With lockout state read, changed and written back per partition
// worker, the failures of one worker overwrote the others' and many more
// than 5 guesses were checked. Now: logins on a partition that is not
// their user's are dead-lettered as misrouted and the failures are counted
// atomically in the store: at most 5 passwords are ever checked, and the
// right password afterwards is refused as locked.
func TestAttackLockoutAcrossPartitions(t *testing.T) {
	e, logs := startAttackEnv(t, live.Config{Lockout: live.Lockout{MaxFailures: 5, LockFor: time.Hour}})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	victim := ss[0]
	c := newClient(e)
	var wg sync.WaitGroup
	for p := 0; p < attackPartitions; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				c.login(victim.LoginAs, fmt.Sprintf("guess-p%d-%d", p, i), fmt.Sprintf("guess %d %d", p, i), p)
			}
		}()
	}
	wg.Wait()
	home := partitionOf(victim.LoginAs, attackPartitions)
	for i := 0; i < 3; i++ {
		c.login(victim.LoginAs, fmt.Sprintf("late-%d", i), "late guess", home)
	}
	c.login(victim.LoginAs, "right", victim.Password, home)
	d := loginAnswer(t, e, "right")
	st := e.svc.Stats()
	checked := live.Value(st.Logins, "result", "wrong password")
	t.Logf("passwords checked: %v wrong; locked %v; misrouted dead letters %v; the right password afterwards: accept=%v reason %q",
		checked, live.Value(st.Logins, "result", "locked"), live.Value(st.DeadLetters, "class", "misrouted"), d.Accept, d.Reason)
	if checked > 5 {
		t.Errorf("%v wrong passwords were checked; the lockout allows 5", checked)
	}
	if d.Accept {
		t.Errorf("the right password after the lockout was accepted")
	}
	if l := logs.lines("login", "user="+victim.LoginAs, "locked"); len(l) == 0 {
		t.Errorf("no log line says the account is locked")
	}
}

// impostorVectors returns another user's recorded vectors to replay under
// the victim's login.
func impostorVectors(ss []replay.Session, victim string, n int) [][]float64 {
	var out [][]float64
	for _, s := range ss {
		if s.User == victim {
			continue
		}
		for _, v := range s.Vectors {
			if len(out) < n {
				out = append(out, v.Values)
			}
		}
	}
	return out
}

// TestAttackImpostorSpreadOverPartitions: an impostor who has the victim's
// password logs in and sends another person's actions round robin over the
// 8 partitions of the feature topic. Each partition worker kept its own
// window of the session, so the first alert came only after 8 windows had
// filled (action 73 instead of 9) and each worker raised its own alert.
// Now a vector on a partition that is not its user's is dead-lettered as
// misrouted: the session is judged on one window and alerted once.
func TestAttackImpostorSpreadOverPartitions(t *testing.T) {
	e, logs := startAttackEnv(t, live.Config{Window: 10, Threshold: 0.5})
	ss := plan(t, e, synthUsers(t, 3, 3, 60), 0)
	e.startService()
	victim := ss[0].LoginAs
	pw := ss[0].Password
	c := newClient(e)
	home := partitionOf(victim, attackPartitions)
	c.login(victim, "spread", pw, home)
	if d := loginAnswer(t, e, "spread"); !d.Accept {
		t.Fatalf("impostor login refused: %+v", d)
	}
	vs := impostorVectors(ss, victim, 96)
	onHome := 0
	for i, v := range vs {
		p := i % attackPartitions
		if p == home {
			onHome++
		}
		c.vector(victim, "spread", int64(i), v, p)
	}
	st := e.svc.Stats()
	testutil.Eventually(t, 60*time.Second, func() bool {
		return live.Value(st.Decisions)+live.Value(st.DeadLetters) >= float64(len(vs))
	}, "waiting for every vector to be decided or dead-lettered")
	ds := e.decisions("spread", 1+len(vs), 5*time.Second)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Seq < ds[j].Seq })
	alerts, first, decided := 0, 0, 0
	for _, d := range ds {
		if d.Seq == wire.LoginSeq {
			continue
		}
		decided++
		if d.Alert {
			alerts++
			if first == 0 {
				first = decided
			}
		}
	}
	t.Logf("%d vectors sent round robin over %d partitions (%d on the user's): %d decided, %v dead-lettered as misrouted, %d alerts, the first after %d decided actions",
		len(vs), attackPartitions, onHome, decided, live.Value(st.DeadLetters, "class", "misrouted"), alerts, first)
	if alerts != 1 {
		t.Errorf("%d alerts for one impostor session, want 1", alerts)
	}
	if first == 0 || first > 10 {
		t.Errorf("first alert after %d decided actions; a window is 10", first)
	}
	if decided != onHome {
		t.Errorf("%d vectors decided; only the %d on the user's partition may be", decided, onHome)
	}
	if l := logs.lines("misrouted"); len(l) == 0 {
		t.Errorf("nothing logged about misrouted vectors")
	}
	checkHonest(t, e, ss[1:2])
}

// TestAttackAlertIsSticky: an impostor with the victim's password is
// alerted, then sends the victim's own recorded actions so that the
// window's mean climbs back over the threshold. Later windows went back to
// accept: true. After an alert every later vector of the session must be
// answered accept: false until a new login.
func TestAttackAlertIsSticky(t *testing.T) {
	e, _ := startAttackEnv(t, live.Config{Window: 10, Threshold: 0.5})
	ss := plan(t, e, synthUsers(t, 3, 3, 80), 0)
	e.startService()
	victim := ss[0]
	c := newClient(e)
	home := partitionOf(victim.LoginAs, attackPartitions)
	c.login(victim.LoginAs, "sticky", victim.Password, home)
	if d := loginAnswer(t, e, "sticky"); !d.Accept {
		t.Fatalf("login refused: %+v", d)
	}
	vs := impostorVectors(ss, victim.LoginAs, 30)
	for _, v := range victim.Vectors {
		vs = append(vs, v.Values)
	}
	for i, v := range vs {
		c.vector(victim.LoginAs, "sticky", int64(i), v, home)
	}
	ds := e.decisions("sticky", 1+len(vs), 60*time.Second)
	alertAt, acceptedAfter := -1, 0
	for _, d := range ds {
		if d.Seq == wire.LoginSeq {
			continue
		}
		if d.Alert && alertAt < 0 {
			alertAt = int(d.Seq)
		}
		if alertAt >= 0 && int(d.Seq) > alertAt && d.Accept {
			acceptedAfter++
		}
	}
	t.Logf("%d vectors (30 impostor, then %d of the victim's own): alert at seq %d, %d decisions after it accept: true", len(vs), len(victim.Vectors), alertAt, acceptedAfter)
	if alertAt < 0 {
		t.Fatal("the impostor raised no alert")
	}
	if acceptedAfter > 0 {
		t.Errorf("%d decisions after the alert were accept: true", acceptedAfter)
	}
	checkHonest(t, e, ss[1:2])
}

// TestAttackRecordedVectors: an attacker without the password resends
// recorded vectors of the victim into the victim's accepted session, as
// new actions (seqs after the victim's). They were scored and accepted: no
// vector was bound to the login. Now a vector without a valid MAC under
// the session's key is dead-lettered as "bad mac" and nothing is scored.
func TestAttackRecordedVectors(t *testing.T) {
	e, logs := startAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 3, 30), 0)
	e.startService()
	victim := ss[0]
	checkHonest(t, e, ss[:1]) // the victim's session, accepted, vectors recorded by the attacker
	c := newClient(e)
	home := partitionOf(victim.LoginAs, attackPartitions)
	n := len(victim.Vectors)
	st := e.svc.Stats()
	before := live.Value(st.Decisions)
	for i, v := range victim.Vectors {
		c.vector(victim.LoginAs, victim.ID, int64(n+i), v.Values, home)
	}
	testutil.Eventually(t, 30*time.Second, func() bool {
		return live.Value(st.Decisions)-before+live.Value(st.DeadLetters) >= float64(n)
	}, "waiting for the recorded vectors to be decided or dead-lettered")
	nv, _, err := e.st.Counts(context.Background(), victim.LoginAs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d recorded vectors resent into the victim's session: %v scored, %v dead-lettered; the store holds %d of the victim's vectors",
		n, live.Value(st.Decisions)-before, live.Value(st.DeadLetters), nv)
	if got := live.Value(st.Decisions) - before; got != 0 {
		t.Errorf("%v recorded vectors were scored into the victim's session", got)
	}
	if nv != int64(n) {
		t.Errorf("the store holds %d of the victim's vectors; the victim sent %d", nv, n)
	}
	if l := logs.lines("dead letter", "bad mac"); len(l) != n {
		t.Errorf("%d log lines of bad MACs, want %d", len(l), n)
	}
	checkHonest(t, e, ss[1:2])
}

// TestAttackUserEnumeration: login refusals said "unknown user", "wrong
// password" or "locked", so anyone could list the accounts. Every refusal
// must give the client the same reason; the log keeps the detail.
func TestAttackUserEnumeration(t *testing.T) {
	e, logs := startAttackEnv(t, live.Config{Lockout: live.Lockout{MaxFailures: 1, LockFor: time.Hour}})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	c := newClient(e)
	c.login("nobody", "enum-unknown", "x", byKey)
	unknown := loginAnswer(t, e, "enum-unknown")
	c.login(ss[0].LoginAs, "enum-wrong", "x", byKey)
	wrong := loginAnswer(t, e, "enum-wrong")
	c.login(ss[0].LoginAs, "enum-locked", ss[0].Password, byKey)
	locked := loginAnswer(t, e, "enum-locked")
	t.Logf("reasons: unknown user %q, wrong password %q, locked %q", unknown.Reason, wrong.Reason, locked.Reason)
	for _, d := range []wire.Decision{unknown, wrong, locked} {
		if d.Accept || d.Reason != unknown.Reason || d.Reason == "" {
			t.Errorf("session %s answered accept=%v reason %q; every refusal must read the same", d.Session, d.Accept, d.Reason)
		}
	}
	for session, detail := range map[string]string{"enum-unknown": "unknown user", "enum-wrong": "wrong password", "enum-locked": "locked"} {
		if l := logs.lines("session="+session, detail); len(l) == 0 {
			t.Errorf("the log does not say %q for session %s", detail, session)
		}
	}
	st := e.svc.Stats()
	for _, r := range []string{"unknown user", "wrong password", "locked"} {
		if live.Value(st.Logins, "result", r) != 1 {
			t.Errorf("logins{result=%q} = %v, want 1", r, live.Value(st.Logins, "result", r))
		}
	}
}

// grepDir reports the files under dir that contain needle.
func grepDir(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			hits = append(hits, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// TestAttackPasswordsAtRest: a reader of the broker's files or of the
// dead-letter topic found every password: logins were sent in clear, and
// a malformed login was copied whole into the dead-letter topic. After a
// replay with good logins and a malformed login that holds a password,
// neither the broker's data folder nor the dead-letter topic holds any
// password.
func TestAttackPasswordsAtRest(t *testing.T) {
	e, _ := startAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	checkHonest(t, e, ss[:2])
	c := newClient(e)
	const secret = "malformed-login-password-7f3a"
	c.write(topics.Logins, ss[0].LoginAs, append(wire.EncodeLogin(wire.Login{User: ss[0].LoginAs, Session: "m", Password: secret, Sent: time.Now()}), '}'), byKey)
	dead := e.readTopic(topics.DeadLetter, 1)
	for _, m := range dead {
		x, err := wire.DecodeDeadLetter(m.Value)
		if err != nil {
			t.Fatalf("dead letter: %v", err)
		}
		if bytes.Contains(x.Value, []byte(secret)) || bytes.Contains(m.Value, []byte(secret)) {
			t.Errorf("the dead letter of the malformed login holds its password: %q", x.Value)
		}
	}
	for _, pw := range []string{ss[0].Password, ss[1].Password, secret} {
		if hits := grepDir(t, filepath.Join(e.cl.Dir, "kafka"), []byte(pw)); len(hits) > 0 {
			t.Errorf("a password is in clear in the broker's files: %v", hits)
		}
	}
	_ = store.ErrNotFound
}

// modelFileV1 is a model file of format version 1 with a valid checksum
// whose header names 39 features and whose one tree splits on feature 60:
// the file of classify's TestLoadRefusesFeatureOutsideSchema, which anyone
// who can write a model can produce.
func modelFileV1(t *testing.T, user string) []byte {
	t.Helper()
	names := make([]string, 39)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
	}
	h, err := json.Marshal(map[string]any{"classifier": "rf", "feature_names": names, "user": user})
	if err != nil {
		t.Fatal(err)
	}
	var payload bytes.Buffer
	put := func(v any) { _ = binary.Write(&payload, binary.BigEndian, v) }
	put(uint32(61)) // the forest's width
	put(uint32(1))  // trees
	put(uint32(3))  // nodes
	for _, n := range [][5]float64{{60, 1, 2, 0.5, 0}, {-1, 0, 0, 0, 1}, {-1, 0, 0, 0, 0}} {
		put(int32(n[0]))
		put(int32(n[1]))
		put(int32(n[2]))
		put(math.Float64bits(n[3]))
		put(math.Float64bits(n[4]))
	}
	var b bytes.Buffer
	b.WriteString("MAUTHMDL")
	_ = binary.Write(&b, binary.BigEndian, uint16(1))
	_ = binary.Write(&b, binary.BigEndian, uint32(len(h)))
	b.Write(h)
	_ = binary.Write(&b, binary.BigEndian, uint32(payload.Len()))
	b.Write(payload.Bytes())
	_ = binary.Write(&b, binary.BigEndian, crc32.Checksum(b.Bytes(), crc32.MakeTable(crc32.Castagnoli)))
	return b.Bytes()
}

// modelOfWidth is a valid model of n features named f0..f(n-1) whose
// trees split on feature n-1: it loads, but scoring a 39-value vector with
// it reads past the vector when n > 39.
func modelOfWidth(t *testing.T, user string, n int) []byte {
	t.Helper()
	c, err := classify.New("rf", map[string]any{"trees": 3})
	if err != nil {
		t.Fatal(err)
	}
	var own, others [][]float64
	for i := 0; i < 20; i++ {
		a, b := make([]float64, n), make([]float64, n)
		// Only the last feature tells the classes apart, so every tree
		// splits on it.
		a[n-1], b[n-1] = 1+float64(i), -1-float64(i)
		own, others = append(own, a), append(others, b)
	}
	tr, err := classify.TrainUser(context.Background(), c, own, others, classify.VersionRand(1, user, 1), classify.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
	}
	var buf bytes.Buffer
	if err := classify.Save(&buf, &classify.SavedModel{Model: tr.Model, Header: classify.Header{Classifier: "rf", FeatureNames: names, User: user}}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAttackModelOutsideSchema: a model file whose checksum is valid but
// whose tree names feature 60 of a 39-feature model, or a valid model of
// another width, stored for a user (by `live enroll` before it checked, or
// by anyone who can write the profile store). The first made the
// partition retry the model load forever; the second panicked the whole
// service at its first vector, again at every restart. Now the user's
// vectors are dead-lettered with class "model invalid", the service logs
// why and goes on deciding everyone else's.
func TestAttackModelOutsideSchema(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func(t *testing.T, user string) []byte
		log   string
	}{
		{"feature 60 of 39", modelFileV1, "feature 60"},
		{"40 features", func(t *testing.T, user string) []byte { return modelOfWidth(t, user, 40) }, "40"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, logs := startAttackEnv(t, live.Config{})
			ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
			victim := ss[0]
			if err := e.st.PutModel(context.Background(), store.Model{User: victim.LoginAs, Version: 2, Data: tc.model(t, victim.LoginAs), Created: time.Now()}); err != nil {
				t.Fatal(err)
			}
			e.startService()
			c := newClient(e)
			c.login(victim.LoginAs, "bad-model", victim.Password, byKey)
			if d := loginAnswer(t, e, "bad-model"); !d.Accept {
				t.Fatalf("login refused: %+v", d)
			}
			for i, v := range victim.Vectors[:5] {
				c.vector(victim.LoginAs, "bad-model", int64(i), v.Values, byKey)
			}
			st := e.svc.Stats()
			testutil.Eventually(t, 30*time.Second, func() bool { return live.Value(st.DeadLetters, "class", "model invalid") >= 5 },
				"waiting for 5 dead letters of class \"model invalid\"")
			l := logs.lines("model invalid", tc.log)
			if len(l) == 0 {
				t.Errorf("no log line names the invalid model's fault (%q)", tc.log)
			} else {
				t.Logf("logged: %s", l[0])
			}
			checkHonest(t, e, ss[2:3])
		})
	}
}
