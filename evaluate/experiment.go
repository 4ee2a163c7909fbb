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
)

// Experiment is one evaluation as the evaluate commands run it: a mode, a
// preset (or several) and classifier(s) over the same settings and seed.
type Experiment struct {
	Mode Mode
	Settings
	Preset     Preset // run, sweep, threshold
	Classifier string // run, threshold, sweep ("" = rf)
	Trees      int    // forest trees: run, threshold, compare
	// TreeRange are the tree counts of a sweep; empty for a classifier
	// without a "trees" parameter (a sweep of the windows only).
	TreeRange []int
	// Classifiers and Presets are compared pairwise (compare).
	Classifiers []string
	Presets     []Preset
	Thresholds  []float64 // threshold: the alarm thresholds
	// NewClassifier builds a classifier by name; nil means classify.New.
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
	// Progress, if set, is called with (0, total) before any work, then with
	// (done, total) after each user's model is evaluated; total counts users
	// times configurations. Calls never overlap.
	Progress func(done, total int)
}

// Run runs the experiment on d and returns what `evaluate --out` writes
// (no manifest: the caller adds it): Results for run, threshold and compare,
// Sweeps for sweep, Thresholds for threshold.
func (e *Experiment) Run(ctx context.Context, d *preprocess.Table) (*Run, error) {
	newClassifier := e.NewClassifier
	if newClassifier == nil {
		newClassifier = classify.New
	}
	options := func(p Preset, classifier string, trees int) (Options, error) {
		params := ClassifierParams(classifier, trees)
		c, err := newClassifier(classifier, params)
		if err != nil {
			return Options{}, fmt.Errorf("classifier: %w", err)
		}
		return PresetOptions(p, c, params, e.Settings), nil
	}
	configs := 1
	switch e.Mode {
	case ModeSweep:
		_, trees := e.sweepGrid()
		configs = max(1, len(trees))
	case ModeCompare:
		configs = len(e.Classifiers) * len(e.Presets)
	}
	tick := e.progress(len(d.UserOrder()) * configs)

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
		params := func(t int) map[string]any {
			if t == 0 {
				return map[string]any{}
			}
			return map[string]any{"trees": t}
		}
		c, err := newClassifier(classifier, params(trees[0]))
		if err != nil {
			return nil, fmt.Errorf("classifier: %w", err)
		}
		o := PresetOptions(e.Preset, c, params(trees[0]), e.Settings)
		o.Progress = tick
		if run.Sweeps, err = Sweep(ctx, d, o, trees, o.Windows, func(t int) (classify.Classifier, error) {
			return newClassifier(classifier, params(t))
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
