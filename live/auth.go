package live

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/wire"
)

// Lockout is the first factor's lockout policy: after MaxFailures
// consecutive failures the account is locked for LockFor.
type Lockout struct {
	MaxFailures int           // default 5
	LockFor     time.Duration // default 15 minutes
}

// RefusedReason is the one reason a refused login's decision gives the
// client, whatever the cause: telling "unknown user" from "wrong password"
// or "locked" would let anyone list the accounts. The cause goes to the
// log and to the logins metric's result label.
const RefusedReason = "login refused"

// Login results: the logins metric's result label and the log's result.
// Clients only ever see accepted or [RefusedReason].
const (
	LoginAccepted = "accepted"
	// The first factor.
	LoginUnknownUser   = "unknown user"
	LoginWrongPassword = "wrong password"
	LoginLocked        = "locked"
	LoginBadHash       = "bad stored hash"
	// The session: a login for a session that exists is a redelivery only
	// with the same session key and while the session raised no alert.
	LoginOtherKey = "session exists with another key"
	LoginAlerted  = "session alerted"
	LoginNoKey    = "stored session key does not open"
)

// dummyHash is what an unknown user's or a locked account's password is
// checked against, so that a refusal takes as long as a wrong password
// and its timing does not tell the cases apart.
var dummyHash = sync.OnceValue(func() string {
	b := make([]byte, 16)
	rand.Read(b)
	h, err := account.HashPassword(base64.RawStdEncoding.EncodeToString(b), account.DefaultArgon2)
	if err != nil {
		panic(err) // argon2 with the default parameters and a random salt does not fail
	}
	return h
})

// firstFactor checks l's password for its user, every time a login is
// processed (a redelivery included), and keeps the lockout count in the
// store with atomic operations: a wrong password is RecordFailure, so
// concurrent guesses from any number of workers or instances each count. A
// locked account is refused without checking the password, so guessing
// during a lock teaches nothing. It creates and changes no session. It
// returns the result (LoginAccepted or a refusal's cause) and, for an
// accepted login, whether the user's failure count must be reset (the
// caller resets it once the login opened a new session); an error is a
// store failure, for the caller to retry.
func (w *worker) firstFactor(ctx context.Context, l wire.Login, now time.Time) (result string, reset bool, err error) {
	s := w.s
	var cred store.Credential
	err = s.retry(ctx, "credential", func() (err error) { cred, err = s.cfg.Credentials.Credential(ctx, l.User); return err })
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, _ = account.VerifyPassword(l.Password, dummyHash())
		return LoginUnknownUser, false, nil
	case err != nil:
		return "", false, err
	}
	if now.Before(cred.LockedUntil) {
		_, _ = account.VerifyPassword(l.Password, dummyHash())
		return LoginLocked, false, nil
	}
	ok, err := account.VerifyPassword(l.Password, cred.Hash)
	if err != nil {
		s.cfg.Logger.Error("the stored password hash is not argon2id; refusing the login", "user", l.User, "err", err)
		return LoginBadHash, false, nil
	}
	if ok {
		return LoginAccepted, cred.Failures != 0 || !cred.LockedUntil.IsZero(), nil
	}
	lo := s.cfg.Lockout
	var failures int
	var until time.Time
	err = s.retry(ctx, "record failure", func() (err error) {
		failures, until, err = s.cfg.Credentials.RecordFailure(ctx, l.User, now, lo.MaxFailures, lo.LockFor)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound): // the credential was deleted meanwhile
		return LoginUnknownUser, false, nil
	case err != nil:
		return "", false, err
	}
	if now.Before(until) {
		s.cfg.Logger.Warn("account locked after repeated failures", "user", l.User, "failures", failures, "until", until.UTC())
	}
	return LoginWrongPassword, false, nil
}
