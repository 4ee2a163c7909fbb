package replay

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
)

// LoadOptions configure [PlanLoad].
type LoadOptions struct {
	Users   int // load users to enrol
	Vectors int // vectors each sends
	Train   account.TrainOptions
	Argon2  account.Argon2Params // cheap hashing: the load is on the second factor
	Now     time.Time
	// Progress, when set, is called as users are enrolled.
	Progress func(done int)
}

// PlanLoad enrols o.Users load users named load00001, ... for a load test.
// Only the base users' models are trained (on their first session); load
// user k gets base user k mod len(base)'s model and replays that user's
// later sessions' vectors, cycled to o.Vectors, so scores look like a
// genuine user's.
func PlanLoad(ctx context.Context, creds store.Credentials, models store.Models, base []UserSessions, o LoadOptions) ([]Session, error) {
	if len(base) < 2 {
		return nil, fmt.Errorf("replay: %d base users; at least 2 are needed", len(base))
	}
	train := make([][][]float64, len(base))
	var pool [][][]float64 // replayable vectors per base user
	for i, u := range base {
		if len(u.Sessions) < 2 {
			return nil, fmt.Errorf("replay: base user %s has %d sessions, want 2 or more", u.User, len(u.Sessions))
		}
		for _, v := range u.Sessions[0] {
			train[i] = append(train[i], v.Values)
		}
		var p [][]float64
		for _, s := range u.Sessions[1:] {
			for _, v := range s {
				p = append(p, v.Values)
			}
		}
		pool = append(pool, p)
	}
	modelsOf := make([][]byte, len(base))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, u := range base {
		g.Go(func() (err error) {
			var others [][]float64
			for j := range base {
				if j != i {
					others = append(others, train[j]...)
				}
			}
			modelsOf[i], err = account.TrainModel(gctx, u.User, 1, train[i], others, o.Train, o.Now)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]Session, o.Users)
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0) * 2)
	var mu sync.Mutex
	done := 0
	for k := range out {
		b := k % len(base)
		name := fmt.Sprintf("load%05d", k+1)
		pw := account.NewPassword()
		vs := make([]Timed, o.Vectors)
		for i := range vs {
			vs[i] = Timed{Values: pool[b][(k+i)%len(pool[b])]}
		}
		out[k] = Session{User: name, LoginAs: name, Password: pw, ID: NewSessionID(), Vectors: vs}
		g.Go(func() error {
			a := o.Argon2
			_, err := account.Enroll(gctx, creds, models, account.Enrolment{User: name, Department: "load", Password: pw,
				Model: modelsOf[b], Now: o.Now, Argon2: &a})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			done++
			if o.Progress != nil {
				o.Progress(done)
			}
			return nil
		})
	}
	return out, g.Wait()
}
