package main

import (
	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdBench is the bench command group: commands that measure and print
// their figures beside a peer measured in the same run.
func NewCmdBench(f *cli.Factory) *cobra.Command {
	return group("bench", "Measure speed: feature extraction, training and scoring, evaluation",
		`  mouseauth bench features --data ../shared/data/balabit/training_files
  mouseauth bench classify --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv
  mouseauth bench evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv`,
		newCmdBenchFeatures(f), newCmdBenchClassify(f), newCmdBenchEvaluate(f))
}
