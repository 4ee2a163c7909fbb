package live

import (
	"time"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

// Lockout is the first factor's lockout policy: after MaxFailures
// consecutive failures the account is locked for LockFor.
type Lockout struct {
	MaxFailures int           // default 5
	LockFor     time.Duration // default 15 minutes
}

// LoginResult is the outcome of [CheckLogin].
type LoginResult struct {
	Accept      bool
	Reason      string // empty when accepted: "unknown user", "wrong password", "locked"
	Failures    int    // the new consecutive-failure count
	LockedUntil time.Time
}

// CheckLogin applies the first factor to a credential at time now. It is
// pure apart from the hash computation; the caller stores Failures and
// LockedUntil. A locked account is refused without checking the password,
// so guessing during a lock teaches nothing.
func CheckLogin(c store.Credential, password string, now time.Time, l Lockout) LoginResult {
	if l.MaxFailures <= 0 {
		l.MaxFailures = 5
	}
	if l.LockFor <= 0 {
		l.LockFor = 15 * time.Minute
	}
	if now.Before(c.LockedUntil) {
		return LoginResult{Reason: "locked", Failures: c.Failures, LockedUntil: c.LockedUntil}
	}
	ok, err := account.VerifyPassword(password, c.Hash)
	if err != nil {
		return LoginResult{Reason: "bad stored hash", Failures: c.Failures}
	}
	if ok {
		return LoginResult{Accept: true}
	}
	r := LoginResult{Reason: "wrong password", Failures: c.Failures + 1}
	if r.Failures >= l.MaxFailures {
		r.LockedUntil = now.Add(l.LockFor)
	}
	return r
}
