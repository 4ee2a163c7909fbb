package evaluate

import (
	"fmt"

	"github.com/mouseauth/mouseauth/decide"
)

// Thresholds returns the alarm figures of window size w at each threshold p
// in ps. An alarm is raised when a window's score (its aggregate, see
// [Aggregate]) falls below p: each stream is judged by the decision
// engine's window rule, [decide.WindowPolicy](w, agg, p) without the
// repeat check (the figures are of scores alone), so the windows and the
// alarms are the ones the live scorer's window rule would give.
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
// an impostor window at size w, and for a p outside [0, 1].
func Thresholds(scores []UserScores, w int, agg Aggregate, ps []float64) ([]ThresholdPoint, error) {
	if w < 1 {
		return nil, fmt.Errorf("window size %d: must be >= 1", w)
	}
	type user struct{ gen, imp [][]decide.Input }
	inputs := func(s []float64) []decide.Input {
		in := make([]decide.Input, len(s))
		for i, x := range s {
			in[i] = decide.Input{Score: x}
		}
		return in
	}
	var users []user
	for _, us := range scores {
		var u user
		if len(us.Genuine) >= w {
			u.gen = append(u.gen, inputs(us.Genuine))
		}
		for _, s := range us.Impostor {
			if len(s) >= w {
				u.imp = append(u.imp, inputs(s))
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
		policy := decide.WindowPolicy(w, agg, p)
		policy.Memory = 0
		if err := policy.Validate(); err != nil {
			return nil, fmt.Errorf("threshold %v: %w", p, err)
		}
		pt := ThresholdPoint{Threshold: p, Window: w}
		var nGen, nImp, genAlarmed, impDetected int
		var genDelay, impDelay float64
		for _, u := range users {
			g, err := walkStreams(policy, u.gen)
			if err != nil {
				return nil, err
			}
			pt.FalseAlarmRate += float64(g.alarmedWindows) / float64(g.windows)
			genDelay += g.delay
			nGen += g.streams
			genAlarmed += g.alarmedStreams
			m, err := walkStreams(policy, u.imp)
			if err != nil {
				return nil, err
			}
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

// alarmCounts sums the alarm figures of a set of streams at one threshold.
type alarmCounts struct {
	windows, alarmedWindows int
	streams, alarmedStreams int
	delay                   float64 // sum of the streams' delays
}

// walkStreams judges each stream as one session under the window policy:
// every judged verdict is a window, alarming when the policy would not
// accept its statistic; the stream's delay is the actions up to its alert,
// or its length.
func walkStreams(policy decide.Policy, ss [][]decide.Input) (alarmCounts, error) {
	var c alarmCounts
	for _, s := range ss {
		vs, err := decide.Run(policy, s)
		if err != nil {
			return c, err
		}
		delay, alarmed := len(s), false
		for i, v := range vs {
			if !v.Judged {
				continue
			}
			c.windows++
			if !policy.Accepts(v.Statistic) {
				c.alarmedWindows++
			}
			if v.Alert {
				delay, alarmed = i+1, true
			}
		}
		c.delay += float64(delay)
		c.streams++
		if alarmed {
			c.alarmedStreams++
		}
	}
	return c, nil
}
