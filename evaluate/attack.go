package evaluate

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/preprocess"
)

// The attacks of [EvaluateAttacks]: what an impostor who has the password
// and runs a client of their own sends as feature vectors. Every attack
// session is a new login judged by the deployment from its first action.
const (
	// AttackZeroEffort: another user's real actions (the strict protocol's
	// test impostors, never seen in training), Length consecutive ones.
	AttackZeroEffort = "zero-effort"
	// AttackShort: the same in sessions of ShortLength actions, one fewer
	// than the old window: an impostor who logs in again before a window
	// is full.
	AttackShort = "short-sessions"
	// AttackRandom: vectors drawn uniformly in the feature box (each
	// feature between its least and greatest value in the training data of
	// all users; whole-number features rounded).
	AttackRandom = "random"
	// AttackConstant: every value one constant, one session per constant
	// of [AttackConstants], the vector repeated.
	AttackConstant = "constant"
	// AttackVictimMean: the mean of the victim's training vectors, repeated.
	AttackVictimMean = "victim-mean"
	// AttackMeanJitter: the victim's training mean, each copy jittered
	// (see [AttackJitter]) past the repeat check.
	AttackMeanJitter = "victim-mean-jitter"
	// AttackOtherMeans: each test impostor's mean vector, repeated.
	AttackOtherMeans = "other-means"
	// AttackRepeat: one of the victim's held-out vectors, repeated (a
	// genuine vector re-sent).
	AttackRepeat = "repeat"
	// AttackMimicry: the victim's own held-out vectors, Length consecutive
	// ones: the replay attacker, who has recordings of the victim. Expected
	// to succeed: it is the documented limit of the second factor.
	AttackMimicry = "mimicry"
	// AttackHillOracle: hill-climbing on the score: from one of the
	// attacker's own vectors, Probes probes in one session, each a
	// perturbation of the best so far, kept when its score is higher; then
	// the best vector, jittered, in a fresh session. The old decisions told
	// the client the score; elsewhere the figure is what a leaked score
	// would allow.
	AttackHillOracle = "hill-oracle"
	// AttackHillBlind: hill-climbing through what a client sees, accept or
	// refuse: each candidate in a fresh login (no feedback after an alert),
	// sent as many times (jittered) as the rule needs before it can accept
	// it (the window for the window rule; for the sequential rule
	// ceil((Accept-Start)/Step), 2 under the default policy), kept when
	// the last copy is accepted; before the first acceptance half the candidates are fresh
	// vectors of the attacker's own. Probes counts every action sent.
	// Then the last accepted candidate (or the start), jittered, in a
	// fresh session.
	AttackHillBlind = "hill-blind"
)

// AttackNames lists the attacks in table order.
var AttackNames = []string{AttackZeroEffort, AttackShort, AttackRandom, AttackConstant, AttackVictimMean,
	AttackMeanJitter, AttackOtherMeans, AttackRepeat, AttackMimicry, AttackHillOracle, AttackHillBlind}

// AttackConstants are the values of the constant attack: zero, ±1 and
// values no pointing movement produces.
var AttackConstants = []float64{-1e6, -1, 0, 1, 1e6}

// AttackJitter is the relative jitter of the copies an attacker sends of
// one vector: each feature that is not a whole number in the training
// data times 1+u, u uniform in ±AttackJitter; enough to pass the default
// repeat check (relative tolerance 1e-3).
const AttackJitter = 0.01

// AttackOptions configure [EvaluateAttacks]. The embedded
// [ContinuousOptions] give the deployments (default old and sequential:
// before and after), seeds, split, trees, gates and workers; their
// SessionActions is not used.
type AttackOptions struct {
	ContinuousOptions
	Attacks     []string // default AttackNames
	Length      int      // actions per attack session; default 20
	Sessions    int      // sessions per attack and victim where the attack draws them; default 10
	Probes      int      // hill-climbing budget in actions sent; default 300
	ShortLength int      // actions per short session; default LegacyWindow-1
	// Continuous also judges the continuous sequences on the same models
	// ([AttackResult.Continuous]), as [EvaluateContinuous] would with the
	// same options: one training for both.
	Continuous bool
}

func (o *AttackOptions) defaults(d *preprocess.Table) error {
	if len(o.Deployments) == 0 {
		for _, n := range []string{DeployOld, DeploySequential} {
			dep, _ := NamedDeployment(n)
			o.Deployments = append(o.Deployments, dep)
		}
	}
	if err := o.ContinuousOptions.defaults(d); err != nil {
		return err
	}
	if len(o.Attacks) == 0 {
		o.Attacks = AttackNames
	}
	for _, a := range o.Attacks {
		if !slices.Contains(AttackNames, a) {
			return fmt.Errorf("unknown attack %q (want %s)", a, strings.Join(AttackNames, ", "))
		}
	}
	if o.Length == 0 {
		o.Length = 20
	}
	if o.Sessions == 0 {
		o.Sessions = 10
	}
	if o.Probes == 0 {
		o.Probes = 300
	}
	if o.ShortLength == 0 {
		o.ShortLength = LegacyWindow - 1
	}
	if o.Length < 1 || o.Sessions < 1 || o.Probes < 1 || o.ShortLength < 1 {
		return fmt.Errorf("session length %d, sessions %d, probes %d, short sessions %d: each must be >= 1", o.Length, o.Sessions, o.Probes, o.ShortLength)
	}
	return nil
}

// AttackUser is one attack on one victim under one deployment and seed:
// counts summed over the attack's sessions.
type AttackUser struct {
	Seed       int64  `json:"seed"`
	Deployment string `json:"deployment"`
	Attack     string `json:"attack"`
	User       string `json:"user"` // the victim

	Sessions         int `json:"sessions"`
	Actions          int `json:"actions"`
	Accepted         int `json:"accepted"`
	AcceptedUnjudged int `json:"accepted_unjudged"`
	Alerted          int `json:"alerted"`       // sessions alerted
	AlertActions     int `json:"alert_actions"` // over the alerted sessions: actions up to the alert
	Passed           int `json:"passed"`        // sessions unalerted with at least half their actions accepted
	MaxAccepted      int `json:"max_accepted"`  // the most actions accepted in one session
	// Probes and ProbesAccepted: the hill-climbing attacks' probes and how
	// many of them were accepted (the attacker's gain while probing).
	Probes         int `json:"probes,omitempty"`
	ProbesAccepted int `json:"probes_accepted,omitempty"`
}

// The attack figures, by name ([AttackMetrics] in order).
const (
	// MetricSuccess is the share of attack sessions that pass: no alert,
	// and at least half of the session's actions accepted.
	MetricSuccess = "success"
	// MetricAcceptedRate is the share of attack actions accepted.
	MetricAcceptedRate = "accepted"
	// MetricAcceptedPerSession is the mean number of actions accepted per
	// attack session.
	MetricAcceptedPerSession = "accepted_per_session"
	// MetricMaxAccepted is the most actions accepted in one session.
	MetricMaxAccepted = "max_accepted"
	// MetricAlerted is the share of attack sessions alerted.
	MetricAlerted = "alerted"
	// MetricAttackANIA is the mean number of actions up to the alert, over
	// the alerted sessions.
	MetricAttackANIA = "ania"
	// MetricUnjudged is the share of attack actions accepted unjudged.
	MetricUnjudged = "accepted_unjudged"
	// MetricProbesAccepted is the share of hill-climbing probes accepted.
	MetricProbesAccepted = "probes_accepted"
)

// AttackMetrics are the attack figures in table order.
var AttackMetrics = []string{MetricSuccess, MetricAcceptedRate, MetricAcceptedPerSession, MetricMaxAccepted,
	MetricAlerted, MetricAttackANIA, MetricUnjudged, MetricProbesAccepted}

// Metric returns the figure called name, NaN where undefined.
func (a AttackUser) Metric(name string) float64 {
	ratio := func(x, y int) float64 {
		if y == 0 {
			return math.NaN()
		}
		return float64(x) / float64(y)
	}
	switch name {
	case MetricSuccess:
		return ratio(a.Passed, a.Sessions)
	case MetricAcceptedRate:
		return ratio(a.Accepted, a.Actions)
	case MetricAcceptedPerSession:
		return ratio(a.Accepted, a.Sessions)
	case MetricMaxAccepted:
		if a.Sessions == 0 {
			return math.NaN()
		}
		return float64(a.MaxAccepted)
	case MetricAlerted:
		return ratio(a.Alerted, a.Sessions)
	case MetricAttackANIA:
		return ratio(a.AlertActions, a.Alerted)
	case MetricUnjudged:
		return ratio(a.AcceptedUnjudged, a.Actions)
	case MetricProbesAccepted:
		return ratio(a.ProbesAccepted, a.Probes)
	}
	return math.NaN()
}

// TargetCheck is one of issue 18's targets checked on one deployment.
type TargetCheck struct {
	Deployment string `json:"deployment"`
	Target     string `json:"target"`
	Met        bool   `json:"met"`
	Measured   string `json:"measured"`
}

// AttackResult is an attack evaluation ([EvaluateAttacks]).
type AttackResult struct {
	Data        string        `json:"data"`
	Split       string        `json:"split"`
	Sessions    string        `json:"sessions"` // how the victims' and impostors' data were split, in words
	Deployments []Deployment  `json:"deployments"`
	Gates       bool          `json:"gates"`
	Seeds       []int64       `json:"seeds"`
	Attacks     []string      `json:"attacks"`
	Length      int           `json:"length"`
	PerAttack   int           `json:"sessions_per_attack"`
	Probes      int           `json:"probes"`
	ShortLength int           `json:"short_length"`
	Constants   []float64     `json:"constants"`
	Jitter      float64       `json:"jitter"`
	Summary     []Figure      `json:"summary"`
	Targets     []TargetCheck `json:"targets"`
	Users       []AttackUser  `json:"users"`
	Skipped     []Skip        `json:"skipped,omitempty"`
	// Continuous is the continuous evaluation on the same models, with
	// [AttackOptions.Continuous] (not in JSON: a run keeps it in
	// [Run.Continuous]).
	Continuous *ContinuousResult `json:"-"`
}

// Find returns the figure of deployment, attack and metric, or false.
func (r *AttackResult) Find(deployment, attack, metric string) (Figure, bool) {
	for _, f := range r.Summary {
		if f.Deployment == deployment && f.Attack == attack && f.Metric == metric {
			return f, true
		}
	}
	return Figure{}, false
}

// EvaluateAttacks trains, for every seed, one model per user and preset
// (split as [EvaluateContinuous] splits) and runs every attack of o on
// every user as the victim, through each deployment: the model's gates
// where the deployment has them and o.Gates is set, the model's score, the
// deployment's decision rule. It returns per-user counts, the figures of
// [AttackMetrics] over seeds and users per deployment and attack, and
// issue 18's targets checked on each deployment.
func EvaluateAttacks(ctx context.Context, d *preprocess.Table, name string, o AttackOptions) (*AttackResult, error) {
	if err := o.defaults(d); err != nil {
		return nil, err
	}
	o.SessionActions = 0
	presets := presetsOf(o.Deployments)
	// Two ticks per user, preset and seed: trained, then attacked.
	tick := progressTicker(o.Progress, 2*len(o.Seeds)*len(presets)*len(d.UserOrder()))
	res := &AttackResult{Data: name, Split: o.Split, Sessions: o.sessionsText(), Deployments: o.Deployments,
		Gates: o.Gates != nil, Seeds: o.Seeds, Attacks: o.Attacks, Length: o.Length, PerAttack: o.Sessions,
		Probes: o.Probes, ShortLength: o.ShortLength, Constants: AttackConstants, Jitter: AttackJitter}
	var cont *ContinuousResult
	if o.Continuous {
		cont = &ContinuousResult{Data: name, Split: o.Split, Sessions: o.sessionsText(), Deployments: o.Deployments,
			Gates: o.Gates != nil, Seeds: o.Seeds, Recommended: RecommendedPolicy()}
	}
	for _, seed := range o.Seeds {
		for _, p := range presets {
			pf, err := fitPreset(ctx, d, p, seed, &o.ContinuousOptions, tick)
			if err != nil {
				return nil, fmt.Errorf("seed %d, preset %s: %w", seed, p, err)
			}
			if seed == o.Seeds[0] && p == presets[0] {
				res.Skipped = pf.skipped
			}
			gates, err := gatesFor(pf, o.Gates)
			if err != nil {
				return nil, err
			}
			if cont != nil {
				rows, err := judgeSequences(pf, gates, o.Deployments, seed)
				if err != nil {
					return nil, err
				}
				cont.Users = append(cont.Users, rows...)
			}
			space := newFeatureSpace(pf)
			var deps []Deployment
			for _, dep := range o.Deployments {
				if dep.Preset == p {
					deps = append(deps, dep)
				}
			}
			rows := make([][]AttackUser, len(pf.users))
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(o.Workers)
			for vi := range pf.users {
				g.Go(func() error {
					r, err := attackVictim(gctx, &o, seed, vi, pf, space, gates[pf.users[vi].user], deps)
					rows[vi] = r
					if tick != nil {
						tick()
					}
					return err
				})
			}
			if err := g.Wait(); err != nil {
				return nil, err
			}
			for _, r := range rows {
				res.Users = append(res.Users, r...)
			}
		}
	}
	order := map[string]int{}
	for i, dep := range o.Deployments {
		order[dep.Name] = i
	}
	attackOrder := map[string]int{}
	for i, a := range o.Attacks {
		attackOrder[a] = i
	}
	slices.SortStableFunc(res.Users, func(a, b AttackUser) int {
		if a.Seed != b.Seed {
			return indexOf(o.Seeds, a.Seed) - indexOf(o.Seeds, b.Seed)
		}
		if a.Deployment != b.Deployment {
			return order[a.Deployment] - order[b.Deployment]
		}
		return attackOrder[a.Attack] - attackOrder[b.Attack]
	})
	res.Summary = SummarizeAttacks(res.Users, o.Seeds, deploymentNames(o.Deployments), o.Attacks)
	res.Targets = CheckTargets(res)
	if cont != nil {
		cont.Skipped = res.Skipped
		finishContinuous(cont, o.Deployments, o.Seeds)
		res.Continuous = cont
	}
	return res, nil
}

// SummarizeAttacks returns the figures of [AttackMetrics] per deployment
// and attack (in the orders given) from every seed's per-user rows.
func SummarizeAttacks(rows []AttackUser, seeds []int64, deployments, attacks []string) []Figure {
	var out []Figure
	for _, dep := range deployments {
		for _, a := range attacks {
			var sel []AttackUser
			for _, r := range rows {
				if r.Attack == a && r.Deployment == dep {
					sel = append(sel, r)
				}
			}
			if len(sel) == 0 {
				continue
			}
			out = append(out, summarizeRows(sel, seeds, []string{dep}, a, AttackMetrics,
				func(r AttackUser) (int64, string, string) { return r.Seed, r.Deployment, r.User },
				func(r AttackUser, m string) float64 { return r.Metric(m) })...)
		}
	}
	return out
}

// CheckTargets checks issue 18's targets on each deployment of r (where r
// holds the attacks they need): the constant, repeated and victim's-mean
// vectors get no session more than 3 accepted actions and every session
// alerted; random vectors in the box get at most 1% of their actions
// accepted (mean over seeds); hill-climbing through what a client sees
// (accept/refuse only; the score where the deployment tells it) crafts no
// vector that passes a fresh session; no action of short or zero-effort
// sessions is accepted unjudged.
func CheckTargets(r *AttackResult) []TargetCheck {
	var out []TargetCheck
	rows := func(dep string, attacks ...string) []AttackUser {
		var sel []AttackUser
		for _, u := range r.Users {
			if u.Deployment == dep && slices.Contains(attacks, u.Attack) {
				sel = append(sel, u)
			}
		}
		return sel
	}
	for _, dep := range r.Deployments {
		if sel := rows(dep.Name, AttackConstant, AttackRepeat, AttackVictimMean); len(sel) > 0 {
			maxAcc, sessions, alerted := 0, 0, 0
			for _, u := range sel {
				maxAcc = max(maxAcc, u.MaxAccepted)
				sessions += u.Sessions
				alerted += u.Alerted
			}
			out = append(out, TargetCheck{Deployment: dep.Name, Target: "constant, repeated and victim's-mean vectors: no session more than 3 actions accepted, every one alerted",
				Met: maxAcc <= 3 && alerted == sessions, Measured: fmt.Sprintf("at most %d accepted in a session; %d of %d sessions alerted", maxAcc, alerted, sessions)})
		}
		if f, ok := r.Find(dep.Name, AttackRandom, MetricAcceptedRate); ok {
			out = append(out, TargetCheck{Deployment: dep.Name, Target: "random vectors in the feature box: at most 1% of actions accepted",
				Met: f.Mean <= 0.01, Measured: fmt.Sprintf("%.4f ± %.4f of actions accepted (95%% interval %.4f-%.4f)", f.Mean, f.SD, f.Lo, f.Hi)})
		}
		hill := AttackHillBlind
		if dep.Oracle {
			hill = AttackHillOracle
		}
		if sel := rows(dep.Name, hill); len(sel) > 0 {
			passed, sessions := 0, 0
			for _, u := range sel {
				passed += u.Passed
				sessions += u.Sessions
			}
			out = append(out, TargetCheck{Deployment: dep.Name, Target: fmt.Sprintf("hill-climbing through what a client sees (%s), %d probes: no crafted vector passes a fresh session", hill, r.Probes),
				Met: passed == 0, Measured: fmt.Sprintf("%d of %d crafted vectors passed a fresh session of %d actions", passed, sessions, r.Length)})
		}
		if sel := rows(dep.Name, AttackShort, AttackZeroEffort); len(sel) > 0 {
			unj, actions := 0, 0
			for _, u := range sel {
				unj += u.AcceptedUnjudged
				actions += u.Actions
			}
			out = append(out, TargetCheck{Deployment: dep.Name, Target: "short sessions: no impostor action accepted unjudged",
				Met: unj == 0, Measured: fmt.Sprintf("%d of %d impostor actions accepted unjudged", unj, actions)})
		}
	}
	return out
}
