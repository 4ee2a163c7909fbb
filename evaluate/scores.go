package evaluate

import (
	"slices"
)

// ScoreSet is every test score of one evaluated configuration (a result of
// run, threshold or compare; a tree count of a sweep) at every seed, with
// the feature-table row each action came from. A [Run] keeps its score sets
// out of run.json; reports writes them as scores.csv.gz and curves.csv.gz.
type ScoreSet struct {
	// Name names the configuration as [ResultName] does ("gbdt
	// preset=improved"), or "trees=N" for a sweep's tree count.
	Name string
	// Result is the configuration's index in [Run].Results, or -1 for a
	// sweep's tree count (Trees).
	Result int
	Trees  int
	// Classifier, Preset and Protocol repeat the configuration's settings.
	Classifier, Preset, Protocol string
	Aggregate                    Aggregate
	Windows                      []int
	Seeds                        []int64
	// Scores holds, per seed (in Seeds' order), every user's test scores.
	Scores [][]UserScores
	// RowUsers and RowSessions are the feature table's user and session of
	// each row (RowSessions nil when the table has none).
	RowUsers, RowSessions []string
}

// users returns the users scored at every seed, in the first seed's order.
func (s *ScoreSet) users() []string {
	if len(s.Scores) == 0 {
		return nil
	}
	var out []string
	for _, us := range s.Scores[0] {
		ok := true
		for _, seed := range s.Scores[1:] {
			if !slices.ContainsFunc(seed, func(v UserScores) bool { return v.User == us.User }) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, us.User)
		}
	}
	return out
}

// usersWithWindows are the users scored at every seed with at least one
// window of size w at some seed.
func (s *ScoreSet) usersWithWindows(w int) []string {
	all := s.users()
	seeds := s.byUser(all)
	var out []string
	for u, name := range all {
		for _, seed := range seeds {
			if uw := windowsOf(seed[u], w, s.Aggregate); len(uw.gen)+len(uw.imp) > 0 {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// userWindows are one user's window scores at one seed and size.
type userWindows struct {
	gen, imp []float64
}

func windowsOf(us UserScores, w int, agg Aggregate) userWindows {
	uw := userWindows{gen: Windows(us.Genuine, w, agg)}
	for _, s := range us.Impostor {
		uw.imp = append(uw.imp, Windows(s, w, agg)...)
	}
	return uw
}

// byUser returns, per seed, each of users' scores (a zero UserScores where a
// seed lacks the user).
func (s *ScoreSet) byUser(users []string) [][]UserScores {
	out := make([][]UserScores, len(s.Scores))
	for k, seed := range s.Scores {
		idx := make(map[string]int, len(seed))
		for i, us := range seed {
			idx[us.User] = i
		}
		out[k] = make([]UserScores, len(users))
		for u, name := range users {
			if i, ok := idx[name]; ok {
				out[k][u] = seed[i]
			}
		}
	}
	return out
}

// pool returns the windows of size w of users (indices into users) at
// every seed, pooled.
func (s *ScoreSet) pool(users []string, w int) *pool {
	var xs []sample
	for _, seed := range s.byUser(users) {
		for u, us := range seed {
			uw := windowsOf(us, w, s.Aggregate)
			for _, v := range uw.gen {
				xs = append(xs, sample{v, true, int32(u)})
			}
			for _, v := range uw.imp {
				xs = append(xs, sample{v, false, int32(u)})
			}
		}
	}
	return newPool(xs, len(users))
}

// halves returns the development and test pools of size w: each user's
// genuine test stream and each impostor stream split at its middle
// (chronological order; the Reference protocol's impostor stream in draw
// order), the first half for development, the second for test, windows
// formed within each half.
func (s *ScoreSet) halves(users []string, w int) (dev, test *pool) {
	var d, t []sample
	add := func(dst *[]sample, stream []float64, genuine bool, u int) {
		for _, v := range Windows(stream, w, s.Aggregate) {
			*dst = append(*dst, sample{v, genuine, int32(u)})
		}
	}
	for _, seed := range s.byUser(users) {
		for u, us := range seed {
			h := len(us.Genuine) / 2
			add(&d, us.Genuine[:h], true, u)
			add(&t, us.Genuine[h:], true, u)
			for _, imp := range us.Impostor {
				h := len(imp) / 2
				add(&d, imp[:h], false, u)
				add(&t, imp[h:], false, u)
			}
		}
	}
	return newPool(d, len(users)), newPool(t, len(users))
}

// WindowScore is one scored window of a [ScoreSet], for export: see
// [ScoreSet.EachWindow].
type WindowScore struct {
	Seed    int64
	Window  int
	Claimed string // the user whose model scored it
	// User and Session are the source of the window's actions: the one user
	// (and session) they all came from, or "" where they came from several
	// (a Reference impostor window spans users drawn at random) or the
	// table has no sessions.
	User, Session string
	// Stream is 0 for the claimed user's genuine test stream, k for its
	// k-th impostor stream; Start is the window's first action's position
	// in the stream (0-based).
	Stream, Start int
	Genuine       bool
	Score         float64
}

// EachWindow calls yield for every window of every size of s.Windows, seed
// by seed, user by user: genuine stream first, then the impostor streams.
// It stops when yield returns false.
func (s *ScoreSet) EachWindow(yield func(WindowScore) bool) {
	source := func(rows []int, start, w int) (user, session string) {
		if len(rows) < start+w {
			return "", ""
		}
		r := rows[start : start+w]
		user = s.RowUsers[r[0]]
		if s.RowSessions != nil {
			session = s.RowSessions[r[0]]
		}
		for _, i := range r[1:] {
			if s.RowUsers[i] != user {
				return "", ""
			}
			if session != "" && s.RowSessions[i] != session {
				session = ""
			}
		}
		return user, session
	}
	for k, seed := range s.Scores {
		for _, w := range s.Windows {
			for _, us := range seed {
				streams := append([][]float64{us.Genuine}, us.Impostor...)
				rows := append([][]int{us.GenuineRows}, us.ImpostorRows...)
				for st, stream := range streams {
					for i, v := range Windows(stream, w, s.Aggregate) {
						ws := WindowScore{Seed: s.Seeds[k], Window: w, Claimed: us.User, Stream: st, Start: i,
							Genuine: st == 0, Score: v}
						if st < len(rows) && s.RowUsers != nil {
							ws.User, ws.Session = source(rows[st], i, w)
						}
						if !yield(ws) {
							return
						}
					}
				}
			}
		}
	}
}

// CurvePoint is one point of a full-resolution ROC of a [ScoreSet], for
// export: see [ScoreSet.EachCurve].
type CurvePoint struct {
	Window int
	// Curve is "pooled" (every user's windows of every seed against one
	// threshold) or the user whose own curve it is, at Seed.
	Curve string
	Seed  *int64 // nil for the pooled curve
	// Threshold accepts windows scoring at or above it; FMR and FNMR are
	// its rates. The first point's threshold lies just above the highest
	// score (nothing accepted).
	Threshold, FMR, FNMR float64
}

// EachCurve calls yield for every point of the pooled ROC and of every
// user's ROC at every seed, at every window size of s.Windows, at full
// resolution (every distinct score a threshold, as [ComputeROC]). Curves
// that are undefined (one class) are left out. It stops when yield returns
// false.
func (s *ScoreSet) EachCurve(yield func(CurvePoint) bool) {
	emit := func(w int, curve string, seed *int64, c ROCCurve) bool {
		for i := range c.FPR {
			if !yield(CurvePoint{Window: w, Curve: curve, Seed: seed, Threshold: c.Thresholds[i], FMR: c.FPR[i], FNMR: 1 - c.TPR[i]}) {
				return false
			}
		}
		return true
	}
	for _, w := range s.Windows {
		scores, genuine := s.pool(s.usersWithWindows(w), w).split()
		if roc, _, _, _, err := ComputeROC(scores, genuine); err == nil {
			if !emit(w, "pooled", nil, roc) {
				return
			}
		}
		for k, seed := range s.Scores {
			for _, us := range seed {
				ur, err := userResult(us, w, s.Aggregate)
				if err != nil {
					continue
				}
				if !emit(w, us.User, &s.Seeds[k], ur.ROC) {
					return
				}
			}
		}
	}
}
