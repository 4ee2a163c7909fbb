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
	type user struct{ gen, imp []alarmStream }
	var users []user
	for _, us := range scores {
		var u user
		if g := Windows(us.Genuine, w, agg); len(g) > 0 {
			u.gen = append(u.gen, alarmStream{g, len(us.Genuine), w})
		}
		for _, s := range us.Impostor {
			if iw := Windows(s, w, agg); len(iw) > 0 {
				u.imp = append(u.imp, alarmStream{iw, len(s), w})
			}
		}
		if len(u.gen) > 0 && len(u.imp) > 0 {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("window %d: no user has genuine and impostor windows", w)
	}
	out := make([]ThresholdPoint, 0, len(ps))
	for _, p := range ps {
		pt := ThresholdPoint{Threshold: p, Window: w}
		var nGen, nImp, genAlarmed, impDetected int
		var genDelay, impDelay float64
		for _, u := range users {
			g := walkStreams(u.gen, p)
			pt.FalseAlarmRate += float64(g.alarmedWindows) / float64(g.windows)
			genDelay += g.delay
			nGen += g.streams
			genAlarmed += g.alarmedStreams
			m := walkStreams(u.imp, p)
			pt.MissRate += float64(m.windows-m.alarmedWindows) / float64(m.windows)
			impDelay += m.delay
			nImp += m.streams
			impDetected += m.alarmedStreams
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

// alarmStream is the window scores of one stream of consecutive actions.
type alarmStream struct {
	win []float64
	n   int // actions in the stream
	w   int // window size
}

// firstAlarm returns the delay of s at threshold p (actions up to and
// including the one completing the first window below p, or the stream's
// length) and whether it alarmed.
func (s alarmStream) firstAlarm(p float64) (int, bool) {
	for i, v := range s.win {
		if v < p {
			return i + s.w, true
		}
	}
	return s.n, false
}

// alarmCounts sums the alarm figures of a set of streams at one threshold.
type alarmCounts struct {
	windows, alarmedWindows int
	streams, alarmedStreams int
	delay                   float64 // sum of the streams' delays
}

func walkStreams(ss []alarmStream, p float64) alarmCounts {
	var c alarmCounts
	for _, s := range ss {
		for _, v := range s.win {
			if v < p {
				c.alarmedWindows++
			}
		}
		c.windows += len(s.win)
		d, ok := s.firstAlarm(p)
		c.delay += float64(d)
		c.streams++
		if ok {
			c.alarmedStreams++
		}
	}
	return c
}
