package reports

import (
	"path/filepath"
	"strings"

	"github.com/mouseauth/mouseauth/evaluate"
)

// Published holds the figures a paper reports for one input file, so a
// report can show them beside a run on that file.
type Published struct {
	File   string // base name of the feature file
	SHA256 string // of the file the figures were measured on
	Source string // who and where
	Setup  string // how they were measured
	// AUC maps a window size to the published mean and standard deviation
	// of per-user AUC.
	AUC map[int][2]float64
}

// PublishedFigures are the reference results in ../shared/data/README.md:
// Antal & Dénes-Fazakas (SACI 2019), measured with their published Python
// code on the per-action feature files they published.
var PublishedFigures = []Published{
	{
		File:   "dfl_39feat_PC_MM_DD_500.csv",
		SHA256: "1377f04643d53ce1d3298e8d4e05f5479ce37b66fd36d50e2efe1100e529401c",
		Source: "Antal & Dénes-Fazakas 2019",
		Setup:  "published code, scikit-learn random forest of 100 trees, seed 0, first 2/3 of each user's actions train, mean window score",
		AUC:    map[int][2]float64{1: {0.850, 0.169}, 5: {0.910, 0.218}, 10: {0.916, 0.221}, 20: {0.920, 0.222}},
	},
	{
		File:   "balabit_39feat_PC_MM_DD_1000.csv",
		SHA256: "77ff21bfd64859c9fd3ecaff6a0c2a897d7607b13787e54eb604b153b4303b43",
		Source: "Antal & Dénes-Fazakas 2019",
		Setup:  "published code, scikit-learn random forest of 100 trees, seed 0, first 2/3 of each user's actions train, mean window score",
		AUC:    map[int][2]float64{1: {0.832, 0.088}, 5: {0.963, 0.037}, 10: {0.986, 0.023}, 20: {0.995, 0.013}},
	},
}

// publishedFor returns the published figures for the run's input, matched
// by the file's base name, and whether its SHA-256 is the one they were
// measured on (a file of the same name with other content is not the
// published data set).
func publishedFor(m evaluate.Manifest) (p *Published, sameFile bool) {
	for _, in := range m.Inputs {
		base := filepath.Base(strings.ReplaceAll(in.Path, `\`, "/"))
		for i := range PublishedFigures {
			if PublishedFigures[i].File == base {
				return &PublishedFigures[i], strings.EqualFold(in.SHA256, PublishedFigures[i].SHA256)
			}
		}
	}
	return nil, false
}
