package live

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"time"
)

// The first factor's budgets. An argon2id check costs tens of
// milliseconds of a core by design; a flood of wrong passwords would
// otherwise buy that much of the scorer per message. So before a check,
// in this order:
//
//  1. backoff (auth.go): a (user, client) pair that failed repeatedly, or a
//     user who failed repeatedly on clients not in good standing, is
//     refused until its backoff has passed;
//  2. budgets: token buckets per client, per user and overall, in checks
//     of the default argon2id parameters' cost, refill continuously; a
//     login that would overdraw one is refused "over budget";
//  3. the check pool: at most Slots checks run at once (one on 2 cores,
//     so a core is left to the vectors), and at most Queue logins wait for
//     a slot; a login beyond that is refused "over budget".
//
// Refusals cost no check: opening the seal and a MAC'd answer (and, while
// the budget allows, a store read). A login in good standing (its client
// logged the user in before and has not failed since, or a verified client
// identity that has not failed) may overdraw the client's and the user's
// bucket by one burst, is never refused by the overall budget or for the
// queue's length, and goes ahead of the others in the pool: a flood costs
// it the wait for the checks already admitted, not its login.

// Rate is a token bucket: PerSecond tokens a second up to Burst.
type Rate struct {
	PerSecond float64
	Burst     float64
}

// LoginBudget bounds the argon2id checks logins may cost, per instance.
// Costs are in checks of [account.DefaultArgon2]'s cost (memory × passes
// × lanes): a user enrolled with cheaper parameters costs a fraction. Zero
// fields take the defaults; a negative PerSecond disables that bucket.
type LoginBudget struct {
	// Slots is how many checks run at once (default GOMAXPROCS-1, at
	// least 1): the rest of the cores score vectors.
	Slots int
	// Queue is how many checks of logins not in good standing may wait
	// for a slot (default 4 per slot); one more is refused.
	Queue int
	// Overall is the instance's budget (default 8 checks a second per
	// slot, about half the slots' time, burst the same). Logins in good
	// standing draw on it but are never refused by it: they wait for a
	// slot.
	Overall Rate
	// PerClient is each client's (default 1 a second, burst 10).
	PerClient Rate
	// PerUser is each user's (default 1 every 10 s, burst 10: twice the
	// failures one client may make before it backs off, so one client's
	// failures never spend a user's budget).
	PerUser Rate
}

func (b *LoginBudget) defaults() {
	if b.Slots <= 0 {
		b.Slots = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if b.Queue <= 0 {
		b.Queue = 4 * b.Slots
	}
	def := func(r *Rate, perSecond, burst float64) {
		if r.PerSecond == 0 {
			r.PerSecond = perSecond
		}
		if r.Burst <= 0 {
			r.Burst = burst
		}
	}
	def(&b.Overall, 8*float64(b.Slots), 8*float64(b.Slots))
	def(&b.PerClient, 1, 10)
	def(&b.PerUser, 0.1, 10)
}

// bucket is one token bucket's state.
type bucket struct {
	tokens float64
	at     time.Time
}

// level refills b to now and returns its tokens.
func (b *bucket) level(r Rate, now time.Time) float64 {
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = min(r.Burst, b.tokens+dt*r.PerSecond)
		b.at = now
	}
	return b.tokens
}

// allows reports whether a login of this cost may draw on b: the tokens
// must cover it (all of the burst, for a cost above it), down to -Burst
// for a login in good standing.
func (b *bucket) allows(r Rate, now time.Time, cost float64, good bool) bool {
	if r.PerSecond < 0 {
		return true
	}
	floor := 0.0
	if good {
		floor = -r.Burst
	}
	return b.level(r, now)-min(cost, r.Burst) >= floor
}

func (b *bucket) take(r Rate, cost float64) {
	if r.PerSecond >= 0 {
		b.tokens -= cost
	}
}

// maxKeyed bounds the buckets kept per client and per user; a bucket is
// dropped once full again (a new one is full).
const maxKeyed = 1 << 16

// keyed is a set of buckets by key.
type keyed struct {
	rate  Rate
	m     map[string]*bucket
	swept time.Time
}

// get returns key's bucket, nil when the set is full of buckets in use.
func (k *keyed) get(key string, now time.Time) *bucket {
	if b := k.m[key]; b != nil {
		return b
	}
	if len(k.m) >= maxKeyed || now.Sub(k.swept) > time.Minute {
		k.sweep(now)
	}
	if len(k.m) >= maxKeyed {
		return nil
	}
	b := &bucket{tokens: k.rate.Burst, at: now}
	k.m[key] = b
	return b
}

func (k *keyed) sweep(now time.Time) {
	k.swept = now
	for key, b := range k.m {
		if b.level(k.rate, now) >= k.rate.Burst {
			delete(k.m, key)
		}
	}
}

// Budget scopes: which bucket refused a login (the log's scope).
const (
	scopeOverall = "overall"
	scopeClient  = "client"
	scopeUser    = "user"
	scopeQueue   = "queue"
)

// budgets holds the token buckets of a service.
type budgets struct {
	mu      sync.Mutex
	cfg     LoginBudget
	overall bucket
	clients keyed
	users   keyed
}

func newBudgets(cfg LoginBudget, now time.Time) *budgets {
	return &budgets{cfg: cfg, overall: bucket{tokens: cfg.Overall.Burst, at: now},
		clients: keyed{rate: cfg.PerClient, m: map[string]*bucket{}, swept: now},
		users:   keyed{rate: cfg.PerUser, m: map[string]*bucket{}, swept: now}}
}

// take draws cost from the client's, the user's and the overall bucket if
// all three allow it, else from none; scope names the first that refused
// ("" when taken). refund gives the tokens back (the pool refused the
// login after all).
func (b *budgets) take(client, user string, cost float64, good bool, now time.Time) (scope string, refund func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	scope, cb, ub := b.check(client, user, cost, good, now)
	if scope != "" {
		return scope, nil
	}
	for _, x := range []struct {
		b *bucket
		r Rate
	}{{cb, b.cfg.PerClient}, {ub, b.cfg.PerUser}, {&b.overall, b.cfg.Overall}} {
		if x.b != nil {
			x.b.take(x.r, cost)
		}
	}
	return "", func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, x := range []struct {
			b *bucket
			r Rate
		}{{cb, b.cfg.PerClient}, {ub, b.cfg.PerUser}, {&b.overall, b.cfg.Overall}} {
			if x.b != nil {
				x.b.take(x.r, -cost)
			}
		}
	}
}

// wouldRefuse is take's answer without taking anything: the scope that
// would refuse a login of this cost, "" when none would.
func (b *budgets) wouldRefuse(client, user string, cost float64, good bool, now time.Time) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	scope, _, _ := b.check(client, user, cost, good, now)
	return scope
}

// check finds the buckets of client and user and the first that refuses.
func (b *budgets) check(client, user string, cost float64, good bool, now time.Time) (scope string, cb, ub *bucket) {
	cb, ub = b.clients.get(client, now), b.users.get(user, now)
	switch {
	case cb == nil && !good, cb != nil && !cb.allows(b.cfg.PerClient, now, cost, good):
		return scopeClient, cb, ub
	case ub == nil && !good, ub != nil && !ub.allows(b.cfg.PerUser, now, cost, good):
		return scopeUser, cb, ub
	case !good && !b.overall.allows(b.cfg.Overall, now, cost, false):
		return scopeOverall, cb, ub
	}
	return "", cb, ub
}

// maxGood bounds the (user, client) pairs remembered in good standing.
const maxGood = 1 << 17

// goodPairs remembers the (user, client) pairs this instance saw in good
// standing (a success recorded or read, no failure since), so that while a
// budget is spent a login is refused without reading the store unless it
// may be in good standing: a flood's refusals cost no store reads. A pair
// not remembered (after a restart) is read from the store when the budget
// allows, and refused over budget while it does not.
type goodPairs struct {
	mu sync.Mutex
	m  map[[2]string]struct{}
}

func newGoodPairs() *goodPairs { return &goodPairs{m: map[[2]string]struct{}{}} }

func (g *goodPairs) has(user, client string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.m[[2]string{user, client}]
	return ok
}

func (g *goodPairs) set(user, client string, good bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := [2]string{user, client}
	if !good {
		delete(g.m, k)
		return
	}
	if len(g.m) >= maxGood {
		for k := range g.m { // map order is random: drop about half
			if len(g.m) < maxGood/2 {
				break
			}
			delete(g.m, k)
		}
	}
	g.m[k] = struct{}{}
}

// checkPool holds the slots of a login's CPU work: at most slots run at
// once (one on 2 cores), so logins never take every core from the vectors,
// however many login partitions a flood fills. Two kinds of work take a
// slot: a login's opening (decoding, the seal: lane) and its argon2id
// check (acquire). Waiters are served in order, checks of logins in good
// standing first; at most queue checks of other logins wait (one more is
// refused), while openings always wait (one per login partition at most).
// It is a semaphore with two FIFO queues: x/sync/semaphore has one queue
// and no bound on it.
type checkPool struct {
	mu     sync.Mutex
	free   int
	queue  int
	good   []chan struct{}
	rest   []waiter
	checks int // checks among rest
}

type waiter struct {
	ch    chan struct{}
	check bool
}

func newCheckPool(slots, queue int) *checkPool { return &checkPool{free: slots, queue: queue} }

// acquire waits for a slot for a check and returns its release; ok is
// false when the login is not in good standing and queue other checks
// wait already. err is ctx's when it ends first.
func (p *checkPool) acquire(ctx context.Context, good bool) (release func(), ok bool, err error) {
	return p.wait(ctx, good, true)
}

// lane waits for a slot for a login's opening.
func (p *checkPool) lane(ctx context.Context) (release func(), err error) {
	release, _, err = p.wait(ctx, false, false)
	return release, err
}

func (p *checkPool) wait(ctx context.Context, good, check bool) (release func(), ok bool, err error) {
	p.mu.Lock()
	if p.free > 0 && len(p.good) == 0 && (good || len(p.rest) == 0) {
		p.free--
		p.mu.Unlock()
		return p.release, true, nil
	}
	if check && !good && p.checks >= p.queue {
		p.mu.Unlock()
		return nil, false, nil
	}
	ch := make(chan struct{})
	if good {
		p.good = append(p.good, ch)
	} else {
		p.rest = append(p.rest, waiter{ch, check})
		if check {
			p.checks++
		}
	}
	p.mu.Unlock()
	select {
	case <-ch:
		return p.release, true, nil
	case <-ctx.Done():
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.remove(ch) {
			p.releaseLocked() // handed a slot as ctx ended: pass it on
		}
		return nil, false, ctx.Err()
	}
}

// remove takes ch out of the queues; false if it was handed a slot.
func (p *checkPool) remove(ch chan struct{}) bool {
	for i, c := range p.good {
		if c == ch {
			p.good = append(p.good[:i], p.good[i+1:]...)
			return true
		}
	}
	for i, w := range p.rest {
		if w.ch == ch {
			p.rest = append(p.rest[:i], p.rest[i+1:]...)
			if w.check {
				p.checks--
			}
			return true
		}
	}
	return false
}

func (p *checkPool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releaseLocked()
}

// releaseLocked hands the slot to the first waiter, or frees it.
func (p *checkPool) releaseLocked() {
	switch {
	case len(p.good) > 0:
		close(p.good[0])
		p.good = p.good[1:]
	case len(p.rest) > 0:
		w := p.rest[0]
		p.rest = p.rest[1:]
		if w.check {
			p.checks--
		}
		close(w.ch)
	default:
		p.free++
	}
}

// waiting returns the work waiting for a slot.
func (p *checkPool) waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.good) + len(p.rest)
}

// burstLog logs refusals once per burst: the first refusal after a quiet
// spell of at least quiet, then at most one line per every with the
// number refused since. A flood of refusals writes a few lines, not one
// per message.
type burstLog struct {
	mu     sync.Mutex
	log    *slog.Logger
	quiet  time.Duration
	every  time.Duration
	scopes map[string]*burst
}

type burst struct {
	last, logged time.Time
	count        int // refused since the last line
}

func newBurstLog(log *slog.Logger) *burstLog {
	return &burstLog{log: log, quiet: 10 * time.Second, every: time.Minute, scopes: map[string]*burst{}}
}

// refused notes one refusal of kind in scope (msg is the log's message)
// and logs it if it starts a burst or a minute passed since the last line.
func (l *burstLog) refused(now time.Time, msg, scope, user, client string) {
	l.mu.Lock()
	b := l.scopes[msg+"/"+scope]
	if b == nil {
		b = &burst{}
		l.scopes[msg+"/"+scope] = b
	}
	start := b.last.IsZero() || now.Sub(b.last) >= l.quiet
	b.last = now
	b.count++
	if !start && now.Sub(b.logged) < l.every {
		l.mu.Unlock()
		return
	}
	n := b.count
	b.count, b.logged = 0, now
	l.mu.Unlock()
	if start {
		l.log.Warn(msg+": refusing logins without checking them; logged once per burst (the logins metric counts each)",
			"scope", scope, "user", user, "client", client)
		return
	}
	l.log.Warn(msg+": still refusing logins", "scope", scope, "refused", n, "user", user, "client", client)
}

// OneClientBudget is the budget of a service whose logins all come from one
// client playing many users at once (replay and the benches run one in
// process): no per-client or overall limit and no bound on the queue; the
// per-user budget and the check pool stay. Not for a service that clients
// other than the operator's reach.
func OneClientBudget() LoginBudget {
	return LoginBudget{Queue: 1 << 20, Overall: Rate{PerSecond: -1}, PerClient: Rate{PerSecond: -1}}
}
