package live

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/wire"
)

// sessionState is what a worker keeps per session between vectors.
type sessionState struct {
	window  *Window
	alerted bool
	next    int64 // the seq the window expects next
	seen    time.Time
}

// worker processes one partition's messages in order, for one generation
// of the consumer group. Only its goroutine touches its sessions.
type worker struct {
	s        *Service
	sessions map[[2]string]*sessionState
	swept    time.Time
	part     *partState       // health of the partition
	commit   func(next int64) // everything before next is finished
	out      []kafka.Message  // decisions, alerts and dead letters of the batch
	spans    []span           // which messages of out each processed message queued
	timed    []time.Time      // start times of the batch's scored vectors
}

// span is the part out[from:to] of a batch's output that message m queued.
type span struct {
	m        kafka.Message
	from, to int
}

func newWorker(s *Service, part *partState, commit func(next int64)) *worker {
	return &worker{s: s, sessions: map[[2]string]*sessionState{}, swept: s.cfg.Now(), part: part, commit: commit}
}

// sessionIdle is how long a session's window stays in memory unused; it is
// reloaded from the stored decisions if the session comes back.
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
		w.handleBatch(ctx, batch)
	}
}

// handleBatch processes a partition's messages in order, publishes their
// decisions, alerts and dead letters in one produce request, and then hands
// the offsets to the committer. One produce per batch instead of per
// message keeps latency low under load: the batch is whatever arrived
// while the previous one was processed. An error happens only when ctx
// ends (a drain or a rebalance that timed out): the messages from the
// failed one on are not committed and are processed again by the
// partition's next owner.
func (w *worker) handleBatch(ctx context.Context, batch []kafka.Message) {
	s := w.s
	if ctx.Err() != nil {
		return
	}
	now := s.cfg.Now()
	w.part.begin(now, batch[0].Offset)
	defer w.part.end()
	w.sweep(now)
	w.out, w.timed, w.spans = w.out[:0], w.timed[:0], w.spans[:0]
	done := 0
	for _, m := range batch {
		from := len(w.out)
		if !w.process(ctx, m) {
			break
		}
		w.spans = append(w.spans, span{m: m, from: from, to: len(w.out)})
		done++
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

// process handles m, retrying until it succeeds: going on to the next
// message would commit past m and lose it. Processing is idempotent, so a
// retry after a half-done attempt is safe. Attempts are counted only while
// the store answers its probe and the disk is not full: after MaxAttempts
// failures of m's own processing (a panic, an error the store keeps giving
// for this message only) m is dead-lettered as unprocessable, and the
// dead letter is published before m's offset is committed. An outage
// (store or broker down, disk full) is waited for without limit. Only the
// end of ctx stops it, and then m is processed again later.
func (w *worker) process(ctx context.Context, m kafka.Message) bool {
	s := w.s
	start := time.Now()
	attempts := 0
	var unprocessable *unprocessableError
	err := retry.Do(ctx, storePolicy, func() error {
		mark := len(w.out)
		err := w.attempt(ctx, m, start)
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
		return true
	case ctx.Err() == nil && errors.As(err, &unprocessable):
		w.deadLetter(m, err.Error(), "unprocessable")
		return true
	default:
		s.cfg.Logger.Error("message not processed; it will be processed again after a restart or rebalance", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
		return false
	}
}

// attempt processes m once; a panic is turned into an error of m.
func (w *worker) attempt(ctx context.Context, m kafka.Message, start time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.s.cfg.Logger.Error("panic while processing a message", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	if m.Topic == w.s.cfg.Topics.Logins {
		return w.login(ctx, m)
	}
	return w.vector(ctx, m, start)
}

func (w *worker) emit(msgs ...kafka.Message) { w.out = append(w.out, msgs...) }

// deadLetter queues m for the dead-letter topic with its reason.
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
	x := wire.DeadLetter{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Reason: reason, Class: class,
		Value: m.Value, At: s.cfg.Now().UTC()}
	return kafka.Message{Topic: s.cfg.Topics.DeadLetter, Key: m.Key[:min(len(m.Key), wire.MaxDeadLetterKey)], Value: wire.MarshalDeadLetter(x)}
}

func classOf(err error) string {
	if errors.Is(err, wire.ErrVersion) {
		return "version"
	}
	return "malformed"
}

func (w *worker) login(ctx context.Context, m kafka.Message) error {
	s := w.s
	l, err := wire.DecodeLogin(m.Value)
	if err != nil {
		w.deadLetter(m, err.Error(), classOf(err))
		return nil
	}
	var sess store.Session
	err = s.retry(ctx, "session", func() error { sess, err = s.cfg.Profiles.Session(ctx, l.User, l.Session); return err })
	switch {
	case err == nil:
		// A redelivered login: answer as before, count nothing again.
		s.cfg.Stats.Redelivered.Inc()
		d := wire.Decision{User: l.User, Session: l.Session, Seq: wire.LoginSeq, Accept: sess.Accepted, Reason: sess.Reason, Sent: l.Sent, Redelivered: true}
		w.emit(kafka.Message{Topic: s.cfg.Topics.Decisions, Key: []byte(l.User), Value: wire.EncodeDecision(d)})
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	now := s.cfg.Now()
	var cred store.Credential
	err = s.retry(ctx, "credential", func() error { cred, err = s.cfg.Credentials.Credential(ctx, l.User); return err })
	var res LoginResult
	switch {
	case errors.Is(err, store.ErrNotFound):
		res = LoginResult{Reason: "unknown user"}
	case err != nil:
		return err
	default:
		res = CheckLogin(cred, l.Password, now, s.cfg.Lockout)
		if res.Failures != cred.Failures || !res.LockedUntil.Equal(cred.LockedUntil) {
			if err := s.retry(ctx, "set failures", func() error {
				return s.cfg.Credentials.SetFailures(ctx, l.User, res.Failures, res.LockedUntil)
			}); err != nil {
				return err
			}
		}
	}
	sess = store.Session{ID: l.Session, User: l.User, Client: l.Client, Accepted: res.Accept, Reason: res.Reason, Started: now}
	if err := s.retry(ctx, "put session", func() error { return s.cfg.Profiles.PutSession(ctx, sess) }); err != nil {
		return err
	}
	result := "accepted"
	if !res.Accept {
		result = res.Reason
	}
	s.cfg.Stats.Logins.WithLabelValues(result).Inc()
	// The password is in l; log only the user, session and outcome.
	s.cfg.Logger.Info("login", "user", l.User, "session", l.Session, "client", l.Client, "result", result)
	d := wire.Decision{User: l.User, Session: l.Session, Seq: wire.LoginSeq, Accept: res.Accept, Reason: res.Reason, Sent: l.Sent}
	w.emit(kafka.Message{Topic: s.cfg.Topics.Decisions, Key: []byte(l.User), Value: wire.EncodeDecision(d)})
	return nil
}

func (w *worker) vector(ctx context.Context, m kafka.Message, start time.Time) error {
	s := w.s
	v, err := wire.DecodeVector(m.Value)
	if err != nil {
		w.deadLetter(m, err.Error(), classOf(err))
		return nil
	}
	if len(v.Values) != s.cfg.NumFeatures {
		w.deadLetter(m, fmt.Sprintf("vector of %d values, want %d", len(v.Values), s.cfg.NumFeatures), "length")
		return nil
	}
	k := [2]string{v.User, v.Session}
	st := w.sessions[k]
	if st == nil {
		var reason, class string
		st, reason, class, err = w.loadSession(ctx, v)
		if err != nil {
			return err
		}
		if reason != "" {
			w.deadLetter(m, reason, class)
			return nil
		}
		w.sessions[k] = st
	}
	st.seen = s.cfg.Now()
	if v.Seq < st.next {
		// Already decided: a redelivery. Republish the stored decision.
		found, err := w.republish(ctx, v)
		if err != nil || found {
			return err
		}
		// Behind the window yet never decided: decide it now rather than
		// leave the client without an answer.
		s.cfg.Logger.Warn("vector behind the session's window has no stored decision; deciding it now", "user", v.User, "session", v.Session, "seq", v.Seq)
	}
	var mdl *loaded
	err = s.retry(ctx, "model", func() (err error) { mdl, err = s.models.get(ctx, v.User); return err })
	if errors.Is(err, store.ErrNotFound) {
		w.deadLetter(m, "no model for user "+v.User, "no model")
		return nil
	}
	if err != nil {
		return err
	}
	score := mdl.model.Score(v.Values)
	now := s.cfg.Now()
	var inserted bool
	sv := store.Vector{User: v.User, Session: v.Session, Seq: v.Seq, At: now, Values: v.Values}
	if err := s.retry(ctx, "put vector", func() (err error) { inserted, err = s.cfg.Profiles.PutVector(ctx, sv); return err }); err != nil {
		return err
	}
	w.hook("vector stored")
	if inserted {
		s.cfg.Stats.Vectors.Inc()
		if ok, ver := s.models.noteVector(v.User, now, s.cfg.Retrain); ok {
			w.startRetrain(ctx, v.User, ver)
		}
	}
	st.window.Push(score)
	verdict := Decide(st.window, s.cfg.Threshold, st.alerted)
	d := store.Decision{User: v.User, Session: v.Session, Seq: v.Seq, Score: score, Mean: st.window.Mean(), Window: st.window.Len(),
		Threshold: s.cfg.Threshold, Accept: verdict.Accept, Alert: verdict.Alert, ModelVersion: mdl.version, At: now}
	var decided bool
	if err := s.retry(ctx, "put decision", func() (err error) { decided, err = s.cfg.Profiles.PutDecision(ctx, d); return err }); err != nil {
		return err
	}
	st.next = max(st.next, v.Seq+1)
	if !decided {
		// Stored by an earlier delivery whose offset was not committed (or
		// by our own write whose answer a failure swallowed).
		found, err := w.republish(ctx, v)
		if err != nil || found {
			return err
		}
		s.cfg.Logger.Warn("the store refused a decision as existing but cannot read it; publishing this one", "user", v.User, "session", v.Session, "seq", v.Seq)
	}
	w.hook("decision stored")
	if verdict.Alert {
		if err := w.markAlerted(ctx, v, st); err != nil {
			return err
		}
	}
	s.cfg.Stats.Decisions.WithLabelValues(strconv.FormatBool(verdict.Accept)).Inc()
	msgs := []kafka.Message{{Topic: s.cfg.Topics.Decisions, Key: []byte(v.User), Value: wire.EncodeDecision(wire.Decision{
		User: v.User, Session: v.Session, Seq: v.Seq, Accept: d.Accept, Alert: d.Alert, Score: score, Mean: d.Mean,
		Window: d.Window, Threshold: d.Threshold, ModelVersion: d.ModelVersion, Sent: v.Sent, ServiceNanos: time.Since(start).Nanoseconds()})}}
	if verdict.Alert {
		s.cfg.Stats.Alerts.Inc()
		s.cfg.Logger.Info("alert", "user", v.User, "session", v.Session, "seq", v.Seq, "mean", d.Mean)
		msgs = append(msgs, kafka.Message{Topic: s.cfg.Topics.Alerts, Key: []byte(v.User), Value: wire.EncodeAlert(wire.Alert{
			User: v.User, Session: v.Session, Seq: v.Seq, Mean: d.Mean, Threshold: d.Threshold, Window: d.Window, At: now.UTC()})})
	}
	w.emit(msgs...)
	w.timed = append(w.timed, start)
	return nil
}

// loadSession builds a session's state from the store: the login must have
// been accepted, and the window resumes from the stored decisions.
func (w *worker) loadSession(ctx context.Context, v wire.Vector) (st *sessionState, reason, class string, err error) {
	s := w.s
	var sess store.Session
	err = s.retry(ctx, "session", func() error { sess, err = s.cfg.Profiles.Session(ctx, v.User, v.Session); return err })
	if errors.Is(err, store.ErrNotFound) {
		_, cerr := s.cfg.Credentials.Credential(ctx, v.User)
		if errors.Is(cerr, store.ErrNotFound) {
			return nil, "unknown user " + v.User, "unknown user", nil
		}
		return nil, "no login for session " + v.Session + " of " + v.User, "no login", nil
	}
	if err != nil {
		return nil, "", "", err
	}
	if !sess.Accepted {
		return nil, "session " + v.Session + " was refused at login (" + sess.Reason + ")", "refused session", nil
	}
	// The window resumes from the stored decisions before this vector, or
	// up to and including it when it is decided already (a redelivery after
	// a restart).
	before := v.Seq
	err = s.retry(ctx, "decision", func() error { _, err := s.cfg.Profiles.Decision(ctx, v.User, v.Session, v.Seq); return err })
	switch {
	case err == nil:
		before = v.Seq + 1
	case !errors.Is(err, store.ErrNotFound):
		return nil, "", "", err
	}
	var recent []store.Decision
	err = s.retry(ctx, "recent decisions", func() error {
		recent, err = s.cfg.Profiles.RecentDecisions(ctx, v.User, v.Session, before, s.cfg.Window)
		return err
	})
	if err != nil {
		return nil, "", "", err
	}
	st = &sessionState{window: NewWindow(s.cfg.Window), alerted: sess.Alerted}
	for _, d := range recent {
		st.window.Push(d.Score)
		st.alerted = st.alerted || d.Alert
	}
	if len(recent) > 0 {
		st.next = recent[len(recent)-1].Seq + 1
	}
	return st, "", "", nil
}

// replicaPolicy is how long republish looks again for a decision that a
// replica may not show yet: 5 looks within about a second.
var replicaPolicy = retry.Policy{Initial: 50 * time.Millisecond, Max: 400 * time.Millisecond, MaxAttempts: 5}

// republish emits the stored decision of v again, marked redelivered, so a
// client that missed it still gets it; it counts nothing. found is false
// when no decision is stored for v, which the caller must handle: dropping
// the vector would leave the client waiting.
func (w *worker) republish(ctx context.Context, v wire.Vector) (found bool, err error) {
	s := w.s
	var d store.Decision
	// A replica may not show a write acknowledged a moment ago: look again
	// briefly before concluding it is missing.
	err = retry.Do(ctx, replicaPolicy, func() error {
		return s.retry(ctx, "decision", func() (err error) { d, err = s.cfg.Profiles.Decision(ctx, v.User, v.Session, v.Seq); return err })
	}, retry.Permanent(func(err error) bool { return !errors.Is(err, store.ErrNotFound) }))
	switch {
	case err == nil:
	case ctx.Err() == nil && errors.Is(err, store.ErrNotFound):
		return false, nil
	default:
		return false, err
	}
	s.cfg.Stats.Redelivered.Inc()
	w.emit(kafka.Message{Topic: s.cfg.Topics.Decisions, Key: []byte(v.User), Value: wire.EncodeDecision(wire.Decision{
		User: v.User, Session: v.Session, Seq: v.Seq, Accept: d.Accept, Alert: d.Alert, Score: d.Score, Mean: d.Mean, Window: d.Window,
		Threshold: d.Threshold, ModelVersion: d.ModelVersion, Sent: v.Sent, Redelivered: true})})
	if d.Alert {
		// The earlier delivery may have stopped between storing the
		// decision and flagging the session or publishing the alert: do
		// both again (alerts are delivered at least once).
		if st := w.sessions[[2]string{v.User, v.Session}]; st != nil {
			if err := w.markAlerted(ctx, v, st); err != nil {
				return false, err
			}
		}
		w.emit(kafka.Message{Topic: s.cfg.Topics.Alerts, Key: []byte(v.User), Value: wire.EncodeAlert(wire.Alert{
			User: v.User, Session: v.Session, Seq: v.Seq, Mean: d.Mean, Threshold: d.Threshold, Window: d.Window, At: d.At.UTC()})})
	}
	return true, nil
}

// markAlerted flags the session as alerted in memory and in the store, so
// no second alert is raised and its vectors are never trained on.
func (w *worker) markAlerted(ctx context.Context, v wire.Vector, st *sessionState) error {
	s := w.s
	st.alerted = true
	var sess store.Session
	err := s.retry(ctx, "session", func() (err error) { sess, err = s.cfg.Profiles.Session(ctx, v.User, v.Session); return err })
	if err != nil {
		return err
	}
	if sess.Alerted {
		return nil
	}
	sess.Alerted = true
	return s.retry(ctx, "put session", func() error { return s.cfg.Profiles.PutSession(ctx, sess) })
}

func (w *worker) startRetrain(ctx context.Context, user string, version int) {
	s := w.s
	s.work.Go(func() error {
		m, err := s.models.retrain(ctx, user, version, s.cfg.Retrain, s.cfg.Now())
		// Swap first, count after: a counted retraining is in use.
		s.models.swap(user, m)
		switch {
		case errors.Is(err, errNothingToTrain):
			s.cfg.Stats.Retrains.WithLabelValues("skipped").Inc()
			s.cfg.Logger.Info("retrain skipped", "user", user, "err", err)
		case err != nil:
			s.cfg.Stats.Retrains.WithLabelValues("error").Inc()
			s.cfg.Logger.Error("retrain", "user", user, "err", err)
		default:
			s.cfg.Stats.Retrains.WithLabelValues("ok").Inc()
			s.cfg.Logger.Info("retrained", "user", user, "version", m.version)
		}
		return nil
	})
}
