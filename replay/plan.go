package replay

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

// PlanOptions configure [Plan].
type PlanOptions struct {
	// TrainSessions is how many of each user's first sessions train the
	// model (default: half, at least 1); the rest are replayed.
	TrainSessions int
	// Impostors is how many sessions are replayed a second time under
	// another user's login.
	Impostors int
	// MaxActions caps the vectors replayed per session (0 = all).
	MaxActions int
	Train      account.TrainOptions
	// Argon2 overrides account.DefaultArgon2 for the enrolled passwords
	// (tests whose subject is not the first factor use cheap parameters).
	Argon2 *account.Argon2Params
	// Password is every replayed user's password: the one a user enrolled
	// already has (Plan never changes a stored password), and the one
	// users not enrolled yet are enrolled with. Empty: users not enrolled
	// get a generated password each, and an enrolled user is an error
	// ([ErrPasswordUnknown]).
	Password string
	Now      time.Time
	// Progress, when set, is called after each user is enrolled.
	Progress func(user string, kept bool)
}

// ErrPasswordUnknown is wrapped by [Plan] when a user is enrolled already
// and no password is given: Plan never overwrites a stored password.
var ErrPasswordUnknown = errors.New("enrolled already, with a password replay does not know")

// Plan enrols the users not enrolled yet (o.Password or a generated one,
// and a model trained on their first sessions against the other users'
// unless one is stored), leaves the enrolled ones' passwords alone, and
// returns the sessions to replay: each user's remaining sessions, then
// o.Impostors of them again under the next user's login, each under a
// fresh [NewSessionID]. It is the scorer's side's work (it writes to the
// credential store); a client replays with [Sessions] instead.
func Plan(ctx context.Context, creds store.Credentials, models store.Models, users []UserSessions, o PlanOptions) ([]Session, error) {
	if len(users) < 2 {
		return nil, fmt.Errorf("replay: %d users; a model needs other users' actions as impostors, so at least 2", len(users))
	}
	split := func(u UserSessions) int {
		n := o.TrainSessions
		if n <= 0 {
			n = max(1, len(u.Sessions)/2)
		}
		return min(n, len(u.Sessions)-1)
	}
	train := make([][][]float64, len(users))
	for i, u := range users {
		if len(u.Sessions) < 2 {
			return nil, fmt.Errorf("replay: user %s has %d sessions; at least 2 are needed (one to train, one to replay)", u.User, len(u.Sessions))
		}
		for _, s := range u.Sessions[:split(u)] {
			for _, v := range s {
				train[i] = append(train[i], v.Values)
			}
		}
	}
	if o.Password == "" {
		var known []string
		for _, u := range users {
			_, err := creds.Credential(ctx, u.User)
			switch {
			case err == nil:
				known = append(known, u.User)
			case !errors.Is(err, store.ErrNotFound):
				return nil, err
			}
		}
		if len(known) > 0 {
			return nil, fmt.Errorf("replay: %s %w: replay never overwrites a password; give it (--password-file, the password of every replayed user) or replay in another --state",
				strings.Join(known, ", "), ErrPasswordUnknown)
		}
	}
	passwords := make([]string, len(users))
	var mu sync.Mutex // Progress is never called twice at once
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, u := range users {
		g.Go(func() error {
			passwords[i] = o.Password
			if passwords[i] == "" {
				passwords[i] = account.NewPassword()
			}
			var model []byte
			if _, err := models.LatestModel(gctx, u.User); err != nil {
				var others [][]float64
				for j := range users {
					if j != i {
						others = append(others, train[j]...)
					}
				}
				if model, err = account.TrainModel(gctx, u.User, 1, train[i], others, o.Train, o.Now); err != nil {
					return err
				}
			}
			kept := false
			if _, err := creds.Credential(gctx, u.User); err == nil {
				// Enrolled already: its password stays; only a missing
				// model is stored.
				if model != nil {
					err := models.PutModel(gctx, store.Model{User: u.User, Version: 1, Data: model, Created: o.Now})
					if err != nil && !errors.Is(err, store.ErrVersionExists) {
						return fmt.Errorf("replay: model of %s: %w", u.User, err)
					}
				}
				kept = true
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			} else if kept, err = account.Enroll(gctx, creds, models, account.Enrolment{User: u.User, Department: "replay", Password: passwords[i], Model: model, Now: o.Now, Argon2: o.Argon2}); err != nil {
				return err
			}
			if o.Progress != nil {
				mu.Lock()
				o.Progress(u.User, kept)
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return Sessions(users, passwords, o), nil
}

// Sessions returns the sessions to replay for users whose passwords (one
// per user, in order) are known, as [Plan] does once they are enrolled:
// each user's sessions after its first o.TrainSessions (default half),
// then o.Impostors of them again under the next user's login, each under a
// fresh [NewSessionID]. It writes nothing: a client replays with it
// against a scorer whose admin enrolled the users.
func Sessions(users []UserSessions, passwords []string, o PlanOptions) []Session {
	split := func(u UserSessions) int {
		n := o.TrainSessions
		if n <= 0 {
			n = max(1, len(u.Sessions)/2)
		}
		return min(n, len(u.Sessions)-1)
	}
	var out []Session
	cut := func(v []Timed) []Timed {
		if o.MaxActions > 0 && len(v) > o.MaxActions {
			return v[:o.MaxActions]
		}
		return v
	}
	for i, u := range users {
		for j := split(u); j < len(u.Sessions); j++ {
			out = append(out, Session{User: u.User, LoginAs: u.User, Password: passwords[i],
				ID: NewSessionID(), Vectors: cut(u.Sessions[j])})
		}
	}
	// Impostor k replays a session of user k mod n (its (k div n)-th
	// replayed session) under the login of the next user in the list, so
	// impostors spread over users and victims.
	byUser := map[string][]Session{}
	for _, x := range out {
		byUser[x.User] = append(byUser[x.User], x)
	}
	for k := 0; k < o.Impostors; k++ {
		i := k % len(users)
		own := byUser[users[i].User]
		g := own[(k/len(users))%len(own)]
		victim := (i + 1) % len(users)
		out = append(out, Session{User: g.User, LoginAs: users[victim].User, Password: passwords[victim],
			ID: NewSessionID(), Vectors: g.Vectors})
	}
	return out
}
