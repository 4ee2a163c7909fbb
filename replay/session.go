package replay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/mouseauth/mouseauth/dataset"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Timed is one action's feature vector and when, after the session's first
// event, the client has it (the action's last event).
type Timed struct {
	At     time.Duration
	Values []float64
}

// Session is one recorded session to replay.
type Session struct {
	User    string // whose mouse data this is
	ID      string // session id: NewSessionID's, unique and unguessable
	LoginAs string // the account logged into: User, or another user's for an impostor
	// Password is LoginAs's password, held in memory only.
	Password string
	Vectors  []Timed
}

// NewSessionID returns a fresh session id: 128 random bits in hex. A
// session id must not be guessable: one known in advance lets anyone send
// messages naming the session before its login does.
func NewSessionID() string {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand never fails since Go 1.24
	return hex.EncodeToString(b)
}

// Impostor reports whether the session is replayed under another login.
func (s Session) Impostor() bool { return s.LoginAs != s.User }

// Vectorize segments events into actions and extracts their features, as
// the client would while the user works.
func Vectorize(events []dataset.Event, compat preprocess.Compat) []Timed {
	if len(events) == 0 {
		return nil
	}
	t0 := events[0].T
	var out []Timed
	ex := &preprocess.Extractor{Compat: compat}
	s := preprocess.NewSegmenter(preprocess.SegmentOptions{Compat: compat}, func(a preprocess.Action) {
		f := ex.Extract(a)
		end := a.Events[len(a.Events)-1].T
		out = append(out, Timed{At: time.Duration((end - t0) * float64(time.Second)), Values: append([]float64(nil), f[:]...)})
	})
	s.PushAll(events)
	s.Flush()
	return out
}

// UserSessions is one user's sessions in chronological order, as vectors.
type UserSessions struct {
	User     string
	Sessions [][]Timed
	IDs      []string
}

// Synthetic generates users synthetic users with sessions sessions each
// (dataset.SynthUser) and vectorises them.
func Synthetic(ctx context.Context, users, sessions, actions int, seed uint64) ([]UserSessions, error) {
	opts := dataset.SynthOptions{Users: users, Sessions: sessions, Actions: actions, Seed: seed}
	var out []UserSessions
	for u := 1; u <= users; u++ {
		bufs := map[string]*bytes.Buffer{}
		var names []string
		_, err := dataset.SynthUser(ctx, opts, u, func(user, session string) (io.WriteCloser, error) {
			b := &bytes.Buffer{}
			bufs[session] = b
			names = append(names, session)
			return nopCloser{b}, nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		us := UserSessions{User: "User" + strconv.Itoa(u)}
		for _, n := range names {
			r, err := dataset.NewReader(bufs[n], n, dataset.ReadOptions{})
			if err != nil {
				return nil, err
			}
			var evs []dataset.Event
			for {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return nil, err
				}
				evs = append(evs, e)
			}
			clean, _ := dataset.Clean(evs, dataset.CleanOptions{})
			us.Sessions = append(us.Sessions, Vectorize(clean, preprocess.Clean))
			us.IDs = append(us.IDs, n)
		}
		out = append(out, us)
	}
	return out, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// FromDir reads every session under root (dataset.Walk layouts), cleans it
// and vectorises it. Users come in dataset.Walk's order, sessions in file
// name order. Unreadable files are reported through problem and skipped.
func FromDir(ctx context.Context, root string, compat preprocess.Compat, problem func(error)) ([]UserSessions, error) {
	sessions, problems, err := dataset.Walk(root)
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		problem(p)
	}
	var out []UserSessions
	for _, s := range sessions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		evs, _, _, err := dataset.ReadFile(s.Path, dataset.ReadOptions{})
		if err != nil {
			problem(err)
			continue
		}
		clean, _ := dataset.Clean(evs, dataset.CleanOptions{})
		if len(out) == 0 || out[len(out)-1].User != s.User {
			out = append(out, UserSessions{User: s.User})
		}
		u := &out[len(out)-1]
		u.Sessions = append(u.Sessions, Vectorize(clean, compat))
		u.IDs = append(u.IDs, s.ID)
	}
	return out, nil
}
