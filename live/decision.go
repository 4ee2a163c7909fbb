package live

import (
	"context"
	"math"

	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/live/store"
)

// The second factor's decisions. Each session is a decide.Session, the
// one decision engine `evaluate` measures, under the decision policy its
// user's model records (classify.Header.Decision; decide.DefaultPolicy
// for a model that records none, logged once per model version). Per
// vector the scorer computes the model's score and its guard
// (account.Check: physical bounds, the user's range, the novelty gate),
// always both and in that order whatever the verdict, and steps the
// session with them and the vector's values (the repeat check):
//
//	decide.Input{Score: model.Score(x), Flags: account.Flags(account.Check(sm, x)), Values: x}
//
// The client is told accept or refuse, and whether the session's alert is
// raised (wire.Decision), never the score or the rule's statistic; the
// store keeps them (store.Decision), with what a restarted scorer needs
// to continue the verdicts exactly.
//
// A session's state is rebuilt from the store (prior) when the scorer
// does not hold it: after a restart, a rebalance, a session idle for
// sessionIdle, a batch that was not stored as scored, and when the model
// of the session's user changes its policy mid-session (a retrained model
// keeps its predecessor's policy; only a model enrolled with another, or
// a retraining configured with one, changes it). The rebuild continues the
// session under the model's policy from what its last decisions left: the
// same rule's statistic (the sequential rule's trust, clamped to the new
// policy's range) or window (the last min(N, held) scores as the rule
// counted them), the alert (sticky), and the last Memory vectors for the
// repeat check; a session whose rule changed starts the new rule afresh
// (trust at Start, an empty window), keeping its alert and its vectors.
// A scorer that holds the session continues it in memory, which gives the
// same verdicts as the rebuild (TestLiveVerdictsMatchOffline restarts the service mid-session).

// actionThreshold is the score an action must reach to count for the
// user under p: the window rule's threshold, or the score whose log-odds
// are the sequential rule's bias. It is what a stored decision's
// Threshold holds, and what retraining's confidence margin and regression
// check measure scores against.
func actionThreshold(p decide.Policy) float64 {
	if p.Rule == decide.Window {
		return p.Threshold
	}
	return 1 / (1 + math.Exp(-p.Bias))
}

// prior is what a session's decided actions leave for its next one.
type prior struct {
	rule      decide.Rule // the rule of the last decision; "" when there is none
	statistic float64     // that rule's statistic after the last decision
	window    []float64   // the window rule: the scores it held, as it counted them, oldest first
	alerted   bool
	recent    [][]float64 // the session's last vectors, oldest first
}

// resume continues the session under p from pr (see above). held is the
// number of scores its window holds (the window rule), for the stored
// decisions' Window.
func (pr prior) resume(p decide.Policy) (s *decide.Session, held int, err error) {
	snap := decide.Snapshot{Trust: p.Start, Alerted: pr.alerted, Recent: pr.recent}
	if pr.rule == p.Rule {
		switch p.Rule {
		case decide.Sequential:
			snap.Trust = pr.statistic
		case decide.Window:
			snap.Scores = pr.window[max(0, len(pr.window)-p.N):]
		}
	}
	s, err = decide.Resume(p, snap)
	return s, len(snap.Scores), err
}

// ruleOf returns the rule a stored decision was made under: the window
// rule stores the scores its window holds (at least 1), the sequential
// rule 0.
func ruleOf(d store.Decision) decide.Rule {
	if d.Window > 0 {
		return decide.Window
	}
	return decide.Sequential
}

// storedPrior reads from the store what the session's decided actions
// leave for p: the last max(p.N, 1) decisions (the window rule's scores
// are among them) and the last p.Memory vectors.
func (w *worker) storedPrior(ctx context.Context, user, session string, p decide.Policy, alerted bool) (prior, error) {
	s := w.s
	pr := prior{alerted: alerted}
	n := 1
	if p.Rule == decide.Window {
		n = p.N
	}
	var ds []store.Decision
	err := s.retry(ctx, "recent decisions", func() (err error) {
		ds, err = s.cfg.Profiles.RecentDecisions(ctx, user, session, math.MaxInt64, n)
		return err
	})
	if err != nil {
		return prior{}, err
	}
	for _, d := range ds {
		pr.alerted = pr.alerted || d.Alert
	}
	if len(ds) > 0 {
		last := ds[len(ds)-1]
		pr.rule, pr.statistic = ruleOf(last), last.Statistic
		if pr.rule == decide.Window {
			held := ds[max(0, len(ds)-last.Window):]
			for _, d := range held {
				pr.window = append(pr.window, decide.Effective(d.Score, decide.Flags(d.Flags)))
			}
		}
	}
	if p.Memory > 0 {
		var vs []store.Vector
		err := s.retry(ctx, "recent vectors", func() (err error) {
			vs, err = s.cfg.Profiles.RecentVectors(ctx, user, session, math.MaxInt64, p.Memory)
			return err
		})
		if err != nil {
			return prior{}, err
		}
		for _, v := range vs {
			pr.recent = append(pr.recent, v.Values)
		}
	}
	return pr, nil
}
