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
	// PresetReference is the published evaluation: window score = mean, one
	// negative per positive, the feature files as published.
	PresetReference Preset = "reference"
	// PresetImproved is as PresetReference, but the window score is the mean
	// of the action scores' log-odds (mapped back to [0, 1]), feature
	// columns that duplicate another (mina/maxa in DFL) are dropped and the
	// 2147483647 placeholder reads as 0.
	PresetImproved Preset = "improved"
)

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
type Settings struct {
	Protocol      Protocol
	Windows       []int
	TrainFraction float64
	NegativeRatio float64   // 0 = the preset's (1)
	Aggregate     Aggregate // "" = the preset's
	Seed          int64
	Workers       int
	Now           func() time.Time
}

// ClassifierParams returns the classify.New parameters of classifier for
// an evaluation with trees trees: "trees" for the forests ("rf",
// "malaschitz"), none for the others. It is the one place evaluate knows a
// classifier's parameters.
func ClassifierParams(classifier string, trees int) map[string]any {
	params := map[string]any{}
	if classifier == "rf" || classifier == "malaschitz" {
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
