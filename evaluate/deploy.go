package evaluate

import (
	"fmt"
	"strings"

	"github.com/mouseauth/mouseauth/decide"
)

// Deployment is what a deployed scorer does with one user's vectors: the
// preset that trains the user's model (classifier, negatives, feature
// preprocessing) and the decision rule that turns the model's scores into
// verdicts ([decide.Policy]). The continuous and attack evaluations judge
// every action through a Deployment, so what they measure is what the live
// scorer would do with the same vectors.
type Deployment struct {
	Name   string        `json:"name"`
	Preset Preset        `json:"preset"`
	Policy decide.Policy `json:"policy"`
	// AcceptUnjudged counts an action the rule has not judged (before the
	// window is full) as accepted, as the live scorer did before issue 18
	// (live.Decide). It exists to measure that scorer; the engine itself
	// never accepts an unjudged action.
	AcceptUnjudged bool `json:"accept_unjudged,omitempty"`
	// Oracle: the client is told each action's score, after the alert too
	// (the decisions of the live scorer before issue 18). The attack
	// evaluation gives the score-oracle attacker the score only here;
	// elsewhere its figure is what a leaked score would allow.
	Oracle bool `json:"oracle,omitempty"`
	// Gates: every vector passes the model's gates (physical bounds, the
	// user's range, the novelty gate) before it is judged, where the
	// evaluation was given gates ([GateFactory]).
	Gates bool `json:"gates,omitempty"`
}

// Named deployments.
const (
	// DeployOld is the live scorer before issue 18: the reference preset's
	// model (rf, 100 trees, one negative per positive), the window rule
	// over 10 actions by the mean of their probabilities, accepted at 0.5
	// and over, actions before a full window accepted unjudged, no repeat
	// check, no gates, each decision carrying the action's score.
	DeployOld = "old"
	// DeployWindow is the improved preset with the published protocol's
	// window rule as the engine applies it: 10 actions by their mean
	// log-odds, accepted at 0.5 and over, actions before a full window
	// not judged and so not accepted, the default repeat check, gates.
	DeployWindow = "window"
	// DeploySequential is the improved preset with [decide.DefaultPolicy]:
	// judged from the first action. The recommended deployment.
	DeploySequential = "sequential"
)

// DeploymentNames lists the named deployments in their usual order.
var DeploymentNames = []string{DeployOld, DeployWindow, DeploySequential}

// LegacyWindow is the old live scorer's window (live serve --window).
const LegacyWindow = 10

// NamedDeployment returns the deployment called name (see [DeployOld],
// [DeployWindow], [DeploySequential]).
func NamedDeployment(name string) (Deployment, error) {
	switch name {
	case DeployOld:
		p := decide.WindowPolicy(LegacyWindow, AggMean, 0.5)
		p.Memory = 0
		return Deployment{Name: name, Preset: PresetPublished, Policy: p, AcceptUnjudged: true, Oracle: true}, nil
	case DeployWindow:
		return Deployment{Name: name, Preset: PresetImproved, Policy: decide.WindowPolicy(LegacyWindow, AggLogOdds, 0.5), Gates: true}, nil
	case DeploySequential:
		return Deployment{Name: name, Preset: PresetImproved, Policy: RecommendedPolicy(), Gates: true}, nil
	}
	return Deployment{}, fmt.Errorf("unknown deployment %q (want %s)", name, strings.Join(DeploymentNames, ", "))
}

// PolicyDeployment is the improved preset, with gates, deciding by p:
// a policy under study (`--policy`).
func PolicyDeployment(name string, p decide.Policy) (Deployment, error) {
	if err := p.Validate(); err != nil {
		return Deployment{}, err
	}
	return Deployment{Name: name, Preset: PresetImproved, Policy: p, Gates: true}, nil
}

// RecommendedPolicy is the one decision policy the evaluation recommends,
// and what the improved preset records in a model: [decide.DefaultPolicy]
// (its doc comment says how its parameters were chosen).
func RecommendedPolicy() decide.Policy { return decide.DefaultPolicy() }

// Policy returns the decision policy that goes with preset p: the
// recommended one for the improved preset; for the reference preset the
// published window rule (10 actions, mean, 0.5) as the engine applies it.
func (p Preset) Policy() decide.Policy {
	if p == PresetImproved {
		return RecommendedPolicy()
	}
	return decide.WindowPolicy(LegacyWindow, AggMean, 0.5)
}

// Gate is what a model's gates say about a vector before it is scored:
// [decide.Implausible] outside the physical bounds, [decide.Novel]
// outside what the user's model has seen. Safe for concurrent use.
type Gate interface {
	Check(x []float64) decide.Flags
}

// GateData is what a [GateFactory] builds one user's gates from: the
// vectors the user's model was trained on (genuine rows), the table's
// feature names, extractor and convention (for the physical bounds), the
// preset and the seed of the evaluation.
type GateData struct {
	User                  string
	Preset                Preset
	Names                 []string
	Extractor, Convention string
	Train                 [][]float64
	Seed                  int64
}

// GateFactory builds the gates of one user's model. The evaluations take
// it as a seam: without one, a deployment's Gates are off (and the result
// says so).
type GateFactory func(GateData) (Gate, error)

// judge is one deployment's session over one trace, reset after each
// lockout when asked: a new [decide.Session] (a new login, trust back to
// its start), as Mondal and Bours reset trust after a lockout.
type judge struct {
	d Deployment
	s *decide.Session
}

func (d Deployment) newJudge() (*judge, error) {
	s, err := decide.New(d.Policy)
	if err != nil {
		return nil, fmt.Errorf("deployment %s: %w", d.Name, err)
	}
	return &judge{d: d, s: s}, nil
}

// step judges one action and says whether it counts as accepted (the
// engine's verdict, or, for [Deployment.AcceptUnjudged], not judged and
// not alerted) and whether that acceptance was unjudged.
func (j *judge) step(in decide.Input) (v decide.Verdict, accepted, unjudged bool) {
	v = j.s.Step(in)
	unjudged = j.d.AcceptUnjudged && !v.Judged && !v.Alerted
	return v, v.Accept || unjudged, unjudged
}

// reset starts a new session under the same policy.
func (j *judge) reset() {
	j.s, _ = decide.New(j.d.Policy) // the policy was validated by newJudge
}
