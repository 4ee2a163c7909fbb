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
	// ModeSweep evaluates the random forest at every tree count.
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
	Classifier string // run, threshold; "" = the preset's ([Preset.Classifier])
	Trees      int    // forest trees: run, threshold, compare
	TreeRange  []int  // sweep: the tree counts
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
		if classifier == "" {
			classifier = p.Classifier()
		}
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
		configs = len(e.TreeRange)
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
		if len(e.TreeRange) == 0 {
			return nil, fmt.Errorf("sweep: no tree counts")
		}
		o, err := options(e.Preset, "rf", e.TreeRange[0])
		if err != nil {
			return nil, err
		}
		o.Progress = tick
		if run.Sweeps, err = Sweep(ctx, d, o, e.TreeRange, o.Windows, func(t int) (classify.Classifier, error) {
			return newClassifier("rf", map[string]any{"trees": t})
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
