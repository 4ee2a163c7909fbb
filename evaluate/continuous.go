package evaluate

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mouseauth/mouseauth/decide"
)

// Continuous evaluation: sequences of actions judged one after the other by
// a deployment's decision rule, as the live scorer judges a session, and
// summarised by the figures of continuous authentication (Mondal and
// Bours): ANGA, the average number of genuine actions before a false
// lockout, and ANIA, the average number of impostor actions before the
// lockout, with the session reset (a new login, trust back to its start)
// after every lockout as they do.

// Trace is one sequence of actions in order, as a deployment judges them.
type Trace struct {
	Scores []float64      // the model's score of each action
	X      [][]float64    // the vectors, for the repeat check; nil skips it
	Flags  []decide.Flags // what the gates flagged; nil: nothing
	Starts []float64      // each action's start time in seconds; nil: unknown
	Fresh  []bool         // Fresh[i]: action i starts a new session (a login); nil: only the first
}

// Walk is what a deployment did with one trace, reset after each lockout.
type Walk struct {
	Actions  int `json:"actions"`
	Accepted int `json:"accepted"`
	// AcceptedUnjudged counts actions accepted without being judged (only
	// under [Deployment.AcceptUnjudged]).
	AcceptedUnjudged int `json:"accepted_unjudged"`
	Lockouts         int `json:"lockouts"`
	// LockedActions counts the actions up to and including the last
	// lockout, AcceptedLocked the accepted ones among them: LockedActions /
	// Lockouts is the mean number of actions before a lockout.
	LockedActions  int `json:"locked_actions"`
	AcceptedLocked int `json:"accepted_locked"`
	// FirstLockout is the number of actions up to and including the first
	// lockout; 0 when there was none.
	FirstLockout int `json:"first_lockout"`
	// Seconds is the time the trace spans: the sum over its sessions of the
	// last action's start less the first's (0 without Starts).
	Seconds float64 `json:"seconds"`
}

// Walk runs t through d, action by action, in a new session at t's start,
// at every Fresh action and after every lockout (the alert: the user is
// locked out, logs in again and goes on). An action that is not judged is
// never counted as accepted, unless d.AcceptUnjudged.
func (d Deployment) Walk(t Trace) (Walk, error) {
	var w Walk
	j, err := d.newJudge()
	if err != nil {
		return w, err
	}
	if t.X != nil && len(t.X) != len(t.Scores) || t.Flags != nil && len(t.Flags) != len(t.Scores) ||
		t.Starts != nil && len(t.Starts) != len(t.Scores) || t.Fresh != nil && len(t.Fresh) != len(t.Scores) {
		return w, fmt.Errorf("trace: %d scores with %d vectors, %d flags, %d starts, %d session marks",
			len(t.Scores), len(t.X), len(t.Flags), len(t.Starts), len(t.Fresh))
	}
	first := 0 // first action of the current login, for Seconds
	span := func(last int) {
		if t.Starts != nil && last >= first {
			w.Seconds += max(0, t.Starts[last]-t.Starts[first])
		}
	}
	for i, s := range t.Scores {
		if i > 0 && t.Fresh != nil && t.Fresh[i] {
			span(i - 1)
			first = i
			j.reset()
		}
		in := decide.Input{Score: s}
		if t.X != nil {
			in.Values = t.X[i]
		}
		if t.Flags != nil {
			in.Flags = t.Flags[i]
		}
		v, accepted, unjudged := j.step(in)
		w.Actions++
		if accepted {
			w.Accepted++
		}
		if unjudged {
			w.AcceptedUnjudged++
		}
		if v.Alert {
			w.Lockouts++
			w.LockedActions, w.AcceptedLocked = w.Actions, w.Accepted
			if w.FirstLockout == 0 {
				w.FirstLockout = w.Actions
			}
			j.reset()
		}
	}
	span(len(t.Scores) - 1)
	return w, nil
}

// ContinuousUser is one user's figures under one deployment and seed: the
// genuine user's test sessions and the impostor sequences against the
// user's model, each walked by [Deployment.Walk]. The counts are summed
// over traces; the figures are derived from them ([ContinuousUser.Metric]).
type ContinuousUser struct {
	Seed       int64  `json:"seed"`
	Deployment string `json:"deployment"`
	User       string `json:"user"`

	GenuineSessions int     `json:"genuine_sessions"`
	GenuineActions  int     `json:"genuine_actions"`
	GenuineAccepted int     `json:"genuine_accepted"`
	GenuineLockouts int     `json:"genuine_lockouts"`
	GenuineHours    float64 `json:"genuine_hours"` // 0: no timestamps

	ImpostorSequences        int `json:"impostor_sequences"`
	ImpostorActions          int `json:"impostor_actions"`
	ImpostorAccepted         int `json:"impostor_accepted"`
	ImpostorAcceptedUnjudged int `json:"impostor_accepted_unjudged"`
	ImpostorLockouts         int `json:"impostor_lockouts"`
	ImpostorLockedActions    int `json:"impostor_locked_actions"`
	ImpostorAcceptedLocked   int `json:"impostor_accepted_locked"`
	ImpostorNeverLocked      int `json:"impostor_never_locked"` // sequences without a lockout
	// ImpostorFirstLockout sums, over the sequences locked out, the actions
	// up to their first lockout.
	ImpostorFirstLockout int `json:"impostor_first_lockout"`
}

// addGenuine and addImpostor add one walked trace.
func (u *ContinuousUser) addGenuine(w Walk) {
	u.GenuineSessions++
	u.GenuineActions += w.Actions
	u.GenuineAccepted += w.Accepted
	u.GenuineLockouts += w.Lockouts
	u.GenuineHours += w.Seconds / 3600
}

func (u *ContinuousUser) addImpostor(w Walk) {
	u.ImpostorSequences++
	u.ImpostorActions += w.Actions
	u.ImpostorAccepted += w.Accepted
	u.ImpostorAcceptedUnjudged += w.AcceptedUnjudged
	u.ImpostorLockouts += w.Lockouts
	u.ImpostorLockedActions += w.LockedActions
	u.ImpostorAcceptedLocked += w.AcceptedLocked
	if w.Lockouts == 0 {
		u.ImpostorNeverLocked++
	} else {
		u.ImpostorFirstLockout += w.FirstLockout
	}
}

// The continuous figures, by name ([ContinuousMetrics] in order).
const (
	// MetricANGA is the mean number of genuine actions per false lockout:
	// genuine actions / genuine lockouts, or all the user's genuine actions
	// when it had no false lockout (Mondal and Bours' convention: a lower
	// bound then, see MetricGenuineNeverLocked).
	MetricANGA = "anga"
	// MetricGenuineNeverLocked is 1 for a user never falsely locked out.
	MetricGenuineNeverLocked = "genuine_never_locked"
	// MetricFalseAlarms1000 is genuine lockouts per 1,000 genuine actions.
	MetricFalseAlarms1000 = "false_alarms_per_1000"
	// MetricFalseAlarmsHour is genuine lockouts per hour of genuine use
	// (only with timestamps).
	MetricFalseAlarmsHour = "false_alarms_per_hour"
	// MetricGenuineAccepted is the share of genuine actions accepted.
	MetricGenuineAccepted = "genuine_accepted"
	// MetricANIA is the mean number of impostor actions per lockout, over
	// the actions up to each sequence's last lockout (impostor sequences
	// never locked out are left out: see MetricNeverLocked); undefined for
	// a user no impostor was locked out of.
	MetricANIA = "ania"
	// MetricFirstLockout is the mean number of impostor actions up to the
	// first lockout, over the sequences locked out.
	MetricFirstLockout = "impostor_first_lockout"
	// MetricAcceptedBeforeLockout is the mean number of impostor actions
	// accepted per lockout (over the same actions as ANIA).
	MetricAcceptedBeforeLockout = "accepted_before_lockout"
	// MetricNeverLocked is the share of impostor sequences never locked out.
	MetricNeverLocked = "impostor_never_locked"
	// MetricImpostorAccepted is the share of impostor actions accepted.
	MetricImpostorAccepted = "impostor_accepted"
	// MetricAcceptedUnjudged is the share of impostor actions accepted
	// without being judged.
	MetricAcceptedUnjudged = "impostor_accepted_unjudged"
)

// ContinuousMetrics are the continuous figures in table order.
var ContinuousMetrics = []string{MetricANGA, MetricGenuineNeverLocked, MetricFalseAlarms1000, MetricFalseAlarmsHour,
	MetricGenuineAccepted, MetricANIA, MetricFirstLockout, MetricAcceptedBeforeLockout, MetricNeverLocked,
	MetricImpostorAccepted, MetricAcceptedUnjudged}

// Metric returns the user's figure called name, NaN where it is undefined
// (no genuine actions, no impostor lockout, no timestamps).
func (u ContinuousUser) Metric(name string) float64 {
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return math.NaN()
		}
		return a / b
	}
	switch name {
	case MetricANGA:
		if u.GenuineActions == 0 {
			return math.NaN()
		}
		return float64(u.GenuineActions) / float64(max(1, u.GenuineLockouts))
	case MetricGenuineNeverLocked:
		if u.GenuineActions == 0 {
			return math.NaN()
		}
		if u.GenuineLockouts == 0 {
			return 1
		}
		return 0
	case MetricFalseAlarms1000:
		return ratio(1000*float64(u.GenuineLockouts), float64(u.GenuineActions))
	case MetricFalseAlarmsHour:
		return ratio(float64(u.GenuineLockouts), u.GenuineHours)
	case MetricGenuineAccepted:
		return ratio(float64(u.GenuineAccepted), float64(u.GenuineActions))
	case MetricANIA:
		return ratio(float64(u.ImpostorLockedActions), float64(u.ImpostorLockouts))
	case MetricFirstLockout:
		return ratio(float64(u.ImpostorFirstLockout), float64(u.ImpostorSequences-u.ImpostorNeverLocked))
	case MetricAcceptedBeforeLockout:
		return ratio(float64(u.ImpostorAcceptedLocked), float64(u.ImpostorLockouts))
	case MetricNeverLocked:
		return ratio(float64(u.ImpostorNeverLocked), float64(u.ImpostorSequences))
	case MetricImpostorAccepted:
		return ratio(float64(u.ImpostorAccepted), float64(u.ImpostorActions))
	case MetricAcceptedUnjudged:
		return ratio(float64(u.ImpostorAcceptedUnjudged), float64(u.ImpostorActions))
	}
	return math.NaN()
}

// Figure is one figure of one deployment (and attack) over seeds and
// users: each seed's mean over the users where it is defined, their mean
// and sample sd over seeds, and a 95% interval that counts users as well
// as seeds (see [UserSeedInterval]).
type Figure struct {
	Deployment string  `json:"deployment"`
	Attack     string  `json:"attack,omitempty"`
	Metric     string  `json:"metric"`
	Mean       float64 `json:"mean"`
	SD         float64 `json:"sd"`
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Users      int     `json:"users"` // users with the figure defined at some seed
	// Max is the largest value of one user at one seed (the worst case
	// of a rate an attacker wants high).
	Max    float64   `json:"max"`
	Values []float64 `json:"values"`
}

// BootstrapResamples is the number of resamples of [UserSeedInterval].
const BootstrapResamples = 2000

// UserSeedInterval is a two-level percentile bootstrap of a mean over
// users: values[u][k] is user u's figure at seed k (NaN where undefined).
// Each resample draws the users with replacement and, for each user drawn,
// its defined seed values with replacement, averages each user's values,
// then the users'; lo and hi are the 2.5th and 97.5th percentiles over
// BootstrapResamples resamples. So the interval is as wide as the spread
// between users and the seed noise together make it, where a sd over seeds
// alone counts only the latter. Users without a defined value are left
// out; with none, lo and hi are NaN. rng makes it reproducible.
func UserSeedInterval(values [][]float64, rng *rand.Rand) (lo, hi float64) {
	var users [][]float64
	for _, vs := range values {
		var def []float64
		for _, v := range vs {
			if !math.IsNaN(v) {
				def = append(def, v)
			}
		}
		if len(def) > 0 {
			users = append(users, def)
		}
	}
	if len(users) == 0 {
		return math.NaN(), math.NaN()
	}
	means := make([]float64, BootstrapResamples)
	for b := range means {
		var sum float64
		for range users {
			vs := users[rng.IntN(len(users))]
			var s float64
			for range vs {
				s += vs[rng.IntN(len(vs))]
			}
			sum += s / float64(len(vs))
		}
		means[b] = sum / float64(len(users))
	}
	slices.Sort(means)
	at := func(q float64) float64 { return means[min(len(means)-1, int(q*float64(len(means))))] }
	return at(0.025), at(0.975)
}

// summarizeRows returns one [Figure] per deployment (in the order given)
// and metric, from rows of every seed, deployment and user (key names
// them, metric gives a row's figure, NaN where undefined). seeds orders the
// per-seed values. The bootstrap's random stream is fixed, so the same
// rows give the same intervals.
func summarizeRows[R any](rows []R, seeds []int64, deployments []string, attack string, metrics []string,
	key func(R) (seed int64, deployment, user string), metric func(R, string) float64) []Figure {
	seedIndex := map[int64]int{}
	for k, s := range seeds {
		seedIndex[s] = k
	}
	var out []Figure
	for _, dep := range deployments {
		var users []string
		byUser := map[string][]R{}
		for _, r := range rows {
			_, d, u := key(r)
			if d != dep {
				continue
			}
			if _, ok := byUser[u]; !ok {
				users = append(users, u)
			}
			byUser[u] = append(byUser[u], r)
		}
		for mi, m := range metrics {
			f := Figure{Deployment: dep, Attack: attack, Metric: m, Values: make([]float64, len(seeds))}
			grid := make([][]float64, len(users)) // user x seed
			for ui, u := range users {
				grid[ui] = make([]float64, len(seeds))
				for k := range grid[ui] {
					grid[ui][k] = math.NaN()
				}
				for _, r := range byUser[u] {
					s, _, _ := key(r)
					if k, ok := seedIndex[s]; ok {
						grid[ui][k] = metric(r, m)
					}
				}
			}
			for k := range seeds {
				var sum float64
				n := 0
				for ui := range users {
					if v := grid[ui][k]; !math.IsNaN(v) {
						sum += v
						n++
					}
				}
				f.Values[k] = math.NaN()
				if n > 0 {
					f.Values[k] = sum / float64(n)
				}
			}
			f.Max = math.NaN()
			for ui := range users {
				if slices.ContainsFunc(grid[ui], func(v float64) bool { return !math.IsNaN(v) }) {
					f.Users++
				}
				for _, v := range grid[ui] {
					if !math.IsNaN(v) && !(v <= f.Max) {
						f.Max = v
					}
				}
			}
			var def []float64
			for _, v := range f.Values {
				if !math.IsNaN(v) {
					def = append(def, v)
				}
			}
			st := NewSeedStat(def)
			f.Mean, f.SD = st.Mean, st.SD
			if len(def) == 0 {
				f.Mean, f.SD = math.NaN(), math.NaN()
			}
			rng := rand.New(rand.NewPCG(uint64(mi)+1, 0x626f6f74))
			f.Lo, f.Hi = UserSeedInterval(grid, rng)
			out = append(out, f)
		}
	}
	return out
}

// SummarizeContinuous returns the figures of [ContinuousMetrics] per
// deployment (in the order given) from every seed's per-user rows.
func SummarizeContinuous(rows []ContinuousUser, seeds []int64, deployments []string) []Figure {
	return summarizeRows(rows, seeds, deployments, "", ContinuousMetrics,
		func(r ContinuousUser) (int64, string, string) { return r.Seed, r.Deployment, r.User },
		func(r ContinuousUser, m string) float64 { return r.Metric(m) })
}

// figureJSON is a [Figure] in JSON, where NaN (undefined) is null.
type figureJSON struct {
	Deployment string     `json:"deployment"`
	Attack     string     `json:"attack,omitempty"`
	Metric     string     `json:"metric"`
	Mean       *float64   `json:"mean"`
	SD         *float64   `json:"sd"`
	Lo         *float64   `json:"lo"`
	Hi         *float64   `json:"hi"`
	Users      int        `json:"users"`
	Max        *float64   `json:"max"`
	Values     []*float64 `json:"values"`
}

func nullable(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func fromNullable(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes f with undefined (NaN) figures as null.
func (f Figure) MarshalJSON() ([]byte, error) {
	j := figureJSON{Deployment: f.Deployment, Attack: f.Attack, Metric: f.Metric, Mean: nullable(f.Mean), SD: nullable(f.SD),
		Lo: nullable(f.Lo), Hi: nullable(f.Hi), Users: f.Users, Max: nullable(f.Max)}
	for _, v := range f.Values {
		j.Values = append(j.Values, nullable(v))
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (f *Figure) UnmarshalJSON(b []byte) error {
	var j figureJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Figure{Deployment: j.Deployment, Attack: j.Attack, Metric: j.Metric, Mean: fromNullable(j.Mean), SD: fromNullable(j.SD),
		Lo: fromNullable(j.Lo), Hi: fromNullable(j.Hi), Users: j.Users, Max: fromNullable(j.Max)}
	for _, v := range j.Values {
		f.Values = append(f.Values, fromNullable(v))
	}
	return nil
}
