package evaluate

import (
	"context"
	"fmt"
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
	Classifier string // run, threshold ("" = the preset's, [Preset.Classifier]), sweep ("" = rf), holdout
	Trees      int    // forest trees: run, threshold, compare
	// TreeRange are the tree counts of a sweep; empty for a classifier
	// without a "trees" parameter (a sweep of the windows only).
	TreeRange []int
	// Classifiers and Presets are compared pairwise (compare).
	Classifiers []string
	Presets     []Preset
	Thresholds  []float64 // threshold: the alarm thresholds
	// Params are classifier parameters set on top of [ClassifierParams]'s
	// (run, threshold, holdout): the --param settings.
	Params map[string]any
	// Seeds, with two or more seeds, runs the experiment once per seed
	// (Settings.Seed is then ignored) and merges the runs ([MergeSeeds]).
	Seeds []int64
	// NewClassifier builds a classifier by name; nil means classify.New.
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
	// Progress, if set, is called with (0, total) before any work, then with
	// (done, total) after each user's model is evaluated; total counts users
	// times configurations times seeds. Calls never overlap.
	Progress func(done, total int)
}

// Run runs the experiment on d and returns what `evaluate --out` writes
// (no manifest: the caller adds it): Results for run, threshold and compare,
// Sweeps for sweep, Thresholds for threshold; with several Seeds, the
// merged run ([MergeSeeds]).
func (e *Experiment) Run(ctx context.Context, d *preprocess.Table) (*Run, error) {
	if e.Mode == ModeThreshold && len(e.Seeds) > 1 {
		return nil, fmt.Errorf("threshold: one seed only (the alarm figures are not summarised over seeds)")
	}
	configs := 1
	switch e.Mode {
	case ModeSweep:
		_, trees := e.sweepGrid()
		configs = max(1, len(trees))
	case ModeCompare:
		configs = len(e.Classifiers) * len(e.Presets)
	}
	seeds := e.seeds()
	tick := e.progress(len(d.UserOrder()) * configs * len(seeds))
	runs := make([]*Run, len(seeds))
	for k, seed := range seeds {
		r, err := e.runSeed(ctx, d, seed, tick)
		if err != nil {
			if len(seeds) > 1 {
				return nil, fmt.Errorf("seed %d: %w", seed, err)
			}
			return nil, err
		}
		runs[k] = r
	}
	if len(runs) == 1 {
		return runs[0], nil
	}
	return MergeSeeds(seeds, runs)
}

// sweepGrid returns the classifier a sweep trains ("" is rf) and its tree
// counts: TreeRange, or the single count 0 (the classifier's own settings)
// for a classifier without trees and no TreeRange.
func (e *Experiment) sweepGrid() (string, []int) {
	classifier := e.Classifier
	if classifier == "" {
		classifier = "rf"
	}
	if len(e.TreeRange) == 0 && !classify.HasParam(classifier, "trees") {
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

// newClassifier builds classifier with trees trees and e.Params.
func (e *Experiment) newClassifier(classifier string, trees int) (classify.Classifier, map[string]any, error) {
	newClassifier := e.NewClassifier
	if newClassifier == nil {
		newClassifier = classify.New
	}
	params := ClassifierParams(classifier, trees)
	for k, v := range e.Params {
		params[k] = v
	}
	c, err := newClassifier(classifier, params)
	if err != nil {
		return nil, nil, fmt.Errorf("classifier: %w", err)
	}
	return c, params, nil
}

// runSeed runs the experiment once, with seed.
func (e *Experiment) runSeed(ctx context.Context, d *preprocess.Table, seed int64, tick func()) (*Run, error) {
	settings := e.Settings
	settings.Seed = seed
	options := func(p Preset, classifier string, trees int) (Options, error) {
		if classifier == "" {
			classifier = p.Classifier()
		}
		c, params, err := e.newClassifier(classifier, trees)
		if err != nil {
			return Options{}, err
		}
		return PresetOptions(p, c, params, settings), nil
	}
	run := &Run{}
	switch e.Mode {
	case ModeRun, ModeThreshold:
		o, err := options(e.Preset, e.Classifier, e.Trees)
		if err != nil {
			return nil, err
		}
		o.Progress = tick
		res, scores, err := EvaluateScores(ctx, d, o)
		if err != nil {
			return nil, err
		}
		run.Results = []Result{res}
		if e.Mode == ModeRun {
			return run, nil
		}
		for _, w := range o.Windows {
			pts, err := Thresholds(scores, w, o.Aggregate, e.Thresholds)
			if err != nil {
				return nil, err
			}
			run.Thresholds = append(run.Thresholds, pts...)
		}
	case ModeSweep:
		classifier, trees := e.sweepGrid()
		if len(trees) == 0 {
			return nil, fmt.Errorf("sweep: no tree counts")
		}
		if !classify.HasParam(classifier, "trees") && (len(trees) != 1 || trees[0] != 0) {
			return nil, fmt.Errorf("sweep: classifier %s has no trees to sweep; leave the tree counts out to sweep the window sizes only", classifier)
		}
		o, err := options(e.Preset, classifier, trees[0])
		if err != nil {
			return nil, err
		}
		o.Progress = tick
		if run.Sweeps, err = Sweep(ctx, d, o, trees, o.Windows, func(t int) (classify.Classifier, error) {
			c, _, err := e.newClassifier(classifier, t)
			return c, err
		}); err != nil {
			return nil, err
		}
	case ModeCompare:
		for _, c := range e.Classifiers {
			for _, p := range e.Presets {
				o, err := options(p, c, e.Trees)
				if err != nil {
					return nil, err
				}
				o.Progress = tick
				res, err := Evaluate(ctx, d, o)
				if err != nil {
					return nil, fmt.Errorf("%s (%s): %w", c, p, err)
				}
				run.Results = append(run.Results, res)
			}
		}
	default:
		return nil, fmt.Errorf("evaluate: unknown mode %q", e.Mode)
	}
	return run, nil
}

// RunHoldout trains on set's training set and scores its test set with
// e.Classifier (e.Trees and e.Params), e.NegativeRatio and e.Aggregate,
// once per seed (see [EvaluateHoldout]), and returns the run (Holdouts;
// merged over seeds with several) and the first seed's models.
func (e *Experiment) RunHoldout(ctx context.Context, set *HoldoutSet) (*Run, Models, error) {
	seeds := e.seeds()
	tick := e.progress(len(set.users) * len(seeds))
	runs := make([]*Run, len(seeds))
	var models Models
	for k, seed := range seeds {
		c, params, err := e.newClassifier(e.Classifier, e.Trees)
		if err != nil {
			return nil, Models{}, err
		}
		res, ms, err := EvaluateHoldout(ctx, set, HoldoutOptions{Classifier: c, Params: params,
			NegativeRatio: e.NegativeRatio, Aggregate: e.Aggregate, Seed: seed, Workers: e.Workers,
			Progress: tick, Now: e.Now})
		if err != nil {
			if len(seeds) > 1 {
				return nil, Models{}, fmt.Errorf("seed %d: %w", seed, err)
			}
			return nil, Models{}, err
		}
		if k == 0 {
			models = ms
		}
		runs[k] = &Run{Holdouts: []HoldoutResult{res}}
	}
	if len(runs) == 1 {
		return runs[0], models, nil
	}
	run, err := MergeSeeds(seeds, runs)
	return run, models, err
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
