package live

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

// Retraining: after RetrainPolicy.Every new vectors (or MaxAge) a user's
// model is retrained in the background, off the scoring path:
//
//   - requests queue in a coalescing queue (one entry per user, at most
//     Queue users; a full queue drops the request, and the user asks again
//     after Every more vectors), served by Workers goroutines (default 1),
//     each of which waits while the scorer is falling behind (a partition
//     fetched a full batch in the last second), for at most MaxDefer;
//   - the genuine rows are the user's clean vectors (cleanRows): judged,
//     accepted and confident, of ended sessions without an alert, no
//     session more than MaxShare of them, at most MaxGenuine;
//   - the negatives come from a pool of other users' vectors sampled from
//     the store (Profiles.SampleVectors, seeded by Train.Seed and the
//     pool's epoch), drawn again every PoolEvery retrainings or PoolAge:
//     a retraining reads the user's rows and the pool, never every user's;
//   - the new model is swapped in only if, on impostor data held back
//     from it (the vectors of the user's alerted sessions and the sessions
//     of the pool held back from training), it accepts no larger a share
//     than the model in use, within Tolerance (regressionCheck); the swap
//     or the refusal is logged with the figures and counted.
//
// The model is classify.TrainUser's with the stream classify.VersionRand
// of (Train.Seed, user, version): given the stored rows and the pool's
// epoch (logged), a retraining is reproducible.

// RetrainPolicy says when a user's model is retrained in the background,
// and on what. Zero values take the documented defaults.
type RetrainPolicy struct {
	Every      int64         // new vectors since the model was trained; default 1000, <0 never
	MaxAge     time.Duration // default 30 days
	MaxGenuine int           // most clean own vectors trained on; default 5000
	Train      account.TrainOptions

	// Workers is how many retrainings run at once (default 1); Queue how
	// many users may wait (default 10 000).
	Workers, Queue int
	// MaxDefer bounds how long a retraining waits for the scorer to catch
	// up before it runs anyway (default 1 minute).
	MaxDefer time.Duration
	// Pool is how many other users' vectors the negative pool holds for
	// training (default 20 000), HoldBack how many more it holds back for
	// the regression check (default 2 000; whole sessions go to one side
	// or the other). PoolEvery and PoolAge say when it is drawn again
	// (default every 100 retrainings or 10 minutes).
	Pool, HoldBack, PoolEvery int
	PoolAge                   time.Duration
	// MaxShare bounds the share of the genuine rows one session may give
	// (default 0.1, so at least 10 sessions are needed).
	MaxShare float64
	// Margin: a vector is trained on only if its own score was at least
	// the threshold plus Margin (default 0.1; negative means 0).
	Margin float64
	// Quiet: a session is over once it has had no vector for this long
	// (default 30 minutes, when the scorer forgets it; negative means at
	// once). Only vectors of sessions that are over are trained on.
	Quiet time.Duration
	// Tolerance is how much larger a share of the held-back impostor
	// vectors the new model may accept than the one in use, beyond the
	// sampling noise of the set (two standard errors; default 0.05; 1
	// turns the check off).
	Tolerance float64
}

// defaults fills in p's zero values.
func (p *RetrainPolicy) defaults() error {
	set := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if p.Every == 0 {
		p.Every = 1000
	}
	if p.MaxAge == 0 {
		p.MaxAge = 30 * 24 * time.Hour
	}
	set(&p.MaxGenuine, 5000)
	set(&p.Workers, 1)
	set(&p.Queue, 10_000)
	set(&p.Pool, 20_000)
	set(&p.HoldBack, 2_000)
	set(&p.PoolEvery, 100)
	if p.MaxDefer == 0 {
		p.MaxDefer = time.Minute
	}
	if p.PoolAge == 0 {
		p.PoolAge = 10 * time.Minute
	}
	if p.MaxShare == 0 {
		p.MaxShare = 0.1
	}
	if p.Margin == 0 {
		p.Margin = 0.1
	}
	p.Margin = max(p.Margin, 0)
	if p.Quiet == 0 {
		p.Quiet = sessionIdle
	}
	p.Quiet = max(p.Quiet, 0)
	if p.Tolerance == 0 {
		p.Tolerance = 0.05
	}
	switch {
	case p.MaxGenuine < 1 || p.Workers < 1 || p.Queue < 1 || p.Pool < 1 || p.HoldBack < 0 || p.PoolEvery < 1:
		return fmt.Errorf("live: retrain policy: max genuine %d, workers %d, queue %d, pool %d, pool every %d must be at least 1 and hold back %d at least 0",
			p.MaxGenuine, p.Workers, p.Queue, p.Pool, p.PoolEvery, p.HoldBack)
	case p.MaxShare <= 0 || p.MaxShare > 1:
		return fmt.Errorf("live: retrain policy: max share %v outside (0, 1]", p.MaxShare)
	case p.Tolerance < 0 || p.Tolerance > 1:
		return fmt.Errorf("live: retrain policy: tolerance %v outside [0, 1]", p.Tolerance)
	case p.MaxDefer < 0 || p.PoolAge < 0:
		return errors.New("live: retrain policy: negative durations")
	}
	return nil
}

var (
	errNothingToTrain = errors.New("not enough clean stored vectors to train")
	errQueueFull      = errors.New("retrain queue full")
)

// RegressionError is a retrained model that the regression check refused:
// it accepts a larger share of the held-back impostor vectors than the
// model in use, beyond the tolerance. The model in use stays.
type RegressionError struct {
	User    string
	Version int // the refused version
	Check   regressionCheck
}

func (e *RegressionError) Error() string {
	return fmt.Sprintf("retrained model of %s v%d refused: %s", e.User, e.Version, e.Check)
}

// retrainJob is one user's requested retraining, from the model version
// in use when it was requested.
type retrainJob struct {
	user    string
	version int
}

// retrainer runs the retrainings: a coalescing FIFO of users served by
// RetrainPolicy.Workers goroutines, and the negative pool they share.
type retrainer struct {
	s       *Service
	mu      sync.Mutex
	queue   []retrainJob
	pending map[string]bool // queued or running
	wake    chan struct{}
	pool    negativePool
	// backlog is when a partition last fetched a full batch (Unix ns).
	backlog atomic.Int64
}

func newRetrainer(s *Service) *retrainer {
	return &retrainer{s: s, pending: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// request queues user's retraining. A user already queued or running is
// not queued twice (the request is served by that one); with the queue
// full it returns errQueueFull.
func (r *retrainer) request(user string, version int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending[user] {
		return nil
	}
	if len(r.queue) >= r.s.cfg.Retrain.Queue {
		return errQueueFull
	}
	r.pending[user] = true
	r.queue = append(r.queue, retrainJob{user, version})
	r.s.cfg.Stats.RetrainQueue.Set(float64(len(r.queue)))
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// next takes the oldest queued job, waiting for one until ctx ends.
func (r *retrainer) next(ctx context.Context) (retrainJob, bool) {
	for {
		r.mu.Lock()
		if len(r.queue) > 0 {
			j := r.queue[0]
			r.queue = r.queue[1:]
			r.s.cfg.Stats.RetrainQueue.Set(float64(len(r.queue)))
			more := len(r.queue) > 0
			r.mu.Unlock()
			if more { // let another worker take the next one
				select {
				case r.wake <- struct{}{}:
				default:
				}
			}
			return j, true
		}
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return retrainJob{}, false
		case <-r.wake:
		}
	}
}

func (r *retrainer) done(user string) {
	r.mu.Lock()
	delete(r.pending, user)
	r.mu.Unlock()
}

// noteBacklog records that a partition is falling behind.
func (r *retrainer) noteBacklog() { r.backlog.Store(time.Now().UnixNano()) }

// yield waits while a partition fetched a full batch in the last second,
// for at most MaxDefer: retraining gives the cores to scoring while
// scoring falls behind.
func (r *retrainer) yield(ctx context.Context) {
	deadline := time.Now().Add(r.s.cfg.Retrain.MaxDefer)
	for time.Since(time.Unix(0, r.backlog.Load())) < time.Second && time.Now().Before(deadline) {
		if retry.Sleep(ctx, 200*time.Millisecond) != nil {
			return
		}
	}
}

// run serves the queue until ctx ends (a drain: the retraining in progress
// is cancelled; nothing is lost, the vectors stay stored).
func (r *retrainer) run(ctx context.Context) {
	s := r.s
	for {
		j, ok := r.next(ctx)
		if !ok {
			return
		}
		r.yield(ctx)
		start := time.Now()
		m, err := r.retrain(ctx, j.user, j.version)
		// Swap first, count after: a counted retraining is in use.
		s.models.swap(j.user, m)
		r.done(j.user)
		var refused *RegressionError
		switch {
		case ctx.Err() != nil:
			s.cfg.Logger.Debug("retrain cancelled", "user", j.user, "err", err)
			continue
		case errors.Is(err, errNothingToTrain):
			s.cfg.Stats.Retrains.WithLabelValues("skipped").Inc()
			s.cfg.Logger.Info("retrain skipped", "user", j.user, "err", err)
		case errors.As(err, &refused):
			s.cfg.Stats.Retrains.WithLabelValues("refused").Inc()
			s.cfg.Logger.Warn("retrained model refused: it accepts more held-back impostor vectors than the model in use; the model in use stays",
				append([]any{"user", j.user, "version", refused.Version}, refused.Check.logArgs()...)...)
		case err != nil:
			s.cfg.Stats.Retrains.WithLabelValues("error").Inc()
			s.cfg.Logger.Error("retrain", "user", j.user, "err", err)
		default:
			s.cfg.Stats.Retrains.WithLabelValues("ok").Inc()
		}
		s.cfg.Stats.RetrainSeconds.Observe(time.Since(start).Seconds())
	}
}

// retrain trains version+1 of user's model, checks it and stores it; it
// returns the model to swap in (another instance's, when that one stored
// version+1 first).
func (r *retrainer) retrain(ctx context.Context, user string, version int) (*loaded, error) {
	s, p := r.s, r.s.cfg.Retrain
	rows, err := s.cfg.Profiles.LabeledVectors(ctx, user, false, 2*p.MaxGenuine)
	if err != nil {
		return nil, err
	}
	// The clock is read after the rows: a vector stored while they were
	// read is older than now, so a session is open only when its last
	// vector came within Quiet of the read (with the clock read first, a
	// session still sending during the read looked open even with Quiet 0).
	now := s.cfg.Now()
	own, sel := cleanRows(rows, len(rows) == 2*p.MaxGenuine, cleanOptions{Margin: p.Margin,
		MaxShare: p.MaxShare, Max: p.MaxGenuine, Now: now, Quiet: p.Quiet})
	if len(own) == 0 {
		return nil, fmt.Errorf("retrain %s: %s: %w", user, sel, errNothingToTrain)
	}
	train, held, epoch, err := r.pool.get(ctx, s, user)
	if err != nil {
		return nil, err
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("retrain %s: no other users' vectors stored: %w", user, errNothingToTrain)
	}
	nv, _, err := s.cfg.Profiles.Counts(ctx, user)
	if err != nil {
		return nil, err
	}
	inUse, err := s.models.get(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("retrain %s: the model in use: %w", user, err)
	}
	o := trainOptions(p.Train)
	if o.Decision == "" {
		// The new model decides as the one in use: a retraining never
		// changes a user's policy unless it is configured with one.
		o.Decision = inUse.policy.String()
	}
	data, err := account.TrainModel(ctx, user, version+1, own, train, o, now)
	if err != nil {
		return nil, err
	}
	sm, err := account.CheckModel(data)
	if err != nil {
		return nil, fmt.Errorf("retrain %s: the new model does not load: %w", user, err)
	}
	next := newLoaded(version+1, sm, nv, now)
	alerted, err := s.cfg.Profiles.LabeledVectors(ctx, user, true, p.HoldBack)
	if err != nil {
		return nil, err
	}
	check := checkRegression(guarded{inUse}, guarded{next}, values(alerted), held, actionThreshold(inUse.policy), p.Tolerance)
	if !check.Pass {
		return nil, &RegressionError{User: user, Version: version + 1, Check: check}
	}
	err = s.cfg.Profiles.PutModel(ctx, store.Model{User: user, Version: version + 1, Data: data, Created: now, Vectors: nv})
	if errors.Is(err, store.ErrVersionExists) {
		// Another instance retrained first: use its model.
		s.cfg.Logger.Info("retrain: another instance stored this version first; using it", "user", user, "version", version+1)
		return s.models.load(ctx, user)
	}
	if err != nil {
		return nil, err
	}
	s.cfg.Logger.Info("retrained", append([]any{"user", user, "version", version + 1, "genuine", len(own), "sessions", sel.Sessions,
		"per_session", sel.PerSession, "negatives", len(train), "pool_epoch", epoch}, check.logArgs()...)...)
	return next, nil
}

// guarded scores as the scorer counts a vector: 0 when the model's guard
// flags it (account.Check), else the model's score.
type guarded struct{ l *loaded }

func (g guarded) Score(x []float64) float64 {
	if g.l.saved != nil && account.Flags(account.Check(g.l.saved, x)) != 0 {
		return 0
	}
	return g.l.model.Score(x)
}

// trainOptions are o with the tree-growing workers of a forest set to 1
// unless o names them: a retraining then takes one core, not all of them.
// Only a classifier named in o is given the parameter (the default is
// account's).
func trainOptions(o account.TrainOptions) account.TrainOptions {
	if o.Classifier == "" || !classify.HasParam(o.Classifier, "workers") {
		return o
	}
	if _, ok := o.Params["workers"]; ok {
		return o
	}
	params := maps.Clone(o.Params)
	if params == nil {
		params = map[string]any{}
	}
	params["workers"] = 1
	o.Params = params
	return o
}

func values(xs []store.LabeledVector) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = x.Values
	}
	return out
}

// cleanOptions are the rules of cleanRows.
type cleanOptions struct {
	Margin   float64 // a vector's score must reach its threshold plus this
	MaxShare float64 // most of the rows one session may give
	Max      int     // most rows
	Now      time.Time
	Quiet    time.Duration // a session is over after this long without a vector
}

// selection says what cleanRows kept and why the rest was left out.
type selection struct {
	Candidates int // vectors read
	Undecided  int // no decision stored
	Unjudged   int // decided before the rule could judge (warm-up), or stored before decisions said
	Flagged    int // implausible, novel or repeated (decide.Flags)
	Refused    int // not accepted, or the alert itself
	Unsure     int // accepted with a score below threshold+margin
	Open       int // of sessions not over yet (or cut by the read's limit)
	Sessions   int // sessions that gave rows
	PerSession int // rows kept per session at most
	Kept       int
}

func (s selection) String() string {
	return fmt.Sprintf("%d clean vectors in %d sessions (at most %d each) of %d read: %d undecided, %d not judged, %d flagged, %d refused, %d unsure, %d of open sessions",
		s.Kept, s.Sessions, s.PerSession, s.Candidates, s.Undecided, s.Unjudged, s.Flagged, s.Refused, s.Unsure, s.Open)
}

// cleanRows picks a retraining's genuine rows from rows, a user's vectors
// of sessions without an alert, newest sessions first (as
// Profiles.LabeledVectors returns them; truncated: the read stopped at its
// limit, so the last session may be cut and is left out). A vector is
// clean when its session is over (no vector for o.Quiet) and its decision
// was judged (a decision stored before decisions said so is not: the
// scorer of then accepted unjudged actions and had no guard), not flagged
// by the guard or the repeat check, accepted without an alert, with a
// score of at least its threshold plus o.Margin. Then no session gives more than o.MaxShare of the rows: each
// gives at most c rows, c the largest cap with c <= MaxShare·N(c) and
// N(c) <= o.Max, N(c) the rows kept with it (so with MaxShare 0.1 at
// least 10 sessions are needed, else nothing is kept); a session over the
// cap gives c rows evenly spaced in seq order. It is deterministic.
func cleanRows(rows []store.LabeledVector, truncated bool, o cleanOptions) ([][]float64, selection) {
	sel := selection{Candidates: len(rows)}
	type session struct {
		id   string
		last time.Time
		rows [][]float64
	}
	var sessions []*session
	byID := map[string]*session{}
	cut := ""
	if truncated && len(rows) > 0 {
		cut = rows[len(rows)-1].Session
	}
	for _, x := range rows {
		ss := byID[x.Session]
		if ss == nil {
			ss = &session{id: x.Session}
			byID[x.Session] = ss
			sessions = append(sessions, ss)
		}
		if x.At.After(ss.last) {
			ss.last = x.At
		}
	}
	for _, x := range rows {
		ss := byID[x.Session]
		d := x.Decision
		switch {
		case x.SessionAlerted:
			sel.Refused++
		case x.Session == cut || o.Now.Sub(ss.last) < o.Quiet:
			sel.Open++
		case !x.Decided:
			sel.Undecided++
		case !d.Judged:
			sel.Unjudged++
		case d.Flags != 0:
			sel.Flagged++
		case !d.Accept || d.Alert:
			sel.Refused++
		case !(d.Score >= d.Threshold+o.Margin):
			sel.Unsure++
		default:
			ss.rows = append(ss.rows, x.Values)
		}
	}
	var sizes []int
	var kept []*session
	for _, ss := range sessions {
		if len(ss.rows) > 0 {
			sizes = append(sizes, len(ss.rows))
			kept = append(kept, ss)
		}
	}
	c, _ := shareCap(sizes, o.MaxShare, o.Max)
	if c == 0 {
		sel.Sessions = len(kept)
		return nil, sel
	}
	var out [][]float64
	for _, ss := range kept {
		n := len(ss.rows)
		if n <= c {
			out = append(out, ss.rows...)
			continue
		}
		for i := range c {
			out = append(out, ss.rows[(2*i+1)*n/(2*c)])
		}
	}
	sel.Sessions, sel.PerSession, sel.Kept = len(kept), c, len(out)
	return out, sel
}

// shareCap returns the largest per-session cap c with c <= share·N(c) and
// N(c) <= most, where N(c) = Σ min(size, c) is the rows kept with it, and
// N(c); c is 0 when no cap of at least 1 fits.
func shareCap(sizes []int, share float64, most int) (c, n int) {
	top := 0
	for _, s := range sizes {
		top = max(top, s)
	}
	for c := top; c >= 1; c-- {
		n := 0
		for _, s := range sizes {
			n += min(s, c)
		}
		// A small epsilon: 0.1·10 is 1.0000000000000002 in binary.
		if n <= most && float64(c) <= share*float64(n)+1e-9 {
			return c, n
		}
	}
	return 0, 0
}

// regressionCheck compares the model in use with a retrained one on
// impostor data held back from the retraining: the vectors of the user's
// alerted sessions and other users' held-back vectors. A vector counts as
// accepted when its score reaches the threshold.
type regressionCheck struct {
	Alerted, Others        int     // vectors in each set
	AlertedOld, AlertedNew float64 // accepted share of the alerted sessions' vectors, old and new model
	OthersOld, OthersNew   float64 // the same of the other users' held-back vectors
	Tolerance              float64
	Pass                   bool
}

func (c regressionCheck) String() string {
	return fmt.Sprintf("accepts %.3f of %d vectors of alerted sessions (in use: %.3f) and %.3f of %d other users' held-back vectors (in use: %.3f); tolerance %.3f and two standard errors",
		c.AlertedNew, c.Alerted, c.AlertedOld, c.OthersNew, c.Others, c.OthersOld, c.Tolerance)
}

func (c regressionCheck) logArgs() []any {
	return []any{"alerted_vectors", c.Alerted, "alerted_accepted_old", c.AlertedOld, "alerted_accepted_new", c.AlertedNew,
		"held_back", c.Others, "held_back_accepted_old", c.OthersOld, "held_back_accepted_new", c.OthersNew, "tolerance", c.Tolerance}
}

// checkRegression scores alerted and others with old and new and passes
// new unless, on either set, it accepts a share more than tolerance plus
// two standard errors of the set's share above old's: with p the mean of
// the two shares and n the set's size, 2·sqrt(p(1-p)/n), so that a few
// vectors of a small set that flip with any retraining do not refuse it,
// while a model that accepts most of what the old one refused is refused.
func checkRegression(old, new classify.Model, alerted, others [][]float64, threshold, tolerance float64) regressionCheck {
	share := func(m classify.Model, xs [][]float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		n := 0
		for _, x := range xs {
			if m.Score(x) >= threshold {
				n++
			}
		}
		return float64(n) / float64(len(xs))
	}
	c := regressionCheck{Alerted: len(alerted), Others: len(others), Tolerance: tolerance,
		AlertedOld: share(old, alerted), AlertedNew: share(new, alerted), OthersOld: share(old, others), OthersNew: share(new, others)}
	within := func(oldShare, newShare float64, n int) bool {
		if n == 0 {
			return true
		}
		p := (oldShare + newShare) / 2
		// A small epsilon: shares of equal counts compare equal.
		return newShare-oldShare <= tolerance+2*math.Sqrt(p*(1-p)/float64(n))+1e-9
	}
	c.Pass = within(c.AlertedOld, c.AlertedNew, c.Alerted) && within(c.OthersOld, c.OthersNew, c.Others)
	return c
}

// negativePool is a sample of other users' stored vectors that the
// retrainings draw their negatives from, split by session into the part
// trained on and the part held back for the regression check. It is drawn
// again every PoolEvery retrainings or PoolAge, each time with the next
// epoch's seed.
type negativePool struct {
	mu    sync.Mutex
	train []store.Vector
	held  []store.Vector
	epoch int // draws so far; the current pool is epoch-1's
	drawn time.Time
	used  int // retrainings since it was drawn
}

// get returns the pool's vectors of users other than user, drawing the
// pool again first when it is due.
func (p *negativePool) get(ctx context.Context, s *Service, user string) (train [][]float64, held [][]float64, epoch int, err error) {
	pol := s.cfg.Retrain
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.epoch == 0 || p.used >= pol.PoolEvery || time.Since(p.drawn) >= pol.PoolAge {
		seed := poolSeed(pol.Train.Seed, p.epoch)
		vs, err := s.cfg.Profiles.SampleVectors(ctx, seed, pol.Pool+pol.HoldBack)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("negative pool: %w", err)
		}
		p.train, p.held = p.train[:0], p.held[:0]
		heldShare := float64(pol.HoldBack) / float64(pol.Pool+pol.HoldBack)
		for _, v := range vs {
			if sessionHash(seed, v.User, v.Session) < heldShare {
				p.held = append(p.held, v)
			} else {
				p.train = append(p.train, v)
			}
		}
		p.epoch++
		p.drawn, p.used = time.Now(), 0
		s.cfg.Stats.PoolRefreshes.Inc()
		s.cfg.Logger.Info("negative pool drawn", "epoch", p.epoch-1, "seed", seed, "train", len(p.train), "held_back", len(p.held))
	}
	p.used++
	for _, v := range p.train {
		if v.User != user {
			train = append(train, v.Values)
		}
	}
	for _, v := range p.held {
		if v.User != user {
			held = append(held, v.Values)
		}
	}
	return train, held, p.epoch - 1, nil
}

// poolSeed is the sample seed of a pool's epoch under the retraining seed.
func poolSeed(seed int64, epoch int) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/negative-pool/%d", seed, epoch)
	return int64(h.Sum64())
}

// sessionHash maps a session to [0, 1) under seed, so that the held-back
// part of a pool takes whole sessions.
func sessionHash(seed int64, user, session string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%s", seed, user, session)
	// FNV-1a leaves names that differ in their last bytes close in the
	// high bits: Murmur3's finaliser spreads them.
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return float64(x>>11) / (1 << 53)
}
