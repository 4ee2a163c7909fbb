// Package decide is the second factor's decision rule: the scores of one
// session's actions (and what the model's gates flagged about each) in,
// one verdict per action out. It is pure (no clock, store, network or
// randomness) so that what `evaluate` measures on recorded scores is,
// verdict for verdict, what the live scorer does with a client's vectors.
//
// A [Policy] names the rule and its parameters; it is recorded in a user's
// model at enrolment and retraining ([Policy.String], [ParsePolicy]) and
// read back by the scorer. A [Session] holds one session's state and
// turns each [Input] into a [Verdict] with [Session.Step]. Two rules:
//
//   - [Sequential] (the default) judges from the first action: each
//     action's log-odds, less a bias and clamped to ±Step, is added to the
//     session's trust, which is capped at Ceiling; an action is accepted
//     while trust is at or above Accept, and the session's alert is raised
//     once trust falls to or below -Alert. It is the trust model of Mondal
//     and Bours (continuous authentication, ANIA/ANGA) with log-odds
//     increments, i.e. a clamped sequential probability ratio test: the
//     ceiling bounds the credit a genuine user banks, so an impostor who
//     takes over a session is caught within (Ceiling+Alert)/Step actions
//     at the latest.
//   - [Window] is the published protocol: the aggregate of the last N
//     scores against a threshold. An action before the window is full is
//     not judged, and an action that is not judged is never accepted.
//
// Under both rules an action the gates flagged (physically implausible,
// novel for the user) or that repeats an earlier vector of the session
// ([Repeated], detected here) counts against the session: an implausible
// vector raises the alert at once, since no pointing movement produces it;
// a novel or repeated one is taken as the strongest evidence against the
// user (score 0). An alert is sticky: every later action of the session is
// refused, judged or not.
//
// The package does not score vectors (classify does), does not decide what
// a client is told (the scorer tells accept or refuse, never the
// statistic), and keeps no history beyond what the rule needs.
package decide
