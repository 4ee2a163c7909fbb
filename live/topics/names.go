package topics

// The pipeline's topics and the scorer's consumer group.
const (
	Logins     = "mouseauth.logins"
	Features   = "mouseauth.features"
	Decisions  = "mouseauth.decisions"
	Alerts     = "mouseauth.alerts"
	DeadLetter = "mouseauth.deadletter"

	// DefaultGroup is the scoring service's consumer group.
	DefaultGroup = "mouseauth-live"
)

// Names are the pipeline's topics.
type Names struct {
	Logins, Features, Decisions, Alerts, DeadLetter string
	// PerUser reproduces the enterprise design's one feature topic per
	// user (Features + "." + user) instead of one topic keyed by user.
	PerUser bool
}

// Default returns the pipeline's topic names (the ones [Names.ACLs]
// covers), one features topic keyed by user.
func Default() Names {
	return Names{Logins: Logins, Features: Features, Decisions: Decisions, Alerts: Alerts, DeadLetter: DeadLetter}
}

// PerUserPrefix is the prefix of every per-user feature topic.
func (t Names) PerUserPrefix() string { return t.Features + "." }

// FeaturesFor is the topic a user's vectors go to.
func (t Names) FeaturesFor(user string) string {
	if t.PerUser {
		return t.PerUserPrefix() + user
	}
	return t.Features
}

// ClientDecisionsPrefix is the prefix of every client identity's decision
// topic.
func (t Names) ClientDecisionsPrefix() string { return t.Decisions + "." }

// DecisionsFor is the decision topic of the client identity named client
// (its certificate's common name): the decisions of the sessions it opens
// go there, and only it (and the operators) may read them.
func (t Names) DecisionsFor(client string) string { return t.ClientDecisionsPrefix() + client }

// Shared lists the topics that do not depend on users.
func (t Names) Shared() []string {
	out := []string{t.Logins, t.Decisions, t.Alerts, t.DeadLetter}
	if !t.PerUser {
		out = append(out, t.Features)
	}
	return out
}

// all lists every topic that does not depend on users, in both designs.
func (t Names) all() []string {
	return []string{t.Logins, t.Features, t.Decisions, t.Alerts, t.DeadLetter}
}
