package main

import (
	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// benchState is the default state folder of the benches that run the
// embedded pipeline: their load users and broker data stay apart from
// ./mouseauth-state, which 'live serve' and 'live status' use.
const benchState = "mouseauth-bench-state"

// newCmdBench is the bench command group: commands that measure and print
// their figures beside a peer measured in the same run.
func newCmdBench(f *cli.Factory) *cobra.Command {
	pipeline, modelLoad, scaleOut := newCmdBenchPipeline(f, nil), newCmdBenchModelLoad(f, nil), newCmdBenchScaleOut(f, nil)
	// bench pipeline's state folder is its own command's business.
	setBenchDefaults(pipeline.Flags(), "")
	setBenchDefaults(modelLoad.Flags(), benchState)
	setBenchDefaults(scaleOut.Flags(), benchState)
	return group("bench", "Measure speed: features, training and scoring, evaluation, model loading, the live pipeline",
		`  mouseauth bench features --data ../shared/data/balabit/training_files
  mouseauth bench classify --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv
  mouseauth bench evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv
  mouseauth bench model-load --stores file,embedded --users 9
  mouseauth bench pipeline --user-counts 1:14
  mouseauth bench scaleout --users 500 --rate 1000 --phase 20s`,
		newCmdBenchFeatures(f, nil), newCmdBenchClassify(f, nil), newCmdBenchEvaluate(f, nil), pipeline, modelLoad, scaleOut)
}
