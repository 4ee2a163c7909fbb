package live

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/wire"
)

// sessionState is what a worker keeps per session between vectors.
type sessionState struct {
	// engine decides the session's vectors (decision.go); nil until the
	// first vector this worker scores for it, when the policy is known.
	engine *decide.Session
	// fresh: the session was just opened by its login (nothing stored to
	// rebuild from).
	fresh   bool
	held    int             // the window rule: scores the engine's window holds
	alerted bool            // sticky: every later vector is refused
	key     wire.SessionKey // MACs the session's vectors and decisions
	route   string          // the decision topic (its login's client identity's)
	last    int64           // the highest seq decided (or scored in this batch), -1 before the first
	seen    time.Time
	// pending counts the session's vectors scored in the running batch
	// and not yet stored: engine, held, last and alerted already include
	// them.
	pending int
}

// worker processes one partition's messages in order, for one generation
// of the consumer group. Only its goroutine touches its sessions.
type worker struct {
	s        *Service
	sessions map[[2]string]*sessionState
	born     time.Time // when its generation assigned it the partition
	swept    time.Time
	part     *partState       // health of the partition
	commit   func(next int64) // everything before next is finished
	out      []kafka.Message  // decisions, alerts and dead letters of the batch
	spans    []span           // which messages of out each processed message queued
	timed    []time.Time      // start times of the batch's scored vectors
	pend     []pending        // scored vectors waiting for the batch's PutBatch
	vs       []store.Vector   // PutBatch's arguments (reused)
	ds       []store.Decision
}

// pending is a vector scored in memory whose vector and decision rows wait
// for the batch's PutBatch, and whose decision is published after it.
type pending struct {
	idx    int // in the batch
	m      kafka.Message
	v      wire.Vector
	k      [2]string
	st     *sessionState
	vec    store.Vector
	dec    store.Decision
	policy string // the policy that decided it, set when it raises the alert (for the alert)
	closed bool   // the session's alert was raised by it or before it
	start  time.Time
}

// span is the part out[from:to] of a batch's output that message m queued.
type span struct {
	m        kafka.Message
	from, to int
}

func newWorker(s *Service, part *partState, commit func(next int64)) *worker {
	now := s.cfg.Now()
	return &worker{s: s, sessions: map[[2]string]*sessionState{}, born: now, swept: now, part: part, commit: commit}
}

// sessionIdle is how long a session's state stays in memory unused; it is
// rebuilt from the store if the session comes back.
const sessionIdle = 30 * time.Minute

func (w *worker) sweep(now time.Time) {
	if now.Sub(w.swept) < time.Minute {
		return
	}
	w.swept = now
	for k, st := range w.sessions {
		if now.Sub(st.seen) > sessionIdle {
			delete(w.sessions, k)
		}
	}
}

func (w *worker) hook(stage string) {
	if w.s.cfg.Hooks != nil {
		w.s.cfg.Hooks(stage)
	}
}

// maxBatch bounds the messages processed between two publishes.
const maxBatch = 256

// run processes the partition's queued messages until the queue is closed
// and empty, in batches of what arrived while the previous batch was being
// processed.
func (w *worker) run(ctx context.Context, queue <-chan kafka.Message) {
	batch := make([]kafka.Message, 0, maxBatch)
	for m := range queue {
		batch = append(batch[:0], m)
	fill:
		for len(batch) < maxBatch {
			select {
			case m, ok := <-queue:
				if !ok {
					break fill
				}
				batch = append(batch, m)
			default:
				break fill
			}
		}
		if len(batch) == maxBatch {
			w.s.retrainer.noteBacklog() // falling behind: retraining waits
		}
		w.handleBatch(ctx, batch)
	}
}

// handleBatch processes a partition's messages in order with one store
// write and one produce request for the whole batch (group commit), and
// then hands the offsets to the committer:
//
//  1. each message is checked and its vector scored in memory, in order,
//     the session's decision state advancing with each (process, vector); a
//     message that needs the store to hold what is scored before it (a
//     seq at or below its session's last one, a login) first flushes;
//  2. the scored vectors and their decisions are written in one
//     Profiles.PutBatch (flush), retried whole after an error;
//  3. per vector, the decision the store took is queued for publishing:
//     ours when inserted, else the stored one marked redelivered (finish);
//  4. the batch's decisions, alerts and dead letters are published in one
//     produce request, and only once the broker acknowledged them are the
//     offsets handed to the committer.
//
// The batch is whatever arrived while the previous one was processed: one
// transaction and one produce per batch instead of per message keeps
// latency low under load. An error happens only when ctx ends (a drain or
// a rebalance that timed out): the messages from the first unfinished one
// on are not committed and are processed again by the partition's next
// owner, and the idempotent store recognises what was written.
func (w *worker) handleBatch(ctx context.Context, batch []kafka.Message) {
	s := w.s
	if ctx.Err() != nil {
		return
	}
	now := s.cfg.Now()
	w.part.begin(now, batch[0].Offset)
	defer w.part.end()
	w.sweep(now)
	w.out, w.timed, w.spans, w.pend = w.out[:0], w.timed[:0], w.spans[:0], w.pend[:0]
	done := len(batch) // the first message not finished
	for i, m := range batch {
		if !w.process(ctx, i, m, time.Now()) {
			done = i
			break
		}
	}
	if done == len(batch) {
		_ = w.flush(ctx) // fails only when ctx ended; w.pend keeps what is unfinished
	}
	if len(w.pend) > 0 {
		done = min(done, w.pend[0].idx)
	}
	if err := w.publishBatch(ctx); err != nil {
		s.cfg.Logger.Error("publish; the batch will be processed again", "topic", batch[0].Topic, "partition", batch[0].Partition, "err", err)
		return
	}
	for _, t := range w.timed {
		s.cfg.Stats.Latency.Observe(time.Since(t).Seconds())
	}
	if done == 0 {
		return
	}
	w.hook("processed")
	w.commit(batch[done-1].Offset + 1)
}

// publishBatch publishes the batch's output. When the broker refuses some
// of it for good (a message over its size limit), it publishes message by
// message and replaces the refused output of a message by a dead letter of
// that message (which always fits), so one message never blocks its
// partition.
func (w *worker) publishBatch(ctx context.Context) error {
	s := w.s
	if len(w.out) == 0 {
		return nil
	}
	err := s.publish(ctx, w.out...)
	if err == nil || !refusedForGood(err) {
		return err
	}
	s.cfg.Logger.Warn("the broker refused part of a batch's output; publishing message by message", "err", err)
	for _, sp := range w.spans {
		if sp.from == sp.to {
			continue
		}
		err := s.publish(ctx, w.out[sp.from:sp.to]...)
		if err != nil && refusedForGood(err) {
			dl := w.deadLetterMessage(sp.m, "the broker refused its output: "+err.Error(), "refused output")
			// A dead letter is at most wire.MaxDeadLetterSize: if even that
			// is refused, the broker's limit is misconfigured; stall (health
			// reports it) rather than commit past an unrecorded message.
			err = retry.Do(ctx, publishPolicy, func() error { return s.writer.WriteMessages(ctx, dl) },
				retry.OnRetry(func(_ int, err error, _ time.Duration) {
					s.noteRetry(ctx, "publish dead letter", err)
					s.cfg.Logger.Error("publishing a dead letter failed; retrying", "err", err)
				}))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// errFlushFirst says that a message can be processed only once the store
// holds the vectors scored before it in the batch: a vector whose seq is
// at or below its session's last one (its decision may be one of them, or
// it is a replay) and a login (which keeps its place among the vectors of
// its partition).
var errFlushFirst = errors.New("the batch's scored vectors must be stored first")

// process handles m, the idx-th message of the batch, retrying until it
// succeeds: going on to the next message would commit past m and lose it.
// A vector is only scored here (it joins w.pend); flush stores it. Processing
// is idempotent, so a retry after a half-done attempt is safe. Attempts are
// counted only while the store answers its probe and the disk is not full:
// after MaxAttempts failures of m's own processing (a panic, an error the
// store keeps giving for this message only) m is dead-lettered as
// unprocessable, and the dead letter is published before m's offset is
// committed. An outage (store or broker down, disk full) is waited for
// without limit. Only the end of ctx stops it, and then m is processed
// again later.
func (w *worker) process(ctx context.Context, idx int, m kafka.Message, start time.Time) bool {
	s := w.s
	attempts := 0
	mark := len(w.out)
	var unprocessable *unprocessableError
	err := retry.Do(ctx, storePolicy, func() error {
		mark = len(w.out)
		err := w.attempt(ctx, idx, m, start)
		if errors.Is(err, errFlushFirst) {
			// Not an attempt of m: nothing of m was done yet.
			if err = w.flush(ctx); err == nil {
				mark = len(w.out)
				err = w.attempt(ctx, idx, m, start)
			}
		}
		if err == nil {
			return nil
		}
		w.out = w.out[:mark] // drop what the failed attempt queued
		if ctx.Err() != nil || errors.As(err, &unprocessable) {
			return err
		}
		if diskFull(err) || s.storeUp(ctx) != nil {
			return err // an outage: not the message's fault
		}
		if attempts++; attempts >= s.cfg.MaxAttempts {
			return &unprocessableError{what: "processing", attempts: attempts, err: err}
		}
		return err
	}, retry.Permanent(func(err error) bool { return errors.As(err, &unprocessable) }),
		retry.OnRetry(func(attempt int, err error, wait time.Duration) {
			s.noteRetry(ctx, "message", err)
			s.cfg.Logger.Warn("message failed; retrying", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err, "attempt", attempt, "wait", wait)
		}))
	switch {
	case err == nil:
	case ctx.Err() == nil && errors.As(err, &unprocessable):
		w.deadLetter(m, err.Error(), "unprocessable")
	default:
		s.cfg.Logger.Error("message not processed; it will be processed again after a restart or rebalance", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
		return false
	}
	if len(w.out) > mark {
		w.spans = append(w.spans, span{m: m, from: mark, to: len(w.out)})
	}
	return true
}

// attempt processes m once; a panic is turned into an error of m.
func (w *worker) attempt(ctx context.Context, idx int, m kafka.Message, start time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.s.cfg.Logger.Error("panic while processing a message", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	if m.Topic == w.s.cfg.Topics.Logins {
		if len(w.pend) > 0 {
			return errFlushFirst
		}
		return w.login(ctx, m)
	}
	return w.vector(ctx, idx, m, start)
}

func (w *worker) emit(msgs ...kafka.Message) { w.out = append(w.out, msgs...) }

// emitDecision queues d, MAC'd under the session's key, for the session's
// decision topic route ("": the shared one). A decision that does not
// encode (which the checks before make impossible) is logged, not retried.
func (w *worker) emitDecision(d wire.Decision, key wire.SessionKey, route string) {
	p, err := wire.SignDecision(d, key)
	if err != nil {
		w.s.cfg.Logger.Error("decision not published: it does not encode", "user", d.User, "session", d.Session, "seq", d.Seq, "err", err)
		return
	}
	if route == "" {
		route = w.s.cfg.Topics.Decisions
	}
	w.emit(kafka.Message{Topic: route, Key: []byte(d.User), Value: p})
}

func (w *worker) emitAlert(a wire.Alert) {
	p, err := wire.MarshalAlert(a)
	if err != nil {
		w.s.cfg.Logger.Error("alert not published: it does not encode", "user", a.User, "session", a.Session, "seq", a.Seq, "err", err)
		return
	}
	w.emit(kafka.Message{Topic: w.s.cfg.Topics.Alerts, Key: []byte(a.User), Value: p})
}

// deadLetter queues m for the dead-letter topic with its reason and class
// (the dead-letter metric's label). A dead letter keeps at most
// wire.MaxDeadLetterValue bytes of m, and none of a login: a login may
// hold a password (sealed, or in clear in version 1).
func (w *worker) deadLetter(m kafka.Message, reason, class string) {
	w.emit(w.deadLetterMessage(m, reason, class))
}

// deadLetterMessage is m wrapped as a version 2 dead letter, which never
// exceeds wire.MaxDeadLetterSize: it keeps the first bytes of m's value
// with its size and SHA-256.
func (w *worker) deadLetterMessage(m kafka.Message, reason, class string) kafka.Message {
	s := w.s
	s.cfg.Stats.DeadLetters.WithLabelValues(class).Inc()
	s.cfg.Logger.Warn("dead letter", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "class", class, "reason", reason, "size", len(m.Value))
	x := wire.DeadLetter{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Class: class,
		Reason: reason, Value: m.Value, At: s.cfg.Now().UTC()}
	if m.Topic == s.cfg.Topics.Logins {
		x = x.WithoutValue()
	}
	return kafka.Message{Topic: s.cfg.Topics.DeadLetter, Key: m.Key[:min(len(m.Key), wire.MaxDeadLetterKey)], Value: wire.MarshalDeadLetter(x)}
}

// login applies the first factor to a sealed login and opens its session:
//
//  1. decode (version 1 and anything else malformed: dead letter, no
//     bytes kept), check the partition (misrouted: dead letter), verify
//     the client identity (version 2, unsigned: dead letter; a certificate
//     that is no client identity of the CA, or a bad signature: dead
//     letter), check that its decision topic exists (dead letter), open
//     the seal with the scorer keys (unknown key, bad seal: dead letter;
//     there is no session key to answer with);
//  2. refuse a user the identity is not bound to, without checking the
//     password (identity.go); otherwise check the password, every time, a
//     redelivery included, unless the client backs off after repeated
//     failures or a login budget is spent (refused unchecked, auth.go and
//     budget.go); failures are counted per user and per (user, client)
//     atomically in the store;
//  3. create the session, first write wins, with the session key sealed
//     under the state key; a session that exists is a redelivery only if
//     its key is this login's (compared in constant time) and it raised no
//     alert, and is otherwise refused without being touched; a new session
//     records the success (the user's and the client's counts reset);
//  4. answer with a decision MAC'd under the login's session key, on the
//     identity's decision topic, whose reason is RefusedReason for every
//     refusal; the cause is logged and counted (logins{result}).
//
// A refused login creates no session, so it can never take the id of a
// session its user opens later.
func (w *worker) login(ctx context.Context, m kafka.Message) error {
	s := w.s
	// Decoding and opening the seal take a login slot (budget.go): a
	// flood's logins never take every core from the vectors.
	release, err := s.first.pool.lane(ctx)
	if err != nil {
		return err
	}
	release = sync.OnceFunc(release)
	defer release()
	sl, err := wire.ParseLogin(m.Value)
	if err != nil {
		w.deadLetter(m, err.Error(), wire.ErrorClass(err))
		return nil
	}
	reason, err := s.router().misrouted(ctx, m, sl.User, s.cfg.Topics.Logins)
	if err != nil {
		return err
	}
	if reason != "" {
		w.deadLetter(m, reason, "misrouted")
		return nil
	}
	now := s.cfg.Now()
	id, class, err := s.verifyIdentity(sl, now)
	if err != nil {
		w.deadLetter(m, err.Error(), class)
		return nil
	}
	route := s.routeOf(id)
	if _, err := s.router().partitions(ctx, route, false); errors.Is(err, errNoTopic) {
		w.deadLetter(m, fmt.Sprintf("%v: client identity %s has no decision topic %s (the admin creates it when registering the client)", errNoRoute, id.Name, route), "no route")
		return nil
	} else if err != nil {
		return err
	}
	l, err := wire.OpenLogin(sl, s.cfg.Keys.Scorer...)
	release()
	if err != nil {
		w.deadLetter(m, err.Error(), wire.ErrorClass(err))
		return nil
	}
	client := clientOf(id, l)
	result := LoginNotBound
	var st standing
	if id.Binding.Allows(l.User) {
		if result, st, err = w.checkFirstFactor(ctx, l, client, now); err != nil {
			return err
		}
	}
	redelivered := false
	if result == LoginAccepted {
		if result, redelivered, err = w.openSession(ctx, l, now, route); err != nil {
			return err
		}
		if result == LoginAccepted && !redelivered {
			if err := w.recordSuccess(ctx, l, client, st, now); err != nil {
				return err
			}
		}
	}
	accept := result == LoginAccepted
	if accept {
		// The session's vectors follow: load the model meanwhile, and hand
		// the new session to the vector workers.
		s.models.want(l.User)
		if !redelivered {
			s.fresh.put(l.User, l.Session, l.Key, route, now)
		}
	}
	log := s.cfg.Logger.Info
	if !accept {
		log = s.cfg.Logger.Warn
	}
	// l holds the password: log only who, where and the outcome. A
	// refusal before the check is logged once per burst (firstFactor).
	if result != LoginBackoff && result != LoginOverBudget {
		log("login", "user", l.User, "session", l.Session, "client", l.Client, "kid", sl.KeyID, "result", result, "redelivered", redelivered)
	}
	if redelivered {
		s.cfg.Stats.Redelivered.Inc()
	} else {
		s.cfg.Stats.Logins.WithLabelValues(result).Inc()
	}
	d := wire.Decision{User: l.User, Session: l.Session, Seq: wire.LoginSeq, Accept: accept, Closed: result == LoginAlerted, Sent: l.Sent,
		Redelivered: redelivered}
	if !accept {
		d.Reason = RefusedReason
	}
	w.emitDecision(d, l.Key, route)
	return nil
}

// openSession stores the session of a login whose password is right, or
// recognises the login as a redelivery of the one that created it (whose
// caller then records no success: resending a recorded login must not
// reset the count of an attacker's guesses).
func (w *worker) openSession(ctx context.Context, l wire.Login, now time.Time, route string) (result string, redelivered bool, err error) {
	s := w.s
	sess := store.Session{ID: l.Session, User: l.User, Client: l.Client, Accepted: true, Started: now,
		Key: s.sealer.seal(l.User, l.Session, l.Key, route)}
	var created bool
	var stored store.Session
	err = s.retry(ctx, "create session", func() (err error) {
		created, stored, err = s.cfg.Profiles.CreateSession(ctx, sess)
		return err
	})
	if err != nil {
		return "", false, err
	}
	// A retry after a lost answer finds this very write: the sealed key
	// holds a fresh nonce, so equal bytes are ours, not a redelivery.
	if created || bytes.Equal(stored.Key, sess.Key) {
		return LoginAccepted, false, nil
	}
	key, storedRoute, err := s.sealer.open(l.User, l.Session, stored.Key)
	if err == nil && storedRoute != route {
		// The session was opened by another client identity: the same
		// key can only come from a copy of that identity's login.
		return LoginOtherKey, false, nil
	}
	if err != nil {
		if len(stored.Key) > 0 {
			s.cfg.Logger.Error("the stored key of a session does not open (another state key?)", "user", l.User, "session", l.Session, "err", err)
		}
		return LoginNoKey, false, nil
	}
	if subtle.ConstantTimeCompare(key[:], l.Key[:]) != 1 || !stored.Accepted {
		return LoginOtherKey, false, nil
	}
	if stored.Alerted {
		return LoginAlerted, true, nil
	}
	return LoginAccepted, true, nil
}

// vector scores one action of the batch:
//
//  1. decode (malformed, too large, version: dead letter), check the
//     partition (misrouted) and the length;
//  2. find the session's state: in memory, else from the store (the login
//     must have opened the session; its key is unsealed with the state
//     key);
//  3. verify the MAC under the session key (bad mac: dead letter, nothing
//     of the session changes);
//  4. check the seq: above the last decided one, go on; at or below it, a
//     redelivery if a decision is stored for exactly that seq (republished,
//     nothing counted), else a replay (dead letter);
//  5. load the model; the session's decide.Session under the model's
//     policy, rebuilt from the store when this worker does not hold it or
//     the policy changed (decision.go);
//  6. score, check and step (after an alert every vector is refused),
//     advancing the session's state in memory, and queue the vector and
//     its decision for the batch's PutBatch (flush), after which the
//     decision is answered MAC'd under the session key (finish).
func (w *worker) vector(ctx context.Context, idx int, m kafka.Message, start time.Time) error {
	s := w.s
	sv, err := wire.ParseVector(m.Value)
	if err != nil {
		w.deadLetter(m, err.Error(), wire.ErrorClass(err))
		return nil
	}
	u := sv.Unverified
	reason, err := s.router().misrouted(ctx, m, u.User, s.cfg.Topics.FeaturesFor(u.User))
	if err != nil {
		return err
	}
	if reason != "" {
		w.deadLetter(m, reason, "misrouted")
		return nil
	}
	if len(u.Values) != s.cfg.NumFeatures {
		w.deadLetter(m, fmt.Sprintf("vector of %d values, want %d", len(u.Values), s.cfg.NumFeatures), "length")
		return nil
	}
	k := [2]string{u.User, u.Session}
	st := w.sessions[k]
	if st == nil {
		// A session this instance's login just created: nothing to read.
		if f, ok := s.fresh.take(u.User, u.Session, w.born, s.cfg.Now()); ok {
			st = &sessionState{fresh: true, key: f.key, route: f.route, last: -1}
			w.sessions[k] = st
		}
	}
	if st == nil {
		var class string
		st, reason, class, err = w.loadSession(ctx, u.User, u.Session)
		if err != nil {
			return err
		}
		if reason != "" {
			w.deadLetter(m, reason, class)
			return nil
		}
		w.sessions[k] = st
	}
	v, err := sv.Verify(st.key)
	if err != nil {
		w.deadLetter(m, err.Error(), wire.ErrorClass(err))
		return nil
	}
	st.seen = s.cfg.Now()
	if v.Seq <= st.last {
		if st.pending > 0 {
			return errFlushFirst // its decision may be one this batch has not stored yet
		}
		// Already decided: a redelivery. Republish the stored decision.
		found, err := w.republish(ctx, v, st)
		if err != nil || found {
			return err
		}
		w.deadLetter(m, fmt.Sprintf("replay: vector %d of session %q of user %q is not above the session's last decided seq %d, and no decision is stored for it",
			v.Seq, v.Session, v.User, st.last), "replay")
		return nil
	}
	var mdl *loaded
	err = s.retryUntil(ctx, "model", func() (err error) { mdl, err = s.models.get(ctx, v.User); return err }, func(err error) bool {
		var bad *ModelError
		return errors.Is(err, store.ErrNotFound) || errors.As(err, &bad)
	})
	var bad *ModelError
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.deadLetter(m, "no model for user "+v.User, "no model")
		return nil
	case errors.As(err, &bad):
		s.cfg.Logger.Error("model invalid: the user's vectors are dead-lettered until a valid model is stored", "user", v.User, "version", bad.Version, "err", bad.Err)
		w.deadLetter(m, "model invalid: "+bad.Error(), "model invalid")
		return nil
	case err != nil:
		return err
	}
	p := mdl.policy
	if st.engine == nil || st.engine.Policy() != p {
		if st.pending > 0 {
			return errFlushFirst // the rebuild reads the session's stored decisions
		}
		var pr prior
		if !st.fresh || st.engine != nil {
			if pr, err = w.storedPrior(ctx, v.User, v.Session, p, st.alerted); err != nil {
				return err
			}
		}
		if st.engine != nil {
			s.cfg.Logger.Info("decision policy changed mid-session: continuing from the stored decisions", "user", v.User,
				"session", v.Session, "from", st.engine.Policy().String(), "to", p.String(), "model_version", mdl.version)
		}
		engine, held, err := pr.resume(p)
		if err != nil {
			return err // p is valid (ParsePolicy), a stored statistic finite: a store that returns garbage
		}
		st.engine, st.held, st.fresh = engine, held, false
	}
	// Both the guard and the score, always, in this order: the work per
	// vector does not depend on the verdict.
	check := account.Check(mdl.saved, v.Values)
	score := mdl.model.Score(v.Values)
	now := s.cfg.Now()
	// Nothing fails from here on. The session's state advances now, before
	// the rows are stored: the batch's next vector of the session is
	// decided on it. A batch that is not stored as scored drops the
	// session's state, which is then rebuilt from the store.
	verdict := st.engine.Step(decide.Input{Score: score, Flags: account.Flags(check), Values: v.Values})
	window := 0 // the scores the window rule holds; the sequential rule stores 0
	if p.Rule == decide.Window {
		st.held = min(st.held+1, p.N)
		window = st.held
	}
	policy := ""
	if verdict.Alert {
		policy = p.String() // for the alert only: formatting it costs 0.8 µs and 16 allocations
	}
	w.pend = append(w.pend, pending{idx: idx, m: m, v: v, k: k, st: st, start: start, policy: policy, closed: verdict.Alerted,
		vec: store.Vector{User: v.User, Session: v.Session, Seq: v.Seq, At: now, Values: v.Values},
		dec: store.Decision{User: v.User, Session: v.Session, Seq: v.Seq, Score: score, Statistic: verdict.Statistic, Window: window,
			Threshold: actionThreshold(p), Accept: verdict.Accept, Alert: verdict.Alert, Judged: verdict.Judged, Flags: int(verdict.Flags),
			ModelVersion: mdl.version, At: now}})
	st.last, st.pending = v.Seq, st.pending+1
	st.alerted = verdict.Alerted
	return nil
}

// batchAttempts bounds the failed writes of a batch of more than one
// vector while the store answers its probe, before the batch is split to
// find the message at fault (a single vector gets MaxAttempts).
const batchAttempts = 2

// flush writes the scored vectors of the batch (w.pend) and their
// decisions in one PutBatch, retried whole after an error (an outage is
// waited for), then queues their output (finish). A batch that keeps
// failing while the store answers is split (split). flush fails only when
// ctx ends; w.pend then holds the entries not finished.
func (w *worker) flush(ctx context.Context) error {
	if len(w.pend) == 0 {
		return nil
	}
	s := w.s
	w.vs, w.ds = w.vs[:0], w.ds[:0]
	for i := range w.pend {
		w.vs, w.ds = append(w.vs, w.pend[i].vec), append(w.ds, w.pend[i].dec)
	}
	limit := s.cfg.MaxAttempts
	if len(w.pend) > 1 {
		limit = min(limit, batchAttempts)
	}
	var iv, id []bool
	err := s.retryAttempts(ctx, "put batch", limit, func() error {
		var err error
		iv, id, err = w.putBatch(ctx)
		return err
	}, func(error) bool { return false })
	var unprocessable *unprocessableError
	switch {
	case err == nil:
	case ctx.Err() == nil && errors.As(err, &unprocessable):
		return w.split(ctx, err)
	default:
		return err
	}
	w.hook("batch stored")
	for i := range w.pend {
		w.pend[i].st.pending = 0
	}
	for j := range w.pend {
		if err := w.finish(ctx, &w.pend[j], iv[j], id[j]); err != nil {
			w.pend = append(w.pend[:0], w.pend[j:]...)
			return err
		}
	}
	w.pend = w.pend[:0]
	return nil
}

// putBatch calls PutBatch with w.vs and w.ds; a panic of the store's
// driver is an error of the batch, not of the process.
func (w *worker) putBatch(ctx context.Context) (iv, id []bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			w.s.cfg.Logger.Error("panic while storing a batch", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	iv, id, err = w.s.cfg.Profiles.PutBatch(ctx, w.vs, w.ds)
	if err == nil && (len(iv) != len(w.vs) || len(id) != len(w.ds)) {
		err = fmt.Errorf("put batch: the store answered for %d vectors and %d decisions of %d", len(iv), len(id), len(w.vs))
	}
	return iv, id, err
}

// split handles a batch whose PutBatch failed batchAttempts times while
// the store answered its probe: one of its messages is at fault (a row the
// store refuses, a driver that panics on it). Its sessions' states, which
// hold the batch's unstored scores, are dropped, and its messages are
// processed and stored again one at a time, in order: the one at fault
// then fails alone, MaxAttempts times, and is dead-lettered as
// unprocessable, while every other one is stored and answered. A single
// vector that failed MaxAttempts times is that message.
func (w *worker) split(ctx context.Context, cause error) error {
	s := w.s
	pend := append([]pending(nil), w.pend...)
	w.pend = w.pend[:0]
	for _, p := range pend {
		delete(w.sessions, p.k)
	}
	if len(pend) == 1 {
		from := len(w.out)
		w.deadLetter(pend[0].m, cause.Error(), "unprocessable")
		w.spans = append(w.spans, span{m: pend[0].m, from: from, to: len(w.out)})
		return nil
	}
	s.cfg.Logger.Warn("a batch's write keeps failing while the store answers; storing its vectors one at a time to find the one at fault",
		"topic", pend[0].m.Topic, "partition", pend[0].m.Partition, "from", pend[0].m.Offset, "vectors", len(pend), "err", cause)
	for j, p := range pend {
		if !w.process(ctx, p.idx, p.m, p.start) || w.flush(ctx) != nil {
			w.pend = append(w.pend[:0], pend[j:]...) // ctx ended: unfinished
			return ctx.Err()
		}
	}
	return nil
}

// finish queues the output of p once PutBatch reported whether its vector
// (insV) and decision (insD) were inserted:
//
//   - inserted: its decision is published and counted, the vector counted
//     towards retraining; an alert flags the session in the store before
//     it is published;
//   - not inserted, and the stored decision is this one (our own write, a
//     retry after its answer was lost): the same;
//   - not inserted, another decision stored (an earlier delivery by this
//     partition's previous owner): that one is republished marked
//     redelivered, and the session's state is dropped, to be rebuilt from
//     the store at its next vector.
//
// An error other than ctx's end dead-letters p's message as unprocessable.
func (w *worker) finish(ctx context.Context, p *pending, insV, insD bool) error {
	s := w.s
	from := len(w.out)
	err := w.finishOne(ctx, p, insV, insD)
	if err != nil {
		w.out = w.out[:from]
		if ctx.Err() != nil {
			return err
		}
		w.deadLetter(p.m, err.Error(), "unprocessable")
		s.cfg.Logger.Error("a stored decision could not be answered", "user", p.dec.User, "session", p.dec.Session, "seq", p.dec.Seq, "err", err)
	}
	if len(w.out) > from {
		w.spans = append(w.spans, span{m: p.m, from: from, to: len(w.out)})
	}
	return nil
}

func (w *worker) finishOne(ctx context.Context, p *pending, insV, insD bool) error {
	s := w.s
	d := p.dec
	ours := insD
	if !insD {
		stored, found, err := w.storedDecision(ctx, d.User, d.Session, d.Seq)
		switch {
		case err != nil:
			return err
		case found && sameDecision(stored, d):
			ours = true // our own write, whose answer a failure swallowed
		case found:
			delete(w.sessions, p.k)
			return w.publishStored(ctx, p.v, p.st, stored)
		default:
			s.cfg.Logger.Warn("the store refused a decision as existing but cannot read it; publishing this one", "user", d.User, "session", d.Session, "seq", d.Seq)
		}
	}
	if insV || ours {
		s.cfg.Stats.Vectors.Inc()
		if ok, ver := s.models.noteVector(d.User, d.At, s.cfg.Retrain); ok {
			w.startRetrain(d.User, ver)
		}
	}
	if d.Alert {
		if err := w.markAlerted(ctx, d.User, d.Session, p.st); err != nil {
			return err
		}
	}
	s.cfg.Stats.Decisions.WithLabelValues(strconv.FormatBool(d.Accept)).Inc()
	s.cfg.Stats.observe(d)
	w.emitDecision(wire.Decision{User: d.User, Session: d.Session, Seq: d.Seq, Accept: d.Accept, Alert: d.Alert, Closed: p.closed,
		Sent: p.v.Sent, ServiceNanos: time.Since(p.start).Nanoseconds()}, p.st.key, p.st.route)
	if d.Alert {
		s.cfg.Stats.Alerts.Inc()
		s.cfg.Logger.Info("alert", "user", d.User, "session", d.Session, "seq", d.Seq, "statistic", d.Statistic, "score", d.Score,
			"flags", decide.Flags(d.Flags).String())
		w.emitAlert(alertOf(d, p.policy))
	}
	w.timed = append(w.timed, p.start)
	return nil
}

// alertOf is the alert of d, the decision that raised it, decided by policy
// ("" when not known: a republished alert).
func alertOf(d store.Decision, policy string) wire.Alert {
	return wire.Alert{User: d.User, Session: d.Session, Seq: d.Seq, Policy: policy, Statistic: d.Statistic, Score: d.Score,
		Flags: decide.Flags(d.Flags).String(), ModelVersion: d.ModelVersion, At: d.At.UTC()}
}

// sameDecision reports whether the stored decision a is b, as the stores
// keep it (times to the millisecond).
func sameDecision(a, b store.Decision) bool {
	dt := a.At.Sub(b.At)
	return a.User == b.User && a.Session == b.Session && a.Seq == b.Seq && a.Score == b.Score && a.Statistic == b.Statistic &&
		a.Window == b.Window && a.Threshold == b.Threshold && a.Accept == b.Accept && a.Alert == b.Alert && a.Judged == b.Judged &&
		a.Flags == b.Flags &&
		a.ModelVersion == b.ModelVersion && dt > -time.Millisecond && dt < time.Millisecond
}

// loadSession builds a session's state from the store: the login must have
// opened the session (accepted, with a session key that opens under the
// state key); the last seq comes from the session's latest stored
// decision, and the alert from the session and that decision. Its
// decision engine is rebuilt at its next vector, under the policy of the
// user's model then (decision.go). A reason is a dead letter's, with its
// class.
func (w *worker) loadSession(ctx context.Context, user, session string) (st *sessionState, reason, class string, err error) {
	s := w.s
	var sess store.Session
	err = s.retry(ctx, "session", func() error { sess, err = s.cfg.Profiles.Session(ctx, user, session); return err })
	if errors.Is(err, store.ErrNotFound) {
		err = s.retry(ctx, "credential", func() error { _, err := s.cfg.Credentials.Credential(ctx, user); return err })
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, "unknown user " + user, "unknown user", nil
		case err != nil:
			return nil, "", "", err
		}
		return nil, "no login for session " + session + " of " + user, "no login", nil
	}
	if err != nil {
		return nil, "", "", err
	}
	if !sess.Accepted {
		return nil, "session " + session + " of " + user + " was refused at login", "refused session", nil
	}
	if len(sess.Key) == 0 {
		return nil, "session " + session + " of " + user + " has no session key (opened by a version 1 login)", "no session key", nil
	}
	key, route, err := s.sealer.open(user, session, sess.Key)
	if err != nil {
		s.cfg.Logger.Error("the stored key of a session does not open (another state key?)", "user", user, "session", session, "err", err)
		return nil, fmt.Sprintf("session %s of %s: %v", session, user, err), "session key", nil
	}
	var recent []store.Decision
	err = s.retry(ctx, "recent decisions", func() error {
		recent, err = s.cfg.Profiles.RecentDecisions(ctx, user, session, math.MaxInt64, 1)
		return err
	})
	if err != nil {
		return nil, "", "", err
	}
	st = &sessionState{alerted: sess.Alerted, key: key, route: route, last: -1}
	if len(recent) > 0 {
		st.last = recent[0].Seq
		st.alerted = st.alerted || recent[0].Alert
	}
	return st, "", "", nil
}

// replicaPolicy is how long republish looks again for a decision that a
// replica may not show yet: 5 looks within about a second.
var replicaPolicy = retry.Policy{Initial: 50 * time.Millisecond, Max: 400 * time.Millisecond, MaxAttempts: 5}

// republish emits the stored decision of v again, marked redelivered and
// MAC'd under the session's key, so a client that missed it still gets
// it; it counts nothing. v's MAC has been verified: only the session's
// client could have sent it. found is false when no decision is stored for
// v, which the caller must handle.
func (w *worker) republish(ctx context.Context, v wire.Vector, st *sessionState) (found bool, err error) {
	d, found, err := w.storedDecision(ctx, v.User, v.Session, v.Seq)
	if err != nil || !found {
		return false, err
	}
	return true, w.publishStored(ctx, v, st, d)
}

// storedDecision reads the decision stored for (user, session, seq);
// found is false when there is none. A replica may not show a write
// acknowledged a moment ago: it looks again briefly before concluding it
// is missing.
func (w *worker) storedDecision(ctx context.Context, user, session string, seq int64) (d store.Decision, found bool, err error) {
	s := w.s
	err = retry.Do(ctx, replicaPolicy, func() error {
		return s.retry(ctx, "decision", func() (err error) { d, err = s.cfg.Profiles.Decision(ctx, user, session, seq); return err })
	}, retry.Permanent(func(err error) bool { return !errors.Is(err, store.ErrNotFound) }))
	switch {
	case err == nil:
		return d, true, nil
	case ctx.Err() == nil && errors.Is(err, store.ErrNotFound):
		return store.Decision{}, false, nil
	default:
		return store.Decision{}, false, err
	}
}

// publishStored emits d, the stored decision of v, marked redelivered.
func (w *worker) publishStored(ctx context.Context, v wire.Vector, st *sessionState, d store.Decision) error {
	s := w.s
	s.cfg.Stats.Redelivered.Inc()
	// Closed: the session's alert is raised by now (a decision that
	// accepted before it still says so).
	closed := d.Alert || (st.alerted && !d.Accept)
	w.emitDecision(wire.Decision{User: v.User, Session: v.Session, Seq: v.Seq, Accept: d.Accept, Alert: d.Alert, Closed: closed,
		Sent: v.Sent, Redelivered: true}, st.key, st.route)
	if d.Alert {
		// The earlier delivery may have stopped between storing the
		// decision and flagging the session or publishing the alert: do
		// both again (alerts are delivered at least once).
		if err := w.markAlerted(ctx, v.User, v.Session, st); err != nil {
			return err
		}
		w.emitAlert(alertOf(d, ""))
	}
	return nil
}

// markAlerted flags the session as alerted in memory and in the store
// (sticky: MarkAlerted never clears it), so no second alert is raised,
// every later vector is refused and its vectors are never trained on.
func (w *worker) markAlerted(ctx context.Context, user, session string, st *sessionState) error {
	s := w.s
	st.alerted = true
	err := s.retry(ctx, "mark alerted", func() error { return s.cfg.Profiles.MarkAlerted(ctx, user, session) })
	if errors.Is(err, store.ErrNotFound) {
		s.cfg.Logger.Error("alerted session not in the store", "user", user, "session", session)
		return nil
	}
	return err
}

// startRetrain queues user's retraining from model version (retrain.go).
// With the queue full it is dropped and counted, and the user's vectors
// count again towards the next request.
func (w *worker) startRetrain(user string, version int) {
	s := w.s
	if err := s.retrainer.request(user, version); err != nil {
		s.models.swap(user, nil)
		s.cfg.Stats.Retrains.WithLabelValues("dropped").Inc()
		s.cfg.Logger.Warn("retrain not queued", "user", user, "err", err)
	}
}
