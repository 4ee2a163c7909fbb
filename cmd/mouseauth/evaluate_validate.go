package main

import (
	"slices"
	"strings"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
)

// validate parses and checks the flags of every evaluate command.
func (o *EvaluateOptions) validate(fl *evaluateFlags) error {
	var err error
	if err := o.validateSeeds(fl); err != nil {
		return err
	}
	if o.Classifier == "" && o.Mode != modeCompare {
		// No --classifier: the preset's for run and threshold; a sweep
		// (of tree counts) and holdout (no preset) train the forest.
		o.Classifier = "rf"
		if p, err := evaluate.ParsePreset(o.Preset); err == nil && (o.Mode == modeRun || o.Mode == modeThreshold) {
			o.Classifier = p.Classifier()
		}
	}
	if err := o.validateParams(fl); err != nil {
		return err
	}
	if o.Mode == modeHoldout {
		return o.validateHoldout(fl)
	}
	switch o.Mode {
	case modeSweep:
		if o.TreeRange, err = parseIntRange(fl.trees); err != nil {
			return cli.FlagErrorf("--tree-counts: %v", err)
		}
	case modeCompare:
		o.Classifiers, o.Presets = splitList(fl.classifiers), splitList(fl.presets)
		if len(o.Classifiers) == 0 || len(o.Presets) == 0 {
			return cli.FlagErrorf("--classifiers and --presets need at least one name")
		}
		for _, c := range o.Classifiers {
			if !slices.Contains(classify.Names(), c) {
				return cli.FlagErrorf("--classifiers: unknown classifier %q (have %s)", c, strings.Join(classify.Names(), ", "))
			}
		}
		for _, p := range o.Presets {
			if _, err := evaluate.ParsePreset(p); err != nil {
				return cli.FlagErrorf("--presets: %v", err)
			}
		}
	case modeThreshold:
		if o.Thresholds, err = parseFloatRange(fl.thresholds); err != nil {
			return cli.FlagErrorf("--thresholds: %v", err)
		}
		for _, p := range o.Thresholds {
			if p < 0 || p > 1 {
				return cli.FlagErrorf("--thresholds: %v is outside [0, 1]", p)
			}
		}
	}
	if o.Features == "" {
		return cli.FlagErrorf("--features is required")
	}
	if o.Classifier != "" && !slices.Contains(classify.Names(), o.Classifier) {
		return cli.FlagErrorf("--classifier: unknown classifier %q (have %s)", o.Classifier, strings.Join(classify.Names(), ", "))
	}
	// --trees is refused, not ignored, for a classifier without trees; a
	// sweep of such a classifier runs over the window sizes only.
	if o.Classifier != "" && o.Mode != modeCompare && !classify.HasParam(o.Classifier, "trees") {
		if fl.treesSet {
			flag, what := "--trees", "has no trees"
			if o.Mode == modeSweep {
				flag, what = "--tree-counts", "has no trees to sweep; leave --tree-counts out to sweep the window sizes only"
			}
			return cli.FlagErrorf("%s: classifier %s %s (%[1]s is for %[4]s)", flag, o.Classifier, what, strings.Join(classify.TreeClassifiers(), ", "))
		}
		o.TreeRange = nil
	}
	if o.Windows, err = parseIntRange(fl.windows); err != nil {
		return cli.FlagErrorf("--windows: %v", err)
	}
	for _, w := range o.Windows {
		if w < 1 {
			return cli.FlagErrorf("--windows: size %d must be >= 1", w)
		}
	}
	if _, err := evaluate.ParseProtocol(o.Protocol); err != nil {
		return cli.FlagErrorf("--protocol: %v", err)
	}
	if _, err := evaluate.ParsePreset(o.Preset); o.Mode != modeCompare && err != nil {
		return cli.FlagErrorf("--preset: %v", err)
	}
	if o.Aggregate != "" {
		if _, err := evaluate.ParseAggregate(o.Aggregate); err != nil {
			return cli.FlagErrorf("--aggregate: %v", err)
		}
	}
	if o.Trees < 1 && o.Mode != modeSweep {
		return cli.FlagErrorf("--trees: %d must be >= 1", o.Trees)
	}
	for _, t := range o.TreeRange {
		if t < 1 {
			return cli.FlagErrorf("--tree-counts: %d must be >= 1", t)
		}
	}
	if o.TrainFraction <= 0 || o.TrainFraction >= 1 {
		return cli.FlagErrorf("--train-fraction: %v must be in (0, 1)", o.TrainFraction)
	}
	if o.NegRatio < 0 {
		return cli.FlagErrorf("--neg-ratio: %v must be >= 0", o.NegRatio)
	}
	return cli.ValidateOutput(o.Output)
}

// validateSeeds parses --seeds; with --seed as well it is a usage error.
func (o *EvaluateOptions) validateSeeds(fl *evaluateFlags) error {
	if fl.seeds == "" {
		return nil
	}
	if fl.seedSet {
		return cli.FlagErrorf("--seed and --seeds: give one (--seed N for one seed, --seeds 0:9 for several)")
	}
	seeds, err := parseIntRange(fl.seeds)
	if err != nil {
		return cli.FlagErrorf("--seeds: %v", err)
	}
	o.Seeds = make([]int64, len(seeds))
	for i, s := range seeds {
		o.Seeds[i] = int64(s)
	}
	o.Seed = o.Seeds[0]
	if len(o.Seeds) == 1 {
		o.Seeds = nil // one seed: a plain run
	}
	return nil
}

// validateParams parses --param for --classifier with classify.ParseParams;
// trees set by --param and by --trees is a usage error, as is --param
// trees in a sweep (its --tree-counts is the swept range).
func (o *EvaluateOptions) validateParams(fl *evaluateFlags) error {
	if len(fl.params) == 0 {
		return nil
	}
	params, err := classify.ParseParams(o.Classifier, fl.params)
	if err != nil {
		return cli.FlagErrorf("--param: %v", err)
	}
	if _, ok := params["trees"]; ok {
		if o.Mode == modeSweep {
			return cli.FlagErrorf("--param trees: sweep takes the tree counts from --tree-counts")
		}
		if fl.treesSet {
			return cli.FlagErrorf("--param trees and --trees: set the number of trees once")
		}
	}
	o.Params = params
	return nil
}
