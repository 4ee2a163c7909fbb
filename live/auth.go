package live

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/wire"
	"github.com/mouseauth/mouseauth/pki"
)

// Lockout is the first factor's backoff policy. Failures are counted in
// the store per (user, client) and per user, never as one lock on the
// user: failures sent from one client make that client wait, not the
// user's other clients.
//
//   - A client may fail MaxFailures times in a row for a user; after the
//     n-th failure it waits 2^(n-MaxFailures) seconds, at most LockFor,
//     from its latest failure. Its logins meanwhile are refused unchecked.
//   - After UserFailures failures in a row from all of a user's clients,
//     clients not in good standing with the user wait the same way from
//     the user's latest failure: the guesses of an attacker who names a
//     new client each time are slowed as one client's, while a client that
//     logged the user in before and has not failed since is never made to
//     wait.
//
// An accepted login resets the user's count and its client's.
type Lockout struct {
	MaxFailures  int           // default 5
	LockFor      time.Duration // the longest wait, default 15 minutes
	UserFailures int           // default 4 × MaxFailures
}

func (l *Lockout) defaults() {
	if l.MaxFailures <= 0 {
		l.MaxFailures = 5
	}
	if l.LockFor <= 0 {
		l.LockFor = 15 * time.Minute
	}
	if l.UserFailures <= 0 {
		l.UserFailures = 4 * l.MaxFailures
	}
}

// Wait returns how long after its latest failure a count of failures in a
// row makes a client wait, when free failures are allowed without one:
// 0 below free, then 1 s doubling with each failure, at most LockFor.
func (l Lockout) Wait(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	n := failures - free
	if n >= 30 || time.Second<<n > l.LockFor {
		return l.LockFor
	}
	return time.Second << n
}

// ClientUntil is when a client with this record may next be checked.
func (l Lockout) ClientUntil(f store.ClientFailures) time.Time {
	if f.Failures == 0 || f.LastFailure.IsZero() {
		return time.Time{}
	}
	return f.LastFailure.Add(l.Wait(f.Failures, l.MaxFailures))
}

// UserUntil is when a client not in good standing may next be checked for
// a user with this credential.
func (l Lockout) UserUntil(c store.Credential) time.Time {
	if c.Failures == 0 || c.LastFailure.IsZero() {
		return time.Time{}
	}
	return c.LastFailure.Add(l.Wait(c.Failures, l.UserFailures))
}

// RefusedReason is the one reason a refused login's decision gives the
// client, whatever the cause: telling "unknown user" from "wrong password"
// or "backing off" would let anyone list the accounts. The cause goes to
// the log and to the logins metric's result label.
const RefusedReason = "login refused"

// Login results: the logins metric's result label and the log's result.
// Clients only ever see accepted or [RefusedReason].
const (
	LoginAccepted = "accepted"
	// The first factor.
	LoginUnknownUser   = "unknown user"
	LoginWrongPassword = "wrong password"
	LoginBackoff       = "backing off" // refused unchecked: the client, or the user on clients not in good standing, failed repeatedly
	LoginOverBudget    = "over budget" // refused unchecked: a login budget is spent or the check pool's queue is full
	LoginBadHash       = "bad stored hash"
	// The session: a login for a session that exists is a redelivery only
	// with the same session key and while the session raised no alert.
	LoginOtherKey = "session exists with another key"
	LoginAlerted  = "session alerted"
	LoginNoKey    = "stored session key does not open"
)

// dummyHash is what an unknown user's password is checked against, so
// that a refusal takes as long as a wrong password and its timing does not
// tell the cases apart.
var dummyHash = sync.OnceValue(func() string {
	b := make([]byte, 16)
	rand.Read(b)
	h, err := account.HashPassword(base64.RawStdEncoding.EncodeToString(b), account.DefaultArgon2)
	if err != nil {
		panic(err) // argon2 with the default parameters and a random salt does not fail
	}
	return h
})

// loginClient is who sent a login, as far as the scorer can tell: the key
// of the per-client budget and of the (user, client) failure count.
// Verified says the name is a client identity bound to the login's user
// (its certificate names the user); such a client is in good standing
// until it fails. Any other name is in good standing only once it logged
// the user in.
type loginClient struct {
	name     string
	verified bool
}

// clientOf returns the client of l, a login signed by the client identity
// id (identity.go). A workstation's identity, bound to its users, is the
// client. The shared identity, bound to every user, plays many
// workstations (replay, the benches): its client is the identity and the
// workstation its login names ("replay/ws-17"), a name the holder of the
// shared key chooses, so never verified.
func clientOf(id pki.Identity, l wire.Login) loginClient {
	if id.Binding.AnyUser {
		return loginClient{name: id.Name + "/" + l.Client}
	}
	return loginClient{name: id.Name, verified: true}
}

// firstFactor is the first factor's state shared by a service's workers:
// the budgets, the check pool, the failure records of unknown users (kept
// in memory, so that an unknown user backs off as a known one does and the
// timing of a refusal tells nothing) and the burst log.
type firstFactor struct {
	budgets *budgets
	pool    *checkPool
	good    *goodPairs
	unknown *unknownFailures
	log     *burstLog
}

func newFirstFactor(cfg *Config) *firstFactor {
	return &firstFactor{budgets: newBudgets(cfg.Budget, cfg.Now()), pool: newCheckPool(cfg.Budget.Slots, cfg.Budget.Queue),
		good: newGoodPairs(), unknown: newUnknownFailures(), log: newBurstLog(cfg.Logger)}
}

// checkFirstFactor applies the first factor to l from client, every time a login is
// processed (a redelivery included), in this order: backoff, budgets, the
// check pool, argon2id. Failures are counted in the store with atomic
// operations, so concurrent guesses from any number of workers or
// instances each count. A refusal before the check costs no check and
// teaches nothing. It creates and changes no session; an accepted
// login's success is recorded by the caller once the login opened a new
// session (recordSuccess). It returns the result (LoginAccepted or a
// refusal's cause), whether the user and client are in good standing, and
// an error only for a store failure or ctx's end, for the caller to retry.
func (w *worker) checkFirstFactor(ctx context.Context, l wire.Login, client loginClient, now time.Time) (result string, st standing, err error) {
	s := w.s
	ff, lo := s.first, s.cfg.Lockout
	// While a budget is spent, a login that cannot be in good standing is
	// refused before it costs a store read (a flood's refusals cost none).
	if scope := ff.budgets.wouldRefuse(client.name, l.User, 1, ff.good.has(l.User, client.name), now); scope != "" {
		ff.log.refused(now, "login budget spent", scope, l.User, client.name)
		return LoginOverBudget, st, nil
	}
	known := true
	err = s.retry(ctx, "credential", func() (err error) { st.cred, err = s.cfg.Credentials.Credential(ctx, l.User); return err })
	switch {
	case errors.Is(err, store.ErrNotFound):
		known = false
		st.cred, st.pair = ff.unknown.get(l.User, client.name)
	case err != nil:
		return "", st, err
	default:
		err = s.retry(ctx, "client failures", func() (err error) {
			st.pair, err = s.cfg.Credentials.ClientFailures(ctx, l.User, client.name)
			return err
		})
		if err != nil {
			return "", st, err
		}
	}
	st.good = st.pair.Failures == 0 && (client.verified || !st.pair.LastSuccess.IsZero())
	ff.good.set(l.User, client.name, st.good)
	for _, b := range []struct {
		scope string
		until time.Time
	}{{scopeClient, lo.ClientUntil(st.pair)}, {scopeUser, lo.UserUntil(st.cred)}} {
		if now.Before(b.until) && (b.scope == scopeClient || !st.good) {
			ff.log.refused(now, "backing off after repeated failures", b.scope, l.User, client.name)
			return LoginBackoff, st, nil
		}
	}
	hash, cost := dummyHash(), 1.0
	if known {
		hash, cost = st.cred.Hash, account.HashCost(st.cred.Hash)
	}
	scope, refund := ff.budgets.take(client.name, l.User, cost, st.good, now)
	if scope != "" {
		ff.log.refused(now, "login budget spent", scope, l.User, client.name)
		return LoginOverBudget, st, nil
	}
	release, ok, err := ff.pool.acquire(ctx, st.good)
	switch {
	case err != nil:
		refund()
		return "", st, err
	case !ok:
		refund()
		ff.log.refused(now, "login budget spent", scopeQueue, l.User, client.name)
		return LoginOverBudget, st, nil
	}
	match, err := account.VerifyPassword(l.Password, hash)
	release()
	switch {
	case !known:
		ff.unknown.fail(l.User, client.name, now)
		return LoginUnknownUser, st, nil
	case err != nil:
		s.cfg.Logger.Error("the stored password hash is not argon2id; refusing the login", "user", l.User, "err", err)
		return LoginBadHash, st, nil
	case match:
		return LoginAccepted, st, nil
	}
	var cred store.Credential
	var pair store.ClientFailures
	ff.good.set(l.User, client.name, false)
	err = s.retry(ctx, "record failure", func() (err error) {
		cred, pair, err = s.cfg.Credentials.RecordFailure(ctx, l.User, client.name, now)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound): // the credential was deleted meanwhile
		return LoginUnknownUser, st, nil
	case err != nil:
		return "", st, err
	}
	if pair.Failures == lo.MaxFailures {
		s.cfg.Logger.Warn("client backing off after repeated failures", "user", l.User, "client", client.name, "failures", pair.Failures,
			"until", lo.ClientUntil(pair).UTC())
	}
	if cred.Failures == lo.UserFailures {
		s.cfg.Logger.Warn("user backing off on clients not in good standing after repeated failures", "user", l.User, "failures", cred.Failures,
			"until", lo.UserUntil(cred).UTC())
	}
	return LoginWrongPassword, st, nil
}

// standing is what the first factor read of a login's user and client.
type standing struct {
	cred store.Credential
	pair store.ClientFailures
	good bool
}

// successAge is how old a client's last success may grow before an
// accepted login records a new one: a login from a client in good
// standing with nothing to reset writes nothing.
const successAge = 24 * time.Hour

// recordSuccess records an accepted login that opened a new session:
// the user's and the client's failure counts go to 0 and the client is in
// good standing. Resending a recorded login opens no session, so it
// resets nothing.
func (w *worker) recordSuccess(ctx context.Context, l wire.Login, client loginClient, st standing, now time.Time) error {
	s := w.s
	if st.cred.Failures == 0 && st.pair.Failures == 0 && !st.pair.LastSuccess.IsZero() && now.Sub(st.pair.LastSuccess) < successAge {
		return nil
	}
	err := s.retry(ctx, "record success", func() error { return s.cfg.Credentials.RecordSuccess(ctx, l.User, client.name, now) })
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err == nil {
		s.first.good.set(l.User, client.name, true)
	}
	return err
}

// maxUnknown bounds the unknown users' failure records kept.
const maxUnknown = 1 << 16

// unknownFailures keeps the failure records of users with no credential,
// as the store keeps a known user's: an unknown user backs off as a known
// one does, so a backoff's fast refusal does not tell that a user exists.
// Per instance and in memory: there is no password to guess.
type unknownFailures struct {
	mu    sync.Mutex
	users map[string]store.Credential
	pairs map[[2]string]store.ClientFailures
}

func newUnknownFailures() *unknownFailures {
	return &unknownFailures{users: map[string]store.Credential{}, pairs: map[[2]string]store.ClientFailures{}}
}

func (u *unknownFailures) get(user, client string) (store.Credential, store.ClientFailures) {
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.users[user]
	c.User = user
	p := u.pairs[[2]string{user, client}]
	p.User, p.Client = user, client
	return c, p
}

func (u *unknownFailures) fail(user, client string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.users) >= maxUnknown || len(u.pairs) >= maxUnknown {
		// A flood of names: start again (the records only keep timing
		// alike; a known user's are in the store).
		clear(u.users)
		clear(u.pairs)
	}
	c := u.users[user]
	c.Failures++
	c.LastFailure = later(c.LastFailure, now)
	u.users[user] = c
	k := [2]string{user, client}
	p := u.pairs[k]
	p.Failures++
	p.LastFailure = later(p.LastFailure, now)
	u.pairs[k] = p
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Backoff is one failure record of the first factor, for an operator: a
// (user, client) pair's, or with Client "" the user's own count (which
// makes clients not in good standing wait).
type Backoff struct {
	User, Client string
	Failures     int
	LastFailure  time.Time
	LastSuccess  time.Time // pairs: the latest accepted login from the client
	// Until is when the client (or, for the user's own record, a client
	// not in good standing) may next be checked under the policy; zero
	// when it need not wait.
	Until time.Time
}

// Backoffs lists every record of creds with failures, and how long each
// waits at now under policy (zero fields: the service's defaults).
func Backoffs(ctx context.Context, creds store.Credentials, policy Lockout, now time.Time) ([]Backoff, error) {
	policy.defaults()
	recs, err := creds.Lockouts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Backoff, 0, len(recs))
	for _, r := range recs {
		b := Backoff{User: r.User, Client: r.Client, Failures: r.Failures, LastFailure: r.LastFailure, LastSuccess: r.LastSuccess}
		until := policy.ClientUntil(r)
		if r.Client == "" {
			until = policy.UserUntil(store.Credential{Failures: r.Failures, LastFailure: r.LastFailure})
		}
		if now.Before(until) {
			b.Until = until
		}
		out = append(out, b)
	}
	return out, nil
}

// Unlock clears user's failure counts in creds: the (user, client) pair's,
// or with client "" the user's own and every client's. A running service
// reads the counts at each login: the next login is checked. The login
// budgets (in the service's memory) refill in seconds.
func Unlock(ctx context.Context, creds store.Credentials, user, client string) error {
	err := creds.Unlock(ctx, user, client)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("unlock %q: no such user: %w", user, err)
	}
	return err
}
