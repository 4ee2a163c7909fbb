package evaluate

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Splits of a table into training data and test sequences, for the
// continuous and attack evaluations.
const (
	// SplitChronological is for files without sessions (the published
	// feature files): per user, the chronologically first TrainFraction of
	// the actions train and the rest is the user's one genuine test
	// sequence; impostors are the [Strict] protocol's (half of the other
	// users, never seen in training), each contributing its last actions
	// (as many as the user's test part) as one sequence. With
	// SessionActions > 0 every sequence is cut into sessions of that many
	// actions, each a new login.
	SplitChronological = "chronological"
	// SplitSessions is for files with sessions (mouseauth feature CSVs,
	// raw logs): per user, the last TestSessions sessions (in file order)
	// are its genuine test sessions and the others train (their first
	// MaxTrain actions); every other user's test sessions are impostor
	// sequences against the user's model, one login each. Models train on
	// the user's training actions against negatives drawn from the other
	// users' training actions, as `evaluate holdout` and `classify train`
	// train.
	SplitSessions = "sessions"
)

// ContinuousOptions configure [EvaluateContinuous] and [EvaluateAttacks].
type ContinuousOptions struct {
	// Deployments are judged on the same models (one training per preset
	// and seed); default: old, window and sequential.
	Deployments []Deployment
	Seeds       []int64 // default {0}
	// Split is SplitChronological or SplitSessions; "" picks sessions when
	// the table has them.
	Split string
	// Trees of the forest classifiers (the old deployment's rf); 0 = 100.
	Trees         int
	TrainFraction float64 // chronological: default 2/3
	// SessionActions, chronological: cut every sequence into sessions of
	// this many actions, each a new login; 0 = one session per sequence.
	SessionActions int
	TestSessions   int // sessions: test sessions per user, default 2
	MaxTrain       int // sessions: training actions per user, 0 = all
	// Gates builds each user's gates for the deployments that use them;
	// nil: no gates (the result says so).
	Gates   GateFactory
	Workers int // users at once; default GOMAXPROCS; results do not depend on it
	// NewClassifier builds a classifier by name; nil means classify.New.
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
	// Progress, if set, is called with (0, total) first, then after each
	// user's models of one preset and seed are trained and judged (the
	// attacks: trained, then again attacked). Calls never overlap.
	Progress func(done, total int)
}

func (o *ContinuousOptions) defaults(d *preprocess.Table) error {
	if len(o.Deployments) == 0 {
		for _, n := range DeploymentNames {
			dep, _ := NamedDeployment(n)
			o.Deployments = append(o.Deployments, dep)
		}
	}
	seen := map[string]bool{}
	for _, dep := range o.Deployments {
		if seen[dep.Name] {
			return fmt.Errorf("deployment %q named twice", dep.Name)
		}
		seen[dep.Name] = true
		if err := dep.Policy.Validate(); err != nil {
			return fmt.Errorf("deployment %s: %w", dep.Name, err)
		}
		if _, err := ParsePreset(string(dep.Preset)); err != nil {
			return fmt.Errorf("deployment %s: %w", dep.Name, err)
		}
	}
	if len(o.Seeds) == 0 {
		o.Seeds = []int64{0}
	}
	if o.Split == "" {
		o.Split = SplitChronological
		if d.Sessions != nil {
			o.Split = SplitSessions
		}
	}
	switch o.Split {
	case SplitChronological:
	case SplitSessions:
		if d.Sessions == nil {
			return fmt.Errorf("%w: split by sessions, but the table has no session column (a published feature file: use the chronological split)", ErrBadData)
		}
	default:
		return fmt.Errorf("unknown split %q (want %s or %s)", o.Split, SplitChronological, SplitSessions)
	}
	if o.Trees == 0 {
		o.Trees = 100
	}
	if o.TrainFraction == 0 {
		o.TrainFraction = 2.0 / 3
	}
	if o.TrainFraction <= 0 || o.TrainFraction >= 1 {
		return fmt.Errorf("train fraction %v: must be in (0, 1)", o.TrainFraction)
	}
	if o.SessionActions < 0 || o.TestSessions < 0 || o.MaxTrain < 0 {
		return fmt.Errorf("session actions %d, test sessions %d, training actions %d: none may be negative", o.SessionActions, o.TestSessions, o.MaxTrain)
	}
	if o.TestSessions == 0 {
		o.TestSessions = 2
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.NewClassifier == nil {
		o.NewClassifier = classify.New
	}
	return nil
}

// sessionsText says in words how o forms sessions (for results).
func (o *ContinuousOptions) sessionsText() string {
	if o.Split == SplitSessions {
		s := fmt.Sprintf("per user, the last %d sessions of the file test (one login each) and the others train", o.TestSessions)
		if o.MaxTrain > 0 {
			s += fmt.Sprintf(" (their first %d actions)", o.MaxTrain)
		}
		return s + "; impostor sequences: every other user's test sessions against the user's model; a new login after each lockout"
	}
	s := fmt.Sprintf("per user, the first %.3g of the actions train and the rest is one genuine sequence; impostor sequences: the strict protocol's test impostors (half the other users, unseen in training), each its last actions (as many as the user's test part)", o.TrainFraction)
	if o.SessionActions > 0 {
		return s + fmt.Sprintf("; every sequence cut into sessions of %d actions, one login each; a new login after each lockout", o.SessionActions)
	}
	return s + "; one login per sequence, a new login after each lockout"
}

// sequence is one test sequence: whose actions, the vectors, their scores
// by the model judged, their start times and session marks.
type sequence struct {
	who    string
	x      [][]float64
	scores []float64
	starts []float64
	fresh  []bool
}

// userFit is one user's model, training vectors and test sequences under
// one preset and seed.
type userFit struct {
	user     string
	model    classify.Model
	train    [][]float64
	genuine  []sequence
	impostor []sequence
}

// presetFit is what one preset trained for every user at one seed, with
// the table's feature names and convention after the preset's
// preprocessing.
type presetFit struct {
	preset                Preset
	seed                  int64
	users                 []userFit
	names                 []string
	extractor, convention string
	skipped               []Skip
}

// fitPreset trains one model per user of d under preset p and seed, split
// as o says, and scores the user's test sequences with it.
func fitPreset(ctx context.Context, d *preprocess.Table, p Preset, seed int64, o *ContinuousOptions, tick func()) (*presetFit, error) {
	name := p.Classifier()
	params := ClassifierParams(name, o.Trees)
	c, err := o.NewClassifier(name, params)
	if err != nil {
		return nil, fmt.Errorf("classifier %s: %w", name, err)
	}
	opts := PresetOptions(p, c, params, Settings{Protocol: Strict, TrainFraction: o.TrainFraction, Seed: seed, Workers: o.Workers})
	if o.Split == SplitSessions {
		pf, err := fitSessions(ctx, d, opts, seed, o, tick)
		if pf != nil {
			pf.preset = p
		}
		return pf, err
	}
	var mu sync.Mutex
	fits := map[string]fittedUser{}
	opts.fitted = func(f fittedUser) {
		mu.Lock()
		fits[f.user] = f
		mu.Unlock()
	}
	opts.Progress = tick
	scores, skipped, err := ScoreUsers(ctx, d, opts)
	if err != nil {
		return nil, err
	}
	pf := &presetFit{preset: p, seed: seed, skipped: skipped, extractor: d.Extractor, convention: d.Convention}
	pf.names = d.Names
	if opts.DropDuplicateColumns {
		if dd, _ := DropDuplicateColumns(d); dd != nil {
			pf.names = dd.Names
		}
	}
	cut := func(n int) []bool {
		if o.SessionActions <= 0 {
			return nil
		}
		f := make([]bool, n)
		for i := range f {
			f[i] = i%o.SessionActions == 0
		}
		return f
	}
	for _, us := range scores {
		f := fits[us.User]
		uf := userFit{user: us.User, model: f.model, train: f.train,
			genuine: []sequence{{who: us.User, x: f.genuine, scores: us.Genuine, fresh: cut(len(us.Genuine))}}}
		for k, s := range us.Impostor {
			uf.impostor = append(uf.impostor, sequence{who: f.impostorUsers[k], x: f.impostor[k], scores: s, fresh: cut(len(s))})
		}
		pf.users = append(pf.users, uf)
	}
	return pf, nil
}

// fitSessions is fitPreset for [SplitSessions].
func fitSessions(ctx context.Context, d *preprocess.Table, opts Options, seed int64, o *ContinuousOptions, tick func()) (*presetFit, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if opts.ReplacePlaceholders {
		d, _ = ReplacePlaceholders(d)
	}
	if opts.DropDuplicateColumns {
		d, _ = DropDuplicateColumns(d)
	}
	users := d.UserOrder()
	rows := d.RowsByUser()
	pf := &presetFit{seed: seed, names: d.Names, extractor: d.Extractor, convention: d.Convention}
	type split struct {
		train []int
		test  [][]int // rows of each test session
		names []string
	}
	splits := map[string]split{}
	var kept []string
	for _, u := range users {
		var order []string
		bySession := map[string][]int{}
		for _, r := range rows[u] {
			s := d.Sessions[r]
			if _, ok := bySession[s]; !ok {
				order = append(order, s)
			}
			bySession[s] = append(bySession[s], r)
		}
		if len(order) <= o.TestSessions {
			pf.skipped = append(pf.skipped, Skip{User: u, Reason: fmt.Sprintf("%d sessions: needs more than the %d test sessions", len(order), o.TestSessions)})
			if tick != nil {
				tick()
			}
			continue
		}
		var sp split
		for _, s := range order[:len(order)-o.TestSessions] {
			sp.train = append(sp.train, bySession[s]...)
		}
		if o.MaxTrain > 0 && len(sp.train) > o.MaxTrain {
			sp.train = sp.train[:o.MaxTrain]
		}
		for _, s := range order[len(order)-o.TestSessions:] {
			sp.test = append(sp.test, bySession[s])
			sp.names = append(sp.names, s)
		}
		splits[u] = sp
		kept = append(kept, u)
	}
	if len(kept) < 2 {
		return nil, fmt.Errorf("%w: %d users with more than %d sessions, need 2", ErrBadData, len(kept), o.TestSessions)
	}
	vectors := func(idx []int) [][]float64 {
		out := make([][]float64, len(idx))
		for k, r := range idx {
			out[k] = d.X[r]
		}
		return out
	}
	rngs := classify.BatchRands(seed, kept)
	pf.users = make([]userFit, len(kept))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Workers)
	for ui, u := range kept {
		g.Go(func() error {
			var others [][]float64
			for _, v := range kept {
				if v != u {
					others = append(others, vectors(splits[v].train)...)
				}
			}
			own := vectors(splits[u].train)
			tr, err := classify.TrainUser(gctx, opts.Classifier, own, others, rngs[u], classify.TrainOptions{NegativeRatio: opts.NegativeRatio})
			if err != nil {
				return fmt.Errorf("train %s: %w", u, err)
			}
			uf := userFit{user: u, model: tr.Model, train: own}
			for _, v := range kept {
				for _, idx := range splits[v].test {
					seq := sequence{who: v, x: vectors(idx), scores: make([]float64, len(idx))}
					if d.Starts != nil {
						seq.starts = make([]float64, len(idx))
						for k, r := range idx {
							seq.starts[k] = d.Starts[r]
						}
					}
					for k, x := range seq.x {
						if seq.scores[k] = tr.Model.Score(x); math.IsNaN(seq.scores[k]) {
							return fmt.Errorf("the model of %s scored an action of %s NaN", u, v)
						}
					}
					if v == u {
						uf.genuine = append(uf.genuine, seq)
					} else {
						uf.impostor = append(uf.impostor, seq)
					}
				}
			}
			pf.users[ui] = uf
			if tick != nil {
				tick()
			}
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return pf, nil
}

// gatesFor builds each user's gate under pf (nil without a factory).
func gatesFor(pf *presetFit, f GateFactory) (map[string]Gate, error) {
	if f == nil {
		return nil, nil
	}
	out := map[string]Gate{}
	for _, u := range pf.users {
		g, err := f(GateData{User: u.user, Preset: pf.preset, Names: pf.names, Extractor: pf.extractor,
			Convention: pf.convention, Train: u.train, Seed: pf.seed})
		if err != nil {
			return nil, fmt.Errorf("gates of %s: %w", u.user, err)
		}
		out[u.user] = g
	}
	return out, nil
}

// trace is s as d judges it: with the gates' flags when d uses gates and g
// is set.
func (s sequence) trace(d Deployment, g Gate) Trace {
	t := Trace{Scores: s.scores, X: s.x, Starts: s.starts, Fresh: s.fresh}
	if d.Gates && g != nil {
		t.Flags = make([]decide.Flags, len(s.x))
		for i, x := range s.x {
			t.Flags[i] = g.Check(x)
		}
	}
	return t
}

// ContinuousResult is a continuous evaluation ([EvaluateContinuous]): how
// sessions were formed, the deployments judged, every seed's per-user
// counts and the figures over seeds and users.
type ContinuousResult struct {
	Data        string       `json:"data"`
	Split       string       `json:"split"`
	Sessions    string       `json:"sessions"` // how sessions were formed, in words
	Deployments []Deployment `json:"deployments"`
	// Gates says whether the deployments' gates were applied (a
	// [GateFactory] was given).
	Gates   bool             `json:"gates"`
	Seeds   []int64          `json:"seeds"`
	Summary []Figure         `json:"summary"`
	Users   []ContinuousUser `json:"users"`
	Skipped []Skip           `json:"skipped,omitempty"`
	// Recommended is the one policy the evaluation recommends
	// ([RecommendedPolicy]).
	Recommended decide.Policy `json:"recommended"`
}

// Find returns the figure of deployment and metric, or false.
func (r *ContinuousResult) Find(deployment, metric string) (Figure, bool) {
	for _, f := range r.Summary {
		if f.Deployment == deployment && f.Metric == metric {
			return f, true
		}
	}
	return Figure{}, false
}

// EvaluateContinuous judges, for every seed, every user's genuine test
// sessions and the impostor sequences against the user's model through
// each deployment (one model per user, preset and seed; see
// [SplitChronological] and [SplitSessions] for the sequences), resetting
// the session after each lockout, and summarises the figures of
// [ContinuousMetrics] over seeds and users. name names d in the result.
func EvaluateContinuous(ctx context.Context, d *preprocess.Table, name string, o ContinuousOptions) (*ContinuousResult, error) {
	if err := o.defaults(d); err != nil {
		return nil, err
	}
	presets := presetsOf(o.Deployments)
	tick := progressTicker(o.Progress, len(o.Seeds)*len(presets)*len(d.UserOrder()))
	res := &ContinuousResult{Data: name, Split: o.Split, Sessions: o.sessionsText(), Deployments: o.Deployments,
		Gates: o.Gates != nil, Seeds: o.Seeds, Recommended: RecommendedPolicy()}
	for _, seed := range o.Seeds {
		for _, p := range presets {
			pf, err := fitPreset(ctx, d, p, seed, &o, tick)
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
			rows, err := judgeSequences(pf, gates, o.Deployments, seed)
			if err != nil {
				return nil, err
			}
			res.Users = append(res.Users, rows...)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	finishContinuous(res, o.Deployments, o.Seeds)
	return res, nil
}

// judgeSequences walks every user's genuine and impostor sequences of pf
// through each deployment of pf's preset.
func judgeSequences(pf *presetFit, gates map[string]Gate, deps []Deployment, seed int64) ([]ContinuousUser, error) {
	var out []ContinuousUser
	for _, dep := range deps {
		if dep.Preset != pf.preset {
			continue
		}
		for _, u := range pf.users {
			cu := ContinuousUser{Seed: seed, Deployment: dep.Name, User: u.user}
			for _, s := range u.genuine {
				w, err := dep.Walk(s.trace(dep, gates[u.user]))
				if err != nil {
					return nil, err
				}
				cu.addGenuine(w)
			}
			for _, s := range u.impostor {
				w, err := dep.Walk(s.trace(dep, gates[u.user]))
				if err != nil {
					return nil, err
				}
				cu.addImpostor(w)
			}
			out = append(out, cu)
		}
	}
	return out, nil
}

// finishContinuous orders r's rows by seed, then deployment in the order
// given, then user, and summarises them.
func finishContinuous(r *ContinuousResult, deps []Deployment, seeds []int64) {
	order := map[string]int{}
	for i, dep := range deps {
		order[dep.Name] = i
	}
	slices.SortStableFunc(r.Users, func(a, b ContinuousUser) int {
		if a.Seed != b.Seed {
			return indexOf(seeds, a.Seed) - indexOf(seeds, b.Seed)
		}
		return order[a.Deployment] - order[b.Deployment]
	})
	r.Summary = SummarizeContinuous(r.Users, seeds, deploymentNames(deps))
}

func indexOf[T comparable](xs []T, x T) int { return slices.Index(xs, x) }

// presetsOf returns the presets of ds, each once, in order.
func presetsOf(ds []Deployment) []Preset {
	var out []Preset
	for _, d := range ds {
		if !slices.Contains(out, d.Preset) {
			out = append(out, d.Preset)
		}
	}
	return out
}

func deploymentNames(ds []Deployment) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Name
	}
	return out
}

// progressTicker returns a tick for per-user progress out of total,
// serialising the calls of f (nil: nil).
func progressTicker(f func(done, total int), total int) func() {
	if f == nil {
		return nil
	}
	f(0, total)
	var mu sync.Mutex
	done := 0
	return func() {
		mu.Lock()
		defer mu.Unlock()
		done++
		f(done, total)
	}
}
