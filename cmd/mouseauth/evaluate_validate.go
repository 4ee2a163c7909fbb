package main

import (
	"fmt"
	"io"
	"maps"
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
	if o.Mode != modeCompare {
		p, err := o.parsePreset("--preset", o.Preset)
		if err != nil {
			return err
		}
		o.Preset = string(p)
		if o.Classifier == "" {
			// No --classifier: the preset's, in every mode.
			o.Classifier = p.Classifier()
		}
	}
	if o.Resamples < 1 {
		return cli.FlagErrorf("--resamples: %d must be >= 1", o.Resamples)
	}
	if o.Mode == modeCompare {
		if err := o.validateCompare(fl); err != nil {
			return err
		}
	}
	if o.Mode == modeSweep && fl.trees != "" {
		if o.TreeRange, err = parseIntRange(fl.trees); err != nil {
			return cli.FlagErrorf("--tree-counts: %v", err)
		}
	}
	if err := o.validateParams(fl); err != nil {
		return err
	}
	if o.Mode == modeHoldout {
		return o.validateHoldout(fl)
	}
	switch o.Mode {
	case modeThreshold:
		if err := o.validateThresholds(fl); err != nil {
			return err
		}
	}
	if o.Features == "" {
		return cli.FlagErrorf("--features is required")
	}
	if o.Classifier != "" && !slices.Contains(classify.Names(), o.Classifier) {
		return cli.FlagErrorf("--classifier: unknown classifier %q (have %s)", o.Classifier, strings.Join(classify.Names(), ", "))
	}
	// --trees and --tree-counts are refused, not ignored, for a classifier
	// without trees (a sweep's tree counts set gbdt's boosting rounds).
	if o.Classifier != "" && o.Mode == modeSweep && evaluate.TreeParam(o.Classifier) == "" && len(o.TreeRange) > 0 {
		return cli.FlagErrorf("--tree-counts: classifier %s has no trees to sweep; leave --tree-counts out to sweep the window sizes only", o.Classifier)
	}
	if o.Classifier != "" && o.Mode != modeCompare && o.Mode != modeSweep && !classify.HasParam(o.Classifier, "trees") && fl.treesSet {
		return cli.FlagErrorf("--trees: classifier %s has no trees (--trees is for %s)", o.Classifier, strings.Join(classify.TreeClassifiers(), ", "))
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

// parsePreset parses a preset named by flag, warning (on stderr) when it
// is a former name.
func (o *EvaluateOptions) parsePreset(flag, name string) (evaluate.Preset, error) {
	return parsePreset(o.IO.ErrOut, flag, name)
}

// parsePreset parses a preset named by flag, warning on errOut when it is a
// former name.
func parsePreset(errOut io.Writer, flag, name string) (evaluate.Preset, error) {
	p, err := evaluate.ParsePreset(name)
	if err != nil {
		return "", cli.FlagErrorf("%s: %v", flag, err)
	}
	if _, old := evaluate.PresetAliases[name]; old {
		fmt.Fprintf(errOut, "warning: preset %q is now called %q (the published evaluation's settings; \"reference\" stays the protocol's name); the old name still works\n", name, p)
	}
	return p, nil
}

// parsePresets parses a comma-separated list of presets named by flag
// ("both" is published and improved), without repeats.
func parsePresets(errOut io.Writer, flag, list string) ([]evaluate.Preset, error) {
	var names []string
	for _, n := range splitList(list) {
		if n == "both" {
			names = append(names, presetPublished, presetImproved)
		} else {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, cli.FlagErrorf("%s needs at least one name: improved, published or both", flag)
	}
	var out []evaluate.Preset
	for _, n := range names {
		p, err := parsePreset(errOut, flag, n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// validateCompare parses --classifiers and --presets ("both" is published
// and improved).
func (o *EvaluateOptions) validateCompare(fl *evaluateFlags) error {
	o.Classifiers = splitList(fl.classifiers)
	for _, c := range o.Classifiers {
		if !slices.Contains(classify.Names(), c) {
			return cli.FlagErrorf("--classifiers: unknown classifier %q (have %s)", c, strings.Join(classify.Names(), ", "))
		}
	}
	ps, err := parsePresets(o.IO.ErrOut, "--presets", fl.presets)
	if err != nil {
		return err
	}
	o.Presets = nil
	for _, p := range ps {
		o.Presets = append(o.Presets, string(p))
	}
	return nil
}

// validateThresholds parses the threshold rules; at least one threshold is
// always asked for (the EER's).
func (o *EvaluateOptions) validateThresholds(fl *evaluateFlags) error {
	r := evaluate.ThresholdRules{EER: true}
	var err error
	for _, f := range []struct {
		name, value string
		dst         *[]float64
	}{{"--fmr-targets", fl.fmrTargets, &r.FMRTargets}, {"--quantiles", fl.quantiles, &r.Quantiles}, {"--thresholds", fl.thresholds, &r.Values}} {
		if f.value == "" {
			continue
		}
		if *f.dst, err = parseFloatRange(f.value); err != nil {
			return cli.FlagErrorf("%s: %v", f.name, err)
		}
		for _, v := range *f.dst {
			if v < 0 || v > 1 {
				return cli.FlagErrorf("%s: %v is outside [0, 1]", f.name, v)
			}
		}
	}
	o.Thresholds = r
	return nil
}

// compareClassifiers are the classifiers a compare trains.
func (o *EvaluateOptions) compareClassifiers() []string {
	if len(o.Classifiers) > 0 {
		return o.Classifiers
	}
	var out []string
	for _, p := range o.Presets {
		if c := evaluate.Preset(p).Classifier(); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// validateParams parses --param for --classifier (in compare: for every
// compared classifier that has the parameter, at least one) with
// classify.ParseParams; trees set by --param and by --trees is a usage
// error, as is --param trees in a sweep (its --tree-counts is the swept
// range).
func (o *EvaluateOptions) validateParams(fl *evaluateFlags) error {
	if len(fl.params) == 0 {
		return nil
	}
	var params map[string]any
	var err error
	if o.Mode == modeCompare {
		params, err = compareParams(o.compareClassifiers(), fl.params)
	} else {
		params, err = classify.ParseParams(o.Classifier, fl.params)
	}
	if err != nil {
		return cli.FlagErrorf("--param: %v", err)
	}
	if tp := evaluate.TreeParam(o.Classifier); o.Mode == modeSweep && tp != "" && len(o.TreeRange) > 0 {
		if _, ok := params[tp]; ok {
			return cli.FlagErrorf("--param %s: sweep takes the tree counts from --tree-counts", tp)
		}
	}
	if _, ok := params["trees"]; ok && o.Mode != modeSweep {
		if fl.treesSet {
			return cli.FlagErrorf("--param trees and --trees: set the number of trees once")
		}
	}
	o.Params = params
	return nil
}

// compareParams parses each name=value for the compared classifiers that
// have the parameter: an unknown name for all of them is an error.
func compareParams(classifiers, settings []string) (map[string]any, error) {
	out := map[string]any{}
	for _, kv := range settings {
		name, _, _ := strings.Cut(kv, "=")
		var firstErr error
		parsed := false
		for _, c := range classifiers {
			if !classify.HasParam(c, name) {
				continue
			}
			p, err := classify.ParseParams(c, []string{kv})
			if err != nil {
				firstErr = err
				continue
			}
			maps.Copy(out, p)
			parsed = true
			break
		}
		switch {
		case parsed:
		case firstErr != nil:
			return nil, firstErr
		default:
			return nil, fmt.Errorf("unknown parameter %q: none of %s has it", name, strings.Join(classifiers, ", "))
		}
	}
	return out, nil
}
