package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
)

func newCmdEvaluateSweep(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, fl, _ := evaluateCommand(f, runF, modeSweep, &cobra.Command{
		Use:   "sweep --features FILE",
		Short: "Mean AUC and EER over a grid of tree counts and window sizes",
		Long: `Sweep trains --classifier (default rf) once per tree count and reports mean
AUC, its standard deviation, mean EER and the seconds taken at every window
size. A classifier without trees (logreg, mlp, kmeans) is trained once and
swept over the window sizes only; --tree-counts is then refused, not ignored.
` + seedsHelp,
		Example: `  mouseauth evaluate sweep --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --tree-counts 10:100:10 --windows 1:20
  mouseauth evaluate sweep --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --classifier logreg --windows 1:20
  mouseauth evaluate sweep --features ../shared/data/features/dfl_39feat_PC_MM_DD_50.csv --tree-counts 10,50 --windows 1,10 --seeds 0:4`,
	}, "1:20", "trees")
	cmd.Flags().StringVar(&fl.trees, "tree-counts", "10:100:10", "tree counts to sweep, list and ranges, e.g. 10:100:10")
	cli.Alias(cmd.Flags(), "trees", "tree-counts")
	return cmd
}

func newCmdEvaluateCompare(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, fl, _ := evaluateCommand(f, runF, modeCompare, &cobra.Command{
		Use:   "compare --features FILE",
		Short: "Evaluate several classifiers (and presets) under the same protocol and seed",
		Long: `Compare runs one evaluation per classifier and preset and prints their mean
figures beside each other; --out writes every Result (with mean ROC curves).
With --seeds, each result is compared with the first classifier under the
same preset and with the first preset of the same classifier.
` + seedsHelp,
		Example: `  mouseauth evaluate compare --features F.csv --classifiers rf --presets reference,improved
  mouseauth evaluate compare --features F.csv --classifiers rf --presets reference,improved --windows 1,5,10,20
  mouseauth evaluate compare --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --presets reference,improved --windows 1,10 --seeds 0:9 --out runs/dfl-seeds`,
	}, "1,5,10,20", "classifier", "preset", "param")
	cmd.Flags().StringVar(&fl.classifiers, "classifiers", "rf", "classifiers to compare, comma-separated: "+strings.Join(classify.Names(), ", "))
	cmd.Flags().StringVar(&fl.presets, "presets", presetImproved, "presets to compare: reference, improved or both")
	return cmd
}

func newCmdEvaluateThreshold(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, fl, _ := evaluateCommand(f, runF, modeThreshold, &cobra.Command{
		Use:   "threshold --features FILE",
		Short: "False alarm rate, miss rate and detection delays per alarm threshold",
		Long: `Threshold raises an alarm when a window's score falls below p and reports,
for each p: the false alarm rate (genuine windows that alarm), the miss rate
(impostor windows that do not), the mean number of impostor actions until the
first alarm and of genuine actions until the first false alarm. Each stream
is walked one action at a time; the delay is the count of actions up to and
including the one that completes the first alarming window; a stream that
never alarms counts its whole length (and the detected/alarmed shares say how
many did). With several --windows, each size gets its own curves.`,
		Example: `  mouseauth evaluate threshold --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --windows 10 --thresholds 0:1:0.05`,
	}, "10", "seeds")
	cmd.Flags().StringVar(&fl.thresholds, "thresholds", "0:1:0.05", "thresholds: list and ranges, e.g. 0:1:0.05")
	return cmd
}
