package live_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/secret"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
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

// The identities of the tests: the attacker writes with the replay
// client's certificate, as any client may; the tests observe every topic
// with the scorer's. Broker authorization is another suite's
// (authz_test.go): none of these attacks depends on it.

// replayIdentity is the shared client identity (bound to every user) that
// signs the attacker's logins: the one any holder of replay's files has.
// sharedClient is the name the first factor keeps failures under for the
// logins of the tests' client: the shared replay identity (bound to any
// user) signs them, and a login's client is its signing identity.
const sharedClient = "replay/replay"

func (e *env) replayIdentity() *wire.ClientSigner {
	e.t.Helper()
	id, err := wire.NewClientSigner(e.cl.ReplayTLS.Certificates[0])
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) attackerWriter() *kafka.Writer {
	return topics.NewWriter(e.cl.Brokers, e.cl.ReplayTLS, e.cl.ReplaySASL)
}

// observer reads as the embedded broker's own principal, which may read
// every topic (no role may: the scorer may not read its own outputs under
// the ACLs, the operator no input).
func (e *env) observer() *kafka.Dialer { return topics.Dialer(e.cl.Superuser()) }

// observerKcat is the kcat arguments of an operator (it reads decisions,
// alerts and dead letters): the operator's certificate and SASL identity,
// the password in a 0600 properties file (-F), not in kcat's argv.
func (e *env) observerKcat() []string {
	crt, key := pki.CertPaths(e.cl.PKIDir, cluster.CertOperator)
	pw, err := secret.Read(cluster.PasswordPath(e.cl.Dir, cluster.UserOperator))
	if err != nil {
		e.t.Fatal(err)
	}
	props := strings.Join([]string{"security.protocol=SASL_SSL", "ssl.ca.location=" + filepath.Join(e.cl.PKIDir, "ca.crt"),
		"ssl.certificate.location=" + crt, "ssl.key.location=" + key,
		"sasl.mechanisms=" + cluster.Mechanism, "sasl.username=" + cluster.UserOperator, "sasl.password=" + pw}, "\n") + "\n"
	f := filepath.Join(e.t.TempDir(), "observer.properties")
	if err := os.WriteFile(f, []byte(props), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return []string{"-F", f}
}

// startWorkerAttackEnv is startEnv with 8 partitions per topic and the service's
// log captured.
func startWorkerAttackEnv(t *testing.T, cfg live.Config) (*env, *logBuf) {
	t.Helper()
	var logs *logBuf
	cfg.Logger, logs = capturedLog(t)
	if cfg.Retrain.Every == 0 {
		cfg.Retrain.Every = -1
	}
	return startEnvPartitions(t, cfg, attackPartitions), logs
}

// capturedLog is a service logger (level info) whose lines the test can
// read, and which are shown when the test fails.
func capturedLog(t *testing.T) (*slog.Logger, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})), logs
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
// to the partition it chooses (byKey: the one the key hashes to). It seals
// its logins to the scorer's public key and keeps the session keys, to
// sign its vectors and check its decisions.
type client struct {
	e       *env
	mu      sync.Mutex
	writers map[int]*kafka.Writer
	keys    map[string]wire.SessionKey
}

const byKey = -1

func newClient(e *env) *client {
	c := &client{e: e, writers: map[int]*kafka.Writer{}, keys: map[string]wire.SessionKey{}}
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
		w = c.e.attackerWriter()
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
		c.e.t.Errorf("write to %s/%d: %v", topic, partition, err)
	}
}

// seal returns a login for (user, session) with password, sealed to the
// scorer's key, and keeps its session key.
func (c *client) seal(user, session, password string) []byte {
	c.e.t.Helper()
	p, key, err := wire.SealLogin(c.e.cfg.Keys.Public(), wire.Login{User: user, Session: session, Password: password, Sent: time.Now()}, c.e.replayIdentity())
	if err != nil {
		c.e.t.Fatal(err)
	}
	c.mu.Lock()
	c.keys[session] = key
	c.mu.Unlock()
	return p
}

// login sends a sealed login for (user, session) with password.
func (c *client) login(user, session, password string, partition int) {
	c.write(topics.Logins, user, c.seal(user, session, password), partition)
}

func (c *client) key(session string) (wire.SessionKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[session]
	return k, ok
}

// signed is a vector of (user, session) MAC'd under key.
func (c *client) signed(user, session string, seq int64, values []float64, key wire.SessionKey) []byte {
	c.e.t.Helper()
	p, err := wire.SignVector(nil, wire.Vector{User: user, Session: session, Seq: seq, Sent: time.Now(), Values: values}, key)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return p
}

// vector sends one vector of (user, session), MAC'd under the key of the
// session's login.
func (c *client) vector(user, session string, seq int64, values []float64, partition int) {
	c.e.t.Helper()
	key, ok := c.key(session)
	if !ok {
		c.e.t.Fatalf("no login sealed for session %s", session)
	}
	c.write(topics.Features, user, c.signed(user, session, seq, values, key), partition)
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
				Dialer: e.observer(), MaxWait: 50 * time.Millisecond})
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

// await waits until done holds over the decisions of session published
// so far (or timeout passes) and returns them. For a session whose login c
// sealed, only the decisions that verify under its key count, as for any
// client (the others answer someone else's login for the same id); the
// other sessions' (the replay client's, whose keys only it holds) are read
// as an observer would, unverified.
func (c *client) await(session string, timeout time.Duration, done func([]wire.Decision) bool) []wire.Decision {
	e := c.e
	e.t.Helper()
	if e.decided == nil {
		e.decided = e.watch(topics.Decisions)
	}
	var out []wire.Decision
	e.decided.await(timeout, func(msgs []kafka.Message) bool {
		key, verify := c.key(session)
		out = out[:0]
		for _, m := range msgs {
			sd, err := wire.ParseDecision(m.Value)
			if err != nil || sd.Unverified.Session != session {
				continue
			}
			d := sd.Unverified
			if verify {
				if d, err = sd.Verify(key); err != nil {
					continue
				}
			}
			out = append(out, d)
		}
		return done(out)
	})
	return out
}

// decisions waits for want decisions of session (the login's included).
func (c *client) decisions(session string, want int, timeout time.Duration) []wire.Decision {
	c.e.t.Helper()
	return c.await(session, timeout, func(ds []wire.Decision) bool { return len(ds) >= want })
}

func logins(ds []wire.Decision) []wire.Decision {
	var out []wire.Decision
	for _, d := range ds {
		if d.Seq == wire.LoginSeq {
			out = append(out, d)
		}
	}
	return out
}

// loginAnswers waits for want answers to logins of session.
func (c *client) loginAnswers(session string, want int) []wire.Decision {
	c.e.t.Helper()
	out := logins(c.await(session, 30*time.Second, func(ds []wire.Decision) bool { return len(logins(ds)) >= want }))
	if len(out) < want {
		c.e.t.Fatalf("%d answers to logins of session %s, want %d", len(out), session, want)
	}
	return out
}

func (c *client) loginAnswer(session string) wire.Decision {
	c.e.t.Helper()
	return c.loginAnswers(session, 1)[0]
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
		if !s.LoginAccepted || s.Sent == 0 || s.Decided != s.Sent || len(stored) != s.Sent || s.Forged != 0 {
			t.Errorf("honest session %s: login accepted %v, sent %d, decided %d, stored %d decisions, %d forged decisions",
				s.ID, s.LoginAccepted, s.Sent, s.Decided, len(stored), s.Forged)
		}
	}
}

// TestAttackWrongPasswordOnExistingSession: an attacker who knows the id of
// a victim's accepted session sends a login for it with a wrong password.
// It was answered accept: true, redelivered: true (the stored answer was
// republished without checking the password). Now the password is checked
// on every login: the attacker is refused (the generic reason, MAC'd under
// the attacker's own session key), a failure is counted, the victim's
// session is left as it was, and the log says "wrong password".
func TestAttackWrongPasswordOnExistingSession(t *testing.T) {
	t.Parallel()
	e, logs := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	victim := ss[0]
	checkHonest(t, e, ss[:1])
	c := newClient(e)
	c.login(victim.LoginAs, victim.ID, "not the password", byKey)
	got := c.loginAnswer(victim.ID) // the one answer MAC'd under the attacker's key
	t.Logf("attacker's login answered accept=%v reason=%q redelivered=%v", got.Accept, got.Reason, got.Redelivered)
	if got.Accept || got.Redelivered || got.Reason != live.RefusedReason {
		t.Fatalf("a wrong password for the victim's existing session was answered %+v", got)
	}
	sess, err := e.st.Session(context.Background(), victim.LoginAs, victim.ID)
	if err != nil || !sess.Accepted || sess.Alerted != (len(e.alerts(victim.ID)) > 0) {
		t.Fatalf("the victim's session after the attack: %+v %v", sess, err)
	}
	if cred, err := e.creds.Credential(context.Background(), victim.LoginAs); err != nil || cred.Failures != 1 {
		t.Errorf("failures after one wrong password: %+v %v", cred, err)
	}
	l := logs.lines("msg=login", "user="+victim.LoginAs, "session="+victim.ID, `result="wrong password"`)
	if len(l) != 1 {
		t.Errorf("want one log line of the wrong password; got %q", l)
	} else {
		t.Logf("logged: %s", l[0])
	}
	checkHonest(t, e, ss[1:2])
}

// alerts returns the alerts of session published so far.
func (e *env) alerts(session string) []wire.Alert {
	var out []wire.Alert
	for _, m := range e.readAll(topics.Alerts) {
		if a, err := wire.ParseAlert(m.Value); err == nil && a.Session == session {
			out = append(out, a)
		}
	}
	return out
}

// readAll reads what topic holds now, every partition, up to its end
// offsets.
func (e *env) readAll(topic string) []kafka.Message {
	e.t.Helper()
	var out []kafka.Message
	for p := 0; p < e.partitions; p++ {
		conn, err := e.observer().DialLeader(context.Background(), "tcp", e.cl.Brokers[0], topic, p)
		if err != nil {
			e.t.Fatalf("dial %s/%d: %v", topic, p, err)
		}
		first, last, err := conn.ReadOffsets()
		conn.Close()
		if err != nil {
			e.t.Fatalf("offsets of %s/%d: %v", topic, p, err)
		}
		if last <= first {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.cl.Brokers, Topic: topic, Partition: p, Dialer: e.observer(), MaxWait: 50 * time.Millisecond})
		if err := r.SetOffset(first); err != nil {
			e.t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		for off := first; off < last; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				e.t.Fatalf("read %s/%d at %d: %v", topic, p, off, err)
			}
			out = append(out, m)
		}
		cancel()
		r.Close()
	}
	return out
}

// TestAttackSessionIdSquatting: an attacker who learns the id of a session
// the victim is about to open sends a login for it first, with a wrong
// password. Its refusal was stored under that id and the victim's real
// login was then answered as a redelivery of the refusal. A refused login
// now creates no session: the victim's login is accepted and every one of
// the victim's vectors decided.
func TestAttackSessionIdSquatting(t *testing.T) {
	t.Parallel()
	e, logs := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	victim := ss[0]
	c := newClient(e)
	c.login(victim.LoginAs, victim.ID, "guess", byKey)
	if d := c.loginAnswer(victim.ID); d.Accept || d.Reason != live.RefusedReason {
		t.Fatalf("the squatter's login: %+v", d)
	}
	if _, err := e.st.Session(context.Background(), victim.LoginAs, victim.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused login stored a session: %v", err)
	}
	checkHonest(t, e, []replay.Session{victim})
	t.Logf("logged: %q", logs.lines("msg=login", "session="+victim.ID))
}

// TestAttackLockoutAcrossPartitions: the backoff allows 5 failures per
// (user, client); the attacker sends 5 wrong passwords to each of the 8
// partitions of the login topic at once, then 3 more and the right
// password to the user's partition. With lockout state read, changed and
// written back per partition worker, one worker's failures overwrote
// another's and 39 of the 40 guesses were checked. Now logins on a
// partition that is not their user's are dead-lettered as misrouted and
// failures are counted atomically in the store: 5 passwords are checked,
// every later login from the attacker's client is refused unchecked while
// it backs off, the right password included. Resending the victim's
// recorded login in the middle does not reset the count either.
func TestAttackLockoutAcrossPartitions(t *testing.T) {
	t.Parallel()
	clock := newManualClock() // the backoff does not pass behind the test's back
	e, logs := startWorkerAttackEnv(t, live.Config{Now: clock.Now, Lockout: live.Lockout{MaxFailures: 5, LockFor: time.Hour}})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	victim := ss[0]
	checkHonest(t, e, ss[:1])
	var recorded []byte // the victim's sealed login, as read from the login topic
	for _, m := range e.readAll(topics.Logins) {
		if sl, err := wire.ParseLogin(m.Value); err == nil && sl.Session == victim.ID {
			recorded = m.Value
		}
	}
	if recorded == nil {
		t.Fatal("the victim's login is not on the login topic")
	}
	c := newClient(e)
	home := partitionOf(victim.LoginAs, attackPartitions)
	var wg sync.WaitGroup
	for p := 0; p < attackPartitions; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				c.login(victim.LoginAs, fmt.Sprintf("guess-p%d-%d", p, i), fmt.Sprintf("guess %d %d", p, i), p)
				if p == home && i == 2 {
					// A valid login of the victim, resent: it must not
					// reset the count of failures.
					c.write(topics.Logins, victim.LoginAs, recorded, home)
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 3; i++ {
		c.login(victim.LoginAs, fmt.Sprintf("late-%d", i), "late guess", home)
	}
	c.login(victim.LoginAs, "right", victim.Password, home)
	d := c.loginAnswer("right")
	st := e.svc.Stats()
	testutil.Eventually(t, 30*time.Second, func() bool { return live.Value(st.DeadLetters, "class", "misrouted") >= 35 },
		"waiting for the 35 misrouted guesses to be dead-lettered")
	checked, backoff, misrouted := live.Value(st.Logins, "result", "wrong password"), live.Value(st.Logins, "result", live.LoginBackoff), live.Value(st.DeadLetters, "class", "misrouted")
	t.Logf("passwords checked: %v wrong; refused backing off %v; misrouted dead letters %v; the right password afterwards: accept=%v reason %q",
		checked, backoff, misrouted, d.Accept, d.Reason)
	if checked != 5 || backoff != 4 || misrouted != 35 {
		t.Errorf("%v wrong passwords checked, %v refused backing off, %v misrouted; want 5, 4 and 35", checked, backoff, misrouted)
	}
	if d.Accept || d.Reason != live.RefusedReason {
		t.Errorf("the right password from the attacker's client during its backoff: %+v", d)
	}
	if l := logs.lines("client backing off", "user="+victim.LoginAs, "client="+sharedClient, "failures=5"); len(l) != 1 {
		t.Errorf("want one log line of the backoff at the 5th failure; got %q", l)
	}
	if l := logs.lines("dead letter", "class=misrouted", "hashes to partition"); len(l) != 35 {
		t.Errorf("%d log lines of misrouted logins, want 35", len(l))
	} else {
		t.Logf("logged: %s", l[0])
	}
	if f, err := e.creds.ClientFailures(context.Background(), victim.LoginAs, sharedClient); err != nil || f.Failures != 5 {
		t.Errorf("the attacker's client after the attack: %+v (%v)", f, err)
	}
	if cred, err := e.creds.Credential(context.Background(), victim.LoginAs); err != nil || cred.Failures != 5 {
		t.Errorf("credential after the attack: failures %d (%v)", cred.Failures, err)
	}
	// The victim's honest traffic of the session opened before goes on.
	if r := e.readAll(topics.Decisions); len(r) == 0 {
		t.Error("no decisions at all")
	}
	checkHonest(t, e, ss[2:3]) // another user
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
// window of the session: the first alert came late and each worker raised
// its own (8 alerts, every vector decided). Now a vector on a partition
// that is not its user's is dead-lettered as misrouted: the session is
// judged on one window, alerted once, at its 10th decided action (the
// models here decide by a window of 10).
func TestAttackImpostorSpreadOverPartitions(t *testing.T) {
	t.Parallel()
	e, logs := startWorkerAttackEnv(t, live.Config{})
	ss := planPolicy(t, e, synthUsers(t, 3, 3, 60), 0, legacyWindow())
	e.startService()
	victim := ss[0].LoginAs
	pw := ss[0].Password
	c := newClient(e)
	home := partitionOf(victim, attackPartitions)
	c.login(victim, "spread", pw, home)
	if d := c.loginAnswer("spread"); !d.Accept {
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
	ds := c.decisions("spread", 1+onHome, 30*time.Second)
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
	if alerts != 1 || len(e.alerts("spread")) != 1 {
		t.Errorf("%d alerts for one impostor session (%d on the alert topic), want 1", alerts, len(e.alerts("spread")))
	}
	if first != 10 {
		t.Errorf("first alert after %d decided actions; the window is 10", first)
	}
	if decided != onHome || live.Value(st.DeadLetters, "class", "misrouted") != float64(len(vs)-onHome) {
		t.Errorf("%d vectors decided and %v misrouted; want the %d on the user's partition decided and the rest misrouted",
			decided, live.Value(st.DeadLetters, "class", "misrouted"), onHome)
	}
	if l := logs.lines("dead letter", "class=misrouted", "session"); len(l) != 0 {
		t.Errorf("a dead letter's log line names the session: %q", l[0])
	}
	if l := logs.lines("dead letter", "class=misrouted", "hashes to partition "+fmt.Sprint(home)); len(l) != len(vs)-onHome {
		t.Errorf("%d log lines of misrouted vectors, want %d", len(l), len(vs)-onHome)
	} else {
		t.Logf("logged: %s", l[0])
	}
	checkHonest(t, e, ss[1:2])
}

// TestAttackAlertIsSticky: an impostor with the victim's password is
// alerted, then sends the victim's own recorded actions so that the
// window's mean climbs back over the threshold. Later windows went back to
// accept: true (48 of 54). After an alert every later vector of the
// session is answered accept: false, closed: true until a new login, whose
// session starts clean (the models here decide by a window of 10, whose
// stored statistic shows the mean back over the threshold).
func TestAttackAlertIsSticky(t *testing.T) {
	t.Parallel()
	e, _ := startWorkerAttackEnv(t, live.Config{})
	ss := planPolicy(t, e, synthUsers(t, 3, 3, 80), 0, legacyWindow())
	e.startService()
	victim := ss[0]
	c := newClient(e)
	home := partitionOf(victim.LoginAs, attackPartitions)
	c.login(victim.LoginAs, "sticky", victim.Password, home)
	if d := c.loginAnswer("sticky"); !d.Accept {
		t.Fatalf("login refused: %+v", d)
	}
	vs := impostorVectors(ss, victim.LoginAs, 30)
	for _, v := range victim.Vectors {
		vs = append(vs, v.Values)
	}
	for i, v := range vs {
		c.vector(victim.LoginAs, "sticky", int64(i), v, home)
	}
	ds := c.decisions("sticky", 1+len(vs), 60*time.Second)
	stored, err := e.st.RecentDecisions(context.Background(), victim.LoginAs, "sticky", math.MaxInt64, len(vs))
	if err != nil || len(stored) != len(vs) {
		t.Fatalf("%d stored decisions, want %d: %v", len(stored), len(vs), err)
	}
	alertAt, after, acceptedAfter, meanOver, open := -1, 0, 0, 0, 0
	sort.Slice(ds, func(i, j int) bool { return ds[i].Seq < ds[j].Seq })
	for _, d := range ds {
		if d.Seq == wire.LoginSeq {
			continue
		}
		if d.Alert && alertAt < 0 {
			alertAt = int(d.Seq)
		}
		if alertAt >= 0 && int(d.Seq) >= alertAt && !d.Closed {
			open++
		}
		if alertAt >= 0 && int(d.Seq) > alertAt {
			after++
			if d.Accept {
				acceptedAfter++
			}
			if sd := stored[d.Seq]; sd.Statistic >= sd.Threshold {
				meanOver++
			}
		}
	}
	if open > 0 {
		t.Errorf("%d decisions from the alert on do not say the session is closed", open)
	}
	t.Logf("%d vectors (30 impostor, then %d of the victim's own): alert at seq %d; of the %d decisions after it, %d had the window's mean back over the threshold, %d were accept: true",
		len(vs), len(victim.Vectors), alertAt, after, meanOver, acceptedAfter)
	if alertAt < 0 {
		t.Fatal("the impostor raised no alert")
	}
	if after != len(vs)-alertAt-1 || meanOver == 0 {
		t.Fatalf("%d decisions after the alert, %d with the mean over the threshold: the attack did not get the window back", after, meanOver)
	}
	if acceptedAfter > 0 {
		t.Errorf("%d decisions after the alert were accept: true", acceptedAfter)
	}
	if sess, err := e.st.Session(context.Background(), victim.LoginAs, "sticky"); err != nil || !sess.Alerted {
		t.Errorf("the session is not stored alerted: %+v %v", sess, err)
	}
	checkHonest(t, e, []replay.Session{victim}) // a new login of the victim is accepted and decided
}

// TestAttackRecordedVectors: an attacker without the password resends
// recorded vectors of the victim's accepted session. They were scored and
// accepted into it as new actions (25 of 25): no vector was bound to the
// login. Now every vector carries a MAC under the session key sealed in
// the login, and the scorer checks it and the seq:
//
//   - a recorded vector resent as it was is a redelivery: its stored
//     decision is republished, nothing is scored again;
//   - with a new seq, moved into another session, or with the MAC forged
//     or cut off, it is dead-lettered ("bad mac", "malformed");
//   - even with the session key (an insider), a seq not above the last
//     decided one and never decided is dead-lettered as "replay".
func TestAttackRecordedVectors(t *testing.T) {
	t.Parallel()
	e, logs := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 3, 30), 0)
	e.startService()
	victim := ss[0]
	checkHonest(t, e, ss[:1]) // the victim's session, accepted; the attacker records its vectors
	var recorded [][]byte
	for _, m := range e.readAll(topics.Features) {
		if sv, err := wire.ParseVector(m.Value); err == nil && sv.Unverified.Session == victim.ID {
			recorded = append(recorded, m.Value)
		}
	}
	n := len(victim.Vectors)
	if len(recorded) != n {
		t.Fatalf("recorded %d of the victim's %d vectors", len(recorded), n)
	}
	c := newClient(e)
	home := partitionOf(victim.LoginAs, attackPartitions)
	// The attacker's own accepted session, to move vectors into.
	c.login(victim.LoginAs, "attacker-own", victim.Password, home)
	if d := c.loginAnswer("attacker-own"); !d.Accept {
		t.Fatalf("login: %+v", d)
	}
	st := e.svc.Stats()
	decided0, redelivered0 := live.Value(st.Decisions), live.Value(st.Redelivered)
	forged := wire.NewSessionKey() // not the session's key
	sent := map[string]int{}
	for i, raw := range recorded {
		sv, err := wire.ParseVector(raw)
		if err != nil {
			t.Fatal(err)
		}
		v := sv.Unverified
		switch i % 5 {
		case 0: // as recorded
			c.write(topics.Features, victim.LoginAs, raw, home)
			sent["redelivered"]++
		case 1: // a new seq, MAC'd under a guessed key
			c.write(topics.Features, victim.LoginAs, c.signed(v.User, v.Session, int64(n+i), v.Values, forged), home)
			sent["bad mac"]++
		case 2: // moved into another session, its MAC kept
			moved := c.signed(v.User, "attacker-own", v.Seq, v.Values, forged)
			copy(moved[len(moved)-wire.MACSize:], raw[len(raw)-wire.MACSize:])
			c.write(topics.Features, victim.LoginAs, moved, home)
			sent["bad mac"]++
		case 3: // MAC cut off
			c.write(topics.Features, victim.LoginAs, raw[:len(raw)-wire.MACSize], home)
			sent["malformed"]++
		case 4: // one byte of the values changed
			b := append([]byte(nil), raw...)
			b[len(b)-wire.MACSize-1] ^= 1
			c.write(topics.Features, victim.LoginAs, b, home)
			sent["bad mac"]++
		}
	}
	// An insider with a session key sends seq 5, then seq 3 (never sent):
	// a replay; then seq 5 again: a redelivery.
	vals := victim.Vectors[0].Values
	c.vector(victim.LoginAs, "attacker-own", 5, vals, home)
	c.vector(victim.LoginAs, "attacker-own", 3, vals, home)
	c.vector(victim.LoginAs, "attacker-own", 5, vals, home)
	testutil.Eventually(t, 30*time.Second, func() bool {
		return live.Value(st.DeadLetters, "class", "bad mac") >= float64(sent["bad mac"]) &&
			live.Value(st.DeadLetters, "class", "malformed") >= float64(sent["malformed"]) &&
			live.Value(st.DeadLetters, "class", "replay") >= 1 &&
			live.Value(st.Redelivered)-redelivered0 >= float64(sent["redelivered"]+1)
	}, "waiting for the recorded vectors to be dead-lettered or republished")
	nv, nd, err := e.st.Counts(context.Background(), victim.LoginAs)
	if err != nil {
		t.Fatal(err)
	}
	scored := live.Value(st.Decisions) - decided0
	t.Logf("%d recorded vectors resent: %v scored (the insider's seq 5 only), %v republished, dead letters: bad mac %v, malformed %v, replay %v; the store holds %d vectors and %d decisions of the victim",
		n, scored, live.Value(st.Redelivered)-redelivered0, live.Value(st.DeadLetters, "class", "bad mac"),
		live.Value(st.DeadLetters, "class", "malformed"), live.Value(st.DeadLetters, "class", "replay"), nv, nd)
	if scored != 1 {
		t.Errorf("%v vectors scored; only the insider's seq 5 may be", scored)
	}
	if nv != int64(n+1) || nd != int64(n+1) {
		t.Errorf("the store holds %d vectors and %d decisions of the victim; the victim sent %d and the insider 1", nv, nd, n)
	}
	for class, want := range map[string]int{"bad mac": sent["bad mac"], "malformed": sent["malformed"], "replay": 1} {
		if got := live.Value(st.DeadLetters, "class", class); int(got) != want {
			t.Errorf("dead letters of class %q: %v, want %d", class, got, want)
		}
	}
	if l := logs.lines("dead letter", "class=replay", "not above the session's last decided seq 5"); len(l) != 1 {
		t.Errorf("log lines of the replay: %q", l)
	}
	if l := logs.lines("dead letter", `class="bad mac"`); len(l) != sent["bad mac"] {
		t.Errorf("%d log lines of bad MACs, want %d", len(l), sent["bad mac"])
	} else {
		t.Logf("logged: %s", l[0])
	}
	checkHonest(t, e, ss[1:2])
}

// TestAttackUserEnumeration: login refusals said "unknown user", "wrong
// password" or "locked", so anyone could list the accounts. Every refusal
// now gives the client the same reason, "login refused"; the log and the
// logins metric's result label keep the cause.
func TestAttackUserEnumeration(t *testing.T) {
	t.Parallel()
	clock := newManualClock()
	e, logs := startWorkerAttackEnv(t, live.Config{Now: clock.Now, Lockout: live.Lockout{MaxFailures: 1, LockFor: time.Hour}})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	c := newClient(e)
	c.login("nobody", "enum-unknown", "x", byKey)
	unknown := c.loginAnswer("enum-unknown")
	c.login(ss[0].LoginAs, "enum-wrong", "x", byKey)
	wrong := c.loginAnswer("enum-wrong")
	c.login(ss[0].LoginAs, "enum-locked", ss[0].Password, byKey)
	locked := c.loginAnswer("enum-locked")
	t.Logf("reasons: unknown user %q, wrong password %q, backing off %q", unknown.Reason, wrong.Reason, locked.Reason)
	for _, d := range []wire.Decision{unknown, wrong, locked} {
		if d.Accept || d.Reason != live.RefusedReason {
			t.Errorf("session %s answered accept=%v reason %q; every refusal must read %q", d.Session, d.Accept, d.Reason, live.RefusedReason)
		}
	}
	for session, detail := range map[string]string{"enum-unknown": `result="unknown user"`, "enum-wrong": `result="wrong password"`} {
		if l := logs.lines("msg=login", "session="+session, detail); len(l) != 1 {
			t.Errorf("the log does not say %s for session %s", detail, session)
		} else {
			t.Logf("logged: %s", l[0])
		}
	}
	// A refusal unchecked is logged once per burst, naming its scope.
	if l := logs.lines("backing off after repeated failures", "scope=client", "user="+ss[0].LoginAs); len(l) != 1 {
		t.Errorf("the log does not say the client backs off: %q", l)
	}
	st := e.svc.Stats()
	for _, r := range []string{"unknown user", "wrong password", live.LoginBackoff} {
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

// kcatConsume reads topic from its start with kcat (librdkafka), as an
// operator or an outsider with a certificate would, one message per line.
func kcatConsume(t *testing.T, e *env, topic string) []byte {
	t.Helper()
	if _, err := exec.LookPath("kcat"); err != nil {
		testutil.SkipOrFail(t, "kcat is not installed (Debian package kcat)")
	}
	args := append([]string{"-b", e.cl.Brokers[0]}, e.observerKcat()...)
	cmd := exec.Command("kcat", append(args, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	return out
}

// TestAttackPasswordsAtRest: a reader of the broker's files or of the
// dead-letter topic found every password: logins were sent in clear, and
// a malformed login was copied whole into the dead-letter topic. After a
// replay with good logins, a version 1 login holding a password in clear
// and a sealed login with bytes appended: the broker's files hold none of
// the replay's passwords, the dead letters (read with kcat) keep no byte of
// either refused login, only its size and hash, and the version 1 login's
// password is nowhere but in the login topic its sender wrote it to.
func TestAttackPasswordsAtRest(t *testing.T) {
	t.Parallel()
	e, logs := startWorkerAttackEnv(t, live.Config{})
	ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
	e.startService()
	checkHonest(t, e, ss[:2])
	c := newClient(e)
	const secret = "v1-login-password-7f3a"
	v1 := v1Login(wire.Login{User: ss[0].LoginAs, Session: "v1", Password: secret, Sent: time.Now()})
	c.write(topics.Logins, ss[0].LoginAs, v1, byKey)
	malformed := append(c.seal(ss[0].LoginAs, "m", ss[0].Password), ' ', '{', '}')
	c.write(topics.Logins, ss[0].LoginAs, malformed, byKey)
	dead := e.readTopic(topics.DeadLetter, 2)
	classes := map[string]bool{}
	for _, m := range dead {
		x, err := wire.ParseDeadLetter(m.Value)
		if err != nil {
			t.Fatalf("dead letter: %v", err)
		}
		classes[x.Class] = true
		if len(x.Value) != 0 || !x.Truncated() || x.Size == 0 {
			t.Errorf("the dead letter of a login keeps %d bytes (size %d): %q", len(x.Value), x.Size, x.Value)
		}
		t.Logf("dead letter: class %q, reason %q, size %d, sha256 %x", x.Class, x.Reason, x.Size, x.SHA256[:8])
	}
	if !classes["version"] || !classes["malformed"] {
		t.Errorf("dead letter classes %v, want version and malformed", classes)
	}
	out := kcatConsume(t, e, topics.DeadLetter)
	if bytes.Contains(out, []byte(secret)) || bytes.Contains(out, []byte(ss[0].Password)) {
		t.Errorf("kcat reads a password in the dead-letter topic:\n%s", out)
	}
	for _, pw := range []string{ss[0].Password, ss[1].Password} {
		if hits := grepDir(t, e.cl.Dir, []byte(pw)); len(hits) > 0 {
			t.Errorf("a replayed password is in clear in the state folder: %v", hits)
		}
	}
	hits := grepDir(t, e.cl.Dir, []byte(secret))
	for _, h := range hits {
		if !strings.Contains(h, topics.Logins+"-") {
			t.Errorf("the version 1 login's password is in %s", h)
		}
	}
	if l := logs.lines(secret); len(l) > 0 {
		t.Errorf("the log holds a password: %q", l)
	}
	t.Logf("the version 1 login's clear password is only where its sender wrote it: %v", hits)
	checkHonest(t, e, ss[2:3])
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
// by anyone who can write the profile store). The first made the user's
// partition retry the model load forever; the second panicked the whole
// service at its first vector, again at every restart. Now enrolment
// refuses both, and the service, finding one in the store, dead-letters
// the user's vectors with class "model invalid", logs why and goes on
// deciding everyone else's.
func TestAttackModelOutsideSchema(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		model func(t *testing.T, user string) []byte
		log   string
	}{
		{"feature 60 of 39", modelFileV1, "feature 60; the schema has 39"},
		{"40 features", func(t *testing.T, user string) []byte { return modelOfWidth(t, user, 40) }, "the model takes 40 features, the pipeline sends 39"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, logs := startWorkerAttackEnv(t, live.Config{})
			ss := plan(t, e, synthUsers(t, 2, 3, 20), 0)
			victim := ss[0]
			model := tc.model(t, victim.LoginAs)
			_, err := account.Enroll(context.Background(), e.creds, e.st, account.Enrolment{User: "new", Password: "pw", Model: model, Now: time.Now()})
			if err == nil || !strings.Contains(err.Error(), tc.log) {
				t.Errorf("enrolment of the model: %v, want an error saying %q", err, tc.log)
			}
			if err := e.st.PutModel(context.Background(), store.Model{User: victim.LoginAs, Version: 2, Data: model, Created: time.Now()}); err != nil {
				t.Fatal(err)
			}
			e.startService()
			c := newClient(e)
			c.login(victim.LoginAs, "bad-model", victim.Password, byKey)
			if d := c.loginAnswer("bad-model"); !d.Accept {
				t.Fatalf("login refused: %+v", d)
			}
			for i, v := range victim.Vectors[:5] {
				c.vector(victim.LoginAs, "bad-model", int64(i), v.Values, byKey)
			}
			st := e.svc.Stats()
			testutil.Eventually(t, 30*time.Second, func() bool { return live.Value(st.DeadLetters, "class", "model invalid") >= 5 },
				"waiting for 5 dead letters of class \"model invalid\"")
			if l := logs.lines("level=ERROR", "model invalid", "user="+victim.LoginAs, tc.log); len(l) == 0 {
				t.Errorf("no error log line names the invalid model's fault (%q)", tc.log)
			} else {
				t.Logf("logged: %s", l[0])
			}
			if got := live.Value(st.ModelLoads); got != 0 {
				t.Errorf("%v models loaded", got)
			}
			checkHonest(t, e, ss[2:3])
		})
	}
}
