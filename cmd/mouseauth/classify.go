package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// NewCmdClassify is the classify command group.
func NewCmdClassify(f *cli.Factory) *cobra.Command {
	return group("classify", "Train per-user models and score actions and sessions with them",
		`  mouseauth preprocess features --data ../shared/data/balabit/training_files --out features.csv
  mouseauth classify train --features features.csv --out models
  mouseauth classify score --model models --data ../shared/data/balabit/training_files/user12`,
		newCmdClassifyTrain(f, nil), newCmdClassifyScore(f, nil))
}

// conventionHelp says where a model's feature convention comes from; both
// classify commands print it.
const conventionHelp = `Every model records its feature schema: the extractor (mouseauth/preprocess
and its version), the convention of the features (clean, or reference for
--compat reference) and the ordered feature names. The convention is read
from the feature CSV: mouseauth's CSVs say it in their convention column
(written by 'preprocess features'); the published files (userid last) were
made by the published extractor and are reference. --compat states it for a
file that does not say (a mouseauth CSV written before the column) and is
refused when the file says otherwise.`

// classifierParamsHelp lists every classifier's parameters (from the
// registry) for a command's --help.
func classifierParamsHelp() string {
	return "Classifier parameters (--param name=value, repeatable; defaults shown):\n\n" + classify.ParamHelp()
}

// parseClassifierParams checks --classifier, --param and --trees (set:
// the flag was given) against the classifier's parameters.
func parseClassifierParams(classifier string, kv []string, trees int, treesSet bool) (map[string]any, error) {
	if _, err := classify.Params(classifier); err != nil {
		return nil, cli.FlagErrorf("--classifier: %v", err)
	}
	if treesSet {
		specs, _ := classify.Params(classifier)
		if !classify.HasParam(classifier, "trees") {
			names := make([]string, len(specs))
			for i, s := range specs {
				names[i] = s.Name
			}
			return nil, cli.FlagErrorf("--trees: classifier %s has no trees (it takes %s; see --help)", classifier, strings.Join(names, ", "))
		}
		for _, s := range kv {
			if k, _, _ := strings.Cut(s, "="); strings.TrimSpace(k) == "trees" {
				return nil, cli.FlagErrorf("--trees and --param %s: give the tree count once", s)
			}
		}
		kv = append(slices.Clone(kv), fmt.Sprintf("trees=%d", trees))
	}
	params, err := classify.ParseParams(classifier, kv)
	if err != nil {
		return nil, cli.FlagErrorf("--param: %v", err)
	}
	return params, nil
}

// checkCompatFlag accepts "" (not given), clean and reference.
func checkCompatFlag(s string) error {
	if s == "" {
		return nil
	}
	if c, ok := preprocess.ParseCompat(s); !ok || c.String() != s {
		return cli.FlagErrorf("--compat must be clean or reference, not %q", s)
	}
	return nil
}

// checkTrainPreset checks --preset of a command that trains live models
// (replay, live serve), sets it to classify's name for the preset
// ([trainPreset]; a former name warns on errOut), and checks that --trees,
// when given, is for a classifier that has trees.
func checkTrainPreset(cmd *cobra.Command, errOut io.Writer, preset *string) error {
	name, err := trainPreset(errOut, *preset)
	if err != nil {
		return err
	}
	s, err := classify.Preset(name)
	if err != nil {
		return cli.FlagErrorf("--preset: %v", err)
	}
	if cmd.Flags().Changed("trees") && !classify.HasParam(s.Classifier, "trees") {
		return cli.FlagErrorf("--trees: the %s preset trains %s, which has no trees (--preset published trains a forest)", *preset, s.Classifier)
	}
	*preset = name
	return nil
}

// trainPreset parses a preset named by --preset as every command that
// trains takes it (improved or published; the former name reference with
// a warning on errOut) and returns the name classify.Preset knows its
// training settings by (published trains as classify.PresetReference).
func trainPreset(errOut io.Writer, name string) (string, error) {
	p, err := parsePreset(errOut, "--preset", name)
	if err != nil {
		return "", err
	}
	return p.TrainPreset(), nil
}
