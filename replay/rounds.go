package replay

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Counter reads how many vectors and decisions the profile store holds for
// a user (store.Profiles has this method).
type Counter interface {
	Counts(ctx context.Context, user string) (vectors, decisions int64, err error)
}

// Round is one round of [Rounds]: the replay of the first Users users'
// sessions.
type Round struct {
	Users  int
	Result Result
	// StoredVectors and StoredDecisions are what the store gained during
	// the round: beside Result.Sent and Result.Decided they show that every
	// vector sent was stored and decided exactly once.
	StoredVectors, StoredDecisions int64
}

// RoundProgress is called at the start of each round with its user count
// and the vectors it will send; it returns the round's [Config.Progress]
// and a function called when the round ends (either may be nil).
type RoundProgress func(users int, total int64) (progress func(sent, decided int64), done func())

// Rounds replays, for each count n in counts, the sessions whose user and
// login are both among the first n of users, under fresh session ids (the
// same id again would be, rightly, taken for a redelivery), and reads the
// stored counts of those users before and after the round. A client, which
// cannot read the store, passes a nil stored: the stored counts are then
// -1.
func Rounds(ctx context.Context, cfg Config, stored Counter, users []string, sessions []Session, counts []int, progress RoundProgress) ([]Round, error) {
	sum := func(users []string) (nv, nd int64, err error) {
		if stored == nil {
			return 0, 0, nil
		}
		for _, u := range users {
			v, d, err := stored.Counts(ctx, u)
			if err != nil {
				return 0, 0, err
			}
			nv, nd = nv+v, nd+d
		}
		return nv, nd, nil
	}
	var out []Round
	for _, n := range counts {
		if n > len(users) {
			return out, fmt.Errorf("replay: a round of %d users, but %d users were planned", n, len(users))
		}
		in := map[string]bool{}
		for _, u := range users[:n] {
			in[u] = true
		}
		var round []Session
		var total int64
		for _, s := range sessions {
			if in[s.User] && in[s.LoginAs] {
				s.ID = NewSessionID()
				round = append(round, s)
				total += int64(len(s.Vectors))
			}
		}
		v0, d0, err := sum(users[:n])
		if err != nil {
			return out, err
		}
		c, done := cfg, func() {}
		if progress != nil {
			var p func(sent, decided int64)
			if p, done = progress(n, total); p != nil {
				c.Progress = p
			}
			if done == nil {
				done = func() {}
			}
		}
		res, err := Run(ctx, c, round)
		done()
		if err != nil {
			return out, err
		}
		v1, d1, err := sum(users[:n])
		if err != nil {
			return out, err
		}
		r := Round{Users: n, Result: res, StoredVectors: v1 - v0, StoredDecisions: d1 - d0}
		if stored == nil {
			r.StoredVectors, r.StoredDecisions = -1, -1
		}
		out = append(out, r)
	}
	return out, nil
}

// MedianFirstAlert is the median number of actions after which an impostor
// session raised its alert, over the impostor sessions that raised one; ok
// is false when none did.
func (r Result) MedianFirstAlert() (actions int, ok bool) {
	var a []int
	for _, s := range r.Sessions {
		if s.Impostor && s.FirstAlert > 0 {
			a = append(a, s.FirstAlert)
		}
	}
	if len(a) == 0 {
		return 0, false
	}
	sort.Ints(a)
	return a[len(a)/2], true
}

// DescribeImpostors writes, for people, which impostor sessions were caught
// and after how many actions, and which genuine sessions raised an alert.
func (r Result) DescribeImpostors(w io.Writer) {
	for _, s := range r.Sessions {
		if !s.Impostor {
			continue
		}
		switch {
		case !s.LoginAccepted:
			fmt.Fprintf(w, "impostor login refused: %s's session replayed as %s (%s)\n", s.User, s.LoginAs, s.LoginReason)
		case s.FirstAlert > 0:
			fmt.Fprintf(w, "impostor caught: %s's session replayed as %s raised an alert after %d actions\n", s.User, s.LoginAs, s.FirstAlert)
		default:
			fmt.Fprintf(w, "impostor NOT caught: %s's session replayed as %s, %d actions, no alert\n", s.User, s.LoginAs, s.Sent)
		}
	}
	var alerted []string
	for _, s := range r.Sessions {
		if !s.Impostor && s.FirstAlert > 0 {
			alerted = append(alerted, fmt.Sprintf("%s (after %d of %d actions)", s.ID, s.FirstAlert, s.Sent))
		}
	}
	fmt.Fprintf(w, "genuine sessions with an alert: %d of %d", len(alerted), r.GenuineSessions)
	if len(alerted) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(alerted, ", "))
	}
	fmt.Fprintln(w)
}
