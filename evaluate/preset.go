package evaluate

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Preset names a set of evaluation settings.
type Preset string

// Presets.
const (
	// PresetReference is the published evaluation: a 100-tree random forest
	// ("rf"), window score = mean, one negative per positive, the feature
	// files as published.
	PresetReference Preset = "reference"
	// PresetImproved is the evaluate commands' default: gradient-boosted
	// trees ("gbdt", classify.GBDT's defaults) trained on 8 negatives per
	// positive, the window score the mean of the action scores' log-odds
	// (mapped back to [0, 1]), feature columns that duplicate another
	// (mina/maxa in DFL) dropped and the 2147483647 placeholder read as 0.
	// The classifier and the ratio were chosen on DFL-500 and Balabit-1000
	// under the reference protocol, over seeds 0-9 (issue 12; the figures are
	// in reproduce_test.go): window 1 mean AUC 0.874 ± 0.002 and 0.853 ±
	// 0.004 where the published code gives 0.850 and 0.832. At one core it
	// evaluates DFL-500 about 10 times as fast as the published code
	// (issue 21, `mouseauth bench evaluate`).
	PresetImproved Preset = "improved"
)

// ImprovedNegativeRatio is the improved preset's number of training
// negatives per positive. Over seeds 0-9, 8 rather than 1 raised gbdt's
// (one bag) window 1 mean AUC from 0.862 to 0.873 on DFL-500 and from
// 0.836 to 0.849 on Balabit-1000; at window 10 it moved by 0.004 at most;
// 16 added nothing on Balabit-1000 (seeds 0-2). Balabit-1000's
// other users hold 13 times a user's training actions, so every user of
// the published files draws its 8 (see [Reference] for smaller files).
const ImprovedNegativeRatio = 8

// Classifier returns the classifier p evaluates when none is named: "rf"
// (the published code's) for reference, "gbdt" for improved.
func (p Preset) Classifier() string {
	if p == PresetImproved {
		return "gbdt"
	}
	return "rf"
}

// ParsePreset returns the named preset.
func ParsePreset(s string) (Preset, error) {
	switch p := Preset(s); p {
	case PresetReference, PresetImproved:
		return p, nil
	}
	return "", fmt.Errorf("unknown preset %q (want reference or improved)", s)
}

// Settings are the evaluation settings a preset does not fix: zero values
// take the preset's (NegativeRatio, Aggregate) or [Options]' defaults.
// NegativeRatio and Aggregate override the preset's for any classifier: the
// improved preset's 8 negatives per positive apply to a named classifier
// too.
type Settings struct {
	Protocol      Protocol
	Windows       []int
	TrainFraction float64
	NegativeRatio float64   // 0 = the preset's (reference 1, improved 8)
	Aggregate     Aggregate // "" = the preset's
	Seed          int64
	Workers       int
	Now           func() time.Time
}

// ClassifierParams returns the classify.New parameters of classifier for
// an evaluation with trees trees: "trees" for the classifiers that take it
// (the forests: "rf", "et", "malaschitz"), none for the others; trees <= 0
// leaves the classifier's default. It is the one place evaluate knows a
// classifier's parameters.
func ClassifierParams(classifier string, trees int) map[string]any {
	params := map[string]any{}
	if trees > 0 && classify.HasParam(classifier, "trees") {
		params["trees"] = trees
	}
	return params
}

// PresetOptions returns the Options of preset p with classifier c (built
// with params, which the result records) and settings s, which override the
// preset's aggregate and negative ratio where set.
func PresetOptions(p Preset, c classify.Classifier, params map[string]any, s Settings) Options {
	o := Options{Protocol: s.Protocol, Classifier: c, Windows: s.Windows, TrainFraction: s.TrainFraction,
		Seed: s.Seed, Workers: s.Workers, Now: s.Now, Aggregate: AggMean, NegativeRatio: 1}
	if p == PresetImproved {
		o.Aggregate, o.DropDuplicateColumns, o.ReplacePlaceholders = AggLogOdds, true, true
		o.NegativeRatio = ImprovedNegativeRatio
	}
	if s.Aggregate != "" {
		o.Aggregate = s.Aggregate
	}
	if s.NegativeRatio > 0 {
		o.NegativeRatio = s.NegativeRatio
	}
	o.Params = map[string]any{"preset": string(p), "negative_ratio": o.NegativeRatio,
		"train_fraction": o.TrainFraction, "drop_duplicate_columns": o.DropDuplicateColumns,
		"replace_placeholders": o.ReplacePlaceholders}
	for k, v := range params {
		o.Params[k] = v
	}
	return o
}

// DefectNotes says which known defects of the published feature files d
// has (see [FindDefects]) and what the presets do about them, one message
// per defect, each naming path.
func DefectNotes(path string, d *preprocess.Table) []string {
	df := FindDefects(d)
	var notes []string
	if df.Placeholders > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d values are the placeholder 2147483647 (a minimum over all-zero values); the improved preset reads them as 0, the reference preset keeps them as published", path, df.Placeholders))
	}
	if n := len(df.DuplicateColumns); n > 0 {
		names := make([]string, n)
		for i, j := range df.DuplicateColumns {
			names[i] = strconv.Itoa(j + 1)
			if j < len(d.Names) {
				names[i] = d.Names[j]
			}
		}
		notes = append(notes, fmt.Sprintf("%s: column(s) %s repeat an earlier column; the improved preset drops them", path, strings.Join(names, ", ")))
	}
	if df.DuplicateRows > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d rows repeat an earlier row of the same user; kept, as the published protocol kept them", path, df.DuplicateRows))
	}
	return notes
}
