package replay

import (
	"context"
	"errors"
	"fmt"

	"github.com/mouseauth/mouseauth/preprocess"
)

// Source says where the sessions of a replay come from: the raw logs of
// Data (DFL or Balabit layout, cleaned and vectorised with
// [preprocess.Clean]) or, when Data is empty, synthetic users.
type Source struct {
	Data string
	// Users is how many users are replayed: the first ones of Data, or
	// this many synthetic users.
	Users int
	// Sessions and Actions per synthetic user and session; Seed draws
	// them.
	Sessions, Actions int
	Seed              uint64
}

// Load returns the users of src. Every model is trained against the other
// users, so fewer than two is an error, as is a Data folder with fewer
// users than asked for. Unreadable files of Data are reported through
// problem and skipped.
func (src Source) Load(ctx context.Context, problem func(error)) ([]UserSessions, error) {
	var users []UserSessions
	var err error
	if src.Data != "" {
		if users, err = FromDir(ctx, src.Data, preprocess.Clean, problem); err != nil {
			return nil, err
		}
		if len(users) < src.Users {
			return nil, fmt.Errorf("%s has %d users; %d asked for", src.Data, len(users), src.Users)
		}
		users = users[:src.Users]
	} else if users, err = Synthetic(ctx, src.Users, src.Sessions, src.Actions, src.Seed); err != nil {
		return nil, err
	}
	if len(users) < 2 {
		return nil, errors.New("replay needs at least 2 users: each model is trained against the other users")
	}
	return users, nil
}

// Names returns the users' names in order.
func Names(users []UserSessions) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.User
	}
	return out
}
