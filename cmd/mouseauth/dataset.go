package main

import (
	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// newCmdDataset is the dataset command group.
func newCmdDataset(f *cli.Factory) *cobra.Command {
	return group("dataset", "Read, clean and synthesize mouse logs",
		`  mouseauth dataset clean --data ../shared/data/balabit/training_files --out cleaned
  mouseauth dataset synth --users 10 --sessions 3 --seed 1 --out synth`,
		newCmdDatasetClean(f, nil), newCmdDatasetSynth(f, nil))
}
