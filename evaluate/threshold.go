package evaluate

import "fmt"

// Thresholds returns the alarm figures of window size w at each threshold p
// in ps. An alarm is raised when a window's score (its aggregate, see
// [Aggregate]) falls below p.
//
// Rates: FalseAlarmRate is the share of a user's genuine windows that alarm
// and MissRate the share of the user's impostor windows that do not, each
// averaged over users.
//
// Delays: each stream (a user's genuine test actions in chronological order;
// each impostor stream of [UserScores.Impostor] in its order) is walked one
// action at a time. After action k (counted from 1) with k >= w, the window
// of actions k-w+1..k is scored; the first k whose window score is below p
// raises the alarm and the stream's delay is k, the number of actions seen
// up to and including the alarming one (so never less than w). A stream that
// never alarms contributes its full length (a censored value, a lower bound)
// and is counted in ImpostorDetected / GenuineAlarmed as not alarming.
// ImpostorActionsToAlarm and GenuineActionsToFalseAlarm are the means of the
// delays over all impostor, respectively genuine, streams of all users;
// streams shorter than w are left out. It fails if no user has a genuine and
// an impostor window at size w.
func Thresholds(scores []UserScores, w int, agg Aggregate, ps []float64) ([]ThresholdPoint, error) {
	if w < 1 {
		return nil, fmt.Errorf("window size %d: must be >= 1", w)
	}
	type stream struct {
		win []float64
		n   int // actions in the stream
	}
	type user struct{ gen, imp []stream }
	var users []user
	for _, us := range scores {
		var u user
		if g := Windows(us.Genuine, w, agg); len(g) > 0 {
			u.gen = append(u.gen, stream{g, len(us.Genuine)})
		}
		for _, s := range us.Impostor {
			if iw := Windows(s, w, agg); len(iw) > 0 {
				u.imp = append(u.imp, stream{iw, len(s)})
			}
		}
		if len(u.gen) > 0 && len(u.imp) > 0 {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("window %d: no user has genuine and impostor windows", w)
	}
	// firstAlarm returns the delay of s at threshold p and whether it alarmed.
	firstAlarm := func(s stream, p float64) (int, bool) {
		for i, v := range s.win {
			if v < p {
				return i + w, true
			}
		}
		return s.n, false
	}
	out := make([]ThresholdPoint, 0, len(ps))
	for _, p := range ps {
		pt := ThresholdPoint{Threshold: p, Window: w}
		var nGen, nImp, genAlarmed, impDetected int
		var genDelay, impDelay float64
		for _, u := range users {
			var fa, tot int
			for _, s := range u.gen {
				for _, v := range s.win {
					if v < p {
						fa++
					}
				}
				tot += len(s.win)
				d, ok := firstAlarm(s, p)
				genDelay += float64(d)
				nGen++
				if ok {
					genAlarmed++
				}
			}
			pt.FalseAlarmRate += float64(fa) / float64(tot)
			var miss int
			tot = 0
			for _, s := range u.imp {
				for _, v := range s.win {
					if v >= p {
						miss++
					}
				}
				tot += len(s.win)
				d, ok := firstAlarm(s, p)
				impDelay += float64(d)
				nImp++
				if ok {
					impDetected++
				}
			}
			pt.MissRate += float64(miss) / float64(tot)
		}
		pt.FalseAlarmRate /= float64(len(users))
		pt.MissRate /= float64(len(users))
		pt.GenuineActionsToFalseAlarm = genDelay / float64(nGen)
		pt.ImpostorActionsToAlarm = impDelay / float64(nImp)
		pt.GenuineAlarmed = float64(genAlarmed) / float64(nGen)
		pt.ImpostorDetected = float64(impDetected) / float64(nImp)
		out = append(out, pt)
	}
	return out, nil
}
