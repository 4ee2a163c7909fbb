package evaluate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Mode is what an [Experiment] runs.
type Mode string

// Modes: one per `mouseauth evaluate` command.
const (
	// ModeRun evaluates one classifier under one preset.
	ModeRun Mode = "run"
	// ModeSweep evaluates the classifier at every tree count (classifiers
	// without trees: at the window sizes only).
	ModeSweep Mode = "sweep"
	// ModeCompare evaluates every classifier under every preset.
	ModeCompare Mode = "compare"
	// ModeThreshold evaluates as ModeRun, then the alarm figures at every
	// threshold and window size.
	ModeThreshold Mode = "threshold"
	// ModeHoldout trains on one set and scores another ([Experiment.RunHoldout]).
	ModeHoldout Mode = "holdout"
)

// Experiment is one evaluation as the evaluate commands run it: a mode, a
// preset (or several) and classifier(s) over the same settings and seed.
type Experiment struct {
	Mode Mode
	Settings
	Preset     Preset // run, sweep, threshold
	Classifier string // run, sweep, threshold ("" = the preset's, [Preset.Classifier]), holdout
	Trees      int    // forest trees: run, threshold, compare
	// TreeRange are the tree counts of a sweep (the classifier's
	// [TreeParam]); empty sweeps the window sizes only.
	TreeRange []int
	// Classifiers and Presets are compared pairwise (compare); an empty
	// Classifiers takes each preset's classifier.
	Classifiers []string
	Presets     []Preset
	// Thresholds are the threshold rules (threshold mode).
	Thresholds ThresholdRules
	// Params are classifier parameters set on top of [ClassifierParams]'s:
	// the --param settings. In compare they apply to every classifier that
	// has them.
	Params map[string]any
	// Seeds, with two or more seeds, runs the experiment once per seed
	// (Settings.Seed is then ignored) and merges the runs ([MergeSeeds]).
	Seeds []int64
	// Stats configure the bootstrap; its Seed is taken from the first seed
	// when 0.
	Stats StatsOptions
	// NewClassifier builds a classifier by name; nil means classify.New.
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
	// Progress, if set, is called with (0, total) before any work, then with
	// (done, total) after each user's model is evaluated; total counts users
	// times configurations times seeds. Calls never overlap.
	Progress func(done, total int)
}

// ErrInterrupted is wrapped by the error [Experiment.Run] returns, beside
// the context's, when it was cancelled after some of its work finished:
// the run it returns then holds that work and is marked Incomplete.
var ErrInterrupted = errors.New("interrupted")

// Run runs the experiment on d and returns what `evaluate --out` writes
// (no manifest: the caller adds it): Results for run, threshold and compare,
// Sweeps for sweep, Thresholds for threshold; with several Seeds, the
// merged run ([MergeSeeds]). Every summary gets its statistics
// ([WindowStats]), compare its Differences and Rankings, sweep its
// Ranking, and the run its ScoreSets and Settings.
//
// When ctx is cancelled after some seeds (or, in the first seed, some
// configurations of a compare) finished, Run returns the run of what
// finished, marked Incomplete, and an error wrapping ErrInterrupted and
// ctx's error.
func (e *Experiment) Run(ctx context.Context, d *preprocess.Table) (*Run, error) {
	configs := 1
	switch e.Mode {
	case ModeSweep:
		_, trees := e.sweepGrid()
		configs = max(1, len(trees))
	case ModeCompare:
		configs = len(e.compareConfigs())
	}
	seeds := e.seeds()
	tick := e.progress(len(d.UserOrder()) * configs * len(seeds))
	var runs []*Run
	var sets [][]ScoreSet // [seed][config]
	var interrupted error
	for _, seed := range seeds {
		r, ss, err := e.runSeed(ctx, d, seed, tick)
		if err != nil {
			if ctx.Err() != nil && (len(runs) > 0 || r != nil) {
				if len(runs) == 0 {
					runs, sets = append(runs, r), append(sets, ss)
				}
				interrupted = fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
				break
			}
			if len(seeds) > 1 {
				return nil, fmt.Errorf("seed %d: %w", seed, err)
			}
			return nil, err
		}
		runs, sets = append(runs, r), append(sets, ss)
	}
	done := seeds[:len(runs)]
	run := runs[0]
	if len(runs) > 1 {
		var err error
		if run, err = MergeSeeds(done, runs); err != nil {
			return nil, err
		}
	}
	run.ScoreSets = mergeScoreSets(done, sets)
	if err := e.addStats(run, d); err != nil {
		return nil, err
	}
	run.Settings = e.runSettings()
	if interrupted != nil {
		run.Incomplete = &Incomplete{Reason: fmt.Sprintf("interrupted: %d of %d seeds finished", len(done), len(seeds)), SeedsDone: done}
		if len(sets[0]) < configs && len(done) == 1 {
			run.Incomplete.Reason = fmt.Sprintf("interrupted: %d of %d configurations of seed %d finished", len(sets[0]), configs, done[0])
			run.Incomplete.SeedsDone = nil
		}
		return run, interrupted
	}
	return run, nil
}

// mergeScoreSets joins each configuration's score sets of every seed.
func mergeScoreSets(seeds []int64, sets [][]ScoreSet) []ScoreSet {
	n := len(sets[len(sets)-1]) // a cut-short first seed has fewer
	for _, s := range sets {
		n = min(n, len(s))
	}
	out := make([]ScoreSet, n)
	for i := range out {
		out[i] = sets[0][i]
		out[i].Seeds = slices.Clone(seeds)
		out[i].Scores = nil
		for _, s := range sets {
			out[i].Scores = append(out[i].Scores, s[i].Scores...)
		}
	}
	return out
}

// statsOptions are e.Stats with the seed defaulted.
func (e *Experiment) statsOptions() StatsOptions {
	o := e.Stats
	if o.Seed == 0 {
		o.Seed = e.seeds()[0]
	}
	return o
}

// addStats computes the statistics of run from its score sets: the
// summaries, differences and rankings of results, the statistics and
// ranking of sweep points, and the threshold points.
func (e *Experiment) addStats(run *Run, d *preprocess.Table) error {
	o := e.statsOptions()
	if e.Mode == ModeSweep {
		return e.sweepStats(run, o)
	}
	n := min(len(run.Results), len(run.ScoreSets))
	run.Results = run.Results[:n]
	figs := make([]map[int]perUser, n)
	for i := range n {
		set := &run.ScoreSets[i]
		figs[i] = map[int]perUser{}
		res := &run.Results[i]
		for j, s := range res.Summary {
			sum, pu, err := set.windowFigures(s.Window, o, fmt.Sprintf("%s/w%d", set.Name, s.Window), true)
			if err != nil {
				return fmt.Errorf("%s: %w", set.Name, err)
			}
			sum.Seeds = s.Seeds
			res.Summary[j] = sum
			figs[i][s.Window] = pu
		}
	}
	if e.Mode == ModeThreshold && n > 0 {
		for _, w := range run.ScoreSets[0].Windows {
			pts, err := Thresholds(&run.ScoreSets[0], w, e.Thresholds)
			if err != nil {
				return err
			}
			run.Thresholds = append(run.Thresholds, pts...)
		}
	}
	if n < 2 {
		return nil
	}
	cand := func(i, w int) candidate {
		return candidate{name: run.ScoreSets[i].Name, set: &run.ScoreSets[i], pu: figs[i][w], w: w}
	}
	for _, p := range comparePairs(run.Results) {
		for _, s := range run.Results[p[0]].Summary {
			if _, ok := figs[p[1]][s.Window]; !ok {
				continue
			}
			run.Differences = append(run.Differences, compareCandidates(cand(p[0], s.Window), cand(p[1], s.Window), o, "compare"))
		}
	}
	for _, w := range summaryWindows(run.Results) {
		var cs []candidate
		for i := range n {
			if _, ok := figs[i][w]; ok {
				cs = append(cs, cand(i, w))
			}
		}
		if len(cs) > 1 {
			r, _ := rank("compare", w, cs, o)
			run.Rankings = append(run.Rankings, r)
		}
	}
	return nil
}

// sweepStats gives every sweep point its statistics (per-user intervals;
// pooled figures without intervals) and the sweep its ranking over all
// cells.
func (e *Experiment) sweepStats(run *Run, o StatsOptions) error {
	var cs []candidate
	idx := make([]int, 0, len(run.Sweeps))
	for i := range run.Sweeps {
		p := &run.Sweeps[i]
		k := slices.IndexFunc(run.ScoreSets, func(s ScoreSet) bool { return s.Trees == p.Trees })
		if k < 0 {
			continue
		}
		set := &run.ScoreSets[k]
		name := sweepCellName(*p)
		sum, pu, err := set.windowFigures(p.Window, o, "sweep/"+name, false)
		if err != nil {
			return fmt.Errorf("sweep %s: %w", name, err)
		}
		p.MeanAUC, p.SDAUC, p.MeanEER, p.Stats = sum.MeanAUC, sum.SDAUC, sum.MeanEER, sum.Stats
		cs = append(cs, candidate{name: name, set: set, pu: pu, w: p.Window})
		idx = append(idx, i)
	}
	run.Sweeps = slices.DeleteFunc(run.Sweeps, func(p SweepPoint) bool { return p.Stats == nil })
	if len(cs) < 2 {
		return nil
	}
	r, best := rank("sweep", 0, cs, o)
	if best < 0 {
		return nil
	}
	for k, i := range idx {
		if i >= len(run.Sweeps) {
			break
		}
		run.Sweeps[i].Best = k == best
		run.Sweeps[i].TiesBest = slices.Contains(r.Ties, cs[k].name)
	}
	run.Rankings = append(run.Rankings, r)
	return nil
}

// sweepCellName names a sweep point: "trees=50 window=10", or "window=10"
// in a sweep of the window sizes only.
func sweepCellName(p SweepPoint) string {
	if p.Trees > 0 {
		return fmt.Sprintf("trees=%d window=%d", p.Trees, p.Window)
	}
	return fmt.Sprintf("window=%d", p.Window)
}

// comparePairs pairs the results of a compare run: each result with the
// first result of the same preset (another classifier) and with the first
// result of the same classifier (another preset); a result that shares
// neither with an earlier one (presets compared with their own
// classifiers) with the first result.
func comparePairs(results []Result) [][2]int {
	preset := func(r Result) string { return fmt.Sprint(r.Params["preset"]) }
	var out [][2]int
	for b := 1; b < len(results); b++ {
		paired := false
		for a := range b {
			if preset(results[a]) == preset(results[b]) && results[a].Classifier != results[b].Classifier {
				out = append(out, [2]int{a, b})
				paired = true
				break
			}
		}
		for a := range b {
			if results[a].Classifier == results[b].Classifier && preset(results[a]) != preset(results[b]) {
				out = append(out, [2]int{a, b})
				paired = true
				break
			}
		}
		if !paired {
			out = append(out, [2]int{0, b})
		}
	}
	return out
}

// summaryWindows are the windows any result summarises, ascending.
func summaryWindows(results []Result) []int {
	var ws []int
	for _, r := range results {
		for _, s := range r.Summary {
			if !slices.Contains(ws, s.Window) {
				ws = append(ws, s.Window)
			}
		}
	}
	slices.Sort(ws)
	return ws
}

// runSettings records e's settings.
func (e *Experiment) runSettings() *RunSettings {
	o := e.statsOptions()
	rs := &RunSettings{Mode: e.Mode, Protocol: string(e.Protocol), Windows: e.Windows, Seeds: e.seeds(),
		Params: e.Params, Statistics: StatisticsSettings{Unit: BootstrapUnit, Resamples: o.resamples(),
			Confidence: ConfidenceLevel, Seed: o.Seed}}
	if rs.Protocol == "" {
		rs.Protocol = string(Reference)
	}
	other := map[string]any{}
	if e.TrainFraction != 0 {
		other["train_fraction"] = e.TrainFraction
	}
	if e.NegativeRatio != 0 {
		other["negative_ratio"] = e.NegativeRatio
	}
	if e.Aggregate != "" {
		other["aggregate"] = string(e.Aggregate)
	}
	switch e.Mode {
	case ModeCompare:
		for _, c := range e.compareConfigs() {
			if !slices.Contains(rs.Presets, string(c.preset)) {
				rs.Presets = append(rs.Presets, string(c.preset))
			}
			if !slices.Contains(rs.Classifiers, c.classifier) {
				rs.Classifiers = append(rs.Classifiers, c.classifier)
			}
		}
		other["trees"] = e.Trees
	case ModeSweep:
		rs.Preset = string(e.Preset)
		rs.Classifier, other["tree_counts"] = e.sweepGrid()
	default:
		rs.Preset, rs.Classifier = string(e.Preset), e.Classifier
		if rs.Classifier == "" {
			rs.Classifier = e.Preset.Classifier()
		}
		if TreeParam(rs.Classifier) == "trees" {
			other["trees"] = e.Trees
		}
		if e.Mode == ModeThreshold {
			other["thresholds"] = e.Thresholds
		}
	}
	if len(other) > 0 {
		rs.Other = other
	}
	return rs
}

// compareConfig is one configuration of a compare.
type compareConfig struct {
	classifier string
	preset     Preset
}

// compareConfigs are the configurations a compare runs: every classifier
// under every preset, or each preset with its own classifier when
// Classifiers is empty.
func (e *Experiment) compareConfigs() []compareConfig {
	var out []compareConfig
	if len(e.Classifiers) == 0 {
		for _, p := range e.Presets {
			out = append(out, compareConfig{p.Classifier(), p})
		}
		return out
	}
	for _, c := range e.Classifiers {
		for _, p := range e.Presets {
			out = append(out, compareConfig{c, p})
		}
	}
	return out
}

// sweepGrid returns the classifier a sweep trains (the preset's when none
// is named) and its tree counts: TreeRange, or the single count 0 (the
// classifier's own settings) for a sweep of the window sizes only.
func (e *Experiment) sweepGrid() (string, []int) {
	classifier := e.Classifier
	if classifier == "" {
		classifier = e.Preset.Classifier()
	}
	if len(e.TreeRange) == 0 {
		return classifier, []int{0}
	}
	return classifier, e.TreeRange
}

// seeds returns the seeds to run: Seeds, or the one of Settings.
func (e *Experiment) seeds() []int64 {
	if len(e.Seeds) > 0 {
		return e.Seeds
	}
	return []int64{e.Seed}
}

// newClassifier builds classifier with trees trees and e.Params (those the
// classifier has, in a compare of several classifiers).
func (e *Experiment) newClassifier(classifier string, trees int) (classify.Classifier, map[string]any, error) {
	params := ClassifierParams(classifier, trees)
	return e.buildClassifier(classifier, params)
}

func (e *Experiment) buildClassifier(classifier string, params map[string]any) (classify.Classifier, map[string]any, error) {
	newClassifier := e.NewClassifier
	if newClassifier == nil {
		newClassifier = classify.New
	}
	for k, v := range e.Params {
		if e.Mode != ModeCompare || classify.HasParam(classifier, k) {
			params[k] = v
		}
	}
	c, err := newClassifier(classifier, params)
	if err != nil {
		return nil, nil, fmt.Errorf("classifier: %w", err)
	}
	return c, params, nil
}

// runSeed runs the experiment once, with seed, and returns the run and a
// score set per configuration. Cancelled in a compare, it returns the
// configurations that finished with the error.
func (e *Experiment) runSeed(ctx context.Context, d *preprocess.Table, seed int64, tick func()) (*Run, []ScoreSet, error) {
	settings := e.Settings
	settings.Seed = seed
	options := func(p Preset, c classify.Classifier, params map[string]any) Options {
		return PresetOptions(p, c, params, settings)
	}
	newSet := func(name string, res Result, o Options, scores []UserScores) ScoreSet {
		set := ScoreSet{Name: name, Result: -1, Classifier: res.Classifier, Preset: fmt.Sprint(o.Params["preset"]),
			Protocol: string(o.Protocol), Aggregate: o.Aggregate, Windows: o.Windows, Seeds: []int64{seed},
			Scores: [][]UserScores{scores}, RowUsers: d.Users}
		if set.Protocol == "" {
			set.Protocol = string(Reference)
		}
		if set.Aggregate == "" {
			set.Aggregate = AggMean
		}
		if len(set.Windows) == 0 {
			set.Windows = []int{1}
		}
		if len(d.Sessions) == len(d.Users) {
			set.RowSessions = d.Sessions
		}
		return set
	}
	run := &Run{}
	var sets []ScoreSet
	switch e.Mode {
	case ModeRun, ModeThreshold:
		classifier := e.Classifier
		if classifier == "" {
			classifier = e.Preset.Classifier()
		}
		c, params, err := e.newClassifier(classifier, e.Trees)
		if err != nil {
			return nil, nil, err
		}
		o := options(e.Preset, c, params)
		o.Progress = tick
		res, scores, err := EvaluateScores(ctx, d, o)
		if err != nil {
			return nil, nil, err
		}
		run.Results = []Result{res}
		set := newSet(ResultName(res), res, o, scores)
		set.Result = 0
		sets = append(sets, set)
	case ModeSweep:
		classifier, trees := e.sweepGrid()
		if len(trees) == 0 {
			return nil, nil, fmt.Errorf("sweep: no tree counts")
		}
		tp := TreeParam(classifier)
		if tp == "" && (len(trees) != 1 || trees[0] != 0) {
			return nil, nil, fmt.Errorf("sweep: classifier %s has no trees to sweep; leave the tree counts out to sweep the window sizes only", classifier)
		}
		build := func(t int) (classify.Classifier, map[string]any, error) {
			params := map[string]any{}
			if t > 0 {
				params[tp] = t
			}
			return e.buildClassifier(classifier, params)
		}
		c, params, err := build(trees[0])
		if err != nil {
			return nil, nil, err
		}
		o := options(e.Preset, c, params)
		o.Progress = tick
		pts, scores, err := Sweep(ctx, d, o, trees, o.Windows, func(t int) (classify.Classifier, error) {
			c, _, err := build(t)
			return c, err
		})
		if err != nil {
			return nil, nil, err
		}
		run.Sweeps = pts
		for k, t := range trees {
			name := fmt.Sprintf("%s=%d", tp, t)
			if t == 0 {
				name = classifier
			}
			set := newSet(name, Result{Classifier: classifier}, o, scores[k])
			set.Trees = t
			sets = append(sets, set)
		}
	case ModeCompare:
		for _, cc := range e.compareConfigs() {
			c, params, err := e.newClassifier(cc.classifier, e.Trees)
			if err != nil {
				return nil, nil, err
			}
			o := options(cc.preset, c, params)
			o.Progress = tick
			res, scores, err := EvaluateScores(ctx, d, o)
			if err != nil {
				if ctx.Err() != nil && len(run.Results) > 0 {
					return run, sets, err
				}
				return nil, nil, fmt.Errorf("%s (%s): %w", cc.classifier, cc.preset, err)
			}
			run.Results = append(run.Results, res)
			set := newSet(ResultName(res), res, o, scores)
			set.Result = len(run.Results) - 1
			sets = append(sets, set)
		}
	default:
		return nil, nil, fmt.Errorf("evaluate: unknown mode %q", e.Mode)
	}
	return run, sets, nil
}

// RunHoldout trains on set's training set and scores its test set with
// e.Classifier (e.Trees and e.Params; the preset's classifier when empty),
// e.NegativeRatio and e.Aggregate (the preset's when 0 and empty: 8 and
// logodds for improved, 1 and mean for published), once per seed (see
// [EvaluateHoldout]), and returns the run (Holdouts, with statistics over
// every seed; merged over seeds with several) and the first seed's models.
// When ctx is cancelled after some seeds finished, it returns the run of
// those, marked Incomplete, and an error wrapping ErrInterrupted.
func (e *Experiment) RunHoldout(ctx context.Context, set *HoldoutSet) (*Run, Models, error) {
	seeds := e.seeds()
	tick := e.progress(len(set.users) * len(seeds))
	var runs []*Run
	var interrupted error
	var models Models
	classifier := e.Classifier
	if classifier == "" {
		classifier = e.Preset.Classifier()
	}
	preset := PresetOptions(e.Preset, nil, nil, e.Settings)
	for k, seed := range seeds {
		c, params, err := e.newClassifier(classifier, e.Trees)
		if err != nil {
			return nil, Models{}, err
		}
		res, ms, err := EvaluateHoldout(ctx, set, HoldoutOptions{Classifier: c, Params: params,
			NegativeRatio: preset.NegativeRatio, Aggregate: preset.Aggregate, Seed: seed, Workers: e.Workers,
			Progress: tick, Now: e.Now})
		if err != nil {
			if ctx.Err() != nil && len(runs) > 0 {
				interrupted = fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
				break
			}
			if len(seeds) > 1 {
				return nil, Models{}, fmt.Errorf("seed %d: %w", seed, err)
			}
			return nil, Models{}, err
		}
		if k == 0 {
			models = ms
		}
		runs = append(runs, &Run{Holdouts: []HoldoutResult{res}})
	}
	done := seeds[:len(runs)]
	results := make([]HoldoutResult, len(runs))
	for k, r := range runs {
		results[k] = r.Holdouts[0]
	}
	st, err := holdoutStats(results, e.statsOptions())
	if err != nil {
		return nil, Models{}, err
	}
	run := runs[0]
	if len(runs) > 1 {
		if run, err = MergeSeeds(done, runs); err != nil {
			return nil, Models{}, err
		}
	}
	run.Holdouts[0].Stats = st
	run.Settings = e.runSettings()
	run.Settings.Mode = ModeHoldout
	if interrupted != nil {
		run.Incomplete = &Incomplete{Reason: fmt.Sprintf("interrupted: %d of %d seeds finished", len(done), len(seeds)), SeedsDone: done}
		return run, models, interrupted
	}
	return run, models, nil
}

// progress returns the per-user tick for [Options.Progress], serialising
// the calls of e.Progress.
func (e *Experiment) progress(total int) func() {
	if e.Progress == nil {
		return nil
	}
	e.Progress(0, total)
	var mu sync.Mutex
	done := 0
	return func() {
		mu.Lock()
		defer mu.Unlock()
		done++
		e.Progress(done, total)
	}
}
